// fit(): runs in, a FitResult out. Returns a plain serializable object and never prints,
// like scipy.optimize's result objects; the CLI, hover and dashboard each render it their way.

import { CONSTANT_NAMES, type ConstantName, type Constants, PAPER_CONSTANTS } from '../law/constants';
import type { LawDomain, TokenizerDomain } from '../law/domain';
import type { Run } from '../runs/run';
import { fittedDomain, tokenizerDomain } from './domain';
import { pointTable, predictAll, toConstants, toVector } from './gradient';
import { type Metrics, metrics, percentile } from './metrics';
import { type FitOptions, resolveFitOptions } from './options';
import { type FitPoint, type SkippedEvaluation, type SkippedRun, pointFault, pointsFromRuns } from './points';
import { seededRandom } from './random';
import { type ConstantOrigin, type StageReport, fitStages } from './stages';
import { type FitCoverage, fitCoverage } from './coverage';
import { type ResidualScale, residualScale } from './interval';
import { type VariantComparison, chooseVariant } from './variants';

export const FIT_SCHEMA = 'precision-planner/fit@1';

export interface PointResult {
  runId: string;
  kind: 'train' | 'ptq';
  params: number;
  tokens: number;
  precision: { w: number; a: number; kv: number };
  post?: number;
  observed: number;
  /** null where the law gives no finite prediction with these constants (a stage failed, say): never NaN. */
  predicted: number | null;
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
  /** Runs left out, each with why (a code, and the field and value when a value is at fault). */
  skippedRuns: SkippedRun[];
  /** PTQ evaluations of fitted runs left out for their loss or bits (absent in fits saved before). */
  skippedEvaluations?: SkippedEvaluation[];
  /** Points handed to fitPoints directly and left out for an implausible value (absent when none). */
  skippedPoints?: Array<{ runId: string; kind: 'train' | 'ptq'; reason: string }>;
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
  /**
   * 95% bootstrap intervals of fitted constants. Only intervals that hold: a constant the data
   * cannot determine, or whose replicates' range excludes its own estimate, has none here;
   * `bootstrap.intervalStatus` says which and why.
   */
  intervals: Partial<Record<ConstantName, [number, number]>>;
  bootstrap: BootstrapReport | null;
  /** What the data cannot determine, and what they determine instead (LAW.md §8a). */
  identifiability?: Identifiability;
  /**
   * Run-to-run scale of log-loss (end of training, after PTQ) that prediction intervals add to
   * the bootstrap's confidence band. Absent in fits saved before it existed.
   */
  residualScale?: ResidualScale;
  /** Held-out coverage of both 95% intervals; null without a bootstrap (no band to cover with). */
  coverage?: FitCoverage | null;
  stages: StageReport[];
  /**
   * The variants of the fit compared by held-out error (largest size out, rollout), the one used
   * marked `chosen`; null without a held-out check or with fewer than 3 model sizes. `options`
   * are the chosen variant's.
   */
  variants?: VariantComparison | null;
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

export interface BootstrapReport {
  replicates: number;
  /** Replicates whose constants are in `samples` (every one of `replicates` not failed or unmoved). */
  succeeded: number;
  seed: number;
  samples: number[][];
  /** Starts solved per stage in each replicate: the fit's own solution and this many grid starts. */
  gridStarts?: number;
  /** Replicates left out: a stage the fit fitted could not be fitted on the resampled runs, or gave non-finite constants. */
  failed?: number;
  /** Replicates left out: some stage's solution never moved from its start (not a solution of the resampled data). */
  unmoved?: number;
  /** Replicates kept although some stage's solver stopped before a stationary point. */
  unconverged?: number;
  /**
   * Per fitted constant: 'ok' (its interval is in `intervals`), 'failed' (the replicates' 95%
   * range excludes the estimate: a failed bootstrap, not a 95% interval), 'not identifiable'
   * (no interval is meaningful), or 'too few replicates'.
   */
  intervalStatus?: Partial<Record<ConstantName, { status: 'ok' | 'failed' | 'not identifiable' | 'too few replicates'; range?: [number, number]; reason?: string }>>;
}

export interface Identifiability {
  /** Constants the data cannot determine, with why: shown as such, not as estimates. */
  notIdentifiable: Partial<Record<ConstantName, string>>;
  /** Fitted constants that ended on or near a bound of their final stage, in words (and whether the data pull past it). */
  atBound: Partial<Record<ConstantName, string>>;
  /** Combinations the data do determine where their factors alone are not: C_T * exp(b_post). */
  products: Array<{ names: ConstantName[]; label: string; value: number; paper: number; interval?: [number, number] }>;
}

const distinct = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

function summarize(points: readonly FitPoint[], runs: number, skippedRuns: SkippedRun[], skippedEvaluations: SkippedEvaluation[]): DataSummary {
  const tokens = points.map((p) => p.tokens);
  return {
    runs,
    skippedRuns,
    ...(skippedEvaluations.length > 0 ? { skippedEvaluations } : {}),
    points: points.length,
    trainPoints: points.filter((p) => p.kind === 'train').length,
    ptqPoints: points.filter((p) => p.kind === 'ptq').length,
    sizes: distinct(points.map((p) => p.params)),
    // reduce, not Math.min(...tokens): spreading 10^5 arguments overflows the call stack.
    tokenRange: tokens.length > 0 ? [tokens.reduce((a, b) => Math.min(a, b)), tokens.reduce((a, b) => Math.max(a, b))] : null,
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
): { samples: number[][]; succeeded: number; failed: number; unmoved: number; unconverged: number } {
  const byRun = new Map<string, FitPoint[]>();
  for (const p of points) byRun.set(p.runId, [...(byRun.get(p.runId) ?? []), p]);
  const runIds = [...byRun.keys()];
  const random = seededRandom(options.seed);
  const samples: number[][] = [];
  let failed = 0;
  let unmoved = 0;
  let unconverged = 0;

  for (let b = 0; b < options.bootstrap; b++) {
    const resampled = Array.from({ length: runIds.length }, () => byRun.get(runIds[Math.floor(random() * runIds.length)]) ?? []).flat();
    const refit = fitStages(resampled, options, { vector: estimate, only: true, gridStarts: options.bootstrapStarts });
    const origin = refit.origin;
    const ran = refit.stages.filter((s) => s.status === 'fitted');
    options.onProgress?.(b + 1, options.bootstrap, 'bootstrap');
    if (!fitted.every((name) => origin[name] === 'fitted') || !refit.vector.every(Number.isFinite)) failed++;
    else if (ran.some((s) => s.moved === false)) unmoved++;
    else {
      if (ran.some((s) => s.solver?.status !== 'converged')) unconverged++;
      samples.push(Array.from(refit.vector));
    }
  }
  return { samples, succeeded: samples.length, failed, unmoved, unconverged };
}

/**
 * The replicates' 95% range of a constant, or a failed bootstrap when that range excludes the
 * estimate itself (replicates that did not find the solution the data give: not a 95% interval).
 */
export function bootstrapInterval(column: readonly number[], estimate: number): { status: 'ok'; range: [number, number] } | { status: 'failed'; range: [number, number]; reason: string } {
  const range: [number, number] = [percentile(column, 0.025), percentile(column, 0.975)];
  const slack = 1e-9 * Math.max(Math.abs(estimate), 1e-300);
  if (estimate >= range[0] - slack && estimate <= range[1] + slack) return { status: 'ok', range };
  return { status: 'failed', range, reason: `the replicates' 95% range ${range[0].toPrecision(4)} to ${range[1].toPrecision(4)} excludes the estimate ${estimate.toPrecision(4)}` };
}

/** Which constants the data cannot determine, from the stages' held constants, flat profiles and bounds. */
function identifiability(stages: readonly StageReport[], origin: Record<ConstantName, ConstantOrigin>, constants: Constants): Identifiability {
  const notIdentifiable: Identifiability['notIdentifiable'] = {};
  for (const s of stages) {
    if (s.status !== 'fitted' || s.name === 'joint') continue;
    for (const h of s.held) if (origin[h.name] !== 'fitted' && origin[h.name] !== 'fixed') notIdentifiable[h.name] ??= h.reason;
    for (const f of s.flat ?? []) notIdentifiable[f.name] ??= f.reason;
  }
  const products: Identifiability['products'] = [];
  if (origin.CT === 'fitted' && origin.bPost !== 'fitted') {
    notIdentifiable.CT = 'only C_T * exp(b_post) is identifiable (b_post is held at the preset and C_T absorbs the product): read CT*exp(bPost)';
    products.push({ names: ['CT', 'bPost'], label: 'CT*exp(bPost)', value: constants.CT * Math.exp(constants.bPost), paper: PAPER_CONSTANTS.CT * Math.exp(PAPER_CONSTANTS.bPost) });
  }
  // A constant's bound as its last stage left it (the joint refinement when it ran).
  const atBound: Identifiability['atBound'] = {};
  for (const s of stages) {
    if (s.status !== 'fitted') continue;
    for (const name of s.fitted) delete atBound[name];
    for (const b of s.bounds ?? []) {
      const sign = (b.name === 'gammaN' || b.name === 'gammaD') && b.side === 'lower' && b.bound === 0;
      const robustness = (b.name === 'Cw' || b.name === 'Ca' || b.name === 'Ckv') && b.side === 'upper';
      const beyond = !b.prefersBeyond
        ? ''
        : sign
          ? `; the data prefer a negative value (${b.name === 'gammaN' ? 'larger models degrade more after PTQ' : 'more tokens make PTQ degrade less'} here): allowNegative ["${b.name}"] (fit --allow-negative ${b.name}) lets the fit take it`
          : robustness
            ? '; the data pull it beyond: its factor is 1, the PTQ runs show no effect of training-precision headroom'
            : '; the data pull it beyond';
      atBound[b.name] = `at its ${b.side} bound ${+b.bound.toPrecision(4)} in the ${s.name} stage${beyond}`;
    }
  }
  return { notIdentifiable, atBound, products };
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
  if (!fitted || fitted.rmse === null || !Number.isFinite(fitted.rmse)) return 'the fitted law gives no finite prediction for these runs';
  if (preset && preset.rmse !== null && Number.isFinite(preset.rmse) && fitted.rmse >= preset.rmse) {
    return `it predicts its own runs worse than the preset (RMSE ${fitted.rmse.toPrecision(3)} vs ${preset.rmse.toPrecision(3)} nats)`;
  }
  if (fitted.r2 !== null && Number.isFinite(fitted.r2) && fitted.r2 < 0) return `it predicts its own runs worse than their mean loss (R² ${fitted.r2.toFixed(2)})`;
  return undefined;
}

/** Warnings listed one a line before "and N more": the rest are in `data`. */
const LISTED_EXCLUSIONS = 10;

/** One warning per run or evaluation left out for a value (not for being incomplete: the runs summary says those). */
function exclusionWarnings(data: DataSummary): string[] {
  const lines = [
    ...data.skippedRuns.filter((s) => s.code === 'implausible' || s.code === 'bad-value').map((s) => `run ${s.runId}: ${s.reason}; left out`),
    ...(data.skippedEvaluations ?? []).map((s) => `run ${s.runId}: ${s.reason}; that evaluation left out`),
    ...(data.skippedPoints ?? []).map((s) => `run ${s.runId} (${s.kind} point): ${s.reason}; left out`),
  ];
  if (lines.length <= LISTED_EXCLUSIONS) return lines;
  return [...lines.slice(0, LISTED_EXCLUSIONS), `and ${lines.length - LISTED_EXCLUSIONS} more runs or evaluations left out for their values (listed in the fit's data)`];
}

export function fitPoints(
  given: readonly FitPoint[],
  partial: Partial<FitOptions> = {},
  context: { runs?: number; skippedRuns?: SkippedRun[]; skippedEvaluations?: SkippedEvaluation[]; tokenizer?: TokenizerDomain } = {},
): FitResult {
  // The same bounds as pointsFromRuns, for points given directly: no value the solver cannot take.
  const skippedPoints: NonNullable<DataSummary['skippedPoints']> = [];
  const points = given.filter((p) => {
    const why = pointFault(p);
    if (why !== undefined) skippedPoints.push({ runId: p.runId, kind: p.kind, reason: why });
    return why === undefined;
  });
  const { comparison, options, warning } = chooseVariant(points, partial, resolveFitOptions(partial));
  const { onProgress, ...rest } = options;
  const data = summarize(points, context.runs ?? new Set(points.map((p) => p.runId)).size, context.skippedRuns ?? [], context.skippedEvaluations ?? []);
  if (skippedPoints.length > 0) data.skippedPoints = skippedPoints;
  const staged = fitStages(points, options);
  onProgress?.(0, options.bootstrap, 'stages');
  const joint = staged.stages.find((s) => s.name === 'joint');
  if (joint && !options.joint && comparison?.choice === 'held-out' && comparison.rows[0].options.joint) {
    joint.reason = `not used: the ${comparison.chosen} variant predicts the sizes it did not see best (see variants)`;
  }
  const fittedNames = CONSTANT_NAMES.filter((n) => staged.origin[n] === 'fitted');
  const warnings: string[] = [...exclusionWarnings(data), ...(warning ? [warning] : [])];
  for (const s of staged.stages) if (s.status === 'skipped' && s.name !== 'joint') warnings.push(`${s.name} stage skipped: ${s.reason}; its constants are the preset's`);
  for (const s of staged.stages) {
    if (s.status !== 'failed') continue;
    const held = s.heldAtPreset ?? [];
    warnings.push(`${s.name} stage failed: ${s.reason}${held.length > 0 ? `; ${held.join(', ')} held at the preset` : ''}`);
  }
  for (const s of staged.stages) {
    if (s.solver && s.solver.status !== 'converged') warnings.push(`${s.name} stage: the solver stopped (${s.solver.status}) before a stationary point, gradient norm ${s.solver.gradientNorm.toPrecision(3)}`);
  }
  const ident = identifiability(staged.stages, staged.origin, toConstants(staged.vector));
  for (const [name, text] of Object.entries(ident.atBound)) if (/prefer|pull/.test(text)) warnings.push(`${name} ${text}`);
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
    const { samples, succeeded, failed, unmoved, unconverged } = bootstrapIntervals(points, options, staged.vector, fittedNames);
    const intervalStatus: NonNullable<BootstrapReport['intervalStatus']> = {};
    bootstrap = { replicates: options.bootstrap, succeeded, seed: options.seed, samples, gridStarts: options.bootstrapStarts, failed, unmoved, unconverged, intervalStatus };
    if (failed > 0) warnings.push(`${failed} of ${options.bootstrap} bootstrap replicates could not fit every stage and were left out`);
    if (unmoved > 0) warnings.push(`${unmoved} of ${options.bootstrap} bootstrap replicates never moved from their start in some stage and were left out`);
    if (unconverged > 0) warnings.push(`${unconverged} of ${options.bootstrap} bootstrap replicates stopped before a stationary point in some stage (kept)`);
    for (const name of fittedNames) {
      const why = ident.notIdentifiable[name];
      if (why !== undefined) {
        intervalStatus[name] = { status: 'not identifiable', reason: why };
        continue;
      }
      if (succeeded < 2) {
        intervalStatus[name] = { status: 'too few replicates', reason: `${succeeded} replicate(s) succeeded` };
        continue;
      }
      const checked = bootstrapInterval(samples.map((s) => s[CONSTANT_NAMES.indexOf(name)]), staged.vector[CONSTANT_NAMES.indexOf(name)]);
      intervalStatus[name] = checked;
      if (checked.status === 'ok') intervals[name] = checked.range;
      else warnings.push(`bootstrap failed for ${name}: ${checked.reason}; not a 95% interval`);
    }
    for (const product of ident.products) {
      const [a, b] = product.names.map((n) => CONSTANT_NAMES.indexOf(n));
      const column = samples.map((s) => s[a] * Math.exp(s[b]));
      if (succeeded >= 2) {
        const range: [number, number] = [percentile(column, 0.025), percentile(column, 0.975)];
        if (product.value >= range[0] * (1 - 1e-9) && product.value <= range[1] * (1 + 1e-9)) product.interval = range;
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
        .filter((s) => s.status !== 'fitted' && s.name !== 'joint')
        .map((s) => `${s.name}${s.status === 'failed' ? ' failed' : ''}: ${s.reason}`)
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
    identifiability: ident,
    stages: staged.stages,
    variants: comparison,
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
      predicted: Number.isFinite(predicted[i]) ? predicted[i] : null,
      ...(Number.isFinite(held?.predictions.get(p)) ? { heldOutPrediction: held?.predictions.get(p) } : {}),
      ...(p.file !== undefined ? { file: p.file } : {}),
      ...(p.line !== undefined ? { line: p.line } : {}),
    })),
    data,
    domain: fittedDomain(points, staged.origin, staged.stages, { runs: data.runs, tokenizer: context.tokenizer }),
    options: { ...rest, preset: { ...options.preset } },
    warnings,
  };
}

/**
 * Fit the unified law to runs: incomplete runs, and runs with a value no run can have (N, D,
 * bits or loss out of validate.ts's bounds), are left out and listed in `data.skippedRuns` (the
 * latter also in `warnings`, naming the run and the value).
 */
export function fit(runs: readonly Run[], options: Partial<FitOptions> = {}): FitResult {
  const { points, skipped, skippedEvaluations } = pointsFromRuns(runs);
  const used = new Set(points.map((p) => p.runId));
  const tokenizer = tokenizerDomain(runs.filter((r) => used.has(r.id)));
  return fitPoints(points, options, { runs: runs.length - skipped.length, skippedRuns: skipped, skippedEvaluations, tokenizer });
}
