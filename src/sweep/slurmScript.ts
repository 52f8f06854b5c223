// The job script of a sweep on Slurm: one job array, a `case` on SLURM_ARRAY_TASK_ID with the
// exact command of each run, and the resources the user asked for as #SBATCH lines. Pure: the
// executor (slurmExecutor.ts) writes it beside the runs, where the user can read and rerun it.

import { CONTROL_CHARACTER, shellQuote } from './shellQuote';

/** What the user asks Slurm for; every field optional (the cluster's defaults apply). */
export interface SlurmResources {
  partition?: string;
  /** Time limit per run: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. */
  time?: string;
  /** CPUs per run (--cpus-per-task). */
  cpus?: number;
  /** GPUs per run (--gpus): a count or type:count ("a100:1"). */
  gpus?: string;
  /** Memory per node (--mem): 4G, 500M, 16000. */
  mem?: string;
  account?: string;
  /** More sbatch options, each written as one #SBATCH line ("--qos=high", "--constraint=a100"). */
  extra?: string[];
}

const WORD = /^[A-Za-z0-9_.,:+=@%-]+$/;
const TIME = /^(?:\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}(?::\d{1,2}(?::\d{1,2})?)?)$/;

/** What is wrong with the resources, one message per field, named as `slurm.<field>`. */
export function resourceProblems(r: SlurmResources): string[] {
  const problems: string[] = [];
  const word = (field: keyof SlurmResources, value: string | undefined, pattern: RegExp, what: string): void => {
    if (value !== undefined && !pattern.test(value)) problems.push(`slurm.${field}: ${JSON.stringify(value)} is not ${what}`);
  };
  word('partition', r.partition, WORD, 'a partition name');
  word('time', r.time, TIME, 'a Slurm time limit (minutes, MM:SS, HH:MM:SS or D-HH:MM:SS)');
  word('gpus', r.gpus, /^(?:[A-Za-z0-9_-]+:)?\d+$/, 'a GPU count or type:count (for example 1 or a100:2)');
  word('mem', r.mem, /^\d+[KMGT]?$/i, 'a memory size (for example 4G or 16000)');
  word('account', r.account, WORD, 'an account name');
  if (r.cpus !== undefined && !(Number.isInteger(r.cpus) && r.cpus >= 1)) problems.push(`slurm.cpus: ${JSON.stringify(r.cpus)} is not a positive whole number`);
  for (const option of r.extra ?? []) {
    // One #SBATCH line each: a line break would end it, and sbatch reads only options there.
    if (!/^--?[A-Za-z]/.test(option) || CONTROL_CHARACTER.test(option) || (/\s/.test(option) && option.includes('"'))) problems.push(`slurm.extra: ${JSON.stringify(option)} is not one sbatch option (for example --qos=high)`);
  }
  return problems;
}

/** One run of the array: its index is its place in `runs`. */
export interface ScriptRun {
  name: string;
  /** The shell command that trains it, every value quoted (a line of bash). */
  command: string;
}

export interface ScriptOptions {
  /** Slurm's job name (--job-name). */
  jobName: string;
  /** The job output file pattern, absolute (%A the array's job id, %a the index). */
  output: string;
  resources: SlurmResources;
  /** The folder each command runs in. */
  cwd: string;
  /** A comment line at the top (what sweep, when). */
  title: string;
}

/** The #SBATCH lines, in the order sbatch documents them. */
export function sbatchDirectives(o: Pick<ScriptOptions, 'jobName' | 'output' | 'resources'>): string[] {
  const r = o.resources;
  // sbatch splits #SBATCH lines at whitespace unless double-quoted (it has no other quoting).
  if (o.output.includes('"')) throw new Error(`the job log path ${o.output} has a double quote, which an #SBATCH line cannot hold; choose another output folder`);
  const lines = [`--job-name=${o.jobName}`, `--output=${/\s/.test(o.output) ? `"${o.output}"` : o.output}`];
  if (r.partition) lines.push(`--partition=${r.partition}`);
  if (r.account) lines.push(`--account=${r.account}`);
  if (r.time) lines.push(`--time=${r.time}`);
  if (r.cpus) lines.push(`--cpus-per-task=${r.cpus}`);
  if (r.gpus) lines.push(`--gpus=${r.gpus}`);
  if (r.mem) lines.push(`--mem=${r.mem}`);
  lines.push(...(r.extra ?? []).map((option) => (/\s/.test(option) ? option.replace(/^([^=\s]+=)?(.*)$/s, (_, key: string | undefined, value: string) => `${key ?? ''}"${value}"`) : option)));
  return lines.map((line) => `#SBATCH ${line}`);
}

/** The array's range for sbatch: every index, at most `parallel` at once ("0-11%4"). */
export const arraySpec = (count: number, parallel: number | undefined): string => `0-${count - 1}${parallel ? `%${parallel}` : ''}`;

/** The whole job script. */
export function jobScript(runs: readonly ScriptRun[], o: ScriptOptions): string {
  const cases = runs.map((run, i) => `  ${i}) # ${run.name.replace(/[\r\n]/g, ' ')}\n    ${run.command} ;;`);
  return [
    '#!/bin/bash',
    `# ${o.title.replace(/[\r\n]/g, ' ')}`,
    '# One run per array index. To rerun one by hand: SLURM_ARRAY_TASK_ID=<index> bash <this file>',
    ...sbatchDirectives(o),
    'set -u',
    `cd ${shellQuote(o.cwd)} || exit 1`,
    'case "${SLURM_ARRAY_TASK_ID:?not started as a Slurm job array}" in',
    ...cases,
    '  *) echo "no run for array index $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;',
    'esac',
    '',
  ].join('\n');
}
