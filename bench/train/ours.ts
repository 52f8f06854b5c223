// One side of bench/train: our trainer's step (src/train/loop.ts `trainStep`: forward, backward,
// gradient clipping, AdamW) on random bytes, timed over `--steps` steps after `--warmup`.
// Prints one JSON line per size. Run by bench/train/run.ts; by hand:
//   node --import tsx bench/train/ours.ts --sizes 4x128 --batch 16 --context 128 --steps 8

import { AdamW } from '../../src/train/adamw';
import { initBackend, tf } from '../../src/train/backend';
import { MODEL_DEFAULTS, defaultHeads } from '../../src/train/config';
import { parseSize } from '../../src/train/grid';
import { trainStep } from '../../src/train/loop';
import { createModel, disposeModel, nonEmbeddingParams } from '../../src/train/model';
import { parseQuantSpec } from '../../src/train/formats';
import { quantizersFor } from '../../src/train/quantize';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};

/** The ceiling: GFLOP/s of one untransposed float32 matrix product, as the trainer's linear layers run it. */
function gemm(shapes: string): void {
  for (const shape of shapes.split(',')) {
    const [m, k, n] = shape.split('x').map(Number);
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    const repeats = 20;
    for (let i = 0; i < 3; i++) tf.matMul(a, b).dispose();
    const start = performance.now();
    for (let i = 0; i < repeats; i++) tf.matMul(a, b).dispose();
    const seconds = (performance.now() - start) / 1000 / repeats;
    process.stdout.write(`${JSON.stringify({ gemm: shape, gflops: (2 * m * k * n) / seconds / 1e9 })}\n`);
    tf.dispose([a, b]);
  }
}

async function main(): Promise<void> {
  await initBackend();
  if (process.argv.includes('--gemm')) return gemm(arg('gemm', '2048x128x512'));
  const batch = Number(arg('batch', '16'));
  const context = Number(arg('context', '128'));
  const steps = Number(arg('steps', '8'));
  const warmup = Number(arg('warmup', '2'));
  const precision = arg('precision', 'fp32');
  for (const sizeText of arg('sizes', '4x128').split(',')) {
    const size = parseSize(sizeText);
    const model = createModel({ ...MODEL_DEFAULTS, context, heads: defaultHeads(size.width), ...size }, 1);
    const optimizer = new AdamW(model.params, { beta1: 0.9, beta2: 0.95, weightDecay: 0.1 });
    const quant = quantizersFor(parseQuantSpec(precision));
    let seconds = 0;
    for (let step = 0; step < warmup + steps; step++) {
      const data = tf.randomUniformInt([batch, context + 1], 0, 256, step) as tf.Tensor2D;
      const start = performance.now();
      trainStep(model, optimizer, data, quant, 2e-3, 1);
      if (step >= warmup) seconds += (performance.now() - start) / 1000;
      data.dispose();
    }
    const tokens = steps * batch * context;
    process.stdout.write(`${JSON.stringify({ size: sizeText, precision, params: nonEmbeddingParams(model.params), tokensPerSecond: tokens / seconds, secondsPerStep: seconds / steps })}\n`);
    optimizer.dispose();
    disposeModel(model);
  }
}

void main();
