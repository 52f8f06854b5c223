// Bounded least squares in log-loss space over a subset of the law's constants, with
// ml-levenberg-marquardt, many starts, and a Huber option.

import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import type { ConstantName } from '../law/constants';
import { INDEX, N_CONSTANTS, type PointTable, type PredictionMode, pointTable, predictAt } from './gradient';
import type { FitPoint } from './points';

/** One free parameter of a stage. Bounds and starts are in the transformed (fitted) space. */
export interface FreeParam {
  /** Constants this parameter sets (two when alpha and beta are tied). */
  names: ConstantName[];
  /** 'log' fits log(value): scale constants stay positive and well conditioned. */
  transform: 'log' | 'identity';
  lower: number;
  upper: number;
  starts: number[];
}

export interface Problem {
  points: readonly FitPoint[];
  /** The same points column-wise (built once per problem by `makeProblem`). */
  table: PointTable;
  mode: PredictionMode;
  /** Every constant's current value; the free ones are overwritten from the parameter vector. */
  base: Float64Array;
  free: FreeParam[];
}

export type LossKind = 'squares' | 'huber';

export interface SolveOptions {
  loss: LossKind;
  /** Huber threshold on the log-loss residual (Besiroglu et al. 2024 use 1e-3). */
  huberDelta: number;
  maxIterations: number;
  /**
   * Start each solve with ml-levenberg-marquardt's descent before `refine` (default true);
   * false runs `refine` alone (bootstrap replicates: measured 2.8x faster on the example
   * workspace, to the same objectives).
   */
  library?: boolean;
}

/**
 * How a solve ended: 'converged' at a stationary point (the projected gradient or the
 * Gauss-Newton step criterion holds), at the 'iteration cap', or with 'no progress' (no step
 * lowers the objective however much it is damped, and the gradient criterion does not hold).
 */
export type SolverStatus = 'converged' | 'iteration cap' | 'no progress';

export interface Solution {
  params: number[];
  /** 0.5 * sum rho(r_i) over log-loss residuals: rho = r^2, or Huber's r^2 / 2 delta |r| - delta^2. */
  cost: number;
  iterations: number;
  status: SolverStatus;
  /**
   * Max-norm of the objective's gradient in the transformed (fitted) space, projected on the
   * bounds: components pushing against a bound the parameter sits on do not count.
   */
  gradientNorm: number;
  /** The full gradient at the solution (not projected): where it points past a bound, the data pull beyond it. */
  gradient: number[];
  /** Per parameter: it sits on a bound and the gradient points past it by more than the stationarity tolerance. */
  pushing: boolean[];
  /** False when the solver never left its (clamped) start. */
  moved: boolean;
}

/** Residual given to a point where the law is undefined: large, finite, so the search backs off. */
const INFEASIBLE_RESIDUAL = 10;

export function makeProblem(points: readonly FitPoint[], mode: PredictionMode, base: Float64Array, free: FreeParam[], rows?: { observedTrain: Uint8Array; weight: Float64Array }): Problem {
  return { points, table: pointTable(points, rows?.observedTrain, rows?.weight), mode, base, free };
}

export function applyParams(problem: Problem, params: ArrayLike<number>, into?: Float64Array): Float64Array {
  const v = into ?? new Float64Array(N_CONSTANTS);
  v.set(problem.base);
  problem.free.forEach((p, j) => {
    const value = p.transform === 'log' ? Math.exp(params[j]) : params[j];
    for (const name of p.names) v[INDEX[name]] = value;
  });
  return v;
}

/** Log-loss residuals (prediction - observation), times each row's weight; infeasible points get a large constant. */
export function residuals(problem: Problem, params: ArrayLike<number>): Float64Array {
  const v = applyParams(problem, params);
  const t = problem.table;
  const r = new Float64Array(t.n);
  for (let i = 0; i < t.n; i++) {
    const pred = predictAt(v, t, i, problem.mode, null);
    r[i] = pred > 0 ? t.weight[i] * (Math.log(pred) - t.logObs[i]) : INFEASIBLE_RESIDUAL;
  }
  return r;
}

export function rho(r: number, loss: LossKind, delta: number): number {
  const a = Math.abs(r);
  return loss === 'huber' && a > delta ? 2 * delta * a - delta * delta : r * r;
}

export function costOf(r: ArrayLike<number>, loss: LossKind, delta: number): number {
  let sum = 0;
  for (let i = 0; i < r.length; i++) sum += rho(r[i], loss, delta);
  return 0.5 * sum;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Iterations per call of the library; between calls the fitter checks for progress. */
const CHUNK = 3;
/** Relative decrease of the objective over a chunk below which the library's descent is done. */
const RELATIVE_TOLERANCE = 1e-10;
/**
 * Stationarity: the cosine between the residual vector and every free column of the Jacobian at
 * most GRADIENT_TOLERANCE (MINPACK's gtol test, invariant to the scale of residuals and
 * parameters); or a Gauss-Newton step (light damping) that changes the objective by at most
 * STEP_TOLERANCE relatively, predicted and actual (MINPACK's ftol test).
 */
export const GRADIENT_TOLERANCE = 1e-6;
const STEP_TOLERANCE = 1e-12;
/** Damping (relative to the diagonal of J'J) beyond which a rejected step means no progress. */
const MAX_DAMPING = 1e12;
/** Iterations `refine` may take, as a multiple of the options' maxIterations (its steps are cheap). */
const REFINE_ITERATIONS = 3;

/**
 * The residual Levenberg-Marquardt sees: r itself for least squares; for Huber, the signed
 * square root of rho(r), so that the plain sum of squares the library minimises is exactly the
 * Huber objective (SciPy's least_squares works the same way). The map is C1 at |r| = delta.
 */
function robust(r: number, loss: LossKind, delta: number): { value: number; slope: number } {
  const a = Math.abs(r);
  if (loss !== 'huber' || a <= delta) return { value: r, slope: 1 };
  const root = Math.sqrt(2 * delta * a - delta * delta);
  return { value: Math.sign(r) * root, slope: delta / root };
}

/**
 * Robustified residuals and (when `jac` is given, row-major n x m) their Jacobian in the
 * transformed space; `quadratic[i]` says whether point i is in the quadratic part of the loss
 * (always for least squares; |r| <= delta for Huber).
 */
function evaluate(problem: Problem, params: ArrayLike<number>, loss: LossKind, delta: number, r: Float64Array, jac: Float64Array | null, v: Float64Array, grad: Float64Array, quadratic?: Uint8Array): number {
  applyParams(problem, params, v);
  const t = problem.table;
  const m = problem.free.length;
  let sum = 0;
  for (let i = 0; i < t.n; i++) {
    const pred = predictAt(v, t, i, problem.mode, jac ? grad : null);
    const feasible = pred > 0;
    const raw = feasible ? t.weight[i] * (Math.log(pred) - t.logObs[i]) : INFEASIBLE_RESIDUAL;
    const { value, slope } = robust(raw, loss, delta);
    r[i] = value;
    if (quadratic) quadratic[i] = feasible && (loss !== 'huber' || Math.abs(raw) <= delta) ? 1 : 0;
    sum += value * value;
    if (!jac) continue;
    for (let j = 0; j < m; j++) {
      const p = problem.free[j];
      let d = 0;
      if (feasible) {
        for (const name of p.names) d += grad[INDEX[name]];
        d *= ((slope * t.weight[i]) / pred) * (p.transform === 'log' ? Math.exp(params[j]) : 1);
      }
      jac[i * m + j] = d;
    }
  }
  return 0.5 * sum;
}

/** Solves the m x m symmetric positive definite system a x = b by Cholesky; null when not positive definite. */
function choleskySolve(a: Float64Array, b: Float64Array, m: number): Float64Array | null {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * m + j];
      for (let k = 0; k < j; k++) sum -= l[i * m + k] * l[j * m + k];
      if (i === j) {
        if (!(sum > 0)) return null;
        l[i * m + i] = Math.sqrt(sum);
      } else {
        l[i * m + j] = sum / l[j * m + j];
      }
    }
  }
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * m + k] * y[k];
    y[i] = sum / l[i * m + i];
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < m; k++) sum -= l[k * m + i] * x[k];
    x[i] = sum / l[i * m + i];
  }
  return x;
}

/** Whether parameter j sits on a bound and the gradient pushes it further out (so it is held there). */
function blocked(x: number, g: number, p: FreeParam): boolean {
  const tiny = 1e-12 * Math.max(1, p.upper - p.lower);
  return (x <= p.lower + tiny && g > 0) || (x >= p.upper - tiny && g < 0);
}

/**
 * Bounded Levenberg-Marquardt to a stationary point: Marquardt's scaling (damping relative to
 * the diagonal of J'J), steps accepted only when they lower the objective, damping adapted by
 * the ratio of actual to predicted decrease (Nielsen's rule), and an active set: a parameter on
 * a bound whose gradient points past it is held there, and a step that would leave the box is
 * cut at the bound. ml-levenberg-marquardt cannot stop at a stationary point by itself: it has
 * no gradient or step criterion, moves to a step's point even when the step raised the
 * objective, damps by a constant (not by the curvature of each parameter) and clips to the
 * bounds after the step; on the example workspace's PTQ stage that left the cost 12% above the
 * stationary point SciPy's least_squares reached from the same solution. This loop finishes
 * what the library starts.
 */
export function refine(problem: Problem, start: readonly number[], options: SolveOptions): Solution {
  const { loss, huberDelta: delta } = options;
  const m = problem.free.length;
  const n = problem.table.n;
  const v = new Float64Array(N_CONSTANTS);
  const grad = new Float64Array(N_CONSTANTS);
  const r = new Float64Array(n);
  const rTry = new Float64Array(n);
  const jac = new Float64Array(n * m);
  const quadratic = new Uint8Array(n);
  const x = start.map((s, j) => clamp(s, problem.free[j].lower, problem.free[j].upper));
  const x0 = x.slice();
  let cost = evaluate(problem, x, loss, delta, r, jac, v, grad, quadratic);
  // Damping 1 to start: steps no longer than damped Gauss-Newton steps on the root residuals,
  // until the ratio of actual to predicted decrease shows the curvature model holds.
  let damping = 1;
  let nu = 2;
  let status: SolverStatus = 'iteration cap';
  let iterations = 0;
  // g: the gradient. h: the Gauss-Newton curvature of the objective itself, from the points in
  // the quadratic part of the loss only (Huber's linear part has none; Triggs et al. 2000, as
  // SciPy's least_squares scales a robust loss), for the step and its predicted decrease.
  // d: the diagonal of J'J over all points (of the signed-root residuals), for the damping's
  // scale and the stationarity test. With the root residuals' curvature instead of h, the
  // steps on a Huber objective come out half as long as they should and convergence crawls.
  const g = new Float64Array(m);
  const h = new Float64Array(m * m);
  const d = new Float64Array(m);
  const computeNormalEquations = () => {
    g.fill(0);
    h.fill(0);
    d.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * m;
      const q = quadratic[i] === 1;
      for (let j = 0; j < m; j++) {
        const jj = jac[row + j];
        if (jj === 0) continue;
        g[j] += jj * r[i];
        d[j] += jj * jj;
        if (q) for (let k = 0; k <= j; k++) h[j * m + k] += jj * jac[row + k];
      }
    }
    for (let j = 0; j < m; j++) for (let k = 0; k < j; k++) h[k * m + j] = h[j * m + k];
  };
  const stationary = (): boolean => {
    const norm = Math.sqrt(2 * cost);
    // A column 1e-10 below the largest has no effect on the objective: nothing to test there.
    const negligible = 1e-20 * Math.max(...d);
    for (let j = 0; j < m; j++) {
      if (blocked(x[j], g[j], problem.free[j]) || d[j] <= negligible) continue;
      if (Math.abs(g[j]) > GRADIENT_TOLERANCE * Math.sqrt(d[j]) * norm) return false;
    }
    return true;
  };
  computeNormalEquations();
  if (m === 0 || stationary()) status = 'converged';
  const maxDiag = () => Math.max(1e-300, ...d);
  while (status === 'iteration cap' && iterations < REFINE_ITERATIONS * options.maxIterations) {
    iterations++;
    // Active set: blocked parameters stay; a free one whose step would cross the bound it is on joins them.
    const active = x.map((xj, j) => blocked(xj, g[j], problem.free[j]));
    let step: Float64Array | null = null;
    const floor = 1e-12 * maxDiag();
    for (let pass = 0; pass <= m; pass++) {
      const idx = active.flatMap((a, j) => (a ? [] : [j]));
      const k = idx.length;
      if (k === 0) break;
      const a = new Float64Array(k * k);
      const b = new Float64Array(k);
      idx.forEach((j, p) => {
        b[p] = -g[j];
        idx.forEach((l, q) => (a[p * k + q] = h[j * m + l]));
        a[p * k + p] += damping * Math.max(d[j], floor);
      });
      const s = choleskySolve(a, b, k);
      if (!s) break;
      step = new Float64Array(m);
      idx.forEach((j, p) => (step![j] = s[p]));
      const tiny = (j: number) => 1e-12 * Math.max(1, problem.free[j].upper - problem.free[j].lower);
      const crossing = idx.filter((j) => (x[j] <= problem.free[j].lower + tiny(j) && step![j] < 0) || (x[j] >= problem.free[j].upper - tiny(j) && step![j] > 0));
      if (crossing.length === 0) break;
      for (const j of crossing) active[j] = true;
      step = null;
    }
    if (!step) {
      // Every free direction is blocked, or the damped system is singular: damp harder.
      damping *= nu;
      nu *= 2;
      if (damping > MAX_DAMPING) status = stationary() ? 'converged' : 'no progress';
      continue;
    }
    const trial = x.map((xj, j) => clamp(xj + step![j], problem.free[j].lower, problem.free[j].upper));
    const s = trial.map((t, j) => t - x[j]);
    let predicted = 0;
    for (let j = 0; j < m; j++) {
      let hs = 0;
      for (let l = 0; l < m; l++) hs += h[j * m + l] * s[l];
      predicted -= g[j] * s[j] + 0.5 * s[j] * hs;
    }
    const trialCost = evaluate(problem, trial, loss, delta, rTry, null, v, grad);
    const actual = cost - trialCost;
    const ratio = predicted > 0 ? actual / predicted : -1;
    if (actual > 0 && ratio > 1e-4) {
      x.splice(0, m, ...trial);
      const lightlyDamped = damping <= 1;
      cost = evaluate(problem, x, loss, delta, r, jac, v, grad, quadratic);
      computeNormalEquations();
      damping *= Math.max(1 / 3, 1 - (2 * ratio - 1) ** 3);
      nu = 2;
      if (stationary()) status = 'converged';
      else if (lightlyDamped && actual <= STEP_TOLERANCE * cost && predicted <= STEP_TOLERANCE * cost) status = 'converged';
    } else {
      damping *= nu;
      nu *= 2;
      if (damping > MAX_DAMPING) status = stationary() ? 'converged' : 'no progress';
    }
  }
  let gradientNorm = 0;
  for (let j = 0; j < m; j++) if (!blocked(x[j], g[j], problem.free[j])) gradientNorm = Math.max(gradientNorm, Math.abs(g[j]));
  const norm = Math.sqrt(2 * cost);
  const pushing = x.map((xj, j) => blocked(xj, g[j], problem.free[j]) && Math.abs(g[j]) > GRADIENT_TOLERANCE * Math.sqrt(d[j]) * norm);
  return {
    params: x,
    cost: costOf(residuals(problem, x), loss, delta),
    iterations,
    status,
    gradientNorm,
    gradient: Array.from(g),
    pushing,
    moved: x.some((xj, j) => xj !== x0[j]),
  };
}

/**
 * One solve on the (robustified) log-loss residuals, with the analytic Jacobian:
 * ml-levenberg-marquardt's descent (run in chunks, stopped once a chunk no longer improves the
 * objective: the library stops only on an absolute error or its iteration cap), then `refine`
 * to a stationary point.
 */
function lmRun(problem: Problem, start: number[], options: SolveOptions): Solution {
  const { loss, huberDelta: delta, maxIterations } = options;
  const t = problem.table;
  const n = t.n;
  const logObs = t.logObs;
  const x = Array.from({ length: n }, (_, i) => i);
  const y = new Array<number>(n).fill(0);
  const v = new Float64Array(N_CONSTANTS);
  const grad = new Float64Array(N_CONSTANTS);
  const m = problem.free.length;
  const model = (params: number[]) => {
    applyParams(problem, params, v);
    return (i: number): number => {
      const pred = predictAt(v, t, i, problem.mode, null);
      return robust(pred > 0 ? t.weight[i] * (Math.log(pred) - logObs[i]) : INFEASIBLE_RESIDUAL, loss, delta).value;
    };
  };
  const jacobian = (params: number[]) => {
    applyParams(problem, params, v);
    const chain = problem.free.map((p, j) => (p.transform === 'log' ? Math.exp(params[j]) : 1));
    const columns = problem.free.map((p) => p.names.map((name) => INDEX[name]));
    return (i: number): number[] => {
      const pred = predictAt(v, t, i, problem.mode, grad);
      const row = new Array<number>(m).fill(0);
      if (!(pred > 0)) return row;
      const scale = (robust(t.weight[i] * (Math.log(pred) - logObs[i]), loss, delta).slope * t.weight[i]) / pred;
      for (let j = 0; j < m; j++) {
        let d = 0;
        for (const c of columns[j]) d += grad[c];
        row[j] = scale * d * chain[j];
      }
      return row;
    };
  };
  const objective = (params: number[]): number => costOf(residuals(problem, params), loss, delta);
  const clamped = start.map((s, j) => clamp(s, problem.free[j].lower, problem.free[j].upper));
  let params = clamped;
  let cost = objective(params);
  let iterations = 0;
  while (options.library !== false && iterations < maxIterations && m > 0) {
    const chunk = Math.min(CHUNK, maxIterations - iterations);
    const next = levenbergMarquardt({ x, y }, model, {
      initialValues: params,
      minValues: problem.free.map((p) => p.lower),
      maxValues: problem.free.map((p) => p.upper),
      jacobianFunction: jacobian,
      maxIterations: chunk,
      errorTolerance: 0,
      damping: 1e-3,
    }).parameterValues;
    iterations += chunk;
    const nextCost = objective(next);
    if (!(nextCost < cost)) break;
    const improvement = (cost - nextCost) / Math.max(cost, 1e-300);
    params = next;
    cost = nextCost;
    if (improvement < RELATIVE_TOLERANCE) break;
  }
  const polished = refine(problem, params, options);
  return { ...polished, iterations: iterations + polished.iterations, moved: polished.moved || params.some((p, j) => p !== clamped[j]) };
}

const squaresOf = (options: SolveOptions): SolveOptions => ({ ...options, loss: 'squares' });

/** Least squares from one start, then (Huber) the robust objective from the least-squares solution. */
export function solve(problem: Problem, start: number[], options: SolveOptions): Solution {
  const first = lmRun(problem, start, squaresOf(options));
  if (options.loss !== 'huber') return first;
  const robustRun = lmRun(problem, first.params, options);
  return { ...robustRun, iterations: first.iterations + robustRun.iterations, moved: first.moved || robustRun.moved };
}

/** Cartesian product of each parameter's start values. */
export function startGrid(free: readonly FreeParam[]): number[][] {
  let grid: number[][] = [[]];
  for (const p of free) grid = grid.flatMap((prefix) => p.starts.map((s) => [...prefix, s]));
  return grid;
}

export interface MultiStartResult extends Solution {
  starts: number;
  polished: number;
  /** The screened starts Levenberg-Marquardt was run from, best first. */
  polishedFrom: number[][];
}

/**
 * Chinchilla-type fits are start-dependent (Besiroglu et al. 2024), so: score every start of
 * the grid by its objective, run Levenberg-Marquardt from the best `polish` of them, keep the
 * best. For Huber, the polished least-squares solutions seed the robust fit: the two best are
 * refitted under the Huber objective and the lower one wins.
 */
export function multiStart(problem: Problem, starts: number[][], polish: number, options: SolveOptions): MultiStartResult {
  const scored = starts
    .map((s) => ({ s, cost: costOf(residuals(problem, s), options.loss, options.huberDelta) }))
    .filter((x) => Number.isFinite(x.cost))
    .sort((x, y) => x.cost - y.cost)
    .slice(0, Math.max(1, polish));
  if (scored.length === 0) throw new Error('no start point gave a finite objective');
  const polished = scored.map(({ s }) => lmRun(problem, s, squaresOf(options))).sort((x, y) => x.cost - y.cost);
  let best: Solution = polished[0];
  if (options.loss === 'huber') {
    best = polished
      .slice(0, 2)
      .map((sol) => {
        const run = lmRun(problem, sol.params, options);
        return { ...run, iterations: sol.iterations + run.iterations, moved: sol.moved || run.moved };
      })
      .sort((x, y) => x.cost - y.cost)[0];
  }
  return { ...best, starts: starts.length, polished: scored.length, polishedFrom: scored.map(({ s }) => s) };
}

/**
 * The objective with free parameter j held at `value` and the others re-fitted from `params`:
 * one point of the profile of that parameter.
 */
export function profileCost(problem: Problem, params: readonly number[], j: number, value: number, options: SolveOptions): number {
  const fixed = params.slice();
  fixed[j] = value;
  const sub: Problem = { ...problem, base: applyParams(problem, fixed), free: problem.free.filter((_, k) => k !== j) };
  return refine(sub, params.filter((_, k) => k !== j), options).cost;
}
