// A sweep job's state in the words a run's reason is shown in ("queued on Slurm (job 12_3,
// PENDING: Resources)", "Slurm job 12_3 failed: OUT_OF_MEMORY, exit 0:9; log: …"): the
// executor's own words where it gave them, and the last lines of a failed job's log, which
// usually name the error, cut to fit on one line of a tooltip or a table.

import type { PlannedJob } from '../sweep/plannedRun';

/** Lines of a failed job's log shown, and characters at most. */
const TAIL_LINES = 3;
const TAIL_CHARS = 240;

// Colour codes and cursor moves from progress bars; other control characters break a table row.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** The last few non-empty lines of a log, on one line, starting with "…" as they are its end. */
export function logTailText(tail: string): string | undefined {
  const lines = tail
    .replace(ESCAPES, '')
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length === 0) return undefined;
  const text = lines.slice(-TAIL_LINES).join(' / ');
  return `…${text.length > TAIL_CHARS ? text.slice(text.length - TAIL_CHARS) : text}`;
}

/** "Slurm job 12_3", "local job 4242", "Slurm job" when the executor gave no id. */
function jobName(job: PlannedJob): string {
  const id = job.id !== undefined ? ` ${job.id}` : '';
  return job.executor === 'slurm' ? `Slurm job${id}` : `local job${id}`;
}

/** The executor's word and reason without repeating one in the other: "PENDING: Resources". */
function stateWords(job: PlannedJob, separator: string): string | undefined {
  const words = [job.executorState, job.reason].filter((w): w is string => w !== undefined && w.trim() !== '');
  if (words.length === 2 && words[1].toUpperCase() === words[0].toUpperCase()) words.pop();
  return words.length > 0 ? words.join(separator) : undefined;
}

/**
 * Where the job is, as the reason of a run that has no final loss (or did not finish) because of
 * it. "complete" is said too, for a job whose trainer left nothing readable.
 */
export function jobText(job: PlannedJob): string {
  const name = jobName(job);
  switch (job.state) {
    case 'planned':
      return 'planned, not submitted';
    case 'pending': {
      const words = stateWords(job, ': ');
      if (job.executor === 'local') return `queued to run locally${words ? ` (${words})` : ''}`;
      return `queued on Slurm (${[job.id !== undefined ? `job ${job.id}` : undefined, words].filter(Boolean).join(', ') || 'job id not known yet'})`;
    }
    case 'running':
      return job.executor === 'slurm' ? `running on Slurm${job.id !== undefined ? ` (job ${job.id})` : ''}` : `running locally${job.id !== undefined ? ` (job ${job.id})` : ''}`;
    case 'complete':
      return `${name} completed${job.exitCode !== undefined ? ` (exit ${job.exitCode})` : ''}`;
    case 'failed': {
      const words = stateWords(job, ' — ');
      const exit = job.exitCode !== undefined ? `exit ${job.exitCode}` : undefined;
      const detail = [words, exit].filter(Boolean).join(', ');
      const tail = job.logTail !== undefined ? logTailText(job.logTail) : undefined;
      return `${name} failed${detail ? `: ${detail}` : ''}${tail ? `; log: ${tail}` : ''}`;
    }
    case 'cancelled': {
      const why = job.reason ?? [job.id !== undefined ? name : undefined, job.executorState].filter(Boolean).join(', ');
      return why ? `cancelled (${why})` : 'cancelled';
    }
  }
}
