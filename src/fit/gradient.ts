// The unified law and its gradient with respect to every constant, for one data point.
// An analytic Jacobian makes Levenberg-Marquardt both faster and more accurate than
// finite differences. Points are held column-wise in typed arrays: the fitter evaluates
// the law millions of times and this keeps every access monomorphic.

import { CONSTANT_NAMES, type ConstantName, type Constants, PARTS, PART_CONSTANTS } from '../law/constants';
import type { FitPoint } from './points';

export const INDEX: Record<ConstantName, number> = Object.fromEntries(CONSTANT_NAMES.map((n, i) => [n, i])) as Record<ConstantName, number>;
export const N_CONSTANTS = CONSTANT_NAMES.length;

const GAMMA = PARTS.map((p) => INDEX[PART_CONSTANTS[p].gamma]);
const OFFSET = PARTS.map((p) => INDEX[PART_CONSTANTS[p].offset]);
const ROBUST = PARTS.map((p) => INDEX[PART_CONSTANTS[p].robust]);
const { A, alpha, B, beta, E, CT, gammaD, gammaN, gammaPost, bPost } = INDEX;

/**
 * How a point's loss is predicted:
 * - 'train'  : end-of-training loss (train points only);
 * - 'ptq'    : observed train loss of the run + delta_PTQ (isolates the degradation, §7c);
 * - 'unified': the unified law for every point (train loss from the law + delta_PTQ);
 * - 'split'  : the unified law, except rows marked `observedTrain` (PTQ points), predicted as
 *              'ptq': the joint refinement's degradation rows.
 */
export type PredictionMode = 'train' | 'ptq' | 'unified' | 'split';

export function toVector(c: Constants): Float64Array {
  return Float64Array.from(CONSTANT_NAMES, (n) => c[n]);
}

export function toConstants(v: ArrayLike<number>): Constants {
  return Object.fromEntries(CONSTANT_NAMES.map((n, i) => [n, v[i]])) as Constants;
}

/** Points column by column. `post` is NaN for points without post-training quantization. */
export interface PointTable {
  n: number;
  logN: Float64Array;
  logD: Float64Array;
  bits: [Float64Array, Float64Array, Float64Array];
  post: Float64Array;
  trainLoss: Float64Array;
  logObs: Float64Array;
  /** 1 where a 'split' prediction adds the law's degradation to the observed end-of-training loss. */
  observedTrain: Uint8Array;
  /** Each row's weight on its log-loss residual (1 but in the joint refinement's degradation rows). */
  weight: Float64Array;
  /** Distinct bit-widths of each part, and each point's index into them. */
  levels: [Float64Array, Float64Array, Float64Array];
  level: [Int32Array, Int32Array, Int32Array];
  /** exp(-P/gamma + n) and log(1 - that) per level, for the gamma and n they were computed with. */
  partCache: { gamma: Float64Array; offset: Float64Array; e: Float64Array[]; logf: Float64Array[] };
}

function levelsOf(bits: Float64Array): { levels: Float64Array; level: Int32Array } {
  const levels = Float64Array.from(new Set(bits)).sort();
  const index = new Map(Array.from(levels, (b, j) => [b, j]));
  return { levels, level: Int32Array.from(bits, (b) => index.get(b) ?? 0) };
}

export function pointTable(points: readonly FitPoint[], observedTrain?: Uint8Array, weight?: Float64Array): PointTable {
  const col = (f: (p: FitPoint) => number) => Float64Array.from(points, f);
  const bits: PointTable['bits'] = [col((p) => p.precision.w), col((p) => p.precision.a), col((p) => p.precision.kv)];
  const parts = bits.map(levelsOf);
  return {
    n: points.length,
    logN: col((p) => Math.log(p.params)),
    logD: col((p) => Math.log(p.tokens)),
    bits,
    post: col((p) => (p.kind === 'ptq' && p.post !== undefined ? p.post : NaN)),
    trainLoss: col((p) => p.trainLoss ?? NaN),
    logObs: col((p) => Math.log(p.loss)),
    observedTrain: observedTrain ?? new Uint8Array(points.length),
    weight: weight ?? new Float64Array(points.length).fill(1),
    levels: [parts[0].levels, parts[1].levels, parts[2].levels],
    level: [parts[0].level, parts[1].level, parts[2].level],
    partCache: {
      gamma: new Float64Array(3).fill(NaN),
      offset: new Float64Array(3).fill(NaN),
      e: parts.map((p) => new Float64Array(p.levels.length)),
      logf: parts.map((p) => new Float64Array(p.levels.length)),
    },
  };
}

/**
 * The precision factors depend on a point only through its bit-widths, of which a sweep has a
 * handful: compute them once per level and parameter vector, not once per point.
 */
function refreshParts(v: Float64Array, t: PointTable): void {
  const c = t.partCache;
  for (let k = 0; k < 3; k++) {
    const g = v[GAMMA[k]];
    const o = v[OFFSET[k]];
    if (c.gamma[k] === g && c.offset[k] === o) continue;
    const levels = t.levels[k];
    for (let j = 0; j < levels.length; j++) {
      const e = Math.exp(-levels[j] / g + o);
      c.e[k][j] = e;
      c.logf[k][j] = 1 - e > 0 ? Math.log(1 - e) : NaN;
    }
    c.gamma[k] = g;
    c.offset[k] = o;
  }
}

// Reused across calls.
const dLogNeff = new Float64Array(N_CONSTANTS);
const robustPart = new Float64Array(3);

/**
 * Prediction for point i; writes d(prediction)/d(constant) into `grad` when given. NaN where
 * the law is undefined (a factor f_x <= 0), which the fitter treats as infeasible.
 */
export function predictAt(v: Float64Array, t: PointTable, i: number, mode: PredictionMode, grad: Float64Array | null): number {
  refreshParts(v, t);
  const cache = t.partCache;
  let logNeff = t.logN[i];
  for (let k = 0; k < 3; k++) {
    const g = v[GAMMA[k]];
    const b = t.bits[k][i];
    const j = t.level[k][i];
    const e = cache.e[k][j];
    const f = 1 - e;
    if (!(f > 0)) return NaN;
    logNeff += cache.logf[k][j];
    if (grad) {
      dLogNeff[GAMMA[k]] = (-e * b) / (g * g) / f;
      dLogNeff[OFFSET[k]] = -e / f;
    }
  }
  if (grad) grad.fill(0);
  let value: number;
  const post = t.post[i];
  if (mode === 'ptq' || (mode === 'split' && t.observedTrain[i] === 1)) {
    value = t.trainLoss[i];
  } else {
    const t1 = v[A] * Math.exp(-v[alpha] * logNeff);
    const t2 = v[B] * Math.exp(-v[beta] * t.logD[i]);
    value = t1 + t2 + v[E];
    if (grad) {
      grad[A] = t1 / v[A];
      grad[alpha] = -t1 * logNeff;
      grad[B] = t2 / v[B];
      grad[beta] = -t2 * t.logD[i];
      grad[E] = 1;
      for (let k = 0; k < 3; k++) {
        grad[GAMMA[k]] += -v[alpha] * t1 * dLogNeff[GAMMA[k]];
        grad[OFFSET[k]] += -v[alpha] * t1 * dLogNeff[OFFSET[k]];
      }
    }
  }
  // post is NaN for train points, so this also skips them; weights already at P_post lose nothing.
  if (mode !== 'train' && post < t.bits[0][i]) {
    let robust = 1;
    for (let k = 0; k < 3; k++) {
      robustPart[k] = 1 - Math.exp(-v[ROBUST[k]] * (t.bits[k][i] - post));
      robust *= robustPart[k];
    }
    const delta = v[CT] * Math.exp(-post / v[gammaPost] + v[bPost] + v[gammaD] * t.logD[i] - v[gammaN] * logNeff) * robust;
    value += delta;
    if (grad) {
      grad[CT] += delta / v[CT];
      grad[gammaPost] += (delta * post) / (v[gammaPost] * v[gammaPost]);
      grad[bPost] += delta;
      grad[gammaD] += delta * t.logD[i];
      grad[gammaN] += -delta * logNeff;
      for (let k = 0; k < 3; k++) {
        const gap = t.bits[k][i] - post;
        if (robustPart[k] !== 0) grad[ROBUST[k]] += (delta / robustPart[k]) * Math.exp(-v[ROBUST[k]] * gap) * gap;
        grad[GAMMA[k]] += -v[gammaN] * delta * dLogNeff[GAMMA[k]];
        grad[OFFSET[k]] += -v[gammaN] * delta * dLogNeff[OFFSET[k]];
      }
    }
  }
  return value;
}

/** Predictions for every point of a table. */
export function predictAll(v: Float64Array, t: PointTable, mode: PredictionMode): Float64Array {
  const out = new Float64Array(t.n);
  for (let i = 0; i < t.n; i++) out[i] = predictAt(v, t, i, mode, null);
  return out;
}
