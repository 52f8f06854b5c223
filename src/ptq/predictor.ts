// The random-forest predictor of post-PTQ loss (Xu et al. 2024, arXiv 2410.12119) and its
// leave-one-size-out evaluation: the paper validates on held-out model families; with one
// family per workspace, held-out sizes are the nearest equivalent, and the same split the
// law's held-out check uses (LAW.md §7, §8). Results are plain objects; nothing is printed.

import { RandomForestRegression } from 'ml-random-forest';
import {
  FEATURE_NAMES,
  FEATURES_WITHOUT_FLATNESS,
  type FeatureName,
  featureVector,
  inputProblem,
  lossFromTarget,
  type PtqInput,
  type PtqSample,
  type PtqTarget,
  ptqFeatures,
  sampleProblem,
  targetValue,
} from './features';

export interface PredictorOptions {
  /** Seed of the forest's sample and feature bagging (an integer, used as 32 bits). */
  seed: number;
  /** Trees in the forest. */
  trees: number;
  /** What the forest learns; errors are always reported on post-PTQ loss. See `PtqTarget`. */
  target: PtqTarget;
  /**
   * Whether to use the flatness feature: 'use' drops unprobed samples from training, 'omit'
   * trains the variant without it, 'auto' uses it only when every usable sample has it (a
   * half-probed workspace would otherwise lose its unprobed runs silently).
   */
  flatness: 'auto' | 'use' | 'omit';
  /**
   * Fraction of the features each tree sees (ml-random-forest bags features per tree, not per
   * split, so a small fraction leaves trees blind to SQNR and bits). Rounded to at least one.
   */
  featureFraction: number;
  /** Fewest training samples in a leaf (ml-cart's minNumSamples). */
  minLeafSamples: number;
}

// featureFraction 1 (bagged trees over all features): on the unit test's synthetic workspace,
// 0.7 and 0.5 raised the leave-one-size-out MAE from 0.010 to 0.013 and 0.018, because the
// library drops features per tree and few features carry the signal.
export const DEFAULT_PREDICTOR_OPTIONS: PredictorOptions = {
  seed: 1,
  trees: 100,
  target: 'degradation',
  flatness: 'auto',
  featureFraction: 1,
  minLeafSamples: 3,
};

export interface RejectedSample {
  runId: string;
  format: string;
  method: string;
  reason: string;
}

export interface Predictor {
  /** Features in the order the forest reads them. */
  readonly features: readonly FeatureName[];
  readonly options: PredictorOptions;
  /** Samples the forest was trained on. */
  readonly trainedOn: number;
  /** Samples left out of training, with why. */
  readonly rejected: readonly RejectedSample[];
  /** Why this predictor cannot predict the input (invalid, or no flatness when it needs one), or undefined. */
  problem(input: PtqInput): string | undefined;
  /** Predicted post-PTQ loss. Throws a RangeError carrying `problem(input)` when there is one. */
  predict(input: PtqInput): number;
}

/**
 * Train the forest on the usable samples. Throws a RangeError when no sample is usable (the
 * message lists why) or an option is out of range; `leaveOneSizeOut` skips a fold with too few
 * training samples before it gets here.
 */
export function trainPredictor(samples: readonly PtqSample[], options: Partial<PredictorOptions> = {}): Predictor {
  const opts = resolveOptions(options);
  const features = chooseFeatures(samples, opts.flatness);
  const { rows, rejected } = trainingRows(samples, features);
  if (rows.length === 0) {
    const why = rejected.slice(0, 3).map((r) => `${r.runId} ${r.format}: ${r.reason}`).join('; ');
    throw new RangeError(`No usable PTQ sample to train on (${samples.length} given${why ? `; ${why}` : ''}).`);
  }
  const forest = new RandomForestRegression({
    seed: opts.seed,
    nEstimators: opts.trees,
    maxFeatures: maxFeaturesOption(features.length, opts.featureFraction),
    replacement: false,
    useSampleBagging: true,
    // Out-of-bag scoring crashes ("column indices are out of range") when a bootstrap draw
    // happens to contain every sample, as it does with a handful; we evaluate by held-out size.
    noOOB: true,
    treeOptions: { minNumSamples: opts.minLeafSamples },
  });
  forest.train(rows.map((r) => r.x), rows.map((r) => targetValue(r.sample, opts.target)));

  const problem = (input: PtqInput): string | undefined => {
    const invalid = inputProblem(input);
    if (invalid) return invalid;
    if (featureVector(ptqFeatures(input), features) === undefined) {
      return 'the predictor uses flatness and this input has no probe covering it; use a predictor trained with flatness: "omit"';
    }
    return undefined;
  };
  return {
    features,
    options: opts,
    trainedOn: rows.length,
    rejected,
    problem,
    predict(input: PtqInput): number {
      const why = problem(input);
      if (why) throw new RangeError(why);
      const x = featureVector(ptqFeatures(input), features) as number[];
      return lossFromTarget(input, forest.predict([x])[0], opts.target);
    },
  };
}

function resolveOptions(options: Partial<PredictorOptions>): PredictorOptions {
  const opts = { ...DEFAULT_PREDICTOR_OPTIONS, ...options };
  if (!Number.isInteger(opts.seed)) throw new RangeError(`seed must be an integer, got ${opts.seed}`);
  if (!Number.isInteger(opts.trees) || opts.trees < 1) throw new RangeError(`trees must be a positive integer, got ${opts.trees}`);
  if (!(opts.featureFraction > 0 && opts.featureFraction <= 1)) {
    throw new RangeError(`featureFraction must be in (0, 1], got ${opts.featureFraction}`);
  }
  if (!Number.isInteger(opts.minLeafSamples) || opts.minLeafSamples < 1) {
    throw new RangeError(`minLeafSamples must be a positive integer, got ${opts.minLeafSamples}`);
  }
  return opts;
}

/**
 * ml-random-forest reads maxFeatures in (0, 1] as a fraction (floored) and larger integers as
 * a count, so the count 1 means "all" and small fractions of few features floor to 0 columns.
 * Pass a fraction that floors exactly to the wanted count instead.
 */
export function maxFeaturesOption(columns: number, fraction: number): number {
  const k = Math.min(columns, Math.max(1, Math.round(fraction * columns)));
  return k === columns ? 1 : (k + 0.5) / columns;
}

/** The feature set for these samples under the flatness option. */
export function chooseFeatures(samples: readonly PtqSample[], mode: PredictorOptions['flatness']): readonly FeatureName[] {
  if (mode === 'use') return FEATURE_NAMES;
  if (mode === 'omit') return FEATURES_WITHOUT_FLATNESS;
  const usable = samples.filter((s) => sampleProblem(s) === undefined);
  const allProbed = usable.length > 0 && usable.every((s) => ptqFeatures(s).flatness !== undefined);
  return allProbed ? FEATURE_NAMES : FEATURES_WITHOUT_FLATNESS;
}

interface Row {
  sample: PtqSample;
  x: number[];
}

/**
 * Feature rows of the usable samples, in a canonical order: the forest's bootstrap draws
 * depend on row order, and the same runs read in another order must give the same forest.
 */
function trainingRows(samples: readonly PtqSample[], features: readonly FeatureName[]): { rows: Row[]; rejected: RejectedSample[] } {
  const rows: Row[] = [];
  const rejected: RejectedSample[] = [];
  for (const sample of [...samples].sort(compareSamples)) {
    const reason = sampleProblem(sample);
    const x = reason ? undefined : featureVector(ptqFeatures(sample), features);
    if (x) rows.push({ sample, x });
    else rejected.push({ runId: sample.runId, format: sample.format, method: sample.method, reason: reason ?? 'no probe covering flatness' });
  }
  return { rows, rejected };
}

function compareSamples(a: PtqSample, b: PtqSample): number {
  return (
    cmp(a.runId, b.runId) || cmp(a.format, b.format) || cmp(a.method, b.method) ||
    a.params - b.params || a.tokens - b.tokens || a.bits - b.bits || a.blockSize - b.blockSize ||
    a.sqnrDb - b.sqnrDb || a.trainLoss - b.trainLoss || a.loss - b.loss
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Leave one size out

export interface ErrorStats {
  n: number;
  /** Mean absolute error of the post-PTQ loss (nats/token). */
  mae: number;
  rmse: number;
  maxAbsError: number;
}

/** Error statistics of predictions against observations, or null when there are none. */
export function errorStats(observed: readonly number[], predicted: readonly number[]): ErrorStats | null {
  const n = observed.length;
  if (n === 0) return null;
  let abs = 0;
  let sq = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.abs(predicted[i] - observed[i]);
    abs += e;
    sq += e * e;
    max = Math.max(max, e);
  }
  return { n, mae: abs / n, rmse: Math.sqrt(sq / n), maxAbsError: max };
}

/** The baseline (the caller's law) beside the forest, compared on the same samples. */
export interface BaselineComparison {
  /** The baseline's errors over the samples it predicts (a finite number). */
  errors: ErrorStats | null;
  /** The forest's errors over those same samples: the like-for-like comparison. */
  forestOnSame: ErrorStats | null;
  /** Samples where the baseline returned no finite prediction (e.g. the law is undefined there). */
  unpredicted: number;
}

export interface HeldOutPrediction {
  runId: string;
  params: number;
  format: string;
  method: string;
  observed: number;
  forest: number;
  /** null when the baseline gave no finite prediction (null survives JSON); absent without a baseline. */
  baseline?: number | null;
}

export type SizeResult =
  | {
      status: 'evaluated';
      params: number;
      /** Held-out samples. */
      n: number;
      /** Samples the forest of this fold was trained on. */
      trainedOn: number;
      forest: ErrorStats;
      baseline?: BaselineComparison;
    }
  | { status: 'skipped'; params: number; n: number; reason: string };

export interface LeaveOneSizeOutOptions extends PredictorOptions {
  /** Fewest held-out samples for a size to be scored. */
  minHeldOut: number;
  /** Fewest training samples (from the other sizes) for a fold to be trained. */
  minTrain: number;
}

export const DEFAULT_LOSO_OPTIONS: LeaveOneSizeOutOptions = { ...DEFAULT_PREDICTOR_OPTIONS, minHeldOut: 3, minTrain: 10 };

export interface LeaveOneSizeOutResult {
  /** True when at least one size was evaluated. */
  ok: boolean;
  message: string;
  options: LeaveOneSizeOutOptions;
  /** The feature set every fold used (decided once on all samples, so folds compare). */
  features: readonly FeatureName[];
  /** One entry per distinct params value, ascending. */
  sizes: SizeResult[];
  /** Over every evaluated held-out sample. */
  pooled: { forest: ErrorStats | null; baseline?: BaselineComparison };
  predictions: HeldOutPrediction[];
  /** Samples left out of the evaluation, with why. */
  rejected: RejectedSample[];
}

/**
 * Train on all sizes but one, predict that one, for every size. `baseline` is another
 * predictor of post-PTQ loss scored on the same held-out samples (the Kumar law fitted by the
 * caller, ideally also without the held-out size); return NaN where it is undefined.
 */
export function leaveOneSizeOut(
  samples: readonly PtqSample[],
  options: Partial<LeaveOneSizeOutOptions> = {},
  baseline?: (s: PtqSample) => number,
  /** Called after each size (a fold of the forest) is done: a leave-one-size-out takes seconds. */
  onProgress?: (done: number, total: number) => void,
): LeaveOneSizeOutResult {
  const opts = { ...DEFAULT_LOSO_OPTIONS, ...options };
  const { minHeldOut, minTrain, ...forestOptions } = opts;
  resolveOptions(forestOptions);
  if (!(minHeldOut >= 1) || !(minTrain >= 1)) throw new RangeError(`minHeldOut and minTrain must be at least 1, got ${minHeldOut}, ${minTrain}`);
  const features = chooseFeatures(samples, opts.flatness);
  // Every fold uses the feature set chosen on all samples, so the folds' errors compare.
  const fixed: PredictorOptions = { ...forestOptions, flatness: features.includes('flatness') ? 'use' : 'omit' };
  const { rows, rejected } = trainingRows(samples, features);
  const usable = rows.map((r) => r.sample);
  const sizes = [...new Set(usable.map((s) => s.params))].sort((a, b) => a - b);

  const results: SizeResult[] = [];
  const predictions: HeldOutPrediction[] = [];
  for (const [index, params] of sizes.entries()) {
    const held = usable.filter((s) => s.params === params);
    const train = usable.filter((s) => s.params !== params);
    const skip = skipReason(held.length, train.length, opts);
    if (skip) {
      results.push({ status: 'skipped', params, n: held.length, reason: skip });
      onProgress?.(index + 1, sizes.length);
      continue;
    }
    const predictor = trainPredictor(train, fixed);
    const fold = held.map((s) => heldOutPrediction(s, predictor, baseline));
    predictions.push(...fold);
    results.push({
      status: 'evaluated',
      params,
      n: held.length,
      trainedOn: predictor.trainedOn,
      forest: forestErrors(fold) as ErrorStats,
      ...(baseline ? { baseline: compareBaseline(fold) } : {}),
    });
    onProgress?.(index + 1, sizes.length);
  }

  const evaluated = results.filter((r) => r.status === 'evaluated').length;
  return {
    ok: evaluated > 0,
    message: summary(evaluated, sizes.length, rejected.length),
    options: opts,
    features,
    sizes: results,
    pooled: { forest: forestErrors(predictions), ...(baseline ? { baseline: compareBaseline(predictions) } : {}) },
    predictions,
    rejected,
  };
}

function skipReason(held: number, train: number, opts: LeaveOneSizeOutOptions): string | undefined {
  if (held < opts.minHeldOut) return `${held} held-out sample(s), fewer than ${opts.minHeldOut}`;
  if (train < opts.minTrain) return `${train} training sample(s) from the other sizes, fewer than ${opts.minTrain}`;
  return undefined;
}

function heldOutPrediction(s: PtqSample, predictor: Predictor, baseline?: (s: PtqSample) => number): HeldOutPrediction {
  const p: HeldOutPrediction = {
    runId: s.runId,
    params: s.params,
    format: s.format,
    method: s.method,
    observed: s.loss,
    forest: predictor.predict(s),
  };
  if (baseline) {
    const b = baseline(s);
    p.baseline = Number.isFinite(b) ? b : null;
  }
  return p;
}

function forestErrors(ps: readonly HeldOutPrediction[]): ErrorStats | null {
  return errorStats(ps.map((p) => p.observed), ps.map((p) => p.forest));
}

function compareBaseline(ps: readonly HeldOutPrediction[]): BaselineComparison {
  const covered = ps.filter((p) => typeof p.baseline === 'number');
  return {
    errors: errorStats(covered.map((p) => p.observed), covered.map((p) => p.baseline as number)),
    forestOnSame: forestErrors(covered),
    unpredicted: ps.length - covered.length,
  };
}

function summary(evaluated: number, sizes: number, rejected: number): string {
  const dropped = rejected > 0 ? `; ${rejected} sample(s) rejected` : '';
  if (sizes === 0) return `No usable PTQ sample${dropped}.`;
  if (evaluated === 0) return `No size could be held out (${sizes} size(s), all skipped)${dropped}.`;
  return `Held out ${evaluated} of ${sizes} size(s)${dropped}.`;
}
