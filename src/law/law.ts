// The unified precision-aware scaling law (Kumar et al. 2024, Eq. 4, 3, 2, 9, 11).
// Every prediction in the product goes through `predict`.

import { type Constants, type Part, PARTS, PART_CONSTANTS, PART_LABEL } from './constants';

/** Training precision in bits of weights, activations and KV cache. */
export interface Precision {
  w: number;
  a: number;
  kv: number;
}

export interface Scenario {
  /** Non-embedding parameter count N. */
  params: number;
  /** Training tokens D. */
  tokens: number;
  precision: Precision;
  /** Bits the weights are rounded to after training; absent = no post-training quantization. */
  post?: number;
}

export type LawErrorCode = 'invalid-input' | 'unstable-precision' | 'post-above-training';

export interface LawError {
  ok: false;
  code: LawErrorCode;
  message: string;
  part?: Part;
}

export interface Prediction {
  ok: true;
  /** Loss including post-training quantization degradation. */
  loss: number;
  /** Loss at the end of training, before any PTQ. */
  trainLoss: number;
  deltaPTQ: number;
  nEff: number;
  /** f_w * f_a * f_kv = N_eff / N. */
  nEffRatio: number;
  factors: Record<Part, number>;
}

export type LawResult<T> = ({ ok: true } & T) | LawError;

export function uniformPrecision(bits: number): Precision {
  return { w: bits, a: bits, kv: bits };
}

/** f_x(P) = 1 - exp(-P / gamma_x + n_x) (Eq. 4 with the offsets of Appendix K). */
export function precisionFactor(c: Constants, part: Part, bits: number): number {
  const { gamma, offset } = PART_CONSTANTS[part];
  return 1 - Math.exp(-bits / c[gamma] + c[offset]);
}

/** Lowest bit-width at which the part's factor is positive: P > gamma_x * n_x. */
export function stabilityThreshold(c: Constants, part: Part): number {
  const { gamma, offset } = PART_CONSTANTS[part];
  return Math.max(0, c[gamma] * c[offset]);
}

function invalid(message: string): LawError {
  return { ok: false, code: 'invalid-input', message };
}

function checkPositive(name: string, value: number): LawError | undefined {
  return Number.isFinite(value) && value > 0 ? undefined : invalid(`${name} must be a positive finite number (got ${value})`);
}

export function effectiveParams(
  c: Constants,
  params: number,
  precision: Precision,
): LawResult<{ nEff: number; ratio: number; factors: Record<Part, number> }> {
  const bad = checkPositive('params', params);
  if (bad) return bad;
  const factors = {} as Record<Part, number>;
  let ratio = 1;
  for (const part of PARTS) {
    const bits = precision[part];
    const badBits = checkPositive(`${PART_LABEL[part]} precision`, bits);
    if (badBits) return badBits;
    const f = precisionFactor(c, part, bits);
    if (!(f > 0)) {
      return {
        ok: false,
        code: 'unstable-precision',
        part,
        message:
          `${PART_LABEL[part]} at ${bits} bits is below the precision where training is stable for these constants ` +
          `(needs more than ${stabilityThreshold(c, part).toFixed(2)} bits): the law is undefined there`,
      };
    }
    factors[part] = f;
    ratio *= f;
  }
  return { ok: true, nEff: params * ratio, ratio, factors };
}

/** A * N_eff^-alpha + B * D^-beta + E (Eq. 3/4). */
export function lossFromEffective(c: Constants, nEff: number, tokens: number): number {
  return c.A * nEff ** -c.alpha + c.B * tokens ** -c.beta + c.E;
}

export function pretrainLoss(c: Constants, params: number, tokens: number, precision: Precision): LawResult<{ loss: number }> {
  const bad = checkPositive('tokens', tokens);
  if (bad) return bad;
  const eff = effectiveParams(c, params, precision);
  if (!eff.ok) return eff;
  return { ok: true, loss: lossFromEffective(c, eff.nEff, tokens) };
}

/** C_T * exp(-P_post / gamma_post + b_post) * D^gamma_D / N^gamma_N (Eq. 2). */
export function ptqDegradationHighPrecision(c: Constants, params: number, tokens: number, post: number): number {
  return c.CT * Math.exp(-post / c.gammaPost + c.bPost) * tokens ** c.gammaD / params ** c.gammaN;
}

/** prod_x [1 - exp(-C_x (P_x - P_post))]: training near P_post makes a model robust to it (Eq. 9). */
export function robustnessFactor(c: Constants, precision: Precision, post: number): number {
  let product = 1;
  for (const part of PARTS) product *= 1 - Math.exp(-c[PART_CONSTANTS[part].robust] * (precision[part] - post));
  return product;
}

/**
 * Eq. 9. Weights already at P_post lose nothing (0); quantizing "up" to more bits than the
 * model was trained with, or below a part's own training precision, is outside the law.
 */
export function ptqDegradation(
  c: Constants,
  params: number,
  tokens: number,
  precision: Precision,
  post: number,
  nEff?: number,
): LawResult<{ delta: number }> {
  const bad = checkPositive('post-training precision', post);
  if (bad) return bad;
  if (post > precision.w) {
    return {
      ok: false,
      code: 'post-above-training',
      part: 'w',
      message: `post-training precision (${post} bits) is above the weights' training precision (${precision.w} bits): nothing to quantize`,
    };
  }
  if (post === precision.w) return { ok: true, delta: 0 };
  for (const part of ['a', 'kv'] as const) {
    if (precision[part] <= post) {
      return {
        ok: false,
        code: 'post-above-training',
        part,
        message: `Eq. 9 needs every training precision above P_post: ${PART_LABEL[part]} were trained at ${precision[part]} bits, P_post is ${post}`,
      };
    }
  }
  let effective = nEff;
  if (effective === undefined) {
    const eff = effectiveParams(c, params, precision);
    if (!eff.ok) return eff;
    effective = eff.nEff;
  }
  const delta =
    c.CT * Math.exp(-post / c.gammaPost + c.bPost) * (tokens ** c.gammaD / effective ** c.gammaN) * robustnessFactor(c, precision, post);
  return { ok: true, delta };
}

/** The unified law (Eq. 11): L = A N_eff^-alpha + B D^-beta + E + delta_PTQ. */
export function predict(c: Constants, s: Scenario): Prediction | LawError {
  const badTokens = checkPositive('tokens', s.tokens);
  if (badTokens) return badTokens;
  const eff = effectiveParams(c, s.params, s.precision);
  if (!eff.ok) return eff;
  const trainLoss = lossFromEffective(c, eff.nEff, s.tokens);
  let deltaPTQ = 0;
  if (s.post !== undefined) {
    const d = ptqDegradation(c, s.params, s.tokens, s.precision, s.post, eff.nEff);
    if (!d.ok) return d;
    deltaPTQ = d.delta;
  }
  return {
    ok: true,
    loss: trainLoss + deltaPTQ,
    trainLoss,
    deltaPTQ,
    nEff: eff.nEff,
    nEffRatio: eff.ratio,
    factors: eff.factors,
  };
}
