// Finds run files under the given paths and reads them with the matching reader, a few at a
// time, without ever throwing: unreadable paths become diagnostics. A cache keyed by the
// size and modification time of every file a reader used makes a rescan of an unchanged
// workspace cost a directory walk and some stats.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { type AliasTable, DEFAULT_ALIASES } from './aliases';
import { joinDuplicates } from './dedupe';
import { type PrecisionDefaults, type ReadRun, applyDefaultPrecision } from './defaults';
import type { Diagnostic } from './diagnostics';
import { READERS, type ReadResult, type RunReader } from './readers';
import type { Run } from './run';

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
}

/** Read results by file, valid while none of the files a reader used has changed. */
export class ScanCache {
  private readonly entries = new Map<string, CacheEntry>();

  get size(): number {
    return this.entries.size;
  }

  async lookup(file: string, reader: string): Promise<ReadResult | undefined> {
    const entry = this.entries.get(cacheKey(file, reader));
    if (!entry) return undefined;
    for (const [input, stamp] of entry.inputs) {
      const now = await stampOf(input);
      if (!sameStamp(now, stamp)) return undefined;
    }
    return entry.result;
  }

  store(file: string, reader: string, inputs: Array<[string, Stamp | null]>, result: ReadResult): void {
    this.entries.set(cacheKey(file, reader), { reader, inputs, result });
  }

  /** Forgets files no longer found, so a long-lived cache does not grow with deleted runs. */
  retain(files: ReadonlySet<string>): void {
    for (const key of this.entries.keys()) if (!files.has(key.slice(key.indexOf('\0') + 1))) this.entries.delete(key);
  }
}

// One entry per reader tried: a .json a sweep table declined stays declined without a reread.
const cacheKey = (file: string, reader: string): string => `${reader}\0${file}`;

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

interface Found {
  file: string;
  /** Every reader whose name pattern matches, in registry order: the first that claims the content reads it. */
  readers: RunReader[];
  root: string;
  /** Named on the command line or by the caller: a file no reader wants is worth a word. */
  explicit: boolean;
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

async function walk(
  dir: string,
  root: string,
  out: Found[],
  options: { readers: readonly RunReader[]; included: (rel: string) => boolean; excluded: (rel: string) => boolean; signal?: AbortSignal },
  diagnostics: Diagnostic[],
): Promise<void> {
  if (options.signal?.aborted) return;
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    diagnostics.push({ file: dir, message: `cannot read folder: ${(error as Error).message}`, severity: 'warning', code: 'unreadable' });
    return;
  }
  if (entries.some((e) => e.name === OUTPUT_MARKER && e.isFile())) return;
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const subdirs: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const rel = toPosix(path.relative(root, full));
    if (options.excluded(rel)) continue;
    if (entry.isDirectory()) subdirs.push(full);
    else if (entry.isFile() && options.included(rel)) {
      const matching = options.readers.filter((r) => r.matches(entry.name, full));
      if (matching.length > 0) out.push({ file: full, readers: matching, root, explicit: false });
    }
  }
  for (const sub of subdirs) await walk(sub, root, out, options, diagnostics);
}

/**
 * Scans files and folders for runs. Never throws on bad input; cancelling through `signal`
 * returns what was read so far.
 */
export async function scan(paths: readonly string[], options: ScanOptions = {}): Promise<ScanResult> {
  const readers = options.readers ?? READERS;
  const aliases = options.aliases ?? DEFAULT_ALIASES;
  const included = options.include && options.include.length > 0 ? picomatch([...options.include], { dot: true }) : () => true;
  const excluded = picomatch([...(options.exclude ?? DEFAULT_EXCLUDE)], { dot: true });
  const diagnostics: Diagnostic[] = [];
  const found: Found[] = [];
  for (const given of paths) {
    const absolute = path.resolve(given);
    const stat = await fs.stat(absolute).catch(() => undefined);
    if (!stat) {
      diagnostics.push({ file: absolute, message: 'no such file or folder', severity: 'error', code: 'not-found' });
    } else if (stat.isDirectory()) {
      await walk(absolute, absolute, found, { readers, included, excluded: (rel) => excluded(rel), signal: options.signal }, diagnostics);
    } else {
      const matching = readers.filter((r) => r.matches(path.basename(absolute), absolute));
      // A run file named directly: ids relative to the folder above its run folder, as a scan of that folder would give.
      if (matching.length > 0) found.push({ file: absolute, readers: matching, root: path.dirname(path.dirname(absolute)), explicit: true });
      else diagnostics.push(unknownFile(absolute, readers));
    }
  }

  const readRuns: ReadRun[] = [];
  let next = 0;
  let read = 0;
  let cached = 0;
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
        const hit = await options.cache?.lookup(item.file, reader.id);
        fromCache = hit !== undefined;
        if (hit) result = hit;
        else {
          const before = await Promise.all([item.file, path.dirname(item.file)].map(stampOf));
          result = await readSafely(item.file, reader, item.root);
          if (options.cache) {
            // Stamps of the entry file and folder from before the read: a write during the read invalidates the entry.
            const inputs = inputsOf(item.file, result);
            const stamps = await Promise.all(inputs.map(async (f, i): Promise<[string, Stamp | null]> => [f, i < 2 ? before[i] : await stampOf(f)]));
            options.cache.store(item.file, reader.id, stamps, result);
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
  options.cache?.retain(seen);
  readRuns.sort((a, b) => (a.run.id < b.run.id ? -1 : a.run.id > b.run.id ? 1 : 0));
  // Join first: a default must not stand in for a precision another file of the same training gives.
  const joined = joinDuplicates(readRuns.map((r) => r.run));
  for (const d of joined.diagnostics) diagnostics.push(d);
  const rootOf = new Map(readRuns.map((r) => [r.run.file, r.root]));
  const { runs, diagnostics: defaulted } = applyDefaultPrecision(
    joined.runs.map((run) => ({ run, root: rootOf.get(run.file) ?? '' })),
    options.defaultPrecision,
  );
  for (const d of defaulted) diagnostics.push(d);
  diagnostics.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
  return { runs, diagnostics, files: runFiles, cached };

  async function readSafely(file: string, reader: RunReader, root: string): Promise<ReadResult> {
    try {
      return await reader.read(file, { root, aliases });
    } catch (error) {
      // Readers report problems as data; reaching here is a reader bug, kept to this one file.
      return { runs: [], diagnostics: [{ file, message: `the ${reader.label} reader failed: ${(error as Error).message}`, severity: 'error', code: 'unsupported' }] };
    }
  }
}

function unknownFile(file: string, readers: readonly RunReader[]): Diagnostic {
  return { file, message: `not a run file of any known format (${readers.map((r) => r.label).join(', ')})`, severity: 'warning', code: 'unsupported' };
}
