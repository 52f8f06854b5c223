// planned-run.json: what a sweep planned for one run, written by the sweep into the run's folder
// before the run starts, and kept up to date with the job's state by the executor. The readers
// take N, D and the training precision from it where the trainer's own logs leave them out (a
// user's trainer logging only a loss curve to TensorBoard), said as the source; a run whose job
// failed or was cancelled shows the executor's reason. It holds no loss: nothing in it is data.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PartPrecision } from '../runs/run';
import { writeJsonAtomic } from '../train/writer';

export const PLANNED_RUN_FILE = 'planned-run.json';
export const PLANNED_RUN_SCHEMA = 'precision-planner/planned-run@1';

/**
 * Where the run's job is: "planned" before it is submitted, "pending" in the queue, "running",
 * then one of the ends. "complete" is the job's end with exit code 0, not a claim about the logs.
 */
export type JobState = 'planned' | 'pending' | 'running' | 'complete' | 'failed' | 'cancelled';
export const ENDED_STATES: readonly JobState[] = ['complete', 'failed', 'cancelled'];

export interface PlannedJob {
  state: JobState;
  /** "local", or "slurm" with the job id ("1234_5": array job 1234, task 5). */
  executor: 'local' | 'slurm';
  id?: string;
  /** The executor's own word for the state ("OUT_OF_MEMORY", "TIMEOUT", "CANCELLED"). */
  executorState?: string;
  /** Why it ended as it did, or why it waits, in the executor's words where it gives them. */
  reason?: string;
  /** "1:0" (exit code 1, no signal) as Slurm writes it, or the exit code. */
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
