// What a `precision-train` or `precision-sweep` task definition asks for, as training jobs: its
// properties checked (tasks.json is user input), the settings filling what it leaves out, paths
// resolved against the workspace folder. Pure: no VS Code API, unit-tested.

import * as path from 'node:path';
import type { TrainJob } from '../train/config';
import type { SweepGrid } from '../train/grid';
import { isInside } from '../train/runFolder';
import { type SweepArgs, type TrainArgs, gridFromArgs, jobFromArgs } from '../train/options';
import type { TrainingSettings } from './settings';
import { type ExecutorChoice, readExecutor } from '../sweep/executorOptions';

export const TRAIN_TASK = 'precision-train';
export const SWEEP_TASK = 'precision-sweep';

/** Properties of a task definition, as tasks.json may write them. */
export type Definition = { type: string } & Record<string, unknown>;

// Which properties each task type takes, and what they may hold. tasks.json is user input:
// anything else is refused with the property's name rather than failing deep in the trainer.
const SCALAR = ['string', 'number'] as const;
export const PROPERTIES: Record<string, Record<string, 'text' | 'list' | 'boolean' | 'count' | 'parts' | 'slurm'>> = {
  common: { out: 'text', batch: 'text', context: 'text', lr: 'text', corpus: 'list', ptqBits: 'list', ptqGroups: 'list', evalTokens: 'text', evalEvery: 'text', mlp: 'text', positions: 'text', untied: 'boolean', name: 'text' },
  [TRAIN_TASK]: { size: 'text', tokens: 'text', precision: 'text', seed: 'text' },
  [SWEEP_TASK]: { sizes: 'list', tokens: 'list', precisions: 'list', seeds: 'list', also: 'parts', parallel: 'count', rerun: 'boolean', executor: 'text', slurm: 'slurm', command: 'text', node: 'text', poll: 'text' },
};

/** The resources a task's "slurm" object may set (each a string or number; sbatch a list of options too). */
export const SLURM_KEYS = ['partition', 'time', 'cpus', 'gpus', 'mem', 'account', 'sbatch'] as const;

const VSCODE_TASK_KEYS = new Set(['label', 'detail', 'icon', 'group', 'presentation', 'problemMatcher', 'dependsOn', 'dependsOrder', 'isBackground', 'runOptions', 'hide', 'options', 'promptOnClose']);

/** The definition's properties, checked for type; throws naming the property. */
export function checkDefinition(def: Definition): void {
  const allowed = { ...PROPERTIES.common, ...PROPERTIES[def.type] };
  for (const [key, value] of Object.entries(def)) {
    // VS Code's own task keys (and its internal "_key") are not ours to check.
    if (key === 'type' || key.startsWith('_') || VSCODE_TASK_KEYS.has(key) || value === undefined) continue;
    const kind = allowed[key];
    if (!kind) throw new Error(`unknown property "${key}" (${Object.keys(allowed).join(', ')})`);
    const scalar = (v: unknown): boolean => (SCALAR as readonly string[]).includes(typeof v);
    const list = (v: unknown): boolean => scalar(v) || (Array.isArray(v) && v.every(scalar));
    // A part is an object of lists; its keys are checked where it is read (gridPart).
    const part = (v: unknown): boolean => typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(list));
    const ok =
      kind === 'slurm'
        ? typeof value === 'object' && value !== null && !Array.isArray(value) && Object.entries(value).every(([k, v]) => (SLURM_KEYS as readonly string[]).includes(k) && list(v))
        : kind === 'parts'
        ? Array.isArray(value) && value.every(part)
        : kind === 'boolean'
        ? typeof value === 'boolean'
        : kind === 'count'
          ? Number.isInteger(value) && (value as number) >= 0
          : kind === 'list'
            ? list(value)
            : scalar(value);
    if (!ok) throw new Error(`property "${key}" must be ${kind === 'slurm' ? `an object of Slurm resources (${SLURM_KEYS.join(', ')})` : kind === 'parts' ? 'a list of grid parts ({ "sizes": ..., "tokens": ..., "precisions": ..., "seeds": ... })' : kind === 'list' ? 'a string, a number or a list of them' : kind === 'count' ? 'a whole number (0: one per core)' : kind === 'boolean' ? 'true or false' : 'a string or a number'}, got ${JSON.stringify(value)}`);
  }
}

const asText = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
const asList = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : String(v).split(',').map((s) => s.trim()).filter(Boolean));

/** The jobs of a task definition, with the settings filling what it leaves out. Throws with the reason. */
export function jobsForDefinition(def: Definition, folder: string, t: TrainingSettings): { jobs: TrainJob[] | SweepGrid; parallel: number; rerun: boolean; executor: ExecutorChoice; pollSeconds?: number } {
  checkDefinition(def);
  const resolve = (p: string): string => path.resolve(folder, p);
  const common = {
    out: resolve(asText(def.out) ?? t.outDir),
    batch: asText(def.batch),
    context: asText(def.context),
    lr: asText(def.lr),
    corpus: (asList(def.corpus) ?? t.corpus).map(resolve),
    ptqBits: (asList(def.ptqBits) ?? t.ptqBits.map(String)).join(','),
    ptqGroups: asList(def.ptqGroups)?.join(','),
    evalTokens: asText(def.evalTokens),
    evalEvery: asText(def.evalEvery),
    mlp: asText(def.mlp),
    positions: asText(def.positions),
    untied: def.untied === true,
  };
  if (def.type === TRAIN_TASK) {
    const args: TrainArgs = { ...common, size: asText(def.size) ?? t.size, tokens: asText(def.tokens) ?? t.tokens, precision: asText(def.precision) ?? t.precision, name: asText(def.name), seed: asText(def.seed) };
    return { jobs: [jobFromArgs(args)], parallel: 1, rerun: true, executor: { executor: 'local', resources: {}, trainer: { kind: 'built-in' } } };
  }
  const args: SweepArgs = {
    ...common,
    sizes: asList(def.sizes) ?? t.sweepSizes,
    tokens: asList(def.tokens) ?? t.sweepTokens,
    precisions: asList(def.precisions) ?? t.sweepPrecisions,
    seeds: asList(def.seeds),
    also: def.also as SweepArgs['also'],
    name: asText(def.name),
  };
  const parallel = (def.parallel as number | undefined) || t.parallel || undefined;
  const poll = def.poll === undefined ? undefined : Number(def.poll);
  if (poll !== undefined && !(poll >= 0.2)) throw new Error(`property "poll" must be a number of seconds (at least 0.2), got ${JSON.stringify(def.poll)}`);
  const executor = executorForDefinition(def, t);
  if (poll !== undefined && executor.executor !== 'slurm') throw new Error('property "poll": only with the slurm executor ("executor": "slurm")');
  return { jobs: gridFromArgs(args), parallel: parallel ?? 0, rerun: def.rerun === true, executor, ...(poll !== undefined ? { pollSeconds: poll } : {}) };
}

/**
 * The executor a sweep task runs on: the task's "executor", "slurm", "command" and "node", the
 * settings for what it leaves out (a task's slurm object over the setting's, key by key). A bad
 * value throws, naming the property as the task or the setting spells it.
 */
export function executorForDefinition(def: Definition, t: TrainingSettings): ExecutorChoice {
  const fromTask = (key: string): boolean => def[key] !== undefined;
  const taskSlurm = (def.slurm as Record<string, unknown> | undefined) ?? {};
  const slurm = { ...t.slurm, ...taskSlurm };
  const text = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
  const { choice, problems } = readExecutor(
    {
      executor: text(def.executor) ?? t.executor,
      partition: text(slurm.partition),
      time: text(slurm.time),
      cpus: text(slurm.cpus),
      gpus: text(slurm.gpus),
      mem: text(slurm.mem),
      account: text(slurm.account),
      sbatch: Array.isArray(slurm.sbatch) ? slurm.sbatch.map(String) : text(slurm.sbatch),
      command: text(def.command) ?? t.command,
      node: text(def.node) ?? t.node,
    },
    (field) => {
      if (field === 'executor' || field === 'command' || field === 'node') return fromTask(field) ? `property "${field}"` : `setting precisionPlanner.training.${field}`;
      return field in taskSlurm ? `property "slurm.${field}"` : `setting precisionPlanner.training.slurm.${field}`;
    },
  );
  if (!choice) throw new Error(problems.join('; '));
  return choice;
}

/**
 * The warning for an output folder outside every workspace folder (training writes there, and a
 * tasks.json from a cloned repository may name any folder: "/", "~/.ssh", "../.."), or
 * undefined when it lies inside one. Give real paths (realPathOf) to see through links.
 */
export function outsideWorkspaceWarning(workspaceFolders: readonly string[], outDir: string, ignoreCase?: boolean): string | undefined {
  if (isInside(workspaceFolders, outDir, ignoreCase)) return undefined;
  const where = workspaceFolders.length === 1 ? `the workspace folder ${workspaceFolders[0]}` : workspaceFolders.length > 1 ? `the workspace folders (${workspaceFolders.join(', ')})` : 'any workspace folder';
  return `The output folder ${outDir} (the task's "out", or the precisionPlanner.training.outDir setting) lies outside ${where}. Train and write the runs there?`;
}
