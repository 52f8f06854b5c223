// bench/hover/hostile: the config hover's reading, and the text-log reader, on hostile inputs —
// the commit before the change against this checkout, same inputs, same machine, one after the
// other — and how long the extension host's thread stalls when the worker reads them instead.
// Usage: node --import tsx bench/hover/hostile.ts [--before 7f6fb10] [--deadline 60]
//
// Each case runs in a worker thread started from the sources (tsx's require hook), stopped at the
// deadline ("> 60 s" then). The before sources come from `git archive <rev> src`. The host stall
// is the longest event-loop delay (perf_hooks' monitorEventLoopDelay) on this thread while the
// config worker (src/runs/configWorker.ts, through ConfigWorkerClient) reads the same text.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { CONFIG_WORKER_LIMITS, ConfigWorkerClient } from '../../src/extension/configWorkerClient';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import { CASES } from './hostileCases';

const ROOT = path.join(__dirname, '..', '..');
const TSX = require.resolve('tsx/cjs');
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const boot = (file: string): string => `require(${JSON.stringify(TSX)}); require(${JSON.stringify(file)});`;

interface Measured {
  ms: number;
  runs: number;
  found: unknown;
}

function runCase(src: string, index: number, deadlineMs: number, logFile?: string): Promise<Measured | 'stopped' | string> {
  return new Promise((resolve) => {
    const worker = new Worker(boot(path.join(__dirname, 'hostileWorker.ts')), { eval: true, workerData: { src, index, logFile } });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve('stopped');
    }, deadlineMs);
    worker.once('message', (m: Measured) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      resolve(`error: ${e.message}`);
    });
  });
}

/** A table cell: a bar in a case's name is escaped. */
const cell = (text: string): string => text.replace(/\|/g, '\\|');

const show = (r: Measured | 'stopped' | string, deadline: number): string =>
  r === 'stopped' ? `> ${deadline / 1000} s (stopped)` : typeof r === 'string' ? r : r.ms >= 1000 ? `${(r.ms / 1000).toFixed(1)} s` : `${r.ms.toFixed(1)} ms`;

async function hostStall(): Promise<string[]> {
  const client = new ConfigWorkerClient({ start: () => new Worker(boot(path.join(ROOT, 'src', 'runs', 'configWorker.ts')), { eval: true, resourceLimits: CONFIG_WORKER_LIMITS }), timeoutMs: 60_000 });
  await client.analyse('warm-up', 0, 'n_params: 1\n', 'yaml', DEFAULT_ALIASES);
  const rows: string[] = [];
  const { recogniseConfig } = await import('../../src/runs/configs');
  for (const c of CASES) {
    if (c.kind !== 'config' || !c.language) continue;
    const text = c.make();
    const inProcess: number[] = [];
    const stalls: number[] = [];
    const trips: number[] = [];
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      recogniseConfig(text, c.language, DEFAULT_ALIASES);
      inProcess.push(performance.now() - t);
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      t = performance.now();
      const outcome = await client.analyse(c.name, i + 1, text, c.language, DEFAULT_ALIASES);
      trips.push(performance.now() - t);
      h.disable();
      if (outcome.status !== 'done') throw new Error(`${c.name}: ${outcome.status}`);
      stalls.push(h.max / 1e6);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1].toFixed(1);
    rows.push(`| ${cell(c.name)} | ${median(inProcess)} ms | ${median(stalls)} ms | ${median(trips)} ms |`);
  }
  client.dispose();
  return rows;
}

async function main(): Promise<void> {
  const rev = arg('before', '7f6fb10');
  const deadline = Number(arg('deadline', '60')) * 1000;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-hostile-'));
  try {
    execFileSync('bash', ['-c', `git -C ${JSON.stringify(ROOT)} archive ${rev} src | tar -x -C ${JSON.stringify(tmp)}`]);
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(tmp, 'node_modules'));
    const fixture = readFileSync(path.join(ROOT, 'test', 'fixtures', 'text-log', 'megatron-gpt2-small', 'train.log'), 'utf8');
    const sources = { before: path.join(tmp, 'src'), after: path.join(ROOT, 'src') };
    const rows: string[] = [];
    for (const [index, c] of CASES.entries()) {
      let logFile: string | undefined;
      if (c.kind === 'log') {
        logFile = path.join(tmp, `case-${index}`, 'train.log');
        execFileSync('mkdir', ['-p', path.dirname(logFile)]);
        writeFileSync(logFile, `${fixture}${c.make()}\n`);
      }
      const before = await runCase(sources.before, index, deadline, logFile);
      const after = await runCase(sources.after, index, deadline, logFile);
      const same = typeof before === 'object' && typeof after === 'object' ? (JSON.stringify(before.found) === JSON.stringify(after.found) ? 'same' : `${JSON.stringify(before.found)} → ${JSON.stringify(after.found)}`) : '—';
      const ratio = typeof before === 'object' && typeof after === 'object' ? `${(before.ms / after.ms).toFixed(0)}×` : typeof after === 'object' && before === 'stopped' ? `> ${(deadline / after.ms).toFixed(0)}×` : '';
      rows.push(`| ${cell(c.name)} | ${show(before, deadline)} | ${show(after, deadline)} | ${ratio} | ${same} |`);
      process.stderr.write(`${rows[rows.length - 1]}\n`);
    }
    const stall = await hostStall();
    process.stdout.write(
      [
        `Reading hostile inputs, ${rev} (before) vs this checkout (after); median of up to 5 runs within 2 s; node ${process.version}`,
        '',
        '| input | before | after | speed-up | what was read |',
        '|---|---|---|---|---|',
        ...rows,
        '',
        'The extension host thread with the config worker (this checkout): reading in-process vs the longest stall of the host thread while the worker reads (median of 3)',
        '',
        '| config | in-process (host thread blocked) | host thread longest stall, worker reading | round trip |',
        '|---|---|---|---|',
        ...stall,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
