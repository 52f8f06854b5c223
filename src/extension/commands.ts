// The palette commands, all under the "Precision Planner" category, registered in one place.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatLabel } from '../law/formats';
import { isLawError, plan } from '../law/plan';
import { RUN_FILES_LOOKED_FOR } from '../runs/readers';
import { isComplete } from '../runs/run';
import { summarizeRuns, summaryText } from '../runs/summary';
import { formatSigned, parseQuantity } from '../runs/quantity';
import { FitCancelled, type FitModel } from './fitModel';
import { extrapolation, provenance } from '../fit/domain';
import { planUncertainty } from '../fit/planInterval';
import { writeReport } from './exportReport';
import { fitSummary } from './fitSummary';
import { bits, count, flops, loss, tokens } from './format';
import { log } from './log';
import { notificationText } from './markdownText';
import { reportMarkdown, runsCsv } from './report';
import type { RunsModel } from './runsModel';
import { fitOptions, readSettings } from './settings';
import { EXTENSION_HINTS } from './statusText';
import { COMMANDS } from './commandIds';

const VIEW_ACTIONS = ['Show Dashboard', 'Show Fit Report'] as const;

async function offerViews(choice: Thenable<string | undefined>): Promise<void> {
  const picked = await choice;
  if (picked === 'Show Dashboard') await vscode.commands.executeCommand(COMMANDS.showDashboard);
  else if (picked === 'Show Fit Report') await vscode.commands.executeCommand(COMMANDS.showFitSummary);
}

/** Show Fit Report's document: read-only, so closing it never asks to save. */
export const REPORT_URI = vscode.Uri.from({ scheme: 'precision-planner', path: '/Fit Report.md' });

export function registerCommands(context: vscode.ExtensionContext, runs: RunsModel, fit: FitModel): vscode.Disposable[] {
  const fitCommand = async () => {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Precision Planner: fitting the scaling law', cancellable: true }, async (progress, token) => {
      progress.report({ message: 'reading runs' });
      const scanned = await runs.rescan();
      const complete = scanned.runs.filter(isComplete);
      if (complete.length === 0) {
        // What the runs lack, grouped ("245 lack a training precision (set …)"), not one line per run.
        const why = scanned.runs.length === 0 ? `no runs found in the workspace (looked for ${RUN_FILES_LOOKED_FOR})` : `nothing to fit: ${summaryText(summarizeRuns(scanned.runs), EXTENSION_HINTS)}`;
        // The readers' reasons quote the files: no link of theirs may become a command link here.
        void vscode.window.showWarningMessage(`Precision Planner: ${notificationText(why)}. See the Runs view.`);
        return;
      }
      const settings = readSettings();
      try {
        const result = await fit.fit(scanned.runs, fitOptions(settings), (message, increment) => progress.report({ message, increment }), token);
        if (result.ok) void offerViews(vscode.window.showInformationMessage(`Precision Planner: ${fitSummary(result)}`, ...VIEW_ACTIONS));
        else void offerViews(vscode.window.showWarningMessage(notificationText(`Precision Planner: ${result.message}. Predictions keep using ${fit.inUse}.`), ...VIEW_ACTIONS));
        // The law is in use from here on; the notification stays for the predictor, which can be cancelled alone.
        await fit.predictor;
      } catch (error) {
        if (error instanceof FitCancelled) return;
        log().error(`fit failed: ${(error as Error).stack ?? error}`);
        void vscode.window.showErrorMessage(notificationText(`Precision Planner: the fit failed: ${(error as Error).message}`));
      }
    });
  };

  const recommend = async () => {
    const text = await vscode.window.showInputBox({
      title: 'Recommend for a Compute Budget',
      prompt: 'Training compute in FLOPs',
      placeHolder: '1e21, 3e22 FLOPs',
      validateInput: (v) => (parseQuantity(v) === undefined ? 'A positive number of FLOPs, like 1e21 or 3e22 FLOPs' : undefined),
    });
    if (text === undefined) return;
    const compute = parseQuantity(text) as number;
    const settings = readSettings();
    for (const problem of settings.planErrors) void vscode.window.showWarningMessage(`Precision Planner: ${problem}`);
    const p = plan(fit.constants, { scenario: 'joint', compute, cost: settings.cost, ...(settings.formats ? { formats: settings.formats } : {}) });
    if (isLawError(p)) {
      void vscode.window.showErrorMessage(notificationText(`Precision Planner: ${p.message}`));
      return;
    }
    // Where the plan stands, how sure its margins are, and what its constants are (LAW.md §8a).
    const where = extrapolation(fit.domain, { params: p.params, tokens: p.tokens, precision: p.precision, post: p.post, loss: p.loss, trainLoss: p.trainLoss, deltaPTQ: p.deltaPTQ }, settings.extrapolationThreshold);
    const u = planUncertainty(fit.source === 'workspace' ? fit.result : undefined, p);
    const margin = (i: number): string => {
      const m = u.alternatives[i];
      if (!m.marginInterval) return '';
      return `; 95% interval ${formatSigned(m.marginInterval[0], 5)} to ${formatSigned(m.marginInterval[1], 5)}${m.distinguishable === false ? ', indistinguishable' : ''}`;
    };
    const detail = [
      `N* = ${count(p.params)} parameters, D* = ${tokens(p.tokens)} tokens (${(p.tokens / p.params).toFixed(1)} per parameter), train in ${p.format ? formatLabel(p.format) : `${bits(p.precision.w)} bits`} → loss ${loss(p.loss)}`,
      u.interval.prediction ? `95% prediction interval for a run ${loss(u.interval.prediction[0])}–${loss(u.interval.prediction[1])}` : '',
      where.extrapolated ? `⚠ This plan is an ${where.summary}` : `${where.summary.charAt(0).toUpperCase()}${where.summary.slice(1)}`,
      `Formats chosen among: ${p.formats.map(formatLabel).join(', ')}`,
      p.continuous ? `Continuous optimum, not a format: ${bits(p.continuous.bits)} bits (loss ${loss(p.continuous.loss)})` : '',
      '',
      'The same compute spent the usual ways:',
      ...p.alternatives.map((a, i) => `• ${a.label}: N ${count(a.params)}, D ${tokens(a.tokens)} → ${loss(a.loss)} (${formatSigned(a.margin, 4)}${margin(i)})`),
      ...u.notes.map((n) => `${n.charAt(0).toUpperCase()}${n.slice(1)}.`),
      '',
      `Constants: ${fit.label}; cost model ${settings.cost.label}.`,
      ...provenance(fit.domain, { precision: p.precision, post: p.post, plan: true }, fit.constants).notes,
    ].filter((l, i, all) => l !== '' || all[i - 1] !== '');
    log().info(`recommend ${flops(compute)}: ${detail.join(' | ')}`);
    await vscode.window.showInformationMessage(`Compute-optimal plan for ${flops(compute)} FLOPs`, { modal: true, detail: detail.join('\n') });
  };

  const exportReport = async () => {
    const folders = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Export Here', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
    if (!folders || folders.length === 0) return;
    const scanned = runs.current ?? (await runs.rescan());
    let dir: string;
    try {
      dir = await writeReport(folders[0].fsPath, { markdown: reportMarkdown(fit.result, scanned.runs, fit.label, fit.ptq, fit.rejected?.message), csv: runsCsv(scanned.runs), fit: fit.result });
    } catch (error) {
      void vscode.window.showErrorMessage(notificationText(`Precision Planner: could not write the report into ${folders[0].fsPath}: ${(error as Error).message}`));
      return;
    }
    const open = await vscode.window.showInformationMessage(notificationText(`Precision Planner: report written to ${dir}`), 'Open Report');
    if (open) await vscode.window.showTextDocument(vscode.Uri.file(path.join(dir, 'report.md')));
  };

  // A content provider's documents are read-only; it is asked again when the fit changes.
  const reportChanged = new vscode.EventEmitter<vscode.Uri>();
  const reportProvider: vscode.TextDocumentContentProvider = {
    onDidChange: reportChanged.event,
    provideTextDocumentContent: () => reportMarkdown(fit.result, runs.current?.runs ?? [], fit.label, fit.ptq, fit.rejected?.message),
  };
  const showReport = async () => {
    const doc = await vscode.workspace.openTextDocument(REPORT_URI);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: true });
  };

  const openExample = async () => {
    // A copy in the extension's storage: the example can be refitted and edited without touching the installed extension.
    const target = vscode.Uri.joinPath(context.globalStorageUri, 'examples');
    try {
      await fs.access(target.fsPath);
    } catch {
      await fs.mkdir(path.dirname(target.fsPath), { recursive: true });
      await fs.cp(path.join(context.extensionPath, 'examples'), target.fsPath, { recursive: true });
    }
    await vscode.commands.executeCommand('vscode.openFolder', target, { forceNewWindow: false });
  };

  return [
    reportChanged,
    vscode.workspace.registerTextDocumentContentProvider(REPORT_URI.scheme, reportProvider),
    fit.onDidChange(() => reportChanged.fire(REPORT_URI)),
    vscode.commands.registerCommand(COMMANDS.openExample, openExample),
    vscode.commands.registerCommand(COMMANDS.fit, fitCommand),
    vscode.commands.registerCommand(COMMANDS.rescan, () => runs.rescan()),
    vscode.commands.registerCommand(COMMANDS.cancelScan, () => runs.cancelScan()),
    vscode.commands.registerCommand(COMMANDS.recommend, recommend),
    vscode.commands.registerCommand(COMMANDS.exportReport, exportReport),
    vscode.commands.registerCommand(COMMANDS.showFitSummary, showReport),
    vscode.commands.registerCommand(COMMANDS.usePaperConstants, () => fit.use('paper')),
    vscode.commands.registerCommand(COMMANDS.useWorkspaceFit, async () => {
      if (!fit.result?.ok) {
        const choice = await vscode.window.showWarningMessage('Precision Planner: there is no workspace fit yet.', 'Fit Now');
        if (choice) await fitCommand();
        return;
      }
      await fit.use('workspace');
    }),
  ];
}
