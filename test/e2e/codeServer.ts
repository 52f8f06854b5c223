// A code-server with the packaged extension installed, and the few gestures the end-to-end
// tests and the VS Code benchmarks share. Needs `npm run package` and test/e2e/setup.sh.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';

// Re-exported so benchmarks outside test/e2e reach the driver installed here.
export { chromium };

const ROOT = path.join(__dirname, '..', '..');
const CODE_SERVER = path.join(__dirname, 'node_modules', '.bin', 'code-server');
const VSIX = path.join(ROOT, 'dist', 'precision-planner.vsix');
export const RESULTS = path.join(ROOT, 'test-results');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

// No welcome page, no trust prompt blocking the view; the tests open what they need.
export const USER_SETTINGS = { 'workbench.startupEditor': 'none', 'security.workspace.trust.startupPrompt': 'never', 'workbench.tips.enabled': false, 'telemetry.telemetryLevel': 'off', 'window.autoDetectHighContrast': false, 'terminal.integrated.gpuAcceleration': 'off' };

export interface Server {
  url: string;
  process: ChildProcess;
  dirs: string[];
}

/** A code-server with the VSIX installed and `folder` open; `trusted: false` keeps Workspace Trust on. */
export async function startCodeServer(folder: string, trusted: boolean): Promise<Server> {
  const userData = mkdtempSync(path.join(tmpdir(), 'pp-e2e-user-'));
  const extensions = mkdtempSync(path.join(tmpdir(), 'pp-e2e-ext-'));
  mkdirSync(path.join(userData, 'User'), { recursive: true });
  writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS));
  execFileSync(CODE_SERVER, ['--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', VSIX], { stdio: 'pipe' });
  const port = await freePort();
  const args = ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--user-data-dir', userData, '--extensions-dir', extensions];
  if (trusted) args.push('--disable-workspace-trust');
  const child = spawn(CODE_SERVER, [...args, folder], { stdio: 'ignore', detached: true });
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`;
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
  return { url, process: child, dirs: [userData, extensions] };
}

export function stopCodeServer(server: Server | undefined): void {
  if (!server) return;
  try {
    if (server.process.pid) process.kill(-server.process.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  for (const d of server.dirs) rmSync(d, { recursive: true, force: true });
}

export async function runCommand(page: Page, title: string): Promise<void> {
  // The palette lists the commands known when it opens: while extensions are still being
  // registered (a fresh window), close it and look again.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const found = await page
      .locator('.quick-input-list .monaco-list-row', { hasText: title })
      .first()
      .waitFor({ state: 'visible', timeout: 5_000 })
      .then(() => true, () => false);
    if (found) break;
    if (attempt === 4) {
      await page.screenshot({ path: path.join(RESULTS, 'command-failure.png') });
      throw new Error(`command "${title}" is not in the command palette`);
    }
    await page.keyboard.press('Escape');
  }
  // The row that names the command, not whichever is first (a recently used "Tasks: Restart
  // Running Task" comes before "Tasks: Run Task").
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().click();
}

/**
 * Waits for a state outside the page (a file on disk, a run's status) or one read from it: checks
 * every `everyMs` until `check` holds or `timeoutMs` passes; returns whether it held.
 */
export async function pollUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .view-lines').first().waitFor({ state: 'visible' });
}


/** Copies the "Precision Planner" output channel's log file out of a code-server user-data folder. */
export function copyLogs(userData: string, target: string): void {
  const walk = (dir: string): string | undefined => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      const found = e.isDirectory() ? walk(full) : e.name.endsWith('Precision Planner.log') ? full : undefined;
      if (found) return found;
    }
    return undefined;
  };
  try {
    const log = walk(path.join(userData, 'logs'));
    if (log) copyFileSync(log, target);
  } catch {
    // no logs yet
  }
}

/** A code-server on `folder` and a Chromium page showing its workbench. */
export interface VsCode {
  server: Server;
  browser: Browser;
  page: Page;
}

/** Starts code-server on `folder` (see startCodeServer), opens it in Chromium and waits for the workbench. */
export async function openVsCode(folder: string, trusted: boolean): Promise<VsCode> {
  mkdirSync(RESULTS, { recursive: true });
  const server = await startCodeServer(folder, trusted);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(server.url);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  return { server, browser, page };
}

/** Closes what openVsCode opened; with `log`, the extension's own log (scans, fits) is kept there for whoever reads a failed run. */
export async function closeVsCode(vscode: VsCode | undefined, log?: string): Promise<void> {
  if (!vscode) return;
  if (log) copyLogs(vscode.server.dirs[0], path.join(RESULTS, log));
  await vscode.browser.close();
  stopCodeServer(vscode.server);
}
