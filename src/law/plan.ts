// Compute-optimal allocation (Kumar et al. 2024, Sec. 4.3 and Appendix E): four planners over
// the unified law, each answering with N*, D*, P* and the same budget spent the usual ways.

import { type Constants, PARTS } from './constants';
import { type CostModel, DEFAULT_COST_MODEL, matmulBits } from './cost';
import { type LawError, type Precision, effectiveParams, predict, stabilityThreshold, uniformPrecision } from './law';
import { minimizeScalar } from './numeric';

export type PlanScenario = 'joint' | 'fixed-precision' | 'fixed-params' | 'inference';
export const PLAN_SCENARIOS: readonly PlanScenario[] = ['joint', 'fixed-precision', 'fixed-params', 'inference'];

export interface Allocation {
  params: number;
  tokens: number;
  precision: Precision;
  /** Deployment precision after PTQ, when the plan quantizes after training. */
  post?: number;
  /** Training compute actually spent, FLOPs. */
  compute: number;
  loss: number;
  trainLoss: number;
  deltaPTQ: number;
  tokensPerParam: number;
}

export interface Alternative extends Allocation {
  label: string;
  /** alternative loss - plan loss: how much the plan saves over this choice. */
  margin: number;
}

export interface Plan extends Allocation {
  ok: true;
  scenario: PlanScenario;
  costModel: string;
  /** For continuous-precision answers: the best whole number of bits and its loss. */
  integerPrecision?: { bits: number; loss: number; params: number; tokens: number };
  alternatives: Alternative[];
  notes: string[];
}

export interface PlanRequest {
  scenario: PlanScenario;
  /** Training compute budget, FLOPs. */
  compute: number;
  /** Training precision for 'fixed-precision' (bits, all parts). */
  precision?: number;
  /** Model size for 'fixed-params'. */
  params?: number;
  /** Inference budget for 'inference', in the cost model's inference units (N * P_post: bits of deployed weights). */
  inferenceBudget?: number;
  /** Fix the deployment precision for 'inference'; otherwise it is searched over whole bits. */
  post?: number;
  cost?: CostModel;
  /** Precision range searched, bits. */
  minBits?: number;
  maxBits?: number;
}

const DEFAULT_MIN_BITS = 2;
const DEFAULT_MAX_BITS = 16;
const STANDARD_BITS = [16, 8, 4] as const;

function invalid(message: string): LawError {
  return { ok: false, code: 'invalid-input', message };
}

export function isLawError(r: Allocation | LawError): r is LawError {
  return 'code' in r;
}

const lossOf = (r: Allocation | LawError): number => (isLawError(r) ? Infinity : r.loss);

/** Lowest uniform precision at which every part trains stably, with a little headroom. */
export function lowestStableBits(c: Constants, floor: number): number {
  return Math.max(floor, ...PARTS.map((part) => stabilityThreshold(c, part) + 1e-3));
}

function allocation(c: Constants, cost: CostModel, params: number, tokens: number, precision: Precision, post?: number): Allocation | LawError {
  const p = predict(c, { params, tokens, precision, post });
  if (!p.ok) return p;
  return {
    params,
    tokens,
    precision,
    ...(post !== undefined ? { post } : {}),
    compute: cost.flopsPerParamToken(matmulBits(precision)) * params * tokens,
    loss: p.loss,
    trainLoss: p.trainLoss,
    deltaPTQ: p.deltaPTQ,
    tokensPerParam: tokens / params,
  };
}

/**
 * Problem 1 (Eq. 16): P fixed, minimise over N and D with C = kappa(P) N D. The Chinchilla
 * solution with A -> A f(P)^-alpha and the price of a token scaled by kappa(P):
 * N* = G (C/kappa)^(beta/(alpha+beta)), G = (alpha A f^-alpha / (beta B))^(1/(alpha+beta)).
 */
export function fixedPrecisionOptimum(c: Constants, compute: number, precision: Precision, cost: CostModel = DEFAULT_COST_MODEL): Allocation | LawError {
  if (!(compute > 0)) return invalid(`compute must be positive (got ${compute})`);
  const eff = effectiveParams(c, 1, precision);
  if (!eff.ok) return eff;
  const kappa = cost.flopsPerParamToken(matmulBits(precision));
  const budget = compute / kappa;
  const g = ((c.alpha * c.A * eff.ratio ** -c.alpha) / (c.beta * c.B)) ** (1 / (c.alpha + c.beta));
  const params = g * budget ** (c.beta / (c.alpha + c.beta));
  return allocation(c, cost, params, budget / params, precision);
}

/** Problem 3 helper: N fixed, all compute into tokens. */
function fixedParamsAllocation(c: Constants, compute: number, params: number, precision: Precision, cost: CostModel): Allocation | LawError {
  const tokens = compute / (cost.flopsPerParamToken(matmulBits(precision)) * params);
  return allocation(c, cost, params, tokens, precision);
}

function withMargins(plan: Allocation, alternatives: Array<{ label: string; result: Allocation | LawError }>, notes: string[]): Alternative[] {
  const out: Alternative[] = [];
  for (const { label, result } of alternatives) {
    if (isLawError(result)) {
      notes.push(`${label}: ${result.message}`);
      continue;
    }
    out.push({ label, ...result, margin: result.loss - plan.loss });
  }
  return out;
}

function bestInteger(lo: number, hi: number, at: (bits: number) => Allocation | LawError): Plan['integerPrecision'] {
  let best: Plan['integerPrecision'];
  for (let bits = Math.ceil(lo); bits <= Math.floor(hi); bits++) {
    const r = at(bits);
    if (!isLawError(r) && (best === undefined || r.loss < best.loss)) best = { bits, loss: r.loss, params: r.params, tokens: r.tokens };
  }
  return best;
}

function finish(
  scenario: PlanScenario,
  best: Allocation,
  cost: CostModel,
  alternatives: Array<{ label: string; result: Allocation | LawError }>,
  notes: string[],
  integerPrecision?: Plan['integerPrecision'],
): Plan {
  const alts = withMargins(best, alternatives, notes);
  return {
    ok: true,
    scenario,
    costModel: cost.id,
    ...best,
    ...(integerPrecision ? { integerPrecision } : {}),
    alternatives: alts,
    notes,
  };
}

function standardAlternatives(at: (bits: number) => Allocation | LawError, what: string): Array<{ label: string; result: Allocation | LawError }> {
  return STANDARD_BITS.map((bits) => ({
    label: bits === 16 ? `bf16, ${what}` : `${bits}-bit, ${what}`,
    result: at(bits),
  }));
}

/** Problem 2: N, D and P jointly. With cost linear in P the optimum P* maximises f(P)/kappa(P), independent of C. */
function planJoint(c: Constants, req: PlanRequest, cost: CostModel): Plan | LawError {
  const lo = lowestStableBits(c, req.minBits ?? DEFAULT_MIN_BITS);
  const hi = req.maxBits ?? DEFAULT_MAX_BITS;
  if (!(hi > lo)) return invalid(`no stable precision between ${req.minBits ?? DEFAULT_MIN_BITS} and ${hi} bits for these constants`);
  const at = (bits: number) => fixedPrecisionOptimum(c, req.compute, uniformPrecision(bits), cost);
  const { x } = minimizeScalar((bits) => lossOf(at(bits)), lo, hi, 280);
  const best = at(x);
  if (isLawError(best)) return best;
  const notes: string[] = [];
  if (hi - x < 1e-3) notes.push(`the optimum sits at the top of the searched range (${hi} bits)`);
  if (x - lo < 1e-3) notes.push(`the optimum sits at the bottom of the searched range (${lo.toFixed(2)} bits)`);
  return finish('joint', best, cost, standardAlternatives(at, 'compute-optimal N and D'), notes, bestInteger(lo, hi, at));
}

function planFixedPrecision(c: Constants, req: PlanRequest, cost: CostModel): Plan | LawError {
  if (req.precision === undefined) return invalid('the fixed-precision scenario needs a training precision (bits)');
  const best = fixedPrecisionOptimum(c, req.compute, uniformPrecision(req.precision), cost);
  if (isLawError(best)) return best;
  const at = (bits: number) => fixedPrecisionOptimum(c, req.compute, uniformPrecision(bits), cost);
  return finish('fixed-precision', best, cost, standardAlternatives(at, 'compute-optimal N and D'), []);
}

/** Problem 3: N fixed (a model family); minimise over P with D = C / (kappa(P) N). P* grows like log C. */
function planFixedParams(c: Constants, req: PlanRequest, cost: CostModel): Plan | LawError {
  const params = req.params;
  if (params === undefined || !(params > 0)) return invalid('the fixed-params scenario needs a positive parameter count');
  const lo = lowestStableBits(c, req.minBits ?? DEFAULT_MIN_BITS);
  const hi = req.maxBits ?? DEFAULT_MAX_BITS;
  const at = (bits: number) => fixedParamsAllocation(c, req.compute, params, uniformPrecision(bits), cost);
  const { x } = minimizeScalar((bits) => lossOf(at(bits)), lo, hi, 280);
  const best = at(x);
  if (isLawError(best)) return best;
  const notes: string[] = [];
  if (hi - x < 1e-3) notes.push(`the optimum sits at the top of the searched range (${hi} bits): more precision would still help`);
  return finish('fixed-params', best, cost, standardAlternatives(at, `N fixed at ${params.toExponential(2)}`), notes, bestInteger(lo, hi, at));
}

/**
 * Problem 4 (Eq. 29): minimise the unified law including delta_PTQ under the training budget
 * and an inference budget on N * P_post. Searched numerically: whole-bit P_post, continuous
 * training precision, log N under the memory cap.
 */
function planInference(c: Constants, req: PlanRequest, cost: CostModel): Plan | LawError {
  const budget = req.inferenceBudget;
  if (budget === undefined || !(budget > 0)) return invalid('the inference scenario needs an inference budget (parameter-bits of the deployed weights)');
  const lo = lowestStableBits(c, req.minBits ?? DEFAULT_MIN_BITS);
  const hi = req.maxBits ?? DEFAULT_MAX_BITS;
  const posts = req.post !== undefined ? [req.post] : range(Math.ceil(lo), Math.floor(hi));
  const chinchillaParams = (train: number): number => {
    const r = fixedPrecisionOptimum(c, req.compute, uniformPrecision(train), cost);
    return isLawError(r) ? NaN : r.params;
  };
  let best: Allocation | undefined;
  // For a deployment precision and a training precision, the best N under the memory cap.
  const bestForPair = (post: number, train: number): Allocation | undefined => {
    const cap = budget / cost.inferenceCost(1, post);
    const kappa = cost.flopsPerParamToken(train);
    const deploy = train > post ? post : undefined;
    const at = (logN: number) => allocation(c, cost, Math.exp(logN), req.compute / (kappa * Math.exp(logN)), uniformPrecision(train), deploy);
    const guess = Math.min(chinchillaParams(train), cap);
    const top = Math.log(cap);
    const bottom = Math.min(top, Math.log(Number.isFinite(guess) ? guess : cap)) - Math.log(1e4);
    const { x } = minimizeScalar((logN) => lossOf(at(logN)), bottom, top, 32, 1e-10);
    const r = at(x);
    return isLawError(r) ? undefined : r;
  };
  for (const post of posts) {
    const trainLo = Math.max(post, lo);
    if (trainLo > hi) continue;
    const { x: train } = minimizeScalar((t) => bestForPair(post, t)?.loss ?? Infinity, trainLo, hi, 40, 1e-7);
    // Training exactly at the deployment precision (no PTQ) is a corner the search must see;
    // it is listed first so a PTQ from a hair above P_post never wins on rounding noise.
    for (const candidate of [bestForPair(post, trainLo), bestForPair(post, train)]) {
      if (candidate && (best === undefined || candidate.loss < best.loss - 1e-9 * best.loss)) best = candidate;
    }
  }
  if (!best) return invalid('no feasible plan: the inference budget is too small for every precision searched');
  const notes: string[] = [];
  const deployed = best.post ?? best.precision.w;
  if (cost.inferenceCost(best.params, deployed) >= budget * (1 - 1e-6)) notes.push('the memory budget binds: the model is as large as the budget allows');
  const standard = (train: number, post: number) => {
    const n = Math.min(chinchillaParams(train), budget / cost.inferenceCost(1, post));
    if (!Number.isFinite(n)) return invalid(`${train}-bit training is unstable for these constants`);
    return allocation(c, cost, n, req.compute / (cost.flopsPerParamToken(train) * n), uniformPrecision(train), train > post ? post : undefined);
  };
  const alternatives = [
    { label: 'bf16, served in bf16 (Chinchilla N, capped by memory)', result: standard(16, 16) },
    { label: '8-bit training, served in 8 bits', result: standard(8, 8) },
    { label: '4-bit training, served in 4 bits', result: standard(4, 4) },
    { label: 'bf16 training, PTQ to 4 bits', result: standard(16, 4) },
  ];
  return finish('inference', best, cost, alternatives, notes);
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

export function plan(c: Constants, req: PlanRequest): Plan | LawError {
  if (!(req.compute > 0) || !Number.isFinite(req.compute)) return invalid(`compute must be a positive number of FLOPs (got ${req.compute})`);
  const cost = req.cost ?? DEFAULT_COST_MODEL;
  switch (req.scenario) {
    case 'joint':
      return planJoint(c, req, cost);
    case 'fixed-precision':
      return planFixedPrecision(c, req, cost);
    case 'fixed-params':
      return planFixedParams(c, req, cost);
    case 'inference':
      return planInference(c, req, cost);
    default:
      return invalid(`unknown scenario "${String(req.scenario)}" (known: ${PLAN_SCENARIOS.join(', ')})`);
  }
}
