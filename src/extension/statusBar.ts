// "Precision: 48 runs · R² 0.97" in the status bar; clicking it shows the dashboard, or fits
// when there is no fit yet. Without a workspace fit it counts the complete runs among those
// found ("0 of 7 complete"), and says when a fit was not used.

import * as vscode from 'vscode';
import { isComplete } from '../runs/run';
import type { FitModel } from './fitModel';
import type { RunsModel } from './runsModel';

export function createStatusBar(runs: RunsModel, fit: FitModel): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('precisionPlanner.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Precision Planner';
  const update = () => {
    const found = runs.current?.runs;
    const r = fit.result;
    const rejected = fit.rejected ? `\n\nThe latest fit was not used: ${fit.rejected.message}.` : '';
    if (fit.source === 'workspace' && r?.metrics.all) {
      item.text = `$(graph-line) Precision: ${r.data.runs} runs · R² ${r.metrics.all.r2.toFixed(3)}`;
      item.tooltip = `Precision Planner: ${fit.label}. Click for the dashboard.${rejected}`;
    } else {
      const complete = found?.filter(isComplete).length;
      const counted = found === undefined ? '…' : complete === found.length ? `${found.length} runs` : `${complete} of ${found.length} runs complete`;
      item.text = `$(graph-line) Precision: ${counted} · paper constants${fit.rejected ? ' (fit not used)' : ''}`;
      item.tooltip = `Precision Planner: predictions use the paper constants. Click to fit the workspace runs.${rejected}`;
    }
    item.command = fit.source === 'workspace' ? 'precisionPlanner.showDashboard' : 'precisionPlanner.fit';
    item.show();
  };
  update();
  return vscode.Disposable.from(item, runs.onDidChange(update), fit.onDidChange(update));
}
