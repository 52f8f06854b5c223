// A sweep on Slurm: one job array for the runs not yet complete, followed to its end.
//
// - Submission: the job script (slurmScript.ts), a planned-run.json in each run folder and, for
//   the built-in trainer, each run's job file go beside the runs, in `<out>/slurm-jobs/` (a
//   folder the scan never enters: it holds the product's output marker). One `sbatch --parsable
//   --array=0-N%K`; the commands are run by Slurm on the compute nodes, reading and writing the
//   shared file system.
// - Following: one `squeue` call per poll for every array the sweep follows (JSON where the
//   Slurm version has it), each run's progress from its own metrics.jsonl (built-in trainer) or
//   its job log's last line (a user's trainer), and every change of state written to its
//   planned-run.json, where the readers and the Runs view see it.
// - Cancelling (the signal): `scancel` of the arrays this sweep submitted, then the states are
//   followed until every task has ended, and each run is marked in its folder.
// - Launching the same sweep again submits only the runs that are not complete (and not still
//   queued or running from an earlier launch: those are followed, not submitted twice).
//
// Nothing here runs a shell: sbatch, squeue and scancel are started with their arguments as a
// list; the only shell is the job script's, where every value the product puts is quoted.

import { execFile } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { OUTPUT_MARKER, OUTPUT_MARKER_TEXT } from '../runs/discover';
import { type TrainJob, resolveJob } from '../train/config';
import { type ChildEntry, type JobEvent, type JobOutcome, type SweepEvent, defaultChildEntry, isComplete, jobProblems, sweepProgress } from '../train/engine';
import { trainingOrder } from '../train/grid';
import { partPrecision, parseQuantSpec, quantSpecName } from '../train/formats';
import { countNonEmbeddingParams } from '../train/modelConfig';
import { removeLockOfEndedJob } from '../train/runLock';
import { type Manifest, MANIFEST_FILE, METRICS_FILE, readManifest, writeJsonAtomic } from '../train/writer';
import { placeholderValues, renderCommand } from './commandTemplate';
import { ENDED_STATES, PLANNED_RUN_SCHEMA, type PlannedRun, readPlannedRun, writePlannedRun } from './plannedRun';
import { shellQuote } from './shellQuote';
import { type SlurmResources, arraySpec, jobScript, resourceProblems } from './slurmScript';
import { type TaskStatus, describeTask, parseSqueueJson, parseSqueueText } from './slurmQueue';

/** The folder, inside the sweep's output folder, that holds its job scripts, job files and logs. */
export const JOBS_FOLDER = 'slurm-jobs';
/** Between two squeue calls: often enough to see a run end, rarely enough for a busy controller. */
export const DEFAULT_POLL_MS = 10_000;
/** Polls a job this launch submitted may go unlisted by squeue before it counts as gone. */
const UNLISTED_GRACE_POLLS = 3;
/** Lines of a failed job's log kept in its planned-run.json. */
const LOG_TAIL_LINES = 12;

/** Who trains each run: the project's trainer (node on the bundled train.js), or the user's command. */
export type SlurmTrainer = { kind: 'built-in'; node?: string; entry?: ChildEntry } | { kind: 'command'; template: string };

/** The Slurm client commands, by name or path (from PATH by default). */
export interface SlurmCommands {
  sbatch: string;
  squeue: string;
  scancel: string;
}

export interface SlurmSweepOptions {
  resources?: SlurmResources;
  /** Tasks of the array running at once (%K); Slurm's limit when absent. */
  parallel?: number;
  trainer: SlurmTrainer;
  /** The folder each run's command starts in (a user's trainer finds its script from here). */
  cwd: string;
  /** The sweep's name: Slurm's job name and the script's. */
  sweepName?: string;
  /** Runs already complete are submitted again. */
  rerun?: boolean;
  /** Return once submitted; `followJobs` reports later. */
  detach?: boolean;
  pollMs?: number;
  /** Cancels: scancel of the arrays submitted here; the sweep then waits for every task to end. */
  signal?: AbortSignal;
  onProgress?: (event: SweepEvent) => void;
  /** Called once the array is submitted, before it is followed. */
  onSubmitted?: (arrayId: string, script: string) => void;
  commands?: Partial<SlurmCommands>;
}

export interface SlurmSweepResult {
  outcomes: JobOutcome[];
  /** The array this launch submitted; undefined when every run was complete or queued already. */
  arrayId?: string;
  /** The job script it wrote. */
  script?: string;
}

const DEFAULT_COMMANDS: SlurmCommands = { sbatch: 'sbatch', squeue: 'squeue', scancel: 'scancel' };

/** Runs a Slurm client command; rejects with its own error message (sbatch: error: ...). */
function slurm(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: 60_000, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const message = `${stderr}`.trim() || error.message;
        reject(new Error((error as NodeJS.ErrnoException).code === 'ENOENT' ? `${command} was not found: is this a Slurm login node (sbatch, squeue and scancel on PATH)?` : `${path.basename(command)}: ${message}`));
      } else resolve(stdout);
    });
  });
}

/** Waits `ms`, or less when `signal` aborts. */
const pause = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** The plan of one job: what planned-run.json starts with. */
export function plannedRunOf(job: TrainJob, command: string, trainer: SlurmTrainer['kind']): PlannedRun {
  const cfg = resolveJob(job);
  const spec = parseQuantSpec(job.precision);
  return {
    schema: PLANNED_RUN_SCHEMA,
    name: job.name,
    ...(job.sweep ? { sweep: job.sweep } : {}),
    params: countNonEmbeddingParams(cfg.model),
    tokens: job.tokens,
    precision: { name: quantSpecName(spec), weights: partPrecision(spec.w), activations: partPrecision(spec.a), kv: partPrecision(spec.kv) },
    model: { layers: cfg.model.depth, width: cfg.model.width, heads: cfg.model.heads, vocabSize: cfg.model.vocabSize, context: cfg.model.context },
    seed: cfg.seed,
    trainer,
    command,
    job: { state: 'planned', executor: 'slurm' },
    created: new Date().toISOString(),
  };
}

/** A real folder (not a link, not a file) at `dir`, created if missing: nothing is written through a link. */
function realFolder(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink() || !stat.isDirectory()) throw new Error(`${dir} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; the sweep writes only into real folders inside its output folder`);
}

/** The last `lines` lines of a file (its last 16 KiB at most); '' when it cannot be read. */
export function fileTail(file: string, lines = LOG_TAIL_LINES): string {
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 16 * 1024);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** What one run of the sweep is, as the follower tracks it. */
interface Tracked {
  index: number;
  /** The job as the sweep expanded it; undefined for a run found by its planned-run.json alone (`jobs`). */
  job?: TrainJob;
  runDir: string;
  plan: PlannedRun;
  /** Array and index it runs as; undefined for runs kept as complete. */
  arrayId?: string;
  task?: number;
  /** Submitted by this launch (cancelling scancels only these). */
  ours: boolean;
  /** Bytes of metrics.jsonl already read, and the last log line shown. */
  metricsOffset: number;
  lastLine?: string;
  /** The built-in trainer's start was reported. */
  started: boolean;
  /** Slurm said it was running at least once. */
  ran: boolean;
  /** Polls in a row squeue did not list it (before it was ever listed). */
  unlisted: number;
  /** The `created` of the run.json in its folder when it was submitted: an earlier run's. */
  staleCreated?: string;
  outcome?: JobOutcome;
}

/** A run of the sweep being launched. */
type SweepRun = Tracked & { job: TrainJob };

/** Whether a planned run is still queued or running on Slurm by an earlier launch's record. */
const activeElsewhere = (plan: PlannedRun | undefined): plan is PlannedRun & { job: { id: string } } =>
  plan !== undefined && plan.job.executor === 'slurm' && plan.job.id !== undefined && (plan.job.state === 'pending' || plan.job.state === 'running');

const splitId = (id: string): { arrayId: string; task: number } | undefined => {
  const m = /^(\d+)_(\d+)$/.exec(id);
  return m ? { arrayId: m[1], task: Number(m[2]) } : undefined;
};

/**
 * Submits the sweep's jobs as one array and follows them to the end (or returns after the
 * submission with `detach`). Never rejects for a run's failure: each job's outcome says it.
 * Rejects, before anything is submitted, when the jobs or resources are wrong or sbatch refuses.
 */
export async function runSlurmSweep(jobs: readonly TrainJob[], o: SlurmSweepOptions): Promise<SlurmSweepResult> {
  const problems = [...jobProblems(jobs), ...resourceProblems(o.resources ?? {})];
  if (problems.length > 0) throw new Error(problems.join('; '));
  const commands = { ...DEFAULT_COMMANDS, ...o.commands };
  const order = trainingOrder(jobs);
  const tracked: SweepRun[] = jobs.map((job, index) => ({ index, job, runDir: path.join(path.resolve(job.outDir), job.name), plan: undefined as unknown as PlannedRun, ours: false, metricsOffset: 0, started: false, ran: false, unlisted: 0 }));
  const report = sweepProgress(jobs, order, o.onProgress);

  // What to submit: not complete, and not still queued or running from an earlier launch (as
  // squeue says now: a plan that says so of a job squeue no longer lists is submitted again).
  const earlierPlans = tracked.map((t) => readPlannedRun(t.runDir));
  const earlierArrays = earlierPlans.flatMap((p) => (activeElsewhere(p) ? (splitId(p.job.id)?.arrayId ?? []) : []));
  const live = new Set(earlierArrays.length > 0 ? (await queueStatus(earlierArrays, commands)).filter((q) => !ENDED_STATES.includes(q.state)).map((q) => `${q.arrayId}_${q.index}`) : []);
  const toSubmit: SweepRun[] = [];
  for (const t of order.map((i) => tracked[i])) {
    const earlier = earlierPlans[t.index];
    const complete = o.trainer.kind === 'built-in' ? isComplete(t.runDir) : earlier?.job.state === 'complete';
    if (complete && !o.rerun) {
      t.outcome = { name: t.job.name, runDir: t.runDir, status: 'skipped' };
      report(t.index, { type: 'skip', name: t.job.name, reason: 'already complete' });
    } else if (activeElsewhere(earlier) && live.has(earlier.job.id) && splitId(earlier.job.id)) {
      Object.assign(t, { plan: earlier, ...splitId(earlier.job.id) });
      report(t.index, { type: 'note', name: t.job.name, message: `already ${earlier.job.state === 'pending' ? 'queued' : 'running'} as Slurm job ${earlier.job.id}: followed, not submitted again` });
    } else toSubmit.push(t);
  }

  let arrayId: string | undefined;
  let script: string | undefined;
  if (toSubmit.length > 0) {
    ({ arrayId, script } = await submit(toSubmit, o, commands));
    o.onSubmitted?.(arrayId, script);
    for (const t of toSubmit) report(t.index, { type: 'queue', name: t.job.name, state: 'pending', jobId: t.plan.job.id!, detail: 'submitted' });
  }
  const followed = tracked.filter((t) => t.outcome === undefined);
  if (o.detach || followed.length === 0) {
    for (const t of followed) t.outcome = { name: t.job.name, runDir: t.runDir, status: 'queued', jobId: t.plan.job.id };
    return { outcomes: tracked.map((t) => t.outcome!), arrayId, script };
  }
  await follow(followed, o, commands, report);
  return { outcomes: tracked.map((t) => t.outcome!), arrayId, script };
}

/** Writes the plans, job files and script, and submits the array; the plans then say "pending". */
async function submit(runs: SweepRun[], o: SlurmSweepOptions, commands: SlurmCommands): Promise<{ arrayId: string; script: string }> {
  const outDir = path.resolve(runs[0].job.outDir);
  const jobsDir = path.join(outDir, JOBS_FOLDER);
  realFolder(outDir);
  realFolder(jobsDir);
  // 'wx': never written through a link someone left under the name (nor over an earlier file).
  if (!existsSync(path.join(jobsDir, OUTPUT_MARKER))) writeFileSync(path.join(jobsDir, OUTPUT_MARKER), OUTPUT_MARKER_TEXT, { flag: 'wx' });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '').replace('Z', '');
  const jobName = `pp-${o.sweepName ?? path.basename(outDir)}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60);
  const base = path.join(jobsDir, `${jobName}-${stamp}`);
  const entry = o.trainer.kind === 'built-in' ? (o.trainer.entry ?? defaultChildEntry()) : undefined;
  const scriptRuns = runs.map((t) => {
    const job: TrainJob = { ...t.job, outDir, corpus: t.job.corpus?.map((p) => path.resolve(p)) };
    let command: string;
    if (o.trainer.kind === 'command') {
      command = renderCommand(o.trainer.template, placeholderValues(job, t.runDir));
    } else {
      const jobFile = path.join(jobsDir, `${job.name}.job.json`);
      writeJsonAtomic(jobFile, job);
      command = ['exec', o.trainer.node ?? 'node', ...entry!.execArgv, entry!.script, jobFile].map(shellQuote).join(' ');
    }
    realFolder(t.runDir);
    t.staleCreated = readManifest(t.runDir)?.created;
    t.plan = plannedRunOf(job, command, o.trainer.kind);
    return { name: job.name, command: o.trainer.kind === 'command' ? `mkdir -p ${shellQuote(t.runDir)} && ${command}` : command };
  });
  const script = `${base}.sbatch`;
  const output = `${jobsDir}/${jobName}-${stamp}-%A_%a.log`;
  writeFileSync(script, jobScript(scriptRuns, { jobName, output, resources: o.resources ?? {}, cwd: o.cwd, title: `Precision Planner sweep ${o.sweepName ?? ''} of ${runs.length} run(s), written ${new Date().toISOString()}`.replace(/ {2}/, ' ') }), { mode: 0o755, flag: 'wx' });
  for (const t of runs) writePlannedRun(t.runDir, t.plan);
  let printed: string;
  try {
    printed = await slurm(commands.sbatch, ['--parsable', `--array=${arraySpec(runs.length, o.parallel)}`, script]);
  } catch (error) {
    // Refused (a partition that does not exist, a limit): each run says so, not "planned" for ever.
    for (const t of runs) writePlannedRun(t.runDir, { ...t.plan, job: { ...t.plan.job, state: 'failed', reason: `not submitted: ${(error as Error).message}`, ended: new Date().toISOString() } });
    throw error;
  }
  const arrayId = printed.trim().split(';')[0];
  if (!/^\d+$/.test(arrayId)) throw new Error(`sbatch printed "${printed.trim()}", not a job id`);
  runs.forEach((t, task) => {
    Object.assign(t, { arrayId, task, ours: true });
    t.plan = { ...t.plan, job: { ...t.plan.job, state: 'pending', id: `${arrayId}_${task}`, log: output.replace('%A', arrayId).replace('%a', String(task)), submitted: new Date().toISOString() } };
    writePlannedRun(t.runDir, t.plan);
  });
  return { arrayId, script };
}

/** One squeue call for every array followed: JSON where this Slurm has it, text otherwise. */
export async function queueStatus(arrayIds: readonly string[], commands: SlurmCommands, json = { available: true }): Promise<TaskStatus[]> {
  const ids = [...new Set(arrayIds)];
  if (json.available) {
    try {
      return parseSqueueJson(await slurm(commands.squeue, ['--json', '--states=all', `--jobs=${ids.join(',')}`]), ids);
    } catch (error) {
      // An squeue without --json (before 21.08, or built without the JSON plugin) says so; anything else is real.
      if (!/json|unrecognized|invalid option|data_parser|serializ/i.test((error as Error).message)) throw error;
      json.available = false;
    }
  }
  return parseSqueueText(await slurm(commands.squeue, ['-h', '-r', '--states=all', `--jobs=${ids.join(',')}`, '-o', '%i|%T|%r']), ids);
}

/** Follows the runs until every task has ended; cancels (scancel) on the signal. */
async function follow(runs: Tracked[], o: SlurmSweepOptions, commands: SlurmCommands, report: Reporter): Promise<void> {
  const json = { available: true };
  let cancelled = false;
  const pollMs = o.pollMs ?? DEFAULT_POLL_MS;
  // A task squeue no longer lists (ended longer ago than the controller's MinJobAge) after it listed it.
  const seen = new Set<Tracked>();
  let missedPolls = 0;
  while (runs.some((t) => t.outcome === undefined)) {
    if (o.signal?.aborted && !cancelled) {
      cancelled = true;
      // Jobs an earlier launch submitted are that launch's: left queued, no longer followed.
      for (const t of runs.filter((r) => !r.ours && r.outcome === undefined)) t.outcome = { name: t.plan.name, runDir: t.runDir, status: 'queued', jobId: t.plan.job.id };
      const ours = [...new Set(runs.filter((t) => t.ours && t.outcome === undefined && t.plan.job.state !== 'planned').map((t) => t.arrayId!))];
      if (ours.length > 0) await slurm(commands.scancel, ours).catch((error: Error) => report(runs[0].index, { type: 'note', name: runs[0].plan.name, message: `scancel failed: ${error.message}` }));
    }
    let tasks: TaskStatus[];
    try {
      tasks = await queueStatus(runs.map((t) => t.arrayId!), commands, json);
      missedPolls = 0;
    } catch (error) {
      // The controller busy or restarting: try again at the next poll, say so once every few.
      if (++missedPolls % 6 === 1) report(runs[0].index, { type: 'note', name: runs[0].plan.name, message: `squeue failed (${(error as Error).message}); trying again` });
      await pause(pollMs, cancelled ? undefined : o.signal);
      continue;
    }
    const byId = new Map(tasks.map((t) => [`${t.arrayId}_${t.index}`, t]));
    for (const t of runs.filter((r) => r.outcome === undefined)) {
      const status = byId.get(`${t.arrayId}_${t.task}`);
      if (status) seen.add(t);
      update(t, status, seen.has(t), cancelled ? cancelReasonOf(o.signal) : undefined, report);
    }
    if (runs.every((t) => t.outcome !== undefined)) break;
    await pause(pollMs, cancelled ? undefined : o.signal);
  }
}

const cancelReasonOf = (signal: AbortSignal | undefined): string => `scancel by the sweep: ${typeof signal?.reason === 'string' ? signal.reason : 'cancelled'}`;

/** One run's new state: its planned-run.json, its progress, and at the end its outcome. */
function update(t: Tracked, status: TaskStatus | undefined, wasListed: boolean, cancelledBy: string | undefined, report: Reporter): void {
  const name = t.plan.name;
  if (!status) {
    // Not listed: not yet (a submission the controller has not caught up with: a few polls' grace
    // for this launch's own) or no more (ended longer ago than the controller keeps jobs: a job
    // an earlier launch left, or one this follower lost sight of). Then the run's files tell.
    if (!wasListed && ++t.unlisted < (t.ours ? UNLISTED_GRACE_POLLS : 1)) return;
    const manifest = t.plan.trainer === 'built-in' ? readManifest(t.runDir) : undefined;
    const complete = manifest?.status === 'complete';
    status = { arrayId: t.arrayId!, index: t.task!, state: complete ? 'complete' : 'failed', slurmState: complete ? 'COMPLETED' : 'UNKNOWN', slurmReason: complete ? undefined : "squeue no longer lists it, and the run's files do not say it completed (see its log)" };
  }
  const previous = t.plan.job.state;
  if (status.state !== previous) {
    const ended = ENDED_STATES.includes(status.state);
    const detail = cancelledBy && status.state === 'cancelled' ? `cancelled (${cancelledBy})` : describeTask(status);
    t.plan = {
      ...t.plan,
      job: {
        ...t.plan.job,
        state: status.state,
        executorState: status.slurmState,
        reason: detail,
        ...(status.exitCode !== undefined ? { exitCode: status.exitCode } : {}),
        ...(ended ? { ended: new Date().toISOString() } : {}),
        ...(ended && status.state !== 'complete' && t.plan.job.log ? { logTail: fileTail(t.plan.job.log) } : {}),
      },
    };
    writePlannedRun(t.runDir, t.plan);
    // A job that ended between two polls: its progress first (start, evaluations), then the end.
    if (ended) progress(t, report);
    report(t.index, { type: 'queue', name, state: status.state, jobId: t.plan.job.id ?? '', detail });
    if (ended) t.outcome = ending(t, status, report);
  }
  if (status.state === 'running') {
    t.ran = true;
    progress(t, report);
  }
}

/**
 * Whether the run.json is this job's, not one an earlier run left in the folder: written since
 * the submission (another `created` than the one there then). Compared by value, not by time: the
 * compute nodes' clocks need not agree with this one's.
 */
const isFresh = (t: Tracked, manifest: Manifest | undefined): manifest is Manifest => manifest !== undefined && manifest.created !== t.staleCreated;

/** Progress from the run's own files: metrics.jsonl of the built-in trainer, the log's last line otherwise. */
function progress(t: Tracked, report: Reporter): void {
  const name = t.plan.name;
  if (t.plan.trainer === 'built-in') {
    const manifest = readManifest(t.runDir);
    if (!isFresh(t, manifest)) return;
    const steps = Number((manifest.training as { steps?: unknown })?.steps) || 0;
    if (!t.started) {
      t.started = true;
      report(t.index, { type: 'start', name, runDir: t.runDir, params: manifest.params, steps, tokens: manifest.tokensPlanned });
    }
    const { lines, offset } = newLines(path.join(t.runDir, METRICS_FILE), t.metricsOffset);
    t.metricsOffset = offset;
    let last: Record<string, number> | undefined;
    for (const line of lines) {
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.split === 'val' && typeof record.loss === 'number') report(t.index, { type: 'eval', name, step: Number(record.step), tokens: Number(record.tokens), valLoss: record.loss });
        else if (record.split === 'train' && typeof record.loss === 'number') last = record as Record<string, number>;
      } catch {
        // Not JSON (a line cut by a crash): the reader reports it; progress goes on from the next.
      }
    }
    if (last && steps > 0) {
      const tokensPerSecond = last.tokensPerSecond ?? 0;
      const left = (steps - last.step) * (last.tokens / Math.max(1, last.step));
      report(t.index, { type: 'step', name, step: last.step, steps, tokens: last.tokens, loss: last.loss, learningRate: last.lr ?? 0, tokensPerSecond, etaSeconds: tokensPerSecond > 0 ? left / tokensPerSecond : 0 });
    }
  } else if (t.plan.job.log) {
    const line = fileTail(t.plan.job.log, 1).trim();
    if (line && line !== t.lastLine) {
      t.lastLine = line;
      report(t.index, { type: 'log', name, line });
    }
  }
}

/** Whole lines appended to `file` since `offset` (a partial last line waits for the next call). */
function newLines(file: string, offset: number): { lines: string[]; offset: number } {
  try {
    const size = statSync(file).size;
    if (size < offset) offset = 0;
    if (size === offset) return { lines: [], offset };
    const buffer = Buffer.alloc(size - offset);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, offset);
    } finally {
      closeSync(fd);
    }
    const text = buffer.toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    return { lines: text.slice(0, end).split('\n').filter(Boolean), offset: offset + Buffer.byteLength(text.slice(0, end)) };
  } catch {
    return { lines: [], offset };
  }
}

/**
 * The run's outcome once its task has ended. A built-in run whose run.json still says "running"
 * was killed before it could say more (time or memory limit, scancel before it saw the signal):
 * its run.json is closed with Slurm's reason and its lock, which no process holds now, removed.
 */
function ending(t: Tracked, status: TaskStatus, report: Reporter): JobOutcome {
  const name = t.plan.name;
  const reason = t.plan.job.reason ?? describeTask(status);
  const base = { name, runDir: t.runDir, jobId: t.plan.job.id };
  let outcome: JobOutcome;
  if (t.plan.trainer === 'built-in') {
    const manifest = readManifest(t.runDir);
    const fresh = isFresh(t, manifest);
    // Still "running": killed before it could say more. "cancelled" while Slurm says failed: the
    // SIGTERM it got was Slurm's, at the time limit; the run failed, for Slurm's reason.
    if (fresh && manifest && (manifest.status === 'running' || (manifest.status === 'cancelled' && status.state === 'failed'))) {
      const closed: Manifest = { ...manifest, status: status.state === 'cancelled' ? 'cancelled' : 'failed', ...(status.state === 'cancelled' ? { cancelReason: reason } : { error: `Slurm job ${t.plan.job.id}: ${reason}` }), updated: new Date().toISOString() };
      writeJsonAtomic(path.join(t.runDir, MANIFEST_FILE), closed);
      removeLockOfEndedJob(t.runDir, new Date());
    }
    const final = fresh ? readManifest(t.runDir) : undefined;
    if (final?.status === 'complete') outcome = { ...base, status: 'complete', valLoss: final.valLoss, tokensPerSecond: final.tokensPerSecond };
    else if (!fresh) outcome = status.state === 'cancelled' ? { ...base, status: 'not-started' } : { ...base, status: 'failed', error: `Slurm job ${t.plan.job.id}: ${reason}${t.plan.job.logTail ? `; log: ${lastLine(t.plan.job.logTail)}` : ''}` };
    else if (final?.status === 'cancelled') outcome = { ...base, status: 'cancelled', cancelReason: status.state === 'cancelled' ? reason : final.cancelReason };
    else outcome = { ...base, status: 'failed', error: final?.error ?? `Slurm job ${t.plan.job.id}: ${reason}` };
  } else if (status.state === 'complete') outcome = { ...base, status: 'complete' };
  else if (status.state === 'cancelled') outcome = { ...base, status: t.ran || existsSync(t.plan.job.log ?? '') ? 'cancelled' : 'not-started', cancelReason: reason };
  else outcome = { ...base, status: 'failed', error: `Slurm job ${t.plan.job.id}: ${reason}${t.plan.job.logTail ? `; log: ${lastLine(t.plan.job.logTail)}` : ''}` };
  report(t.index, { type: 'end', name, runDir: t.runDir, status: outcome.status === 'complete' ? 'complete' : outcome.status === 'failed' ? 'failed' : 'cancelled', ...(outcome.valLoss !== undefined ? { valLoss: outcome.valLoss } : {}), ...(outcome.error ? { error: outcome.error } : {}), ...(outcome.cancelReason ? { cancelReason: outcome.cancelReason } : {}) });
  return outcome;
}

const lastLine = (text: string): string => text.trim().split('\n').slice(-1)[0] ?? '';

type Reporter = (index: number, event: JobEvent) => void;


/** One run of a sweep as `jobs` reports it. */
export interface JobRow {
  name: string;
  runDir: string;
  jobId?: string;
  state: PlannedRun['job']['state'];
  detail: string;
  outcome?: JobOutcome;
}

/**
 * The Slurm jobs of the runs in `dir` (each run folder's planned-run.json), as one squeue call
 * sees them now, their new states written back. With `cancel`, the ones still queued or
 * running are cancelled (scancel) and followed until every one has ended.
 */
export async function slurmJobs(dir: string, o: { cancel?: boolean; cancelReason?: string; pollMs?: number; commands?: Partial<SlurmCommands>; onProgress?: (event: SweepEvent) => void } = {}): Promise<JobRow[]> {
  const commands = { ...DEFAULT_COMMANDS, ...o.commands };
  const root = path.resolve(dir);
  const entries = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== JOBS_FOLDER);
  const runs: Tracked[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const runDir = path.join(root, e.name);
    const plan = readPlannedRun(runDir);
    const id = plan?.job.executor === 'slurm' && plan.job.id ? splitId(plan.job.id) : undefined;
    if (plan && id) runs.push({ index: runs.length, runDir, plan, ...id, ours: true, metricsOffset: 0, started: false, ran: plan.job.state === 'running', unlisted: 0 });
  }
  const active = runs.filter((t) => !ENDED_STATES.includes(t.plan.job.state));
  const report = (_index: number, event: JobEvent): void => o.onProgress?.({ ...event, index: _index, position: _index, total: runs.length, sweepDone: 0 } as SweepEvent);
  if (active.length > 0) {
    if (o.cancel) {
      const controller = new AbortController();
      controller.abort(o.cancelReason ?? 'precision-planner jobs --cancel');
      await follow(active, { trainer: { kind: 'built-in' }, cwd: root, signal: controller.signal, pollMs: o.pollMs ?? 1000 }, commands, report);
    } else {
      const tasks = await queueStatus(active.map((t) => t.arrayId!), commands);
      const byId = new Map(tasks.map((t) => [`${t.arrayId}_${t.index}`, t]));
      // A task squeue does not list has ended (long enough ago to be forgotten) or never was.
      for (const t of active) update(t, byId.get(`${t.arrayId}_${t.task}`), true, undefined, report);
    }
  }
  return runs.map((t) => ({ name: t.plan.name, runDir: t.runDir, jobId: t.plan.job.id, state: t.plan.job.state, detail: t.plan.job.reason ?? t.plan.job.state, ...(t.outcome ? { outcome: t.outcome } : {}) }));
}
