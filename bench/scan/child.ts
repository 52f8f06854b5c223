// One scan measurement in a fresh process, so peak memory is the job's own. Bundled and run by
// bench/scan/run.ts; uses only scan() and ScanCache, so the same file measures an older checkout.
// Usage: node child.js once DIR | append DIR FILE REPEATS | rescan DIR REPEATS
// Prints one JSON line: seconds, peak RSS in MB, runs, diagnostics (code and line), or the error.

import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ScanCache, scan } from '../../src/runs/discover';

const peakMB = (): number => process.resourceUsage().maxRSS / 1024;
const print = (out: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ ...out, peakMB: peakMB() })}\n`);

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await f();
  return [value, (performance.now() - t0) / 1000];
}

async function main(): Promise<void> {
  const [mode, dir, ...rest] = process.argv.slice(2);
  try {
    if (mode === 'once') {
      const [result, seconds] = await timed(() => scan([dir]));
      print({ seconds, runs: result.runs.length, curve: result.runs[0]?.curve?.length, diagnostics: result.diagnostics.slice(0, 5).map((d) => ({ code: d.code, line: d.line, message: d.message.slice(0, 120) })) });
    } else if (mode === 'append') {
      // A live log: one line appended between scans, as a trainer does every step.
      const [file, repeats] = rest;
      const cache = new ScanCache();
      const [first, firstSeconds] = await timed(() => scan([dir], { cache }));
      const rescans: number[] = [];
      let last = first;
      for (let i = 0; i < Number(repeats); i++) {
        appendFileSync(file, `{"step": ${1e9 + i}, "tokens": ${4096 * (1e9 + i)}, "split": "val", "loss": 2.5}\n`);
        const [again, seconds] = await timed(() => scan([dir], { cache }));
        rescans.push(seconds);
        last = again;
      }
      print({ firstSeconds, rescans, runs: last.runs.length, finalLoss: last.runs[0]?.finalLoss, curve: last.runs[0]?.curve?.length });
    } else if (mode === 'rescan') {
      const cache = new ScanCache();
      const [first, firstSeconds] = await timed(() => scan([dir], { cache }));
      const rescans: number[] = [];
      for (let i = 0; i < Number(rest[0]); i++) rescans.push((await timed(() => scan([dir], { cache })))[1]);
      print({ firstSeconds, rescans, runs: first.runs.length, files: first.files, diagnostics: first.diagnostics.length });
    } else throw new Error(`unknown mode ${mode}`);
  } catch (e) {
    print({ error: `${(e as Error).name}: ${(e as Error).message}` });
  }
}

void main();
