// fit(): runs in, a FitResult out. Returns a plain serializable object and never prints,
// like scipy.optimize's result objects; the CLI, hover and dashboard each render it their way.

import { CONSTANT_NAMES, type ConstantName, type Constants } from '../law/constants';
import type { LawDomain, TokenizerDomain } from '../law/domain';
import type { Run } from '../runs/run';
import { fittedDomain, tokenizerDomain } from './domain';
import { pointTable, predictAll, toConstants, toVector } from './gradient';
import { type Metrics, metrics, percentile } from './metrics';
import { type FitOptions, resolveFitOptions } from './options';
import { type FitPoint, type SkippedRun, pointsFromRuns } from './points';
import { seededRandom } from './random';
import { type ConstantOrigin, type StageReport, fitStages } from './stages';
import { type FitCoverage, fitCoverage } from './coverage';
import { type ResidualScale, residualScale } from './interval';

export const FIT_SCHEMA = 'precision-planner/fit@1';

export interface PointResult {
  runId: string;
  kind: 'train' | 'ptq';
  params: number;
  tokens: number;
  precision: { w: number; a: number; kv: number };
  post?: number;
  observed: number;
  predicted: number;
  /** Runs of the largest model size are refitted without them; this is that refit's prediction. */
  heldOutPrediction?: number;
  file?: string;
  line?: number;
}

export interface HeldOutReport {
  /** The model size held out (the largest in the data). */
  params: number;
  runs: number;
  all: Metrics | null;
  train: Metrics | null;
  ptq: Metrics | null;
}

export interface DataSummary {
  runs: number;
  skippedRuns: SkippedRun[];
  points: number;
  trainPoints: number;
  ptqPoints: number;
  sizes: number[];
  tokenRange: [number, number] | null;
  /** Distinct training precisions as "w/a/kv" bits. */
  precisions: string[];
  postBits: number[];
}

export interface FitResult {
  schema: typeof FIT_SCHEMA;
  /**
   * True when the fit may replace the constants in use: the loss level (the Chinchilla stage)
   * was fitted and the fitted law predicts these points better than the preset does. When
   * false, `message` says why and `rejected` holds the reason on its own.
   */
  ok: boolean;
  message: string;
  /** Why a fit whose stages ran is still not to be used (absent when `ok`, or when nothing was fitted). */
  rejected?: string;
  constants: Constants;
  origin: Record<ConstantName, ConstantOrigin>;
  /** 95% bootstrap intervals of fitted constants. */
  intervals: Partial<Record<ConstantName, [number, number]>>;
  bootstrap: { replicates: number; succeeded: number; seed: number; samples: number[][] } | null;
  /**
   * Run-to-run scale of log-loss (end of training, after PTQ) that prediction intervals add to
   * the bootstrap's confidence band. Absent in fits saved before it existed.
   */
  residualScale?: ResidualScale;
  /** Held-out coverage of both 95% intervals; null without a bootstrap (no band to cover with). */
  coverage?: FitCoverage | null;
  stages: StageReport[];
  metrics: {
    all: Metrics | null;
    train: Metrics | null;
    ptq: Metrics | null;
    /** R^2 etc. of the predicted degradation delta_PTQ against the observed one. */
    degradation: Metrics | null;
    heldOut: HeldOutReport | { skipped: string } | null;
    /** The preset's errors on the same points: the bar a fit must clear to be used. */
    preset: Metrics | null;
  };
  points: PointResult[];
  data: DataSummary;
  /**
   * What the fit covers (LAW.md §8a): N, D, D/N and 6ND ranges, the precisions each part trained at
   * and whether it varied apart from the others, the runs' tokenizer and loss unit, and where each
   * constant came from. Predictions say where they stand against it.
   */
  domain: LawDomain;
  options: Omit<FitOptions, 'onProgress' | 'preset'> & { preset: Constants };
  warnings: string[];
}

const distinct = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

function summarize(points: readonly FitPoint[], runs: number, skippedRuns: SkippedRun[]): DataSummary {
  const tokens = points.map((p) => p.tokens);
  return {
    runs,
    skippedRuns,
    points: points.length,
    trainPoints: points.filter((p) => p.kind === 'train').length,
    ptqPoints: points.filter((p) => p.kind === 'ptq').length,
    sizes: distinct(points.map((p) => p.params)),
    tokenRange: tokens.length > 0 ? [Math.min(...tokens), Math.max(...tokens)] : null,
    precisions: [...new Set(points.map((p) => `${p.precision.w}/${p.precision.a}/${p.precision.kv}`))].sort(),
    postBits: distinct(points.flatMap((p) => (p.post !== undefined ? [p.post] : []))),
  };
}

function predictPoints(vector: Float64Array, points: readonly FitPoint[]): number[] {
  return Array.from(predictAll(vector, pointTable(points), 'unified'));
}

function metricSet(points: readonly FitPoint[], predicted: readonly number[]) {
  const pick = (keep: (p: FitPoint) => boolean) => {
    const idx = points.map((p, i) => (keep(p) ? i : -1)).filter((i) => i >= 0 && Number.isFinite(predicted[i]));
    return metrics(
      idx.map((i) => points[i].loss),
      idx.map((i) => predicted[i]),
    );
  };
  return { all: pick(() => true), train: pick((p) => p.kind === 'train'), ptq: pick((p) => p.kind === 'ptq') };
}

function degradationMetrics(vector: Float64Array, points: readonly FitPoint[]): Metrics | null {
  const ptq = points.filter((p) => p.kind === 'ptq' && p.trainLoss !== undefined);
  const predicted = Array.from(predictAll(vector, pointTable(ptq), 'ptq'), (x, i) => x - (ptq[i].trainLoss as number));
  return metrics(
    ptq.map((p) => p.loss - (p.trainLoss as number)),
    predicted,
  );
}

function heldOutCheck(points: readonly FitPoint[], options: FitOptions, warm: Float64Array): { report: HeldOutReport | { skipped: string }; predictions: Map<FitPoint, number> } {
  const predictions = new Map<FitPoint, number>();
  const sizes = distinct(points.map((p) => p.params));
  if (sizes.length < 3) return { report: { skipped: `needs >= 3 model sizes to hold the largest out; have ${sizes.length}` }, predictions };
  const largest = sizes[sizes.length - 1];
  const kept = points.filter((p) => p.params !== largest);
  const held = points.filter((p) => p.params === largest);
  const refit = fitStages(kept, options, { vector: warm });
  if (refit.stages[0].status !== 'fitted') {
    return { report: { skipped: `without the largest size: ${refit.stages[0].reason}` }, predictions };
  }
  const predicted = predictPoints(refit.vector, held);
  held.forEach((p, i) => predictions.set(p, predicted[i]));
  return {
    report: { params: largest, runs: new Set(held.map((p) => p.runId)).size, ...metricSet(held, predicted) },
    predictions,
  };
}

function bootstrapIntervals(
  points: readonly FitPoint[],
  options: FitOptions,
  estimate: Float64Array,
  fitted: readonly ConstantName[],
): { samples: number[][]; succeeded: number } {
  const byRun = new Map<string, FitPoint[]>();
  for (const p of points) byRun.set(p.runId, [...(byRun.get(p.runId) ?? []), p]);
  const runIds = [...byRun.keys()];
  const random = seededRandom(options.seed);
  const samples: number[][] = [];

  for (let b = 0; b < options.bootstrap; b++) {
    const resampled = Array.from({ length: runIds.length }, () => byRun.get(runIds[Math.floor(random() * runIds.length)]) ?? []).flat();
    const refit = fitStages(resampled, options, { vector: estimate, only: true });
    const origin = refit.origin;
    if (fitted.every((name) => origin[name] === 'fitted')) samples.push(Array.from(refit.vector));
    options.onProgress?.(b + 1, options.bootstrap, 'bootstrap');
  }
  return { samples, succeeded: samples.length };
}

/**
 * Whether a fit whose stages ran should be used instead of the preset, and why not. Every
 * prediction starts from the loss level, so a fit without it (the other stages fitted on top of
 * the preset's A, alpha, B, beta, E from another data set) is not used; nor is one that predicts
 * its own points worse than the preset, or worse than their mean.
 */
export function rejection(stages: readonly StageReport[], fitted: Metrics | null, preset: Metrics | null): string | undefined {
  const chinchilla = stages.find((s) => s.name === 'chinchilla');
  if (chinchilla?.status !== 'fitted') return `the loss level (A, alpha, B, beta, E) could not be fitted: ${chinchilla?.reason ?? 'no Chinchilla stage'}`;
  if (!fitted || !Number.isFinite(fitted.rmse)) return 'the fitted law gives no finite prediction for these runs';
  if (preset && Number.isFinite(preset.rmse) && fitted.rmse >= preset.rmse) {
    return `it predicts its own runs worse than the preset (RMSE ${fitted.rmse.toPrecision(3)} vs ${preset.rmse.toPrecision(3)} nats)`;
  }
  if (Number.isFinite(fitted.r2) && fitted.r2 < 0) return `it predicts its own runs worse than their mean loss (R² ${fitted.r2.toFixed(2)})`;
  return undefined;
}

export function fitPoints(
  points: readonly FitPoint[],
  partial: Partial<FitOptions> = {},
  context: { runs?: number; skippedRuns?: SkippedRun[]; tokenizer?: TokenizerDomain } = {},
): FitResult {
  const options = resolveFitOptions(partial);
  const { onProgress, ...rest } = options;
  const data = summarize(points, context.runs ?? new Set(points.map((p) => p.runId)).size, context.skippedRuns ?? []);
  const staged = fitStages(points, options);
  onProgress?.(0, options.bootstrap, 'stages');
  const fittedNames = CONSTANT_NAMES.filter((n) => staged.origin[n] === 'fitted');
  const warnings: string[] = [];
  for (const s of staged.stages) if (s.status === 'skipped' && s.name !== 'joint') warnings.push(`${s.name} stage skipped: ${s.reason}; its constants are the preset's`);
  const predicted = predictPoints(staged.vector, points);
  const scale = residualScale(points, predicted, staged.stages);
  const own = metricSet(points, predicted);
  const presetMetrics = metricSet(points, predictPoints(toVector(options.preset), points)).all;
  const rejected = fittedNames.length > 0 ? rejection(staged.stages, own.all, presetMetrics) : undefined;
  const ok = fittedNames.length > 0 && rejected === undefined;
  const held = ok && options.heldOut ? heldOutCheck(points, options, staged.vector) : null;
  let bootstrap: FitResult['bootstrap'] = null;
  const intervals: FitResult['intervals'] = {};
  if (ok && options.bootstrap > 0) {
    const { samples, succeeded } = bootstrapIntervals(points, options, staged.vector, fittedNames);
    bootstrap = { replicates: options.bootstrap, succeeded, seed: options.seed, samples };
    if (succeeded < options.bootstrap) warnings.push(`${options.bootstrap - succeeded} of ${options.bootstrap} bootstrap replicates could not fit every stage and were left out`);
    if (succeeded >= 2) {
      for (const name of fittedNames) {
        const column = samples.map((s) => s[CONSTANT_NAMES.indexOf(name)]);
        intervals[name] = [percentile(column, 0.025), percentile(column, 0.975)];
      }
    }
  }
  const coverage = ok && bootstrap && bootstrap.succeeded >= 2 ? fitCoverage(points, options, staged.vector, bootstrap.samples, scale, bootstrapIntervals) : null;
  const fittedStages = staged.stages.filter((s) => s.status === 'fitted').map((s) => s.name).join(', ');
  const message = ok
    ? `fitted ${fittedStages} on ${data.runs} runs (${data.points} points)`
    : rejected !== undefined
      ? `the fit of ${data.runs} runs (${fittedStages}) is not used: ${rejected}`
      : `nothing could be fitted: ${staged.stages
        .filter((s) => s.status === 'skipped' && s.name !== 'joint')
        .map((s) => `${s.name}: ${s.reason}`)
        .join('; ')}`;
  return {
    schema: FIT_SCHEMA,
    ok,
    message,
    ...(rejected !== undefined ? { rejected } : {}),
    constants: toConstants(staged.vector),
    origin: staged.origin,
    intervals,
    bootstrap,
    residualScale: scale,
    coverage,
    stages: staged.stages,
    metrics: {
      ...own,
      degradation: degradationMetrics(staged.vector, points),
      heldOut: held?.report ?? null,
      preset: presetMetrics,
    },
    points: points.map((p, i) => ({
      runId: p.runId,
      kind: p.kind,
      params: p.params,
      tokens: p.tokens,
      precision: p.precision,
      ...(p.post !== undefined ? { post: p.post } : {}),
      observed: p.loss,
      predicted: predicted[i],
      ...(held?.predictions.has(p) ? { heldOutPrediction: held.predictions.get(p) } : {}),
      ...(p.file !== undefined ? { file: p.file } : {}),
      ...(p.line !== undefined ? { line: p.line } : {}),
    })),
    data,
    domain: fittedDomain(points, staged.origin, staged.stages, { runs: data.runs, tokenizer: context.tokenizer }),
    options: { ...rest, preset: { ...options.preset } },
    warnings,
  };
}

/** Fit the unified law to runs: incomplete runs are left out and listed in `data.skippedRuns`. */
export function fit(runs: readonly Run[], options: Partial<FitOptions> = {}): FitResult {
  const { points, skipped } = pointsFromRuns(runs);
  const used = new Set(points.map((p) => p.runId));
  const tokenizer = tokenizerDomain(runs.filter((r) => used.has(r.id)));
  return fitPoints(points, options, { runs: runs.length - skipped.length, skippedRuns: skipped, tokenizer });
}
