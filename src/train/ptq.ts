// Post-training quantization of the final weights: round-to-nearest onto a symmetric integer grid,
// one scale per output channel or per group of g weights along the input dimension, applied to
// the weights the model was trained to quantize (the linear layers of the blocks).
//
// The quantized model is evaluated as it would be served: the quantized weights replace the
// latent ones, and activations and keys/values keep the fake quantization the run trained with
// (none for a high-precision run), so the loss change is the weights' rounding alone. The run's
// own weight fake-quantization is not applied on top: the PTQ grid replaces it.

import { tf } from './backend';
import type { Model } from './model';
import { allLinearNames } from './modelConfig';
import { quantizeDequantize } from './quantize';

/** Copies of every linear layer's weights, rounded to `bits` with the given scale grouping. */
export function quantizedWeights(model: Model, bits: number, groupSize: number | null): Record<string, tf.Tensor> {
  const weights: Record<string, tf.Tensor> = {};
  for (const name of allLinearNames(model.config)) {
    weights[name] = quantizeDequantize(model.params[name], { kind: 'int', bits }, groupSize ?? 'channel');
  }
  return weights;
}

/** A group size works when it divides the input dimension of every linear layer. */
export function groupFits(model: Model, groupSize: number): boolean {
  return allLinearNames(model.config).every((name) => model.params[name].shape[0] % groupSize === 0);
}

export interface PtqSetting {
  bits: number;
  /** null: one scale per output channel. */
  groupSize: number | null;
}

/** Every bit-width at every grouping that fits the model, and the group sizes that do not. */
export function ptqSettings(model: Model, bits: readonly number[], groups: readonly (number | null)[]): { settings: PtqSetting[]; skippedGroups: number[] } {
  const usable = groups.filter((g) => g === null || groupFits(model, g));
  return {
    settings: usable.flatMap((groupSize) => bits.map((b) => ({ bits: b, groupSize }))),
    skippedGroups: groups.filter((g): g is number => g !== null && !usable.includes(g)),
  };
}
