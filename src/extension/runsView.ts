// The Runs view: runs grouped by model size, each with D, precision, loss and PTQ results;
// incomplete runs with a warning and the reason. Clicking a run opens the file it came from.

import * as vscode from 'vscode';
import { lawPtqEntries } from '../fit/points';
import { formatLabel } from '../ptq/samples';
import { FIELD_LABELS, type Run, incompleteText } from '../runs/run';
import { count, loss, tokens } from './format';
import type { RunsModel } from './runsModel';

type Item = { kind: 'size'; params: number | undefined; runs: Run[] } | { kind: 'run'; run: Run };

const precisionLabel = (run: Run): string => {
  const p = run.precision;
  if (!p) return 'precision ?';
  return p.w.bits === p.a.bits && p.a.bits === p.kv.bits ? (p.w.name ?? `${p.w.bits}-bit`) : `w${p.w.bits}a${p.a.bits}kv${p.kv.bits}`;
};

export class RunsView implements vscode.TreeDataProvider<Item> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly model: RunsModel) {
    model.onDidChange(() => this.changed.fire());
  }

  getChildren(item?: Item): Item[] {
    const runs = this.model.current?.runs ?? [];
    if (!item) {
      const groups = new Map<number | undefined, Run[]>();
      for (const run of runs) groups.set(run.params, [...(groups.get(run.params) ?? []), run]);
      return [...groups.entries()].sort((a, b) => (a[0] ?? Infinity) - (b[0] ?? Infinity)).map(([params, group]) => ({ kind: 'size', params, runs: group }));
    }
    if (item.kind === 'size') {
      return [...item.runs].sort((a, b) => (a.tokens ?? 0) - (b.tokens ?? 0) || precisionLabel(a).localeCompare(precisionLabel(b))).map((run) => ({ kind: 'run', run }));
    }
    return [];
  }

  getTreeItem(item: Item): vscode.TreeItem {
    if (item.kind === 'size') {
      const t = new vscode.TreeItem(item.params !== undefined ? `N = ${count(item.params)}` : "N unknown", vscode.TreeItemCollapsibleState.Collapsed);
      t.description = `${item.runs.length} run${item.runs.length === 1 ? '' : 's'}`;
      t.iconPath = new vscode.ThemeIcon('symbol-numeric');
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
    t.tooltip = new vscode.MarkdownString(
      [
        `**${run.name}** (${run.format})`,
        '',
        `\`${run.file}\``,
        '',
        ...(incomplete
          ? ['Incomplete, so not fitted:', '', ...run.missing.map((field) => `- ${FIELD_LABELS[field]}: ${run.reasons?.[field] ?? 'not in its files'}`)]
          : [run.unfinished ? 'The run did not finish.' : 'Complete.']),
        ...(run.ptq.length > 0
          ? ['', '| after PTQ | loss | SQNR |', '|---|---|---|', ...run.ptq.map((q) => `| ${formatLabel(q)}${q.method === 'rtn' ? '' : ` ${q.method}`} | ${loss(q.loss)} | ${q.sqnrDb !== undefined ? `${q.sqnrDb.toFixed(1)} dB` : '—'} |`)]
          : []),
      ].join('\n'),
    );
    t.contextValue = incomplete ? 'run.incomplete' : 'run';
    const line = Math.max(0, (run.sources.finalLoss?.line ?? run.sources.params?.line ?? 1) - 1);
    t.command = { command: 'vscode.open', title: 'Open Run', arguments: [vscode.Uri.file(run.file), { selection: new vscode.Range(line, 0, line, 0) }] };
    return t;
  }
}
