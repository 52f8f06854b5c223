// The first two runs of a sweep (one model size) in a real VS Code: the fit the background refit
// makes of them cannot fit the loss level, so it is not adopted — the paper constants stay, and
// the status bar, a notification and the fit report say why.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { RESULTS, type VsCode, closeVsCode, openFile, openVsCode, runCommand } from './codeServer';

const ROOT = path.join(__dirname, '..', '..');

describe('Precision Planner on two runs of one size', { timeout: 240_000 }, () => {
  let workspace: string;
  let vscode: VsCode | undefined;
  let page: Page;

  before(async () => {
    workspace = mkdtempSync(path.join(tmpdir(), 'pp-e2e-two-'));
    for (const run of ['L2W32-D2.4M-fp32', 'L2W32-D2.4M-w4a32kv32']) cpSync(path.join(ROOT, 'examples', 'runs', run), path.join(workspace, 'runs', run), { recursive: true });
    cpSync(path.join(ROOT, 'examples', 'configs'), path.join(workspace, 'configs'), { recursive: true });
    vscode = await openVsCode(workspace, true);
    page = vscode.page;
  });

  after(async () => {
    await closeVsCode(vscode, 'precision-planner-two-runs.log');
    rmSync(workspace, { recursive: true, force: true });
  });

  it('keeps the paper constants and says why', async () => {
    // The background refit runs by itself once the runs are found; its verdict is a warning.
    const toast = page.locator('.notification-toast', { hasText: 'is not used' });
    await toast.first().waitFor({ state: 'visible', timeout: 120_000 });
    const said = await toast.first().innerText();
    assert.match(said, /the fit of 2 runs .*is not used: the loss level .* could not be fitted/);
    assert.match(said, /Predictions keep using the paper constants/);
    const status = page.locator('.statusbar-item', { hasText: 'Precision:' }).first();
    await page.locator('.statusbar-item', { hasText: 'Precision: 2 runs · paper constants (fit not used)' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.doesNotMatch(await status.innerText(), /R²/);
    await page.screenshot({ path: path.join(RESULTS, 'two-runs-fit-not-used.png') });

    // Predictions on a config use the paper constants.
    await openFile(page, 'llama_85m.yaml');
    const lens = page.locator('.monaco-editor .codelens-decoration', { hasText: 'predicted loss' });
    await lens.first().waitFor({ state: 'visible', timeout: 30_000 });
    const line = page.locator('.monaco-editor .view-line', { hasText: 'tokens: 3B' }).first();
    await line.locator('span', { hasText: 'tokens' }).first().hover();
    const hover = page.locator('.monaco-hover', { hasText: 'Predicted loss' });
    await hover.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await hover.first().innerText(), /Constants: paper/);
    await page.keyboard.press('Escape');

    // The fit report names the reason too.
    await runCommand(page, 'Precision Planner: Show Fit Report');
    await page.locator('.monaco-editor .view-line', { hasText: 'The latest fit was not used' }).first().waitFor({ state: 'visible', timeout: 30_000 });
  });

  it('says what is wrong with a cost table in the settings, once, and plans with the defaults', async () => {
    mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'precisionPlanner.costModel': { bf16: 1, int4: 0 } }));
    const toast = page.locator('.notification-toast', { hasText: 'precisionPlanner.costModel' });
    await toast.first().waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await toast.first().innerText(), /"int4": the relative speed must be a positive number \(got 0\); using bits-linear/);
  });
});
