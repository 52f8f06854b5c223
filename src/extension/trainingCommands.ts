// Train a Run and Launch a Sweep: ask for what the settings do not fix, then start the task.
// Both refuse in an untrusted workspace, with a way to manage trust.

import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FitResult } from '../fit/fit';
import type { TrainJob } from '../train/config';
import { isComplete } from '../train/engine';
import { type SweepGrid, compactCount, expandGrid, parseSize } from '../train/grid';
import { type Calibration, calibrationFromFile, describeEstimate, estimateSweep } from '../train/estimate';
import { parseQuantSpec } from '../train/formats';
import { describeSweep } from '../train/options';
import { parseQuantity } from '../runs/quantity';
import { log } from './log';
import { readSettings } from './settings';
import { type Definition, SWEEP_TASK, TRAIN_TASK, jobsForDefinition } from './trainingDefinition';
import { UNTRUSTED_MESSAGE, trainingTask } from './trainingTasks';
import { notificationText } from './markdownText';
import { checkSweepDesign } from './sweepDesign';
import { designSummary } from '../design/summary';
import { COMMANDS } from './commandIds';

const MANAGE_TRUST = 'Manage Workspace Trust';

/** True when training may start; otherwise says why (with a way out) and returns false. */
function mayTrain(): boolean {
  if (!vscode.workspace.isTrusted) {
    log().warn('training refused: the workspace is not trusted');
    void vscode.window.showErrorMessage(UNTRUSTED_MESSAGE, MANAGE_TRUST).then((choice) => {
      if (choice === MANAGE_TRUST) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }
  if (!vscode.workspace.workspaceFolders?.length) {
    void vscode.window.showErrorMessage('Precision Planner: open a folder first; training writes its runs into it.');
    return false;
  }
  return true;
}

const validOrMessage = (check: () => unknown): string | undefined => {
  try {
    check();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

async function trainRun(): Promise<void> {
  if (!mayTrain()) return;
  const t = readSettings().training;
  const title = 'Precision Planner: Train a Run';
  const size = await vscode.window.showInputBox({
    title: `${title} (1/3)`,
    prompt: 'Model size: blocks x width (heads of 32 dimensions; add h<heads> to choose)',
    value: t.size,
    placeHolder: '2x64, 4x128, 4x128h2',
    validateInput: (v) => validOrMessage(() => parseSize(v)),
  });
  if (size === undefined) return;
  const tokens = await vscode.window.showInputBox({
    title: `${title} (2/3)`,
    prompt: 'Training tokens D',
    value: t.tokens,
    placeHolder: '400k, 2M, 1e6',
    validateInput: (v) => (parseQuantity(v) === undefined ? 'A positive number of tokens, like 400k or 2M' : undefined),
  });
  if (tokens === undefined) return;
  const precision = await vscode.window.showInputBox({
    title: `${title} (3/3)`,
    prompt: 'Training precision of weights, activations and KV (fake-quantized)',
    value: t.precision,
    placeHolder: 'fp32, int8, w4a8kv4, e4m3, w:e4m3,a:int8,kv:off',
    validateInput: (v) => validOrMessage(() => parseQuantSpec(v)),
  });
  if (precision === undefined) return;
  const folder = vscode.workspace.workspaceFolders![0];
  const label = `train ${size} on ${compactCount(parseQuantity(tokens) ?? 0)} tokens in ${precision}`;
  await vscode.tasks.executeTask(trainingTask({ type: TRAIN_TASK, size, tokens, precision }, folder, label));
}

/** Throughput of the complete runs this trainer wrote anywhere in the workspace. */
async function workspaceCalibrations(): Promise<Calibration[]> {
  const files = await vscode.workspace.findFiles('**/run.json', '**/node_modules/**', 2000);
  return files.flatMap((uri) => calibrationFromFile(uri.fsPath) ?? []);
}

async function launchSweep(extensionPath: string, fitInUse: () => FitResult | undefined): Promise<void> {
  if (!mayTrain()) return;
  // The user's own sweeps (tasks.json) first, then the one the settings describe.
  const sweeps = await vscode.tasks.fetchTasks({ type: SWEEP_TASK });
  let task = sweeps[0];
  if (sweeps.length > 1) {
    const picked = await vscode.window.showQuickPick(
      sweeps.map((s) => ({ label: s.name, detail: s.source === 'Workspace' ? 'tasks.json' : 'from the precisionPlanner.training settings', task: s })),
      { title: 'Precision Planner: Launch a Sweep', placeHolder: 'Which sweep?' },
    );
    if (!picked) return;
    task = picked.task;
  }
  if (!task) return;
  // The size of the sweep before it starts (a grid grows fast), read as the task will read it,
  // listed in the order it trains, with the time it should take.
  const folder = typeof task.scope === 'object' ? task.scope.uri.fsPath : vscode.workspace.workspaceFolders![0].uri.fsPath;
  let runs: string[];
  let outDir: string;
  let estimate: string;
  let notes: string[];
  let jobs: TrainJob[];
  let parallel: number;
  let where: string;
  const calibrations = await workspaceCalibrations().catch((): Calibration[] => []);
  try {
    const plan = jobsForDefinition(task.definition as Definition, folder, readSettings().training);
    const grid = plan.jobs as SweepGrid;
    notes = grid.notes ?? [];
    jobs = expandGrid(grid);
    const kept = (job: TrainJob): boolean => !plan.rerun && isComplete(path.join(path.resolve(job.outDir), job.name));
    runs = describeSweep(jobs, (job) => (kept(job) ? 'already complete, kept' : undefined));
    outDir = path.relative(folder, grid.outDir) || '.';
    const cores = os.availableParallelism();
    parallel = plan.parallel || cores;
    estimate = describeEstimate(estimateSweep(jobs, { parallel, cores, calibrations, kept }), 'in this workspace');
    const { executor, resources, trainer } = plan.executor;
    const asked = Object.entries(resources).map(([k, v]) => `${k === 'extra' ? 'sbatch' : k} ${Array.isArray(v) ? v.join(' ') : v}`).join(', ');
    where =
      executor === 'slurm'
        ? `Runs are submitted to Slurm as one job array${plan.parallel ? `, ${plan.parallel} at once` : ''}${asked ? ` (${asked})` : ''}, trained by ${trainer.kind === 'command' ? `your command: ${trainer.template}` : 'the built-in trainer'}, and written to "${outDir}"; the estimate is for this machine's cores, not the cluster's.`
        : `Runs train in child processes, one per CPU core unless precisionPlanner.training.parallel says otherwise, and are written to "${outDir}".`;
  } catch (error) {
    void vscode.window.showErrorMessage(notificationText(`Precision Planner: the sweep "${task.name}" is not valid: ${(error as Error).message}`));
    return;
  }
  // What the whole sweep could identify, kept runs included: they are fitted with the new ones.
  const check = await checkSweepDesign(extensionPath, jobs, calibrations, parallel, fitInUse());
  const design = check.status === 'done' ? designSummary(check.result).join('\n') : check.status === 'cancelled' ? 'What the sweep can identify: not checked (cancelled).' : `What the sweep can identify: not checked (${check.message}).`;
  const launch = 'Launch';
  const answer = await vscode.window.showInformationMessage(
    `Launch a sweep of ${runs.length} run(s)?`,
    {
      modal: true,
      detail: `${notes.map((n) => `Note: ${n}.\n`).join('')}Estimated time: ${estimate}.\n\n${design}\n\nIn the order they train:\n${runs.slice(0, 12).join('\n')}${runs.length > 12 ? `\n… and ${runs.length - 12} more` : ''}\n\n${where} Complete runs are kept.`,
    },
    launch,
  );
  if (answer !== launch) return;
  await vscode.tasks.executeTask(task);
}

/** `fitInUse`: the workspace fit predictions use now (undefined: the paper's constants), for the design check. */
export function registerTrainingCommands(extensionPath: string, fitInUse: () => FitResult | undefined): vscode.Disposable[] {
  return [vscode.commands.registerCommand(COMMANDS.trainRun, trainRun), vscode.commands.registerCommand(COMMANDS.launchSweep, () => launchSweep(extensionPath, fitInUse))];
}
