// End to end in a real VS Code: code-server serves VS Code with the packaged VSIX installed and
// a copy of examples/ open; Chromium (driven by playwright-core) does what a person would and
// the test checks what they would see. Screenshots go to test-results/.
// Needs: `npm run package` (the VSIX) and test/e2e/setup.sh (code-server, Chromium).

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { RESULTS, USER_SETTINGS, type VsCode, closeVsCode, openFile, openVsCode, pollUntil, runCommand } from './codeServer';

const ROOT = path.join(__dirname, '..', '..');

/** The status a run.json gives, or undefined while it is not written (or is being replaced). */
function runStatus(manifest: string): string | undefined {
  try {
    return JSON.parse(readFileSync(manifest, 'utf8')).status;
  } catch {
    return undefined;
  }
}

/** Waits until an element has faded in (hovers animate their opacity), for a screenshot a person would see. */
async function settled(element: Locator): Promise<void> {
  const opacity = () => element.evaluate((e) => {
    // Typed structurally: the tests compile without the DOM library.
    const g = globalThis as unknown as { getComputedStyle(e: unknown): { opacity: string } };
    let node = e as unknown as { parentElement: unknown } | null;
    let product = 1;
    while (node) {
      product *= Number(g.getComputedStyle(node).opacity);
      node = node.parentElement as typeof node;
    }
    return product;
  });
  await pollUntil(async () => (await opacity()) >= 0.999, 5_000, 50);
}

/**
 * Types a compute budget into the dashboard and waits for the host's new plan; returns the plan
 * table's first row. The text box inside the field is filled (Playwright's selectors enter open
 * shadow roots): keystrokes typed into the webview right after a click can race its focus.
 */
async function setBudget(page: Page, view: FrameLocator, value: string): Promise<string> {
  const first = view.locator('#plan-rows tr').first();
  const before = await first.innerText();
  const compute = view.locator('#in-compute');
  const typed = () => compute.evaluate((e) => (e as unknown as { value: string }).value);
  const box = view.locator('#in-compute input');
  await box.fill(value);
  assert.equal(await typed(), value);
  await box.press('Enter');
  await box.press('Tab');
  let after = before;
  await pollUntil(async () => (after = await first.innerText()) !== before, 60_000);
  if (after === before) {
    const invalid = await compute.evaluate((e) => (e as unknown as { hasAttribute(n: string): boolean }).hasAttribute('invalid'));
    await page.screenshot({ path: path.join(RESULTS, 'replan-failure.png') });
    assert.fail(`the plan did not change with the budget ${value} (field "${await typed()}", invalid: ${invalid}; row: ${after})`);
  }
  return after;
}

describe('Precision Planner in VS Code (code-server)', { timeout: 300_000 }, () => {
  let workspace: string;
  let vscode: VsCode | undefined;
  let page: Page;

  /** The user's colour theme, as the settings editor would write it; the workbench follows the file. */
  async function setTheme(theme: string): Promise<void> {
    // The settings watcher compares modification times at one-second resolution.
    await new Promise((r) => setTimeout(r, 1100));
    writeFileSync(path.join(vscode?.server.dirs[0] ?? '', 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, 'workbench.colorTheme': theme }));
  }

  before(async () => {
    workspace = mkdtempSync(path.join(tmpdir(), 'pp-e2e-ws-'));
    cpSync(path.join(ROOT, 'examples'), workspace, { recursive: true });
    vscode = await openVsCode(workspace, true);
    page = vscode.page;
  });

  after(async () => {
    await closeVsCode(vscode, 'precision-planner.log');
    rmSync(workspace, { recursive: true, force: true });
  });

  it('shows the runs in the Runs view, grouped by model size', async () => {
    await page.locator('.activitybar [aria-label^="Precision Planner"]').first().click();
    const rows = page.locator('.pane-body .monaco-list-row');
    await rows.filter({ hasText: 'N = 24.7K' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const text = await page.locator('.pane-body').first().innerText();
    for (const size of ['N = 24.7K', 'N = 98.6K', 'N = 332K']) assert.ok(text.includes(size), `${size} not in the Runs view:\n${text}`);
    // 24.7K: 4 budgets, each part alone at 3 bit-widths, 4 second seeds; 98.6K: 4 budgets and a second seed; 332K: 4 budgets.
    for (const count of ['17 runs', '5 runs', '4 runs']) assert.ok(text.includes(count), `${count} not in the Runs view:\n${text}`);
    // Expanding a size lists its runs with D, precision, loss and PTQ results.
    await rows.filter({ hasText: 'N = 332K' }).first().click();
    const run = rows.filter({ hasText: 'L3W96-D4.8M-fp32' }).first();
    await run.waitFor({ state: 'visible' });
    assert.match(await run.innerText(), /D 4\.8M · fp32 · loss \d\.\d{3} · PTQ 8b \d\.\d{3}, 6b/);
    await page.screenshot({ path: path.join(RESULTS, 'runs-view.png') });
  });

  it('fits from the command palette and the status bar shows the fit', async () => {
    await runCommand(page, 'Precision Planner: Fit Scaling Law');
    const status = page.locator('.statusbar-item', { hasText: /Precision: \d+ runs · R² 0\.\d+/ });
    await status.first().waitFor({ state: 'visible', timeout: 120_000 });
    const text = await status.first().innerText();
    assert.match(text, /Precision: 26 runs · R² 0\.9\d\d/);
    await page.screenshot({ path: path.join(RESULTS, 'fit-status-bar.png') });
  });

  it('a run written into the workspace is picked up and refitted without a command', async () => {
    const source = path.join(workspace, 'runs', 'L3W96-D600k-fp32', 'run.json');
    const manifest = JSON.parse(readFileSync(source, 'utf8'));
    const dir = path.join(workspace, 'runs', 'L3W96-D600k-fp32-seed3');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...manifest, name: 'L3W96-D600k-fp32-seed3', valLoss: manifest.valLoss * 1.002 }, null, 2));
    const status = page.locator('.statusbar-item', { hasText: /Precision: 27 runs · R² 0\.9\d\d/ });
    await status.first().waitFor({ state: 'visible', timeout: 120_000 });
  });

  it('the dashboard draws every chart, replans when the budget changes, and follows the theme', async () => {
    // The browser's own preference decides the first theme (light, headless): start from dark.
    // The web build applies a theme from the settings file when the window loads.
    await setTheme('Default Dark Modern');
    await page.reload();
    await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 60_000 });
    await runCommand(page, 'Precision Planner: Show Dashboard');
    const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await view.locator('#plan-rows tr').first().waitFor({ state: 'visible', timeout: 60_000 });
    // Every chart has drawn: its canvas holds non-transparent pixels.
    for (const id of ['chart-isoflop', 'chart-fit', 'chart-residuals', 'chart-factors', 'chart-precision-loss', 'chart-ptq', 'chart-pareto']) {
      // A background refit may redraw a chart while it is read: look again for a few seconds.
      const pixels = () =>
        view.locator(`#${id}`).evaluate((element) => {
        // Typed structurally: the tests compile without the DOM library.
        const canvas = element as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null };
        const ctx = canvas.getContext('2d');
        if (!ctx || canvas.width === 0) return 0;
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return n;
      });
      let painted = await pixels();
      for (let tries = 0; painted <= 500 && tries < 20; tries++) {
        await page.waitForTimeout(250);
        painted = await pixels();
      }
      assert.ok(painted > 500, `${id} looks blank (${painted} painted pixels)`);
    }
    // The post-quantization predictor's held-out errors, evaluated with the fit, fill their table.
    const predictorRow = view.locator('#predictor-rows tr').first();
    await predictorRow.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await predictorRow.innerText(), /\d\.\d{4}/);
    /** Each panel of the dashboard (plan, fit, precision, PTQ) in the current theme. */
    const shootPanels = async (theme: string) => {
      await page.screenshot({ path: path.join(RESULTS, `dashboard-${theme}.png`) });
      for (const panel of ['plan', 'fit', 'precision', 'ptq', 'quantized']) await view.locator(`section#${panel}`).screenshot({ path: path.join(RESULTS, `dashboard-${theme}-${panel}.png`) });
    };
    const after = await setBudget(page, view, '3e23');
    await view.locator('body.vscode-dark').waitFor({ timeout: 30_000 });
    await shootPanels('dark');
    // A chart exported as PNG in the dark theme is readable on white: its background is opaque.
    await view.locator('[data-chart="chart-fit"][data-export="png"]').click();
    const save = page.locator('.quick-input-widget input');
    await save.waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.quick-input-widget', { hasText: 'fit.png' }).first().waitFor({ state: 'visible', timeout: 30_000 }).catch(() => undefined);
    await save.fill(path.join(workspace, 'fit.png'));
    await page.keyboard.press('Enter');
    const png = path.join(workspace, 'fit.png');
    assert.ok(await pollUntil(() => existsSync(png), 30_000), 'the PNG was not written');
    const corner = await page.evaluate(async (b64) => {
      // Typed structurally: the tests compile without the DOM library.
      const g = globalThis as unknown as { Image: new () => { src: string; width: number; height: number; decode(): Promise<void> }; document: { createElement(tag: 'canvas'): { width: number; height: number; getContext(k: '2d'): { drawImage(i: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } } } };
      const img = new g.Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = g.document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      return Array.from(ctx.getImageData(1, 1, 1, 1).data);
    }, readFileSync(png).toString('base64'));
    assert.equal(corner[3], 255, `the exported PNG's corner is transparent: rgba(${corner.join(', ')})`);
    assert.ok(corner[0] + corner[1] + corner[2] < 3 * 96, `the dark theme's PNG is not on the theme's dark background: rgba(${corner.join(', ')})`);
    for (const [theme, file] of [['Default Light Modern', 'light'], ['Default High Contrast', 'high-contrast'], ['Default Dark Modern', '']] as const) {
      await setTheme(theme);
      // The web build applies a theme from the settings file when the window loads; reloading
      // the window also shows the dashboard restored by its serializer, with the budget typed above.
      await page.reload();
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
      await view.locator('#plan-rows tr').first().waitFor({ state: 'visible', timeout: 60_000 });
      assert.equal(await view.locator('#plan-rows tr').first().innerText(), after, 'the restored dashboard lost its inputs');
      const workbench = theme.includes('Light') ? 'vs' : theme.includes('High Contrast') ? 'hc-black' : 'vs-dark';
      await page
        .locator(`.monaco-workbench.${workbench}`)
        .waitFor({ timeout: 30_000 })
        .catch(async (e) => {
          await page.screenshot({ path: path.join(RESULTS, `theme-failure.png`) });
          throw new Error(`${theme} not applied; workbench classes: ${await page.locator('.monaco-workbench').getAttribute('class')}: ${e}`);
        });
      const kind = theme.includes('Light') ? 'vscode-light' : theme.includes('High Contrast') ? 'vscode-high-contrast' : 'vscode-dark';
      await view.locator(`body.${kind}`).waitFor({ timeout: 30_000 });
      await page.waitForTimeout(500);
      if (file) await shootPanels(file);
    }
    await runCommand(page, 'View: Close All Editors');
  });

  it('hovering the tokens line of a config shows a predicted loss', async () => {
    await openFile(page, 'llama_85m.yaml');
    const line = page.locator('.monaco-editor .view-line', { hasText: 'tokens: 3B' }).first();
    await line.waitFor({ state: 'visible' });
    const lens = page.locator('.monaco-editor .codelens-decoration', { hasText: 'predicted loss' });
    await lens.first().waitFor({ state: 'visible', timeout: 30_000 });
    await line.locator('span', { hasText: 'tokens' }).first().hover();
    const hover = page.locator('.monaco-hover', { hasText: 'Predicted loss' });
    await hover.first().waitFor({ state: 'visible', timeout: 30_000 });
    const text = await hover.first().innerText();
    assert.match(text, /Predicted loss \d\.\d{3}/);
    assert.match(text, /after PTQ to/);
    assert.match(text, /workspace fit \(2[67] runs/);
    await settled(hover.first());
    await page.screenshot({ path: path.join(RESULTS, 'config-hover.png') });
  });

  it('the hover follows a change of the cost model setting, not the analysis made before it', async () => {
    await openFile(page, 'llama_85m.yaml');
    const hoverText = async (): Promise<string> => {
      await page.keyboard.press('Escape');
      const line = page.locator('.monaco-editor .view-line', { hasText: 'tokens: 3B' }).first();
      await line.waitFor({ state: 'visible' });
      await page.mouse.move(0, 0);
      await line.locator('span', { hasText: 'tokens' }).first().hover();
      const hover = page.locator('.monaco-hover', { hasText: 'Predicted loss' }).first();
      await hover.waitFor({ state: 'visible', timeout: 30_000 });
      return hover.innerText();
    };
    assert.match(await hoverText(), /FLOPs \(counted as 6ND × P\/16\)/);
    const settingsFile = path.join(workspace, '.vscode', 'settings.json');
    const saved = existsSync(settingsFile) ? readFileSync(settingsFile, 'utf8') : undefined;
    mkdirSync(path.dirname(settingsFile), { recursive: true });
    writeFileSync(settingsFile, JSON.stringify({ ...(saved ? JSON.parse(saved) : {}), 'precisionPlanner.costModel': '6nd' }));
    try {
      let text = '';
      const followed = await pollUntil(async () => /FLOPs \(counted as 6ND\)/.test((text = await hoverText())), 30_000, 500);
      assert.ok(followed, `the hover still says: ${text}`);
    } finally {
      if (saved === undefined) rmSync(settingsFile);
      else writeFileSync(settingsFile, saved);
    }
    assert.ok(await pollUntil(async () => /counted as 6ND × P\/16/.test(await hoverText()), 30_000, 500), 'the hover did not return to the default cost model');
    await page.keyboard.press('Escape');
  });

  it('the hover and CodeLens on llama_85m.yaml say it is an extrapolation and not comparable; the dashboard says how far a 1e21 plan extrapolates', async () => {
    await openFile(page, 'llama_85m.yaml');
    // The CodeLens states the factors beyond the byte-level example runs and the tokenizer mismatch.
    const lens = page.locator('.monaco-editor .codelens-decoration', { hasText: /extrapolated \(N ×[\d,]+, D ×[\d,]+\) · not comparable \(tokenizer\)/ });
    await lens.first().waitFor({ state: 'visible', timeout: 30_000 });
    // A hover left open by an earlier test would be read instead of the new one.
    await page.keyboard.press('Escape');
    const line = page.locator('.monaco-editor .view-line', { hasText: 'tokens: 3B' }).first();
    await line.waitFor({ state: 'visible' });
    await line.locator('span', { hasText: 'tokens' }).first().hover();
    const hover = page.locator('.monaco-hover', { hasText: 'Not comparable' });
    await hover.first().waitFor({ state: 'visible', timeout: 30_000 });
    const text = await hover.first().innerText();
    assert.match(text, /Extrapolation — N ×[\d,]+ beyond the largest run \(85M vs 332K\), D ×[\d,]+ beyond the largest run/);
    assert.match(text, /Not comparable — this config's tokenizer \(vocabulary 32K\) differs from the 2[67] runs of the fit \(byte-level, vocabulary 256; loss in nats per byte\)/);
    // Both come before the details of the prediction.
    assert.ok(text.indexOf('Extrapolation') < text.indexOf('after PTQ to') && text.indexOf('Not comparable') < text.indexOf('after PTQ to'), text);
    await settled(hover.first());
    await page.screenshot({ path: path.join(RESULTS, 'config-hover-domain.png') });
    await page.keyboard.press('Escape');

    await runCommand(page, 'Precision Planner: Show Dashboard');
    const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await view.locator('#plan-rows tr').first().waitFor({ state: 'visible', timeout: 60_000 });
    // The dashboard restores the budget typed earlier: set 1e21 and wait for the host's new plan.
    const typed = await view.locator('#in-compute').evaluate((e) => (e as unknown as { value: string }).value);
    if (Number(typed) !== 1e21) await setBudget(page, view, '1e21');
    const domain = view.locator('#plan-domain', { hasText: /This plan is an extrapolation: N ×[\d,]+ beyond the largest run/ });
    await domain.waitFor({ state: 'visible', timeout: 60_000 });
    const said = await domain.innerText();
    const factor = Number(/N ×([\d,]+)/.exec(said)?.[1].replace(/,/g, ''));
    assert.ok(factor >= 1000, `a 1e21 plan from runs of under 1M parameters is thousands of times beyond them: ${said}`);
    assert.match(said, /D ×[\d,]+ beyond the largest run/);
    assert.match(await view.locator('#plan-notes').innerText(), /loss level: fitted on the runs/);
    await view.locator('section#plan').screenshot({ path: path.join(RESULTS, 'dashboard-plan-domain.png') });
    await runCommand(page, 'View: Close All Editors');

    // The palette's Recommend says the same of its plan.
    await runCommand(page, 'Precision Planner: Recommend for a Compute Budget');
    const budget = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget', { hasText: 'Training compute in FLOPs' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await budget.fill('1e21');
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'Compute-optimal plan' });
    await dialog.first().waitFor({ state: 'visible', timeout: 30_000 });
    const shown = await dialog.first().innerText();
    assert.match(shown, /This plan is an extrapolation: N ×[\d,]+ beyond the largest run/);
    assert.match(shown, /95% prediction interval for a run/);
    await page.keyboard.press('Escape');
    await dialog.first().waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('Train a Run starts a training task and the new run appears in the Runs view', async () => {
    await runCommand(page, 'Precision Planner: Train a Run');
    const input = page.locator('.quick-input-widget input');
    // Size, tokens, precision: each box comes up with the setting's default, replaced here.
    for (const [step, value] of [['1/3', '1x32'], ['2/3', '20k'], ['3/3', 'w4a4kv4']] as const) {
      await page.locator('.quick-input-widget', { hasText: step }).waitFor({ state: 'visible' });
      await input.fill(value);
      await page.keyboard.press('Enter');
    }
    // The task's terminal opens; the run lands in runs/ and the Runs view lists it when done.
    await page.locator('.part.panel', { hasText: 'train 1x32' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const manifest = path.join(workspace, 'runs', 'L1W32-D20k-w4a4kv4', 'run.json');
    await pollUntil(() => runStatus(manifest) === 'complete', 180_000, 500);
    assert.equal(runStatus(manifest), 'complete');
    await page.screenshot({ path: path.join(RESULTS, 'training-task.png') });
    // The Runs view is still open from the first test (clicking its icon again would hide it).
    const rows = page.locator('.pane-body .monaco-list-row');
    await rows.filter({ hasText: 'N = 12.4K' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    await rows.filter({ hasText: 'N = 12.4K' }).first().click();
    const run = rows.filter({ hasText: 'L1W32-D20k-w4a4kv4' }).first();
    await run.waitFor({ state: 'visible' });
    // A scan while the run was still going listed it unfinished (a loss from its curve, no PTQ
    // yet); the rescan after it completes fills in the rest.
    let text = await run.innerText();
    for (let tries = 0; !/· PTQ/.test(text) && tries < 120; tries++) {
      await page.waitForTimeout(500);
      text = await run.innerText();
    }
    assert.match(text, /D 20\.5K · int4 · loss \d\.\d{3} · PTQ/);
    await page.screenshot({ path: path.join(RESULTS, 'training-run-in-view.png') });
  });

  it('a provided training task runs from Run Task without asking to scan its output', async () => {
    // Small defaults, as a user would set them, so the provided task trains in seconds.
    mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'precisionPlanner.training.size': '1x32', 'precisionPlanner.training.tokens': '20k', 'precisionPlanner.training.precision': 'fp32' }));
    const label = 'train 1x32 on 20k tokens in fp32';
    // The task list is read when the picker opens: open it again until the new defaults show.
    for (let attempt = 1; ; attempt++) {
      await runCommand(page, 'Tasks: Run Task');
      await page.locator('.quick-input-widget', { hasText: /Select the task to run|contributed/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
      const input = page.locator('.quick-input-widget input');
      await input.fill('precision-train');
      const group = page.locator('.quick-input-list .monaco-list-row', { hasText: 'precision-train' }).first();
      await group.waitFor({ state: 'visible', timeout: 30_000 });
      await page.keyboard.press('Enter');
      const found = await page
        .locator('.quick-input-list .monaco-list-row', { hasText: label })
        .first()
        .waitFor({ state: 'visible', timeout: 10_000 })
        .then(() => true, () => false);
      if (found) break;
      await page.keyboard.press('Escape');
      if (attempt === 5) throw new Error(`the provided task "${label}" is not offered`);
    }
    await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().click();
    // A task without problem matchers would now ask which errors to scan the output for.
    await page.locator('.part.panel', { hasText: 'train 1x32' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const manifest = path.join(workspace, 'runs', 'L1W32-D20k-fp32', 'run.json');
    await pollUntil(() => runStatus(manifest) === 'complete', 180_000, 500);
    assert.equal(runStatus(manifest), 'complete');
    assert.equal(await page.locator('.quick-input-widget', { hasText: 'scan the task output' }).count(), 0, 'VS Code asked to scan the task output');
    assert.equal(await page.locator('.quick-input-widget:visible').count(), 0, 'a picker is still open');
  });

  it("Launch a Sweep's confirmation says what the default sweep could identify, before anything trains", async () => {
    const before = readdirSync(path.join(workspace, 'runs')).sort();
    await runCommand(page, 'Precision Planner: Launch a Sweep');
    // The provided sweep is the example design: its 26 runs are the example workspace's, kept.
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'Launch a sweep of 26 run(s)?' });
    await dialog.first().waitFor({ state: 'visible', timeout: 120_000 });
    const shown = await dialog.first().innerText();
    // Drawn from the workspace fit in use (the earlier tests fitted the examples), with its measured noise.
    assert.match(shown, /By simulation \(12 refits of the grid drawn from the workspace fit \(where it fitted nothing, the paper's: bPost\), noise 0\.0\d+ nats per run/);
    assert.match(shown, /Identifiable: [^\n]*gammaD \(±\d+%\)/);
    assert.match(shown, /Identifiable: [^\n]*gammaPost \(±\d+%\)/);
    assert.match(shown, /already complete, kept/);
    await page.screenshot({ path: path.join(RESULTS, 'launch-sweep-design.png') });
    await page.keyboard.press('Escape');
    await dialog.first().waitFor({ state: 'detached', timeout: 30_000 });
    assert.deepEqual(readdirSync(path.join(workspace, 'runs')).sort(), before, 'cancelling the confirmation trained something');
  });

  it('Suggest Next Runs simulates in a worker and says how much narrower the interval at the plan gets; Escape trains nothing', async () => {
    const before = readdirSync(path.join(workspace, 'runs')).sort();
    // No config in the editor: the target is the plan at the compute budget typed.
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Precision Planner: Suggest Next Runs');
    const input = page.locator('.quick-input-widget input');
    for (const [title, value] of [['(target)', '1e15'], ['(budget)', '0.5']] as const) {
      await page.locator('.quick-input-widget', { hasText: title }).waitFor({ state: 'visible', timeout: 30_000 });
      await input.fill(value);
      await page.keyboard.press('Enter');
    }
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'to narrow the prediction at the plan at 1.00e+15 FLOPs' });
    await dialog.first().waitFor({ state: 'visible', timeout: 120_000 });
    const shown = await dialog.first().innerText();
    assert.match(shown, /95% prediction interval at the target now: \d\.\d+ to \d\.\d+/);
    assert.match(shown, /Expected with the runs: \d\.\d+ to \d\.\d+, \d+% narrower/);
    assert.match(shown, /L\dW\d+-D[\d.]+[kM]-\w+: N [\d,]+, D [\d,]+, \w+, [\d.]+ CPU-hours/);
    assert.match(shown, /By 8 simulated refits: runs drawn from the workspace fit/);
    assert.ok(await dialog.first().locator('a.monaco-button', { hasText: 'Launch as a Sweep' }).count() > 0 || shown.includes('Launch as a Sweep'));
    await page.screenshot({ path: path.join(RESULTS, 'suggest-next-runs.png') });
    await page.keyboard.press('Escape');
    await dialog.first().waitFor({ state: 'detached', timeout: 30_000 });
    assert.deepEqual(readdirSync(path.join(workspace, 'runs')).sort(), before, 'cancelling the suggestion trained something');
  });

  it('Export Report into the workspace leaves the runs as they were, and Show Fit Report closes without asking to save', async () => {
    // First the fit takes in every finished run on disk (the last trained run may still be on its way).
    const runsDir = path.join(workspace, 'runs');
    const finished = readdirSync(runsDir).filter((d) => runStatus(path.join(runsDir, d, 'run.json')) === 'complete').length;
    const status = page.locator('.statusbar-item', { hasText: /Precision: \d+ runs · R²/ }).first();
    const fittedOn = async (n: number) =>
      page.locator('.statusbar-item', { hasText: `Precision: ${n} runs · R²` }).first().waitFor({ state: 'visible', timeout: 120_000 }).catch(async (e) => {
        throw new Error(`the fit did not come to ${n} runs (status bar: ${await status.innerText()}): ${e}`);
      });
    await fittedOn(finished);
    await runCommand(page, 'Precision Planner: Export Report');
    // VS Code's own folder picker opens at the workspace folder; accept it as it is.
    const accept = page.locator('.quick-input-widget .monaco-button', { hasText: 'Export Here' });
    await accept.first().waitFor({ state: 'visible', timeout: 30_000 });
    await accept.first().click();
    await page.locator('.notification-toast', { hasText: 'report written to' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const [report] = readdirSync(workspace).filter((n) => n.startsWith('precision-report-'));
    assert.ok(report, `no report folder in ${readdirSync(workspace).join(', ')}`);
    assert.ok(existsSync(path.join(workspace, report, 'runs.csv')));
    // Remove the copied run of the third test: the scan that sees it gone also sees the report.
    // The fit then has one run fewer; read back as a sweep table, the report would double every
    // run instead.
    rmSync(path.join(runsDir, 'L3W96-D600k-fp32-seed3'), { recursive: true });
    await fittedOn(finished - 1);
    const rows = await page.locator('.pane-body').first().innerText();
    // Read back, the 17 runs of 24.7K would be 34.
    assert.doesNotMatch(rows, /runs\.csv|3[45] runs/, `the report was read as runs:\n${rows}`);

    await runCommand(page, 'Precision Planner: Show Fit Report');
    const tab = page.locator('.tabs-container .tab', { hasText: 'Fit Report.md' });
    await tab.first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.monaco-editor .view-line', { hasText: '# Precision Planner report' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await runCommand(page, 'View: Close Editor');
    await tab.first().waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'closing the report asked something');
  });
});
