// One case of bench/hover/hostile.ts in a worker thread, against the sources in workerData.src
// (this checkout's, or those of the commit before the change): the caller stops it at its deadline.

import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { CASES } from './hostileCases';

interface Job {
  src: string;
  index: number;
  /** For log cases: the log with the case's lines appended. */
  logFile?: string;
}

/** Runs until five times or two seconds: the median, and what the last run found. */
async function measure(run: () => Promise<unknown> | unknown): Promise<{ ms: number; runs: number; found: unknown }> {
  const times: number[] = [];
  let found: unknown;
  let total = 0;
  while (times.length < 5 && total < 2000) {
    const t = performance.now();
    found = await run();
    const ms = performance.now() - t;
    times.push(ms);
    total += ms;
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], runs: times.length, found };
}

async function main(): Promise<void> {
  const { src, index, logFile } = workerData as Job;
  const c = CASES[index];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the sources under test are chosen at run time
  const load = (rel: string) => require(path.join(src, ...rel.split('/')));
  const { DEFAULT_ALIASES } = load('runs/aliases');
  if (c.kind === 'config') {
    const { recogniseConfig } = load('runs/configs');
    const text = c.make();
    const result = await measure(() => {
      const r = recogniseConfig(text, c.language, DEFAULT_ALIASES);
      return { entries: r.entries.length, N: r.params?.value ?? null, D: r.tokens?.value ?? null };
    });
    parentPort?.postMessage(result);
  } else {
    const { readTextLog } = load('runs/readers/textLog');
    const result = await measure(async () => {
      const r = await readTextLog(logFile, { root: path.dirname(logFile as string), aliases: DEFAULT_ALIASES });
      return { runs: r.runs.length, finalLoss: r.runs[0]?.finalLoss ?? null };
    });
    parentPort?.postMessage(result);
  }
}

void main();
