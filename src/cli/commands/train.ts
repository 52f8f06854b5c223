// `train` and `sweep`: the trainer's front end on the command line. Each run is a child process
// (src/train/engine.ts); Ctrl+C, SIGTERM or SIGHUP cancels them all, and each cancelled run says
// so in its run.json. (A CLI killed outright leaves its children without a parent: they cancel
// themselves, child.ts.)
//
// Exit codes: 0 every run complete (or kept); 1 a run failed, or was cancelled by something else
// than this command (its trainer got a signal); 2 a usage error; 128 + the signal's number when
// this command was cancelled by one (130 for Ctrl+C, 143 SIGTERM, 129 SIGHUP).

import * as os from 'node:os';
import * as path from 'node:path';
import { type JobOutcome, type SweepEvent, isComplete, runSweep } from '../../train/engine';
import { type SweepGrid, expandGrid } from '../../train/grid';
import { calibrationFromFile, describeEstimate, estimateSweep, manifestFiles } from '../../train/estimate';
import type { TrainJob } from '../../train/config';
import { type CommonArgs, type SweepArgs, type TrainArgs, describeSweep, formatSweepEvent, gridFromArgs, jobFromArgs, plainProgress, summarizeOutcomes } from '../../train/options';
import { type Io, parse } from '../args';
import { CliError } from '../errors';
import { PLACEHOLDERS } from '../../sweep/commandTemplate';
import { readExecutor } from '../../sweep/executorOptions';
import { DEFAULT_POLL_MS, runSlurmSweep } from '../../sweep/slurmExecutor';

const PLACEHOLDER_LIST = Object.keys(PLACEHOLDERS).map((p) => `{${p}}`).join(' ');

export const COMMON_USAGE = `[--out DIR] [--batch 16] [--context 128] [--lr 2e-3] [--corpus PATH]...
        [--ptq-bits 8,6,5,4,3] [--ptq-groups channel,128,32] [--ptq-formats mxint8,mxint4,mxfp8,mxfp6-e2m3,mxfp4]
        [--gptq-bits 4,3] [--probe-norms 0.01,0.03,0.1,0.3] [--probe-directions 2] [--eval-tokens 32k] [--eval-every STEPS]
        [--mlp gelu|swiglu] [--positions rotary|learned] [--untied] [--json]`;

export const TRAIN_USAGE = `precision-planner train --size LxW --tokens D [--precision SPEC] [--name NAME] [--seed S]
        ${COMMON_USAGE}
  Trains one decoder-only transformer of L blocks of width W (heads of 32; "4x128h2" for 2 heads)
  on D tokens with fake-quantized training at SPEC ("fp32", "int8", "w4a8kv4", "e4m3",
  "w:e4m3,a:int8,kv:off"), then quantizes the final weights to each --ptq-bits (round to nearest,
  per channel and per group), to each microscaling --ptq-formats, and with GPTQ to each --gptq-bits,
  probes the loss under random weight noise of each --probe-norms relative size, and records it all
  in DIR/NAME (default runs/).
  Text is the Brown corpus, byte-level, unless --corpus names text files or folders.`;

export const SWEEP_USAGE = `precision-planner sweep --sizes LxW,... --tokens D,... --precisions SPEC,... [--seeds S,...]
        [--also "sizes=... tokens=... precisions=... seeds=..."]... [--parallel K] [--rerun] [--dry-run] [--name NAME]
        [--executor local|slurm] [--partition P] [--time T] [--cpus C] [--gpus G] [--mem M] [--account A]
        [--sbatch "more sbatch options"] [--command "TEMPLATE"] [--node PATH] [--detach] [--poll SECONDS]
        ${COMMON_USAGE}
  Trains every combination of sizes x token budgets x precisions (x seeds), K at once (default:
  the CPU cores), largest first. Each --also adds one more cross product to the same sweep (a
  setting it leaves out is the main grid's; a run in two is trained once): each part's precision
  varied alone at one size, a second seed of a few cells. Runs already complete in DIR are kept
  unless --rerun.
  --executor slurm submits the runs as one Slurm job array (K at once: --array=0-N%K) with the
  resources given, follows it until every job has ended (Ctrl+C: scancel) or returns at once with
  --detach, and writes the job script, logs and job files in DIR/slurm-jobs/. Each run is trained
  by the built-in trainer (node on the bundled train.js; --node names the compute nodes' node) or
  by --command, a template filled in per run: ${PLACEHOLDER_LIST}.
  Each value is quoted for the shell; write the logs into {out}, in any format the readers know.`;

export const JOBS_USAGE = `precision-planner jobs DIR [--cancel] [--json]
  The Slurm jobs of the sweeps in DIR (their runs' planned-run.json), as squeue sees them now;
  their state is written back to each run. --cancel cancels the ones still queued or running
  (scancel) and waits until they have ended.`;

export const COMMON_OPTIONS = {
  out: { type: 'string' },
  batch: { type: 'string' },
  context: { type: 'string' },
  lr: { type: 'string' },
  corpus: { type: 'string', multiple: true },
  'ptq-bits': { type: 'string' },
  'ptq-groups': { type: 'string' },
  'ptq-formats': { type: 'string' },
  'gptq-bits': { type: 'string' },
  'probe-norms': { type: 'string' },
  'probe-directions': { type: 'string' },
  'eval-tokens': { type: 'string' },
  'eval-every': { type: 'string' },
  mlp: { type: 'string' },
  positions: { type: 'string' },
  untied: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Values = Record<string, string | boolean | string[] | undefined>;

export function commonArgs(v: Values): CommonArgs {
  const s = (key: string): string | undefined => v[key] as string | undefined;
  return {
    out: s('out'),
    batch: s('batch'),
    context: s('context'),
    lr: s('lr'),
    corpus: v.corpus as string[] | undefined,
    ptqBits: s('ptq-bits'),
    ptqGroups: s('ptq-groups'),
    ptqFormats: s('ptq-formats'),
    gptqBits: s('gptq-bits'),
    probeNorms: s('probe-norms'),
    probeDirections: s('probe-directions'),
    evalTokens: s('eval-tokens'),
    evalEvery: s('eval-every'),
    mlp: s('mlp'),
    positions: s('positions'),
    untied: v.untied === true,
  };
}

/** A flag's text when it was given (a boolean or repeated flag is no text). */
const stringFlag = (values: Values, flag: string): string | undefined => (typeof values[flag] === 'string' ? (values[flag] as string) : undefined);

/** Option errors from the shared validation become usage errors (exit code 2). */
export function checked<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];
const exitCodeOf = (signal: StopSignal): number => 128 + (os.constants.signals[signal] ?? 0);

/**
 * Cancels on the first Ctrl+C, SIGTERM or SIGHUP (the runs close their run.json); a second one
 * exits at once (the children, left without a parent, cancel themselves).
 */
function interruptible(io: Io): { signal: AbortSignal; stoppedBy(): StopSignal | undefined; dispose(): void } {
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const handlers = STOP_SIGNALS.map((name) => {
    const handler = (): void => {
      if (controller.signal.aborted) process.exit(exitCodeOf(stoppedBy ?? name));
      stoppedBy = name;
      // SIGHUP: the terminal is gone, nothing to tell.
      if (name !== 'SIGHUP') io.err(`\ncancelling${name === 'SIGINT' ? '' : ` (${name})`}: the runs stop after their current step (Ctrl+C again to quit now)`);
      controller.abort(`${name === 'SIGINT' ? 'Ctrl+C' : name} received by the command that started it`);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    stoppedBy: () => stoppedBy,
    dispose: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}

/**
 * Runs the jobs and prints their progress: on a terminal (io.progress), a status line rewritten
 * in place; otherwise (a file, a pipe, a CI log) a plain line per run every few seconds. Start,
 * end and evaluation lines are printed either way.
 */
async function execute(run: (signal: AbortSignal, onProgress: (event: SweepEvent) => void) => Promise<JobOutcome[]>, json: boolean, io: Io): Promise<number> {
  const { signal, stoppedBy, dispose } = interruptible(io);
  const plain = io.progress ? undefined : plainProgress();
  const onProgress = (event: SweepEvent): void => {
    if (json) {
      if (event.type !== 'step') io.out(JSON.stringify(event));
      return;
    }
    const line = formatSweepEvent(event);
    if (line === undefined) return;
    if (event.type !== 'step') {
      io.progress?.('');
      io.out(line);
    } else if (io.progress) io.progress(line);
    else if (plain?.(event)) io.out(line);
  };
  let outcomes: JobOutcome[];
  try {
    outcomes = await run(signal, onProgress);
  } finally {
    dispose();
    io.progress?.('');
  }
  const failed = outcomes.filter((o) => o.status === 'failed');
  // Cancelled, and not by this command: their trainer was stopped from outside (a signal).
  const stopped = signal.aborted ? [] : outcomes.filter((o) => o.status === 'cancelled');
  if (!json) {
    io.out(summarizeOutcomes(outcomes));
    for (const f of failed) io.err(`failed: ${f.name}: ${f.error ?? 'unknown error'}`);
    for (const c of stopped) io.err(`cancelled: ${c.name}: ${c.cancelReason ?? 'its trainer was stopped'} (${c.runDir})`);
  }
  const by = stoppedBy();
  if (by) return exitCodeOf(by);
  return failed.length > 0 || stopped.length > 0 ? 1 : 0;
}

/** What reading the grid changed (duplicates dropped), before anything runs. */
const printNotes = (notes: readonly string[] | undefined, io: Io): void => {
  for (const note of notes ?? []) io.err(`note: ${note}`);
};

/** How long the sweep should take, from the complete runs in its output folder (or built-in figures). */
function sweepEstimate(grid: SweepGrid, jobs: TrainJob[], parallel: number, rerun: boolean): string {
  const calibrations = manifestFiles([grid.outDir]).flatMap((file) => calibrationFromFile(file) ?? []);
  const kept = (job: TrainJob): boolean => !rerun && isComplete(path.join(path.resolve(job.outDir), job.name));
  return describeEstimate(estimateSweep(jobs, { parallel, cores: os.availableParallelism(), calibrations, kept }), `in ${grid.outDir}`);
}

export async function trainCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { ...COMMON_OPTIONS, size: { type: 'string' }, tokens: { type: 'string' }, precision: { type: 'string' }, name: { type: 'string' }, seed: { type: 'string' } });
  if (values.help) return io.out(TRAIN_USAGE), 0;
  if (values.size === undefined) throw new CliError('--size is required (layers x width, for example 4x128)', 2);
  if (values.tokens === undefined) throw new CliError('--tokens is required (for example 2M)', 2);
  const args: TrainArgs = { ...commonArgs(values), size: values.size, tokens: values.tokens, precision: values.precision, name: values.name, seed: values.seed };
  const job = checked(() => jobFromArgs(args));
  return execute((signal, onProgress) => runSweep([job], { signal, parallel: 1, rerun: true, onProgress }), values.json === true, io);
}

/** The flags of a sweep's grid, shared by `sweep` and `design`. */
export const GRID_OPTIONS = {
  ...COMMON_OPTIONS,
  sizes: { type: 'string' },
  tokens: { type: 'string' },
  precisions: { type: 'string' },
  seeds: { type: 'string' },
  also: { type: 'string', multiple: true },
  parallel: { type: 'string' },
} as const;

/** The grid the flags give, or a CliError (exit 2) naming the flag that is missing or wrong. */
export function gridFromFlags(values: Values, name?: string): ReturnType<typeof gridFromArgs> {
  for (const flag of ['sizes', 'tokens', 'precisions'] as const) {
    if (typeof values[flag] !== 'string') throw new CliError(`--${flag} is required`, 2);
  }
  const text = (flag: string): string | undefined => stringFlag(values, flag);
  const args: SweepArgs = { ...commonArgs(values), sizes: text('sizes')!, tokens: text('tokens')!, precisions: text('precisions')!, seeds: text('seeds'), also: values.also as string[] | undefined, name };
  return checked(() => gridFromArgs(args));
}

export async function sweepCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    ...GRID_OPTIONS,
    name: { type: 'string' },
    rerun: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    executor: { type: 'string' },
    partition: { type: 'string' },
    time: { type: 'string' },
    cpus: { type: 'string' },
    gpus: { type: 'string' },
    mem: { type: 'string' },
    account: { type: 'string' },
    sbatch: { type: 'string' },
    command: { type: 'string' },
    node: { type: 'string' },
    detach: { type: 'boolean' },
    poll: { type: 'string' },
  });
  const text = (flag: string): string | undefined => stringFlag(values, flag);
  if (values.help) return io.out(SWEEP_USAGE), 0;
  const grid = gridFromFlags(values, values.name);
  const parallel = values.parallel === undefined ? os.availableParallelism() : Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1) throw new CliError(`--parallel: "${values.parallel}" is not a positive whole number`, 2);
  const rerun = values.rerun === true;
  const { choice, problems } = readExecutor({ executor: text('executor'), partition: text('partition'), time: text('time'), cpus: text('cpus'), gpus: text('gpus'), mem: text('mem'), account: text('account'), sbatch: text('sbatch'), command: text('command'), node: text('node') }, (field) => `--${field}`);
  if (!choice) throw new CliError(problems.join('; '), 2);
  const slurm = choice.executor === 'slurm';
  if (!slurm && (values.detach || values.poll !== undefined)) throw new CliError('--detach and --poll: only with --executor slurm', 2);
  const pollSeconds = values.poll === undefined ? DEFAULT_POLL_MS / 1000 : Number(values.poll);
  if (!(pollSeconds >= 0.2)) throw new CliError(`--poll: "${values.poll}" is not a number of seconds (at least 0.2)`, 2);
  printNotes(grid.notes, io);
  const jobs = expandGrid(grid);
  if (values['dry-run']) {
    const lines = describeSweep(jobs, (job) => (!rerun && isComplete(path.join(path.resolve(job.outDir), job.name)) ? 'already complete, kept' : undefined));
    io.out([`${lines.length} run(s) in ${grid.outDir}, ${parallel} at once, in the order they train:`, ...lines, `Estimated time: ${sweepEstimate(grid, jobs, parallel, rerun)}`].join('\n'));
    return 0;
  }
  if (slurm) {
    const explicitParallel = values.parallel === undefined ? undefined : parallel;
    if (values.json !== true) io.out(`${jobs.length} run(s) in ${grid.outDir} on Slurm, ${explicitParallel ? `${explicitParallel} at once` : 'as many at once as the cluster allows'}${values.detach ? '; not followed (--detach)' : ''}`);
    return execute(async (signal, onProgress) => {
      const onSubmitted = (arrayId: string, script: string): void => (values.json === true ? io.out(JSON.stringify({ type: 'submitted', arrayId, script })) : io.out(`submitted as Slurm job array ${arrayId}; job script ${script}`));
      const result = await runSlurmSweep(jobs, { ...choice, parallel: explicitParallel, cwd: process.cwd(), sweepName: values.name ?? path.basename(path.resolve(grid.outDir)), rerun, detach: values.detach === true, pollMs: pollSeconds * 1000, signal, onProgress, onSubmitted }).catch((error: Error) => {
        throw new CliError(error.message, 1);
      });
      if (values.json !== true && values.detach) io.out(`follow it with: precision-planner jobs ${grid.outDir}`);
      return result.outcomes;
    }, values.json === true, io);
  }
  if (values.json !== true) io.out(`${jobs.length} run(s) in ${grid.outDir}, ${parallel} at once; estimated time: ${sweepEstimate(grid, jobs, parallel, rerun)}`);
  return execute((signal, onProgress) => runSweep(jobs, { signal, parallel, rerun, onProgress }), values.json === true, io);
}
