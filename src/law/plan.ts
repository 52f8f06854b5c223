// Compute-optimal allocation (Kumar et al. 2024, Sec. 4.3 and Appendix E): four planners over
// the unified law, each answering with N*, D*, P* and the same budget spent the usual ways.
// Precisions the planners choose are realizable formats (formats.ts): each format is evaluated
// and the best taken; the continuous optimum over bits is kept only as a labelled reference.

import { type Constants, PARTS } from './constants';
import { type CostModel, DEFAULT_COST_MODEL, matmulBits } from './cost';
import { DEFAULT_FORMATS, type Format, formatLabel, parseFormat } from './formats';
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
  /** The training format chosen (joint, fixed-params, inference), or the one the fixed precision is. */
  format?: Format;
  /** The serving format chosen (inference): the format the weights are deployed in. */
  postFormat?: Format;
  /** The formats the plan chose among. */
  formats: Format[];
  /** Where the precision is searched over bits: the continuous optimum, a reference, not a format. */
  continuous?: ContinuousOptimum;
  alternatives: Alternative[];
  notes: string[];
}

export interface ContinuousOptimum {
  label: 'continuous optimum, not a format';
  bits: number;
  loss: number;
  params: number;
  tokens: number;
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
  /** Fix the deployment precision for 'inference'; otherwise it is chosen among the formats. */
  post?: number;
  cost?: CostModel;
  /** Formats training and serving precisions are chosen from; default: the cost table's, else DEFAULT_FORMATS. */
  formats?: readonly Format[];
  /** Precision range searched, bits (formats outside it are left out). */
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
    // An alternative in the plan's own precision is the plan: it says so rather than pass for a rival.
    const same = result.precision.w === plan.precision.w && result.precision.a === plan.precision.a && result.precision.kv === plan.precision.kv && result.post === plan.post && Math.abs(result.params / plan.params - 1) < 1e-9;
    out.push({ label: same ? `${label} (the plan)` : label, ...result, margin: result.loss - plan.loss });
  }
  return out;
}

/** The formats a request chooses among, within its bit range, widest first. */
function candidateFormats(req: PlanRequest, cost: CostModel): Format[] {
  const all = req.formats ?? cost.formats ?? DEFAULT_FORMATS;
  const lo = req.minBits ?? 0;
  const hi = req.maxBits ?? Infinity;
  return all.filter((f) => f.bits >= lo && f.bits <= hi).map((f) => ({ ...f })).sort((x, y) => y.bits - x.bits);
}

/**
 * Evaluates every format and keeps the lowest loss; a tie goes to the wider format (listed first).
 * Formats where the law has no answer (below the stable training precision) are noted.
 */
function bestFormat(formats: readonly Format[], at: (bits: number) => Allocation | LawError, notes: string[]): { format: Format; result: Allocation } | undefined {
  let best: { format: Format; result: Allocation } | undefined;
  const unstable: string[] = [];
  for (const format of formats) {
    const r = at(format.bits);
    if (isLawError(r)) {
      unstable.push(formatLabel(format));
      continue;
    }
    if (best === undefined || r.loss < best.result.loss - 1e-12 * Math.abs(best.result.loss)) best = { format, result: r };
  }
  if (unstable.length > 0) notes.push(`not a candidate, outside the law for these constants: ${unstable.join(', ')}`);
  return best;
}

function continuousOptimum(lo: number, hi: number, at: (bits: number) => Allocation | LawError): ContinuousOptimum | undefined {
  if (!(hi > lo)) return undefined;
  const { x } = minimizeScalar((bits) => lossOf(at(bits)), lo, hi, 280);
  const r = at(x);
  return isLawError(r) ? undefined : { label: 'continuous optimum, not a format', bits: x, loss: r.loss, params: r.params, tokens: r.tokens };
}

/** A table cost model prices only its own formats; a chosen format between them is priced by interpolation. */
function pricingNote(cost: CostModel, format: Format | undefined, what: string, notes: string[]): void {
  if (format && cost.prices && !cost.prices(format.bits)) notes.push(`${what} ${formatLabel(format)} is not in the cost table: its cost is interpolated between the table's formats`);
}

function finish(
  scenario: PlanScenario,
  best: Allocation,
  cost: CostModel,
  alternatives: Array<{ label: string; result: Allocation | LawError }>,
  notes: string[],
  chosen: { formats: Format[]; format?: Format; postFormat?: Format; continuous?: ContinuousOptimum },
): Plan {
  const alts = withMargins(best, alternatives, notes);
  return {
    ok: true,
    scenario,
    costModel: cost.id,
    ...best,
    ...(chosen.format ? { format: chosen.format } : {}),
    ...(chosen.postFormat ? { postFormat: chosen.postFormat } : {}),
    formats: chosen.formats,
    ...(chosen.continuous ? { continuous: chosen.continuous } : {}),
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

/**
 * Problem 2: N, D and P jointly. Each format gets its compute-optimal N and D (Eq. 16) and the
 * lowest loss wins. With cost linear in P the continuous optimum maximises f(P)/kappa(P),
 * independent of C; it is reported beside the chosen format as a reference.
 */
function planJoint(c: Constants, req: PlanRequest, cost: CostModel): Plan | LawError {
  const formats = candidateFormats(req, cost);
  if (formats.length === 0) return invalid(`no format between ${req.minBits ?? 0} and ${req.maxBits ?? Infinity} bits to choose from`);
  const at = (bits: number) => fixedPrecisionOptimum(c, req.compute, uniformPrecision(bits), cost);
  const notes: string[] = [];
  const chosen = bestFormat(formats, at, notes);
  if (!chosen) return invalid(`no stable training precision among the formats ${formats.map(formatLabel).join(', ')} for these constants`);
  const lo = lowestStableBits(c, req.minBits ?? DEFAULT_MIN_BITS);
  const hi = req.maxBits ?? DEFAULT_MAX_BITS;
  const continuous = continuousOptimum(lo, hi, at);
  if (chosen.format.bits === formats[0].bits && formats.length > 1) notes.push(`the plan takes the widest format offered (${formatLabel(chosen.format)})`);
  pricingNote(cost, chosen.format, 'training format', notes);
  return finish('joint', chosen.result, cost, standardAlternatives(at, 'compute-optimal N and D'), notes, { formats, format: chosen.format, continuous });
}

function planFixedPrecision(c: Constants, req: PlanRequest, cost: CostModel): Plan | LawError {
  if (req.precision === undefined) return invalid('the fixed-precision scenario needs a training precision (bits)');
  const best = fixedPrecisionOptimum(c, req.compute, uniformPrecision(req.precision), cost);
  if (isLawError(best)) return best;
  const at = (bits: number) => fixedPrecisionOptimum(c, req.compute, uniformPrecision(bits), cost);
  const formats = candidateFormats(req, cost);
  const format = formats.find((f) => f.bits === req.precision) ?? parseFormat(req.precision);
  const notes: string[] = [];
  pricingNote(cost, format, 'training format', notes);
  return finish('fixed-precision', best, cost, standardAlternatives(at, 'compute-optimal N and D'), notes, { formats, ...(format ? { format } : {}) });
}

/** Problem 3: N fixed (a model family); minimise over P with D = C / (kappa(P) N). P* grows like log C. */
function planFixedParams(c: Constants, req: PlanRequest, cost: CostModel): Plan | LawError {
  const params = req.params;
  if (params === undefined || !(params > 0)) return invalid('the fixed-params scenario needs a positive parameter count');
  const formats = candidateFormats(req, cost);
  if (formats.length === 0) return invalid(`no format between ${req.minBits ?? 0} and ${req.maxBits ?? Infinity} bits to choose from`);
  const at = (bits: number) => fixedParamsAllocation(c, req.compute, params, uniformPrecision(bits), cost);
  const notes: string[] = [];
  const chosen = bestFormat(formats, at, notes);
  if (!chosen) return invalid(`no stable training precision among the formats ${formats.map(formatLabel).join(', ')} for these constants`);
  const lo = lowestStableBits(c, req.minBits ?? DEFAULT_MIN_BITS);
  const hi = req.maxBits ?? DEFAULT_MAX_BITS;
  const continuous = continuousOptimum(lo, hi, at);
  if (chosen.format.bits === formats[0].bits && formats.length > 1) notes.push(`the plan takes the widest format offered (${formatLabel(chosen.format)}): more precision may still help`);
  pricingNote(cost, chosen.format, 'training format', notes);
  return finish('fixed-params', chosen.result, cost, standardAlternatives(at, `N fixed at ${params.toExponential(2)}`), notes, { formats, format: chosen.format, continuous });
}

/**
 * Problem 4 (Eq. 29): minimise the unified law including delta_PTQ under the training budget
 * and an inference budget on N * P_post. Serving and training precisions are each a format
 * (training at least as wide as serving); for each pair, log N is searched under the memory cap.
 */
function planInference(c: Constants, req: PlanRequest, cost: CostModel): Plan | LawError {
  const budget = req.inferenceBudget;
  if (budget === undefined || !(budget > 0)) return invalid('the inference scenario needs an inference budget (parameter-bits of the deployed weights)');
  const formats = candidateFormats(req, cost);
  if (formats.length === 0) return invalid(`no format between ${req.minBits ?? 0} and ${req.maxBits ?? Infinity} bits to choose from`);
  const formatOf = (bits: number): Format => formats.find((f) => f.bits === bits) ?? parseFormat(bits) ?? { bits, name: `${bits}-bit` };
  const posts = req.post !== undefined ? [formatOf(req.post)] : formats;
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
  let bestFormats: { train: Format; post: Format } | undefined;
  const unstable = new Set<string>();
  for (const post of posts) {
    // Training exactly at the serving format (no PTQ) comes first, so a PTQ never wins on rounding noise.
    const trains = [formatOf(post.bits), ...formats.filter((f) => f.bits > post.bits)];
    for (const train of trains) {
      if (!effectiveParams(c, 1, uniformPrecision(train.bits)).ok) {
        unstable.add(formatLabel(train));
        continue;
      }
      const candidate = bestForPair(post.bits, train.bits);
      if (candidate && (best === undefined || candidate.loss < best.loss - 1e-9 * best.loss)) {
        best = candidate;
        bestFormats = { train, post };
      }
    }
  }
  if (!best || !bestFormats) return invalid('no feasible plan: the inference budget is too small for every format searched');
  const notes: string[] = [];
  if (unstable.size > 0) notes.push(`not a training candidate, outside the law for these constants: ${[...unstable].join(', ')}`);
  pricingNote(cost, bestFormats.train, 'training format', notes);
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
  return finish('inference', best, cost, alternatives, notes, { formats, format: bestFormats.train, postFormat: bestFormats.post });
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
