// Which executor runs a sweep, with what, as the front ends give it (CLI flags, a precision-sweep
// task's definition, the settings): one reading, with one message per bad value naming its field.

import { EXECUTORS, type ExecutorName } from './plannedRun';
import { type SlurmTrainer } from './slurmExecutor';
import { type SlurmResources, resourceProblems } from './slurmScript';
import { CONTROL_CHARACTER, splitWords } from './shellQuote';
import { templateProblem } from './commandTemplate';


/** The resources and trainer as written: strings and numbers, any field missing. */
export interface ExecutorArgs {
  executor?: string;
  partition?: string;
  time?: string;
  cpus?: string | number;
  gpus?: string | number;
  mem?: string;
  account?: string;
  /** More sbatch options: one string as typed on a command line, or a list of options. */
  sbatch?: string | string[];
  /** The user's training command template; the built-in trainer when absent. */
  command?: string;
  /** The node binary the built-in trainer's jobs run (on the compute nodes' PATH by default). */
  node?: string;
}

export interface ExecutorChoice {
  executor: ExecutorName;
  resources: SlurmResources;
  trainer: SlurmTrainer;
}

/** The executor, resources and trainer, or the problems (each naming its field as `where` calls it). */
export function readExecutor(a: ExecutorArgs, where: (field: string) => string = (f) => f): { choice?: ExecutorChoice; problems: string[] } {
  const problems: string[] = [];
  const executor = (a.executor ?? 'local').trim().toLowerCase();
  if (!(EXECUTORS as readonly string[]).includes(executor)) problems.push(`${where('executor')}: "${a.executor}" is not one of ${EXECUTORS.join(', ')}`);
  const text = (v: string | number | undefined): string | undefined => (v === undefined || String(v).trim() === '' ? undefined : String(v).trim());
  let extra: string[] | undefined;
  try {
    extra = a.sbatch === undefined ? undefined : Array.isArray(a.sbatch) ? a.sbatch.map((s) => s.trim()).filter(Boolean) : splitWords(a.sbatch);
  } catch (error) {
    problems.push(`${where('sbatch')}: ${(error as Error).message}`);
  }
  const cpus = text(a.cpus);
  const resources: SlurmResources = {
    ...(text(a.partition) ? { partition: text(a.partition) } : {}),
    ...(text(a.time) ? { time: text(a.time) } : {}),
    ...(cpus ? { cpus: Number(cpus) } : {}),
    ...(text(a.gpus) ? { gpus: text(a.gpus) } : {}),
    ...(text(a.mem) ? { mem: text(a.mem) } : {}),
    ...(text(a.account) ? { account: text(a.account) } : {}),
    ...(extra && extra.length > 0 ? { extra } : {}),
  };
  // resourceProblems names fields slurm.<field>: renamed to the front end's names.
  problems.push(...resourceProblems(resources).map((p) => p.replace(/^slurm\.(\w+)/, (_, f: string) => where(f === 'extra' ? 'sbatch' : f))));
  const command = text(a.command);
  const commandProblem = command === undefined ? undefined : templateProblem(command);
  if (commandProblem) problems.push(`${where('command')}: ${commandProblem}`);
  const node = text(a.node);
  if (node !== undefined && CONTROL_CHARACTER.test(node)) problems.push(`${where('node')}: "${node}" is not a path`);
  if (executor === 'local') {
    // A local sweep trains with the built-in trainer in child processes: Slurm settings mean nothing there.
    const slurmOnly = (['partition', 'time', 'cpus', 'gpus', 'mem', 'account', 'sbatch', 'command', 'node'] as const).filter((f) => text(a[f] as string | undefined) !== undefined && !(f === 'sbatch' && (extra ?? []).length === 0));
    if (slurmOnly.length > 0) problems.push(`${slurmOnly.map(where).join(', ')}: only with the slurm executor (${where('executor')} slurm)`);
  }
  if (problems.length > 0) return { problems };
  return { choice: { executor: executor as ExecutorName, resources, trainer: command ? { kind: 'command', template: command } : { kind: 'built-in', ...(node ? { node } : {}) } }, problems };
}
