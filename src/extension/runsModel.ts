// The workspace's runs: scanned in the background after activation, rescanned (debounced)
// when run files change, reader problems published to the Problems panel.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { type Diagnostic as RunDiagnostic, formatDiagnostic } from '../runs/diagnostics';
import { ScanCache, type ScanResult, scan } from '../runs/discover';
import { groupDiagnostics } from '../runs/summary';
import { log } from './log';
import { defaultPrecisionSettings, readSettings } from './settings';

const DEBOUNCE_MS = 750;
/**
 * File watchers can drop events (inotify limits, remote file systems); a periodic rescan of an
 * unchanged workspace costs a directory walk and some stats (the scan cache), so it backs them up.
 */
const POLL_MS = 20_000;

export class RunsModel implements vscode.Disposable {
  private readonly cache = new ScanCache();
  private readonly changed = new vscode.EventEmitter<ScanResult>();
  private readonly problems = vscode.languages.createDiagnosticCollection('precision-planner');
  private readonly disposables: vscode.Disposable[] = [this.changed, this.problems];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ScanResult> | undefined;
  private again = false;
  current: ScanResult | undefined;

  readonly onDidChange = this.changed.event;

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.{json,jsonl,csv,tsv,yaml,yml}');
    const schedule = (uri: vscode.Uri) => {
      if (!uri.path.includes('/node_modules/') && !uri.path.includes('/.git/')) this.scheduleRescan();
    };
    const poll = setInterval(() => {
      if (vscode.window.state.focused) void this.rescan();
    }, POLL_MS);
    this.disposables.push(
      watcher,
      watcher.onDidCreate(schedule),
      watcher.onDidChange(schedule),
      watcher.onDidDelete(schedule),
      new vscode.Disposable(() => clearInterval(poll)),
      vscode.window.onDidChangeWindowState((state) => {
        if (state.focused) this.scheduleRescan();
      }),
    );
  }

  scheduleRescan(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.rescan(), DEBOUNCE_MS);
  }

  /** One scan at a time; a request during a scan runs one more after it. */
  async rescan(): Promise<ScanResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.scanOnce();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.rescan();
      }
    }
  }

  private async scanOnce(): Promise<ScanResult> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const settings = readSettings();
    const defaults = defaultPrecisionSettings().byRoot;
    const started = Date.now();
    const result = await scan(folders, {
      cache: this.cache,
      include: settings.include,
      exclude: settings.exclude,
      aliases: settings.aliases,
      defaultPrecision: (root) => defaults.get(path.resolve(root)),
    });
    const message = `scan: ${result.runs.length} runs in ${result.files} files (${result.cached} read from the cache), ${result.diagnostics.length} problems, ${Date.now() - started} ms`;
    if (result.cached < result.files || result.runs.length !== this.current?.runs.length) log().info(message);
    else log().debug(message);
    const unchanged = this.current !== undefined && sameScan(this.current, result);
    this.current = result;
    // A periodic rescan that finds what the last one found changes nothing downstream: no
    // Problems refresh, no rebuilt tree or dashboard, no refit check.
    if (!unchanged) {
      this.publish(result.diagnostics);
      this.changed.fire(result);
    }
    return result;
  }

  /**
   * One Problem per file and kind (code, field, severity), at its first line, with how many more
   * there are: a sweep table with a NaN in 300 rows is one Problem, not 300. Every one is in the
   * output channel.
   */
  private publish(diagnostics: readonly RunDiagnostic[]): void {
    if (diagnostics.length > 0) log().info(`${diagnostics.length} problems reading the runs:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const group of groupDiagnostics(diagnostics, { by: 'file' })) {
      const d = group.diagnostics[0];
      // Folders (a directory that cannot be read, a default given to a folder's runs) have no document to mark.
      if (path.extname(d.file) === '' && !path.basename(d.file).includes('events.out')) continue;
      const line = Math.max(0, (d.line ?? 1) - 1);
      const more = group.diagnostics.length - 1;
      const text = `${d.field ? `${d.field}: ${d.message}` : d.message}${more > 0 ? ` (and ${more} more like it in this file; all in the Precision Planner output)` : ''}`;
      const item = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), text, SEVERITY[d.severity]);
      item.source = 'Precision Planner';
      if (d.code !== undefined) item.code = d.code;
      byFile.set(d.file, [...(byFile.get(d.file) ?? []), item]);
    }
    this.problems.clear();
    for (const [file, items] of byFile) this.problems.set(vscode.Uri.file(file), items);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

/** Runs served from the scan cache are the same objects: identity says nothing was read anew. */
function sameScan(a: ScanResult, b: ScanResult): boolean {
  return (
    a.runs.length === b.runs.length &&
    a.runs.every((run, i) => run === b.runs[i]) &&
    a.diagnostics.length === b.diagnostics.length &&
    a.diagnostics.every((d, i) => d === b.diagnostics[i] || JSON.stringify(d) === JSON.stringify(b.diagnostics[i]))
  );
}

const SEVERITY: Record<RunDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};
