// bench/fit/editor: what a user waits for after "Fit Scaling Law" on the example workspace — the
// fit worker the extension starts (dist/fitWorker.js, the editor's settings: 100 bootstrap
// replicates, Huber), timed from start to the law's result and to the post-quantization
// predictor's. `--dist` points at another build (an older commit's, for before/after).
// Usage (after `npm run build`): node --import tsx bench/fit/editor.ts [--dist dist] [--repeats 3]

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { scan } from '../../src/runs/discover';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const ROOT = path.join(__dirname, '..', '..');
const dist = path.resolve(arg('dist', path.join(ROOT, 'dist')));
const repeats = Number(arg('repeats', '3'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Timing {
  law: number;
  predictor: number;
}

/** Both message shapes: the law's result and then the predictor's (now), or one result carrying both (before). */
function once(runs: unknown[]): Promise<Timing> {
  const started = performance.now();
  const worker = new Worker(path.join(dist, 'fitWorker.js'), { workerData: { runs, options: { bootstrap: 100, loss: 'huber' } } });
  return new Promise((resolve, reject) => {
    let law: number | undefined;
    worker.on('message', (m: { type: string; predictor?: boolean; message?: string }) => {
      const now = performance.now() - started;
      if (m.type === 'result') {
        law = now;
        if (m.predictor === false || !('predictor' in m)) resolve({ law, predictor: now });
      } else if (m.type === 'ptq' && law !== undefined) resolve({ law, predictor: now });
      else if (m.type === 'error') reject(new Error(m.message));
    });
    worker.on('error', reject);
  }).finally(() => void worker.terminate()) as Promise<Timing>;
}

async function main(): Promise<void> {
  const { runs } = await scan([path.join(ROOT, 'examples')]);
  const times: Timing[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = await once(runs);
    times.push(t);
    console.error(`run ${i + 1}: law ${(t.law / 1000).toFixed(1)} s, predictor ${(t.predictor / 1000).toFixed(1)} s`);
  }
  console.log(JSON.stringify({ dist, runs: runs.length, repeats, lawMedianS: median(times.map((t) => t.law)) / 1000, predictorMedianS: median(times.map((t) => t.predictor)) / 1000 }));
}

void main();
