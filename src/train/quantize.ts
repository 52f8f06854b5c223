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
import type { NumberFormat, QuantSpec } from './formats';

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
