// The staged fit of LAW.md §7, as the paper builds the law: (a) Chinchilla constants on
// high-precision runs; (b) precision constants on low-precision training runs with (a) held;
// (c) PTQ constants on post-training degradations; (d) optional joint refinement.
// A stage without enough data is skipped, its constants stay at the preset, and the report says why.
// A stage whose solver throws, ends on non-finite constants or predicts none of its points is
// reported as failed (its message kept, as scipy.optimize keeps a result's message), its
// constants stay where they were before it, and the stages after it go on.

import { type ConstantName, type Constants, HIGH_PRECISION_BITS, PARTS, PART_CONSTANTS, PART_LABEL, type Part } from '../law/constants';
import { INDEX, predictAt, toVector } from './gradient';
import { type FreeParam, type Problem, type Solution, type SolverStatus, applyParams, makeProblem, multiStart, profileCost, solve, startGrid } from './leastSquares';
import type { FitOptions } from './options';
import type { FitPoint } from './points';
import { MIN_PLAUSIBLE_LOSS } from '../runs/validate';

export type StageName = 'chinchilla' | 'precision' | 'ptq' | 'joint';

export interface StageReport {
  name: StageName;
  status: 'fitted' | 'skipped' | 'failed';
  /** Why the stage was skipped (in words that name what is missing), or how it failed. */
  reason?: string;
  /**
   * A failed stage: the constants it would have fitted, left at their values before it (the
   * preset's, or the staged fit's for the joint refinement: then empty).
   */
  heldAtPreset?: ConstantName[];
  /** Constants this stage fitted. */
  fitted: ConstantName[];
  /** Constants this stage would fit but held, and why. */
  held: Array<{ name: ConstantName; reason: string }>;
  points: number;
  /**
   * The joint refinement (jointObjective 'split'): rows solved (the points, and each PTQ
   * point once more as a degradation row) and the degradation rows' weight.
   */
  rows?: number;
  degradationWeight?: number;
  /** 0.5 * sum rho(log-loss residual) at the stage's solution. */
  cost?: number;
  starts?: number;
  polished?: number;
  /** How the stage's solver ended: at a stationary point or not, and after how many iterations. */
  solver?: { status: SolverStatus; gradientNorm: number; iterations: number };
  /**
   * Max-norm of the objective's gradient at the solution, in the transformed space the solver
   * works in (log of scale constants), projected on the bounds; null for a skipped stage.
   */
  gradientNorm?: number | null;
  /** Constants that ended at or near a bound (within 0.1% of the bounds' span); empty for a skipped stage. */
  atBound?: ConstantName[];
  /**
   * Each constant of `atBound`: which bound, its value, and whether the data pull past it (the
   * constant sits on the bound and the gradient points beyond, by more than the stationarity
   * tolerance): for gamma_N or gamma_D on 0, the data prefer the other sign.
   */
  bounds?: Array<{ name: ConstantName; side: 'lower' | 'upper'; bound: number; prefersBeyond: boolean }>;
  /** False when the stage's solution is the start it was solved from (bootstrap replicates count these). */
  moved?: boolean;
  /**
   * Constants with a flat profile: held at a value a factor 10 (scale constants) or 100% (others)
   * away, with the stage's other constants re-fitted, the objective changes by less than 1%.
   */
  flat?: Array<{ name: ConstantName; reason: string }>;
  /**
   * The least-squares problem solved, enough to re-solve it elsewhere: prediction mode, every
   * constant's value before the stage, each free parameter's transform, bounds and start grid,
   * and the starts (in the transformed space) Levenberg-Marquardt was run from.
   */
  spec?: { mode: Problem['mode']; base: number[]; free: FreeParam[]; polishedFrom: number[][] };
}

/**
 * Where a constant's value comes from: fitted by a stage, left at the preset, fixed by an option
 * (offsets at zero), or neutral: the part it belongs to always shares another part's precision,
 * so that part's factor carries both and this one is held off (factor 1, see NEUTRAL_OFFSET).
 */
export type ConstantOrigin = 'fitted' | 'preset' | 'fixed' | 'neutral';

export interface StagedFit {
  vector: Float64Array;
  origin: Record<ConstantName, ConstantOrigin>;
  stages: StageReport[];
  /** The free parameters of every fitted stage, for the joint refinement and the bootstrap. */
  free: FreeParam[];
}

const distinct = (xs: readonly number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);
const isHigh = (p: FitPoint): boolean => Math.min(p.precision.w, p.precision.a, p.precision.kv) >= HIGH_PRECISION_BITS;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function skipped(name: StageName, points: number, reason: string): StageReport {
  return { name, status: 'skipped', reason, fitted: [], held: [], points, gradientNorm: null, atBound: [] };
}

function failed(name: StageName, points: number, reason: string, heldAtPreset: ConstantName[], held: StageReport['held'] = []): StageReport {
  return { name, status: 'failed', reason, heldAtPreset, fitted: [], held, points, gradientNorm: null, atBound: [] };
}

/** An error's message, whatever was thrown. */
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Why a stage's solution is no solution, or undefined: a constant it fitted is not finite, or its
 * objective is not, or the law predicts none of its points at it (every residual is then the
 * solver's infeasible stand-in, as when a constant held at the preset is NaN or 1e308).
 */
function unusableSolution(problem: Problem, vector: Float64Array, cost: number | undefined): string | undefined {
  const bad = [...new Set(problem.free.flatMap((p) => p.names))].filter((name) => !Number.isFinite(vector[INDEX[name]]));
  if (bad.length > 0) return `the solver ended on non-finite constants (${bad.map((n) => `${n} = ${vector[INDEX[n]]}`).join(', ')})`;
  if (cost === undefined || !Number.isFinite(cost)) return `the objective at the solution is ${cost}`;
  const t = problem.table;
  for (let i = 0; i < t.n; i++) {
    const pred = predictAt(vector, t, i, problem.mode, null);
    if (pred > 0 && Number.isFinite(pred)) return undefined;
  }
  const held = (Object.keys(INDEX) as ConstantName[]).filter((name) => !Number.isFinite(vector[INDEX[name]]));
  return `the law predicts none of the stage's ${t.n} points at the solution${held.length > 0 ? ` (not finite: ${held.map((n) => `${n} = ${vector[INDEX[n]]}`).join(', ')})` : ''}`;
}

/** A fitted constant's value from a free parameter's transformed value. */
const valueOf = (p: FreeParam, x: number): number => (p.transform === 'log' ? Math.exp(x) : x);

/** The solver's end, and the constants at or near a bound, for a stage's report. */
function solverReport(problem: Problem, sol: Solution): Pick<StageReport, 'solver' | 'gradientNorm' | 'atBound' | 'bounds' | 'moved'> {
  const bounds: NonNullable<StageReport['bounds']> = [];
  problem.free.forEach((p, j) => {
    const near = 1e-3 * (p.upper - p.lower);
    const x = sol.params[j];
    const side = x <= p.lower + near ? 'lower' : x >= p.upper - near ? 'upper' : undefined;
    if (!side) return;
    const bound = valueOf(p, side === 'lower' ? p.lower : p.upper);
    for (const name of p.names) bounds.push({ name, side, bound, prefersBeyond: sol.pushing[j] });
  });
  return {
    solver: { status: sol.status, gradientNorm: sol.gradientNorm, iterations: sol.iterations },
    gradientNorm: sol.gradientNorm,
    atBound: bounds.map((b) => b.name),
    bounds,
    moved: sol.moved,
  };
}

/** Relative change of the objective below which a profile counts as flat. */
export const FLAT_PROFILE = 0.01;

/**
 * Profiles of each free parameter at the solution: held a factor 10 down and up (log-fitted
 * constants) or at 0 and twice its value (others; at least +-0.1), within the bounds, with
 * the other constants re-fitted. A parameter whose objective changes by less than 1% over
 * that range is not determined by the data.
 */
function flatProfiles(problem: Problem, sol: Solution, options: FitOptions): NonNullable<StageReport['flat']> {
  const flat: NonNullable<StageReport['flat']> = [];
  const base = Math.max(sol.cost, 1e-300);
  const profileOptions = { ...options, maxIterations: 50 };
  problem.free.forEach((p, j) => {
    const x = sol.params[j];
    const width = p.transform === 'log' ? Math.log(10) : Math.max(Math.abs(x), 0.1);
    const probes = [x - width, x + width].map((q) => Math.min(p.upper, Math.max(p.lower, q))).filter((q) => Math.abs(q - x) > 1e-9 * width);
    if (probes.length === 0) return;
    const changes = probes.map((q) => (profileCost(problem, sol.params, j, q, profileOptions) - sol.cost) / base);
    if (changes.some((c) => !(c < FLAT_PROFILE))) return;
    const range = probes.map((q) => valueOf(p, q).toPrecision(3)).join(' and ');
    const reason = `flat profile: held at ${range} (the fitted value ${valueOf(p, x).toPrecision(3)}), with the other constants re-fitted, the ${problem.mode === 'ptq' ? 'PTQ' : problem.mode} objective changes by less than ${100 * FLAT_PROFILE}% (at most ${(100 * Math.max(...changes)).toFixed(2)}%)`;
    for (const name of p.names) flat.push({ name, reason });
  });
  return flat;
}

/**
 * Parts whose precisions move together in every point cannot be told apart: group them and
 * let the first part of each group carry the group's effect.
 */
function identifiableParts(points: readonly FitPoint[], candidates: readonly Part[]): { fit: Part[]; shadowed: Array<{ part: Part; by: Part }> } {
  const fit: Part[] = [];
  const shadowed: Array<{ part: Part; by: Part }> = [];
  const key = (part: Part) => points.map((p) => p.precision[part]).join(',');
  for (const part of candidates) {
    const twin = fit.find((f) => key(f) === key(part));
    if (twin) shadowed.push({ part, by: twin });
    else fit.push(part);
  }
  return { fit, shadowed };
}

/**
 * Values that take a part out of the law: its precision factor 1 - exp(-P/gamma + n) is 1 for
 * any P at n = -50, and its robustness factor 1 - exp(-C (P - P_post)) is 1 at C = 50. A part
 * whose effect another part carries is set to them, so the preset's own effect for that part
 * (and its stability threshold) does not come on top of the carrier's.
 */
export const NEUTRAL_OFFSET = -50;
export const NEUTRAL_ROBUSTNESS = 50;

/**
 * What to show instead of a constant's value when the fit held it off (its part's factor is
 * 1 and another part's factor carries the effect), or undefined when the value means what it
 * says. The one rule the dashboard, the report and the CLI use. Fits saved before the
 * 'neutral' origin existed marked these constants 'fixed' at the neutral value: they count too.
 */
export function heldOff(fit: { constants: Constants; origin: Record<ConstantName, ConstantOrigin> }, name: ConstantName): string | undefined {
  const part = PARTS.find((p) => Object.values(PART_CONSTANTS[p]).includes(name));
  if (!part) return undefined;
  // The robustness constant is its own factor; gamma and offset make the precision factor.
  const robust = PART_CONSTANTS[part].robust === name;
  const isOff = (p: Part): boolean => {
    const { gamma, offset, robust: c } = PART_CONSTANTS[p];
    const [key, neutralValue] = robust ? [c, NEUTRAL_ROBUSTNESS] : [offset, NEUTRAL_OFFSET];
    return fit.origin[key] === 'neutral' || (!robust && fit.origin[gamma] === 'neutral') || (fit.origin[key] === 'fixed' && fit.constants[key] === neutralValue);
  };
  if (!isOff(part)) return undefined;
  // Two parts held off means the third carries all three; with one, another part carries it.
  return PARTS.filter(isOff).length === PARTS.length - 1 ? 'off — one factor carries all three parts' : "off — another part's factor carries this part";
}

interface StageInput {
  name: StageName;
  problem: Problem;
  held: Array<{ name: ConstantName; reason: string }>;
  /** Constants of parts another part's factor carries, held off (neutral) before fitting. */
  neutral?: ConstantName[];
  /** Replace grid starts (e.g. profile out a scale constant); identity by default. */
  adjustStart?: (start: number[]) => number[];
}

function runStage(input: StageInput, options: FitOptions, warm: WarmStart | undefined): { report: StageReport; vector: Float64Array } {
  const { problem } = input;
  let grid = startGrid(problem.free);
  if (input.adjustStart) grid = grid.map(input.adjustStart);
  let best: ReturnType<typeof multiStart>;
  if (warm?.only) {
    // A bootstrap replicate: its warm start, and the best few starts of the grid beside it.
    const start = problem.free.map((p) => toFree(p, warm.vector[INDEX[p.names[0]]]));
    const quick = { ...options, library: false };
    const solutions = [multiStart(problem, [start], 1, quick)];
    if ((warm.gridStarts ?? 0) > 0 && grid.length > 0) solutions.push(multiStart(problem, grid, warm.gridStarts ?? 0, quick));
    best = solutions.sort((a, b) => a.cost - b.cost)[0];
    best = { ...best, starts: 1 + (solutions[1]?.starts ?? 0), polished: solutions.reduce((n, x) => n + x.polished, 0), polishedFrom: solutions.flatMap((x) => x.polishedFrom) };
  } else {
    const starts = grid;
    if (warm) starts.unshift(problem.free.map((p) => toFree(p, warm.vector[INDEX[p.names[0]]])));
    best = multiStart(problem, starts, options.polish, options);
  }
  const flat = !warm && options.profiles ? flatProfiles(problem, best, options) : [];
  return {
    vector: applyParams(problem, best.params),
    report: {
      name: input.name,
      status: 'fitted',
      fitted: problem.free.flatMap((p) => p.names),
      held: input.held,
      points: problem.points.length,
      cost: best.cost,
      starts: best.starts,
      polished: best.polished,
      ...solverReport(problem, best),
      ...(flat.length > 0 ? { flat } : {}),
      spec: { mode: problem.mode, base: Array.from(problem.base), free: problem.free, polishedFrom: best.polishedFrom },
    },
  };
}

function toFree(p: FreeParam, value: number): number {
  const x = p.transform === 'log' ? Math.log(value) : value;
  return Math.min(p.upper, Math.max(p.lower, x));
}

const logParam = (name: ConstantName, lower: number, upper: number, starts: number[]): FreeParam => ({
  names: [name],
  transform: 'log',
  lower,
  upper,
  starts,
});
const param = (names: ConstantName[], lower: number, upper: number, starts: number[]): FreeParam => ({
  names,
  transform: 'identity',
  lower,
  upper,
  starts,
});

function chinchillaStage(points: readonly FitPoint[], base: Float64Array, options: FitOptions): StageInput | StageReport {
  const high = points.filter((p) => p.kind === 'train' && isHigh(p));
  const sizes = distinct(high.map((p) => p.params));
  const budgets = distinct(high.map((p) => p.tokens));
  const losses = high.map((p) => p.loss);
  const free: FreeParam[] = [
    logParam('A', -10, 40, [0, 3, 6, 9, 12, 15]),
    param(options.tieExponents ? ['alpha', 'beta'] : ['alpha'], 0.01, 2.5, [0.1, 0.3, 0.5, 0.8]),
    logParam('B', -10, 40, [0, 3, 6, 9, 12, 15]),
  ];
  if (!options.tieExponents) free.push(param(['beta'], 0.01, 2.5, [0.1, 0.3, 0.5, 0.8]));
  if (high.length > 0) {
    // A reduce, not Math.min(...losses): spreading 10^5 arguments overflows the call stack.
    const lo = losses.reduce((a, b) => Math.min(a, b), Infinity);
    const hi = losses.reduce((a, b) => Math.max(a, b), -Infinity);
    // E's floor is the least plausible loss: a point below it is not a validation loss (validate.ts).
    free.push(logParam('E', Math.log(MIN_PLAUSIBLE_LOSS), Math.log(hi), [0.5, 0.8, 0.95].map((f) => Math.log(f * lo))));
  }
  const needed = free.length + 1;
  if (high.length < needed || sizes.length < 2 || budgets.length < 2) {
    return skipped(
      'chinchilla',
      high.length,
      `needs high-precision (>= ${HIGH_PRECISION_BITS}-bit) training runs at >= 2 model sizes and >= 2 token budgets, >= ${needed} in all; ` +
        `have ${plural(high.length, 'run')}, ${plural(sizes.length, 'size')}, ${plural(budgets.length, 'token budget')}`,
    );
  }
  return { name: 'chinchilla', problem: makeProblem(high, 'train', base, free), held: [] };
}

function precisionStage(points: readonly FitPoint[], base: Float64Array, options: FitOptions): StageInput | StageReport {
  const train = points.filter((p) => p.kind === 'train');
  const low = train.filter((p) => !isHigh(p));
  const partsWithData = PARTS.filter((part) => low.some((p) => p.precision[part] < HIGH_PRECISION_BITS));
  if (partsWithData.length === 0) {
    return skipped('precision', low.length, `needs training runs below ${HIGH_PRECISION_BITS} bits in weights, activations or KV cache; have none`);
  }
  const { fit, shadowed } = identifiableParts(low, partsWithData);
  const held: StageReport['held'] = [];
  for (const { part, by } of shadowed) {
    const reason = `${PART_LABEL[part]} always share the ${PART_LABEL[by]}' precision in these runs, so their effects cannot be separated: the ${PART_LABEL[by]} factor carries both, and the ${PART_LABEL[part]} factor is held at 1 (offset ${NEUTRAL_OFFSET})`;
    held.push({ name: PART_CONSTANTS[part].gamma, reason }, { name: PART_CONSTANTS[part].offset, reason });
  }
  const free: FreeParam[] = [];
  for (const part of fit) {
    const { gamma, offset } = PART_CONSTANTS[part];
    free.push(param([gamma], 0.05, 30, [0.7, 2, 5]));
    const levels = distinct(low.map((p) => p.precision[part]).filter((b) => b < HIGH_PRECISION_BITS));
    if (options.offsets === 'fit') {
      if (levels.length >= 2) free.push(param([offset], -5, 10, [-0.5, 1, 2.5]));
      else held.push({ name: offset, reason: `${PART_LABEL[part]} were trained at one low precision only (${levels[0]} bits): the offset needs two` });
    }
  }
  const needed = free.length + 1;
  if (low.length < needed) {
    return skipped('precision', low.length, `needs >= ${needed} low-precision training runs for ${free.length} constants; have ${low.length}`);
  }
  for (const { part } of shadowed) base[INDEX[PART_CONSTANTS[part].offset]] = NEUTRAL_OFFSET;
  // The gamma of a part held off has no effect at the neutral offset: it is held off as well.
  const neutral = shadowed.flatMap(({ part }) => [PART_CONSTANTS[part].gamma, PART_CONSTANTS[part].offset]);
  return { name: 'precision', problem: makeProblem(train, 'train', base, free), held, neutral };
}

function ptqStage(points: readonly FitPoint[], base: Float64Array, options: FitOptions): StageInput | StageReport {
  const ptq = points.filter((p) => p.kind === 'ptq');
  if (ptq.length < 3) {
    return skipped('ptq', ptq.length, `needs >= 3 post-training quantization evaluations (runs with a PTQ list); have ${ptq.length}`);
  }
  const held: StageReport['held'] = [
    { name: 'bPost', reason: 'C_T and b_post enter only as C_T * exp(b_post): b_post stays at the preset and C_T absorbs the product' },
  ];
  const free: FreeParam[] = [logParam('CT', -40, 40, [0])];
  const dims: Array<[ConstantName, number[], number, number, number[], string]> = [
    ['gammaD', ptq.map((p) => p.tokens), 0, 3, [0.25, 0.6], 'token budget'],
    ['gammaN', ptq.map((p) => p.params), 0, 3, [0.15, 0.5], 'model size'],
    ['gammaPost', ptq.map((p) => p.post ?? 0), 0.05, 10, [0.4, 0.8, 1.6], 'post-training precision'],
  ];
  for (const [name, values, lower, upper, starts, what] of dims) {
    // The sign of gamma_D and gamma_N is a finding: bounded at 0 unless the user lets it go negative.
    const allowed = (options.allowNegative as readonly ConstantName[]).includes(name);
    if (distinct(values).length >= 2) free.push(param([name], allowed ? -upper : lower, upper, starts));
    else held.push({ name, reason: `all PTQ evaluations share one ${what}` });
  }
  const lowTrained = PARTS.filter((part) => ptq.some((p) => p.precision[part] < HIGH_PRECISION_BITS));
  const { fit, shadowed } = identifiableParts(ptq, lowTrained);
  for (const part of fit) free.push(param([PART_CONSTANTS[part].robust], 0.01, 20, [0.5, 2]));
  for (const { part, by } of shadowed) {
    held.push({ name: PART_CONSTANTS[part].robust, reason: `${PART_LABEL[part]} always share the ${PART_LABEL[by]}' training precision in the PTQ runs: the ${PART_LABEL[by]}' C carries both, this one is held at ${NEUTRAL_ROBUSTNESS} (factor 1)` });
  }
  for (const part of PARTS.filter((p) => !lowTrained.includes(p))) {
    held.push({ name: PART_CONSTANTS[part].robust, reason: `no PTQ evaluation of a run trained with low-precision ${PART_LABEL[part]}` });
  }
  if (ptq.length < free.length + 1) {
    return skipped('ptq', ptq.length, `needs >= ${free.length + 1} PTQ evaluations for ${free.length} constants; have ${ptq.length}`);
  }
  for (const { part } of shadowed) base[INDEX[PART_CONSTANTS[part].robust]] = NEUTRAL_ROBUSTNESS;
  const problem = makeProblem(ptq, 'ptq', base, free);
  // C_T is a pure scale: for each start of the shape parameters, put it where the median point fits.
  const adjustStart = (start: number[]): number[] => {
    const probe = start.slice();
    probe[0] = 0;
    const v = applyParams(problem, probe);
    const logs: number[] = [];
    const t = problem.table;
    for (let i = 0; i < t.n; i++) {
      const observed = ptq[i].loss - t.trainLoss[i];
      const shape = predictAt(v, t, i, 'ptq', null) - t.trainLoss[i];
      if (observed > 0 && shape > 0) logs.push(Math.log(observed) - Math.log(shape));
    }
    logs.sort((a, b) => a - b);
    const out = start.slice();
    out[0] = logs.length > 0 ? logs[Math.floor(logs.length / 2)] : 0;
    return out;
  };
  return { name: 'ptq', problem, held, adjustStart, neutral: shadowed.map(({ part }) => PART_CONSTANTS[part].robust) };
}

/** Bounds on the degradation rows' weight in the joint refinement. */
export const DEGRADATION_WEIGHT_RANGE: readonly [number, number] = [1, 100];

/**
 * The weight that puts degradation residuals on their own scale: the RMS log-loss residual of
 * the end-of-training points over that of the degradation rows, both at the staged solution (so
 * a degradation error as large as the degradations' own scatter weighs as much as a loss error as
 * large as the loss level's scatter), within DEGRADATION_WEIGHT_RANGE.
 */
export function degradationWeight(points: readonly FitPoint[], vector: Float64Array): number {
  const rms = (rows: readonly FitPoint[], mode: 'unified' | 'ptq'): number => {
    const t = makeProblem(rows, mode, vector, []).table;
    let sum = 0;
    let n = 0;
    for (let i = 0; i < t.n; i++) {
      const pred = predictAt(vector, t, i, mode, null);
      if (!(pred > 0)) continue;
      sum += (Math.log(pred) - t.logObs[i]) ** 2;
      n++;
    }
    return n > 0 ? Math.sqrt(sum / n) : NaN;
  };
  const train = rms(points.filter((p) => p.kind === 'train'), 'unified');
  const deg = rms(points.filter((p) => p.kind === 'ptq' && p.trainLoss !== undefined), 'ptq');
  const [lo, hi] = DEGRADATION_WEIGHT_RANGE;
  const w = train / deg;
  return Number.isFinite(w) ? Math.min(hi, Math.max(lo, w)) : lo;
}

/**
 * The joint refinement's problem. 'unified': every point predicted by the whole law; the PTQ
 * points' residuals are then mostly their run's loss-level error (0.01-0.05 in log-loss against
 * degradations of 1e-3 nats), and the refinement trades the degradations away to fit the loss
 * level (on the example workspace gamma_post slid to its bound and C_T * exp(b_post) to 1e15).
 * 'split': the same, and each PTQ point once more as a degradation row (its degradation added to
 * the run's observed end-of-training loss: the PTQ stage's residual), weighted by
 * `degradationWeight`. Dropping the unified PTQ rows instead (the sum of the stages' objectives)
 * loses what they say about the loss level: it missed the recovery tests' tolerances (B, C_T).
 */
function jointProblem(points: readonly FitPoint[], objective: FitOptions['jointObjective'], base: Float64Array, free: FreeParam[]): { problem: Problem; weight?: number } {
  if (objective === 'unified') return { problem: makeProblem(points, 'unified', base, free) };
  const ptq = points.filter((p) => p.kind === 'ptq' && p.trainLoss !== undefined);
  const rows = [...points, ...ptq];
  const first = points.length;
  const weight = degradationWeight(points, base);
  const observedTrain = Uint8Array.from(rows, (_, i) => (i >= first ? 1 : 0));
  const weights = Float64Array.from(rows, (_, i) => (i >= first ? weight : 1));
  return { problem: makeProblem(rows, 'split', base, free, { observedTrain, weight: weights }), weight };
}

/**
 * A previous fit's constants to start from. `only` (bootstrap replicates) solves from it and
 * from the `gridStarts` best-screened starts of the grid, instead of the whole polish.
 */
export interface WarmStart {
  vector: Float64Array;
  only?: boolean;
  gridStarts?: number;
}

/**
 * Runs the stages on `points`. A warm start is added as an extra start in every stage: the
 * held-out refit uses it beside the grid, bootstrap replicates start from it alone.
 */
export function fitStages(points: readonly FitPoint[], options: FitOptions, warmStart?: WarmStart): StagedFit {
  const vector = toVector(options.preset);
  const origin = Object.fromEntries(Object.keys(INDEX).map((n) => [n, 'preset'])) as Record<ConstantName, ConstantOrigin>;
  if (options.offsets === 'zero') {
    for (const part of PARTS) {
      vector[INDEX[PART_CONSTANTS[part].offset]] = 0;
      origin[PART_CONSTANTS[part].offset] = 'fixed';
    }
  }
  const stages: StageReport[] = [];
  const free: FreeParam[] = [];
  const builders = [
    () => chinchillaStage(points, vector, options),
    () =>
      stages[0].status === 'fitted'
        ? precisionStage(points, vector, options)
        : skipped('precision', 0, 'needs the Chinchilla stage (A, alpha, B, beta, E) fitted first'),
    () => ptqStage(points, vector, options),
  ];
  const names: StageName[] = ['chinchilla', 'precision', 'ptq'];
  for (const [k, build] of builders.entries()) {
    // Builders set constants of parts held off (neutral) in `vector`: undone if the stage fails.
    const before = { vector: vector.slice(), origin: { ...origin } };
    const undo = () => {
      vector.set(before.vector);
      Object.assign(origin, before.origin);
    };
    let input: StageInput | StageReport;
    try {
      input = build();
    } catch (error) {
      undo();
      stages.push(failed(names[k], 0, `the stage could not be set up: ${messageOf(error)}`, []));
      continue;
    }
    if ('status' in input) {
      stages.push(input);
      continue;
    }
    for (const name of input.neutral ?? []) origin[name] = 'neutral';
    input.problem.base = vector.slice();
    const wouldFit = [...new Set(input.problem.free.flatMap((p) => p.names))];
    let outcome: { report: StageReport; vector: Float64Array } | string;
    try {
      outcome = runStage(input, options, warmStart);
      const bad = unusableSolution(input.problem, outcome.vector, outcome.report.cost);
      if (bad) outcome = bad;
    } catch (error) {
      // ml-levenberg-marquardt and its linear algebra throw on NaN or singular systems ("Matrix is not symmetric").
      outcome = `the solver failed: ${messageOf(error)}`;
    }
    if (typeof outcome === 'string') {
      undo();
      stages.push(failed(input.name, input.problem.points.length, outcome, wouldFit.filter((name) => origin[name] !== 'fixed'), input.held));
      continue;
    }
    vector.set(outcome.vector);
    for (const name of outcome.report.fitted) origin[name] = 'fitted';
    free.push(...input.problem.free);
    stages.push(outcome.report);
  }
  const fittedStages = stages.filter((s) => s.status === 'fitted').length;
  if (!options.joint) {
    stages.push(skipped('joint', points.length, 'turned off'));
  } else if (stages[0].status !== 'fitted' || fittedStages < 2) {
    stages.push(skipped('joint', points.length, 'needs the Chinchilla stage and at least one other stage fitted'));
  } else {
    let joint: { problem: Problem; weight?: number; start: number[]; base: number[]; sol: Solution; next: Float64Array } | string;
    try {
      const { problem, weight } = jointProblem(points, options.jointObjective ?? 'split', vector.slice(), free);
      const start = free.map((p) => toFree(p, vector[INDEX[p.names[0]]]));
      const base = Array.from(vector);
      const sol = solve(problem, start, warmStart?.only ? { ...options, library: false } : options);
      const next = applyParams(problem, sol.params);
      joint = unusableSolution(problem, next, sol.cost) ?? { problem, weight, start, base, sol, next };
    } catch (error) {
      joint = `the solver failed: ${messageOf(error)}`;
    }
    if (typeof joint === 'string') {
      // The staged constants stand: nothing is put back to the preset.
      stages.push(failed('joint', points.length, `${joint}; the stages' constants are kept`, []));
      return { vector, origin, stages, free };
    }
    const { problem, weight, start, base, sol, next } = joint;
    vector.set(next);
    stages.push({
      name: 'joint',
      status: 'fitted',
      fitted: free.flatMap((p) => p.names),
      held: [],
      points: points.length,
      ...(weight !== undefined ? { degradationWeight: weight, rows: problem.points.length } : {}),
      cost: sol.cost,
      starts: 1,
      polished: 1,
      ...solverReport(problem, sol),
      spec: { mode: problem.mode, base, free, polishedFrom: [start] },
    });
  }
  return { vector, origin, stages, free };
}
