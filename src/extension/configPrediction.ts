// What a training config implies under the current constants: predicted loss (with its
// bootstrap interval), N_eff/N, loss after PTQ to common bit-widths with D_crit for each, and
// the compute-optimal choice for the same compute. Pure: the hover, the CodeLens and the
// diagnostics render it.

import { type Constants, PAPER_DOMAIN } from '../law/constants';
import type { LawDomain } from '../law/domain';
import { type CostModel, costModelById, trainingCompute } from '../law/cost';
import type { Format } from '../law/formats';
import { criticalTokens } from '../law/dcrit';
import { type Precision, predict } from '../law/law';
import { isLawError, plan } from '../law/plan';
import type { FitResult } from '../fit/fit';
import { type LossIntervals, differenceInterval, intervalBasis, lossIntervals, presetHeldText } from '../fit/interval';
import { excludesZero } from '../fit/planInterval';
import { type Extrapolation, type Provenance, extrapolation, outsideLaw, provenance } from '../fit/domain';
import type { TrainingConfig } from '../runs/configs';

export const PTQ_BITS: readonly number[] = [8, 6, 4, 3];

export interface PtqLine {
  bits: number;
  loss?: number;
  delta?: number;
  /** Tokens beyond which more data raises the post-PTQ loss. */
  dcrit?: number;
  /** Why there is no number (quantizing up, an unstable region, outside the law). */
  note?: string;
  /** The law's loss here is not a prediction (above ln(vocabulary), or PTQ as large as the loss): why. */
  outsideLaw?: string;
}

export interface ConfigPrediction {
  params: number;
  tokens: number;
  precision: Precision;
  loss: number;
  /** The 95% confidence band of the expected loss alone (see `intervals`). */
  interval?: [number, number];
  /** Both 95% intervals of the predicted loss, with what they rest on; absent with the paper's constants. */
  intervals?: LossIntervals & { replicates: number; presetHeld: string };
  trainLoss: number;
  nEffRatio: number;
  /** Served precision from the config, if it names one. */
  inference?: { bits: number; loss: number; delta: number; dcrit?: number; outsideLaw?: string; intervals?: LossIntervals };
  ptq: PtqLine[];
  compute: number;
  /** How `compute` was counted (the cost model's label, e.g. "6ND x P/16"). */
  computeModel: string;
  optimal?: {
    params: number;
    tokens: number;
    bits: number;
    /** The realizable format the optimum trains in (the plan chooses among formats). */
    format?: string;
    loss: number;
    margin: number;
    /** Paired 95% interval of the margin (this config's loss - the optimum's) over the bootstrap replicates. */
    marginInterval?: [number, number];
    /** False where that interval contains 0: the data cannot tell this config from the optimum. */
    distinguishable?: boolean;
  };
  /** Problems worth a warning in the editor. */
  warnings: string[];
  /** Where the config stands against the runs the constants were fitted on (the paper's with the preset). */
  extrapolation: Extrapolation;
  /** Which constants behind these numbers were fitted and which are the preset's. */
  provenance: Provenance;
}

export type ConfigPredictionResult = { ok: true; prediction: ConfigPrediction } | { ok: false; message: string };

export interface PredictionContext {
  constants: Constants;
  /** The workspace fit, for intervals; absent with the paper's constants. */
  fit?: Pick<FitResult, 'bootstrap'> & Partial<Pick<FitResult, 'residualScale' | 'origin'>>;
  /** A built-in cost model id or a model (a throughput table); default bits-linear. */
  costModel?: string | CostModel;
  /** The formats the compute-optimal choice is taken from; default the cost table's, else the default set. */
  formats?: readonly Format[];
  /** The domain of the constants: the fit's, or the paper's (the default) with the preset. */
  domain?: LawDomain;
  /** Factor beyond the runs in N or D past which a prediction is an extrapolation (default 10). */
  extrapolationThreshold?: number;
}

export function predictConfig(config: TrainingConfig, ctx: PredictionContext): ConfigPredictionResult {
  if (!config.params || !config.tokens) return { ok: false, message: `needs ${config.missing.join(' and ')}` };
  const params = config.params.value;
  const tokens = config.tokens.value;
  const p = config.precision?.value;
  const precision: Precision = p ? { w: p.w.bits, a: p.a.bits, kv: p.kv.bits } : { w: 16, a: 16, kv: 16 };
  const base = predict(ctx.constants, { params, tokens, precision });
  if (!base.ok) return { ok: false, message: base.message };
  const warnings: string[] = [];
  const domain = ctx.domain ?? PAPER_DOMAIN;
  const vocabulary = domain.tokenizer.vocabulary ?? config.vocabulary?.value;
  const lawLimit = (r: { loss: number; trainLoss: number; deltaPTQ: number }, post: number) => outsideLaw({ ...r, post }, vocabulary);

  const ptq: PtqLine[] = PTQ_BITS.map((bits) => {
    if (bits >= precision.w) return { bits, note: `trained at ${precision.w} bits: no PTQ loss` };
    const r = predict(ctx.constants, { params, tokens, precision, post: bits });
    if (!r.ok) return { bits, note: r.message };
    const outside = lawLimit(r, bits);
    if (outside) return { bits, note: 'outside the law', outsideLaw: outside };
    const d = criticalTokens(ctx.constants, params, precision, bits);
    return { bits, loss: r.loss, delta: r.deltaPTQ, dcrit: d.ok ? d.tokens : undefined };
  });

  let inference: ConfigPrediction['inference'];
  const served = config.inference?.value.bits;
  if (served !== undefined && served < precision.w) {
    const r = predict(ctx.constants, { params, tokens, precision, post: served });
    const d = criticalTokens(ctx.constants, params, precision, served);
    if (r.ok) {
      inference = { bits: served, loss: r.loss, delta: r.deltaPTQ, dcrit: d.ok ? d.tokens : undefined };
      // Past D_crit holds whatever the served loss here: D_crit is where that loss is lowest.
      const outside = lawLimit(r, served);
      if (outside) inference.outsideLaw = outside;
      if (ctx.fit) inference.intervals = lossIntervals({ ...ctx.fit, constants: ctx.constants }, { params, tokens, precision, post: served });
      if (d.ok && tokens > d.tokens) {
        warnings.push(`D = ${tokens.toExponential(2)} tokens is past D_crit = ${d.tokens.toExponential(2)} for ${served}-bit inference: more data makes the ${served}-bit model worse`);
      }
    } else warnings.push(r.message);
  }

  const cost = typeof ctx.costModel === 'object' ? ctx.costModel : costModelById(ctx.costModel ?? 'bits-linear');
  const compute = trainingCompute(cost, params, tokens, precision);
  let optimal: ConfigPrediction['optimal'];
  const best = plan(ctx.constants, { scenario: 'joint', compute, cost, ...(ctx.formats ? { formats: ctx.formats } : {}) });
  if (!isLawError(best)) {
    optimal = { params: best.params, tokens: best.tokens, bits: best.precision.w, ...(best.format ? { format: best.format.name } : {}), loss: best.loss, margin: base.loss - best.loss };
    const margin = ctx.fit ? differenceInterval(ctx.fit, { params: best.params, tokens: best.tokens, precision: best.precision }, { params, tokens, precision }) : null;
    if (margin) Object.assign(optimal, { marginInterval: margin, distinguishable: excludesZero(margin) });
  }
  const query = { params, tokens, precision, post: served ?? PTQ_BITS[2], vocabulary: config.vocabulary?.value, tokenizer: config.tokenizer?.value };
  // The end-of-training loss is checked against the law's limits here; PTQ losses line by line above.
  const where = extrapolation(domain, { ...query, post: undefined, loss: base.loss }, ctx.extrapolationThreshold);
  const prediction: ConfigPrediction = {
    params,
    tokens,
    precision,
    loss: base.loss,
    trainLoss: base.trainLoss,
    nEffRatio: base.nEffRatio,
    ptq,
    compute,
    computeModel: cost.label,
    warnings,
    extrapolation: where,
    provenance: provenance(domain, query, ctx.constants),
  };
  if (ctx.fit) {
    const basis = intervalBasis({ ...ctx.fit, constants: ctx.constants });
    const both = lossIntervals({ ...ctx.fit, constants: ctx.constants }, { params, tokens, precision });
    prediction.intervals = { ...both, replicates: basis.replicates, presetHeld: presetHeldText(basis.presetHeld) };
    // The confidence band alone, under its older name (one computation for both).
    if (both.confidence) prediction.interval = both.confidence;
  }
  if (inference) prediction.inference = inference;
  if (optimal) prediction.optimal = optimal;
  return { ok: true, prediction };
}
