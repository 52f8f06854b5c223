// Runs training jobs in child processes (never in the caller's process: the extension host and
// the CLI stay responsive, and a crash takes down one run, not the caller). `runJob` runs one;
// `runSweep` runs a grid of them, up to `parallel` at once. Cancelling kills every child: each
// is asked to stop (its run then says "cancelled"), and killed outright after a grace period.
// Every job writes its own folder: names are single folder names (runFolder.ts), a grid's
// duplicate settings are trained once (grid.ts), and jobs whose folders collide are refused up
// front.

import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChildMessage, ParentMessage } from './child';
import type { TrainJob } from './config';
import { type SweepGrid, expandGrid, jobCost, trainingOrder } from './grid';
import type { TrainEvent, TrainResult } from './loop';
import { folderCollisions, runNameProblem } from './runFolder';
import { lockedBy, removeLockOf } from './runLock';
import { type Manifest, MANIFEST_FILE, readManifest, removeStaleTempFiles, writeJsonAtomic } from './writer';
import type { JobState } from '../sweep/plannedRun';

// Resolved when the code runs, from node_modules: a bundler leaves these lookups alone.
const runtimeRequire = createRequire(__filename);

/** How to start the child: a script and node options. */
export interface ChildEntry {
  script: string;
  execArgv: string[];
}

/**
 * dist/train.js beside the running bundle (the CLI and the extension are bundles in dist/);
 * from the TypeScript sources, child.ts through tsx.
 */
export function defaultChildEntry(): ChildEntry {
  if (__filename.endsWith('.ts')) return { script: path.join(__dirname, 'child.ts'), execArgv: ['--import', pathToFileURL(runtimeRequire.resolve('tsx')).href] };
  const bundled = path.join(__dirname, 'train.js');
  if (!existsSync(bundled)) throw new Error(`the trainer bundle is missing: ${bundled}`);
  return { script: bundled, execArgv: [] };
}

export type JobEvent =
  | TrainEvent
  | { type: 'spawn'; name: string; pid: number }
  | { type: 'skip'; name: string; reason: string }
  /** A scheduler's job changed state (queued, running, ended), in its words: the Slurm executor. */
  | { type: 'queue'; name: string; state: JobState; jobId: string; detail: string }
  /** The last line of a user's trainer's job log: its progress, as far as the product can tell. */
  | { type: 'log'; name: string; line: string };

export interface JobOptions {
  signal?: AbortSignal;
  onEvent?: (event: JobEvent) => void;
  childEntry?: ChildEntry;
  /** Node binary for the child (default: this process's). */
  execPath?: string;
  wasmDir?: string;
  /** After a cancel, how long a child gets to write its "cancelled" manifest before SIGKILL. */
  graceMs?: number;
}

export interface JobOutcome {
  name: string;
  runDir: string;
  /**
   * "not-started": cancelled before its child (or its Slurm job) was started; nothing was
   * written for it. "queued": submitted to a scheduler and not followed (a detached sweep).
   */
  status: TrainResult['status'] | 'skipped' | 'not-started' | 'queued';
  /** The scheduler's job id ("1234_5"), for a run submitted to one. */
  jobId?: string;
  valLoss?: number;
  tokensPerSecond?: number;
  error?: string;
  /** Why a cancelled run stopped (its run.json's cancelReason). */
  cancelReason?: string;
  pid?: number;
}

const DEFAULT_GRACE_MS = 3000;
/** Last bytes of a child's stderr kept for the error message of a crash. */
const STDERR_TAIL = 4000;

/**
 * A manifest left "running" by a child that died marks the run as failed or cancelled. Only a
 * run that child was writing (its run.lock names the child): a child refused because another
 * trainer holds the folder must leave that trainer's run alone. The dead child's lock and
 * temporary files go with it.
 */
function closeManifest(runDir: string, pid: number, status: 'failed' | 'cancelled', why: string): void {
  if (!lockedBy(runDir, pid)) return;
  const file = path.join(runDir, MANIFEST_FILE);
  try {
    // A link there was never the child's (it refuses them): not followed, not replaced.
    if (lstatSync(file).isFile()) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
      if (manifest.status === 'running') writeJsonAtomic(file, { ...manifest, status, ...(status === 'cancelled' ? { cancelReason: why } : { error: why }), updated: new Date().toISOString() });
    }
  } catch {
    // No manifest (the child died before writing one) or an unreadable one: nothing to close.
  }
  removeLockOf(runDir, pid);
  removeStaleTempFiles(runDir);
}

/**
 * Why these jobs cannot run as given: run names that are not one folder name, and jobs that
 * would write the same folder. Empty when they can.
 */
export function jobProblems(jobs: readonly TrainJob[]): string[] {
  const names = jobs.flatMap((job) => runNameProblem(job.name) ?? []);
  return [...new Set(names), ...folderCollisions(jobs)];
}

/** The child, with the IPC channel its events and result come over. */
function forkChild(options: JobOptions): ChildProcess {
  const entry = options.childEntry ?? defaultChildEntry();
  return fork(entry.script, [], {
    execArgv: entry.execArgv,
    execPath: options.execPath,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
  });
}

/** How a child that sent no result ended, as runJob saw it. */
interface ChildExit {
  code: number | null;
  exitSignal: NodeJS.Signals | null;
  /** The child's own error message, or the one its start failed with. */
  error?: string;
  cancelled: boolean;
  /** Killed after the grace period of a cancel. */
  killed: boolean;
  stderr: string;
  signal?: AbortSignal;
}

/**
 * The outcome of a child that exited without a result (it crashed, or was cancelled and did not
 * say so in time), with its manifest closed for it.
 */
function outcomeWithoutResult(name: string, runDir: string, pid: number, exit: ChildExit): JobOutcome {
  const { code, exitSignal, error, cancelled, killed, stderr, signal } = exit;
  // The wasm module echoes the (minified) source line of an uncaught error: lines are cut short.
  const tail = stderr
    .trim()
    .split('\n')
    .slice(-5)
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}...` : line))
    .join(' | ');
  const why = error ?? (cancelled ? 'cancelled' : `trainer exited (${exitSignal ?? `code ${code}`})${tail ? `: ${tail}` : ''}`);
  const reason = typeof signal?.reason === 'string' ? signal.reason : 'cancelled';
  closeManifest(runDir, pid, cancelled ? 'cancelled' : 'failed', cancelled ? `${reason}${killed ? '; the trainer did not stop in time and was killed' : `; the trainer exited (${exitSignal ?? `code ${code}`}) before saying so`}` : why);
  // Killed during a cancel before it wrote anything: the run never began.
  if (cancelled && !existsSync(path.join(runDir, MANIFEST_FILE))) return { name, runDir, status: 'not-started', pid };
  return { name, runDir, status: cancelled ? 'cancelled' : 'failed', error: cancelled ? undefined : why, pid };
}

/** Runs one job in a child process; resolves when the child has exited. Never rejects. */
export function runJob(job: TrainJob, options: JobOptions = {}): Promise<JobOutcome> {
  const { signal, onEvent = () => {} } = options;
  const absolute: TrainJob = { ...job, outDir: path.resolve(job.outDir), corpus: job.corpus?.map((p) => path.resolve(p)) };
  const runDir = path.join(absolute.outDir, job.name);
  const nameProblem = runNameProblem(job.name);
  if (nameProblem) return Promise.resolve({ name: job.name, runDir: absolute.outDir, status: 'failed', error: nameProblem });
  if (signal?.aborted) return Promise.resolve({ name: job.name, runDir, status: 'not-started' });
  const child = forkChild(options);
  const pid = child.pid ?? -1;
  onEvent({ type: 'spawn', name: job.name, pid });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });

  return new Promise((resolve) => {
    let result: TrainResult | undefined;
    let error: string | undefined;
    let cancelled = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let killed = false;
    const cancel = (): void => {
      cancelled = true;
      const reason = typeof signal?.reason === 'string' ? signal.reason : undefined;
      // A failed send is a child already gone: its exit settles the job.
      if (child.connected) child.send({ type: 'cancel', ...(reason ? { reason } : {}) } satisfies ParentMessage, () => {});
      killTimer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, options.graceMs ?? DEFAULT_GRACE_MS);
    };
    signal?.addEventListener('abort', cancel, { once: true });
    child.on('message', (message: ChildMessage | { type: 'exit' }) => {
      if (message.type === 'result') result = message.result;
      else if (message.type === 'error') error = message.message;
      else if (message.type !== 'exit') onEvent(message);
    });
    const settle = (code: number | null, exitSignal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', cancel);
      if (result) {
        resolve({ name: job.name, runDir, status: result.status, valLoss: result.valLoss, tokensPerSecond: result.tokensPerSecond, error: result.error, ...(result.cancelReason ? { cancelReason: result.cancelReason } : {}), pid });
        return;
      }
      resolve(outcomeWithoutResult(job.name, runDir, pid, { code, exitSignal, error, cancelled, killed, stderr, signal }));
    };
    child.on('exit', settle);
    // A child that could not be started emits 'error' and never 'exit'.
    child.on('error', (e) => {
      error ??= e.message;
      if (child.pid === undefined) settle(null, null);
    });
    if (child.connected) child.send({ type: 'start', job: absolute, wasmDir: options.wasmDir } satisfies ParentMessage, () => {});
  });
}

// --- sweeps ------------------------------------------------------------------------------------

/** True when the run directory's run.json says "complete" (a sweep keeps such runs). */
export function isComplete(runDir: string): boolean {
  return readManifest(runDir)?.status === 'complete';
}

export interface SweepOptions extends Omit<JobOptions, 'onEvent'> {
  /** Children at once; default: the number of CPU cores. */
  parallel?: number;
  /** Runs whose run.json already says "complete" are kept unless this is set. */
  rerun?: boolean;
  onProgress?: (event: SweepEvent) => void;
}

/** A job's event, where it sits in the sweep, and the sweep's progress. */
export type SweepEvent = JobEvent & {
  /** The job's index in the grid (or the given jobs). */
  index: number;
  /** Its place in the training order (trainingOrder), from 0: what "[1/24]" numbers. */
  position: number;
  total: number;
  /** Fraction of the sweep's work done (jobs weighted by their cost), 0 to 1. */
  sweepDone: number;
  /** Time left for the whole sweep at the throughput so far; undefined before any progress. */
  sweepEtaSeconds?: number;
};

/**
 * Numbers a job's events as the sweep sees them: its place in the training order, and the
 * sweep's progress (each job's cost times the fraction of its steps done; jobs skipped weigh
 * nothing) and time left. What every executor reports through.
 */
export function sweepProgress(jobs: readonly TrainJob[], order: readonly number[], onProgress: ((event: SweepEvent) => void) | undefined): (index: number, event: JobEvent) => void {
  const positions = new Array<number>(jobs.length);
  order.forEach((index, position) => (positions[index] = position));
  const costs = jobs.map(jobCost);
  const done = jobs.map(() => 0);
  const started = performance.now();
  return (index, event) => {
    if (event.type === 'step') done[index] = event.step / event.steps;
    if (event.type === 'end') done[index] = 1;
    if (event.type === 'skip') costs[index] = 0;
    const total = costs.reduce((a, b) => a + b, 0);
    const sweepDone = total > 0 ? costs.reduce((sum, c, i) => sum + c * done[i], 0) / total : 1;
    const elapsed = (performance.now() - started) / 1000;
    const sweepEtaSeconds = sweepDone > 0 ? (elapsed * (1 - sweepDone)) / sweepDone : undefined;
    onProgress?.({ ...event, index, position: positions[index], total: jobs.length, sweepDone, sweepEtaSeconds });
  };
}

/**
 * Runs every job of the grid (or the given jobs), longest first so the parallel slots finish
 * together, and resolves with one outcome per job in grid order once all children have exited.
 */
export async function runSweep(grid: SweepGrid | TrainJob[], options: SweepOptions = {}): Promise<JobOutcome[]> {
  const jobs = Array.isArray(grid) ? grid : expandGrid(grid);
  // The front ends check this first (jobProblems) and say so; here it is the last gate.
  const problems = jobProblems(jobs);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const parallel = Math.max(1, options.parallel ?? os.availableParallelism());
  const order = trainingOrder(jobs);
  const outcomes: JobOutcome[] = new Array(jobs.length);
  const progress = sweepProgress(jobs, order, options.onProgress);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < order.length) {
      const index = order[next++];
      const job = jobs[index];
      const runDir = path.join(path.resolve(job.outDir), job.name);
      const report = (event: JobEvent): void => progress(index, event);
      if (!options.rerun && isComplete(runDir)) {
        report({ type: 'skip', name: job.name, reason: 'already complete' });
        outcomes[index] = { name: job.name, runDir, status: 'skipped' };
        continue;
      }
      if (options.signal?.aborted) {
        outcomes[index] = { name: job.name, runDir, status: 'not-started' };
        continue;
      }
      outcomes[index] = await runJob(job, { ...options, onEvent: report });
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
  return outcomes;
}
