// The runs a suggestion chooses among: what the built-in trainer can train, as a sweep grid names
// it (a size LxW, a token budget, a precision spec), near the runs the fit has seen and toward the
// target, each priced in CPU-hours by the cost model (train/estimate.ts: the throughput measured in
// complete runs where there are some, its built-in figures otherwise). Pure: the caller reads the
// calibrations.

import { formatCount } from '../runs/quantity';
import { HIGH_PRECISION_BITS, PARTS } from '../law/constants';
import type { Precision, Scenario } from '../law/law';
import type { FitPoint } from '../fit/points';
import { type DesignRun, designRun } from '../design/simulate';
import { estimateOf } from '../design/design';
import type { Calibration } from '../train/estimate';
import { expandGrid } from '../train/grid';
import { MAX_INT_BITS, MIN_INT_BITS, parseQuantSpec, quantSpecName } from '../train/formats';

/**
 * Model sizes of the built-in trainer, depth x width with heads of 32, about 3x apart in N (25K to
 * 50M): the examples' 2x32, 2x64 and 3x96, then widths growing with depth as the examples' do.
 */
export const SIZE_LADDER: readonly string[] = ['2x32', '2x64', '3x96', '4x128', '6x192', '8x256', '12x384', '16x512'];

/** At most this many sizes and token budgets, those nearest the target (in log N, log D). */
export const MAX_SIZES = 5;
export const MAX_BUDGETS = 5;

export interface RunCost {
  /** CPU time of the run on one core, hours. */
  cpuHours: number;
  /** 'measured': the throughput of complete runs; 'built-in': the trainer's built-in figures. */
  source: 'measured' | 'built-in';
  /** Where the throughput came from, in words. */
  text: string;
}

/** A run the built-in trainer could train next. */
export interface CandidateRun {
  /** The run's name in a sweep (the folder it writes). */
  name: string;
  /** LxW, as `sweep --sizes` takes it. */
  size: string;
  params: number;
  tokens: number;
  /** The trainer's precision spec ("fp32", "w4a32kv32"), as `sweep --precisions` takes it. */
  precision: string;
  bits: Precision;
  cost: RunCost;
  /** What the law sees of it: N, D, precision and the PTQ bit-widths its evaluations give. */
  run: DesignRun;
}

/**
 * The trainer's spec for a training precision: integer formats per part, high precision (16 bits
 * and above) trained unquantized (fp32, the same to the law); undefined where a part's bits are no
 * integer format the trainer has.
 */
export function trainerPrecision(p: Precision): string | undefined {
  const part = (bits: number): string | undefined => (bits >= HIGH_PRECISION_BITS ? '32' : Number.isInteger(bits) && bits >= MIN_INT_BITS && bits <= MAX_INT_BITS ? String(bits) : undefined);
  const parts = PARTS.map((x) => part(p[x]));
  if (parts.some((x) => x === undefined)) return undefined;
  return quantSpecName(parseQuantSpec(`w${parts[0]}a${parts[1]}kv${parts[2]}`));
}

/** A number to 2 significant digits: budgets a person would write (220M, not 223946222). */
const round2 = (x: number): number => Number(x.toPrecision(2));

/** The `count` values nearest `target` in log distance, in increasing order. */
function nearest(values: readonly number[], target: number, count: number): number[] {
  return [...values].sort((a, b) => Math.abs(Math.log(a / target)) - Math.abs(Math.log(b / target)) || a - b).slice(0, count).sort((a, b) => a - b);
}

export interface CandidateOptions {
  /** Where the sweep would write its runs (the jobs' outDir). */
  outDir: string;
  /** Throughput of complete runs (empty: the built-in figures) and where it was looked for. */
  calibrations: readonly Calibration[];
  calibrationSource: string;
  /**
   * Tokens in one pass of the training text, where known (the trainer's runs record it): longer
   * budgets would repeat data, which the law does not model, and are no candidates.
   */
  tokensPerPass?: number;
}

/**
 * The fewest tokens per parameter (D/N) of the fit's training runs: a candidate trained on fewer
 * is outside what the runs show of the law. Measured on the example workspace: a suggested 6x192
 * run at 600K tokens (D/N 0.23, 293 steps; the runs' fewest was 1.8) moved the fit and widened
 * the interval at the target it was to narrow, from 0.43 to 0.51 nats.
 */
export function fewestTokensPerParam(points: readonly FitPoint[]): number {
  return points.filter((p) => p.kind === 'train').reduce((m, p) => Math.min(m, p.tokens / p.params), Infinity);
}

/** The note a suggestion carries for the candidates left out below the runs' fewest D/N. */
export const tokensPerParamNote = (floor: number): string =>
  `candidates with fewer tokens per parameter than the runs' fewest (D/N ${floor.toPrecision(2)}) are left out: the runs say nothing of the law there`;

/** The note a suggestion carries when budgets were left out for repeating the training text. */
export const repeatedDataNote = (tokensPerPass: number): string =>
  `token budgets above one pass of the training text (${formatCount(tokensPerPass)} tokens, as the runs' run.json say) are left out: the law assumes data seen once`;

/** The trainer's unquantized training: high precision to the law. */
const FULL = 'fp32';

const sameValue = (a: number, b: number): boolean => Math.abs(a / b - 1) < 5e-3;
const sameBits = (a: Precision, b: Precision): boolean => PARTS.every((x) => Math.min(a[x], HIGH_PRECISION_BITS) === Math.min(b[x], HIGH_PRECISION_BITS));

/**
 * The candidates: sizes of the ladder from the one nearest below the smallest run up to the first
 * at or above the target's N (one beyond the largest run when the target is inside), token budgets
 * of the runs, 2x and 4x their largest and the target's own, each at full precision and at the
 * target's training precision; at most MAX_SIZES sizes and MAX_BUDGETS budgets, those nearest the
 * target; none beyond one pass of the training text when it is known, none on fewer tokens per
 * parameter than the runs' fewest. A run the fit already has (same N, D and precision) is no candidate.
 */
export function candidateRuns(points: readonly FitPoint[], target: Scenario, o: CandidateOptions): CandidateRun[] {
  const train = points.filter((p) => p.kind === 'train');
  if (train.length === 0) return [];
  const jobOf = (size: string, d: number, spec: string) => expandGrid({ outDir: o.outDir, sizes: [size], tokens: [d], precisions: [spec] })[0];
  const ladder = SIZE_LADDER.map((size) => ({ size, params: designRun(jobOf(size, 1, FULL)).params }));
  // reduce, not Math.min(...): a workspace of 10^5 runs would overflow the call stack.
  const smallest = train.reduce((m, p) => Math.min(m, p.params), Infinity);
  const largest = train.reduce((m, p) => Math.max(m, p.params), 0);
  const reach = target.params > largest ? target.params : 2 * largest;
  const from = ladder.reduce((k, s, i) => (s.params <= smallest ? i : k), 0);
  const upTo = ladder.findIndex((s) => s.params >= reach);
  const sizes = ladder.slice(from, upTo < 0 ? ladder.length : upTo + 1);
  const chosenParams = nearest(sizes.map((s) => s.params), target.params, MAX_SIZES);
  const budgets = [...new Set(train.map((p) => p.tokens))];
  const most = budgets.reduce((m, d) => Math.max(m, d), 0);
  const once = (d: number): boolean => o.tokensPerPass === undefined || d <= o.tokensPerPass;
  const tokens = nearest([...new Set([...budgets, 2 * most, 4 * most, target.tokens].map(round2))].filter(once), target.tokens, MAX_BUDGETS);
  const specs = [...new Set([FULL, trainerPrecision(target.precision) ?? FULL])];
  const floor = fewestTokensPerParam(points);
  const out: CandidateRun[] = [];
  for (const { size, params } of sizes.filter((s) => chosenParams.includes(s.params))) {
    for (const d of tokens.filter((t) => t / params >= floor * (1 - 1e-3))) {
      for (const spec of specs) {
        const job = jobOf(size, d, spec);
        const run = designRun(job);
        if (train.some((p) => sameValue(p.params, params) && sameValue(p.tokens, d) && sameBits(p.precision, run.precision))) continue;
        const estimate = estimateOf([job], { calibrations: o.calibrations, calibrationSource: o.calibrationSource, parallel: 1, cores: 1 });
        out.push({
          name: job.name,
          size,
          params,
          tokens: d,
          precision: spec,
          bits: run.precision,
          cost: { cpuHours: estimate.cpuSeconds / 3600, source: estimate.measuredRuns > 0 ? 'measured' : 'built-in', text: estimate.source },
          run,
        });
      }
    }
  }
  return out;
}
