// The next runs: given a fit and a target (a plan, a config), the few runs within a budget that
// would most shrink the 95% prediction interval of the target's loss, found by simulation. The
// fit's law is taken as the truth; every simulation draws the runs' losses and the candidates'
// from it with the noise the fit measured, refits, and predicts the target. How far those
// predictions stray from the truth, with a candidate set against without, is what the set is
// worth. Greedy: the best run first, then the best beside it (a pair of runs where one alone
// cannot fit what it is for). Constants the fit only assumed are drawn about their assumed values
// (heldConstants.ts), so a run that would fit one counts. Seeded; returns a plain result with a
// status, like scipy.optimize's result objects; never prints.
//
// Why not the fit's own interval for each simulated refit: that is a bootstrap of 100 refits,
// and a suggestion compares dozens of candidate sets. The measure here is cheaper and is the same
// for "now" and "with these runs", so their ratio is fair: the robust spread (interval.ts,
// robustScale) of the target's log-loss error over S refits, each refit solved from the fit's
// solution the way its bootstrap replicates are. Where the fit has a bootstrap band that counts
// every constant that matters at the target, the expected interval is the fit's band scaled by
// that ratio, with the run-to-run part as it is (new runs do not make a run less noisy):
// basis 'bootstrap-scaled'. Where it has none, or leaves out held constants that matter there,
// both intervals are the simulation's: basis 'simulated'.

import { CONSTANT_NAMES, type ConstantName, type Constants, HIGH_PRECISION_BITS, PARTS, PART_CONSTANTS } from '../law/constants';
import { type Precision, type Scenario, predict } from '../law/law';
import type { FitResult } from '../fit/fit';
import { toConstants, toVector } from '../fit/gradient';
import { type Interval, type LossIntervals, lossIntervals, normalQuantile, predictionInterval, robustScale, scaleFor } from '../fit/interval';
import { type FitOptions, resolveFitOptions } from '../fit/options';
import type { FitPoint } from '../fit/points';
import { seededRandom } from '../fit/random';
import { fitStages } from '../fit/stages';
import { DEFAULT_PTQ_NOISE, DEFAULT_TRAIN_NOISE } from '../design/design';
import { type NoiseModel, designRunsOfPoints, expectedPoints, gaussian, samplePoints } from '../design/simulate';
import { designTruthFromFit } from '../design/truth';
import { type CandidateRun, trainerPrecision } from './candidates';
import { HELD_SPREAD_TEXT, drawHeld, heldNames, heldThatMatter } from './heldConstants';

export const SUGGEST_SCHEMA = 'precision-planner/suggest@1';
export const DEFAULT_SUGGEST_RUNS = 3;
export const DEFAULT_SUGGEST_SIMULATIONS = 8;
/** CPU-hours: about the example sweep's (an hour on 2 cores). */
export const DEFAULT_BUDGET_HOURS = 2;
/** A run is suggested only if it narrows the spread by at least this fraction: below it, S simulations cannot tell it from none. */
export const MIN_NARROWING = 0.02;
/** After the first round, only this many of the previous round's best are simulated again (a run that did little alone seldom does much beside a better one). */
export const RESIMULATED = 6;
/** The fit's band and the simulation's spread now this many times apart: the ratio between them carries over badly, and the result says so. */
export const DISAGREEMENT = 3;
/** Affordable candidates simulated at the most, those nearest the target. */
export const MAX_SIMULATED = 16;

export type SuggestStatus = 'suggested' | 'nothing-helps' | 'over-budget' | 'no-candidates' | 'no-target' | 'no-fit';

export interface SuggestTarget extends Scenario {
  /** What the target is, for the report: "the plan at 1e15 FLOPs", "configs/run.toml". */
  label: string;
}

export interface SuggestOptions {
  fit: Pick<FitResult, 'ok' | 'message' | 'constants' | 'origin' | 'residualScale' | 'metrics' | 'points' | 'bootstrap' | 'options'>;
  /** The fit's name in words ("the fit of 26 runs in examples"). */
  fitLabel: string;
  /** The fit's points: the real runs the simulations redraw. */
  points: readonly FitPoint[];
  target: SuggestTarget;
  candidates: readonly CandidateRun[];
  budgetHours: number;
  /** k: runs to suggest at the most. */
  runs: number;
  simulations: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
}

/** A suggested run: the candidate's settings and cost, and what it is expected to do. */
export interface SuggestedRun extends Omit<CandidateRun, 'run'> {
  /** The target's 95% prediction interval expected once this run and those before it are in the fit. */
  intervalExpected: Interval | null;
}

export interface SuggestMeasure {
  simulations: number;
  seed: number;
  /** Robust spread (log-loss) of the target's prediction error over the refits: now, and with the suggested runs. */
  spreadNow: number | null;
  spreadExpected: number | null;
  /** spreadExpected / spreadNow. */
  ratio: number | null;
  /** Refits usable of those run (a refit that could not fit a constant the fit fitted is left out). */
  refitsNow: number;
  /** Held constants that matter at the target, drawn in every simulation. */
  heldDrawn: ConstantName[];
  description: string;
}

export interface SuggestResult {
  schema: typeof SUGGEST_SCHEMA;
  success: boolean;
  status: SuggestStatus;
  message: string;
  target: { label: string; params: number; tokens: number; precision: Precision; post?: number; loss: number | null };
  runs: SuggestedRun[];
  /** The target's 95% prediction interval now, and expected with every suggested run (null: none to give). */
  intervalNow: Interval | null;
  intervalExpected: Interval | null;
  /** How much narrower: the fraction of the width now, and the width given up in nats. */
  narrowing: { fraction: number; nats: number } | null;
  basis: 'bootstrap-scaled' | 'simulated';
  /** The fit's own intervals at the target (as predict and recommend print them). */
  fitInterval: LossIntervals;
  measure: SuggestMeasure;
  budget: { hours: number; spent: number };
  candidates: { total: number; affordable: number; simulated: number; cheapestHours: number | null };
  truth: { source: string };
  noise: NoiseModel & { source: string };
  notes: string[];
}

const MEASURE_TEXT =
  "robust spread of the target's log-loss error over the refits; every simulation draws the runs' and the candidates' losses from the fit's law with the fit's noise (fresh noise on every run, the same draws for every set of runs compared) and refits from the fit's solution as its bootstrap replicates do";

/** One simulated world: its truth (held constants drawn), the target's true loss, and the real runs' points drawn from it. */
interface World {
  truth: Constants;
  targetLog: number;
  points: FitPoint[];
  seed: number;
}

/** A seed for candidate `c` in world `seed`: every candidate's draws are its own, whatever else is in the set. */
const candidateSeed = (seed: number, c: number): number => (Math.imul(seed ^ 0x5bd1e995, 0x01000193) + Math.imul(c + 1, 0x9e3779b1)) >>> 0;

const widthOf = (i: Interval | null): number | null => (i ? i[1] - i[0] : null);

/** Refits of simulated points, solved the way the fit's bootstrap replicates are, and the target's error under each. */
class Refitter {
  private readonly options: FitOptions;
  private readonly warm: Float64Array;
  private readonly fitted: ConstantName[];

  constructor(
    fit: SuggestOptions['fit'],
    base: Constants,
    private readonly target: Scenario,
    private readonly onRefit: () => void,
  ) {
    // The fit's own choices (its variant), cheap: no bootstrap, no held-out check, no profiles.
    this.options = resolveFitOptions({ ...fit.options, bootstrap: 0, heldOut: false, profiles: false });
    this.warm = toVector(base);
    this.fitted = CONSTANT_NAMES.filter((n) => fit.origin[n] === 'fitted');
  }

  /** The log-loss error at the target of a refit of these points, or undefined when the refit is not usable (a constant the fit fitted left unfitted, as a bootstrap replicate would be). */
  error(points: readonly FitPoint[], targetLog: number): number | undefined {
    this.onRefit();
    const r = fitStages(points, this.options, { vector: this.warm, only: true, gridStarts: this.options.bootstrapStarts });
    if (!this.fitted.every((n) => r.origin[n] === 'fitted') || !r.vector.every(Number.isFinite)) return undefined;
    const p = predict(toConstants(r.vector), this.target);
    return p.ok ? Math.log(p.loss) - targetLog : undefined;
  }
}

/** The simulation: worlds, each candidate's draws in them, and the spread of a set of candidates. */
class Simulation {
  private readonly draws = new Map<number, FitPoint[][]>();

  constructor(
    private readonly worlds: readonly World[],
    private readonly candidates: readonly CandidateRun[],
    private readonly noise: NoiseModel,
    private readonly refitter: Refitter,
  ) {}

  private drawsOf(c: number): FitPoint[][] {
    let d = this.draws.get(c);
    if (!d) {
      d = this.worlds.map((w) => samplePoints(expectedPoints([this.candidates[c].run], w.truth).points, this.noise, candidateSeed(w.seed, c)).map((p) => ({ ...p, runId: `suggested:${p.runId}` })));
      this.draws.set(c, d);
    }
    return d;
  }

  /** The spread with these candidates added, and the refits it rests on; null spread when too few refits were usable. */
  spread(set: readonly number[]): { spread: number | null; used: number } {
    const errors = this.worlds.flatMap((w, i) => {
      const e = this.refitter.error([...w.points, ...set.flatMap((c) => this.drawsOf(c)[i])], w.targetLog);
      return e === undefined ? [] : [e];
    });
    const enough = errors.length >= Math.max(3, Math.ceil(this.worlds.length / 2));
    return { spread: enough ? robustScale(errors) : null, used: errors.length };
  }
}

const isHigh = (p: Precision): boolean => PARTS.every((x) => p[x] >= HIGH_PRECISION_BITS);

/**
 * What the greedy adds at once: a run, or, where the fit fitted no precision constant, a run
 * trained low with a second at its precision (the cheapest at its size, else at another): the
 * precision stage fits nothing from one such run (it needs one more run than constants), so one
 * alone would look worthless. Indices into the candidates, the run itself first.
 */
export function candidateGroups(candidates: readonly CandidateRun[], origin: SuggestOptions['fit']['origin']): number[][] {
  const precisionFitted = PARTS.some((x) => origin[PART_CONSTANTS[x].gamma] === 'fitted');
  const groups = new Map<string, number[]>();
  candidates.forEach((c, i) => {
    const partner = precisionFitted || isHigh(c.bits)
      ? undefined
      : candidates
          .map((d, j) => ({ d, j }))
          .filter(({ d, j }) => j !== i && d.precision === c.precision)
          .sort((a, b) => Number(a.d.size !== c.size) - Number(b.d.size !== c.size) || a.d.cost.cpuHours - b.d.cost.cpuHours || a.j - b.j)[0]?.j;
    const group = partner === undefined ? [i] : [i, partner];
    const key = [...group].sort((a, b) => a - b).join(',');
    if (!groups.has(key)) groups.set(key, group);
  });
  return [...groups.values()];
}

/** CPU-hours of a group of candidates. */
const groupCost = (candidates: readonly CandidateRun[], g: readonly number[]): number => g.reduce((sum, c) => sum + candidates[c].cost.cpuHours, 0);

/**
 * The greedy choice: the best affordable group first, then the best beside those chosen, while
 * each narrows the spread by MIN_NARROWING and the runs stay within k and the budget.
 */
function choose(sim: Simulation, pool: readonly number[][], candidates: readonly CandidateRun[], o: Pick<SuggestOptions, 'budgetHours' | 'runs'>, now: number): Array<{ group: number[]; spread: number }> {
  const chosen: Array<{ group: number[]; spread: number }> = [];
  const taken = new Set<number>();
  const cost = (g: readonly number[]): number => groupCost(candidates, g);
  let spent = 0;
  let current = now;
  let ranking = [...pool];
  for (let round = 0; taken.size < o.runs; round++) {
    const tried = (round === 0 ? ranking : ranking.slice(0, RESIMULATED))
      .map((g) => g.filter((c) => !taken.has(c)))
      .filter((g) => g.length > 0 && taken.size + g.length <= o.runs && spent + cost(g) <= o.budgetHours);
    if (tried.length === 0) break;
    const set = [...taken];
    const scored = tried
      .map((group) => ({ group, spread: sim.spread([...set, ...group]).spread ?? Infinity }))
      .sort((a, b) => a.spread - b.spread || cost(a.group) - cost(b.group) || a.group[0] - b.group[0]);
    const best = scored[0];
    if (!(best.spread <= current * (1 - MIN_NARROWING))) break;
    chosen.push(best);
    for (const c of best.group) taken.add(c);
    spent += cost(best.group);
    current = best.spread;
    ranking = scored.slice(1).map((x) => x.group);
  }
  return chosen;
}

/** Log distance of a candidate from the target, for keeping the MAX_SIMULATED nearest. */
const distance = (c: CandidateRun, t: Scenario): number =>
  Math.abs(Math.log(c.params / t.params)) + Math.abs(Math.log(c.tokens / t.tokens)) + (PARTS.every((x) => c.bits[x] === t.precision[x]) ? 0 : 1);

export function suggestRuns(o: SuggestOptions): SuggestResult {
  const t = o.target;
  const from = designTruthFromFit(o.fit, o.fitLabel);
  const noise: NoiseModel = { train: from.noise?.train ?? DEFAULT_TRAIN_NOISE, ptq: from.noise?.ptq ?? DEFAULT_PTQ_NOISE };
  const groups = candidateGroups(o.candidates, o.fit.origin);
  const pool = groups
    .filter((g) => groupCost(o.candidates, g) <= o.budgetHours)
    .sort((a, b) => distance(o.candidates[a[0]], t) - distance(o.candidates[b[0]], t) || a[0] - b[0])
    .slice(0, MAX_SIMULATED);
  const cheapest = o.candidates.length > 0 ? Math.min(...o.candidates.map((c) => c.cost.cpuHours)) : null;
  const estimate = o.fit.ok ? predict(o.fit.constants, t) : undefined;
  const fitInterval: LossIntervals = estimate?.ok ? lossIntervals(o.fit, t) : { confidence: null, prediction: null };
  const base: Omit<SuggestResult, 'status' | 'success' | 'message'> = {
    schema: SUGGEST_SCHEMA,
    target: { label: t.label, params: t.params, tokens: t.tokens, precision: t.precision, ...(t.post !== undefined ? { post: t.post } : {}), loss: estimate?.ok ? estimate.loss : null },
    runs: [],
    intervalNow: fitInterval.prediction ?? fitInterval.confidence,
    intervalExpected: null,
    narrowing: null,
    basis: fitInterval.confidence ? 'bootstrap-scaled' : 'simulated',
    fitInterval,
    measure: { simulations: o.simulations, seed: o.seed, spreadNow: null, spreadExpected: null, ratio: null, refitsNow: 0, heldDrawn: [], description: MEASURE_TEXT },
    budget: { hours: o.budgetHours, spent: 0 },
    candidates: { total: o.candidates.length, affordable: o.candidates.filter((c) => c.cost.cpuHours <= o.budgetHours).length, simulated: pool.length, cheapestHours: cheapest },
    truth: { source: from.truthSource },
    noise: { ...noise, source: from.noiseSource ?? "defaults: the examples' run-to-run scale and degradation RMSE" },
    notes: [],
  };
  const stop = (status: SuggestStatus, message: string): SuggestResult => ({ ...base, status, success: false, message });
  if (!o.fit.ok) return stop('no-fit', `no fit to suggest from: ${o.fit.message}`);
  const truthAt = predict(from.truth, t);
  if (!estimate?.ok) return stop('no-target', `the fitted law gives no loss at the target: ${estimate?.message ?? ''}`);
  if (!truthAt.ok) return stop('no-target', `the simulation's law (the fit's, the paper's where it fitted nothing) gives no loss at the target: ${truthAt.message}`);
  if (o.candidates.length === 0) return stop('no-candidates', 'the built-in trainer has no run to offer near these runs and the target (all its sizes are below the runs, or every candidate is a run the fit has, repeats the training text or trains on fewer tokens per parameter than the runs)');
  if (pool.length === 0) {
    const least = Math.min(...groups.map((g) => groupCost(o.candidates, g)));
    return stop('over-budget', `no candidate fits in ${o.budgetHours} CPU-hours: the cheapest takes ${least.toPrecision(2)}${groups.some((g) => g.length > 1) ? ' (runs trained low counted in pairs)' : ''} (--budget)`);
  }
  if (trainerPrecision(t.precision) === undefined) base.notes.push(`the target's training precision (w${t.precision.w} a${t.precision.a} kv${t.precision.kv}) is no integer format the built-in trainer has: the candidates train at full precision only`);

  const existing = designRunsOfPoints(o.points);
  const names = heldNames(o.fit.origin);
  let done = 0;
  const total = 2 * names.length + o.simulations * (1 + pool.length + (o.runs - 1) * Math.min(RESIMULATED, pool.length));
  const refitter = new Refitter(o.fit, from.truth, t, () => o.onProgress?.(++done, total));
  // Held constants that matter: a factor-2 change the runs, refitted without noise, cannot absorb.
  const held = heldThatMatter(from.truth, names, (changed) => {
    const at = predict(changed, t);
    return at.ok ? refitter.error(expectedPoints(existing, changed).points, Math.log(at.loss)) : undefined;
  });
  base.measure.heldDrawn = held;
  if (held.length > 0) {
    base.basis = 'simulated';
    base.notes.push(`the fit holds ${held.join(', ')} at assumed values and its interval counts no uncertainty for them; the simulations do, ${HELD_SPREAD_TEXT}, so both intervals here are the simulation's`);
  }

  // The worlds: a seed each, as the designer's simulations are seeded; the real runs drawn in each.
  const worlds: World[] = [];
  for (let i = 0; i < o.simulations; i++) {
    const seed = (o.seed * 1_000_003 + i) >>> 0;
    const truth = drawHeld(from.truth, held, gaussian(seededRandom(seed ^ 0xa5a5a5a5)));
    const at = predict(truth, t);
    if (!at.ok) continue;
    worlds.push({ truth, targetLog: Math.log(at.loss), points: samplePoints(expectedPoints(existing, truth).points, noise, seed), seed });
  }
  if (worlds.length < o.simulations) base.notes.push(`${o.simulations - worlds.length} of ${o.simulations} simulations drew held constants that leave the target outside the law, and were left out`);
  const sim = new Simulation(worlds, o.candidates, noise, refitter);
  const now = sim.spread([]);
  base.measure.refitsNow = now.used;
  base.measure.spreadNow = now.spread;
  if (now.spread === null || !(now.spread > 0)) return stop('nothing-helps', `only ${now.used} of ${worlds.length} refits of the runs as they are were usable: no spread to shrink`);

  const z = normalQuantile(0.975);
  const scale = scaleFor(o.fit.residualScale, t);
  const center = estimate.loss;
  const widen = (band: Interval): Interval => (scale ? (predictionInterval(center, band, scale) ?? band) : band);
  const c = fitInterval.confidence;
  // The interval a spread stands for: the fit's band scaled by spread / now (each side), or the simulation's own band.
  const intervalFor = (spread: number): Interval => {
    if (base.basis === 'bootstrap-scaled' && c) {
      const r = spread / (now.spread as number);
      return widen([center * Math.exp(-r * Math.log(center / c[0])), center * Math.exp(r * Math.log(c[1] / center))]);
    }
    return widen([center * Math.exp(-z * spread), center * Math.exp(z * spread)]);
  };
  if (base.basis === 'simulated') base.intervalNow = intervalFor(now.spread);
  if (base.basis === 'bootstrap-scaled' && c) {
    // The band as a standard deviation of log-loss, to compare with the simulation's spread.
    const band = Math.log(c[1] / c[0]) / (2 * z);
    const factor = Math.max(band / now.spread, now.spread / band);
    if (factor > DISAGREEMENT) {
      base.notes.push(
        `the fit's bootstrap band (a spread of ${band.toPrecision(2)} in log-loss) and the simulation's (${now.spread.toPrecision(2)}) differ ${factor.toPrecision(2)}-fold: refits of runs drawn from the law do not behave like the fit's bootstrap here, so the expected interval, the band scaled by the simulation's ratio, is a rough guide`,
      );
    }
  }

  const chosen = choose(sim, pool, o.candidates, o, now.spread);
  o.onProgress?.(total, total);
  if (chosen.length === 0) {
    return stop('nothing-helps', `none of the ${pool.length} affordable candidates narrows the target's interval by ${Math.round(100 * MIN_NARROWING)}% or more in ${worlds.length} simulations`);
  }
  const runs: SuggestedRun[] = chosen.flatMap(({ group, spread }) =>
    group.map((c) => {
      const { run: _run, ...setting } = o.candidates[c];
      return { ...setting, intervalExpected: intervalFor(spread) };
    }),
  );
  const last = chosen[chosen.length - 1].spread;
  const intervalExpected = runs[runs.length - 1].intervalExpected;
  const [wNow, wExp] = [widthOf(base.intervalNow), widthOf(intervalExpected)];
  const narrowing = wNow !== null && wExp !== null && wNow > 0 ? { fraction: 1 - wExp / wNow, nats: wNow - wExp } : null;
  const spent = runs.reduce((s, r) => s + r.cost.cpuHours, 0);
  const message = `${runs.length} run${runs.length === 1 ? '' : 's'} (${spent.toPrecision(2)} of ${o.budgetHours} CPU-hours) expected to narrow the target's 95% prediction interval${narrowing ? ` by ${Math.round(100 * narrowing.fraction)}%` : ''} (${worlds.length} simulations, ${pool.length} candidates)`;
  return {
    ...base,
    status: 'suggested',
    success: true,
    message,
    runs,
    intervalExpected,
    narrowing,
    measure: { ...base.measure, spreadExpected: last, ratio: last / now.spread },
    budget: { hours: o.budgetHours, spent },
  };
}
