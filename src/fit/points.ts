// Data points for the fitter: one per run at the end of training, plus one per post-training
// quantization evaluation of that run (LAW.md §7).

import type { Precision } from '../law/law';
import { type PtqEval, type Run, incompleteText, isComplete } from '../runs/run';

export interface FitPoint {
  runId: string;
  /** 'train': end-of-training loss; 'ptq': loss after quantizing the final weights to `post` bits. */
  kind: 'train' | 'ptq';
  params: number;
  tokens: number;
  precision: Precision;
  post?: number;
  /** Observed loss of this point. */
  loss: number;
  /** Observed end-of-training loss of the same run (PTQ points). */
  trainLoss?: number;
  file?: string;
  line?: number;
}

export interface SkippedRun {
  runId: string;
  reason: string;
}

export function bitsOf(run: { precision: { w: { bits: number }; a: { bits: number }; kv: { bits: number } } }): Precision {
  return { w: run.precision.w.bits, a: run.precision.a.bits, kv: run.precision.kv.bits };
}

const goodLoss = (x: number): boolean => Number.isFinite(x) && x > 0;

export function pointsFromRuns(runs: readonly Run[]): { points: FitPoint[]; skipped: SkippedRun[] } {
  const points: FitPoint[] = [];
  const skipped: SkippedRun[] = [];
  for (const run of runs) {
    if (!isComplete(run)) {
      skipped.push({ runId: run.id, reason: incompleteText(run) || 'missing fields' });
      continue;
    }
    if (run.unfinished) {
      // A crashed or running run's last validation loss is not an end-of-training loss.
      skipped.push({ runId: run.id, reason: 'unfinished: its files say it did not complete' });
      continue;
    }
    if (!goodLoss(run.finalLoss) || !(run.params > 0) || !(run.tokens > 0)) {
      skipped.push({ runId: run.id, reason: 'non-positive or non-finite N, D or loss' });
      continue;
    }
    const precision = bitsOf(run);
    const base = { runId: run.id, params: run.params, tokens: run.tokens, precision, file: run.file };
    points.push({ ...base, kind: 'train', loss: run.finalLoss, line: run.sources.finalLoss?.line });
    for (const q of lawPtqEntries(run.ptq)) {
      // Quantizing to the training precision or above changes nothing the law can learn from,
      // and Eq. 9 needs every part's training precision above P_post.
      if (!goodLoss(q.loss) || q.bits >= precision.w || q.bits >= precision.a || q.bits >= precision.kv) continue;
      points.push({ ...base, kind: 'ptq', post: q.bits, loss: q.loss, trainLoss: run.finalLoss, line: q.source?.line });
    }
  }
  return { points, skipped };
}

/**
 * The post-training quantizations the law describes: integer, one scale per output channel, one
 * entry per bit-width (round-to-nearest preferred when a run also records other methods). Group
 * scales and other formats are finer-grained quantizers with their own, smaller degradation:
 * mixing them in would give one (N, D, bits) several losses.
 */
export function lawPtqEntries(ptq: readonly PtqEval[]): PtqEval[] {
  const byBits = new Map<number, PtqEval>();
  for (const q of ptq) {
    if (q.type !== 'int' || (q.groupSize !== undefined && q.groupSize !== null)) continue;
    const chosen = byBits.get(q.bits);
    if (!chosen || (chosen.method !== 'rtn' && q.method === 'rtn')) byBits.set(q.bits, q);
  }
  return [...byBits.values()];
}

/**
 * A short fingerprint of the data a fit uses: the runs that give it points (complete and
 * finished; a running run's curve changes with every flush and must not trigger refits) and
 * their values.
 */
export function runsSignature(runs: readonly Run[]): string {
  const used = new Set(pointsFromRuns(runs).points.map((p) => p.runId));
  return runs
    .filter((r) => used.has(r.id))
    .map((r) => `${r.id}|${r.params}|${r.tokens}|${r.finalLoss}|${r.precision?.w.bits},${r.precision?.a.bits},${r.precision?.kv.bits}|${r.ptq.map((q) => `${q.bits}:${q.loss}`).join(',')}`)
    .sort()
    .join('\n');
}
