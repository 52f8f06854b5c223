// Every setting is read here, under the "precisionPlanner" section of contributes.configuration.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { type AliasTable, extendAliases } from '../runs/aliases';
import { DEFAULT_PRECISION_SETTING, type PrecisionDefaults, parseDefaultPrecisionSetting } from '../runs/defaults';
import type { CostModel } from '../law/cost';
import type { Format } from '../law/formats';
import { notificationText } from './markdownText';
import { planSettings } from './planSettings';
import type { GridPartArgs } from '../train/options';
import { SETTING_DEFAULTS as D } from './settingDefaults';

export interface Settings {
  include: string[];
  exclude: string[];
  aliases: AliasTable;
  /** A scan taking longer is stopped (its results so far dropped, the previous ones kept); 0: never. */
  scanTimeoutSeconds: number;
  /** Bits a model is served in when a config does not say; used for D_crit warnings. */
  inferenceBits: number;
  /** From precisionPlanner.costModel: a built-in id or a throughput table (see planSettings). */
  cost: CostModel;
  /** From precisionPlanner.plan.formats; undefined: the cost table's formats, else the default set. */
  formats?: Format[];
  /** Problems with the plan settings, each naming the setting and field; defaults stand in. */
  planErrors: string[];
  fitBootstrap: number;
  /** The fit's loss when the user set one; absent, the fit compares Huber and squares on held-out data. */
  fitLoss?: 'huber' | 'squares';
  /** Factor beyond the fitted runs in N or D past which a prediction is called an extrapolation. */
  extrapolationThreshold: number;
  training: TrainingSettings;
}

/** Defaults of the Train a Run and Launch a Sweep commands and of tasks that leave them out. */
export interface TrainingSettings {
  /** Where runs are written, relative to the workspace folder. */
  outDir: string;
  size: string;
  tokens: string;
  precision: string;
  sweepSizes: string[];
  sweepTokens: string[];
  sweepPrecisions: string[];
  /** More cross products of the default sweep (GridPartArgs: sizes, tokens, precisions, seeds). */
  sweepAlso: GridPartArgs[];
  /** Runs at once; 0: one per CPU core. */
  parallel: number;
  ptqBits: number[];
  /** Text files or folders to train on, relative to the workspace folder; empty: the Brown corpus. */
  corpus: string[];
  /** Where sweeps run: "local" child processes or a "slurm" job array. */
  executor: string;
  /** Slurm resources of a sweep (partition, time, cpus, gpus, mem, account, sbatch), as the setting holds them. */
  slurm: Record<string, unknown>;
  /**
   * The user's training command template, from the user's (or the remote machine's) settings
   * only: a workspace's settings.json cannot make the product run a command (machine scope).
   */
  command?: string;
  /** The node binary of the built-in trainer's Slurm jobs (machine scope, as the command). */
  node?: string;
}

const scanTimeout = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : D['runs.scanTimeoutSeconds']);
const threshold = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) && x >= 1 ? x : D.extrapolationThreshold);

const objectSetting = (x: unknown): Record<string, unknown> => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {});

/**
 * A setting read from the user's or the remote machine's settings alone: where a value would
 * make the product run a command, a workspace (a cloned repository's .vscode/settings.json)
 * must not give it. The manifest declares these "machine" scoped; this reads them so as well.
 */
function machineText<K extends string>(c: vscode.WorkspaceConfiguration, key: string, as: K): Partial<Record<K, string>> {
  const i = c.inspect<unknown>(key);
  const value = i?.globalValue;
  return typeof value === 'string' && value.trim() !== '' ? ({ [as]: value } as Record<K, string>) : {};
}

/** Whether the user (or the workspace) gave a setting a value, rather than it showing its default. */
function userSet(c: vscode.WorkspaceConfiguration, key: string): boolean {
  const i = c.inspect(key);
  return i !== undefined && (i.globalValue !== undefined || i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined);
}

/** The fit's options from the settings: what the user pinned, the rest chosen by the fit. */
export function fitOptions(settings: Settings): { bootstrap: number; loss?: 'huber' | 'squares' } {
  return { bootstrap: settings.fitBootstrap, ...(settings.fitLoss ? { loss: settings.fitLoss } : {}) };
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('precisionPlanner');
  const strings = (key: string, fallback: readonly string[]) => {
    const v = c.get<unknown>(key);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [...fallback];
  };
  const aliases = c.get<unknown>('aliases');
  const planned = planSettings({ costModel: c.get<unknown>('costModel'), formats: c.get<unknown>('plan.formats') });
  return {
    include: strings('runs.include', D['runs.include']),
    exclude: strings('runs.exclude', D['runs.exclude']),
    aliases: extendAliases(aliases && typeof aliases === 'object' ? (aliases as Record<string, string[]>) : {}),
    scanTimeoutSeconds: scanTimeout(c.get<unknown>('runs.scanTimeoutSeconds')),
    inferenceBits: c.get<number>('inferenceBits', D.inferenceBits),
    cost: planned.cost,
    ...(planned.formats ? { formats: planned.formats } : {}),
    planErrors: planned.errors,
    fitBootstrap: Math.max(0, Math.min(1000, Math.round(c.get<number>('fit.bootstrap', D['fit.bootstrap'])))),
    ...(userSet(c, 'fit.loss') ? { fitLoss: c.get<string>('fit.loss') === 'squares' ? 'squares' : 'huber' } : {}),
    extrapolationThreshold: threshold(c.get<unknown>('extrapolationThreshold')),
    training: {
      outDir: c.get<string>('training.outDir', D['training.outDir']) || D['training.outDir'],
      size: c.get<string>('training.size', D['training.size']),
      tokens: c.get<string>('training.tokens', D['training.tokens']),
      precision: c.get<string>('training.precision', D['training.precision']),
      sweepSizes: strings('training.sweep.sizes', D['training.sweep.sizes']),
      sweepTokens: strings('training.sweep.tokens', D['training.sweep.tokens']),
      sweepPrecisions: strings('training.sweep.precisions', D['training.sweep.precisions']),
      // Checked where the sweep is read (gridFromArgs), with the setting's name in the error.
      sweepAlso: Array.isArray(c.get<unknown>('training.sweep.also')) ? (c.get<unknown[]>('training.sweep.also') as GridPartArgs[]) : [...D['training.sweep.also']],
      parallel: Math.max(0, Math.round(c.get<number>('training.parallel', D['training.parallel']))),
      ptqBits: (c.get<unknown[]>('training.ptqBits', [...D['training.ptqBits']]) ?? []).filter((b): b is number => typeof b === 'number'),
      corpus: strings('training.corpus', D['training.corpus']),
      executor: c.get<string>('training.executor', D['training.executor']) || D['training.executor'],
      slurm: objectSetting(c.get<unknown>('training.slurm')),
      ...machineText(c, 'training.command', 'command'),
      ...machineText(c, 'training.node', 'node'),
    },
  };
}

/**
 * precisionPlanner.runs.defaultPrecision of each workspace folder (the setting can differ per
 * folder), keyed by the folder's path as the scan resolves it, with the settings file it came
 * from (the source every value it supplies records); and what is wrong with it, naming the setting.
 */
export function defaultPrecisionSettings(folders: readonly vscode.WorkspaceFolder[] = vscode.workspace.workspaceFolders ?? []): { byRoot: Map<string, PrecisionDefaults>; errors: string[] } {
  const byRoot = new Map<string, PrecisionDefaults>();
  const errors = new Set<string>();
  for (const folder of folders) {
    if (folder.uri.scheme !== 'file') continue;
    const i = vscode.workspace.getConfiguration('precisionPlanner', folder.uri).inspect<unknown>('runs.defaultPrecision');
    const folderSettings = path.join(folder.uri.fsPath, '.vscode', 'settings.json');
    const workspaceFile = vscode.workspace.workspaceFile?.scheme === 'file' ? vscode.workspace.workspaceFile.fsPath : folderSettings;
    const [value, file] =
      i?.workspaceFolderValue !== undefined
        ? [i.workspaceFolderValue, folderSettings]
        : i?.workspaceValue !== undefined
          ? [i.workspaceValue, workspaceFile]
          : [i?.globalValue, 'user settings.json'];
    const parsed = parseDefaultPrecisionSetting(value, file, DEFAULT_PRECISION_SETTING);
    for (const e of parsed.errors) errors.add(e);
    if (parsed.defaults) byRoot.set(path.resolve(folder.uri.fsPath), parsed.defaults);
  }
  return { byRoot, errors: [...errors] };
}

/**
 * Says once what is wrong with the planning settings (a cost table or format list that does not
 * parse): the hover and the dashboard then plan with the defaults, and the user should know; and
 * with the default precision of runs (a name not in the vocabulary: those runs stay incomplete).
 * Called at activation and on every change of the settings; a problem already said is not repeated.
 */
export function settingsProblemsReporter(): () => void {
  let said = '';
  return () => {
    const problems = [...readSettings().planErrors, ...defaultPrecisionSettings().errors];
    const key = problems.join('\n');
    if (key === said) return;
    said = key;
    // A problem quotes the setting's value, which a workspace's settings.json can set to a link.
    for (const problem of problems) void vscode.window.showWarningMessage(`Precision Planner: ${notificationText(problem)}.`, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'precisionPlanner');
    });
  };
}

export function onSettingsChanged(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('precisionPlanner')) listener();
  });
}
