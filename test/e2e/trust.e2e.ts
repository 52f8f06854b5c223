// Workspace Trust in a real VS Code: with trust on and the folder not trusted (Restricted Mode),
// runs are still read, but Train a Run is refused with the reason and no run is written.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { RESULTS, type VsCode, closeVsCode, openVsCode, runCommand } from './codeServer';

const ROOT = path.join(__dirname, '..', '..');

describe('Precision Planner in an untrusted workspace', { timeout: 240_000 }, () => {
  let workspace: string;
  let vscode: VsCode | undefined;
  let page: Page;

  before(async () => {
    workspace = mkdtempSync(path.join(tmpdir(), 'pp-e2e-untrusted-'));
    cpSync(path.join(ROOT, 'examples', 'configs'), path.join(workspace, 'configs'), { recursive: true });
    // A cloned repository's tasks.json that would submit its own command to Slurm.
    mkdirSync(path.join(workspace, '.vscode'));
    writeFileSync(path.join(workspace, '.vscode', 'tasks.json'), JSON.stringify({ version: '2.0.0', tasks: [{ label: 'cluster sweep', type: 'precision-sweep', executor: 'slurm', command: 'touch pwned-{name}', sizes: ['1x32'], tokens: ['20k'], precisions: ['fp32'] }] }));
    vscode = await openVsCode(workspace, false);
    page = vscode.page;
  });

  after(async () => {
    await closeVsCode(vscode);
    rmSync(workspace, { recursive: true, force: true });
  });

  it('refuses to train, says why, and writes nothing', async () => {
    // Restricted Mode shows in the status bar: the workspace is really untrusted.
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    await runCommand(page, 'Precision Planner: Train a Run');
    const toast = page.locator('.notification-toast', { hasText: 'training is disabled in an untrusted workspace' });
    await toast.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await toast.first().innerText(), /Manage Workspace Trust/);
    // No input box was offered and no run folder appeared.
    assert.equal(await page.locator('.quick-input-widget', { hasText: '1/3' }).isVisible(), false);
    assert.equal(existsSync(path.join(workspace, 'runs')), false);
    await page.screenshot({ path: path.join(RESULTS, 'untrusted-training-refused.png') });
  });

  it("refuses Launch a Sweep of a tasks.json sweep on Slurm with its own command: nothing is submitted or written", async () => {
    // The first test's refusal cleared away, so the one seen here is Launch a Sweep's.
    await runCommand(page, 'Notifications: Clear All Notifications');
    await page.locator('.notification-toast').first().waitFor({ state: 'detached', timeout: 30_000 });
    await runCommand(page, 'Precision Planner: Launch a Sweep');
    const toast = page.locator('.notification-toast', { hasText: 'training is disabled in an untrusted workspace' });
    await toast.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(existsSync(path.join(workspace, 'runs')), false);
    assert.deepEqual(readdirSync(workspace).sort(), ['.vscode', 'configs']);
  });
});
