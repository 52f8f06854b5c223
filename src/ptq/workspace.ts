// The post-quantization predictor on a workspace's runs (samples.ts reads them): the
// predictor's leave-one-size-out error beside the Kumar law's (Eq. 9 degradation added to the
// observed pre-PTQ loss, so both are judged on the same thing: the loss PTQ adds), and
// predictions for model sizes not trained. Pure: the CLI, the fit worker and
// the tests call it the same way.

import type { Constants } from '../law/constants';
import { predict } from '../law/law';
import { type CompleteRun, type Run, isComplete } from '../runs/run';
import type { PtqSample } from './features';
import { type Checkpoint, type SkippedEvaluation, ptqSamples } from './samples';
import { type LeaveOneSizeOutResult, type PredictorOptions, leaveOneSizeOut, trainPredictor } from './predictor';

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
export function evaluatePtqPredictor(runs: readonly Run[], constants: Constants, options: Partial<PredictorOptions> = {}, onProgress?: (done: number, total: number) => void): PtqReport {
  const { samples, skipped } = ptqSamples(runs);
  return { samples: samples.length, skipped, evaluation: leaveOneSizeOut(samples, options, lawBaseline(constants, runs), onProgress) };
}

/** A model that was not trained: its predicted loss in each format the workspace measured. */
export interface PlannedCheckpoint extends Omit<Checkpoint, 'runId'> {
  /** The law's pre-PTQ loss; `loss` adds the forest's degradation to it. */
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
