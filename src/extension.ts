// Extension entry point. Activation stays light: no scan or fit runs here.

import * as vscode from 'vscode';
import { CONSTANT_NAMES, PAPER_CONSTANTS, PAPER_PRESET_DESCRIPTION } from './law/constants';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('precisionPlanner.showFitSummary', async () => {
      const doc = await vscode.workspace.openTextDocument({
        language: 'markdown',
        content: [
          `# Paper constants`,
          '',
          PAPER_PRESET_DESCRIPTION,
          '',
          '| constant | value |',
          '|---|---|',
          ...CONSTANT_NAMES.map((n) => `| ${n} | ${PAPER_CONSTANTS[n]} |`),
        ].join('\n'),
      });
      await vscode.window.showTextDocument(doc, { preview: true });
    }),
  );
}

export function deactivate(): void {}
