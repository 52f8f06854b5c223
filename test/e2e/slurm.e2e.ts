// A precision-sweep task on Slurm, end to end: a real one-node Slurm (test/slurm/cluster.sh,
// started here), the packaged extension in code-server, a tasks.json as a user writes it. Run
// Task starts it; its terminal shows the jobs' states and the runs' progress; the runs appear in
// the Runs view as they land.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeTinyCorpus } from '../support/corpus';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { RESULTS, type VsCode, closeVsCode, openVsCode, pollUntil, runCommand } from './codeServer';

const CLUSTER = path.join(__dirname, '..', 'slurm', 'cluster.sh');
const LABEL = 'slurm sweep';

/** The job state planned-run.json gives, or undefined while it is not written (or is being replaced). */
function jobState(runDir: string): string | undefined {
  try {
    return JSON.parse(readFileSync(path.join(runDir, 'planned-run.json'), 'utf8')).job.state;
  } catch {
    return undefined;
  }
}

describe('a sweep on Slurm from Run Task (code-server)', { timeout: 300_000 }, () => {
  let workspace: string;
  let vscode: VsCode | undefined;
  let page: Page;

  before(async () => {
    execFileSync('bash', [CLUSTER, 'start'], { stdio: 'inherit' });
    workspace = mkdtempSync(path.join(tmpdir(), 'pp-e2e-slurm-'));
    writeTinyCorpus(path.join(workspace, 'corpus'));
    mkdirSync(path.join(workspace, '.vscode'));
    // As a user writes it: a small grid, the resources, the built-in trainer.
    const task = { label: LABEL, type: 'precision-sweep', executor: 'slurm', slurm: { time: '10', cpus: 1 }, poll: 1, sizes: ['1x32'], tokens: ['60k', '90k'], precisions: ['fp32'], corpus: ['corpus'], context: 32, batch: 4, evalTokens: '1k', ptqBits: [8], ptqGroups: ['channel'], name: 'e2e' };
    writeFileSync(path.join(workspace, '.vscode', 'tasks.json'), JSON.stringify({ version: '2.0.0', tasks: [task] }, null, 2));
    vscode = await openVsCode(workspace, true);
    page = vscode.page;
  });

  after(async () => {
    await closeVsCode(vscode, 'precision-planner-slurm.log');
    try {
      execFileSync('scancel', ['--name=pp-e2e']);
    } catch {
      // Nothing left.
    }
    execFileSync('bash', [CLUSTER, 'stop'], { stdio: 'inherit' });
    rmSync(workspace, { recursive: true, force: true });
  });

  it("runs from Run Task: the terminal shows the jobs' states and progress, the runs appear in the Runs view", async () => {
    // The picker lists the tasks known when it opens: while the extension is still activating
    // (its task types registered), close it and look again.
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: LABEL }).first();
    for (let attempt = 1; ; attempt++) {
      await runCommand(page, 'Tasks: Run Task');
      if (await row.waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false)) break;
      await page.screenshot({ path: path.join(RESULTS, 'slurm-run-task.png') });
      await page.keyboard.press('Escape');
      if (attempt === 5) throw new Error(`the task "${LABEL}" of tasks.json is not offered by Run Task`);
    }
    await row.click();
    // The terminal (xterm's DOM renderer: terminal.integrated.gpuAcceleration off in the user settings).
    const terminal = page.locator('.terminal-wrapper.active .xterm-rows, .xterm-rows').first();
    const text = async (): Promise<string> => (await terminal.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
    assert.ok(await pollUntil(async () => /submitted as Slurm job array \d+/.test(await text()), 60_000), `no submission in the terminal:\n${await text()}`);
    assert.ok(await pollUntil(async () => /Slurm job \d+_\d: running/.test(await text()), 60_000), `no running job in the terminal:\n${await text()}`);
    // Progress from the run's metrics.jsonl, on a status line rewritten in place while it trains.
    assert.ok(await pollUntil(async () => /L1W32-D\d0k-fp32: step \d+\/\d+ /.test(await text()), 60_000, 100), `no progress in the terminal:\n${await text()}`);
    const runs = ['L1W32-D60k-fp32', 'L1W32-D90k-fp32'].map((name) => path.join(workspace, 'runs', name));
    assert.ok(await pollUntil(() => runs.every((r) => jobState(r) === 'complete'), 180_000, 500), `jobs did not complete: ${runs.map(jobState).join(', ')}`);
    assert.ok(await pollUntil(async () => /2 complete, 0 already complete/.test(await text()), 60_000), `no summary in the terminal:\n${await text()}`);
    const shown = await text();
    assert.match(shown, /\[\d\/2\] L1W32-D\d0k-fp32: N=12\.4k, D=\d0\.\dk in \d+ steps/);
    assert.match(shown, /Slurm job \d+_\d: ended \(COMPLETED\)/);
    await page.screenshot({ path: path.join(RESULTS, 'slurm-task.png') });

    // The Runs view lists both, read back from the shared folder (the scan follows the files).
    await page.locator('.activitybar [aria-label^="Precision Planner"]').first().click();
    const rows = page.locator('.pane-body .monaco-list-row');
    const group = rows.filter({ hasText: 'N = 12.4K' }).first();
    await group.waitFor({ state: 'visible', timeout: 60_000 });
    await group.click();
    for (const name of ['L1W32-D60k-fp32', 'L1W32-D90k-fp32']) await rows.filter({ hasText: name }).first().waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await rows.filter({ hasText: 'L1W32-D90k-fp32' }).first().innerText(), /loss \d\.\d{3}/);
    await page.screenshot({ path: path.join(RESULTS, 'slurm-runs-view.png') });
  });
});
