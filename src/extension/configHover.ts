// Hover, CodeLens and warnings on training configs (YAML, JSON/JSONC, TOML, Python modules):
// hovering a recognised key shows what the config predicts under the current constants.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { type ConfigLanguage, type TrainingConfig, languageOf, recogniseConfig } from '../runs/configs';
import { type ConfigPredictionResult, predictConfig } from './configPrediction';
import type { FitModel } from './fitModel';
import { hoverMarkdown, lensTitle } from './hoverMarkdown';
import { readSettings } from './settings';

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

export class ConfigAssistant implements vscode.HoverProvider, vscode.CodeLensProvider, vscode.Disposable {
  private readonly cache = new Map<string, Analysis>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly warnings = vscode.languages.createDiagnosticCollection('precision-planner-configs');
  private readonly disposables: vscode.Disposable[] = [this.lensesChanged, this.warnings];

  constructor(private readonly fit: FitModel) {
    this.disposables.push(
      fit.onDidChange(() => this.refreshAll()),
      vscode.workspace.onDidChangeTextDocument((e) => this.check(e.document)),
      vscode.workspace.onDidOpenTextDocument((d) => this.check(d)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.cache.delete(d.uri.toString());
        this.warnings.delete(d.uri);
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.check(d);
  }

  private language(document: vscode.TextDocument): ConfigLanguage | undefined {
    if (document.uri.scheme !== 'file' || NOT_CONFIGS.has(path.basename(document.fileName))) return undefined;
    return languageOf(document.fileName, document.languageId);
  }

  /** Parsed once per document version: a hover costs a map lookup and a Markdown render. */
  analyse(document: vscode.TextDocument): Analysis | undefined {
    const language = this.language(document);
    if (!language) return undefined;
    const key = document.uri.toString();
    const cached = this.cache.get(key);
    if (cached && cached.version === document.version) return cached;
    const settings = readSettings();
    const config = recogniseConfig(document.getText(), language, settings.aliases);
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
    const analysis = { version: document.version, config, result };
    this.cache.set(key, analysis);
    return analysis;
  }

  private recognisedLines(config: TrainingConfig): Set<number> {
    return new Set([...(config.params?.lines ?? []), ...(config.tokens?.lines ?? []), ...(config.precision?.lines ?? []), ...(config.inference?.lines ?? [])]);
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const a = this.analyse(document);
    if (!a || !this.recognisedLines(a.config).has(position.line + 1)) return undefined;
    const md = new vscode.MarkdownString(
      a.result.ok ? hoverMarkdown(a.result.prediction, this.fit.label, { omitWarnings: position.line === this.warningLine(document, a) }) : `Precision Planner: no prediction — ${a.result.message}.`,
    );
    return new vscode.Hover(md, document.lineAt(position.line).range);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const a = this.analyse(document);
    if (!a) return [];
    const line = Math.min(...[...this.recognisedLines(a.config)].filter((l) => l > 0), document.lineCount) - 1;
    const title = a.result.ok ? lensTitle(a.result.prediction) : `Precision Planner: ${a.result.message}`;
    return [new vscode.CodeLens(new vscode.Range(Math.max(0, line), 0, Math.max(0, line), 0), { title, command: 'precisionPlanner.fit', tooltip: 'Refit the scaling law on the workspace runs' })];
  }

  private check(document: vscode.TextDocument): void {
    const a = this.analyse(document);
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
    for (const d of vscode.workspace.textDocuments) this.check(d);
    this.lensesChanged.fire();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
