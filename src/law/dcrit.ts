// Critical data size (Kumar et al. 2024, Appendix E.1, Eq. 13): past D_crit, more pre-training
// tokens raise the loss after post-training quantization to P_post.

import type { Constants } from './constants';
import { type LawError, type Precision, effectiveParams, lossFromEffective, ptqDegradation } from './law';
import { bisectIncreasing } from './numeric';

export interface CriticalTokens {
  ok: true;
  tokens: number;
  /** Loss after PTQ at D_crit: the lowest reachable at this N and P_post. */
  loss: number;
  method: 'closed-form' | 'numerical';
}

function noDegradation(post: number, trainBits: number): LawError {
  return {
    ok: false,
    code: 'post-above-training',
    part: 'w',
    message: `no PTQ degradation when P_post (${post}) is not below the weights' training precision (${trainBits}): more data never hurts`,
  };
}

/**
 * Closed form for the high-precision degradation of Eq. 2:
 * D_crit = (beta B N^gamma_N exp(P_post/gamma_post - b_post) / (gamma_D C_T))^(1/(gamma_D + beta)).
 */
export function criticalTokensClosedForm(c: Constants, params: number, post: number): CriticalTokens | LawError {
  if (!(params > 0) || !(post > 0)) return { ok: false, code: 'invalid-input', message: 'params and P_post must be positive' };
  const tokens =
    ((c.beta * c.B * params ** c.gammaN * Math.exp(post / c.gammaPost - c.bPost)) / (c.gammaD * c.CT)) ** (1 / (c.gammaD + c.beta));
  const loss =
    c.A * params ** -c.alpha + c.B * tokens ** -c.beta + c.E + c.CT * Math.exp(-post / c.gammaPost + c.bPost) * tokens ** c.gammaD / params ** c.gammaN;
  return { ok: true, tokens, loss, method: 'closed-form' };
}

/**
 * D_crit of the unified law, by solving dL/dD = 0 numerically. D dL/dD = gamma_D delta(D) - beta B D^-beta
 * increases with D, so the root is unique and bisection in log D finds it.
 */
export function criticalTokens(c: Constants, params: number, precision: Precision, post: number): CriticalTokens | LawError {
  const eff = effectiveParams(c, params, precision);
  if (!eff.ok) return eff;
  if (post >= precision.w) return noDegradation(post, precision.w);
  const probe = ptqDegradation(c, params, 1, precision, post, eff.nEff);
  if (!probe.ok) return probe;
  const slope = (logD: number): number => {
    const d = Math.exp(logD);
    const delta = probe.delta * d ** c.gammaD;
    return c.gammaD * delta - c.beta * c.B * d ** -c.beta;
  };
  const root = bisectIncreasing(slope, Math.log(1), Math.log(1e30));
  if (root === undefined) {
    return { ok: false, code: 'invalid-input', message: 'D_crit lies outside 1 to 1e30 tokens for these constants' };
  }
  const tokens = Math.exp(root);
  const loss = lossFromEffective(c, eff.nEff, tokens) + probe.delta * tokens ** c.gammaD;
  return { ok: true, tokens, loss, method: 'numerical' };
}
