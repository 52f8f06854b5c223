// GPTQ (Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for Generative
// Pre-trained Transformers", arXiv 2210.17323, Algorithm 1) for one linear layer, in plain
// TypeScript on typed arrays so it runs anywhere the rest of the core does.
//
// Conventions: y = x W with W row-major [in, out] (a row per input feature, a column per output
// channel); calibration inputs X are [n, in]. GPTQ minimises the layer's output error
// ||X W − X Ŵ||² over the calibration set, whose Hessian in W is H = 2/n XᵀX. It quantizes one
// input feature (one row of W, all output channels at once) at a time and spreads that row's
// rounding error over the rows not yet quantized, weighted by the inverse Hessian, so inputs
// that are correlated with the rounded one absorb its error. Rows are quantized in order (or by
// decreasing H_jj with actOrder), using the upper Cholesky factor of H⁻¹, and the updates are
// applied lazily per block of rows so most of the work is one dense update per block.
//
// The grid is the one the rest of the codebase trains and evaluates with (src/train/quantize.ts):
// symmetric integers ±(2^(b-1) − 1) times a scale that maps an absmax onto the top level,
// rounding half to even (as tf.round does). Scales are per output channel, from the original
// weights, or per group of `groupSize` input features, computed when GPTQ reaches the group's
// first row from the weights as updated so far (as the reference implementation does).
// Everything is computed in Float64.

import { inverseCholeskyUpper } from './linalg';

export interface RtnOptions {
  /** Integer bits, 2..16: levels −(2^(b−1)−1) .. 2^(b−1)−1. */
  bits: number;
  /** Input features per scale; null or absent: one scale per output channel. The last group may be shorter. */
  groupSize?: number | null;
}

export interface GptqOptions extends RtnOptions {
  /** Added to H's diagonal as a fraction of its mean (over inputs that are not dead); default 0.01. */
  dampening?: number;
  /** Rows per lazy-update block; only speed depends on it. Default 128. */
  blockSize?: number;
  /** Quantize input features by decreasing H_jj (the paper's "act order"); default false. */
  actOrder?: boolean;
}

/** A quantized [in, out] weight: weights[i, c] = codes[i, c] · scales[groupIndex[i], c]. */
export interface QuantizedLayer {
  /** Dequantized weights, [in, out] row-major like the input. */
  weights: Float32Array;
  /** Integer levels, [in, out]. */
  codes: Int16Array;
  /** [groups, out]; one group (per-channel scales) without groupSize. */
  scales: Float64Array;
  /** The scale group of each input feature, [in]. */
  groupIndex: Int32Array;
}

export interface GptqResult extends QuantizedLayer {
  /** Σ over features of featureLoss: the paper's proxy for the added output error. */
  loss: number;
  /** Per input feature: Σ_c (w − q)² / (2 [U]_ii²), U the Cholesky factor of H⁻¹ (original order). */
  featureLoss: Float64Array;
  /** The relative dampening actually used (larger than asked when the factorization needed it). */
  dampening: number;
  /** Processing order: order[p] is the input feature quantized p-th. */
  order: Int32Array;
  /** Input features whose calibration inputs were all zero (H_jj = 0); their rows are zero. */
  deadInputs: number[];
}

const DEFAULT_DAMPENING = 0.01;
const DEFAULT_BLOCK_SIZE = 128;
/** Retries of the factorization, each with ten times the dampening. */
const DAMPENING_RETRIES = 3;
/** An all-zero channel or group has no scale; any positive one keeps its zeros at zero. */
const MIN_SCALE = 1e-30;

type Matrix = Float32Array | Float64Array;

/** Largest integer level of a symmetric b-bit grid. */
export const intMax = (bits: number): number => 2 ** (bits - 1) - 1;

// ---------------------------------------------------------------------------------------------
// Hessian

/**
 * Accumulates H = 2/n Σ xᵀx over calibration batches, so a calibration set need not be held in
 * memory at once. Sums are kept unscaled in Float64 and divided once, in finish().
 */
export class HessianAccumulator {
  private readonly sum: Float64Array;
  private count = 0;

  constructor(readonly inDim: number) {
    assertPositiveInteger(inDim, 'inDim');
    this.sum = new Float64Array(inDim * inDim);
  }

  get samples(): number {
    return this.count;
  }

  /** Adds n rows of X ([n, in] row-major). */
  add(inputs: Matrix, n: number): void {
    const d = this.inDim;
    if (!Number.isInteger(n) || n < 0) throw new Error(`sample count must be a non-negative integer, got ${n}`);
    if (inputs.length !== n * d) throw new Error(`inputs have ${inputs.length} values, expected ${n} × ${d}`);
    const s = this.sum;
    // Upper triangle only (H is symmetric), mirrored in finish(); a row of X is read once per
    // feature and the inner loop runs along both the row and a row of the sum.
    for (let r = 0; r < n; r++) {
      const base = r * d;
      for (let i = 0; i < d; i++) {
        const xi = inputs[base + i];
        if (xi === 0) continue;
        const row = i * d;
        for (let j = i; j < d; j++) s[row + j] += xi * inputs[base + j];
      }
    }
    this.count += n;
  }

  /** H = 2/n XᵀX over everything added so far, [in, in]. */
  finish(): Float64Array {
    if (this.count === 0) throw new Error('no calibration samples were added to the Hessian');
    const d = this.inDim;
    const h = new Float64Array(d * d);
    const k = 2 / this.count;
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const v = k * this.sum[i * d + j];
        h[i * d + j] = v;
        h[j * d + i] = v;
      }
    }
    if (!h.every(Number.isFinite)) throw new Error('the Hessian is not finite: the calibration inputs contain NaN or infinite values');
    return h;
  }
}

/** H = 2/n XᵀX for one batch of calibration inputs X ([n, in] row-major). */
export function hessian(inputs: Matrix, n: number, inDim: number): Float64Array {
  const acc = new HessianAccumulator(inDim);
  acc.add(inputs, n);
  return acc.finish();
}

// ---------------------------------------------------------------------------------------------
// The grid

/** Round half to even, as tf.round, so RTN here matches the tfjs quantizer's ties. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const frac = x - f;
  if (frac < 0.5) return f;
  if (frac > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Per output channel: absmax over rows [from, to) of w ([., out]) divided by qmax. */
function absmaxScales(w: Matrix, from: number, to: number, outDim: number, qmax: number, into: Float64Array, at: number): void {
  for (let c = 0; c < outDim; c++) into[at + c] = 0;
  for (let i = from; i < to; i++) {
    const row = i * outDim;
    for (let c = 0; c < outDim; c++) into[at + c] = Math.max(into[at + c], Math.abs(w[row + c]));
  }
  for (let c = 0; c < outDim; c++) into[at + c] = Math.max(into[at + c] / qmax, MIN_SCALE);
}

/**
 * Quantizes one row of w in place onto the grid of scales[at .. at+out), writing the codes.
 * Clamping matters for GPTQ: error feedback can push a weight past the absmax its scale was
 * computed from.
 */
function quantizeRow(w: Float64Array, row: number, scales: Float64Array, at: number, qmax: number, codes: Int16Array, outDim: number): void {
  for (let c = 0; c < outDim; c++) {
    const s = scales[at + c];
    const code = Math.min(qmax, Math.max(-qmax, roundHalfEven(w[row + c] / s)));
    codes[row + c] = code;
    w[row + c] = code * s;
  }
}

// ---------------------------------------------------------------------------------------------
// Round-to-nearest

/** Plain round-to-nearest with the same grid and scales as gptqQuantize, for comparison. */
export function rtnQuantize(weights: Float32Array, inDim: number, outDim: number, options: RtnOptions): QuantizedLayer {
  checkLayer(weights, inDim, outDim);
  const { bits, groupSize } = checkGrid(options);
  const qmax = intMax(bits);
  const w = Float64Array.from(weights);
  const codes = new Int16Array(inDim * outDim);
  const groups = groupSize === null ? 1 : Math.ceil(inDim / groupSize);
  const scales = new Float64Array(groups * outDim);
  const groupIndex = new Int32Array(inDim);
  const size = groupSize ?? inDim;
  for (let g = 0; g < groups; g++) {
    const from = g * size;
    const to = Math.min(from + size, inDim);
    absmaxScales(w, from, to, outDim, qmax, scales, g * outDim);
    for (let i = from; i < to; i++) {
      groupIndex[i] = g;
      quantizeRow(w, i * outDim, scales, g * outDim, qmax, codes, outDim);
    }
  }
  return { weights: Float32Array.from(w), codes, scales, groupIndex };
}

// ---------------------------------------------------------------------------------------------
// GPTQ

/**
 * GPTQ for one linear layer. `weights` is [in, out] row-major, `H` the [in, in] Hessian of the
 * layer's calibration inputs (see hessian / HessianAccumulator). Throws when H cannot be
 * factored even after raising the dampening.
 */
export function gptqQuantize(weights: Float32Array, inDim: number, outDim: number, H: Float64Array, options: GptqOptions): GptqResult {
  checkLayer(weights, inDim, outDim);
  if (H.length !== inDim * inDim) throw new Error(`H has ${H.length} values, expected ${inDim} × ${inDim}`);
  if (!H.every(Number.isFinite)) throw new Error('H contains NaN or infinite values');
  const { bits, groupSize } = checkGrid(options);
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  assertPositiveInteger(blockSize, 'blockSize');
  const dampening = options.dampening ?? DEFAULT_DAMPENING;
  if (!(dampening >= 0) || !Number.isFinite(dampening)) throw new Error(`dampening must be a non-negative number, got ${dampening}`);
  const qmax = intMax(bits);

  const diagonal = Array.from({ length: inDim }, (_, j) => H[j * inDim + j]);
  const deadInputs = diagonal.flatMap((h, j) => (h === 0 ? [j] : []));

  // Per-channel scales come from the original weights, before dead rows are zeroed (as the
  // reference does), so they equal RTN's and the comparison isolates the error feedback.
  const groups = groupSize === null ? 1 : Math.ceil(inDim / groupSize);
  const scales = new Float64Array(groups * outDim);
  if (groupSize === null) absmaxScales(weights, 0, inDim, outDim, qmax, scales, 0);

  // A dead input never reaches the output, so its weights are free: zero them, and give H a unit
  // diagonal there so it stays invertible (its row and column are zero, so it is decoupled).
  const w0 = Float64Array.from(weights);
  for (const j of deadInputs) w0.fill(0, j * outDim, (j + 1) * outDim);
  const order = processingOrder(diagonal, options.actOrder ?? false);
  const w = permuteRows(w0, order, outDim);
  const h = permuteSymmetric(H, order, inDim);
  for (let p = 0; p < inDim; p++) if (diagonal[order[p]] === 0) h[p * inDim + p] = 1;

  const { u, dampening: used } = dampedFactor(h, inDim, meanLiveDiagonal(diagonal), dampening);

  const { codes, loss } = quantizeRows(w, u, scales, { inDim, outDim, qmax, groupSize, blockSize });

  const inverse = new Int32Array(inDim);
  order.forEach((j, p) => (inverse[j] = p));
  const groupIndex = Int32Array.from(inverse, (p) => (groupSize === null ? 0 : Math.floor(p / groupSize)));
  const featureLoss = Float64Array.from(inverse, (p) => loss[p]);
  return {
    weights: Float32Array.from(permuteRows(w, inverse, outDim)),
    codes: permuteRows(codes, inverse, outDim),
    scales,
    groupIndex,
    loss: loss.reduce((a, b) => a + b, 0),
    featureLoss,
    dampening: used,
    order,
    deadInputs,
  };
}

interface Shape {
  inDim: number;
  outDim: number;
  qmax: number;
  groupSize: number | null;
  blockSize: number;
}

/**
 * Algorithm 1 on rows already in processing order: quantizes every row of w in place (it ends
 * dequantized), feeding each row's scaled error to the later rows through U, the upper Cholesky
 * factor of the damped H⁻¹. Group scales are written into `scales` as the groups start.
 */
function quantizeRows(w: Float64Array, u: Float64Array, scales: Float64Array, shape: Shape): { codes: Int16Array; loss: Float64Array } {
  const { inDim, outDim, qmax, groupSize, blockSize } = shape;
  const codes = new Int16Array(inDim * outDim);
  const loss = new Float64Array(inDim);
  const err = new Float64Array(Math.min(blockSize, inDim) * outDim);
  for (let b0 = 0; b0 < inDim; b0 += blockSize) {
    const b1 = Math.min(b0 + blockSize, inDim);
    for (let p = b0; p < b1; p++) {
      if (groupSize !== null && p % groupSize === 0) {
        const group = updatedRows(w, p, Math.min(p + groupSize, inDim), b0, b1, err, u, inDim, outDim);
        absmaxScales(group, 0, group.length / outDim, outDim, qmax, scales, (p / groupSize) * outDim);
      }
      const at = groupSize === null ? 0 : Math.floor(p / groupSize) * outDim;
      const d = u[p * inDim + p];
      const row = p * outDim;
      const e = (p - b0) * outDim;
      for (let c = 0; c < outDim; c++) err[e + c] = w[row + c];
      // The row is overwritten by its dequantized values: nothing reads it again, since the
      // updates below only reach rows after p.
      quantizeRow(w, row, scales, at, qmax, codes, outDim);
      let l = 0;
      for (let c = 0; c < outDim; c++) {
        const diff = err[e + c] - w[row + c];
        l += diff * diff;
        err[e + c] = diff / d;
      }
      loss[p] = l / (2 * d * d);
      // Error feedback inside the block, immediately: the next row must see it before rounding.
      for (let k = p + 1; k < b1; k++) subtractScaled(w, k * outDim, err, e, u[p * inDim + k], outDim);
    }
    // Rows after the block receive the whole block's feedback at once (the lazy batch update).
    for (let k = b1; k < inDim; k++) {
      for (let p = b0; p < b1; p++) subtractScaled(w, k * outDim, err, (p - b0) * outDim, u[p * inDim + k], outDim);
    }
  }
  return { codes, loss };
}

/**
 * Rows [from, to) of w as fully updated by every row quantized so far. Rows inside the current
 * block [b0, b1) already are; rows past it still lack the block's pending lazy update, which is
 * added here to a copy. The reference implementation reads those rows as they stand, so there a
 * group that starts inside a block gets its scales from partly updated weights and the result
 * depends on the block size; here it does not.
 */
function updatedRows(w: Float64Array, from: number, to: number, b0: number, b1: number, err: Float64Array, u: Float64Array, inDim: number, outDim: number): Float64Array {
  const rows = w.slice(from * outDim, to * outDim);
  for (let k = Math.max(from, b1); k < to; k++) {
    for (let p = b0; p < from; p++) subtractScaled(rows, (k - from) * outDim, err, (p - b0) * outDim, u[p * inDim + k], outDim);
  }
  return rows;
}

/** w[row..row+n) −= factor · err[from..from+n); a zero factor (decoupled inputs) is skipped. */
function subtractScaled(w: Float64Array, row: number, err: Float64Array, from: number, factor: number, n: number): void {
  if (factor === 0) return;
  for (let c = 0; c < n; c++) w[row + c] -= factor * err[from + c];
}

/** Identity, or by decreasing H_jj (ties by index; dead inputs, H_jj = 0, last). */
function processingOrder(diagonal: number[], actOrder: boolean): Int32Array {
  const order = Int32Array.from(diagonal.keys());
  if (actOrder) order.sort((a, b) => diagonal[b] - diagonal[a] || a - b);
  return order;
}

/** Rows of a [rows, cols] matrix taken in `order` (out row p = in row order[p]). */
function permuteRows<T extends Float64Array | Int16Array>(m: T, order: Int32Array, cols: number): T {
  const out = m.slice() as T;
  order.forEach((from, p) => out.set(m.subarray(from * cols, (from + 1) * cols), p * cols));
  return out;
}

/** P H Pᵀ for the permutation `order`, as a fresh Float64Array. */
function permuteSymmetric(h: Float64Array, order: Int32Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) out[p * n + q] = h[order[p] * n + order[q]];
  return out;
}

/**
 * The scale the dampening is relative to: the mean of H_jj over live inputs. The unit
 * placeholder of a dead input is arbitrary, and would otherwise set the dampening for layers
 * whose activations are far from unit size.
 */
function meanLiveDiagonal(diagonal: number[]): number {
  const live = diagonal.filter((h) => h !== 0);
  return live.length === 0 ? 1 : live.reduce((a, b) => a + b, 0) / live.length;
}

/**
 * The upper Cholesky factor U of (H + λ·mean·I)⁻¹. A Hessian from fewer samples than inputs, or
 * from nearly collinear inputs, can be singular in floating point even after the requested
 * dampening; then λ is raised tenfold, a few times, before giving up.
 */
function dampedFactor(h: Float64Array, n: number, mean: number, dampening: number): { u: Float64Array; dampening: number } {
  let lambda = dampening;
  for (let attempt = 0; ; attempt++) {
    const damped = h.slice();
    for (let i = 0; i < n; i++) damped[i * n + i] += lambda * mean;
    const u = inverseCholeskyUpper(damped, n);
    if (u !== null) return { u, dampening: lambda };
    if (attempt === DAMPENING_RETRIES) break;
    lambda = lambda > 0 ? lambda * 10 : DEFAULT_DAMPENING;
  }
  throw new Error(
    `GPTQ: the Hessian is not positive definite even with dampening ${lambda} × mean(diag H) ` +
      `after ${DAMPENING_RETRIES} retries; check the calibration inputs (NaN, a wrong layout, or far too few samples)`,
  );
}

// ---------------------------------------------------------------------------------------------
// Checking the result

/**
 * Relative output error ||X W − X Ŵ||²_F / ||X W||²_F on inputs X ([n, in]); 0 when both are
 * zero, Infinity when only the reference output is.
 */
export function layerOutputError(inputs: Matrix, n: number, W: Matrix, Wq: Matrix, inDim: number, outDim: number): number {
  if (inputs.length !== n * inDim) throw new Error(`inputs have ${inputs.length} values, expected ${n} × ${inDim}`);
  if (W.length !== inDim * outDim || Wq.length !== inDim * outDim) throw new Error(`weights must have ${inDim} × ${outDim} values`);
  // The error is X (W − Ŵ), computed from the difference in Float64 rather than as the
  // difference of two nearly equal outputs.
  const diff = Float64Array.from(W, (v, i) => v - Wq[i]);
  const y = new Float64Array(outDim);
  const e = new Float64Array(outDim);
  let reference = 0;
  let error = 0;
  for (let r = 0; r < n; r++) {
    y.fill(0);
    e.fill(0);
    for (let i = 0; i < inDim; i++) {
      const x = inputs[r * inDim + i];
      if (x === 0) continue;
      const row = i * outDim;
      for (let c = 0; c < outDim; c++) {
        y[c] += x * W[row + c];
        e[c] += x * diff[row + c];
      }
    }
    for (let c = 0; c < outDim; c++) {
      reference += y[c] * y[c];
      error += e[c] * e[c];
    }
  }
  if (reference === 0) return error === 0 ? 0 : Infinity;
  return error / reference;
}

// ---------------------------------------------------------------------------------------------
// Argument checks

function assertPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
}

function checkLayer(weights: Float32Array, inDim: number, outDim: number): void {
  assertPositiveInteger(inDim, 'inDim');
  assertPositiveInteger(outDim, 'outDim');
  if (weights.length !== inDim * outDim) throw new Error(`weights have ${weights.length} values, expected ${inDim} × ${outDim}`);
  if (!weights.every(Number.isFinite)) throw new Error('weights contain NaN or infinite values');
}

/** Bits 2..16 (codes fit an Int16Array; 1 bit would leave only the level 0). */
function checkGrid(options: RtnOptions): { bits: number; groupSize: number | null } {
  const { bits } = options;
  if (!Number.isInteger(bits) || bits < 2 || bits > 16) throw new Error(`bits must be an integer from 2 to 16, got ${bits}`);
  const groupSize = options.groupSize ?? null;
  if (groupSize !== null) assertPositiveInteger(groupSize, 'groupSize');
  return { bits, groupSize };
}
