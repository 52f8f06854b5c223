// Fake quantization for quantized training, after Kumar et al. 2024 (Appendix D): a tensor is
// rounded to a low-precision grid in the forward pass and stays float32, so the loss feels the
// rounding error while the optimizer keeps updating full-precision latent weights.
//
// - Symmetric integer: b bits give the levels -(2^(b-1)-1) .. 2^(b-1)-1 times a scale; the scale
//   maps the absolute maximum onto the top level (absmax), per output channel for weights and
//   per tensor for activations, keys and values.
// - Floating point (e4m3, e5m2, e2m1, bf16): round to the nearest value the format represents,
//   after a scale that maps the absolute maximum onto the format's largest finite value (bf16
//   has fp32's range and needs no scale).
// - Backward: straight-through estimator. The paper trains through rounding with STE; we use the
//   clipped form common in quantized training (gradient 1 where the value lies inside the
//   clipping range, 0 where it was clipped). With absmax scaling nothing is clipped, so the
//   gradient is the identity everywhere; `clip < 1` (clip outliers at a fraction of the
//   absmax) is where the zeroing matters. The scale is treated as a constant.

import { tf } from './backend';
import type { PartPrecision } from '../runs/run';

export interface IntFormat {
  kind: 'int';
  bits: number;
}

export interface FloatFormat {
  kind: 'fp';
  name: string;
  /** Bits per value, sign included. */
  bits: number;
  mantissaBits: number;
  /** Exponent of the smallest normal number; below it values are subnormal (fixed spacing). */
  minExponent: number;
  /** Largest finite value. */
  max: number;
  /** Scale tensors so their absmax lands on `max`; false keeps values as they are (bf16). */
  scaled: boolean;
}

export type NumberFormat = IntFormat | FloatFormat;

/** Formats by name. e4m3 is the OCP "fn" variant (no infinities, max 448), e2m1 is OCP FP4. */
export const FLOAT_FORMATS: Readonly<Record<string, FloatFormat>> = Object.freeze({
  e4m3: { kind: 'fp', name: 'e4m3', bits: 8, mantissaBits: 3, minExponent: -6, max: 448, scaled: true },
  e5m2: { kind: 'fp', name: 'e5m2', bits: 8, mantissaBits: 2, minExponent: -14, max: 57344, scaled: true },
  e2m1: { kind: 'fp', name: 'e2m1', bits: 4, mantissaBits: 1, minExponent: 0, max: 6, scaled: true },
  bf16: { kind: 'fp', name: 'bf16', bits: 16, mantissaBits: 7, minExponent: -126, max: 3.3895313892515355e38, scaled: false },
});

export const MIN_INT_BITS = 2;
export const MAX_INT_BITS = 16;

/** "int8", "8", "e4m3", "bf16", "off"/"fp32" (no quantization: null). */
export function parseFormat(text: string): NumberFormat | null {
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === 'fp32' || t === 'none' || t === '32') return null;
  if (Object.hasOwn(FLOAT_FORMATS, t)) return FLOAT_FORMATS[t];
  const m = /^(?:int)?(\d+)$/.exec(t);
  if (m) {
    const bits = Number(m[1]);
    if (bits < MIN_INT_BITS || bits > MAX_INT_BITS) throw new Error(`integer bits must be ${MIN_INT_BITS} to ${MAX_INT_BITS}, got ${bits}`);
    return { kind: 'int', bits };
  }
  throw new Error(`unknown number format "${text}" (expected 2..16, int8, ${Object.keys(FLOAT_FORMATS).join(', ')}, or off)`);
}

export function formatName(format: NumberFormat | null): string {
  if (!format) return 'fp32';
  return format.kind === 'int' ? `int${format.bits}` : format.name;
}

/** The run-manifest record of a part's precision. */
export function partPrecision(format: NumberFormat | null): PartPrecision {
  if (!format) return { bits: 32, type: 'fp', name: 'fp32' };
  return format.kind === 'int' ? { bits: format.bits, type: 'int', name: `int${format.bits}` } : { bits: format.bits, type: 'fp', name: format.name };
}

/** Largest integer level of a symmetric b-bit grid. */
export const intMax = (bits: number): number => 2 ** (bits - 1) - 1;

/**
 * Where one scale is shared. 'tensor': one for the whole tensor. 'channel': one per output
 * channel of a [in, out] weight (the max runs over axis 0). A number g: one per g consecutive
 * weights along the input axis of each output channel (groups for post-training quantization).
 */
export type Granularity = 'tensor' | 'channel' | number;

/** Absolute maximum over the elements that share a scale, shaped to broadcast against x. */
function absMax(x: tf.Tensor, granularity: Granularity): tf.Tensor {
  const a = tf.abs(x);
  if (granularity === 'tensor') return tf.max(a);
  if (granularity === 'channel') return tf.max(a, 0, true);
  throw new Error('grouped scales are computed by quantizeGroups');
}

/** Rounds values already divided by their scale onto the format's grid. */
function roundToGrid(y: tf.Tensor, format: NumberFormat): tf.Tensor {
  // Callers keep y within the grid's range (absmax scaling, or clipping first), so rounding
  // cannot leave it.
  if (format.kind === 'int') return tf.round(y);
  // The spacing of representable values near |y| is 2^(e - mantissaBits), e the exponent of |y|
  // (fixed at the smallest normal exponent for subnormals). tf.round is round-half-to-even, as
  // IEEE, and symmetric, so y is rounded as it is, sign and all.
  const exponent = tf.maximum(tf.floor(tf.div(tf.log(tf.maximum(tf.abs(y), 1e-37)), Math.LN2)), format.minExponent);
  const spacing = tf.pow(tf.scalar(2), tf.sub(exponent, format.mantissaBits));
  return tf.clipByValue(tf.mul(tf.round(tf.div(y, spacing)), spacing), -format.max, format.max);
}

/** The top of the grid the scale maps the absmax onto. */
const gridMax = (format: NumberFormat): number => (format.kind === 'int' ? intMax(format.bits) : format.max);

/** Forward-only quantize-dequantize; `clip` in (0, 1] shrinks the range below the absmax. */
export function quantizeDequantize(x: tf.Tensor, format: NumberFormat, granularity: Granularity, clip = 1): tf.Tensor {
  return tf.tidy(() => {
    if (format.kind === 'fp' && !format.scaled) return roundToGrid(x, format);
    if (typeof granularity === 'number') return quantizeGroups(x, format, granularity, clip);
    const range = clip === 1 ? absMax(x, granularity) : tf.mul(absMax(x, granularity), clip);
    // An all-zero tensor (or channel) has no scale; any positive one leaves its zeros at zero.
    const scale = tf.maximum(tf.div(range, gridMax(format)), 1e-30);
    const y = tf.div(x, scale);
    return tf.mul(roundToGrid(clip === 1 ? y : tf.clipByValue(y, -gridMax(format), gridMax(format)), format), scale);
  });
}

/** Groups of g weights along the input axis (axis 0) of a [in, out] matrix, one scale each. */
function quantizeGroups(w: tf.Tensor, format: NumberFormat, group: number, clip: number): tf.Tensor {
  const [rows, cols] = w.shape;
  if (w.rank !== 2 || rows % group !== 0) throw new Error(`group size ${group} does not divide the input dimension ${rows}`);
  const grouped = tf.reshape(w, [rows / group, group, cols]);
  const range = tf.mul(tf.max(tf.abs(grouped), 1, true), clip);
  const scale = tf.maximum(tf.div(range, gridMax(format)), 1e-30);
  const y = clip === 1 ? tf.div(grouped, scale) : tf.clipByValue(tf.div(grouped, scale), -gridMax(format), gridMax(format));
  return tf.reshape(tf.mul(roundToGrid(y, format), scale), [rows, cols]);
}

/** The clipping range of the straight-through estimator, shaped to broadcast against x. */
function clipRange(x: tf.Tensor, granularity: Granularity, clip: number): tf.Tensor {
  if (typeof granularity === 'number') {
    const [rows, cols] = x.shape;
    const group = tf.max(tf.abs(tf.reshape(x, [rows / granularity, granularity, cols])), 1, true);
    return tf.reshape(tf.tile(tf.mul(group, clip), [1, granularity, 1]), [rows, cols]);
  }
  return tf.mul(absMax(x, granularity), clip);
}

export type FakeQuantizer = (x: tf.Tensor) => tf.Tensor;
type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/**
 * Quantize-dequantize in the forward pass, straight-through in the backward pass: the gradient
 * flows unchanged to values inside the clipping range and is zero for clipped ones.
 */
export function fakeQuantizer(format: NumberFormat, granularity: Granularity, clip = 1): FakeQuantizer {
  if (!(clip > 0 && clip <= 1)) throw new Error(`clip must be in (0, 1], got ${clip}`);
  const unclipped = clip === 1 || (format.kind === 'fp' && !format.scaled);
  const forward = (x: tf.Tensor, save: tf.GradSaveFunc) => {
    const value = quantizeDequantize(x, format, granularity, clip);
    if (unclipped) return { value, gradFunc: (dy: tf.Tensor) => dy };
    save([x]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, tf.cast(tf.lessEqual(tf.abs(saved), clipRange(saved, granularity, clip)), 'float32')),
    };
  };
  return tf.customGrad(forward as unknown as CustomGradientFunc) as unknown as FakeQuantizer;
}

/** Training precision of the three parts the paper quantizes; null = not quantized (fp32). */
export interface QuantSpec {
  w: NumberFormat | null;
  a: NumberFormat | null;
  kv: NumberFormat | null;
}

/**
 * "w4a8kv4", "w8a8" (kv follows the activations), "int8" / "e4m3" / "fp32" for all three,
 * or "w:e4m3,a:int8,kv:off" for any mix of formats.
 */
export function parseQuantSpec(text: string): QuantSpec {
  const t = text.trim().toLowerCase();
  const keyed = /^w[:=]([^,]+),a[:=]([^,]+),kv[:=]([^,]+)$/.exec(t);
  if (keyed) return { w: parseFormat(keyed[1]), a: parseFormat(keyed[2]), kv: parseFormat(keyed[3]) };
  const short = /^w(\d+)a(\d+)(?:kv(\d+))?$/.exec(t);
  if (short) {
    const [w, a, kv] = [short[1], short[2], short[3] ?? short[2]].map(parseFormat);
    return { w, a, kv };
  }
  const all = parseFormat(t);
  return { w: all, a: all, kv: all };
}

/** A short name for run directories: "w4a8kv4", "w3a32kv32" (32: not quantized), "fp32", "e4m3". */
export function quantSpecName(spec: QuantSpec): string {
  const parts = [spec.w, spec.a, spec.kv];
  const same = parts.every((f) => formatName(f) === formatName(parts[0]));
  if (same && parts[0]?.kind !== 'int') return formatName(parts[0]);
  const names = parts.map((f) => (f === null ? '32' : f.kind === 'int' ? String(f.bits) : f.name));
  return `w${names[0]}a${names[1]}kv${names[2]}`;
}

/** The quantizers a forward pass applies; a missing one leaves that part in fp32. */
export interface Quantizers {
  /** Weights of a linear layer, [in, out]: one scale per output channel. */
  weight?: FakeQuantizer;
  /** Inputs of a linear layer: one scale per tensor. */
  act?: FakeQuantizer;
  /** Attention keys and values: one scale per tensor. */
  kv?: FakeQuantizer;
}

export function quantizersFor(spec: QuantSpec, clip = 1): Quantizers {
  const q: Quantizers = {};
  if (spec.w) q.weight = fakeQuantizer(spec.w, 'channel', clip);
  if (spec.a) q.act = fakeQuantizer(spec.a, 'tensor', clip);
  if (spec.kv) q.kv = fakeQuantizer(spec.kv, 'tensor', clip);
  return q;
}
