// One training is one run, whichever files describe it. A training logged through two loggers
// (HF's trainer_state.json and its W&B or TensorBoard callback, Lightning's CSV and TensorBoard
// loggers) is read by two readers; fitted twice it would count double. Two runs are the same
// training when their files sit in one run folder tree and they end on the same validation
// loss (the same float, printed by two writers) at the same step. The one with the most fields
// is kept; fields only the other has are taken from it, with their sources.

import * as path from 'node:path';
import { TOOL_DEFAULT_PRECISION } from './defaults';
import type { Diagnostic } from './diagnostics';
import { memoizedPair } from './memo';
import { type Run, REQUIRED_FIELDS, withMissing } from './run';

/** Two writers print one float32 loss with different digits (3.2871 vs 3.287104845046997). */
const SAME_LOSS = 1e-5;
/** How far apart in the folder tree two files of one training may be (output_dir/runs/<date>/events…). */
const MAX_LEVELS_APART = 3;

export interface JoinResult {
  runs: Run[];
  diagnostics: Diagnostic[];
}

const lastStep = (run: Run): number | undefined => (run.curve && run.curve.length > 0 ? run.curve[run.curve.length - 1].step : undefined);

/** Is one folder inside the other, at most a few levels down? */
function nearInTree(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  const rel = path.relative(short, long);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return false;
  return rel === '' || rel.split(path.sep).length <= MAX_LEVELS_APART;
}

function sameTraining(a: Run, b: Run): boolean {
  if (a.format === b.format || a.file === b.file) return false;
  if (a.finalLoss === undefined || b.finalLoss === undefined) return false;
  if (Math.abs(a.finalLoss - b.finalLoss) > SAME_LOSS * Math.max(a.finalLoss, b.finalLoss)) return false;
  const [sa, sb] = [lastStep(a), lastStep(b)];
  if (sa !== undefined && sb !== undefined && sa !== sb) return false;
  return nearInTree(path.dirname(a.file), path.dirname(b.file));
}

const present = (run: Run): number => REQUIRED_FIELDS.filter((f) => run[f] !== undefined).length;

// A join of the same two runs returns the same result (memo.ts says why).
const fillFrom = memoizedPair(fill);

/** The kept run with the fields only `other` had filled in, each with its source. */
function fill(kept: Run, other: Run): Run {
  const merged: Run = { ...kept, sources: { ...kept.sources } };
  // A tool's documented default (Lightning's 32-true) gives way to a precision a file states.
  const keptGuessed = kept.meta?.[TOOL_DEFAULT_PRECISION] === true && other.precision !== undefined && other.meta?.[TOOL_DEFAULT_PRECISION] !== true;
  if (keptGuessed) {
    merged.precision = other.precision;
    if (other.sources.precision) merged.sources.precision = other.sources.precision;
  }
  for (const field of REQUIRED_FIELDS) {
    if (merged[field] !== undefined || other[field] === undefined) continue;
    (merged as unknown as Record<string, unknown>)[field] = other[field];
    if (other.sources[field]) merged.sources[field] = other.sources[field];
  }
  if (!merged.curve?.length && other.curve?.length) merged.curve = other.curve;
  if (merged.ptq.length === 0 && other.ptq.length > 0) merged.ptq = other.ptq;
  merged.meta = { ...merged.meta, ...(keptGuessed ? { [TOOL_DEFAULT_PRECISION]: false } : {}), alsoReadFrom: [...((kept.meta?.alsoReadFrom as string[] | undefined) ?? []), other.file] };
  const { missing: _missing, ...rest } = merged;
  return withMissing(rest, merged.reasons);
}

/**
 * Runs with duplicates joined, and an info diagnostic for each join naming both files. Runs
 * without a final loss are never joined: nothing then says two files are one training.
 */
export function joinDuplicates(runs: readonly Run[]): JoinResult {
  const diagnostics: Diagnostic[] = [];
  // Sorted by final loss, the partners of a run are its neighbours within the tolerance.
  const withLoss = runs.filter((r) => r.finalLoss !== undefined).sort((a, b) => (a.finalLoss as number) - (b.finalLoss as number));
  const partnersOf = new Map<Run, Run[]>();
  // Partners are of another format: each run looks only through the other formats' runs, so a
  // sweep table of 150,000 rows sharing a few rounded losses costs no pair of its own rows.
  const byFormat = new Map<string, number[]>();
  withLoss.forEach((run, i) => {
    const positions = byFormat.get(run.format);
    if (positions) positions.push(i);
    else byFormat.set(run.format, [i]);
  });
  for (let i = 0; i < withLoss.length; i++) {
    const a = withLoss[i];
    for (const [format, positions] of byFormat) {
      if (format === a.format) continue;
      for (let k = firstAfter(positions, i); k < positions.length; k++) {
        const b = withLoss[positions[k]];
        if ((b.finalLoss as number) - (a.finalLoss as number) > SAME_LOSS * (b.finalLoss as number)) break;
        if (!sameTraining(a, b)) continue;
        partnersOf.set(a, [...(partnersOf.get(a) ?? []), b]);
        partnersOf.set(b, [...(partnersOf.get(b) ?? []), a]);
      }
    }
  }
  const out: Run[] = [];
  const joined = new Set<Run>();
  for (const run of runs) {
    if (joined.has(run)) continue;
    joined.add(run);
    let kept = run;
    for (const other of partnersOf.get(run) ?? []) {
      if (joined.has(other)) continue;
      joined.add(other);
      const [winner, loser] = present(other) > present(kept) ? [other, kept] : [kept, other];
      kept = fillFrom(winner, loser);
      diagnostics.push({
        file: winner.file,
        message: `${path.basename(loser.file)} (${loser.format}) describes the same training as ${path.basename(winner.file)} (${winner.format}): the same final loss ${winner.finalLoss} in one run folder; read as one run`,
        severity: 'info',
        code: 'grouped',
      });
    }
    out.push(kept);
  }
  return { runs: out, diagnostics };
}

/** Index of the first of the ascending `positions` above `i` (binary search). */
function firstAfter(positions: readonly number[], i: number): number {
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (positions[mid] <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
