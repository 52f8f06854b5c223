// How long a sweep will take, before it starts: each run's work in FLOPs (training ≈ 6·N·D plus
// attention, and the forward passes of its validations, PTQ evaluations and noise probes),
// divided by the throughput measured in complete runs (their run.json records tokens/s and wall
// time), or by built-in figures when there are none; then the runs are laid out on the parallel
// slots in the order the sweep trains them. Pure apart from reading run directories; no VS Code.

import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { type TrainJob, resolveJob } from './config';
import { trainingOrder } from './grid';
import { type ModelConfig, countNonEmbeddingParams, mlpHidden } from './modelConfig';
import { MANIFEST_FILE, METRICS_FILE } from './writer';

/** Throughput measured on one run (or a built-in figure): what an estimate divides work by. */
export interface Calibration {
  /** Training FLOPs per token of the model it was measured on. */
  flopsPerToken: number;
  /** Training FLOP/s of one run (steps only: evaluation excluded). */
  trainRate: number;
  /** Forward FLOP/s over the rest of the run's wall time: start-up, validation, PTQ, probes. */
  evalRate: number;
}

/**
 * Training FLOPs per token: 6 per weight of the blocks and of the output projection (forward
 * and backward), plus the attention scores and their weighted sum over the context (12·L·T·d).
 */
export function flopsPerToken(model: ModelConfig): number {
  return 6 * (countNonEmbeddingParams(model) + model.vocabSize * model.width) + 12 * model.depth * model.context * model.width;
}

/** Evaluations of the validation set a job makes: periodic, final, one per PTQ format, the probe's. */
export function evaluationCount(job: TrainJob): number {
  const cfg = resolveJob(job);
  const steps = Math.max(1, Math.ceil(cfg.tokens / (cfg.batchSize * cfg.model.context)));
  const periodic = cfg.evalEvery > 0 ? Math.floor((steps - 1) / cfg.evalEvery) : 0;
  // A group size is used when it divides every linear layer's input (the width and the MLP's hidden size).
  const hidden = mlpHidden(cfg.model);
  const groups = cfg.ptq.groups.filter((g) => g === null || (cfg.model.width % g === 0 && hidden % g === 0)).length;
  const ptq = groups * cfg.ptq.bits.length + cfg.ptq.formats.length + cfg.ptq.gptqBits.length;
  return periodic + 1 + ptq + cfg.ptq.probeNorms.length * cfg.ptq.probeDirections;
}

/** A job's work: FLOPs of its training steps and of its evaluations' forward passes. */
export function jobWork(job: TrainJob): { flopsPerToken: number; trainFlops: number; evalFlops: number } {
  const cfg = resolveJob(job);
  const t = cfg.model.context;
  const perStep = cfg.batchSize * t;
  const trainTokens = Math.max(1, Math.ceil(cfg.tokens / perStep)) * perStep;
  // The validation set is whole windows of the context (validationWindows), at most evalTokens.
  const evalTokens = Math.max(t, Math.floor(cfg.evalTokens / t) * t);
  const fpt = flopsPerToken(cfg.model);
  return { flopsPerToken: fpt, trainFlops: trainTokens * fpt, evalFlops: (evaluationCount(job) * evalTokens * fpt) / 3 };
}

// --- measured throughput ---------------------------------------------------------------------

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

/**
 * The throughput of a complete run written by this trainer, from its run.json (and the number
 * of validations in its metrics.jsonl); undefined for anything else.
 */
export function calibrationFromManifest(manifest: unknown, validations = 1): Calibration | undefined {
  if (!manifest || typeof manifest !== 'object') return undefined;
  const m = manifest as Record<string, unknown>;
  if (m.schemaVersion !== 1 || m.status !== 'complete') return undefined;
  const model = m.model as Partial<ModelConfig> | undefined;
  const data = m.data as Record<string, unknown> | undefined;
  const [tokens, tokensPerSecond, wallSeconds] = [num(m.tokens), num(m.tokensPerSecond), num(m.wallSeconds)];
  if (!model || !tokens || !tokensPerSecond || !wallSeconds || !num(model.width) || !num(model.depth) || !num(model.context) || !num(model.vocabSize)) return undefined;
  const config: ModelConfig = { mlp: 'gelu', positions: 'rotary', tiedEmbeddings: true, heads: 1, ...model } as ModelConfig;
  const fpt = flopsPerToken(config);
  const trainSeconds = tokens / tokensPerSecond;
  const rest = wallSeconds - trainSeconds;
  const evalTokens = num(data?.validationTokens);
  if (rest <= 0 || !evalTokens) return undefined;
  const probes = Array.isArray(m.landscape) ? m.landscape.reduce((n: number, p: { directions?: unknown }) => n + (num(p?.directions) ?? 1), 0) : 0;
  const evaluations = Math.max(1, validations) + (Array.isArray(m.ptq) ? m.ptq.length : 0) + probes;
  return { flopsPerToken: fpt, trainRate: tokensPerSecond * fpt, evalRate: (evaluations * evalTokens * fpt) / 3 / rest };
}

/** The calibration of one run.json file (its metrics.jsonl beside it, when present, gives the validations). */
export function calibrationFromFile(file: string): Calibration | undefined {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  let validations = 1;
  try {
    validations = readFileSync(path.join(path.dirname(file), METRICS_FILE), 'utf8').split('"split":"val"').length - 1;
  } catch {
    // No curve: the final validation only.
  }
  return calibrationFromManifest(manifest, validations);
}

/**
 * Tokens in one pass of the training text, the fewest any of these run.json files records
 * (data.tokensPerPass): the budget past which a run of this trainer repeats its data. Undefined
 * when none records it.
 */
export function tokensPerPassOf(files: readonly string[]): number | undefined {
  let fewest: number | undefined;
  for (const file of files) {
    try {
      const n = num((JSON.parse(readFileSync(file, 'utf8')) as { data?: { tokensPerPass?: unknown } }).data?.tokensPerPass);
      if (n && (fewest === undefined || n < fewest)) fewest = n;
    } catch {
      // Not a manifest of this trainer: says nothing of its data.
    }
  }
  return fewest;
}

/** The run.json files one level below each folder (a sweep's output folder holds one run per folder). */
export function manifestFiles(dirs: readonly string[]): string[] {
  return dirs.flatMap((dir) => {
    try {
      return readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => path.join(dir, e.name, MANIFEST_FILE));
    } catch {
      return [];
    }
  });
}

/**
 * Built-in figures, for a workspace with no complete runs: the slower quartile of the 48 runs in
 * examples/runs (2 blocks of 32 up to 4 of 128, 150k to 600k tokens, trained 2 at once on a
 * 2-core machine, PTQ of 14 formats and a probe of 8 evaluations on 16k validation tokens).
 */
export const BUILT_IN_CALIBRATIONS: readonly Calibration[] = [
  { flopsPerToken: 295_872, trainRate: 4.8e9, evalRate: 5.4e9 },
  { flopsPerToken: 886_656, trainRate: 7.0e9, evalRate: 7.6e9 },
  { flopsPerToken: 2_584_512, trainRate: 8.2e9, evalRate: 8.7e9 },
  { flopsPerToken: 5_708_544, trainRate: 8.3e9, evalRate: 9.4e9 },
];
/** Where the built-in figures come from, for the estimate's wording. */
export const BUILT_IN_SOURCE = 'built-in figures measured on a 2-core machine, 2 runs at once';

// --- the estimate ------------------------------------------------------------------------------

/**
 * Seconds each run spends before its run.json starts counting (its wall time leaves them out):
 * starting the child, the wasm backend, loading the corpus. Measured with the bundled trainer:
 * 4 tiny runs one at once took 22.8 s and their run.json files add up to 20.7 s, 0.5 s a run
 * (from the TypeScript sources through tsx, 2.6 s a run); rounded up.
 */
export const START_SECONDS = 1;

export interface SweepEstimateOptions {
  /** Runs at once. */
  parallel: number;
  /** CPU cores: more runs at once than cores share them, each slower. */
  cores: number;
  /** Measured throughput; empty: the built-in figures. */
  calibrations?: readonly Calibration[];
  /** Jobs the sweep keeps without training (already complete). */
  kept?: (job: TrainJob) => boolean;
}

export interface SweepEstimate {
  /** Wall time of the sweep. */
  seconds: number;
  /** Each job's own time, in the jobs' order (0 for kept ones). */
  jobSeconds: number[];
  /** Jobs to train, and jobs kept. */
  runs: number;
  kept: number;
  /** Runs at once, and the cores they share. */
  slots: number;
  cores: number;
  /** Complete runs measured from; 0: built-in figures. */
  measuredRuns: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Calibrations nearest in FLOPs per token (throughput depends most on model size). */
const NEAREST = 8;

/** Seconds one job takes once started (as its run.json counts), from the calibrations of the most similar models. */
export function jobSeconds(job: TrainJob, calibrations: readonly Calibration[]): number {
  const work = jobWork(job);
  const near = [...calibrations].sort((a, b) => Math.abs(Math.log(a.flopsPerToken / work.flopsPerToken)) - Math.abs(Math.log(b.flopsPerToken / work.flopsPerToken))).slice(0, NEAREST);
  return work.trainFlops / median(near.map((c) => c.trainRate)) + work.evalFlops / median(near.map((c) => c.evalRate));
}

export function estimateSweep(jobs: readonly TrainJob[], options: SweepEstimateOptions): SweepEstimate {
  const calibrations = options.calibrations?.length ? options.calibrations : BUILT_IN_CALIBRATIONS;
  const kept = jobs.map((job) => options.kept?.(job) ?? false);
  const runs = kept.filter((k) => !k).length;
  const cores = Math.max(1, options.cores);
  const slots = Math.max(1, Math.min(options.parallel, runs));
  const slowdown = Math.max(1, slots / cores);
  const times = jobs.map((job, i) => (kept[i] ? 0 : (START_SECONDS + jobSeconds(job, calibrations)) * slowdown));
  // As the engine does: the next job in the training order goes to the first free slot.
  const free = new Array<number>(slots).fill(0);
  for (const index of trainingOrder(jobs)) {
    if (kept[index]) continue;
    const slot = free.indexOf(Math.min(...free));
    free[slot] += times[index];
  }
  return { seconds: Math.max(...free), jobSeconds: times, runs, kept: jobs.length - runs, slots, cores, measuredRuns: options.calibrations?.length ?? 0 };
}

/** "about 3 minutes", "about 1.5 hours", "under a minute". */
export function aboutDuration(seconds: number): string {
  if (seconds < 60) return 'under a minute';
  const minutes = seconds / 60;
  if (minutes < 90) return `about ${Math.max(1, Math.round(minutes))} minute${Math.round(minutes) === 1 ? '' : 's'}`;
  const hours = minutes / 60;
  return `about ${hours < 10 ? hours.toFixed(1) : Math.round(hours)} hours`;
}

/**
 * One line: "about 17 minutes on 2 cores, 2 runs at once (from the throughput of 48 complete runs
 * in this workspace)". `where` says where measured runs were looked for.
 */
export function describeEstimate(e: SweepEstimate, where: string): string {
  if (e.runs === 0) return `nothing to train: all ${e.kept} run(s) are already complete`;
  const source = e.measuredRuns > 0 ? `from the throughput of ${e.measuredRuns} complete run${e.measuredRuns === 1 ? '' : 's'} ${where}` : `from ${BUILT_IN_SOURCE}: no complete runs ${where} to measure`;
  const kept = e.kept > 0 ? `; ${e.kept} already complete run(s) kept` : '';
  return `${aboutDuration(e.seconds)} on ${e.cores} core${e.cores === 1 ? '' : 's'}, ${e.slots} run${e.slots === 1 ? '' : 's'} at once (${source})${kept}`;
}
