// Extension entry point. Activation only wires things up: the first scan starts right after,
// in the background, and fits run in a worker thread on request.

import * as vscode from 'vscode';
import { autoRefit } from './extension/autoRefit';
import { registerCommands } from './extension/commands';
import { CONFIG_SELECTOR, ConfigAssistant } from './extension/configHover';
import { Dashboard } from './extension/dashboard';
import { FitModel } from './extension/fitModel';
import { log } from './extension/log';
import { RunsModel } from './extension/runsModel';
import { RunsView } from './extension/runsView';
import { onSettingsChanged, settingsProblemsReporter } from './extension/settings';
import { createStatusBar } from './extension/statusBar';
import { registerSuggestNextRuns } from './extension/suggestNextRuns';
import { registerTrainingCommands } from './extension/trainingCommands';
import { cancelAllTraining, registerTrainingTasks } from './extension/trainingTasks';
import { COMMANDS } from './extension/commandIds';

export function activate(context: vscode.ExtensionContext): void {
  const started = Date.now();
  const runs = new RunsModel();
  const reportSettingsProblems = settingsProblemsReporter();
  const fit = new FitModel(context.workspaceState, context.extensionPath);
  const assistant = new ConfigAssistant(fit);
  const dashboard = new Dashboard(context, runs, fit);
  const runsView = new RunsView(runs);
  const view = vscode.window.createTreeView('precisionPlanner.runs', { treeDataProvider: runsView, showCollapseAll: true });
  context.subscriptions.push(
    runs.onDidChange((r) => {
      void vscode.commands.executeCommand('setContext', 'precisionPlanner.hasRuns', r.runs.length > 0);
    }),
    runsView,
    log(),
    runs,
    fit,
    assistant,
    dashboard,
    vscode.commands.registerCommand(COMMANDS.showDashboard, () => dashboard.show()),
    view,
    createStatusBar(runs, fit),
    autoRefit(runs, fit),
    vscode.languages.registerHoverProvider(CONFIG_SELECTOR, assistant),
    vscode.languages.registerCodeLensProvider(CONFIG_SELECTOR, assistant),
    onSettingsChanged(() => runs.scheduleRescan()),
    onSettingsChanged(reportSettingsProblems),
    ...registerCommands(context, runs, fit),
    ...registerTrainingTasks(),
    ...registerTrainingCommands(context.extensionPath, () => (fit.prefersPaper ? undefined : fit.result)),
    registerSuggestNextRuns(context.extensionPath, runs, fit),
  );
  setTimeout(() => {
    void runs.rescan();
    reportSettingsProblems();
  }, 0);
  log().info(`activated in ${Date.now() - started} ms`);
}

/** Training tasks' runs are cancelled (their run.json says so), with a bounded wait. */
export function deactivate(): Promise<void> {
  return cancelAllTraining('VS Code closed the extension (deactivate)');
}
