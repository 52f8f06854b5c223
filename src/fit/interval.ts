// Uncertainty of a prediction, in two kinds, each called by its name (LAW.md §8a):
// - the confidence band of the expected loss: the same scenario under every bootstrap
//   replicate's constants. It shrinks with data; it leaves out run-to-run noise, and constants
//   held at the preset contribute none (they are the same in every replicate).
// - the prediction interval for a run: the band widened by the run-to-run scale of the loss,
//   a robust scale of the fit's log-loss residuals (or of seed replicates where the sweep has
//   runs with identical N, D and precision).

import type { ConstantName } from '../law/constants';
import { predict, type Scenario } from '../law/law';
import type { FitResult } from './fit';
import { toConstants } from './gradient';
import { percentile } from './metrics';
import type { FitPoint } from './points';
import type { StageReport } from './stages';

/** Nominal coverage of every interval the product shows. */
export const INTERVAL_LEVEL = 0.95;

/** One run's spread of log-loss about the law, for one kind of point. */
export interface ScaleEstimate {
  /** Standard deviation of a run's log-loss about the law: the one the prediction interval uses. */
  sigma: number;
  /** Degrees of freedom behind `sigma` (for the t quantile). */
  dof: number;
  source: 'residuals' | 'seeds';
  /**
   * From the fit's own log-loss residuals: a robust scale about 0 (see robustScale), times sqrt(n / (n - p))
   * for the p constants fitted to these points (in-sample residuals are smaller than new runs'
   * errors). Includes the law's misfit as well as the noise.
   */
  residuals: { sigma: number; dof: number; points: number } | null;
  /** Pooled within-group spread of runs sharing N, D and precision (seed replicates). */
  seeds: { sigma: number; dof: number; groups: number } | null;
}

/** Run-to-run scale of the end-of-training loss ('train') and of the loss after PTQ ('ptq'). */
export interface ResidualScale {
  train: ScaleEstimate | null;
  ptq: ScaleEstimate | null;
}

/** Seeds replace the residuals' scale only with this many degrees of freedom or more. */
export const MIN_SEED_DOF = 3;

export type Interval = [number, number];

export interface LossIntervals {
  /** 95% confidence band of the expected loss (bootstrap of the constants). */
  confidence: Interval | null;
  /** 95% prediction interval for one run's loss (the band plus the run-to-run scale). */
  prediction: Interval | null;
}

// ---------------------------------------------------------------------------------------------
// Quantiles

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * P(|T| <= t) for Student's t with an integer number of degrees of freedom, in closed form
 * (Abramowitz & Stegun 26.7.3-4).
 */
function tCentral(t: number, dof: number): number {
  const theta = Math.atan(Math.abs(t) / Math.sqrt(dof));
  const c2 = Math.cos(theta) ** 2;
  const sin = Math.sin(theta);
  if (dof % 2 === 1) {
    if (dof === 1) return (2 / Math.PI) * theta;
    let term = Math.cos(theta);
    let sum = term;
    for (let k = 3; k <= dof - 2; k += 2) {
      term *= (c2 * (k - 1)) / k;
      sum += term;
    }
    return (2 / Math.PI) * (theta + sin * sum);
  }
  let term = 1;
  let sum = 1;
  for (let k = 2; k <= dof - 2; k += 2) {
    term *= (c2 * (k - 1)) / k;
    sum += term;
  }
  return sin * sum;
}

/**
 * Student's t quantile: exact (bisection on the closed-form distribution) for whole degrees of
 * freedom up to 30, the Cornish-Fisher expansion (A&S 26.7.5) above, within 1e-4 of the table.
 */
export function tQuantile(p: number, dof: number): number {
  if (!(dof > 0) || !(p > 0 && p < 1)) return NaN;
  if (!Number.isFinite(dof) || dof > 1e7) return normalQuantile(p);
  if (p < 0.5) return -tQuantile(1 - p, dof);
  if (Number.isInteger(dof) && dof <= 30) {
    const target = 2 * p - 1;
    let lo = 0;
    let hi = 1;
    while (tCentral(hi, dof) < target && hi < 1e12) hi *= 2;
    for (let k = 0; k < 200 && hi - lo > 1e-12 * hi; k++) {
      const mid = (lo + hi) / 2;
      if (tCentral(mid, dof) < target) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  }
  const z = normalQuantile(p);
  const z2 = z * z;
  const g1 = (z * (z2 + 1)) / 4;
  const g2 = (z * ((5 * z2 + 16) * z2 + 3)) / 96;
  const g3 = (z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / 384;
  const g4 = (z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945)) / 92160;
  return z + g1 / dof + g2 / dof ** 2 + g3 / dof ** 3 + g4 / dof ** 4;
}

// ---------------------------------------------------------------------------------------------
// The run-to-run scale

const MAD_TO_SIGMA = 1.4826;
/** Residuals beyond WINSOR x sigma count as WINSOR x sigma (Huber's proposal 2 for a scale). */
const WINSOR = 2.5;
/** E[min(Z^2, c^2)] for a standard normal Z at c = WINSOR: makes the winsorized scale consistent. */
const WINSOR_CONSISTENCY = (() => {
  const c = WINSOR;
  const phi = Math.exp(-(c * c) / 2) / Math.sqrt(2 * Math.PI);
  const tail = 0.01241933; // 2 (1 - Phi(2.5))
  return 1 - tail - 2 * c * phi + c * c * tail;
})();

/**
 * A robust scale of residuals about 0 (not about their median: a bias of the law is an error a
 * run will show). Starts from the median |residual| and winsorizes: as robust to a few gross
 * outliers as the median, nearly as efficient as the root mean square on normal noise.
 */
export function robustScale(residuals: readonly number[]): number {
  const abs = residuals.filter(Number.isFinite).map(Math.abs);
  if (abs.length === 0) return NaN;
  let sigma = MAD_TO_SIGMA * percentile(abs, 0.5);
  for (let k = 0; k < 50 && sigma > 0; k++) {
    const cap = WINSOR * sigma;
    const next = Math.sqrt(abs.reduce((s, x) => s + Math.min(x, cap) ** 2, 0) / abs.length / WINSOR_CONSISTENCY);
    const done = Math.abs(next - sigma) <= 1e-9 * sigma;
    sigma = next;
    if (done) break;
  }
  return sigma;
}

/** Free parameters of the stages that fitted points of a kind (tied exponents count once). */
function freeCount(stages: readonly StageReport[], names: ReadonlyArray<StageReport['name']>): number {
  return stages
    .filter((s) => s.status === 'fitted' && names.includes(s.name))
    .reduce((sum, s) => sum + (s.spec?.free.length ?? new Set(s.fitted).size), 0);
}

function residualPart(residuals: readonly number[], fitted: number): ScaleEstimate['residuals'] {
  const finite = residuals.filter(Number.isFinite);
  const dof = finite.length - fitted;
  if (dof < 1) return null;
  const sigma = robustScale(finite) * Math.sqrt(finite.length / dof);
  return sigma > 0 ? { sigma, dof, points: finite.length } : null;
}

function seedPart(points: readonly FitPoint[]): ScaleEstimate['seeds'] {
  const groups = new Map<string, number[]>();
  for (const p of points) {
    const key = `${p.params}|${p.tokens}|${p.precision.w}/${p.precision.a}/${p.precision.kv}|${p.post ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), Math.log(p.loss)]);
  }
  let ss = 0;
  let dof = 0;
  let replicated = 0;
  for (const xs of groups.values()) {
    if (xs.length < 2) continue;
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    ss += xs.reduce((s, x) => s + (x - mean) ** 2, 0);
    dof += xs.length - 1;
    replicated++;
  }
  return dof > 0 ? { sigma: Math.sqrt(ss / dof), dof, groups: replicated } : null;
}

function combine(residuals: ScaleEstimate['residuals'], seeds: ScaleEstimate['seeds']): ScaleEstimate | null {
  // In-sample residuals are shrunk by the fit and carry the law's misfit too; seed replicates
  // measure the noise itself. The larger never claims less spread than either source shows.
  const useSeeds = seeds !== null && seeds.dof >= MIN_SEED_DOF && (residuals === null || seeds.sigma > residuals.sigma);
  if (useSeeds) return { sigma: seeds.sigma, dof: seeds.dof, source: 'seeds', residuals, seeds };
  if (residuals) return { sigma: residuals.sigma, dof: residuals.dof, source: 'residuals', residuals, seeds };
  return null;
}

/**
 * The run-to-run scale of log-loss, per kind of point, from a fit's in-sample predictions
 * (`predicted[i]` for `points[i]`, the unified law) and the stages that fitted them.
 */
export function residualScale(points: readonly FitPoint[], predicted: readonly number[], stages: readonly StageReport[]): ResidualScale {
  const kind = (k: FitPoint['kind']) => {
    const idx = points.map((p, i) => (p.kind === k ? i : -1)).filter((i) => i >= 0);
    const residuals = idx.map((i) => Math.log(points[i].loss) - Math.log(predicted[i]));
    const fitted = k === 'train' ? freeCount(stages, ['chinchilla', 'precision']) : freeCount(stages, ['ptq']);
    return combine(residualPart(residuals, fitted), seedPart(idx.map((i) => points[i])));
  };
  return { train: kind('train'), ptq: kind('ptq') };
}

// ---------------------------------------------------------------------------------------------
// Intervals

/** The central 95% of a sample of losses, or null with fewer than two finite values. */
export function band(losses: readonly number[]): Interval | null {
  const finite = losses.filter(Number.isFinite);
  if (finite.length < 2) return null;
  const tail = (1 - INTERVAL_LEVEL) / 2;
  return [percentile(finite, tail), percentile(finite, 1 - tail)];
}

/**
 * The 95% prediction interval around an estimate: in log-loss, each side's half-width of the
 * confidence band (zero without one) combined in quadrature with t x sigma, the run-to-run part.
 */
export function predictionInterval(estimate: number, confidence: Interval | null, scale: Pick<ScaleEstimate, 'sigma' | 'dof'>): Interval | null {
  if (!(estimate > 0) || !(scale.sigma > 0) || !(scale.dof > 0)) return null;
  const noise = tQuantile(1 - (1 - INTERVAL_LEVEL) / 2, scale.dof) * scale.sigma;
  const log = Math.log(estimate);
  const below = confidence && confidence[0] > 0 ? Math.max(0, log - Math.log(confidence[0])) : 0;
  const above = confidence && confidence[1] > 0 ? Math.max(0, Math.log(confidence[1]) - log) : 0;
  return [estimate * Math.exp(-Math.hypot(below, noise)), estimate * Math.exp(Math.hypot(above, noise))];
}

const quantizes = (s: Scenario): boolean => s.post !== undefined && s.post < Math.max(s.precision.w, s.precision.a, s.precision.kv);

/**
 * The scale of a served (post-PTQ) loss: a served loss is the run's end-of-training loss plus its
 * degradation, so it spreads at least as much as the end-of-training loss does.
 */
export function servedScale(scale: ResidualScale): ScaleEstimate | null {
  if (!scale.ptq) return scale.train;
  if (!scale.train) return scale.ptq;
  return scale.ptq.sigma >= scale.train.sigma ? scale.ptq : scale.train;
}

/** The scale for a scenario: the served one for a quantized scenario. */
export function scaleFor(scale: ResidualScale | undefined, scenario: Scenario): ScaleEstimate | null {
  if (!scale) return null;
  return quantizes(scenario) ? servedScale(scale) : scale.train;
}

type IntervalSource = Pick<FitResult, 'bootstrap' | 'constants'> & { residualScale?: ResidualScale };

/** The losses a scenario gets under every bootstrap replicate (NaN where the law is undefined). */
export function sampleLosses(result: Pick<FitResult, 'bootstrap'>, scenario: Scenario): number[] {
  return (result.bootstrap?.samples ?? []).map((s) => {
    const p = predict(toConstants(s), scenario);
    return p.ok ? p.loss : NaN;
  });
}

/** 95% confidence band of the expected loss, or undefined when the fit has no bootstrap samples. */
export function lossInterval(result: Pick<FitResult, 'bootstrap'>, scenario: Scenario): [number, number] | undefined {
  return band(sampleLosses(result, scenario)) ?? undefined;
}

/** Both intervals of a scenario's loss under a fit; each is null where the fit cannot give it. */
export function lossIntervals(result: IntervalSource, scenario: Scenario): LossIntervals {
  const confidence = band(sampleLosses(result, scenario));
  const estimate = predict(result.constants, scenario);
  const scale = scaleFor(result.residualScale, scenario);
  const prediction = estimate.ok && scale ? predictionInterval(estimate.loss, confidence, scale) : null;
  return { confidence, prediction };
}

/**
 * Paired interval of loss(b) - loss(a): both scenarios under each bootstrap replicate, so the
 * uncertainty they share (the loss level, most of all) cancels. Null without two usable replicates.
 */
export function differenceInterval(result: Pick<FitResult, 'bootstrap'>, a: Scenario, b: Scenario): Interval | null {
  const la = sampleLosses(result, a);
  const lb = sampleLosses(result, b);
  return band(la.map((x, i) => lb[i] - x));
}

/** What a fit's intervals rest on, for the words beside them. */
export interface IntervalBasis {
  level: number;
  /** Bootstrap replicates behind the confidence band (0: no band). */
  replicates: number;
  /** Constants held at the preset: the same in every replicate, they contribute no uncertainty. */
  presetHeld: ConstantName[];
  /** Run-to-run scale (log-loss standard deviation) the prediction interval adds: end of training, served. */
  scale: { train: number | null; served: number | null; source: { train: ScaleEstimate['source'] | null; served: ScaleEstimate['source'] | null } };
}

export function intervalBasis(result: IntervalSource & Partial<Pick<FitResult, 'origin'>>): IntervalBasis {
  const origin: Partial<Record<ConstantName, string>> = result.origin ?? {};
  const served = result.residualScale ? servedScale(result.residualScale) : null;
  return {
    level: INTERVAL_LEVEL,
    replicates: result.bootstrap?.samples.length ?? 0,
    presetHeld: (Object.keys(origin) as ConstantName[]).filter((n) => origin[n] === 'preset'),
    scale: {
      train: result.residualScale?.train?.sigma ?? null,
      served: served?.sigma ?? null,
      source: { train: result.residualScale?.train?.source ?? null, served: served?.source ?? null },
    },
  };
}

/** "constants held at the preset (b_post) contribute none", for the words beside a band. */
export function presetHeldText(names: readonly string[]): string {
  if (names.length === 0) return '';
  const which = names.length <= 4 ? names.join(', ') : `${names.length} constants`;
  return `${which} held at the preset ${names.length === 1 ? 'contributes' : 'contribute'} none`;
}

/** "[lo, hi]" in loss units, for tables. */
export const intervalText = (i: Interval | null | undefined, digits = 4): string => (i ? `${i[0].toFixed(digits)} to ${i[1].toFixed(digits)}` : '-');

/** A margin's interval with signs, e.g. "-0.0012 to +0.0034". */
export function signedIntervalText(i: Interval | null | undefined, digits = 4): string {
  if (!i) return '-';
  const s = (x: number) => (Number(x.toFixed(digits)) === 0 ? (0).toFixed(digits) : `${x > 0 ? '+' : '-'}${Math.abs(x).toFixed(digits)}`);
  return `${s(i[0])} to ${s(i[1])}`;
}
