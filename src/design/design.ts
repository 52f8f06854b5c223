// The sweep designer: before any compute is spent, how long a grid takes and which constants of
// the law its runs could identify. Simulated sweeps (the law as the truth, run-to-run noise) are
// refitted many times; each constant's refits say whether and how well it is pinned down.
// Returns a plain result with a status, like scipy.optimize's result objects; never prints.

import { CONSTANT_NAMES, type ConstantName, type Constants, PARTS, PART_CONSTANTS, PART_LABEL, HIGH_PRECISION_BITS } from '../law/constants';
import { fitPoints } from '../fit/fit';
import type { FitOptions } from '../fit/options';
import type { TrainJob } from '../train/config';
import { type Calibration, type SweepEstimate, BUILT_IN_SOURCE, estimateSweep } from '../train/estimate';
import { type ConstantVerdict, type RefitSummary, summarizeRefit, verdicts } from './identify';
import type { Proposal } from './propose';
import { type DesignRun, type NoiseModel, type UnsimulatedRun, designRun, expectedPoints, samplePoints, truthForGrid } from './simulate';

export const DESIGN_SCHEMA = 'precision-planner/design@1';

/**
 * Default run-to-run noise of a run's end-of-training loss: the examples' fit puts it at 0.0073 in
 * log-loss (README, "run-to-run scale"; their five seed pairs differ by 0.006 nats in standard
 * deviation), at their losses of about 2 nats per byte 0.015 nats.
 */
export const DEFAULT_TRAIN_NOISE = 0.015;
/**
 * Default noise of a PTQ degradation beyond its run's own: the examples' degradation RMSE, 0.0095
 * nats (README), which includes the law's misfit: an upper figure, assumed.
 */
export const DEFAULT_PTQ_NOISE = 0.0095;
export const DEFAULT_SIMULATIONS = 30;

export interface DesignOptions {
  /** The law the runs are drawn from; held constants are held at these values too. */
  truth: Constants;
  /** Where the truth came from, for the report: "paper", "fit:FILE". */
  truthSource: string;
  noise: NoiseModel;
  /** Where the noise came from, for the report. */
  noiseSource: string;
  simulations: number;
  seed: number;
  /** Measured throughput (empty: the built-in figures) and where it was looked for. */
  calibrations: readonly Calibration[];
  calibrationSource: string;
  parallel: number;
  cores: number;
  /** Fit options beyond the designer's (bootstrap and held-out check are always off: refits must be cheap). */
  fit?: Partial<FitOptions>;
  onProgress?: (done: number, total: number) => void;
}

export interface GridFacts {
  runs: number;
  /** Distinct non-embedding parameter counts and token budgets. */
  params: number[];
  tokens: number[];
  /** max/min of each. */
  paramsSpan: number;
  tokensSpan: number;
  tokensPerParam: [number, number];
  /** Training bits below high precision that each part is trained at with the other parts high (alone), and at all. */
  parts: Record<'w' | 'a' | 'kv', { low: number[]; alone: number[] }>;
  /** PTQ bit-widths the law takes from the high-precision runs. */
  post: number[];
  /** Runs that share N, D and precision with another (seed replicates). */
  replicated: number;
}

export interface DesignEstimate {
  /** Wall time at `slots` runs at once. */
  wallSeconds: number;
  /** Sum of every run's own time on one core: the CPU time. */
  cpuSeconds: number;
  slots: number;
  cores: number;
  measuredRuns: number;
  /** Where the throughput came from. */
  source: string;
}

export type DesignStatus = 'identified' | 'partly-identified' | 'nothing-identified' | 'no-runs';

export interface DesignResult {
  schema: typeof DESIGN_SCHEMA;
  /** True when the refits identify at least one constant. */
  success: boolean;
  status: DesignStatus;
  message: string;
  grid: GridFacts;
  estimate: DesignEstimate;
  truth: { source: string; constants: Constants; /** A and B scaled by this factor (1: as given), and why. */ scale: number; note?: string };
  noise: NoiseModel & { source: string };
  simulations: { requested: number; seed: number; fitsUsed: number };
  constants: Record<ConstantName, ConstantVerdict>;
  identifiable: ConstantName[];
  notIdentifiable: ConstantName[];
  unsimulated: UnsimulatedRun[];
  warnings: string[];
  /** The cheapest change found to make a named constant identifiable (proposeChange), when asked. */
  proposal?: Proposal;
}

const distinct = (xs: readonly number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);
const span = (xs: readonly number[]): number => (xs.length > 0 ? xs[xs.length - 1] / xs[0] : 1);

export function gridFacts(runs: readonly DesignRun[]): GridFacts {
  const params = distinct(runs.map((r) => r.params));
  const tokens = distinct(runs.map((r) => r.tokens));
  const ratios = runs.map((r) => r.tokens / r.params);
  const isHigh = (b: number) => b >= HIGH_PRECISION_BITS;
  const parts = Object.fromEntries(
    PARTS.map((part) => {
      const low = runs.filter((r) => !isHigh(r.precision[part]));
      const alone = low.filter((r) => PARTS.every((o) => o === part || isHigh(r.precision[o])));
      return [part, { low: distinct(low.map((r) => r.precision[part])), alone: distinct(alone.map((r) => r.precision[part])) }];
    }),
  ) as GridFacts['parts'];
  const high = runs.filter((r) => PARTS.every((p) => isHigh(r.precision[p])));
  const keys = runs.map((r) => `${r.params}|${r.tokens}|${r.precision.w}/${r.precision.a}/${r.precision.kv}`);
  return {
    runs: runs.length,
    params,
    tokens,
    paramsSpan: span(params),
    tokensSpan: span(tokens),
    tokensPerParam: ratios.length > 0 ? [Math.min(...ratios), Math.max(...ratios)] : [0, 0],
    parts,
    post: distinct(high.flatMap((r) => r.post)),
    replicated: keys.filter((k, i) => keys.indexOf(k) !== i || keys.lastIndexOf(k) !== i).length,
  };
}

const count = (n: number): string => (n >= 1e6 ? `${+(n / 1e6).toPrecision(3)}M` : n >= 1e3 ? `${+(n / 1e3).toPrecision(3)}K` : String(+n.toPrecision(3)));
const times = (f: number): string => `${+f.toPrecision(2)}×`;

/** What in the grid limits a constant, to add to a not-identifiable verdict's reason. */
export function gridLimit(name: ConstantName, g: GridFacts): string | undefined {
  const only = (f: number): string => (f < 10 ? 'only ' : '');
  const sizes = g.params.length === 1 ? `one size only (N ${count(g.params[0])})` : `the sizes span ${only(g.paramsSpan)}${times(g.paramsSpan)} (N ${count(g.params[0])}-${count(g.params[g.params.length - 1])})`;
  const budgets = g.tokens.length === 1 ? `one token budget only (D ${count(g.tokens[0])})` : `the budgets span ${only(g.tokensSpan)}${times(g.tokensSpan)} (D ${count(g.tokens[0])}-${count(g.tokens[g.tokens.length - 1])}, D/N ${+g.tokensPerParam[0].toPrecision(2)}-${+g.tokensPerParam[1].toPrecision(2)})`;
  const part = PARTS.find((p) => PART_CONSTANTS[p].gamma === name || PART_CONSTANTS[p].offset === name || PART_CONSTANTS[p].robust === name);
  if (part) {
    const d = g.parts[part];
    if (d.low.length === 0) return `no run trains the ${PART_LABEL[part]} below ${HIGH_PRECISION_BITS} bits`;
    const are = part === 'kv' ? 'is' : 'are';
    if (d.alone.length === 0) return `the ${PART_LABEL[part]} ${are} never trained at low precision with the other parts high`;
    return `the ${PART_LABEL[part]} ${are} trained alone at ${d.alone.join(', ')} bits`;
  }
  switch (name) {
    case 'A':
    case 'alpha':
      return sizes;
    case 'B':
    case 'beta':
      return budgets;
    case 'gammaN':
      return g.params.length === 1 ? sizes : `${sizes} at fixed D`;
    case 'gammaD':
      return g.tokens.length === 1 ? budgets : `${budgets} at fixed N`;
    case 'gammaPost':
      return g.post.length === 0 ? 'no PTQ evaluation of a high-precision run' : `PTQ of the high-precision runs at ${g.post.join(', ')} bits`;
    default:
      return undefined;
  }
}

/** Fit options for a refit: no bootstrap, no held-out check, the default variant (no variant search). */
const REFIT_OPTIONS: Partial<FitOptions> = { bootstrap: 0, heldOut: false, variant: 'default' };

export function estimateOf(jobs: readonly TrainJob[], o: Pick<DesignOptions, 'calibrations' | 'calibrationSource' | 'parallel' | 'cores'>): DesignEstimate {
  const wall: SweepEstimate = estimateSweep(jobs, { parallel: o.parallel, cores: o.cores, calibrations: o.calibrations });
  const one = estimateSweep(jobs, { parallel: 1, cores: 1, calibrations: o.calibrations });
  const cpuSeconds = one.jobSeconds.reduce((a, b) => a + b, 0);
  const source = wall.measuredRuns > 0 ? `the throughput of ${wall.measuredRuns} complete run${wall.measuredRuns === 1 ? '' : 's'} ${o.calibrationSource}` : `${BUILT_IN_SOURCE} (no complete runs ${o.calibrationSource} to measure)`;
  return { wallSeconds: wall.seconds, cpuSeconds, slots: wall.slots, cores: wall.cores, measuredRuns: wall.measuredRuns, source };
}

/** The refits of `simulations` simulated sweeps of these runs. */
export function simulateRefits(runs: readonly DesignRun[], truth: Constants, o: Pick<DesignOptions, 'noise' | 'simulations' | 'seed' | 'fit' | 'onProgress'>): { refits: RefitSummary[]; unsimulated: UnsimulatedRun[] } {
  const { points, unsimulated } = expectedPoints(runs, truth);
  const refits: RefitSummary[] = [];
  if (points.length === 0) return { refits, unsimulated };
  for (let i = 0; i < o.simulations; i++) {
    const sampled = samplePoints(points, o.noise, (o.seed * 1_000_003 + i) >>> 0);
    refits.push(summarizeRefit(fitPoints(sampled, { ...o.fit, ...REFIT_OPTIONS, preset: truth, seed: o.seed })));
    o.onProgress?.(i + 1, o.simulations);
  }
  return { refits, unsimulated };
}

export function designSweep(jobs: readonly TrainJob[], o: DesignOptions): DesignResult {
  const runs = jobs.map(designRun);
  const grid = gridFacts(runs);
  const estimate = estimateOf(jobs, o);
  const { constants: truth, scale } = truthForGrid(o.truth, runs);
  const note =
    scale !== 1
      ? `A and B scaled by ${scale.toPrecision(3)} so the grid's smallest run has a reducible loss of 1 nat: as given they put it at ${(1 / scale).toPrecision(3)} nats, beyond any plausible loss (their exponents and every other constant kept)`
      : undefined;
  const { refits, unsimulated } = simulateRefits(runs, truth, o);
  const warnings: string[] = [];
  if (unsimulated.length > 0) warnings.push(`${unsimulated.length} of ${runs.length} runs have no loss under the truth and are left out of the simulation (${unsimulated[0].name}: ${unsimulated[0].reason})`);
  const constants = verdicts(truth, refits);
  for (const v of Object.values(constants)) {
    if (v.status === 'identifiable') continue;
    const limit = gridLimit(v.name, grid);
    if (limit && v.reason) v.reason = `${v.reason}; ${limit}`;
  }
  // A part's factor that carries parts never trained apart from it is their combined factor.
  for (const part of PARTS) {
    const { gamma } = PART_CONSTANTS[part];
    const carried = PARTS.filter((p) => p !== part && constants[PART_CONSTANTS[p].gamma].status === 'not fitted' && /share the/.test(constants[PART_CONSTANTS[p].gamma].reason ?? '') && (constants[PART_CONSTANTS[p].gamma].reason ?? '').includes(PART_LABEL[part]));
    if (carried.length > 0 && constants[gamma].status !== 'not fitted') {
      warnings.push(`${gamma} and ${PART_CONSTANTS[part].offset} are the combined factor of the ${[part, ...carried].map((p) => PART_LABEL[p]).join(', ')}: they never train apart in this grid`);
    }
  }
  const fitsUsed = refits.filter((r) => r.ok).length;
  const identifiable = CONSTANT_NAMES.filter((n) => constants[n].status === 'identifiable' || constants[n].status === 'weak');
  const notIdentifiable = CONSTANT_NAMES.filter((n) => !identifiable.includes(n));
  const status: DesignStatus = runs.length === 0 ? 'no-runs' : identifiable.length === 0 ? 'nothing-identified' : notIdentifiable.length === 0 ? 'identified' : 'partly-identified';
  const message =
    status === 'no-runs'
      ? 'the grid has no runs'
      : `${o.simulations} simulated sweeps of ${runs.length} runs refitted (${fitsUsed} fits usable): ${identifiable.length} of ${CONSTANT_NAMES.length} constants identifiable${identifiable.length > 0 ? ` (${identifiable.join(', ')})` : ''}`;
  return {
    schema: DESIGN_SCHEMA,
    success: identifiable.length > 0,
    status,
    message,
    grid,
    estimate,
    truth: { source: o.truthSource, constants: truth, scale, ...(note ? { note } : {}) },
    noise: { ...o.noise, source: o.noiseSource },
    simulations: { requested: o.simulations, seed: o.seed, fitsUsed },
    constants,
    identifiable,
    notIdentifiable,
    unsimulated,
    warnings,
  };
}
