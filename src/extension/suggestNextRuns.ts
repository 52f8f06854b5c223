// Suggest Next Runs: given the workspace fit in use and a target — the config open in the editor,
// else the plan at a compute budget the user types — the runs within a CPU-hour budget that most
// narrow the target's 95% prediction interval (src/sweep/suggest), simulated in a worker thread
// with progress and a Cancel. The answer says how much narrower, and launches as a sweep on the
// executor the settings name (local or Slurm), through the same precision-sweep task as any other.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { intervalText } from '../fit/interval';
import { pointsFromRuns } from '../fit/points';
import { parseQuantity } from '../runs/quantity';
import { candidateRuns, fewestTokensPerParam, repeatedDataNote, tokensPerParamNote } from '../sweep/candidates';
import { DEFAULT_BUDGET_HOURS, DEFAULT_SUGGEST_RUNS, DEFAULT_SUGGEST_SIMULATIONS, type SuggestOptions, type SuggestResult } from '../sweep/suggest';
import { suggestionGrid } from '../sweep/suggestionGrid';
import { type TargetReading, configTarget, planTarget } from '../sweep/suggestTarget';
import { canonicalSize } from '../train/grid';
import { calibrationFromFile, tokensPerPassOf } from '../train/estimate';
import type { FitModel } from './fitModel';
import { log } from './log';
import { notificationText } from './markdownText';
import type { RunsModel } from './runsModel';
import { readSettings } from './settings';
import { SWEEP_TASK } from './trainingDefinition';
import { trainingTask } from './trainingTasks';
import { withWorkerProgress } from './workerProgress';
import { COMMANDS } from './commandIds';

/** The simulation in a worker, with a progress notification and Cancel. */
const simulate = (extensionPath: string, options: Omit<SuggestOptions, 'onProgress'>) =>
  withWorkerProgress<SuggestResult>(path.join(extensionPath, 'dist', 'suggestWorker.js'), options, 'Precision Planner: simulating the next runs', 'simulated refit');

/** The target: the config in the active editor when it gives N and D, else a compute budget the user types. */
async function target(fit: FitModel): Promise<TargetReading | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.uri.scheme === 'file') {
    const reading = configTarget(editor.document.getText(), editor.document.fileName, readSettings().aliases);
    if ('target' in reading) return { target: { ...reading.target, label: `the config ${vscode.workspace.asRelativePath(editor.document.uri)}` } };
  }
  const typed = await vscode.window.showInputBox({
    title: 'Precision Planner: Suggest Next Runs (target)',
    prompt: 'Compute budget of the run you are planning, in FLOPs: the runs suggested narrow the prediction at the plan for it (or open a training config first)',
    value: '1e18',
    validateInput: (v) => (parseQuantity(v) === undefined ? 'A positive number of FLOPs, like 1e18 or 3e21' : undefined),
  });
  if (typed === undefined) return undefined;
  return planTarget(fit.constants, parseQuantity(typed)!);
}

/** What the answer says, in the modal's detail. */
export function suggestionText(r: SuggestResult): string {
  const lines = [r.message, ''];
  for (const s of r.runs) lines.push(`${s.name}: N ${s.params.toLocaleString('en-US')}, D ${s.tokens.toLocaleString('en-US')}, ${s.precision}, ${s.cost.cpuHours.toPrecision(2)} CPU-hours${s.intervalExpected ? `; interval then ${intervalText(s.intervalExpected)}` : ''}`);
  if (r.intervalNow) lines.push('', `95% prediction interval at the target now: ${intervalText(r.intervalNow)}.`);
  if (r.intervalExpected && r.narrowing) lines.push(`Expected with the runs: ${intervalText(r.intervalExpected)}, ${Math.round(100 * r.narrowing.fraction)}% narrower (${r.narrowing.nats.toPrecision(2)} nats).`);
  lines.push(`By ${r.measure.simulations} simulated refits: runs drawn from ${r.truth.source}, noise ${r.noise.train.toPrecision(2)} nats a run (${r.noise.source}).`);
  if (r.runs.length > 0) lines.push(`CPU time ${r.budget.spent.toPrecision(2)} of ${r.budget.hours} hours, from ${r.runs[0].cost.text}.`);
  for (const note of r.notes) lines.push(`Note: ${note}`);
  return lines.join('\n');
}

async function suggestNextRuns(extensionPath: string, runs: RunsModel, fit: FitModel): Promise<void> {
  const result = fit.prefersPaper ? undefined : fit.result;
  if (!result?.ok) {
    void vscode.window.showInformationMessage('Precision Planner: Suggest Next Runs starts from a workspace fit; fit the runs first (Precision Planner: Fit Scaling Law).');
    return;
  }
  const reading = await target(fit);
  if (!reading) return;
  if ('problem' in reading) {
    void vscode.window.showErrorMessage(notificationText(`Precision Planner: Suggest Next Runs: ${reading.problem}`));
    return;
  }
  const budget = await vscode.window.showInputBox({
    title: 'Precision Planner: Suggest Next Runs (budget)',
    prompt: 'CPU-hours the next runs may take (the built-in trainer; measured throughput of the workspace runs)',
    value: String(DEFAULT_BUDGET_HOURS),
    validateInput: (v) => (Number(v) > 0 ? undefined : 'A positive number of CPU-hours'),
  });
  if (budget === undefined) return;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return;
  const t = readSettings().training;
  const outDir = path.resolve(folder.uri.fsPath, t.outDir);
  const { points } = pointsFromRuns(runs.current?.runs ?? []);
  // The trainer's complete runs anywhere in the workspace: their throughput and their data's size.
  const manifests = await vscode.workspace.findFiles('**/run.json', '**/node_modules/**', 2000).then((uris) => uris.map((u) => u.fsPath), () => [] as string[]);
  const calibrations = manifests.flatMap((file) => calibrationFromFile(file) ?? []);
  const tokensPerPass = tokensPerPassOf(manifests);
  const candidates = candidateRuns(points, reading.target, { outDir, calibrations, calibrationSource: 'in this workspace', ...(tokensPerPass ? { tokensPerPass } : {}) });
  const answer = await simulate(extensionPath, { fit: result, fitLabel: 'the workspace fit', points, target: reading.target, candidates, budgetHours: Number(budget), runs: DEFAULT_SUGGEST_RUNS, simulations: DEFAULT_SUGGEST_SIMULATIONS, seed: 0 });
  if (answer.status === 'cancelled') return;
  if (answer.status === 'failed') {
    log().error(`suggest next runs: ${answer.message}`);
    void vscode.window.showErrorMessage(notificationText(`Precision Planner: Suggest Next Runs failed: ${answer.message}`));
    return;
  }
  const r = answer.result;
  r.notes.push(tokensPerParamNote(fewestTokensPerParam(points)));
  if (tokensPerPass) r.notes.push(repeatedDataNote(tokensPerPass));
  log().info(`suggest next runs (${r.target.label}): ${r.status}; ${r.runs.map((s) => s.name).join(', ') || 'none'}`);
  const launch = 'Launch as a Sweep';
  const choice = await vscode.window.showInformationMessage(
    r.runs.length > 0 ? `Precision Planner: ${r.runs.length} run(s) to narrow the prediction at ${r.target.label}` : `Precision Planner: no run to suggest for ${r.target.label}`,
    { modal: true, detail: suggestionText(r) },
    ...(r.runs.length > 0 ? [launch] : []),
  );
  if (choice !== launch) return;
  // The suggested runs as a precision-sweep task: the executor, resources and trainer from the settings.
  const grid = suggestionGrid(r.runs, outDir);
  const definition = {
    type: SWEEP_TASK,
    out: path.relative(folder.uri.fsPath, outDir) || '.',
    sizes: grid.sizes.map(canonicalSize),
    tokens: grid.tokens.map(String),
    precisions: grid.precisions,
    ...(grid.also && grid.also.length > 0 ? { also: grid.also.map((p) => ({ ...p, ...(p.sizes ? { sizes: p.sizes.map(canonicalSize) } : {}), ...(p.tokens ? { tokens: p.tokens.map(String) } : {}) })) } : {}),
    name: 'suggested',
  };
  await vscode.tasks.executeTask(trainingTask(definition, folder, `suggested runs for ${r.target.label}`));
}

export function registerSuggestNextRuns(extensionPath: string, runs: RunsModel, fit: FitModel): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.suggestNextRuns, () => suggestNextRuns(extensionPath, runs, fit));
}
