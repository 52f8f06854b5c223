// "Precision: 48 runs · R² 0.97" in the status bar; clicking it shows the dashboard, or fits
// when there is no fit yet. The words are statusText's.

import * as vscode from 'vscode';
import type { FitModel } from './fitModel';
import type { RunsModel } from './runsModel';
import { statusText } from './statusText';
import { COMMANDS } from './commandIds';

export function createStatusBar(runs: RunsModel, fit: FitModel): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('precisionPlanner.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Precision Planner';
  const update = () => {
    const workspace = fit.source === 'workspace';
    const { text, tooltip } = statusText({ runs: runs.current?.runs, fit: workspace ? fit.result : undefined, rejected: fit.rejected?.message });
    item.text = `$(graph-line) ${text}`;
    item.tooltip = `Precision Planner: ${workspace ? `${fit.label}. ` : ''}${tooltip}`;
    item.command = workspace ? COMMANDS.showDashboard : COMMANDS.fit;
    item.show();
  };
  update();
  return vscode.Disposable.from(item, runs.onDidChange(update), fit.onDidChange(update));
}
