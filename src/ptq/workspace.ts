// The post-quantization predictor on a workspace's runs: samples from the runs' PTQ records,
// the predictor's leave-one-size-out error beside the Kumar law's (Eq. 9 degradation added to the
// observed pre-PTQ loss, so both are judged on the same thing: the loss PTQ adds), and the
// memory-vs-loss frontier of the checkpoints the workspace has. Pure: the CLI, the fit worker and
// the tests call it the same way.

import type { Constants } from '../law/constants';
import { predict } from '../law/law';
import { type CompleteRun, type Run, isComplete } from '../runs/run';
import type { PtqSample } from './features';
import { type ParetoPoint, paretoFrontier } from './pareto';
import { type LeaveOneSizeOutResult, type PredictorOptions, leaveOneSizeOut, trainPredictor } from './predictor';

/** "int4-channel", "int4-g32", "mxfp4": one name per format, as the trainer and the tables say. */
export function formatLabel(q: { format: string; bits: number; groupSize?: number | null }): string {
  if (q.format === 'int' || /^u?int\d*$/.test(q.format)) return `int${q.bits}-${q.groupSize ? `g${q.groupSize}` : 'channel'}`;
  return q.format;
}

export interface SkippedEvaluation {
  runId: string;
  reason: string;
}

/**
 * One sample per PTQ evaluation that carries the predictor's features (SQNR and storage), from
 * runs that finished with N, D and a loss. Evaluations without them are counted, not guessed.
 */
export function ptqSamples(runs: readonly Run[]): { samples: PtqSample[]; skipped: SkippedEvaluation[] } {
  const samples: PtqSample[] = [];
  const skipped: SkippedEvaluation[] = [];
  for (const run of runs) {
    if (run.ptq.length === 0) continue;
    if (!isComplete(run) || run.unfinished) {
      skipped.push({ runId: run.id, reason: 'the run is incomplete or unfinished' });
      continue;
    }
    for (const q of run.ptq) {
      if (q.sqnrDb === undefined || q.bitsPerWeight === undefined) {
        skipped.push({ runId: run.id, reason: `${formatLabel(q)} ${q.method}: no SQNR or bits per weight recorded` });
        continue;
      }
      samples.push({
        runId: run.id,
        params: run.params,
        tokens: run.tokens,
        trainLoss: run.finalLoss,
        format: formatLabel(q),
        method: q.method,
        bits: q.bits,
        blockSize: q.groupSize ?? 0,
        bitsPerWeight: q.bitsPerWeight,
        sqnrDb: q.sqnrDb,
        ...(run.landscape ? { probe: run.landscape } : {}),
        loss: q.loss,
      });
    }
  }
  return { samples, skipped };
}

/**
 * The law's post-PTQ loss for a sample: its observed pre-PTQ loss plus Eq. 9's degradation at
 * the sample's bits. NaN where the law does not speak: formats other than integer with one scale
 * per output channel (the law has no term for groups, blocks or float elements), and
 * quantizing to as many bits as training used or more.
 */
export function lawBaseline(constants: Constants, runs: readonly Run[]): (s: PtqSample) => number {
  const byId = new Map(runs.filter(isComplete).map((r): [string, CompleteRun] => [r.id, r]));
  return (s) => {
    const run = byId.get(s.runId);
    if (!run || !/^int\d+-channel$/.test(s.format)) return Number.NaN;
    const p = predict(constants, { params: s.params, tokens: s.tokens, precision: { w: run.precision.w.bits, a: run.precision.a.bits, kv: run.precision.kv.bits }, post: s.bits });
    return p.ok ? s.trainLoss + p.deltaPTQ : Number.NaN;
  };
}

export interface PtqReport {
  samples: number;
  skipped: SkippedEvaluation[];
  evaluation: LeaveOneSizeOutResult;
}

/** The predictor held out one model size at a time, beside the law on the same evaluations. */
export function evaluatePtqPredictor(runs: readonly Run[], constants: Constants, options: Partial<PredictorOptions> = {}): PtqReport {
  const { samples, skipped } = ptqSamples(runs);
  return { samples: samples.length, skipped, evaluation: leaveOneSizeOut(samples, options, lawBaseline(constants, runs)) };
}

export interface Checkpoint {
  label: string;
  runId: string;
  params: number;
  tokens: number;
  format: string;
  method: string;
  bitsPerWeight: number;
  /** Observed validation loss after PTQ. */
  loss: number;
}

/**
 * The checkpoints a workspace could ship — every run's weights in every format it was
 * quantized to — and the frontier of memory (N × bits per weight) against observed loss.
 */
export function checkpointFrontier(samples: readonly PtqSample[]): { candidates: Checkpoint[]; frontier: ParetoPoint<Checkpoint>[] } {
  const candidates = samples.map((s) => ({
    label: `${s.runId} as ${s.format}${s.method === 'rtn' ? '' : ` (${s.method})`}`,
    runId: s.runId,
    params: s.params,
    tokens: s.tokens,
    format: s.format,
    method: s.method,
    bitsPerWeight: s.bitsPerWeight,
    loss: s.loss,
  }));
  return { candidates, frontier: paretoFrontier(candidates) };
}

/** A model that was not trained: its predicted loss in each format the workspace measured. */
export interface PlannedCheckpoint {
  label: string;
  params: number;
  tokens: number;
  format: string;
  method: string;
  bitsPerWeight: number;
  /** Predicted: the law's pre-PTQ loss plus the forest's degradation. */
  loss: number;
  trainLoss: number;
}

/**
 * Planned sizes on the frontier: for each (N, D), the law's pre-PTQ loss at high precision,
 * then for each format (method, bits, block) seen in the workspace the forest's degradation, with
 * the format's SQNR and storage averaged over the workspace's measurements of it. A planned
 * model has no loss-landscape probe, so this forest is trained without the flatness feature.
 */
export function plannedCheckpoints(samples: readonly PtqSample[], constants: Constants, planned: readonly { params: number; tokens: number }[], options: Partial<PredictorOptions> = {}): PlannedCheckpoint[] {
  if (planned.length === 0 || samples.length === 0) return [];
  const predictor = trainPredictor(samples, { ...options, flatness: 'omit' });
  const formats = new Map<string, PtqSample[]>();
  for (const s of samples) {
    const key = `${s.format}|${s.method}`;
    formats.set(key, [...(formats.get(key) ?? []), s]);
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const out: PlannedCheckpoint[] = [];
  for (const { params, tokens } of planned) {
    const law = predict(constants, { params, tokens, precision: { w: 16, a: 16, kv: 16 } });
    if (!law.ok) continue;
    for (const group of formats.values()) {
      const [first] = group;
      const input = { params, trainLoss: law.trainLoss, format: first.format, method: first.method, bits: first.bits, blockSize: first.blockSize, bitsPerWeight: mean(group.map((s) => s.bitsPerWeight)), sqnrDb: mean(group.map((s) => s.sqnrDb)) };
      if (predictor.problem(input)) continue;
      out.push({ label: `planned N ${params.toPrecision(3)}, D ${tokens.toPrecision(3)} as ${first.format}${first.method === 'rtn' ? '' : ` (${first.method})`}`, params, tokens, format: first.format, method: first.method, bitsPerWeight: input.bitsPerWeight, loss: predictor.predict(input), trainLoss: law.trainLoss });
    }
  }
  return out;
}
