// What a `precision-train` or `precision-sweep` task definition asks for, as training jobs: its
// properties checked (tasks.json is user input), the settings filling what it leaves out, paths
// resolved against the workspace folder. Pure: no VS Code API, unit-tested.

import * as path from 'node:path';
import type { TrainJob } from '../train/config';
import type { SweepGrid } from '../train/engine';
import { isInside } from '../train/runFolder';
import { type SweepArgs, type TrainArgs, gridFromArgs, jobFromArgs } from '../train/options';
import type { TrainingSettings } from './settings';

export const TRAIN_TASK = 'precision-train';
export const SWEEP_TASK = 'precision-sweep';

/** Properties of a task definition, as tasks.json may write them. */
export type Definition = { type: string } & Record<string, unknown>;

// Which properties each task type takes, and what they may hold. tasks.json is user input:
// anything else is refused with the property's name rather than failing deep in the trainer.
const SCALAR = ['string', 'number'] as const;
const PROPERTIES: Record<string, Record<string, 'text' | 'list' | 'boolean' | 'count' | 'parts'>> = {
  common: { out: 'text', batch: 'text', context: 'text', lr: 'text', corpus: 'list', ptqBits: 'list', ptqGroups: 'list', evalTokens: 'text', evalEvery: 'text', mlp: 'text', positions: 'text', untied: 'boolean', name: 'text' },
  [TRAIN_TASK]: { size: 'text', tokens: 'text', precision: 'text', seed: 'text' },
  [SWEEP_TASK]: { sizes: 'list', tokens: 'list', precisions: 'list', seeds: 'list', also: 'parts', parallel: 'count', rerun: 'boolean' },
};

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
      kind === 'parts'
        ? Array.isArray(value) && value.every(part)
        : kind === 'boolean'
        ? typeof value === 'boolean'
        : kind === 'count'
          ? Number.isInteger(value) && (value as number) >= 0
          : kind === 'list'
            ? list(value)
            : scalar(value);
    if (!ok) throw new Error(`property "${key}" must be ${kind === 'parts' ? 'a list of grid parts ({ "sizes": ..., "tokens": ..., "precisions": ..., "seeds": ... })' : kind === 'list' ? 'a string, a number or a list of them' : kind === 'count' ? 'a whole number (0: one per core)' : kind === 'boolean' ? 'true or false' : 'a string or a number'}, got ${JSON.stringify(value)}`);
  }
}

const asText = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
const asList = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : String(v).split(',').map((s) => s.trim()).filter(Boolean));

/** The jobs of a task definition, with the settings filling what it leaves out. Throws with the reason. */
export function jobsForDefinition(def: Definition, folder: string, t: TrainingSettings): { jobs: TrainJob[] | SweepGrid; parallel: number; rerun: boolean } {
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
    return { jobs: [jobFromArgs(args)], parallel: 1, rerun: true };
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
  return { jobs: gridFromArgs(args), parallel: parallel ?? 0, rerun: def.rerun === true };
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
