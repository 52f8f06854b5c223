// Features of the post-training-quantization predictor of Xu et al. 2024 ("Scaling Laws for
// Post Training Quantized Large Language Models", arXiv 2410.12119): what the model is (size,
// pre-PTQ loss), what the format does to its weights (SQNR, bits, block size, method), and how
// the model's loss responds to weight noise of the same strength (flatness).
//
// Pure: the samples come from an adapter over the run readers, written elsewhere.

import type { ProbePoint } from '../runs/run';

/** One PTQ evaluation of one trained run, decoupled from the run readers. */
export interface PtqSample {
  runId: string;
  /** N, non-embedding parameters of the model. */
  params: number;
  /** D, training tokens. */
  tokens: number;
  /** Validation loss before post-training quantization. */
  trainLoss: number;
  /** "int4-channel", "int4-g32", "mxfp4", "mxint8", "mxfp6-e2m3", ... */
  format: string;
  /** "rtn" | "gptq". */
  method: string;
  /** Element bits of the format. */
  bits: number;
  /** Weights sharing one scale; 0 for one scale per output channel. */
  blockSize: number;
  /** Effective bits per weight including the scale overhead. */
  bitsPerWeight: number;
  /** SQNR of RTN quantization of the weights in this format, dB. */
  sqnrDb: number;
  /** Loss increase when the weights get random noise of relative norm r (mean over directions). */
  probe?: readonly ProbePoint[];
  /** Validation loss after PTQ: the target. */
  loss: number;
}

export type { ProbePoint } from '../runs/run';

/** What a prediction needs: a sample without its outcome. */
export type PtqInput = Omit<PtqSample, 'loss' | 'runId' | 'tokens'> & { runId?: string; tokens?: number };

export const FEATURE_NAMES = ['log10Params', 'trainLoss', 'sqnrDb', 'bits', 'log2BlockSize', 'method', 'flatness'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** The feature set without the probe, for runs that were never probed. */
export const FEATURES_WITHOUT_FLATNESS: readonly FeatureName[] = FEATURE_NAMES.filter((f) => f !== 'flatness');

/** Method codes: GPTQ compensates rounding error, so at equal SQNR it degrades less than RTN. */
export const METHOD_CODES: Readonly<Record<string, number>> = { rtn: 0, gptq: 1 };

/** Named feature values; flatness is undefined when the run has no usable probe. */
export type PtqFeatures = Record<Exclude<FeatureName, 'flatness'>, number> & { flatness: number | undefined };

/**
 * Relative weight-noise norm with the same SQNR as the quantizer: SQNR = 20 log10(|w| / |e|),
 * so |e| / |w| = 10^(-SQNR / 20).
 */
export function noiseNormForSqnr(sqnrDb: number): number {
  return 10 ** (-sqnrDb / 20);
}

/**
 * The probe's loss increase at relative noise norm r, interpolated linearly in log10 r between
 * probed norms (the probe is laid out on a log grid, and the loss rises over decades of r).
 * Outside the probed range:
 * - below it, the increase is scaled as r^2 from the smallest probed norm: near a minimum the
 *   loss is quadratic in the perturbation, and the increase must go to 0 with r;
 * - above it, the largest probe's value is held: the rise there is step-like (Xu et al.) and an
 *   extrapolated slope would invent one. Probe far enough to cover the coarsest format.
 * Points with a non-positive or non-finite norm or a non-finite increase are ignored; repeated
 * norms are averaged. Undefined when no usable point remains or r is not a positive number.
 */
export function interpolateProbe(probe: readonly ProbePoint[], r: number): number | undefined {
  if (!(r > 0) || !Number.isFinite(r)) return undefined;
  const points = cleanProbe(probe);
  if (points.length === 0) return undefined;
  const x = Math.log10(r);
  const first = points[0];
  const last = points[points.length - 1];
  if (x <= first.x) return first.y * (r / 10 ** first.x) ** 2;
  if (x >= last.x) return last.y;
  let i = 1;
  while (points[i].x < x) i++;
  const a = points[i - 1];
  const b = points[i];
  return a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x);
}

/** Usable probe points as (log10 r, increase), sorted by r, repeated norms averaged. */
function cleanProbe(probe: readonly ProbePoint[]): { x: number; y: number }[] {
  const byNorm = new Map<number, number[]>();
  for (const p of probe) {
    if (!(p.relativeNorm > 0) || !Number.isFinite(p.relativeNorm) || !Number.isFinite(p.lossIncrease)) continue;
    const ys = byNorm.get(p.relativeNorm) ?? [];
    ys.push(p.lossIncrease);
    byNorm.set(p.relativeNorm, ys);
  }
  return [...byNorm.entries()]
    .map(([r, ys]) => ({ x: Math.log10(r), y: ys.reduce((s, y) => s + y, 0) / ys.length }))
    .sort((a, b) => a.x - b.x);
}

/** Flatness of a sample: the probe read at the noise norm matching the format's SQNR. */
export function flatness(sample: Pick<PtqInput, 'probe' | 'sqnrDb'>): number | undefined {
  if (!sample.probe || !Number.isFinite(sample.sqnrDb)) return undefined;
  return interpolateProbe(sample.probe, noiseNormForSqnr(sample.sqnrDb));
}

/**
 * Why a sample cannot be used (as training data or for a prediction), or undefined when it
 * can. The outcome (loss) is checked by `sampleProblem`.
 */
export function inputProblem(s: PtqInput): string | undefined {
  if (!(s.params > 0) || !Number.isFinite(s.params)) return `params must be a positive number, got ${s.params}`;
  if (!Number.isFinite(s.trainLoss)) return `trainLoss must be a number, got ${s.trainLoss}`;
  if (!Number.isFinite(s.sqnrDb)) return `sqnrDb must be a number, got ${s.sqnrDb}`;
  if (!(s.bits > 0) || !Number.isFinite(s.bits)) return `bits must be a positive number, got ${s.bits}`;
  if (!(s.blockSize >= 0) || !Number.isFinite(s.blockSize)) return `blockSize must be 0 (per channel) or positive, got ${s.blockSize}`;
  if (!Object.hasOwn(METHOD_CODES, s.method)) return `unknown method "${s.method}" (known: ${Object.keys(METHOD_CODES).join(', ')})`;
  return undefined;
}

/** Why a sample cannot be used for training or evaluation, or undefined. */
export function sampleProblem(s: PtqSample): string | undefined {
  return inputProblem(s) ?? (Number.isFinite(s.loss) ? undefined : `loss must be a number, got ${s.loss}`);
}

/**
 * The named features of a valid input (check `inputProblem` first). Block size enters as
 * log2 because formats double it (32, 64, 128); per-channel scaling is coded 0 as agreed for
 * the project, which places it next to tiny blocks: the SQNR feature carries how coarse it is.
 */
export function ptqFeatures(s: PtqInput): PtqFeatures {
  return {
    log10Params: Math.log10(s.params),
    trainLoss: s.trainLoss,
    sqnrDb: s.sqnrDb,
    bits: s.bits,
    log2BlockSize: s.blockSize > 0 ? Math.log2(s.blockSize) : 0,
    method: METHOD_CODES[s.method],
    flatness: flatness(s),
  };
}

/** The feature vector in the order of `names`, or undefined when a named feature is missing. */
export function featureVector(features: PtqFeatures, names: readonly FeatureName[]): number[] | undefined {
  const out: number[] = [];
  for (const name of names) {
    const v = features[name];
    if (v === undefined || !Number.isFinite(v)) return undefined;
    out.push(v);
  }
  return out;
}

/**
 * The predictor's target. Degradation (loss - trainLoss), not the loss: a forest predicts a
 * mean of training targets, so it cannot reach losses outside the training range, and a
 * held-out size (largest or smallest model) has its pre-PTQ loss exactly there. Predicting the
 * degradation and adding the known trainLoss back moves that extrapolation out of the forest;
 * the degradation itself depends on SQNR, bits and flatness, which held-out sizes share with
 * the training ones. The unit test measures both targets leave-one-size-out.
 */
export type PtqTarget = 'degradation' | 'loss';

export function targetValue(s: PtqSample, target: PtqTarget): number {
  return target === 'degradation' ? s.loss - s.trainLoss : s.loss;
}

/** Post-PTQ loss from a predicted target value. */
export function lossFromTarget(s: Pick<PtqInput, 'trainLoss'>, value: number, target: PtqTarget): number {
  return target === 'degradation' ? s.trainLoss + value : value;
}
