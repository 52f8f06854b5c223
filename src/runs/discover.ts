// Finds run files under the given paths and reads them with the matching reader, a few at a
// time, without ever throwing: unreadable paths become diagnostics. A cache keyed by the
// size and modification time of every file a reader used makes a rescan of an unchanged
// workspace cost a directory walk and some stats.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { PLANNED_RUN_FILE } from '../sweep/plannedRun';
import { type AliasTable, DEFAULT_ALIASES } from './aliases';
import { type FoundPlan, applyPlans } from './applyPlans';
import { joinDuplicates } from './dedupe';
import { type PrecisionDefaults, type ReadRun, applyDefaultPrecision } from './defaults';
import type { Diagnostic } from './diagnostics';
import { implausibleRuns } from './plausible';
import { READERS, type ReadResult, type RunReader } from './readers';
import { type LineMark, ResumeSlots } from './resume';
import type { Run } from './run';
import { type PlanRead, readSweepPlan } from './sweepPlan';

/** Folders that never hold a user's runs and can be huge. */
export const SKIPPED_DIRECTORIES: readonly string[] = ['node_modules', '.git', '.hg', '.svn', '__pycache__', '.venv', 'venv', '.tox', '.mypy_cache', '.pytest_cache', '.ipynb_checkpoints'];
/**
 * A file the product puts in every folder of its own output (Export Report): the scan never
 * enters such a folder, so nothing the product writes is read back as runs (the report's
 * runs.csv is a sweep table of the very runs it lists).
 */
export const OUTPUT_MARKER = '.precision-planner-output';
export const OUTPUT_MARKER_TEXT = 'Written by Precision Planner. Folders holding this file are never scanned for runs.\n';
export const DEFAULT_EXCLUDE: readonly string[] = SKIPPED_DIRECTORIES.map((name) => `**/${name}/**`);

export interface ScanOptions {
  readers?: readonly RunReader[];
  /** Globs (relative to each scanned folder) a file must match to be offered to the readers; all files when absent. */
  include?: readonly string[];
  /** Globs for files and folders never entered; DEFAULT_EXCLUDE when absent. */
  exclude?: readonly string[];
  aliases?: AliasTable;
  /** Training precision for runs whose files give none, by glob (defaults.ts); per scanned folder when a function. */
  defaultPrecision?: PrecisionDefaults | ((root: string) => PrecisionDefaults | undefined);
  /** Files read at once. */
  concurrency?: number;
  /** Reused across scans: unchanged files are not read again. */
  cache?: ScanCache;
  signal?: AbortSignal;
  onProgress?: (read: number, total: number) => void;
}

export interface ScanResult {
  runs: Run[];
  diagnostics: Diagnostic[];
  /** Run files found (handed to a reader or served from the cache). */
  files: number;
  /** Of those, how many came from the cache. */
  cached: number;
  /** Growing logs read on from where the last scan stopped (with a cache), and the bytes read from them. */
  resumed?: { files: number; bytes: number };
  /**
   * The sweeps' plans found (planned-run.json), and how many were read anew rather than served
   * from the cache: a plan changes while its job runs (its state) with no run file changing.
   */
  plans?: { files: number; read: number };
}

interface Stamp {
  size: number;
  mtimeMs: number;
}

interface CacheEntry {
  reader: string;
  /** Every file the reader used, with its size and mtime when read; absent files as null. */
  inputs: Array<[string, Stamp | null]>;
  result: ReadResult;
  /** Where the reader stopped in the growing logs it streamed, to go on from when they change. */
  marks?: ReadonlyMap<string, LineMark>;
}

/** Read results by file, valid while none of the files a reader used has changed. */
export class ScanCache {
  private readonly entries = new Map<string, CacheEntry>();
  /** Sweep plans by file, with the folder they were read under (their run's id is relative to it). */
  private readonly plans = new Map<string, { root: string; stamp: Stamp | null; read: PlanRead }>();

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached result, if no input changed. `stamps` (one per scan) stats each path once however
   * many entries name it (a folder, a file several readers were offered).
   */
  async lookup(file: string, reader: string, stamps: Stamps = new Stamps()): Promise<ReadResult | undefined> {
    const entry = this.entries.get(cacheKey(file, reader));
    if (!entry) return undefined;
    const now = await Promise.all(entry.inputs.map(([input]) => stamps.of(input)));
    return entry.inputs.every(([, stamp], i) => sameStamp(now[i], stamp)) ? entry.result : undefined;
  }

  store(file: string, reader: string, inputs: Array<[string, Stamp | null]>, result: ReadResult, marks?: ReadonlyMap<string, LineMark>): void {
    const entry: CacheEntry = { reader, inputs, result };
    if (marks && marks.size > 0) entry.marks = marks;
    this.entries.set(cacheKey(file, reader), entry);
  }

  /** The marks of the last read, stale or not: the reader checks each against its file. */
  marksOf(file: string, reader: string): ReadonlyMap<string, LineMark> | undefined {
    return this.entries.get(cacheKey(file, reader))?.marks;
  }

  /** The plan read from `file` under `root`, if the file is unchanged since. */
  async lookupPlan(file: string, root: string, stamps: Stamps = new Stamps()): Promise<PlanRead | undefined> {
    const entry = this.plans.get(file);
    if (!entry || entry.root !== root) return undefined;
    return sameStamp(await stamps.of(file), entry.stamp) ? entry.read : undefined;
  }

  storePlan(file: string, root: string, stamp: Stamp | null, read: PlanRead): void {
    this.plans.set(file, { root, stamp, read });
  }

  /** Forgets files no longer found, so a long-lived cache does not grow with deleted runs. */
  retain(files: ReadonlySet<string>): void {
    for (const key of this.entries.keys()) if (!files.has(key.slice(key.indexOf('\0') + 1))) this.entries.delete(key);
    for (const file of this.plans.keys()) if (!files.has(file)) this.plans.delete(file);
  }
}

// One entry per reader tried: a .json a sweep table declined stays declined without a reread.
const cacheKey = (file: string, reader: string): string => `${reader}\0${file}`;

/**
 * Stamps taken during one scan, each path stat'ed once. A file that changes after its stamp was
 * taken is seen by the next scan, as one that changes after it was read always was.
 */
export class Stamps {
  private readonly taken = new Map<string, Promise<Stamp | null>>();

  of(file: string): Promise<Stamp | null> {
    let stamp = this.taken.get(file);
    if (!stamp) {
      stamp = stampOf(file);
      this.taken.set(file, stamp);
    }
    return stamp;
  }
}

async function stampOf(file: string): Promise<Stamp | null> {
  try {
    const s = await fs.stat(file);
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return null;
  }
}

function sameStamp(a: Stamp | null, b: Stamp | null): boolean {
  return a === null || b === null ? a === b : a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** The files a reader's result depends on: the entry file, its folder (companions added or removed), and what the reader says it read. */
function inputsOf(file: string, result: ReadResult): string[] {
  return [...new Set([file, path.dirname(file), ...(result.inputs ?? [])])];
}

/** A planned-run.json to read; see FoundPlan. */
type FoundPlanFile = Omit<FoundPlan, 'read'>;

interface Found {
  file: string;
  /** Every reader whose name pattern matches, in registry order: the first that claims the content reads it. */
  readers: RunReader[];
  root: string;
  /** Named on the command line or by the caller: a file no reader wants is worth a word. */
  explicit: boolean;
}

/**
 * Lock files a trainer keeps in its run folder (run.lock) while it writes there: never a run file,
 * whatever a reader's name patterns would say of them.
 */
export function isLockFile(name: string): boolean {
  return /\.lock$/i.test(name);
}

/** Folders listed at once: a workspace of ten thousand folders is a walk of ten thousand round trips to the thread pool. */
const WALK_CONCURRENCY = 16;

interface WalkOptions {
  readers: readonly RunReader[];
  included: (rel: string) => boolean;
  excluded: (rel: string) => boolean;
  signal?: AbortSignal;
  /** Takes a listing slot; resolves to its release. */
  slot: () => Promise<() => void>;
}

/** A counting semaphore: at most `n` holders at once. */
function limiter(n: number): () => Promise<() => void> {
  let free = n;
  const waiting: Array<() => void> = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return () =>
    new Promise((resolve) => {
      if (free > 0) {
        free--;
        resolve(release);
      } else waiting.push(() => resolve(release));
    });
}

/**
 * The run files under `dir` (relative path `rel` from the root, '' for the root itself), in name
 * order; the sweeps' plans go to `plans`. Folders are listed concurrently.
 */
async function walk(dir: string, rel: string, root: string, options: WalkOptions, diagnostics: Diagnostic[], plans: FoundPlanFile[]): Promise<Found[]> {
  if (options.signal?.aborted) return [];
  let entries;
  const release = await options.slot();
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    diagnostics.push({ file: dir, message: `cannot read folder: ${(error as Error).message}`, severity: 'warning', code: 'unreadable' });
    return [];
  } finally {
    release();
  }
  if (entries.some((e) => e.name === OUTPUT_MARKER && e.isFile())) return [];
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const own: Found[] = [];
  const subdirs: Array<Promise<Found[]>> = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const relative = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (options.excluded(relative)) continue;
    // Symlinked folders are not entered (a loop, or a link to the whole disk); symlinked files, FIFOs and devices are not run files.
    if (entry.isDirectory()) subdirs.push(walk(full, relative, root, options, diagnostics, plans));
    // A plan is offered to no reader (it holds no loss) and is read whatever the include globs
    // say: they name the logs to read, and a plan only fills in what its run's logs leave out.
    else if (entry.isFile() && entry.name === PLANNED_RUN_FILE) plans.push({ file: full, root, standalone: true });
    else if (entry.isFile() && !isLockFile(entry.name) && options.included(relative)) {
      const matching = options.readers.filter((r) => r.matches(entry.name, full));
      if (matching.length > 0) own.push({ file: full, readers: matching, root, explicit: false });
    }
  }
  // A folder's own files, then each subfolder's, in name order: the order of a walk one folder at a time.
  const nested = await Promise.all(subdirs);
  return own.concat(...nested);
}

/**
 * The exclude globs as the walk matches them against a path relative to its scanned folder
 * (picomatch, dot files too); DEFAULT_EXCLUDE when none are given. The extension's watcher
 * filter uses the same, so a change the walk would skip never calls for a rescan.
 */
export function excludeMatcher(exclude: readonly string[] = DEFAULT_EXCLUDE): (rel: string) => boolean {
  return picomatch([...exclude], { dot: true });
}

/**
 * Scans files and folders for runs. Never throws on bad input; cancelling through `signal`
 * returns what was read so far.
 */
export async function scan(paths: readonly string[], options: ScanOptions = {}): Promise<ScanResult> {
  const readers = options.readers ?? READERS;
  const aliases = options.aliases ?? DEFAULT_ALIASES;
  const included = options.include && options.include.length > 0 ? picomatch([...options.include], { dot: true }) : () => true;
  const excluded = excludeMatcher(options.exclude);
  const diagnostics: Diagnostic[] = [];
  const found: Found[] = [];
  const planFiles: FoundPlanFile[] = [];
  const slot = limiter(WALK_CONCURRENCY);
  for (const given of paths) {
    const absolute = path.resolve(given);
    const stat = await fs.stat(absolute).catch(() => undefined);
    if (!stat) {
      diagnostics.push({ file: absolute, message: 'no such file or folder', severity: 'error', code: 'not-found' });
    } else if (stat.isDirectory()) {
      // One at a time: spreading a large workspace's files into push() would overflow the stack.
      for (const item of await walk(absolute, '', absolute, { readers, included, excluded, signal: options.signal, slot }, diagnostics, planFiles)) found.push(item);
    } else {
      const root = path.dirname(path.dirname(absolute));
      const matching = readers.filter((r) => r.matches(path.basename(absolute), absolute));
      if (path.basename(absolute) === PLANNED_RUN_FILE) planFiles.push({ file: absolute, root, standalone: true });
      // A run file named directly: ids relative to the folder above its run folder, as a scan of that folder would give.
      else if (matching.length > 0) {
        found.push({ file: absolute, readers: matching, root, explicit: true });
        for (const plan of await plansBeside(absolute, root)) planFiles.push(plan);
      } else diagnostics.push(unknownFile(absolute, readers));
    }
  }

  const readRuns: ReadRun[] = [];
  let next = 0;
  let read = 0;
  let cached = 0;
  const resumed = { files: 0, bytes: 0 };
  const stamps = new Stamps();
  let runFiles = 0;
  const seen = new Set<string>();
  const worker = async () => {
    while (next < found.length && !options.signal?.aborted) {
      const item = found[next++];
      seen.add(item.file);
      // A file whose name several formats share (a .json, a .log) goes to each in turn until one claims its content.
      let result: ReadResult = { runs: [], diagnostics: [], notMine: true };
      let fromCache = false;
      for (const reader of item.readers) {
        const hit = await options.cache?.lookup(item.file, reader.id, stamps);
        fromCache = hit !== undefined;
        if (hit) result = hit;
        else {
          const before = await Promise.all([item.file, path.dirname(item.file)].map((f) => stamps.of(f)));
          const slots = options.cache ? new ResumeSlots(options.cache.marksOf(item.file, reader.id)) : undefined;
          result = await readSafely(item.file, reader, item.root, slots);
          if (options.cache && slots) {
            // Stamps of the entry file and folder from before the read: a write during the read invalidates the entry.
            const inputs = inputsOf(item.file, result);
            const stamps = await Promise.all(inputs.map(async (f, i): Promise<[string, Stamp | null]> => [f, i < 2 ? before[i] : await stampOf(f)]));
            options.cache.store(item.file, reader.id, stamps, result, slots.kept);
            resumed.files += slots.resumed;
            resumed.bytes += slots.resumedBytes;
          }
        }
        if (!result.notMine) break;
      }
      if (result.notMine) {
        if (item.explicit) diagnostics.push(unknownFile(item.file, readers));
      } else {
        runFiles++;
        if (fromCache) cached++;
        // One at a time: a spread of a sweep table's 150,000 runs overflows the stack.
        for (const run of result.runs) readRuns.push({ run, root: item.root });
        for (const d of result.diagnostics) diagnostics.push(d);
      }
      options.onProgress?.(++read, found.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  const plans = await readPlans(planFiles, { cache: options.cache, stamps, slot: limiter(Math.max(1, options.concurrency ?? 8)), signal: options.signal });
  for (const plan of planFiles) seen.add(plan.file);
  options.cache?.retain(seen);
  for (const plan of plans.found) for (const d of plan.read.diagnostics) diagnostics.push(d);
  // Before the joins and defaults: two loggers of one training are joined with their plan's values,
  // and a default precision never stands in for the one the sweep planned.
  const planned = applyPlans(readRuns, plans.found);
  keepOnly(diagnostics, (d) => !planned.answered(d));
  for (const d of planned.diagnostics) diagnostics.push(d);
  planned.runs.sort((a, b) => (a.run.id < b.run.id ? -1 : a.run.id > b.run.id ? 1 : 0));
  // Join first: a default must not stand in for a precision another file of the same training gives.
  const joined = joinDuplicates(planned.runs.map((r) => r.run));
  for (const d of joined.diagnostics) diagnostics.push(d);
  const rootOf = new Map(planned.runs.map((r) => [r.run.file, r.root]));
  const { runs, diagnostics: defaulted } = applyDefaultPrecision(
    joined.runs.map((run) => ({ run, root: rootOf.get(run.file) ?? '' })),
    options.defaultPrecision,
  );
  for (const d of defaulted) diagnostics.push(d);
  for (const d of implausibleRuns(runs)) diagnostics.push(d);
  diagnostics.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
  return { runs, diagnostics, files: runFiles, cached, resumed, plans: { files: plans.found.length, read: plans.read } };

  async function readSafely(file: string, reader: RunReader, root: string, resume: ResumeSlots | undefined): Promise<ReadResult> {
    try {
      return await reader.read(file, resume ? { root, aliases, resume } : { root, aliases });
    } catch (error) {
      // Readers report problems as data; reaching here is a reader bug, kept to this one file.
      return { runs: [], diagnostics: [{ file, message: `the ${reader.label} reader failed: ${(error as Error).message}`, severity: 'error', code: 'unsupported' }] };
    }
  }
}

/**
 * The plans of a run file named on the command line: in its folder and the one above (its id's
 * root), the nearest first. Only looked up: a plan beside a named file is not a run of its own.
 */
async function plansBeside(file: string, root: string): Promise<FoundPlanFile[]> {
  const dirs = [path.dirname(file), root].filter((dir, i, all) => all.indexOf(dir) === i);
  const found = await Promise.all(dirs.map(async (dir) => ((await stampOf(path.join(dir, PLANNED_RUN_FILE))) ? [{ file: path.join(dir, PLANNED_RUN_FILE), root, standalone: false }] : [])));
  return found.flat();
}

interface PlanReading {
  cache?: ScanCache;
  stamps: Stamps;
  /** Takes a reading slot; resolves to its release. */
  slot: () => Promise<() => void>;
  signal?: AbortSignal;
}

/**
 * Reads the plans found, a few at a time, from the cache where unchanged; `read` counts those
 * read anew. A cancelled scan reads no more: the plans not read are left out, as the runs are.
 */
async function readPlans(files: readonly FoundPlanFile[], { cache, stamps, slot, signal }: PlanReading): Promise<{ found: FoundPlan[]; read: number }> {
  let read = 0;
  const found = await Promise.all(
    files.map(async (plan): Promise<FoundPlan[]> => {
      const release = await slot();
      try {
        const hit = await cache?.lookupPlan(plan.file, plan.root, stamps);
        if (hit) return [{ ...plan, read: hit }];
        if (signal?.aborted) return [];
        // The stamp from before the read: a rewrite during it is read by the next scan.
        const before = await stamps.of(plan.file);
        const result = await readSweepPlan(plan.file, plan.root);
        cache?.storePlan(plan.file, plan.root, before, result);
        read++;
        return [{ ...plan, read: result }];
      } finally {
        release();
      }
    }),
  );
  return { found: found.flat(), read };
}

/** Keeps, in place and in order, the items `keep` says yes to: the list is the one the scan returns. */
function keepOnly<T>(items: T[], keep: (item: T) => boolean): void {
  let at = 0;
  for (const item of items) if (keep(item)) items[at++] = item;
  items.length = at;
}

function unknownFile(file: string, readers: readonly RunReader[]): Diagnostic {
  return { file, message: `not a run file of any known format (${readers.map((r) => r.label).join(', ')})`, severity: 'warning', code: 'unsupported' };
}
