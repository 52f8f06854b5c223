// Refits in the background (debounced) when a rescan changes the complete runs, so hovers, the
// status bar and the dashboard follow a sweep as it writes results. Progress shows in the
// status bar; a newer change cancels a refit still running.

import * as vscode from 'vscode';
import { fitOptions, readSettings } from './settings';
import { runsSignature } from '../fit/points';
import { FitCancelled, type FitModel } from './fitModel';
import { log } from './log';
import type { RunsModel } from './runsModel';
import { notificationText } from './markdownText';
import { COMMANDS } from './commandIds';

const DEBOUNCE_MS = 2000;

export function autoRefit(runs: RunsModel, fit: FitModel): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let running: vscode.CancellationTokenSource | undefined;
  let runningSignature: string | undefined;
  /** Runs `work` in the status bar's progress, cancelled by the next call; one at a time. */
  const start = (signature: string, work: (progress: (message: string) => void, token: vscode.CancellationToken) => Promise<void>) => {
    running?.cancel();
    const cancel = new vscode.CancellationTokenSource();
    running = cancel;
    runningSignature = signature;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Precision Planner: refitting' }, async (progress) => {
      try {
        await work((message) => progress.report({ message }), cancel.token);
      } catch (error) {
        if (!(error instanceof FitCancelled)) log().error(`background refit failed: ${(error as Error).message}`);
      } finally {
        if (running === cancel) {
          running = undefined;
          runningSignature = undefined;
        }
        cancel.dispose();
      }
    });
  };
  const refit = () => {
    const current = runs.current;
    if (!current || fit.prefersPaper) return;
    const signature = runsSignature(current.runs);
    // A periodic rescan that finds the same runs must not restart a refit of them still running.
    if (signature === '' || signature === runningSignature) return;
    if (signature === fit.signature) {
      // The law was fitted to these runs; its predictor may still be owed (the window reloaded while it ran).
      if (fit.predictorPending) start(signature, (progress, token) => fit.resumePredictor(current.runs, progress, token));
      return;
    }
    const settings = readSettings();
    start(signature, async (progress, token) => {
      const result = await fit.fit(current.runs, fitOptions(settings), progress, token);
      // A refit that is not adopted must say so: the constants in use stay what they were.
      if (!result.ok && result.rejected) {
        void vscode.window.showWarningMessage(notificationText(`Precision Planner: ${result.message}. Predictions keep using ${fit.inUse}.`), 'Show Fit Report').then((choice) => {
          if (choice) void vscode.commands.executeCommand(COMMANDS.showFitSummary);
        });
      }
      await fit.predictor;
    });
  };
  const subscription = runs.onDidChange(() => {
    clearTimeout(timer);
    timer = setTimeout(refit, DEBOUNCE_MS);
  });
  return new vscode.Disposable(() => {
    clearTimeout(timer);
    running?.cancel();
    subscription.dispose();
  });
}
