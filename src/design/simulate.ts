// Law-sampled runs on a sweep grid: what a sweep would give if the law (with the given constants)
// were the truth and each run's loss were off by run-to-run noise. Pure and seeded: the same grid,
// constants, noise and seed give the same points.

import type { Constants } from '../law/constants';
import { type Precision, predict } from '../law/law';
import type { FitPoint } from '../fit/points';
import { MAX_PLAUSIBLE_LOSS } from '../runs/validate';
import { seededRandom } from '../fit/random';
import { type TrainJob, resolveJob } from '../train/config';
import { partPrecision, parseQuantSpec } from '../train/formats';
import { countNonEmbeddingParams } from '../train/modelConfig';

/** One run of the grid as the law sees it: N, D, training precision, the PTQ bit-widths the law uses. */
export interface DesignRun {
  name: string;
  params: number;
  tokens: number;
  precision: Precision;
  /** Per-channel integer PTQ bit-widths below every part's training precision (what the fit takes from a run). */
  post: number[];
}

/**
 * The law's view of a job. PTQ bits: round-to-nearest per channel (when the job's groups include
 * "channel") and GPTQ per channel, as lawPtqEntries picks them from a run; only those below every
 * part's training precision, as pointsFromRuns keeps them.
 */
export function designRun(job: TrainJob): DesignRun {
  const cfg = resolveJob(job);
  const spec = parseQuantSpec(job.precision ?? 'fp32');
  const precision = { w: partPrecision(spec.w).bits, a: partPrecision(spec.a).bits, kv: partPrecision(spec.kv).bits };
  const rtn = cfg.ptq.groups.includes(null) ? cfg.ptq.bits : [];
  const low = Math.min(precision.w, precision.a, precision.kv);
  const post = [...new Set([...rtn, ...cfg.ptq.gptqBits])].filter((b) => b < low).sort((a, b) => a - b);
  return { name: job.name, params: countNonEmbeddingParams(cfg.model), tokens: job.tokens, precision, post };
}

/** Runs a fit has seen, as the law sees them: N, D and precision from each run's end-of-training point, the PTQ bit-widths from its PTQ points. */
export function designRunsOfPoints(points: readonly FitPoint[]): DesignRun[] {
  const runs = new Map<string, DesignRun>();
  for (const p of points) if (p.kind === 'train') runs.set(p.runId, { name: p.runId, params: p.params, tokens: p.tokens, precision: p.precision, post: [] });
  for (const p of points) if (p.kind === 'ptq' && p.post !== undefined) runs.get(p.runId)?.post.push(p.post);
  return [...runs.values()];
}

export interface NoiseModel {
  /** Standard deviation of a run's end-of-training loss about the law, nats. */
  train: number;
  /** Standard deviation of a PTQ evaluation's degradation about the law, nats (on top of its run's own noise, which it shares). */
  ptq: number;
}

/** A run the law gives no loss for under the truth (an unstable precision, say), left out of every simulation. */
export interface UnsimulatedRun {
  name: string;
  reason: string;
}

/**
 * The largest reducible loss (A N^-alpha + B D^-beta) the simulation gives the grid's smallest
 * model at its smallest budget: about what the examples' smallest runs show over their best
 * (3.1 against 2.0 nats per byte). The paper's A and B, fitted at 30M-220M parameters, give tens
 * of nats at 25K, beyond any plausible validation loss (the fit refuses 20 and above).
 */
export const REDUCIBLE_CAP = 1;
/**
 * Reducible loss above which the truth is scaled down to REDUCIBLE_CAP: half of the least loss
 * the fit refuses as implausible (20 nats, validate.ts), leaving room for low-precision runs'
 * smaller N_eff. A fit of runs like these (--fit) is kept as it is.
 */
export const REDUCIBLE_LIMIT = MAX_PLAUSIBLE_LOSS / 2;

/**
 * The truth used for a grid: `truth` itself, or with A and B scaled by one factor (the exponents,
 * E and every precision and PTQ constant kept) to REDUCIBLE_CAP where it would give the grid's
 * smallest run a reducible loss above REDUCIBLE_LIMIT. Scaling both terms alike keeps the split between N and D.
 */
export function truthForGrid(truth: Constants, runs: readonly DesignRun[]): { constants: Constants; scale: number } {
  if (runs.length === 0) return { constants: truth, scale: 1 };
  const n = Math.min(...runs.map((r) => r.params));
  const d = Math.min(...runs.map((r) => r.tokens));
  const reducible = truth.A * n ** -truth.alpha + truth.B * d ** -truth.beta;
  if (!(reducible > REDUCIBLE_LIMIT)) return { constants: truth, scale: 1 };
  const scale = REDUCIBLE_CAP / reducible;
  return { constants: { ...truth, A: truth.A * scale, B: truth.B * scale }, scale };
}

/** The law's expected points of the runs (no noise), and the runs it has no value for. */
export function expectedPoints(runs: readonly DesignRun[], truth: Constants): { points: FitPoint[]; unsimulated: UnsimulatedRun[] } {
  const points: FitPoint[] = [];
  const unsimulated: UnsimulatedRun[] = [];
  for (const run of runs) {
    const base = predict(truth, { params: run.params, tokens: run.tokens, precision: run.precision });
    if (!base.ok) {
      unsimulated.push({ name: run.name, reason: base.message });
      continue;
    }
    points.push({ runId: run.name, kind: 'train', params: run.params, tokens: run.tokens, precision: run.precision, loss: base.loss });
    for (const post of run.post) {
      const q = predict(truth, { params: run.params, tokens: run.tokens, precision: run.precision, post });
      if (!q.ok) continue;
      points.push({ runId: run.name, kind: 'ptq', params: run.params, tokens: run.tokens, precision: run.precision, post, loss: q.loss, trainLoss: base.loss });
    }
  }
  return { points, unsimulated };
}

/** Standard normal draws (Box-Muller) from a uniform source. */
export function gaussian(random: () => number): () => number {
  return () => {
    const u = Math.max(random(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

/**
 * One simulated sweep: each run's loss off by its own draw of the training noise, and its PTQ
 * points off by the same draw (a PTQ evaluation quantizes that run's weights) plus their own
 * smaller one. Losses are kept above a floor so no draw makes a loss the fit would refuse.
 */
export function samplePoints(expected: readonly FitPoint[], noise: NoiseModel, seed: number): FitPoint[] {
  const z = gaussian(seededRandom(seed));
  const shift = new Map<string, number>();
  const out: FitPoint[] = [];
  for (const p of expected) {
    if (p.kind === 'train') shift.set(p.runId, noise.train * z());
  }
  for (const p of expected) {
    const s = shift.get(p.runId) ?? 0;
    if (p.kind === 'train') out.push({ ...p, loss: Math.max(p.loss + s, 1e-2) });
    else {
      const trainLoss = Math.max((p.trainLoss ?? p.loss) + s, 1e-2);
      const degradation = Math.max(p.loss - (p.trainLoss ?? p.loss) + noise.ptq * z(), 0);
      out.push({ ...p, trainLoss, loss: trainLoss + degradation });
    }
  }
  return out;
}
