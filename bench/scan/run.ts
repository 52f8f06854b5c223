// bench/scan: scan time and peak memory on hostile and large inputs, each in a fresh process.
// Usage: node --import tsx bench/scan/run.ts [--long 1000,200,100] [--log 236] [--files 100000] [--repeats 3] [--only long|append|workspace]
//   long       a run whose metrics.jsonl holds one line of that many MB between normal lines
//   append     a run with a metrics.jsonl of that many MB: rescan after appending one line
//   workspace  that many small files in nested folders beside 100 runs: first scan and rescans
// Data is written under the system temp folder and removed after each measurement.

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildSync } from 'esbuild';
import { writeMetrics } from '../parse/generate';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const CHILD = path.join(__dirname, '..', 'results', 'scan-child.js');

function manifest(name: string, i = 0): string {
  const part = { bits: [16, 8, 6, 4][i % 4], type: i % 4 === 0 ? 'fp' : 'int' };
  return `${JSON.stringify({ schemaVersion: 1, name, status: 'complete', params: 1e7 * (1 + (i % 10)), tokens: 1e8 * (1 + (i % 7)), precision: { weights: part, activations: part, kv: part }, valLoss: 3.2, ptq: [] }, null, 2)}\n`;
}

/** Runs the bundled child; a child that dies (an uncaught RangeError on main) is reported with the time it took to die. */
function child(args: string[]): Record<string, unknown> {
  const t0 = performance.now();
  try {
    const out = execFileSync(process.execPath, ['--max-old-space-size=4096', CHILD, ...args], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? '');
    const thrown = stderr.split('\n').find((l) => /^\w*Error:/.test(l)) ?? (e as Error).message.split('\n')[0];
    return { error: `the process died: ${thrown}`, seconds: (performance.now() - t0) / 1000 };
  }
}
const rss = (x: unknown): string => (typeof x === 'number' ? `${x.toFixed(0)} MB` : '—');

const line = (step: number): string => `{"step": ${step}, "tokens": ${step * 4096}, "split": "${step % 10 === 9 ? 'val' : 'train'}", "loss": ${(3 + 1 / (1 + step)).toFixed(5)}}\n`;

/** metrics.jsonl with 1,000 normal lines, one line of `mb` MB, 1,000 more; streamed. */
async function writeLongLine(file: string, mb: number): Promise<void> {
  const out = createWriteStream(file);
  const write = async (s: string | Buffer): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  for (let i = 0; i < 1000; i++) await write(line(i));
  await write('{"step": 1000, "split": "train", "loss": 3.0, "note": "');
  const block = Buffer.alloc(1 << 20, 'x');
  for (let i = 0; i < mb; i++) await write(block);
  await write('"}\n');
  for (let i = 1001; i < 2001; i++) await write(line(i));
  out.end();
  await once(out, 'finish');
}

async function long(sizes: number[]): Promise<string[]> {
  const rows = ['| line | time | peak RSS | outcome |', '|---|---|---|---|'];
  for (const mb of sizes) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-long-'));
    try {
      mkdirSync(path.join(dir, 'run'));
      writeFileSync(path.join(dir, 'run', 'run.json'), manifest('long'));
      await writeLongLine(path.join(dir, 'run', 'metrics.jsonl'), mb);
      const r = child(['once', dir]);
      const outcome = r.error ? String(r.error) : `${r.runs} run, ${r.curve} curve points; ${JSON.stringify(r.diagnostics)}`;
      rows.push(`| ${mb} MB | ${r.seconds === undefined ? '—' : `${(r.seconds as number).toFixed(2)} s`} | ${rss(r.peakMB)} | ${outcome} |`);
      process.stderr.write(`${rows.at(-1)}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

async function append(mb: number, repeats: number): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-append-'));
  try {
    mkdirSync(path.join(dir, 'run'));
    writeFileSync(path.join(dir, 'run', 'run.json'), manifest('live'));
    const file = path.join(dir, 'run', 'metrics.jsonl');
    await writeMetrics(file, mb * 1e6);
    const size = statSync(file).size / 1e6;
    const r = child(['append', dir, file, String(repeats)]);
    if (r.error) return [`error: ${r.error}`];
    const rescans = r.rescans as number[];
    return [
      '| metrics.jsonl | first scan | rescan after appending one line (median) | rescan ÷ first | peak RSS |',
      '|---|---|---|---|---|',
      `| ${size.toFixed(0)} MB | ${(r.firstSeconds as number).toFixed(2)} s | ${median(rescans).toFixed(3)} s (${rescans.map((s) => s.toFixed(3)).join(', ')}) | ${((100 * median(rescans)) / (r.firstSeconds as number)).toFixed(2)}% | ${rss(r.peakMB)} |`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A repository-like tree: `files` small files, 10 per folder in folders 3 deep, mostly source and
 * data shards no reader takes by name, 1 in 10 a .json/.txt/.csv that readers look at (configs,
 * notes, tables that are not runs), beside 100 runs (run.json + a short metrics.jsonl).
 */
function writeWorkspace(root: string, files: number): void {
  const kinds = ['py', 'py', 'py', 'npy', 'bin', 'md', 'py', 'pt', 'npy', 'json', 'py', 'txt', 'py', 'yaml', 'npy', 'py', 'bin', 'py', 'csv', 'sh'];
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, 'repo', `a${Math.floor(i / 1000) % 100}`, `b${Math.floor(i / 100) % 10}`, `c${Math.floor(i / 10) % 10}`);
    if (i % 10 === 0) mkdirSync(dir, { recursive: true });
    const kind = kinds[i % kinds.length];
    const text = kind === 'json' ? `{"name": "item-${i}", "value": ${i}}\n` : kind === 'csv' ? `id,value\n${i},${i * 2}\n` : kind === 'txt' ? `notes ${i}\n` : `# file ${i}\n`;
    writeFileSync(path.join(dir, `f${i}.${kind}`), text);
  }
  for (let i = 0; i < 100; i++) {
    const dir = path.join(root, 'runs', `size-${i % 10}`, `run-${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'run.json'), manifest(`run-${i}`, i));
    writeFileSync(path.join(dir, 'metrics.jsonl'), Array.from({ length: 200 }, (_, s) => line(s)).join(''));
  }
}

function workspace(files: number, repeats: number): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-ws-'));
  try {
    writeWorkspace(dir, files);
    const r = child(['rescan', dir, String(repeats)]);
    if (r.error) return [`error: ${r.error}`];
    const rescans = r.rescans as number[];
    return [
      '| workspace | first scan | rescan, unchanged (median) | peak RSS | runs | run files |',
      '|---|---|---|---|---|---|',
      `| ${files.toLocaleString('en-US')} files + 100 runs | ${(r.firstSeconds as number).toFixed(2)} s | ${median(rescans).toFixed(3)} s (${rescans.map((s) => s.toFixed(3)).join(', ')}) | ${rss(r.peakMB)} | ${r.runs} | ${r.files} |`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const only = arg('only', '');
  const repeats = Number(arg('repeats', '3'));
  mkdirSync(path.dirname(CHILD), { recursive: true });
  buildSync({ entryPoints: [path.join(__dirname, 'child.ts')], bundle: true, platform: 'node', target: 'node20', outfile: CHILD, logLevel: 'error', mainFields: ['module', 'main'] });
  const out: string[] = [];
  if (!only || only === 'long') out.push(...(await long(arg('long', '1000,200,100').split(',').map(Number))), '');
  if (!only || only === 'append') out.push(...(await append(Number(arg('log', '236')), repeats)), '');
  if (!only || only === 'workspace') out.push(...workspace(Number(arg('files', '100000')), repeats), '');
  out.push(`${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

void main();
