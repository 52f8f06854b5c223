// The dashboard panel: HTML with a strict Content-Security-Policy, the view model sent on every
// change of runs, fit or inputs, and every message from the webview validated before use. A
// serializer restores the panel (and its inputs) across window reloads.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import type { DashboardInputs, HostMessage } from '../../webview/protocol';
import { validateMessage, validInputs } from './dashboardMessages';
import { dashboardModel, defaultInputs } from './dashboardModel';
import type { FitModel } from './fitModel';
import { log } from './log';
import type { RunsModel } from './runsModel';
import { readSettings } from './settings';

export const DASHBOARD_VIEW_TYPE = 'precisionPlanner.dashboard';

export class Dashboard implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private inputs: DashboardInputs | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly runs: RunsModel,
    private readonly fit: FitModel,
  ) {
    this.disposables.push(
      runs.onDidChange(() => this.update()),
      fit.onDidChange(() => this.update()),
      vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          this.inputs = validInputs((state as { inputs?: unknown } | undefined)?.inputs);
          this.attach(panel);
        },
      }),
    );
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Precision Planner', vscode.ViewColumn.Active, this.options());
    this.attach(panel);
  }

  private options(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    const root = this.context.extensionUri;
    return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [vscode.Uri.joinPath(root, 'dist'), vscode.Uri.joinPath(root, 'media')] };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'icon.png');
    panel.webview.html = this.html(panel.webview);
    panel.onDidDispose(() => (this.panel = undefined), null, this.disposables);
    panel.webview.onDidReceiveMessage((raw) => void this.receive(raw), null, this.disposables);
  }

  private knownFiles(): Set<string> {
    const files = new Set<string>();
    for (const r of this.runs.current?.runs ?? []) {
      files.add(r.file);
      for (const s of Object.values(r.sources)) if (s?.file) files.add(s.file);
      for (const q of r.ptq) if (q.source?.file) files.add(q.source.file);
    }
    for (const p of this.fit.result?.points ?? []) if (p.file) files.add(p.file);
    return files;
  }

  private async receive(raw: unknown): Promise<void> {
    const checked = validateMessage(raw, this.knownFiles());
    if (!checked.ok) {
      log().warn(`dashboard: message refused (${checked.reason})`);
      return;
    }
    const m = checked.message;
    if (m.type === 'ready' || m.type === 'inputs') {
      if (m.inputs) this.inputs = m.inputs;
      this.update();
    } else if (m.type === 'openRun') {
      const line = Math.max(0, (m.line ?? 1) - 1);
      await vscode.window.showTextDocument(vscode.Uri.file(m.file), { selection: new vscode.Range(line, 0, line, 0), viewColumn: vscode.ViewColumn.Beside });
    } else if (m.type === 'export') {
      const target = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders?.[0]?.uri ?? this.context.globalStorageUri, `${m.name}.${m.kind}`),
        filters: m.kind === 'png' ? { 'PNG image': ['png'] } : { CSV: ['csv'] },
      });
      if (!target) return;
      const bytes = m.kind === 'png' ? Buffer.from(m.data.slice('data:image/png;base64,'.length), 'base64') : Buffer.from(m.data, 'utf8');
      await fs.writeFile(target.fsPath, bytes);
      log().info(`dashboard: exported ${target.fsPath}`);
    }
  }

  private update(): void {
    if (!this.panel) return;
    const runs = this.runs.current?.runs ?? [];
    const settings = readSettings();
    const inputs = this.inputs ?? defaultInputs(runs, settings.inferenceBits);
    const started = Date.now();
    const model = dashboardModel({
      constants: this.fit.constants,
      constantsLabel: this.fit.label,
      fit: this.fit.source === 'workspace' ? this.fit.result : undefined,
      ptq: this.fit.ptq,
      runs,
      inputs,
      costModel: settings.cost,
      formats: settings.formats,
      domain: this.fit.domain,
      extrapolationThreshold: settings.extrapolationThreshold,
    });
    log().debug(`dashboard: model in ${Date.now() - started} ms`);
    void this.panel.webview.postMessage({ type: 'model', model } satisfies HostMessage);
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const asset = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, ...p));
    const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource} 'nonce-${nonce}'`, `font-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
    return DASHBOARD_HTML.replace(/\{\{csp\}\}/g, csp)
      .replace(/\{\{nonce\}\}/g, nonce)
      .replace('{{style}}', asset('media', 'dashboard.css').toString())
      .replace('{{script}}', asset('dist', 'webview.js').toString());
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

const exportButtons = (chart: string) =>
  `<span class="exports"><vscode-button secondary data-chart="${chart}" data-export="png">PNG</vscode-button><vscode-button secondary data-chart="${chart}" data-export="csv">CSV</vscode-button></span>`;
const chart = (id: string, title: string) => `<figure><figcaption><span class="title">${title}</span>${exportButtons(id)}</figcaption><div class="canvas"><canvas id="${id}"></canvas></div></figure>`;
/** A number field with the line under it that says what it accepts when it refuses an entry. */
const numberField = (id: string, label: string) =>
  `<label id="${id}-label">${label} <vscode-textfield id="${id}"></vscode-textfield><vscode-form-helper id="${id}-error" class="field-error" aria-live="polite" hidden></vscode-form-helper></label>`;

const DASHBOARD_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="{{csp}}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="{{style}}" nonce="{{nonce}}">
<title>Precision Planner</title>
</head>
<body>
<header><h1>Precision Planner</h1><p>Constants: <span id="constants"></span></p></header>
<section id="plan"><h2>Plan</h2>
  <div class="controls">
    ${numberField('in-compute', 'Compute (FLOPs)')}
    <label class="slider">log₁₀ <input id="in-compute-log" type="range" min="17" max="27" step="0.05"></label>
    <label>Scenario <vscode-single-select id="in-scenario">
      <vscode-option value="joint">joint N, D, P</vscode-option>
      <vscode-option value="fixed-precision">fixed precision</vscode-option>
      <vscode-option value="fixed-params">fixed model size</vscode-option>
      <vscode-option value="inference">inference-aware</vscode-option>
    </vscode-single-select></label>
    ${numberField('in-plan-precision', 'Training bits')}
    ${numberField('in-plan-params', 'Model size N')}
    ${numberField('in-plan-memory', 'Weight memory (GB)')}
  </div>
  <p id="plan-message" class="message"></p>
  <p id="plan-domain"></p>
  <ul id="plan-notes" class="message"></ul>
  <table><thead><tr><th></th><th>N</th><th>D</th><th>training bits</th><th>PTQ bits</th><th>predicted loss</th><th>vs plan</th></tr></thead><tbody id="plan-rows"></tbody></table>
  <p id="plan-uncertainty" class="message"></p>
  ${chart('chart-isoflop', 'Predicted loss against training precision at this compute (iso-FLOP)')}
</section>
<section id="fit"><h2>Fit</h2>
  <p id="no-fit" class="message" hidden>No workspace fit: the charts use the paper's constants. Run “Precision Planner: Fit Scaling Law”.</p>
  <div id="fit-section">
    <p id="fit-message"></p>
    <ul id="fit-warnings" class="message"></ul>
    <div class="grid">${chart('chart-fit', 'Predicted against observed loss')}${chart('chart-residuals', 'Relative residuals')}</div>
    <div class="grid">
      <table><thead><tr><th>points</th><th>n</th><th>R²</th><th>RMSE</th><th>mean abs. error</th></tr></thead><tbody id="fit-metrics"></tbody></table>
      <table><thead><tr><th>stage</th><th>status</th><th>solver</th><th>gradient norm</th><th>at bound</th><th>constants / reason</th></tr></thead><tbody id="fit-stages"></tbody></table>
    </div>
    <table><thead><tr><th>coverage of the 95% intervals</th><th>points</th><th>confidence band of the expected loss</th><th>prediction interval for a run</th></tr></thead><tbody id="fit-coverage"></tbody></table>
    <table><thead><tr><th>constant</th><th>fitted</th><th>95% interval</th><th>paper</th><th>source</th></tr></thead><tbody id="fit-constants"></tbody></table>
  </div>
</section>
<section id="precision"><h2>Precision</h2>
  <div class="controls">
    ${numberField('in-params', 'N')}
    ${numberField('in-tokens', 'D')}
  </div>
  <div class="grid">${chart('chart-factors', 'N_eff / N factor of each part against its bits')}${chart('chart-precision-loss', 'Loss against training precision')}</div>
  <p id="precision-domain" class="message"></p>
</section>
<section id="ptq"><h2>Data and post-training quantization</h2>
  <div class="controls">${numberField('in-post', 'Inference bits')}</div>
  ${chart('chart-ptq', 'Loss after post-training quantization against training tokens, D_crit marked')}
  <p id="ptq-domain" class="message"></p>
</section>
<section id="quantized"><h2>Quantized checkpoints</h2>
  <p id="no-checkpoints" class="message" hidden>No run records PTQ with bits per weight yet: runs trained by Precision Planner do.</p>
  ${chart('chart-pareto', 'Loss after quantization against weight memory (N × bits per weight); the frontier joined')}
  <p id="predictor-message"></p>
  <table><thead><tr><th>held-out N</th><th>evaluations</th><th>forest MAE</th><th>law MAE (n)</th><th>forest MAE, same evaluations</th></tr></thead><tbody id="predictor-rows"></tbody></table>
</section>
<script nonce="{{nonce}}" src="{{script}}"></script>
</body>
</html>`;
