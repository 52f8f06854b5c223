// Hover, CodeLens and warnings on training configs (YAML, JSON/JSONC, TOML, Python modules):
// hovering a recognised key shows what the config predicts under the current constants. The text
// is read in a worker thread (configWorkerClient.ts), so a hostile or huge config never blocks the
// editor: hovers and CodeLenses arrive when it is done, and a config that takes longer than the
// deadline gets none. The prediction, cheap arithmetic on what was recognised, is made here.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { type ConfigLanguage, type TrainingConfig, languageOf } from '../runs/configs';
import { type ConfigPredictionResult, predictConfig } from './configPrediction';
import { ConfigWorkerClient, startConfigWorker } from './configWorkerClient';
import type { FitModel } from './fitModel';
import { hoverMarkdown, lensTitle } from './hoverMarkdown';
import { log } from './log';
import { type Settings, onSettingsChanged, readSettings } from './settings';
import { COMMANDS } from './commandIds';

export const CONFIG_SELECTOR: vscode.DocumentSelector = [
  { language: 'yaml', scheme: 'file' },
  { language: 'json', scheme: 'file' },
  { language: 'jsonc', scheme: 'file' },
  { language: 'toml', scheme: 'file' },
  { language: 'python', scheme: 'file' },
  { pattern: '**/*.toml', scheme: 'file' },
];

/** Files that are never training configs even in those languages. */
const NOT_CONFIGS = new Set(['package.json', 'package-lock.json', 'tsconfig.json', 'run.json', 'settings.json', 'launch.json', 'tasks.json']);

interface Analysis {
  version: number;
  config: TrainingConfig;
  result: ConfigPredictionResult;
}

/** A document version's analysis; none when it is no config, or reading it timed out or failed. */
interface Cached {
  version: number;
  analysis?: Analysis;
}

/** A pause in typing this long checks the document again (hovers and CodeLens ask at once). */
const TYPING_PAUSE_MS = 300;

export class ConfigAssistant implements vscode.HoverProvider, vscode.CodeLensProvider, vscode.Disposable {
  private readonly cache = new Map<string, Cached>();
  /** The analysis on its way per document, joined by the hover, CodeLens and warnings that ask for the same version. */
  private readonly pending = new Map<string, { version: number; analysis: Promise<Analysis | undefined> }>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly warnings = vscode.languages.createDiagnosticCollection('precision-planner-configs');
  private readonly reader: ConfigWorkerClient;
  private readonly disposables: vscode.Disposable[] = [this.lensesChanged, this.warnings];
  /** Warnings of a document being typed in wait for a pause: each check copies the whole text to the worker. */
  private readonly typing = new Map<string, ReturnType<typeof setTimeout>>();

  /** `workerFile`: the bundled worker, beside the extension's own bundle in dist/. */
  constructor(
    private readonly fit: FitModel,
    workerFile = path.join(__dirname, 'configWorker.js'),
  ) {
    this.reader = new ConfigWorkerClient({ start: startConfigWorker(workerFile), log: (message) => log().warn(`configs: ${message}`) });
    this.disposables.push(
      this.reader,
      fit.onDidChange(() => this.refreshAll()),
      // An analysis holds what the settings said when it was made (aliases, inferenceBits, costModel, plan.formats, the threshold).
      onSettingsChanged(() => this.refreshAll()),
      vscode.workspace.onDidChangeTextDocument((e) => this.checkAfterTyping(e.document)),
      vscode.workspace.onDidOpenTextDocument((d) => void this.check(d)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        clearTimeout(this.typing.get(d.uri.toString()));
        this.typing.delete(d.uri.toString());
        this.cache.delete(d.uri.toString());
        this.pending.delete(d.uri.toString());
        this.warnings.delete(d.uri);
      }),
    );
    // After activation returns: starting the worker is the first check's to do, not activate()'s.
    const first = setTimeout(() => {
      for (const d of vscode.workspace.textDocuments) void this.check(d);
    }, 0);
    this.disposables.push({ dispose: () => clearTimeout(first) });
  }

  private language(document: vscode.TextDocument): ConfigLanguage | undefined {
    if (document.uri.scheme !== 'file' || NOT_CONFIGS.has(path.basename(document.fileName))) return undefined;
    return languageOf(document.fileName, document.languageId);
  }

  /**
   * Read once per document version, in the worker: a hover on an unchanged document costs a map
   * lookup and a Markdown render. A version that timed out or failed is remembered as having no
   * analysis, so it is not read again until it changes.
   */
  analyse(document: vscode.TextDocument): Promise<Analysis | undefined> {
    const language = this.language(document);
    if (!language) return Promise.resolve(undefined);
    const key = document.uri.toString();
    const version = document.version;
    const cached = this.cache.get(key);
    if (cached && cached.version === version) return Promise.resolve(cached.analysis);
    const pending = this.pending.get(key);
    if (pending?.version === version) return pending.analysis;
    const analysis = this.read(document, key, version, language);
    this.pending.set(key, { version, analysis });
    const settle = (): void => {
      if (this.pending.get(key)?.analysis === analysis) this.pending.delete(key);
    };
    analysis.then(settle, settle);
    return analysis;
  }

  private async read(document: vscode.TextDocument, key: string, version: number, language: ConfigLanguage): Promise<Analysis | undefined> {
    const settings = readSettings();
    const outcome = await this.reader.analyse(key, version, document.getText(), language, settings.aliases);
    if (outcome.status === 'superseded') return undefined;
    const analysis = outcome.status === 'done' ? this.predict(outcome.config, version, settings, document) : undefined;
    // A later version may have been read meanwhile (or the cache cleared by a refit): keep the newest.
    const now = this.cache.get(key);
    if (!document.isClosed && (!now || now.version <= version)) this.cache.set(key, { version, analysis });
    return analysis;
  }

  private predict(config: TrainingConfig, version: number, settings: Settings, document: vscode.TextDocument): Analysis | undefined {
    for (const d of config.diagnostics) if (d.code === 'truncated') log().info(`configs: ${document.fileName}: ${d.message}`);
    if (!config.params && !config.tokens && !config.precision) return undefined;
    if (!config.inference) config.inference = { value: { bits: settings.inferenceBits, type: 'int' }, lines: [], how: 'the inferenceBits setting' };
    const result = predictConfig(config, {
      constants: this.fit.constants,
      fit: this.fit.source === 'workspace' ? this.fit.result : undefined,
      costModel: settings.cost,
      formats: settings.formats,
      domain: this.fit.domain,
      extrapolationThreshold: settings.extrapolationThreshold,
    });
    return { version, config, result };
  }

  private recognisedLines(config: TrainingConfig): Set<number> {
    return new Set([...(config.params?.lines ?? []), ...(config.tokens?.lines ?? []), ...(config.precision?.lines ?? []), ...(config.inference?.lines ?? [])]);
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const a = await this.analyse(document);
    // An edit while the text was read: the lines may have moved, and the next hover asks again.
    if (!a || a.version !== document.version || !this.recognisedLines(a.config).has(position.line + 1)) return undefined;
    const md = new vscode.MarkdownString(
      a.result.ok ? hoverMarkdown(a.result.prediction, this.fit.label, { omitWarnings: position.line === this.warningLine(document, a) }) : `Precision Planner: no prediction — ${a.result.message}.`,
    );
    return new vscode.Hover(md, document.lineAt(position.line).range);
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const a = await this.analyse(document);
    if (!a || a.version !== document.version) return [];
    const line = Math.min(...[...this.recognisedLines(a.config)].filter((l) => l > 0), document.lineCount) - 1;
    const title = a.result.ok ? lensTitle(a.result.prediction) : `Precision Planner: ${a.result.message}`;
    return [new vscode.CodeLens(new vscode.Range(Math.max(0, line), 0, Math.max(0, line), 0), { title, command: COMMANDS.fit, tooltip: 'Refit the scaling law on the workspace runs' })];
  }

  private checkAfterTyping(document: vscode.TextDocument): void {
    if (!this.language(document)) return;
    const key = document.uri.toString();
    clearTimeout(this.typing.get(key));
    this.typing.set(
      key,
      setTimeout(() => {
        this.typing.delete(key);
        void this.check(document);
      }, TYPING_PAUSE_MS),
    );
  }

  private async check(document: vscode.TextDocument): Promise<void> {
    const version = document.version;
    const a = await this.analyse(document);
    // Closed, or edited while it was read: the check of the newer version sets the warnings.
    if (document.isClosed || document.version !== version) return;
    // A config the law cannot evaluate (a precision in the unstable region) is worth a warning too.
    const messages = !a ? [] : a.result.ok ? a.result.prediction.warnings : a.config.params && a.config.tokens ? [a.result.message] : [];
    if (!a || messages.length === 0) {
      this.warnings.delete(document.uri);
      return;
    }
    const line = this.warningLine(document, a);
    this.warnings.set(
      document.uri,
      messages.map((w) => Object.assign(new vscode.Diagnostic(document.lineAt(line).range, w, vscode.DiagnosticSeverity.Warning), { source: 'Precision Planner' })),
    );
  }

  /** The (0-based) line whose diagnostics carry the config's warnings. */
  private warningLine(document: vscode.TextDocument, a: Analysis): number {
    const anchor = a.result.ok ? a.config.tokens?.lines[0] : (a.config.precision?.lines[0] ?? a.config.tokens?.lines[0]);
    return Math.min(Math.max(0, (anchor ?? 1) - 1), document.lineCount - 1);
  }

  private refreshAll(): void {
    this.cache.clear();
    this.pending.clear();
    for (const d of vscode.workspace.textDocuments) void this.check(d);
    this.lensesChanged.fire();
  }

  dispose(): void {
    for (const timer of this.typing.values()) clearTimeout(timer);
    for (const d of this.disposables) d.dispose();
  }
}
