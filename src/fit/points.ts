// Data points for the fitter: one per run at the end of training, plus one per post-training
// quantization evaluation of that run (LAW.md §7).

import type { Precision } from '../law/law';
import { type PtqEval, type Run, incompleteText, isComplete } from '../runs/run';
import type { DiagnosticCode } from '../runs/diagnostics';
import { type ValueFault, bitsFault, lossFault, runValueFault } from '../runs/validate';

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
  /** Why, as a diagnostic code: 'missing-field', 'unfinished', 'bad-value' (NaN, <= 0) or 'implausible'. */
  code?: DiagnosticCode;
  /** Which field left the run out (bad-value, implausible), and its value when finite (NaN and Infinity are in `reason`, JSON has no word for them). */
  field?: ValueFault['field'];
  value?: number;
}

/** A post-training quantization evaluation of a run that is fitted, left out for its value. */
export interface SkippedEvaluation {
  runId: string;
  bits: number;
  reason: string;
  code: DiagnosticCode;
  /** The loss or bits at fault, when finite. */
  value?: number;
}

export function bitsOf(run: { precision: { w: { bits: number }; a: { bits: number }; kv: { bits: number } } }): Precision {
  return { w: run.precision.w.bits, a: run.precision.a.bits, kv: run.precision.kv.bits };
}

const finiteValue = (value: number): { value?: number } => (Number.isFinite(value) ? { value } : {});

/**
 * The fit's points from runs. A run the fit cannot use is left out with why: incomplete,
 * unfinished, or a value that cannot be what it claims (validate.ts runValueFault: N, D, bits
 * and loss within the bounds every reader uses, so 5e-324 never reaches the solver). A PTQ
 * evaluation with such a loss or bit width is left out on its own, and listed.
 */
export function pointsFromRuns(runs: readonly Run[]): { points: FitPoint[]; skipped: SkippedRun[]; skippedEvaluations: SkippedEvaluation[] } {
  const points: FitPoint[] = [];
  const skipped: SkippedRun[] = [];
  const skippedEvaluations: SkippedEvaluation[] = [];
  for (const run of runs) {
    if (!isComplete(run)) {
      skipped.push({ runId: run.id, reason: incompleteText(run) || 'missing fields', code: 'missing-field' });
      continue;
    }
    if (run.unfinished) {
      // A crashed or running run's last validation loss is not an end-of-training loss.
      skipped.push({ runId: run.id, reason: 'unfinished: its files say it did not complete', code: 'unfinished' });
      continue;
    }
    const precision = bitsOf(run);
    const fault = runValueFault({ params: run.params, tokens: run.tokens, finalLoss: run.finalLoss, precision });
    if (fault) {
      skipped.push({ runId: run.id, reason: fault.reason, code: fault.code, field: fault.field, ...finiteValue(fault.value) });
      continue;
    }
    const base = { runId: run.id, params: run.params, tokens: run.tokens, precision, file: run.file };
    points.push({ ...base, kind: 'train', loss: run.finalLoss, line: run.sources.finalLoss?.line });
    for (const q of lawPtqEntries(run.ptq)) {
      const bad = bitsFault(q.bits, 'PTQ precision') ?? lossFault(q.loss, `loss after PTQ to ${q.bits} bits`);
      if (bad) {
        skippedEvaluations.push({ runId: run.id, bits: q.bits, reason: bad.reason, code: bad.code, ...finiteValue(bad.value) });
        continue;
      }
      // Quantizing to the training precision or above changes nothing the law can learn from,
      // and Eq. 9 needs every part's training precision above P_post.
      if (q.bits >= precision.w || q.bits >= precision.a || q.bits >= precision.kv) continue;
      points.push({ ...base, kind: 'ptq', post: q.bits, loss: q.loss, trainLoss: run.finalLoss, line: q.source?.line });
    }
  }
  return { points, skipped, skippedEvaluations };
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

/**
 * Why a point given to the fit directly (not through pointsFromRuns) cannot be used, by the same
 * bounds, or undefined. The fit checks its points again so that no caller can hand the solver a
 * 5e-324 or an Infinity.
 */
export function pointFault(p: FitPoint): string | undefined {
  const fault = runValueFault({ params: p.params, tokens: p.tokens, finalLoss: p.kind === 'ptq' ? (p.trainLoss ?? p.loss) : p.loss, precision: p.precision });
  if (fault) return fault.reason;
  if (p.kind !== 'ptq') return undefined;
  return (bitsFault(p.post ?? NaN, 'PTQ precision') ?? lossFault(p.loss, `loss after PTQ to ${p.post} bits`))?.reason;
}
