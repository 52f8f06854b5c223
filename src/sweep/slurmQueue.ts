// What Slurm says of a job array's tasks, from one `squeue` call: its JSON (`squeue --json`,
// Slurm 21.08 and later) or, where that is missing, its text form (`-h -r -o '%i|%T|%r'`).
// Pure: the executor runs squeue and hands the text here. The JSON's shape changed across
// versions (22.05: plain numbers and a state string; 23.02 on: {set, number} wrappers and a list
// of states), so fields are read through `count` and `stateWord`.

import type { JobState } from './plannedRun';

/** One array task as Slurm reports it. */
export interface TaskStatus {
  /** The array's job id (what sbatch --parsable printed). */
  arrayId: string;
  index: number;
  state: JobState;
  /** Slurm's state word: PENDING, RUNNING, COMPLETED, FAILED, OUT_OF_MEMORY, TIMEOUT, ... */
  slurmState: string;
  /** Slurm's reason (Resources, Priority, NonZeroExitCode, ...); undefined for "None". */
  slurmReason?: string;
  /** "3" (exit code), "signal 9", from the JSON's exit code; undefined when not known. */
  exitCode?: string;
}

/** Slurm's state words by what they mean for a run. */
const STATES: Record<string, JobState> = {
  PENDING: 'pending',
  REQUEUED: 'pending',
  REQUEUE_HOLD: 'pending',
  REQUEUE_FED: 'pending',
  RESV_DEL_HOLD: 'pending',
  SPECIAL_EXIT: 'pending',
  SUSPENDED: 'running',
  STOPPED: 'running',
  CONFIGURING: 'running',
  RUNNING: 'running',
  COMPLETING: 'running',
  RESIZING: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'running',
  COMPLETED: 'complete',
  CANCELLED: 'cancelled',
  FAILED: 'failed',
  OUT_OF_MEMORY: 'failed',
  TIMEOUT: 'failed',
  NODE_FAIL: 'failed',
  BOOT_FAIL: 'failed',
  DEADLINE: 'failed',
  PREEMPTED: 'failed',
  REVOKED: 'failed',
};

/** What a failed state means, in a user's words. */
const ENDINGS: Record<string, string> = {
  OUT_OF_MEMORY: 'out of memory',
  TIMEOUT: 'time limit reached',
  NODE_FAIL: 'the node failed',
  BOOT_FAIL: 'the node failed to boot',
  DEADLINE: 'deadline reached',
  PREEMPTED: 'preempted',
  REVOKED: 'revoked (federation)',
};

export const jobStateOf = (slurmState: string): JobState => STATES[slurmState] ?? 'running';

/** A field that is a number (22.05) or {set, number} (23.02 on); undefined when not set. */
function count(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'number' in value) {
    const v = value as { set?: boolean; number?: unknown };
    return v.set === false || typeof v.number !== 'number' ? undefined : v.number;
  }
  return undefined;
}

/** The base state: a string (22.05) or a list whose first item is it (23.02 on). */
function stateWord(value: unknown): string {
  const word = Array.isArray(value) ? value[0] : value;
  return typeof word === 'string' ? word.toUpperCase() : 'UNKNOWN';
}

/** A wait status (22.05: status << 8 | signal) or {return_code, signal} (23.02 on) as text. */
function exitText(value: unknown): string | undefined {
  if (typeof value === 'number') {
    const signal = value & 0x7f;
    return signal ? `signal ${signal}` : String(value >> 8);
  }
  if (value && typeof value === 'object') {
    const v = value as { return_code?: unknown; signal?: { id?: unknown; name?: unknown } };
    const signal = count(v.signal?.id);
    if (signal) return `signal ${signal}${typeof v.signal?.name === 'string' && v.signal.name ? ` (${v.signal.name})` : ''}`;
    const code = count(v.return_code);
    return code === undefined ? undefined : String(code);
  }
  return undefined;
}

/**
 * The indices an array task string names: "4-5%3", "0-11:2", "3,7-9" (the %K limit and the
 * :step as sbatch writes them).
 */
export function taskIndices(text: string): number[] {
  const indices: number[] = [];
  for (const part of text.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim());
    if (!m) continue;
    const [first, last, step] = [Number(m[1]), Number(m[2] ?? m[1]), Number(m[3] ?? 1)];
    for (let i = first; i <= last; i += step) indices.push(i);
  }
  return indices;
}

const reasonOf = (value: unknown): string | undefined => (typeof value === 'string' && value !== 'None' && value !== '' ? value : undefined);

/** The tasks of the given arrays in `squeue --json` output; other jobs are left out (22.05 lists every job). */
export function parseSqueueJson(text: string, arrayIds: readonly string[]): TaskStatus[] {
  const wanted = new Set(arrayIds);
  const doc = JSON.parse(text) as { jobs?: unknown[] };
  const tasks: TaskStatus[] = [];
  for (const job of doc.jobs ?? []) {
    const j = job as Record<string, unknown>;
    const arrayId = String(count(j.array_job_id) ?? count(j.job_id) ?? '');
    if (!wanted.has(arrayId)) continue;
    const slurmState = stateWord(j.job_state);
    const common = { arrayId, state: jobStateOf(slurmState), slurmState, slurmReason: reasonOf(j.state_reason) };
    const index = count(j.array_task_id);
    // A pending part of an array not yet split into tasks: one record for a range of indices.
    const indices = index !== undefined ? [index] : typeof j.array_task_string === 'string' ? taskIndices(j.array_task_string) : [];
    const exitCode = common.state === 'complete' || common.state === 'failed' || common.state === 'cancelled' ? exitText(j.exit_code) : undefined;
    for (const i of indices) tasks.push({ ...common, index: i, ...(exitCode !== undefined ? { exitCode } : {}) });
  }
  return tasks;
}

/** The tasks in `squeue -h -r --states=all -o '%i|%T|%r'` output ("6_2|RUNNING|None"). */
export function parseSqueueText(text: string, arrayIds: readonly string[]): TaskStatus[] {
  const wanted = new Set(arrayIds);
  const tasks: TaskStatus[] = [];
  for (const line of text.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    const m = /^(\d+)_(?:\[?([\d,%:-]+)\]?)$/.exec(id ?? '');
    if (!m || !wanted.has(m[1]) || !state) continue;
    const slurmState = state.toUpperCase();
    for (const index of taskIndices(m[2])) tasks.push({ arrayId: m[1], index, state: jobStateOf(slurmState), slurmState, slurmReason: reasonOf(reason) });
  }
  return tasks;
}

/** Why a task is where it is, in a user's words with Slurm's own: "out of memory (OUT_OF_MEMORY, exit signal 9)". */
export function describeTask(t: TaskStatus): string {
  const words = [t.slurmState, ...(t.slurmReason ? [t.slurmReason] : []), ...(t.exitCode !== undefined && t.exitCode !== '0' ? [`exit ${t.exitCode}`] : [])].join(', ');
  if (t.state === 'pending') return `queued (${words})`;
  if (t.state === 'running') return t.slurmState === 'RUNNING' ? 'running' : `running (${words})`;
  if (t.state === 'complete') return 'ended (COMPLETED)';
  if (t.state === 'cancelled') return `cancelled (${words})`;
  return `${ENDINGS[t.slurmState] ?? 'failed'} (${words})`;
}
