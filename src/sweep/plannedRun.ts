// planned-run.json: what a sweep planned for one run, written by the sweep into the run's folder
// before the run starts, and kept up to date with the job's state by the executor. The readers
// take N, D and the training precision from it where the trainer's own logs leave them out (a
// user's trainer logging only a loss curve to TensorBoard), said as the source; a run whose job
// failed or was cancelled shows the executor's reason. It holds no loss: nothing in it is data.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, DiagnosticCode } from '../runs/diagnostics';
import type { NumberType, PartPrecision } from '../runs/run';
import { bitsInRange, describeValue, diagnostic, isDiagnostic, nonEmptyString, oneOf, positiveFinite } from '../runs/validate';
import { writeJsonAtomic } from '../train/writer';

export const PLANNED_RUN_FILE = 'planned-run.json';
export const PLANNED_RUN_SCHEMA = 'precision-planner/planned-run@1';

/**
 * Where the run's job is: "planned" before it is submitted, "pending" in the queue, "running",
 * then one of the ends. "complete" is the job's end with exit code 0, not a claim about the logs.
 */
export const JOB_STATES = ['planned', 'pending', 'running', 'complete', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const ENDED_STATES: readonly JobState[] = ['complete', 'failed', 'cancelled'];

/** Where a sweep's runs train: child processes on this machine, or a Slurm job array. */
export const EXECUTORS = ['local', 'slurm'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

export interface PlannedJob {
  state: JobState;
  /** "local", or "slurm" with the job id ("1234_5": array job 1234, task 5). */
  executor: ExecutorName;
  id?: string;
  /** The executor's own word for the state ("OUT_OF_MEMORY", "TIMEOUT", "CANCELLED"). */
  executorState?: string;
  /** Why it ended as it did, or why it waits, in the executor's words where it gives them. */
  reason?: string;
  /** How the job's process ended: its exit code ("3"), or the signal that ended it ("signal 15"). */
  exitCode?: string;
  /** The job's output file (stdout and stderr). */
  log?: string;
  /** Its last lines, for a failed job. */
  logTail?: string;
  submitted?: string;
  ended?: string;
}

export interface PlannedRun {
  schema: typeof PLANNED_RUN_SCHEMA;
  name: string;
  sweep?: string;
  /** N: the planned model's non-embedding parameters. */
  params: number;
  /** D: the planned training tokens. */
  tokens: number;
  /** The training precision as the sweep gave it ("fp32", "w4a8kv4"), and per part. */
  precision: { name: string; weights: PartPrecision; activations: PartPrecision; kv: PartPrecision };
  model: { layers: number; width: number; heads: number; vocabSize: number; context: number };
  seed: number;
  /** "built-in": the project's trainer; "command": the user's command template. */
  trainer: 'built-in' | 'command';
  /** The exact shell command the job runs. */
  command: string;
  job: PlannedJob;
  created: string;
  updated?: string;
}

export const plannedRunFile = (runDir: string): string => path.join(runDir, PLANNED_RUN_FILE);

/** Writes (replaces atomically) the run folder's planned-run.json. */
export function writePlannedRun(runDir: string, plan: PlannedRun): void {
  writeJsonAtomic(plannedRunFile(runDir), { ...plan, updated: new Date().toISOString() });
}

/** The run folder's planned-run.json, or undefined when there is none or it is not one. */
export function readPlannedRun(runDir: string): PlannedRun | undefined {
  try {
    const value = JSON.parse(readFileSync(plannedRunFile(runDir), 'utf8')) as PlannedRun;
    return value?.schema === PLANNED_RUN_SCHEMA ? value : undefined;
  } catch {
    return undefined;
  }
}

// --- reading back ---------------------------------------------------------------------------
// The readers take a plan from a folder they did not write, while the executor may be rewriting
// it: every value is checked, a bad one is named and left out, and the rest of the plan is used.

const NUMBER_TYPES: readonly NumberType[] = ['int', 'fp'];
const JOB_TEXTS = ['id', 'executorState', 'reason', 'exitCode', 'log', 'logTail', 'submitted', 'ended'] as const;

/** One value of a planned-run.json that cannot be used: where (its keys from the top), why, and what kind of problem. */
export interface PlanProblem {
  path: Array<string | number>;
  message: string;
  code: DiagnosticCode;
}

/** The parts of a plan the readers use, each there only where it checks out. */
export interface CheckedPlan {
  name?: string;
  sweep?: string;
  params?: number;
  tokens?: number;
  precision?: PlannedRun['precision'];
  job?: PlannedJob;
}

export interface PlanCheck {
  /** Undefined when the value is no plan of this schema at all. */
  plan?: CheckedPlan;
  problems: PlanProblem[];
}

type Checked<T> = T | Diagnostic;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An object value, or the problem with it; `shape` shows what one looks like. */
const objectCheck =
  (shape = '') =>
  (value: unknown, file: string, line: undefined, field: string): Checked<Record<string, unknown>> =>
    isObject(value) ? value : diagnostic(file, line, field, `${field} must be an object${shape}, got ${describeValue(value)}`, 'error', 'bad-value');

/** One of the job's optional words: a string (empty when not known yet), a number as a string, or null for none. */
const jobTextCheck = (value: unknown, file: string, line: undefined, field: string): Checked<string> => {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return diagnostic(file, line, field, `${field} must be a string, got ${describeValue(value)}`, 'error', 'bad-value');
};

/** Checks a parsed planned-run.json: what of it can be used, and a coded problem for each value that cannot. */
export function checkPlannedRun(value: unknown): PlanCheck {
  const problems: PlanProblem[] = [];
  const take = <T>(path: Array<string | number>, result: Checked<T>): T | undefined => {
    if (!isDiagnostic(result)) return result;
    problems.push({ path, message: result.message, code: result.code });
    return undefined;
  };
  /** A key of `object` through `check`; an absent key is a problem only when `required`. */
  const field = <T>(object: Record<string, unknown>, path: string[], check: (v: unknown, f: string, l: undefined, n: string) => Checked<T>, required = true): T | undefined => {
    const key = path[path.length - 1];
    if (!Object.hasOwn(object, key)) {
      if (required) problems.push({ path, message: `${path.join('.')} is missing`, code: 'missing-field' });
      return undefined;
    }
    return take(path, check(object[key], PLANNED_RUN_FILE, undefined, path.join('.')));
  };

  if (!isObject(value)) return { problems: [{ path: [], message: `${PLANNED_RUN_FILE} must hold one JSON object, found ${describeValue(value)}`, code: 'syntax' }] };
  if (value.schema !== PLANNED_RUN_SCHEMA) {
    const ours = typeof value.schema === 'string' && value.schema.startsWith(PLANNED_RUN_SCHEMA.replace(/@.*$/, '@'));
    const message = ours
      ? `schema ${JSON.stringify(value.schema)} is not one this version reads (${PLANNED_RUN_SCHEMA}); the plan is not used`
      : `schema must be ${JSON.stringify(PLANNED_RUN_SCHEMA)}, got ${describeValue(value.schema)}; the plan is not used`;
    return { problems: [{ path: ['schema'], message, code: ours ? 'unsupported' : Object.hasOwn(value, 'schema') ? 'bad-value' : 'missing-field' }] };
  }
  const plan: CheckedPlan = {};
  const name = field(value, ['name'], nonEmptyString);
  if (name !== undefined) plan.name = name;
  const sweep = field(value, ['sweep'], nonEmptyString, false);
  if (sweep !== undefined) plan.sweep = sweep;
  const params = field(value, ['params'], positiveFinite);
  if (params !== undefined) plan.params = params;
  const tokens = field(value, ['tokens'], positiveFinite);
  if (tokens !== undefined) plan.tokens = tokens;
  const precision = field(value, ['precision'], objectCheck(' with name, weights, activations and kv'));
  if (precision) {
    const precisionName = field(precision, ['precision', 'name'], nonEmptyString);
    const parts = (['weights', 'activations', 'kv'] as const).map((part): PartPrecision | undefined => {
      const got = field(precision, ['precision', part], objectCheck(' like {"bits": 8, "type": "int"}'));
      if (!got) return undefined;
      const bits = field(got, ['precision', part, 'bits'], bitsInRange);
      const type = field(got, ['precision', part, 'type'], (v, f, l, n) => oneOf(v, NUMBER_TYPES, f, l, n));
      const partName = field(got, ['precision', part, 'name'], nonEmptyString, false);
      if (bits === undefined || type === undefined) return undefined;
      return partName !== undefined ? { bits, type, name: partName } : { bits, type };
    });
    const [weights, activations, kv] = parts;
    if (precisionName !== undefined && weights && activations && kv) plan.precision = { name: precisionName, weights, activations, kv };
  }
  const job = field(value, ['job'], objectCheck(' with state and executor'));
  if (job) {
    const state = field(job, ['job', 'state'], (v, f, l, n) => oneOf(v, JOB_STATES, f, l, n));
    const executor = field(job, ['job', 'executor'], (v, f, l, n) => oneOf(v, EXECUTORS, f, l, n));
    if (state !== undefined && executor !== undefined) {
      const checked: PlannedJob = { state, executor };
      for (const key of JOB_TEXTS) {
        // Slurm's exit code is "0:9"; a writer may give a plain number. Empty or null is "not known yet".
        const text = field(job, ['job', key], jobTextCheck, false);
        if (text !== undefined && text.trim() !== '') checked[key] = text;
      }
      plan.job = checked;
    }
  }
  return { plan, problems };
}
