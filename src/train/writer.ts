// Writes a run in the project's format (schemas/run.schema.json): run.json, the manifest, and
// metrics.jsonl, the curve. The manifest is replaced atomically (written to a temporary file,
// synced, renamed over the old one), so a reader never sees half of it, whenever the process
// dies; it says "running" from the first moment, so a run killed mid-way reads as unfinished.
// Each metrics line goes to the file in one write as soon as it is logged: a kill loses at most
// the line being written, which the reader takes as the cut end of an unfinished run.
//
// The writer stays inside its run folder: it holds the folder's run.lock while it writes (one
// writer per run, runLock.ts), refuses a run folder, run.json or metrics.jsonl that is a
// symbolic link (a link would send the writes anywhere), and never truncates a file another
// name shares (a hard-linked metrics.jsonl is replaced, not rewritten). The temporary files a
// writer killed mid-write leaves are removed when a writer starts or finishes in the folder.

import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, type Stats, unlinkSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { PartPrecision } from '../runs/run';
import { type HeldLock, acquireRunLock, isAlive } from './runLock';

export const MANIFEST_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';

export type RunStatus = 'running' | 'complete' | 'cancelled' | 'failed';

export interface PtqRecord {
  /** Bits of each stored element (scales not counted: see bitsPerWeight). */
  bits: number;
  type: 'int' | 'fp';
  /** "int" (integer grid), or an OCP microscaling format: "mxfp4", "mxint8", ... */
  format: string;
  method: 'rtn' | 'gptq';
  /** Weights sharing one scale: null for one per output channel; an MX format's block size. */
  groupSize: number | null;
  /** Storage per weight including the scales. */
  bitsPerWeight: number;
  /** Signal-to-quantization-noise ratio of the weights, dB. */
  sqnrDb: number;
  valLoss: number;
}

/** The loss-landscape probe: validation loss increase under random weight noise. */
export interface ProbeRecord {
  /** Noise norm over weight norm, per layer. */
  relativeNorm: number;
  /** Mean over the random directions. */
  lossIncrease: number;
  /** Standard deviation over the directions. */
  lossIncreaseStd: number;
  directions: number;
}

/** run.json as this trainer writes it; extra keys are metadata the reader shows. */
export interface Manifest {
  schemaVersion: 1;
  name: string;
  status: RunStatus;
  /** N: non-embedding parameters. */
  params: number;
  embeddingParams: number;
  /** D: tokens seen (the planned budget until the run ends or is stopped). */
  tokens: number;
  tokensPlanned: number;
  precision: { weights: PartPrecision; activations: PartPrecision; kv: PartPrecision };
  valLoss?: number;
  ptq: PtqRecord[];
  /** The loss-landscape probe of the final weights (Xu et al.). */
  landscape?: ProbeRecord[];
  epochs?: number;
  seed: number;
  model: Record<string, unknown>;
  training: Record<string, unknown>;
  data: Record<string, unknown>;
  created: string;
  updated?: string;
  /** Training throughput, evaluation excluded. */
  tokensPerSecond?: number;
  wallSeconds?: number;
  error?: string;
  /** Last validation loss of a run still going (valLoss is for the end of training only). */
  lastValLoss?: number;
  /** Group sizes left out of PTQ because they do not divide a layer's input dimension. */
  ptqSkippedGroups?: number[];
  /** The sweep the run belongs to. */
  sweep?: string;
  /** Why a cancelled run stopped: "SIGTERM received", "the parent process went away", ... */
  cancelReason?: string;
}

/** The run folder's run.json as this trainer writes it, or undefined when there is none or it cannot be read. */
export function readManifest(runDir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path.join(runDir, MANIFEST_FILE), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

// O_NOFOLLOW is POSIX; where it does not exist (Windows) O_EXCL and the lstat checks stand alone.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;

/**
 * The temporary files of a writer killed mid-write, with the writer's pid: the manifest's
 * (writeJsonAtomic) and a lock set aside while taking over a stale one (runLock.ts). Only these
 * names are ever cleaned up; nothing else in a run folder is.
 */
const TEMP_FILE = /^(?:run\.json\.(\d+)\.tmp|run\.lock\.(\d+)\.stale)$/;

/** True for the name of a temporary file this trainer writes in a run folder (never a run of its own). */
export const isRunTempFile = (name: string): boolean => TEMP_FILE.test(name);

/**
 * Removes the temporary files (TEMP_FILE) that writers no longer running left in `dir`; returns
 * their names. A live writer's are kept (it may be writing one now), this process's are not
 * (its writes are synchronous: none is under way while this runs).
 */
export function removeStaleTempFiles(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP_FILE.exec(name);
    if (!m) continue;
    const pid = Number(m[1] ?? m[2]);
    if (pid !== process.pid && isAlive(pid)) continue;
    const file = path.join(dir, name);
    try {
      // Files and links only (unlinking a link leaves its target alone); never a folder.
      const stat = lstatSync(file);
      if (!stat.isFile() && !stat.isSymbolicLink()) continue;
      unlinkSync(file);
      removed.push(name);
    } catch {
      // Removed by someone else meanwhile, or not ours to remove: left.
    }
  }
  return removed;
}

/** Replaces `file` with `value` as JSON so that readers see the old or the new file, never a mix. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, CREATE_NEW, 0o666);
  } catch (error) {
    // Left by an earlier process with this pid (killed mid-write): a new one, never written through.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    unlinkSync(tmp);
    fd = openSync(tmp, CREATE_NEW, 0o666);
  }
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(tmp);
    throw error;
  }
  closeSync(fd);
  // The rename replaces whatever the name held (a link included) and never writes through it.
  renameSync(tmp, file);
}

const lstatOrUndefined = (file: string): Stats | undefined => {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
};

const linkTarget = (file: string): string => {
  try {
    return readlinkSync(file);
  } catch {
    return '?';
  }
};

/** Throws when `file` exists and is a symbolic link or not a regular file; `what` names it. */
function refuseUnlessRegular(file: string, what: string): Stats | undefined {
  const stat = lstatOrUndefined(file);
  if (stat?.isSymbolicLink()) throw new Error(`${what} ${file} is a symbolic link (to ${linkTarget(file)}); the trainer does not write through links, so remove it or choose another run name`);
  if (stat && !stat.isFile()) throw new Error(`${what} ${file} is not a regular file; remove it or choose another run name`);
  return stat;
}

/** Creates the run folder (and the output folder); refuses a run folder that is a link or a file. */
function prepareRunFolder(dir: string): void {
  mkdirSync(path.dirname(dir), { recursive: true });
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink()) throw new Error(`the run folder ${dir} is a symbolic link (to ${linkTarget(dir)}); the trainer writes only into real folders inside the output folder`);
  if (!stat.isDirectory()) throw new Error(`the run folder ${dir} is not a folder`);
}

/**
 * A new, empty metrics.jsonl open for appending. An existing one is unlinked first rather than
 * truncated: a hard link to it elsewhere keeps its content. O_EXCL|O_NOFOLLOW: a link or file
 * that appears in between is refused, not opened.
 */
function createMetrics(file: string): number {
  if (refuseUnlessRegular(file, 'the curve')) unlinkSync(file);
  try {
    return openSync(file, CREATE_NEW | constants.O_APPEND, 0o666);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ELOOP') throw new Error(`the curve ${file} was replaced while the trainer opened it; the trainer does not write through links or into files it did not create`);
    throw error;
  }
}

export class RunWriter {
  readonly dir: string;
  /** Things the user should know about the folder (a stale lock taken over). */
  readonly notes: string[] = [];
  private manifest: Manifest;
  private lock: HeldLock | undefined;
  private metrics: number | undefined;

  /**
   * Creates (or starts over) the run directory with a "running" manifest and an empty curve,
   * holding its lock until close(). Throws, naming the folder or file, when another writer holds
   * the folder or a link or a non-regular file stands where the run is written.
   */
  constructor(dir: string, manifest: Omit<Manifest, 'status' | 'schemaVersion'>) {
    this.dir = dir;
    this.manifest = { schemaVersion: 1, status: 'running', ...manifest };
    prepareRunFolder(dir);
    this.lock = acquireRunLock(dir);
    try {
      if (this.lock.note) this.notes.push(this.lock.note);
      removeStaleTempFiles(dir);
      refuseUnlessRegular(path.join(dir, MANIFEST_FILE), 'the manifest');
      this.metrics = createMetrics(path.join(dir, METRICS_FILE));
      this.write();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  get current(): Readonly<Manifest> {
    return this.manifest;
  }

  /** Appends one line to metrics.jsonl. Non-finite numbers are written as null (JSON has no NaN). */
  log(record: Record<string, unknown>): void {
    if (this.metrics === undefined) throw new Error(`the run in ${this.dir} is closed`);
    writeSync(this.metrics, `${JSON.stringify(record, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
  }

  /** Merges fields into the manifest and rewrites it. */
  update(fields: Partial<Manifest>): void {
    this.manifest = { ...this.manifest, ...fields, updated: new Date().toISOString() };
    this.write();
  }

  /** Ends the writing: the curve closed, stale temporary files removed, the lock released. */
  close(): void {
    if (this.metrics !== undefined) {
      try {
        closeSync(this.metrics);
      } catch {
        // Closed already.
      }
      this.metrics = undefined;
    }
    if (this.lock) {
      removeStaleTempFiles(this.dir);
      this.lock.release();
      this.lock = undefined;
    }
  }

  private write(): void {
    writeJsonAtomic(path.join(this.dir, MANIFEST_FILE), this.manifest);
  }
}
