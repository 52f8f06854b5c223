// Post-training quantization of the final weights, applied to the weights the model was trained
// to quantize (the linear layers of the blocks), in every format the two seed papers study:
// round-to-nearest integer per output channel and per group (Kumar et al.), the OCP microscaling
// formats (Xu et al.), and GPTQ from a calibration batch. The numerics live in src/ptq on plain
// arrays; this module takes the weights out of the model and puts quantized copies back.
//
// The quantized model is evaluated as it would be served: the quantized weights replace the
// latent ones, and activations and keys/values keep the fake quantization the run trained with
// (none for a high-precision run), so the loss change is the weights' rounding alone. The run's
// own weight fake-quantization is not applied on top: the PTQ grid replaces it.

import { seededRandom } from '../fit/random';
import { HessianAccumulator, gptqQuantize } from '../ptq/gptq';
import { type WeightFormat, bitsPerWeight, elementBits, intChannelFormat, intGroupFormat, parseWeightFormat, quantizeDequantize, scaleBlockSize } from '../ptq/mx';
import { tf } from './backend';
import { type Model, forward } from './model';
import { allLinearNames } from './modelConfig';
import type { Quantizers } from './quantize';

/** One linear layer's weights, [rows = in, cols = out] row-major. */
export interface Layer {
  name: string;
  values: Float32Array;
  rows: number;
  cols: number;
}

/** Float32 copies of every linear layer of the blocks. */
export function linearLayers(model: Model): Layer[] {
  return allLinearNames(model.config).map((name) => {
    const p = model.params[name];
    return { name, values: p.dataSync() as Float32Array, rows: p.shape[0], cols: p.shape[1] ?? 1 };
  });
}

/** Quantized copies of the layers, with what they cost and how far they moved. */
export interface QuantizedLayers {
  values: Map<string, Float32Array>;
  /** SQNR over all the layers' weights pooled, dB. */
  sqnrDb: number;
  /** Storage per weight including scales, averaged over the weights. */
  bitsPerWeight: number;
}

function pooled(layers: readonly Layer[], values: Map<string, Float32Array>, bitsOf: (layer: Layer) => number): QuantizedLayers {
  let signal = 0;
  let noise = 0;
  let bits = 0;
  let count = 0;
  for (const layer of layers) {
    const q = values.get(layer.name)!;
    for (let i = 0; i < q.length; i++) {
      signal += layer.values[i] * layer.values[i];
      noise += (layer.values[i] - q[i]) ** 2;
    }
    bits += bitsOf(layer) * q.length;
    count += q.length;
  }
  return { values, sqnrDb: noise === 0 ? Infinity : 10 * Math.log10(signal / noise), bitsPerWeight: bits / count };
}

/** Round-to-nearest in a weight format (integer per channel or group, or an MX format). */
export function roundToFormat(layers: readonly Layer[], format: WeightFormat): QuantizedLayers {
  const values = new Map(layers.map((l) => [l.name, quantizeDequantize(l.values, l.rows, l.cols, format)]));
  return pooled(layers, values, (l) => bitsPerWeight(format, l.rows));
}

/** A group size works when it divides the input dimension of every linear layer. */
export function groupFits(layers: readonly Layer[], groupSize: number): boolean {
  return layers.every((l) => l.rows % groupSize === 0);
}

/**
 * Hessians of every linear layer's inputs, 2/n XᵀX, from the full-precision model on
 * calibration sequences (rows of `context + 1` tokens). Every layer sees the unquantized
 * model's activations: GPTQ's sequential variant, which feeds each layer the outputs of the
 * already-quantized ones, is left out; for models of a few blocks the difference is small.
 */
export function calibrationHessians(model: Model, windows: Int32Array, batchSize: number, quant: Quantizers): Map<string, Float64Array> {
  const t1 = model.config.context + 1;
  const rows = windows.length / t1;
  const accumulators = new Map<string, HessianAccumulator>();
  for (let start = 0; start < rows; start += batchSize) {
    const n = Math.min(batchSize, rows - start);
    tf.tidy(() => {
      const batch = tf.tensor2d(windows.subarray(start * t1, (start + n) * t1), [n, t1], 'int32');
      const inputs = tf.slice(batch, [0, 0], [n, t1 - 1]) as tf.Tensor2D;
      forward(model, inputs, {
        quant,
        onLinearInput: (name, x) => {
          const [count, dim] = x.shape;
          let acc = accumulators.get(name);
          if (!acc) accumulators.set(name, (acc = new HessianAccumulator(dim)));
          acc.add(x.dataSync() as Float32Array, count);
        },
      });
    });
  }
  return new Map([...accumulators].map(([name, acc]) => [name, acc.finish()]));
}

/** GPTQ to `bits` (per output channel, or groups) with the layers' calibration Hessians. */
export function gptqLayers(layers: readonly Layer[], hessians: Map<string, Float64Array>, bits: number, groupSize: number | null): QuantizedLayers {
  const values = new Map(
    layers.map((l) => {
      const h = hessians.get(l.name);
      if (!h) throw new Error(`no calibration data reached layer ${l.name}`);
      return [l.name, gptqQuantize(l.values, l.rows, l.cols, h, { bits, groupSize }).weights];
    }),
  );
  // Same scales and codes per weight as round-to-nearest: the storage cost is the same.
  const storage = (l: Layer): number => bits + 16 / (groupSize ?? l.rows);
  return pooled(layers, values, storage);
}

/**
 * The layers plus Gaussian noise whose norm is `relativeNorm` times each layer's own weight
 * norm: a random direction in weight space at a controlled distance, for the loss-landscape
 * probe. A quantizer with SQNR s dB moves the weights by a relative norm of 10^(-s/20).
 */
export function perturbedLayers(layers: readonly Layer[], relativeNorm: number, seed: number): Map<string, Float32Array> {
  const random = seededRandom(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return new Map(
    layers.map((l) => {
      const noise = Float64Array.from(l.values, normal);
      let weightNorm = 0;
      let noiseNorm = 0;
      for (let i = 0; i < noise.length; i++) {
        weightNorm += l.values[i] * l.values[i];
        noiseNorm += noise[i] * noise[i];
      }
      const scale = noiseNorm > 0 ? (relativeNorm * Math.sqrt(weightNorm)) / Math.sqrt(noiseNorm) : 0;
      return [l.name, Float32Array.from(l.values, (v, i) => v + scale * noise[i])];
    }),
  );
}

/** Tensors for the quantized (or perturbed) values, to pass as a forward pass's weights. */
export function asTensors(layers: readonly Layer[], values: Map<string, Float32Array>): Record<string, tf.Tensor> {
  return Object.fromEntries(layers.map((l) => [l.name, tf.tensor2d(values.get(l.name)!, [l.rows, l.cols])]));
}

/** One quantization to evaluate: what the run records about it, and how to make its weights. */
export interface PtqStep {
  /** "int4-channel", "int4-g128", "mxfp4", "int4-channel gptq". */
  label: string;
  record: { bits: number; type: 'int' | 'fp'; format: string; method: 'rtn' | 'gptq'; groupSize: number | null };
  quantize(): QuantizedLayers;
}

export interface PtqPlan {
  steps: PtqStep[];
  /** Group sizes left out because they do not divide every layer's input dimension. */
  skippedGroups: number[];
}

/**
 * Every quantization a run evaluates: integer RTN at each bit-width and grouping, each MX
 * format, GPTQ at each of its bit-widths (the calibration Hessians computed once, on first use).
 */
export function ptqPlan(layers: readonly Layer[], ptq: { bits: number[]; groups: (number | null)[]; formats: string[]; gptqBits: number[] }, hessians: () => Map<string, Float64Array>): PtqPlan {
  const usable = ptq.groups.filter((g) => g === null || groupFits(layers, g));
  const rtn = (format: WeightFormat): PtqStep => {
    const isInt = format.kind !== 'mx' || format.element.kind === 'int';
    const groupSize = scaleBlockSize(format) || null;
    return {
      label: format.name,
      record: { bits: elementBits(format), type: isInt ? 'int' : 'fp', format: format.kind === 'mx' ? format.name : 'int', method: 'rtn', groupSize },
      quantize: () => roundToFormat(layers, format),
    };
  };
  let cached: Map<string, Float64Array> | undefined;
  const steps: PtqStep[] = [
    ...usable.flatMap((g) => ptq.bits.map((b) => rtn(g === null ? intChannelFormat(b) : intGroupFormat(b, g)))),
    ...ptq.formats.map((name) => rtn(parseWeightFormat(name))),
    ...ptq.gptqBits.map(
      (bits): PtqStep => ({
        label: `int${bits}-channel gptq`,
        record: { bits, type: 'int', format: 'int', method: 'gptq', groupSize: null },
        quantize: () => gptqLayers(layers, (cached ??= hessians()), bits, null),
      }),
    ),
  ];
  return { steps, skippedGroups: ptq.groups.filter((g): g is number => g !== null && !usable.includes(g)) };
}
