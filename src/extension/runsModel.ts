// The workspace's runs: scanned in a worker thread (scanClient.ts) in the background after
// activation, rescanned (debounced) when run files change and periodically, reader problems
// published to the Problems panel. A scan that fails, times out or is cancelled leaves the
// previous runs shown, is said in the output channel (and, for the first two, once in a
// notification), and holds the automatic rescans for a while; the next scan starts a new worker.

import * as path from 'node:path';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { type Diagnostic as RunDiagnostic, formatDiagnostic } from '../runs/diagnostics';
import { OUTPUT_MARKER, type ScanResult, excludeMatcher } from '../runs/discover';
import { groupDiagnostics } from '../runs/summary';
import { log } from './log';
import { notificationText } from './markdownText';
import { ScanClient, type ScanOutcome, stoppedWhile } from './scanClient';
import { WATCHED_FILES, type WatchScope, changeCallsForRescan, debounceDelay, pollDelay } from './scanSchedule';
import type { ScanRequest } from './scanService';
import { defaultPrecisionSettings, readSettings } from './settings';

const VIEW_ID = 'precisionPlanner.runs';
/** Context key of the Runs view's Cancel Scan button. */
const SCANNING_KEY = 'precisionPlanner.scanning';
/** True while no scan has completed and the last one was stopped: the Runs view's welcome says so, not "no runs found". */
const STOPPED_KEY = 'precisionPlanner.scanStopped';
/** A scan shorter than this shows no progress (a rescan of an unchanged workspace would make the view's title flicker). */
const SHOW_PROGRESS_AFTER_MS = 500;
const TIMEOUT_SETTING = 'precisionPlanner.runs.scanTimeoutSeconds';
const EMPTY: ScanResult = { runs: [], diagnostics: [], files: 0, cached: 0 };

export class RunsModel implements vscode.Disposable {
  private readonly client = new ScanClient();
  private readonly changed = new vscode.EventEmitter<ScanResult>();
  private readonly problems = vscode.languages.createDiagnosticCollection('precision-planner');
  private readonly disposables: vscode.Disposable[] = [this.changed, this.problems];
  private timer: NodeJS.Timeout | undefined;
  /** The queued debounced rescan was asked for (a setting changed), not automatic. */
  private timerExplicit = false;
  private poll: NodeJS.Timeout | undefined;
  private nextPollAt = 0;
  private running: Promise<ScanResult> | undefined;
  /** Asked for during a scan: one more after it, at once; for a file change, debounced, unless a hold started. */
  private again = false;
  private againAutomatic = false;
  /** Automatic rescans (file changes, the poll, window focus) wait until then: the back-off after a stopped scan. */
  private holdUntil = 0;
  private lastScanMs = 0;
  /** What a file change must be to call for a rescan, from the last scan's settings; any change before the first. */
  private scope: WatchScope | undefined;
  /** The kind of stop last notified: until a scan completes, the same again (each poll of a stuck workspace) is only logged. */
  private notified: 'timeout' | 'failed' | undefined;
  private disposed = false;
  current: ScanResult | undefined;

  readonly onDidChange = this.changed.event;

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher(WATCHED_FILES);
    const onFile = (uri: vscode.Uri) => {
      if (uri.scheme === 'file' && (!this.scope || changeCallsForRescan(uri.fsPath, this.scope))) this.schedule(false);
    };
    this.disposables.push(
      watcher,
      watcher.onDidCreate(onFile),
      watcher.onDidChange(onFile),
      watcher.onDidDelete(onFile),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.schedule(true)),
      vscode.window.onDidChangeWindowState((state) => {
        // Back from elsewhere: the poll that came due meanwhile (it only scans in a focused window).
        if (state.focused && Date.now() >= this.nextPollAt) this.schedule(false);
      }),
    );
    this.schedulePoll(pollDelay(0));
  }

  /** A rescan soon (debounced), as a setting change asks: not held by a back-off. */
  scheduleRescan(): void {
    this.schedule(true);
  }

  /** One scan at a time; a request during a scan runs one more after it. */
  rescan(): Promise<ScanResult> {
    return this.request(true);
  }

  /** Stops the scan under way (Cancel Scan in the Runs view); the runs found before stay. */
  cancelScan(): void {
    this.again = false;
    this.againAutomatic = false;
    this.client.cancel();
  }

  private schedule(explicit: boolean): void {
    this.timerExplicit ||= explicit;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const asked = this.timerExplicit;
      this.timerExplicit = false;
      void this.request(asked);
    }, debounceDelay(this.lastScanMs));
  }

  private schedulePoll(delay: number): void {
    clearTimeout(this.poll);
    this.nextPollAt = Date.now() + delay;
    // Not held: after a stopped scan the poll is set for when the hold ends.
    this.poll = setTimeout(() => {
      if (vscode.window.state.focused) void this.request(true);
    }, delay);
  }

  private async request(explicit: boolean): Promise<ScanResult> {
    if (this.disposed) return this.current ?? EMPTY;
    if (this.running) {
      if (explicit) this.again = true;
      else this.againAutomatic = true;
      return this.running;
    }
    // Held: the poll is due when the hold ends, and scans what changed meanwhile.
    if (!explicit && Date.now() < this.holdUntil) return this.current ?? EMPTY;
    this.running = this.scanOnce();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
      const [asked, changed] = [this.again, this.againAutomatic && Date.now() >= this.holdUntil];
      this.again = false;
      this.againAutomatic = false;
      // A change seen during a scan waits what a scan costs: a trainer writing every second must
      // not keep a large workspace scanning back to back.
      if (asked) void this.request(true);
      else if (changed) this.schedule(false);
    }
  }

  private async scanOnce(): Promise<ScanResult> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const settings = readSettings();
    const request: ScanRequest = {
      folders,
      include: settings.include,
      exclude: settings.exclude,
      aliases: settings.aliases,
      defaults: [...defaultPrecisionSettings().byRoot],
    };
    // Set again when this scan ends; one due meanwhile would only queue another after it.
    clearTimeout(this.poll);
    this.scope = { folders, excluded: excludeMatcher(settings.exclude), isOutputFolder: (dir) => existsSync(path.join(dir, OUTPUT_MARKER)) };
    const progress = showProgress();
    const outcome = await this.client.scan(request, { timeoutMs: settings.scanTimeoutSeconds * 1000 });
    progress.dispose();
    if (this.disposed) return this.current ?? EMPTY;
    this.lastScanMs = outcome.ms;
    this.holdUntil = outcome.kind === 'done' ? 0 : Date.now() + pollDelay(outcome.ms);
    this.schedulePoll(pollDelay(outcome.ms));
    if (outcome.kind !== 'done') {
      this.stopped(outcome, settings.scanTimeoutSeconds);
      if (!this.current) void vscode.commands.executeCommand('setContext', STOPPED_KEY, true);
      return this.current ?? EMPTY;
    }
    if (!this.current) void vscode.commands.executeCommand('setContext', STOPPED_KEY, false);
    this.notified = undefined;
    const { result } = outcome;
    const message = `scan: ${result.runs.length} runs in ${result.files} files (${result.cached} read from the cache), ${result.diagnostics.length} problems, ${outcome.ms} ms`;
    if (outcome.reread > 0 || result.runs.length !== this.current?.runs.length) log().info(message);
    else log().debug(message);
    // A periodic rescan that finds what the last one found changes nothing downstream: no
    // Problems refresh, no rebuilt tree or dashboard, no refit check. The worker says so (it
    // holds the cache); its first answer, after a start or a restart, is never "unchanged".
    const unchanged = this.current !== undefined && outcome.unchanged;
    this.current = result;
    if (!unchanged) {
      this.publish(result.diagnostics);
      this.changed.fire(result);
    }
    return result;
  }

  /** A scan that ended without a result: logged every time, notified once until a scan completes. */
  private stopped(outcome: Exclude<ScanOutcome, { kind: 'done' }>, timeoutSeconds: number): void {
    const kept = this.current ? `the ${this.current.runs.length} runs found before are still shown` : 'no runs are shown yet';
    if (outcome.kind === 'cancelled') {
      log().info(`scan: cancelled after ${outcome.ms} ms ${stoppedWhile(outcome.activity, (f) => f)}; ${kept}`);
      return;
    }
    const next = `automatic rescans wait ${Math.round(pollDelay(outcome.ms) / 1000)} s; Rescan Runs scans at once, in a new worker`;
    if (outcome.kind === 'timeout') {
      log().warn(`scan: stopped after ${outcome.ms} ms (${TIMEOUT_SETTING} is ${timeoutSeconds}) ${stoppedWhile(outcome.activity, (f) => f)}; ${kept}; ${next}`);
      const where = stoppedWhile(outcome.activity, (f) => vscode.workspace.asRelativePath(f));
      this.notify('timeout', `the scan for runs took longer than ${timeoutSeconds} s and was stopped ${where}; ${kept}. Exclude what is slow to read (precisionPlanner.runs.exclude) or raise ${TIMEOUT_SETTING}.`);
    } else {
      log().error(`scan: failed after ${outcome.ms} ms: ${outcome.message}; ${kept}; ${next}`);
      this.notify('failed', `the scan for runs failed (${outcome.message}); ${kept}. The next scan starts anew.`);
    }
  }

  private notify(key: 'timeout' | 'failed', text: string): void {
    if (this.notified === key) return;
    this.notified = key;
    // The folder named and the worker's error are the workspace's text: no link from them.
    void vscode.window.showWarningMessage(notificationText(`Precision Planner: ${text}`), 'Open Settings', 'Show Output').then((choice) => {
      if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'precisionPlanner.runs');
      else if (choice === 'Show Output') log().show();
    });
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
    this.disposed = true;
    clearTimeout(this.timer);
    clearTimeout(this.poll);
    this.client.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * The Runs view's progress bar and Cancel Scan button, once a scan has run for a moment; the
 * returned disposable ends both.
 */
function showProgress(): vscode.Disposable {
  let end: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (end = resolve));
  let shown = false;
  const timer = setTimeout(() => {
    shown = true;
    void vscode.commands.executeCommand('setContext', SCANNING_KEY, true);
    void vscode.window.withProgress({ location: { viewId: VIEW_ID }, title: 'Scanning for runs' }, () => ended);
  }, SHOW_PROGRESS_AFTER_MS);
  return new vscode.Disposable(() => {
    clearTimeout(timer);
    end();
    if (shown) void vscode.commands.executeCommand('setContext', SCANNING_KEY, false);
  });
}

const SEVERITY: Record<RunDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};
