// "Precision: 48 runs · R² 0.97" in the status bar; clicking it shows the dashboard, or fits
// when there is no fit yet.

import * as vscode from 'vscode';
import { incompleteText } from '../runs/run';
import type { FitModel } from './fitModel';
import type { RunsModel } from './runsModel';

export function createStatusBar(runs: RunsModel, fit: FitModel): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('precisionPlanner.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Precision Planner';
  const update = () => {
    const n = runs.current?.runs.filter((r) => r.missing.length === 0).length;
    // Incomplete runs by why ("2 cancelled, 1 loss is NaN"), so a lower count than expected is explained.
    const why = new Map<string, number>();
    for (const r of runs.current?.runs ?? []) if (r.missing.length > 0) why.set(incompleteText(r), (why.get(incompleteText(r)) ?? 0) + 1);
    const reasons = [...why.entries()].sort((a, b) => b[1] - a[1]);
    const incomplete = reasons.length > 0 ? ` Not fitted: ${reasons.slice(0, 3).map(([text, k]) => `${k} ${text}`).join(', ')}${reasons.length > 3 ? ', …' : ''}.` : '';
    const r = fit.result;
    if (fit.source === 'workspace' && r?.metrics.all) {
      item.text = `$(graph-line) Precision: ${r.data.runs} runs · R² ${r.metrics.all.r2.toFixed(3)}`;
      item.tooltip = `Precision Planner: ${fit.label}.${incomplete} Click for the dashboard.`;
    } else {
      item.text = `$(graph-line) Precision: ${n ?? '…'} runs · paper constants`;
      item.tooltip = `Precision Planner: predictions use the paper constants.${incomplete} Click to fit the workspace runs.`;
    }
    item.command = fit.source === 'workspace' ? 'precisionPlanner.showDashboard' : 'precisionPlanner.fit';
    item.show();
  };
  update();
  return vscode.Disposable.from(item, runs.onDidChange(update), fit.onDidChange(update));
}
