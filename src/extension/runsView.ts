// The Runs view: complete runs grouped by model size, each with D, precision, loss and PTQ
// results; the incomplete ones apart, under one "Incomplete" node grouped by what they lack
// ("lack a training precision · 245 runs"), each with a warning and the reason. Clicking a run
// opens the file it came from.

import * as vscode from 'vscode';
import { lawPtqEntries } from '../fit/points';
import { type Run, incompleteText } from '../runs/run';
import { LACK_LABELS, type LackGroup, lackText, summarizeRuns } from '../runs/summary';
import { count, loss, tokens } from './format';
import type { RunsModel } from './runsModel';
import { runTooltipMarkdown } from './runTooltip';
import { EXTENSION_HINTS } from './statusText';

type Item =
  | { kind: 'size'; params: number | undefined; runs: Run[] }
  | { kind: 'incomplete'; groups: LackGroup[]; runs: number; expanded: boolean }
  | { kind: 'lack'; group: LackGroup }
  | { kind: 'run'; run: Run };

const runsCount = (n: number): string => `${n} run${n === 1 ? '' : 's'}`;

const precisionLabel = (run: Run): string => {
  const p = run.precision;
  if (!p) return 'precision ?';
  return p.w.bits === p.a.bits && p.a.bits === p.kv.bits ? (p.w.name ?? `${p.w.bits}-bit`) : `w${p.w.bits}a${p.a.bits}kv${p.kv.bits}`;
};

export class RunsView implements vscode.TreeDataProvider<Item>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly listener: vscode.Disposable;

  constructor(private readonly model: RunsModel) {
    this.listener = model.onDidChange(() => this.changed.fire());
  }

  dispose(): void {
    this.listener.dispose();
    this.changed.dispose();
  }

  getChildren(item?: Item): Item[] {
    const runs = this.model.current?.runs ?? [];
    if (!item) {
      const groups = new Map<number | undefined, Run[]>();
      const incomplete: Run[] = [];
      for (const run of runs) {
        if (run.missing.length > 0) incomplete.push(run);
        else groups.set(run.params, [...(groups.get(run.params) ?? []), run]);
      }
      const sizes = [...groups.entries()].sort((a, b) => (a[0] ?? Infinity) - (b[0] ?? Infinity)).map(([params, group]): Item => ({ kind: 'size', params, runs: group }));
      if (incomplete.length === 0) return sizes;
      // Apart from the sizes, so 245 runs without a precision are one line, not a warning in every size.
      return [...sizes, { kind: 'incomplete', groups: summarizeRuns(incomplete).lacking, runs: incomplete.length, expanded: sizes.length === 0 }];
    }
    if (item.kind === 'size') {
      return [...item.runs].sort((a, b) => (a.tokens ?? 0) - (b.tokens ?? 0) || precisionLabel(a).localeCompare(precisionLabel(b))).map((run) => ({ kind: 'run', run }));
    }
    if (item.kind === 'incomplete') return item.groups.map((group) => ({ kind: 'lack', group }));
    if (item.kind === 'lack') return [...item.group.runs].sort((a, b) => a.name.localeCompare(b.name)).map((run) => ({ kind: 'run', run }));
    return [];
  }

  getTreeItem(item: Item): vscode.TreeItem {
    if (item.kind === 'size') {
      const t = new vscode.TreeItem(item.params !== undefined ? `N = ${count(item.params)}` : "N unknown", vscode.TreeItemCollapsibleState.Collapsed);
      t.description = runsCount(item.runs.length);
      t.iconPath = new vscode.ThemeIcon('symbol-numeric');
      return t;
    }
    if (item.kind === 'incomplete') {
      const t = new vscode.TreeItem('Incomplete', item.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      t.description = `${runsCount(item.runs)}, not fitted`;
      t.tooltip = `Runs the fit leaves out, by what they lack (a run lacking two fields is under both):\n${item.groups.map((g) => `• ${lackText(g, EXTENSION_HINTS)}`).join('\n')}`;
      t.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      return t;
    }
    if (item.kind === 'lack') {
      const t = new vscode.TreeItem(`lack ${LACK_LABELS[item.group.field]}`, vscode.TreeItemCollapsibleState.Collapsed);
      t.description = runsCount(item.group.runs.length);
      t.tooltip = lackText(item.group, EXTENSION_HINTS);
      t.iconPath = new vscode.ThemeIcon('circle-slash');
      return t;
    }
    const { run } = item;
    const t = new vscode.TreeItem(run.name, vscode.TreeItemCollapsibleState.None);
    // The integer per-channel results (the law's) in the line; every format in the tooltip.
    const main = lawPtqEntries(run.ptq).sort((a, b) => b.bits - a.bits);
    const others = run.ptq.length - main.length;
    const ptq = run.ptq.length > 0 ? ` · PTQ ${main.map((q) => `${q.bits}b ${loss(q.loss)}`).join(', ')}${others > 0 ? `${main.length > 0 ? ' ' : ''}(+${others} more)` : ''}` : '';
    const incomplete = run.missing.length > 0;
    // An incomplete run says why in its line ("cancelled", "loss is NaN"), not just "loss ?".
    const why = incomplete ? ` · ${incompleteText(run)}` : '';
    t.description = `D ${run.tokens !== undefined ? tokens(run.tokens) : '?'} · ${precisionLabel(run)} · loss ${run.finalLoss !== undefined ? loss(run.finalLoss) : '?'}${ptq}${why}`;
    t.iconPath = new vscode.ThemeIcon(incomplete ? 'warning' : run.unfinished ? 'debug-pause' : 'pass', incomplete ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
    // Plain Markdown (never isTrusted or supportHtml): the text comes from the run's files.
    t.tooltip = new vscode.MarkdownString(runTooltipMarkdown(run, precisionLabel(run)));
    t.contextValue = incomplete ? 'run.incomplete' : 'run';
    const line = Math.max(0, (run.sources.finalLoss?.line ?? run.sources.params?.line ?? 1) - 1);
    t.command = { command: 'vscode.open', title: 'Open Run', arguments: [vscode.Uri.file(run.file), { selection: new vscode.Range(line, 0, line, 0) }] };
    return t;
  }
}
