// Samples of the post-quantization predictor from a workspace's runs, and the frontier of the
// checkpoints they hold. Kept apart from the predictor (workspace.ts) so the extension host can
// list and plot checkpoints without loading the random forest.

import { type Run, isComplete } from '../runs/run';
import { lossFault, runValueFault } from '../runs/validate';
import type { PtqSample } from './features';
import { type ParetoPoint, paretoFrontier } from './pareto';

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
    // The fit's bounds (validate.ts): a run whose N, D, bits or loss no run can have trains no forest either.
    const fault = runValueFault({ params: run.params, tokens: run.tokens, finalLoss: run.finalLoss, precision: { w: run.precision.w.bits, a: run.precision.a.bits, kv: run.precision.kv.bits } });
    if (fault) {
      skipped.push({ runId: run.id, reason: fault.reason });
      continue;
    }
    for (const q of run.ptq) {
      const bad = lossFault(q.loss, `loss after ${formatLabel(q)} ${q.method}`);
      if (bad) {
        skipped.push({ runId: run.id, reason: bad.reason });
        continue;
      }
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
  const candidates = checkpoints(samples);
  return { candidates, frontier: paretoFrontier(candidates) };
}

/** Every run's weights in every format it was quantized to, with the loss measured after. */
export function checkpoints(samples: readonly PtqSample[]): Checkpoint[] {
  return samples.map((s) => ({
    label: `${s.runId} as ${s.format}${s.method === 'rtn' ? '' : ` (${s.method})`}`,
    runId: s.runId,
    params: s.params,
    tokens: s.tokens,
    format: s.format,
    method: s.method,
    bitsPerWeight: s.bitsPerWeight,
    loss: s.loss,
  }));
}
