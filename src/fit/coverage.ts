// How often the fit's 95% intervals contain the losses they are about (LAW.md §8a): in sample,
// on the largest model size held out of a refit, and in a rollout (fit the k smallest sizes,
// predict the next). The refits get their intervals the way the fit does: a bootstrap over runs
// (fewer replicates) for the confidence band, their own residuals for the run-to-run scale.
// A 95% interval that covers 58% of its own data is not a 95% interval.

import { CONSTANT_NAMES, type ConstantName } from '../law/constants';
import { pointTable, predictAll } from './gradient';
import { INTERVAL_LEVEL, type Interval, type ResidualScale, band, predictionInterval, residualScale, servedScale } from './interval';
import type { FitOptions } from './options';
import type { FitPoint } from './points';
import { fitStages } from './stages';

/** Share of points inside each interval; null where no point had that interval. */
export interface CoverageRate {
  /** Points with a finite prediction. */
  n: number;
  confidence: number | null;
  prediction: number | null;
}

export interface CoverageSet {
  all: CoverageRate;
  train: CoverageRate;
  ptq: CoverageRate;
}

export interface RefitCoverage extends CoverageSet {
  /** Model sizes the refit saw. */
  fittedSizes: number[];
  /** The size predicted. */
  params: number;
  /** Bootstrap replicates of the refit behind its confidence band. */
  replicates: number;
}

export interface FitCoverage {
  level: number;
  /** The fit's own intervals on the points it was fitted to. */
  inSample: CoverageSet;
  /** Refit without the largest size, its intervals on that size. */
  heldOut: RefitCoverage | { skipped: string };
  /** Fit the k smallest sizes and predict the next, for k = 2 .. sizes - 1; pooled over the steps. */
  rollout: { steps: RefitCoverage[]; pooled: CoverageSet } | { skipped: string };
}

/** Bootstrap replicates of each refit: enough for a band, few enough to keep the fit quick. */
export const COVERAGE_REPLICATES = 40;

/** The fit's bootstrap, passed in (it lives with the fit): samples of the constant vector. */
export type Resampler = (points: readonly FitPoint[], options: FitOptions, estimate: Float64Array, fitted: readonly ConstantName[]) => { samples: number[][] };

export interface PointIntervals {
  estimate: number[];
  confidence: Array<Interval | null>;
  prediction: Array<Interval | null>;
}

/** Both intervals at every point (the unified law: PTQ points get the served loss's intervals). */
export function pointIntervals(points: readonly FitPoint[], vector: Float64Array, samples: readonly number[][], scale: ResidualScale): PointIntervals {
  const table = pointTable(points);
  const estimate = Array.from(predictAll(vector, table, 'unified'));
  const sampled = samples.map((s) => predictAll(Float64Array.from(s), table, 'unified'));
  const confidence = points.map((_, i) => band(sampled.map((x) => x[i])));
  const prediction = points.map((p, i) => {
    const s = p.kind === 'ptq' ? servedScale(scale) : scale.train;
    return s ? predictionInterval(estimate[i], confidence[i], s) : null;
  });
  return { estimate, confidence, prediction };
}

const inside = (x: number, i: Interval): boolean => x >= i[0] && x <= i[1];

export function coverageOf(points: readonly FitPoint[], intervals: PointIntervals): CoverageSet {
  const rate = (keep: (p: FitPoint) => boolean): CoverageRate => {
    const idx = points.map((p, i) => (keep(p) && Number.isFinite(intervals.estimate[i]) ? i : -1)).filter((i) => i >= 0);
    const share = (which: Array<Interval | null>): number | null => {
      const have = idx.filter((i) => which[i] !== null);
      return have.length > 0 ? have.filter((i) => inside(points[i].loss, which[i] as Interval)).length / have.length : null;
    };
    return { n: idx.length, confidence: share(intervals.confidence), prediction: share(intervals.prediction) };
  };
  return { all: rate(() => true), train: rate((p) => p.kind === 'train'), ptq: rate((p) => p.kind === 'ptq') };
}

function pooled(sets: readonly CoverageSet[]): CoverageSet {
  const merge = (key: keyof CoverageSet): CoverageRate => {
    const rates = sets.map((s) => s[key]);
    const n = rates.reduce((s, r) => s + r.n, 0);
    const mean = (k: 'confidence' | 'prediction'): number | null => {
      const have = rates.filter((r) => r[k] !== null && r.n > 0);
      const m = have.reduce((s, r) => s + r.n, 0);
      return m > 0 ? have.reduce((s, r) => s + (r[k] as number) * r.n, 0) / m : null;
    };
    return { n, confidence: mean('confidence'), prediction: mean('prediction') };
  };
  return { all: merge('all'), train: merge('train'), ptq: merge('ptq') };
}

function refitCoverage(kept: readonly FitPoint[], target: readonly FitPoint[], options: FitOptions, warm: Float64Array, resample: Resampler): RefitCoverage | { skipped: string } {
  const refit = fitStages(kept, options, { vector: warm });
  if (refit.stages[0].status !== 'fitted') return { skipped: `the refit could not fit the loss level: ${refit.stages[0].reason ?? ''}` };
  const fitted = CONSTANT_NAMES.filter((n) => refit.origin[n] === 'fitted');
  const scale = residualScale(kept, Array.from(predictAll(refit.vector, pointTable(kept), 'unified')), refit.stages);
  const replicates = Math.min(options.bootstrap, COVERAGE_REPLICATES);
  const { samples } = resample(kept, { ...options, bootstrap: replicates, onProgress: undefined }, refit.vector, fitted);
  const sizes = [...new Set(kept.map((p) => p.params))].sort((a, b) => a - b);
  return { fittedSizes: sizes, params: target[0].params, replicates: samples.length, ...coverageOf(target, pointIntervals(target, refit.vector, samples, scale)) };
}

/**
 * Coverage of the fit's intervals. `samples` and `scale` are the fit's own; the held-out and
 * rollout refits start from `estimate` (as the held-out check does) beside the start grid.
 */
export function fitCoverage(points: readonly FitPoint[], options: FitOptions, estimate: Float64Array, samples: readonly number[][], scale: ResidualScale, resample: Resampler): FitCoverage {
  const inSample = coverageOf(points, pointIntervals(points, estimate, samples, scale));
  const sizes = [...new Set(points.map((p) => p.params))].sort((a, b) => a - b);
  if (!options.heldOut) return { level: INTERVAL_LEVEL, inSample, heldOut: { skipped: 'turned off (no held-out check)' }, rollout: { skipped: 'turned off (no held-out check)' } };
  if (sizes.length < 3) {
    const skipped = `needs >= 3 model sizes to fit on two and predict the next; have ${sizes.length}`;
    return { level: INTERVAL_LEVEL, inSample, heldOut: { skipped }, rollout: { skipped } };
  }
  const steps: Array<RefitCoverage | { skipped: string }> = [];
  for (let k = 2; k < sizes.length; k++) {
    const kept = points.filter((p) => p.params <= sizes[k - 1]);
    const target = points.filter((p) => p.params === sizes[k]);
    steps.push(refitCoverage(kept, target, options, estimate, resample));
    options.onProgress?.(k - 1, sizes.length - 2, 'coverage');
  }
  const done = steps.filter((s): s is RefitCoverage => !('skipped' in s));
  const last = steps[steps.length - 1];
  return {
    level: INTERVAL_LEVEL,
    inSample,
    heldOut: last,
    rollout: done.length > 0 ? { steps: done, pooled: pooled(done) } : { skipped: 'no rollout refit could fit the loss level' },
  };
}
