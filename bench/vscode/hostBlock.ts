// bench/vscode/hostBlock.ts: how long a scan of the workspace blocks the extension host's thread,
// with the scan in that thread (as the extension did before, scan() called from runsModel.ts)
// against the scan in the worker thread it uses now (dist/scanWorker.js through ScanClient).
// Measured here, in a plain Node process standing in for the host: a 10 ms ticker records the
// longest gap between its ticks (what a hover, a keystroke or a CodeLens would wait), and
// perf_hooks.monitorEventLoopDelay the same from libuv's side; eventLoopUtilization gives the
// time the thread was busy at all. The same watch over an idle thread is the floor: on a shared
// machine the OS alone deschedules a thread for tens of ms. Inputs, generated into the temp
// folder and deleted after: a Hugging Face Trainer folder whose trainer_state.json is --mb MB
// (test/support/hfState.ts: the Trainer's shape, a log_history entry per step), and a sweep
// table of --sweep-mb MB (a JSON list of rows, one run each: the structured clone of that many
// runs back to the host is part of what is measured).
// Usage (the worker bundle first): node esbuild.js && node --import tsx bench/vscode/hostBlock.ts [--mb 250] [--sweep-mb 14] [--repeats 3]

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { ScanClient, startScanWorker } from '../../src/extension/scanClient';
import type { ScanRequest } from '../../src/extension/scanService';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import { DEFAULT_EXCLUDE, ScanCache, scan } from '../../src/runs/discover';
import { writeTrainerState } from '../../test/support/hfState';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
type Where = 'host' | 'worker' | 'idle';
const IDLE_MS = 8_000;
const DIST_WORKER = path.join(__dirname, '..', '..', 'dist', 'scanWorker.js');

/** A sweep table as a JSON list of rows (name, N, D, precision, loss), about `bytes` long. */
async function writeSweepJson(file: string, bytes: number): Promise<number> {
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const precisions = ['bf16', 'fp8', 'int8', 'int4', 'w4a8kv4'];
  let written = 0;
  let rows = 0;
  out.write('[\n');
  while (written < bytes) {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++, rows++) {
      const params = Math.round(1e7 * 1.3 ** (rows % 20));
      const tokens = Math.round(2e8 * 1.5 ** (Math.floor(rows / 20) % 12));
      lines.push(`  {"run": "sweep-${rows}", "params": ${params}, "tokens": ${tokens}, "precision": "${precisions[rows % precisions.length]}", "val_loss": ${(2.5 + 30 / Math.log(params) + 0.001 * (rows % 97)).toFixed(5)}}`);
    }
    const text = `${written > 0 ? ',\n' : ''}${lines.join(',\n')}`;
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  }
  out.write('\n]\n');
  out.end();
  await once(out, 'finish');
  return rows;
}

interface Block {
  /** Longest gap between two ticks of a 10 ms interval, ms. */
  gapMs: number;
  /** monitorEventLoopDelay's maximum, ms. */
  delayMs: number;
  /** Time the thread's event loop was busy (eventLoopUtilization's active time), ms. */
  busyMs: number;
  wallMs: number;
  runs: number;
}

/** Runs `work` while watching this thread's event loop. */
async function watched(work: () => Promise<number>): Promise<Block> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let last = performance.now();
  let gap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 10);
  histogram.enable();
  const loop = performance.eventLoopUtilization();
  const started = performance.now();
  const runs = await work();
  const wallMs = performance.now() - started;
  // The tick after the work: a block that ended the work is counted too.
  await new Promise((r) => setTimeout(r, 30));
  clearInterval(ticker);
  histogram.disable();
  const busyMs = performance.eventLoopUtilization(loop).active;
  return { gapMs: gap, delayMs: histogram.max / 1e6, busyMs, wallMs, runs };
}

/** One measurement, in this process: `where` the scan of `folder` runs. */
async function measure(where: Where, folder: string): Promise<Block> {
  // The floor: the same watch over a thread that does nothing (the machine's own scheduling noise).
  if (where === 'idle') return watched(() => new Promise((resolve) => setTimeout(() => resolve(0), IDLE_MS)));
  const request: ScanRequest = { folders: [folder], include: [], exclude: [...DEFAULT_EXCLUDE], aliases: DEFAULT_ALIASES, defaults: [] };
  // Before: the host's own thread, a cold cache (the first scan after activation, or after a change).
  if (where === 'host') return watched(async () => (await scan(request.folders, { cache: new ScanCache(), exclude: request.exclude, aliases: request.aliases })).runs.length);
  // After: a new worker (a cold cache too), its start included.
  const client = new ScanClient(existsSync(DIST_WORKER) ? () => new Worker(DIST_WORKER) : () => startScanWorker());
  try {
    return await watched(async () => {
      const outcome = await client.scan(request);
      if (outcome.kind !== 'done') throw new Error(`worker scan ${outcome.kind}${outcome.kind === 'failed' ? `: ${outcome.message}` : ''}`);
      return outcome.result.runs.length;
    });
  } finally {
    client.dispose();
  }
}

/** Each measurement in a process of its own: the garbage of one must not be collected in the next. */
function inChild(where: Where, folder: string): Block {
  const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--measure', where, folder], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as Block;
}

async function main(): Promise<void> {
  const mb = arg('mb', 250);
  const sweepMb = arg('sweep-mb', 14);
  const repeats = arg('repeats', 3);
  const tmp = mkdtempSync(path.join(tmpdir(), 'pp-bench-hostblock-'));
  try {
    const cases: Array<{ label: string; folder: string }> = [];
    if (mb > 0) {
      const folder = path.join(tmp, 'hf');
      const state = await writeTrainerState(path.join(folder, 'llama-3m'), mb * 1e6);
      cases.push({ label: `trainer_state.json ${(statSync(state).size / 1e6).toFixed(0)} MB`, folder });
    }
    if (sweepMb > 0) {
      const folder = path.join(tmp, 'sweep');
      const rows = await writeSweepJson(path.join(folder, 'sweep.json'), sweepMb * 1e6);
      cases.push({ label: `sweep JSON ${(statSync(path.join(folder, 'sweep.json')).size / 1e6).toFixed(0)} MB (${rows} rows)`, folder });
    }
    const worker = existsSync(DIST_WORKER) ? 'dist/scanWorker.js' : 'src/extension/scanWorker.ts through tsx (run `node esbuild.js` for the bundle)';
    process.stdout.write(`Node ${process.version}; worker: ${worker}; ${repeats} repeats, each in a new process, alternating; medians (max in brackets)\n\n`);
    process.stdout.write('| input | scan in | runs | longest host block, 10 ms ticker | monitorEventLoopDelay max | host thread busy | scan wall time |\n|---|---|---|---|---|---|---|\n');
    const f = (xs: number[]) => `${median(xs).toFixed(0)} ms (${Math.max(...xs).toFixed(0)})`;
    const idle = Array.from({ length: repeats }, () => inChild('idle', tmp));
    process.stdout.write(`| none: the host idle for ${IDLE_MS / 1000} s (the floor) | — | — | ${f(idle.map((x) => x.gapMs))} | ${f(idle.map((x) => x.delayMs))} | ${f(idle.map((x) => x.busyMs))} | — |\n`);
    for (const { label, folder } of cases) {
      const results: Record<'host' | 'worker', Block[]> = { host: [], worker: [] };
      for (let r = 0; r < repeats; r++) for (const where of ['host', 'worker'] as const) results[where].push(inChild(where, folder));
      for (const where of ['host', 'worker'] as const) {
        const b = results[where];
        process.stdout.write(`| ${label} | ${where === 'host' ? 'the host thread (before)' : 'the scan worker (after)'} | ${b[0].runs} | ${f(b.map((x) => x.gapMs))} | ${f(b.map((x) => x.delayMs))} | ${f(b.map((x) => x.busyMs))} | ${f(b.map((x) => x.wallMs))} |\n`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const measuring = process.argv.indexOf('--measure');
if (measuring >= 0) {
  measure(process.argv[measuring + 1] as Where, process.argv[measuring + 2]).then((block) => process.stdout.write(`${JSON.stringify(block)}\n`), (error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
