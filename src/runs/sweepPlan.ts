// A sweep's planned-run.json as the readers use it: N, D and the training precision the sweep
// planned, each with the line it is on, the job's state in words, and the run shown for the plan
// while nothing in its folder can be read as one (a job still queued, one that failed before
// writing, one cancelled in the queue). The file holds no loss: it never stands for a result.

import * as path from 'node:path';
import { type CheckedPlan, type JobState, PLANNED_RUN_FILE, checkPlannedRun } from '../sweep/plannedRun';
import type { Diagnostic } from './diagnostics';
import { jobText } from './jobText';
import { parseJsonDoc } from './jsonDoc';
import { loadSmallText } from './load';
import { nodeValue } from './readers/precisionPlanner';
import { parsePrecision } from './precision';
import { type PartPrecision, type Run, type RunField, type SourceRef, type TrainingPrecision, runId, withMissing } from './run';
import { diagnostic } from './validate';

export const PLANNED_RUN_FORMAT = 'planned-run';
/** A plan is a kilobyte; the executor never writes one this large. */
const MAX_PLAN_BYTES = 1024 * 1024;
/** Said after the field's name in a source that is the plan, so every view shows where the value came from. */
export const PLANNED_SOURCE = '(planned by the sweep)';
/** The run.meta key under which a run read under a plan (and the plan's own run) carries what the sweep planned. */
export const PLAN_META = 'sweepPlan';

/** What the sweep planned for a run and where its job is, in run.meta (PLAN_META): plain data, shown by the views. */
export interface PlanNote {
  file: string;
  name: string;
  sweep?: string;
  params?: number;
  tokens?: number;
  /** The precision's name as the sweep gave it ("fp32", "w4a8kv4"). */
  precision?: string;
  job?: { state: JobState; says: string };
}

export interface SweepPlan {
  file: string;
  /** The run folder: runs read from files in it or below it are this plan's (the nearest plan up the tree). */
  dir: string;
  params?: { value: number; source: SourceRef };
  tokens?: { value: number; source: SourceRef };
  precision?: { value: TrainingPrecision; source: SourceRef };
  job?: NonNullable<CheckedPlan['job']>;
  note: PlanNote;
  /** The run shown for the plan when no reader read one from its folder. */
  placeholder: Run;
}

export interface PlanRead {
  /** Undefined when the file is not a usable plan: then the folder is read as if it had none. */
  plan?: SweepPlan;
  diagnostics: Diagnostic[];
}

/** Whether a source is a plan: the views say "planned by the sweep" for it. */
export function isPlannedSource(source: SourceRef | undefined): boolean {
  return source !== undefined && path.basename(source.file) === PLANNED_RUN_FILE;
}

/** The plan a run was read under, from its meta (plain data from a worker thread, so checked). */
export function planNoteOf(run: Pick<Run, 'meta'>): PlanNote | undefined {
  const note = run.meta?.[PLAN_META] as PlanNote | undefined;
  return typeof note === 'object' && note !== null && typeof note.file === 'string' && typeof note.name === 'string' ? note : undefined;
}

/**
 * Why the plan's own run has no loss: where its job is, or, for a job that ended well, that its
 * trainer left nothing a reader could take.
 */
function placeholderReason(job: SweepPlan['job']): string {
  if (!job) return 'planned by the sweep; the state of its job cannot be read';
  if (job.state === 'complete') return `${jobText(job)}, but nothing in the run's folder could be read as a run`;
  return jobText(job);
}

/** The plan's own run: N and the precision as planned, no D (none was trained on) and no loss, with the job's reason for both. */
function placeholderOf(plan: Omit<SweepPlan, 'placeholder'>, root: string): Run {
  const reason = placeholderReason(plan.job);
  const run: Omit<Run, 'missing'> = {
    id: runId(plan.file, root),
    name: plan.note.name,
    format: PLANNED_RUN_FORMAT,
    file: plan.file,
    ptq: [],
    sources: {},
    unfinished: true,
    meta: { [PLAN_META]: plan.note },
  };
  if (plan.params) {
    run.params = plan.params.value;
    run.sources.params = plan.params.source;
  }
  if (plan.precision) {
    run.precision = plan.precision.value;
    run.sources.precision = plan.precision.source;
  }
  const reasons: Partial<Record<RunField, string>> = { tokens: reason, finalLoss: reason };
  return withMissing(run, reasons);
}

/**
 * A plan from the text of a planned-run.json: every value checked, each problem a diagnostic on
 * its line, what checks out used. No plan when the text is not a plan of this schema at all.
 */
export function sweepPlanFromText(text: string, file: string, root: string): PlanRead {
  const diagnostics: Diagnostic[] = [];
  const doc = parseJsonDoc(text, { strict: true });
  for (const e of doc.errors.slice(0, 3)) diagnostics.push(diagnostic(file, e.line, undefined, `${e.message}; the sweep's plan is not used`, 'warning', 'syntax'));
  if (doc.errors.length > 0 || !doc.root) {
    if (doc.errors.length === 0) diagnostics.push(diagnostic(file, 1, undefined, `${PLANNED_RUN_FILE} is empty; the sweep's plan is not used`, 'warning', 'syntax'));
    return { diagnostics };
  }
  const checked = checkPlannedRun(nodeValue(doc.root));
  const lineOf = (keys: Array<string | number>): number | undefined => {
    for (let k = keys.length; k >= 0; k--) {
      const node = k === 0 ? doc.root : doc.at(keys.slice(0, k));
      if (node) return doc.lineOf(node);
    }
    return undefined;
  };
  for (const p of checked.problems) diagnostics.push(diagnostic(file, lineOf(p.path), p.path.length > 0 ? p.path.join('.') : undefined, p.message, 'warning', p.code));
  const given = checked.plan;
  if (!given) return { diagnostics };

  const dir = path.dirname(file);
  const source = (key: string): SourceRef => {
    const line = lineOf([key]);
    return line !== undefined ? { file, line, field: `${key} ${PLANNED_SOURCE}` } : { file, field: `${key} ${PLANNED_SOURCE}` };
  };
  const plan: Omit<SweepPlan, 'placeholder'> = {
    file,
    dir,
    note: { file, name: given.name ?? path.basename(dir) },
  };
  if (given.sweep !== undefined) plan.note.sweep = given.sweep;
  if (given.params !== undefined) {
    plan.params = { value: given.params, source: source('params') };
    plan.note.params = given.params;
  }
  if (given.tokens !== undefined) {
    plan.tokens = { value: given.tokens, source: source('tokens') };
    plan.note.tokens = given.tokens;
  }
  if (given.precision) {
    const { weights: w, activations: a, kv, name } = given.precision;
    plan.precision = { value: { w: named(w, name), a: named(a, name), kv: named(kv, name) }, source: source('precision') };
    plan.note.precision = name;
  }
  if (given.job) {
    plan.job = given.job;
    plan.note.job = { state: given.job.state, says: jobText(given.job) };
  }
  return { plan: { ...plan, placeholder: placeholderOf(plan, root) }, diagnostics };
}

/**
 * A part named after the plan's precision when the part has no name of its own and the name is
 * its format ("bf16" for a 16-bit fp part, not "w4a8kv4"): the views label a precision by its
 * parts' names.
 */
function named(part: PartPrecision, name: string): PartPrecision {
  const format = part.name === undefined ? parsePrecision(name) : undefined;
  return format?.name !== undefined && format.bits === part.bits && format.type === part.type ? { ...part, name: format.name } : part;
}

/** Reads a planned-run.json: never throws; an unreadable or malformed file is a diagnostic and no plan. */
export async function readSweepPlan(file: string, root: string): Promise<PlanRead> {
  const diagnostics: Diagnostic[] = [];
  const loaded = await loadSmallText(file, diagnostics, { maxBytes: MAX_PLAN_BYTES });
  if (loaded.text === undefined) return { diagnostics };
  const read = sweepPlanFromText(loaded.text, file, root);
  return { ...read, diagnostics: [...diagnostics, ...read.diagnostics] };
}
