// The sweep's plan of a run (planned-run.json, written into the run's folder before it starts)
// joined to what the readers read there, after reading and before duplicates are joined:
// - N, D and the training precision from the plan where the run's own files leave them out
//   (a user's trainer logging only a loss curve), never over a value the files give, each with
//   the plan as its source. D is the tokens planned: a run that did not finish did not see them,
//   so its D stays missing, with the planned D in the reason.
// - A job that has not ended well makes the run unfinished, whatever its files say or leave out
//   (a run.json the OOM killer left at "running", a TensorBoard curve cut short), and gives the
//   job's words ("Slurm job 12_3 failed: OUT_OF_MEMORY, …") as the reason it has no final loss.
// - A plan under which no reader read a run is one run of its own, with the job's reason.
// A run's plan is the nearest planned-run.json up the tree from its file, not above the scanned
// folder: the plans of a sweep's other runs sit beside it, never above it.

import * as path from 'node:path';
import { ENDED_STATES } from '../sweep/plannedRun';
import { TOOL_DEFAULT_PRECISION, type ReadRun } from './defaults';
import type { Diagnostic } from './diagnostics';
import { jobText } from './jobText';
import { memoizedPair } from './memo';
import { formatCount } from './quantity';
import { FIELD_LABELS, type Run, withMissing } from './run';
import { PLAN_META, type PlanRead, type SweepPlan } from './sweepPlan';
import { diagnostic } from './validate';

export interface FoundPlan {
  file: string;
  /** The scanned folder it was found under. */
  root: string;
  read: PlanRead;
  /** Shown as a run of its own when no reader read one under it; not a plan only looked up beside a file named on the command line. */
  standalone: boolean;
}

export interface Planned {
  runs: ReadRun[];
  /** One 'planned' (info) per scanned folder whose plans gave values; an 'unfinished' for each run the job's end contradicts. */
  diagnostics: Diagnostic[];
  /**
   * A reader's problem the plans answered: its file's runs all took the field from their plan, or
   * say in their reason what the plan holds for it (the reader's "params not found in the event
   * file", Lightning's "taking its default precision").
   */
  answered: (d: Diagnostic) => boolean;
}

const PLANNED_FIELDS = ['params', 'tokens', 'precision'] as const;
type PlannedField = (typeof PLANNED_FIELDS)[number];

interface UnderPlan {
  run: Run;
  /** Fields the plan gave. */
  filled: PlannedField[];
  /** Those and the ones it speaks for without giving: a D planned for a run that did not finish, named in its reason. */
  answered: PlannedField[];
  diagnostics: Diagnostic[];
}

/** The nearest plan up the tree from `file`, the scanned folder included, or undefined. */
function nearestPlan(file: string, root: string, byDir: ReadonlyMap<string, FoundPlan>): FoundPlan | undefined {
  let dir = path.dirname(file);
  for (;;) {
    const found = byDir.get(dir);
    if (found) return found;
    const up = path.dirname(dir);
    if (dir === root || up === dir || path.relative(root, up).startsWith('..')) return undefined;
    dir = up;
  }
}

// An unchanged run under an unchanged plan gives the same run object (memo.ts says why).
const underPlan = memoizedPair(joinPlan);

function joinPlan(run: Run, plan: SweepPlan): UnderPlan {
  const { job } = plan;
  const diagnostics: Diagnostic[] = [];
  // run.json's "complete" is written by the trainer after its last evaluation: a job failing after
  // it (its epilogue, a requeue) does not undo the run. No other format says so much.
  const saysComplete = run.meta?.status === 'complete';
  const unfinished = run.unfinished === true || (job !== undefined && job.state !== 'complete' && !saysComplete);
  const says = job && job.state !== 'complete' && !saysComplete ? jobText(job) : undefined;

  const { missing: _missing, reasons: given, ...rest } = run;
  const next: Omit<Run, 'missing'> = { ...rest, sources: { ...run.sources }, meta: { ...run.meta, [PLAN_META]: plan.note } };
  const reasons: NonNullable<Run['reasons']> = { ...given };
  const filled: PlannedField[] = [];
  if (next.params === undefined && plan.params) {
    next.params = plan.params.value;
    next.sources.params = plan.params.source;
    filled.push('params');
  }
  // A tool's documented default (Lightning's 32-true) is its guess; the plan says what was asked for.
  if ((next.precision === undefined || run.meta?.[TOOL_DEFAULT_PRECISION] === true) && plan.precision) {
    next.precision = plan.precision.value;
    next.sources.precision = plan.precision.source;
    delete next.meta?.[TOOL_DEFAULT_PRECISION];
    filled.push('precision');
  }
  if (next.tokens === undefined && plan.tokens && !unfinished) {
    next.tokens = plan.tokens.value;
    next.sources.tokens = plan.tokens.source;
    filled.push('tokens');
  }
  if (unfinished) next.unfinished = true;
  if (says !== undefined && next.finalLoss === undefined) reasons.finalLoss = says;
  const answered = [...filled];
  if (next.tokens === undefined && plan.tokens && unfinished) {
    answered.push('tokens');
    // Beside the job's reason for the loss, the same words for D say it once in a one-line status.
    const notFinished = job && !ENDED_STATES.includes(job.state) ? 'the run has not finished' : 'the run did not finish';
    reasons.tokens = says !== undefined && next.finalLoss === undefined ? says : `${notFinished}; the sweep planned D=${formatCount(plan.tokens.value)}`;
  }
  // The OOM killer's kill -9 leaves run.json at "running": the job's end says what became of it.
  if (job && run.meta?.status === 'running' && (job.state === 'failed' || job.state === 'cancelled')) {
    if (next.meta) next.meta.status = job.state;
    diagnostics.push(diagnostic(run.file, undefined, 'status', `the run's files say it is running, but the sweep's job has ended: ${jobText(job)}; read as ${job.state}`, 'info', 'unfinished'));
  }
  return { run: withMissing(next, reasons), filled, answered, diagnostics };
}

/** "N for 3 runs, D for 2, training precision for 3 (r1/tb/events…, r2/metrics.csv, …)". */
function givenText(counts: ReadonlyMap<PlannedField, number>, files: readonly string[]): string {
  const label: Record<PlannedField, string> = { params: 'N', tokens: 'D', precision: FIELD_LABELS.precision };
  const parts = PLANNED_FIELDS.filter((f) => counts.has(f)).map((f, i) => {
    const n = counts.get(f) ?? 0;
    return `${label[f]} for ${n}${i === 0 ? (n === 1 ? ' run' : ' runs') : ''}`;
  });
  // In name order: runs are read concurrently, and an unchanged workspace must give the same words.
  const sorted = [...files].sort();
  const examples = sorted.slice(0, 3).join(', ') + (files.length > 3 ? `, … (${files.length} files)` : '');
  return `${parts.join(', ')} (${examples})`;
}

/**
 * Joins each run to its plan and adds a run for each plan nothing was read under. Runs under no
 * plan, or under a plan that could not be read, are left as they are.
 */
export function applyPlans(read: readonly ReadRun[], plans: readonly FoundPlan[]): Planned {
  if (plans.length === 0) return { runs: [...read], diagnostics: [], answered: () => false };
  const byRoot = new Map<string, Map<string, FoundPlan>>();
  for (const found of plans) {
    const byDir = byRoot.get(found.root) ?? new Map<string, FoundPlan>();
    byRoot.set(found.root, byDir);
    byDir.set(path.dirname(found.file), found);
  }
  const claimed = new Set<FoundPlan>();
  const diagnostics: Diagnostic[] = [];
  const runs: ReadRun[] = [];
  // Per run file: its runs, and how many of them had each field answered by a plan.
  const byFile = new Map<string, { runs: number; answered: Map<PlannedField, number> }>();
  const given = new Map<string, { counts: Map<PlannedField, number>; files: string[] }>();
  for (const r of read) {
    const found = nearestPlan(r.run.file, r.root, byRoot.get(r.root) ?? new Map());
    const plan = found?.read.plan;
    const entry = byFile.get(r.run.file) ?? { runs: 0, answered: new Map<PlannedField, number>() };
    byFile.set(r.run.file, entry);
    entry.runs++;
    if (!found || !plan) {
      runs.push(r);
      continue;
    }
    claimed.add(found);
    const joined = underPlan(r.run, plan);
    runs.push({ run: joined.run, root: r.root });
    for (const d of joined.diagnostics) diagnostics.push(d);
    for (const field of joined.answered) entry.answered.set(field, (entry.answered.get(field) ?? 0) + 1);
    if (joined.filled.length === 0) continue;
    const tally = given.get(r.root) ?? { counts: new Map<PlannedField, number>(), files: [] };
    given.set(r.root, tally);
    const rel = path.relative(r.root, r.run.file).split(path.sep).join('/');
    if (!tally.files.includes(rel)) tally.files.push(rel);
    for (const field of joined.filled) tally.counts.set(field, (tally.counts.get(field) ?? 0) + 1);
  }
  for (const found of plans) {
    if (found.standalone && found.read.plan && !claimed.has(found)) runs.push({ run: found.read.plan.placeholder, root: found.root });
  }
  for (const [root, tally] of given) {
    diagnostics.push({
      file: root,
      message: `values from the sweep's plans (planned-run.json) where the runs' files do not say them: ${givenText(tally.counts, tally.files)}`,
      severity: 'info',
      code: 'planned',
    });
  }
  const answered = (d: Diagnostic): boolean => {
    if ((d.code !== 'missing-field' && d.code !== 'default') || d.field === undefined) return false;
    const entry = byFile.get(d.file);
    return entry !== undefined && entry.answered.get(d.field as PlannedField) === entry.runs;
  };
  return { runs, diagnostics, answered };
}
