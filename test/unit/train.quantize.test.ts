import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initBackend, tf } from '../../src/train/backend';
import { FLOAT_FORMATS, parseFormat, parseQuantSpec, partPrecision, quantSpecName } from '../../src/train/formats';
import { fakeQuantizer, intMax, quantizeDequantize } from '../../src/train/quantize';

before(() => initBackend());

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());
const distinct = (xs: number[]): number[] => [...new Set(xs.map((x) => Number(x.toPrecision(6)) + 0))].sort((a, b) => a - b);

describe('integer fake quantization', () => {
  test('levels: b bits give 2^b - 1 symmetric levels at multiples of absmax / (2^(b-1) - 1)', () => {
    const x = tf.tensor1d(Array.from({ length: 1001 }, (_, i) => -3 + (6 * i) / 1000));
    for (const bits of [2, 3, 4, 8]) {
      const top = intMax(bits);
      const q = values(quantizeDequantize(x, { kind: 'int', bits }, 'tensor'));
      const levels = distinct(q);
      assert.equal(levels.length, 2 * top + 1, `${bits} bits`);
      const scale = 3 / top;
      for (const v of levels) assert.ok(Math.abs(v / scale - Math.round(v / scale)) < 1e-3, `${v} is a multiple of the scale`);
      assert.equal(Math.max(...q), 3);
      assert.equal(Math.min(...q), -3);
    }
  });

  test('rounds to the nearest level, so the error is at most half a step', () => {
    const x = tf.randomNormal([4000], 0, 1, 'float32', 7);
    const q = quantizeDequantize(x, { kind: 'int', bits: 4 }, 'tensor');
    const half = tf.max(tf.abs(x)).dataSync()[0] / intMax(4) / 2;
    assert.ok(tf.max(tf.abs(tf.sub(q, x))).dataSync()[0] <= half * (1 + 1e-5));
  });

  test('16 bits is nearly exact, 2 bits is ternary', () => {
    const x = tf.randomNormal([1000], 0, 1, 'float32', 3);
    assert.ok(tf.max(tf.abs(tf.sub(quantizeDequantize(x, { kind: 'int', bits: 16 }, 'tensor'), x))).dataSync()[0] < 1e-4);
    assert.equal(distinct(values(quantizeDequantize(x, { kind: 'int', bits: 2 }, 'tensor'))).length, 3);
  });

  test('per channel: each output column (of a [in, out] weight) has its own scale', () => {
    // Column 0 spans +-1, column 1 spans +-100: per tensor, column 0 rounds to zero at 4 bits.
    const w = tf.tensor2d([[1, 100], [0.5, -50], [-0.25, 25], [-1, -100]]);
    const perChannel = quantizeDequantize(w, { kind: 'int', bits: 4 }, 'channel').arraySync() as number[][];
    const perTensor = quantizeDequantize(w, { kind: 'int', bits: 4 }, 'tensor').arraySync() as number[][];
    assert.deepEqual(perChannel.map((r) => Number(r[0].toFixed(4))), [1, 0.4286, -0.2857, -1]); // steps of 1/7
    // Column 1 in steps of 100/7: -50 is -3.5 steps, a tie, rounded to even (-4).
    assert.deepEqual(perChannel.map((r) => Number(r[1].toFixed(2))), [100, -57.14, 28.57, -100]);
    assert.deepEqual(perTensor.map((r) => Math.abs(r[0])), [0, 0, 0, 0]);
  });

  test('an all-zero channel stays zero (no division by a zero scale)', () => {
    const w = tf.tensor2d([[0, 1], [0, -2]]);
    const q = quantizeDequantize(w, { kind: 'int', bits: 8 }, 'channel').arraySync() as number[][];
    assert.deepEqual(q.map((r) => r[0]), [0, 0]);
    assert.ok(q.flat().every(Number.isFinite));
  });

  test('groups: one scale per g weights along the input dimension', () => {
    const w = tf.concat([tf.fill([4, 2], 0.01), tf.fill([4, 2], 10)], 0); // rows 0-3 small, 4-7 large
    const grouped = quantizeDequantize(w, { kind: 'int', bits: 3 }, 4).arraySync() as number[][];
    const channel = quantizeDequantize(w, { kind: 'int', bits: 3 }, 'channel').arraySync() as number[][];
    assert.ok(Math.abs(grouped[0][0] - 0.01) < 1e-6, 'the small group keeps its values');
    assert.equal(channel[0][0], 0, 'one scale per channel rounds the small ones away');
    assert.throws(() => quantizeDequantize(w, { kind: 'int', bits: 3 }, 3), /does not divide/);
  });
});

describe('floating-point fake quantization', () => {
  test('e2m1 (FP4) represents exactly 0, 0.5, 1, 1.5, 2, 3, 4, 6 (times the scale)', () => {
    const x = tf.tensor1d(Array.from({ length: 2001 }, (_, i) => -6 + (12 * i) / 2000));
    const q = distinct(values(quantizeDequantize(x, FLOAT_FORMATS.e2m1, 'tensor')));
    const positive = [0.5, 1, 1.5, 2, 3, 4, 6];
    assert.deepEqual(q, [...positive.map((v) => -v).reverse(), 0, ...positive]);
  });

  test('e4m3 and e5m2: the absmax maps to the largest finite value, 3 and 2 mantissa bits', () => {
    const x = tf.tensor1d([448, 1.0625, 1.125, 300, -0.0019]);
    // Scale 1 (absmax 448): 1.0625 lies between 1 and 1.125 (ties to even: 1), 300 -> 288 (step 32).
    assert.deepEqual(values(quantizeDequantize(x, FLOAT_FORMATS.e4m3, 'tensor')).map((v) => Number(v.toPrecision(5))), [448, 1, 1.125, 288, -0.0019531]);
    const y = tf.tensor1d([57344, 1.1, 1.3, 5000]);
    assert.deepEqual(values(quantizeDequantize(y, FLOAT_FORMATS.e5m2, 'tensor')), [57344, 1, 1.25, 5120]);
  });

  test('bf16 keeps 8 significant bits and needs no scale', () => {
    const x = tf.tensor1d([1 + 2 ** -8, 1 + 2 ** -7, 3.14159265, 1e-20]);
    const q = values(quantizeDequantize(x, FLOAT_FORMATS.bf16, 'tensor'));
    assert.equal(q[0], 1);
    assert.equal(q[1], 1 + 2 ** -7);
    assert.equal(q[2], 3.140625);
    assert.ok(Math.abs(q[3] / 1e-20 - 1) < 2 ** -8);
  });
});

describe('straight-through estimator', () => {
  const gradOf = (quantize: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): number[] =>
    // d/dx sum(c * Q(x)) = c for every element the estimator passes through.
    values(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(quantize(v), tf.linspace(1, 2, x.size))))(x));

  test('absmax scaling clips nothing: the gradient is the identity everywhere', () => {
    const x = tf.randomNormal([64], 0, 1, 'float32', 11);
    for (const format of [{ kind: 'int', bits: 3 } as const, FLOAT_FORMATS.e4m3, FLOAT_FORMATS.e2m1]) {
      assert.deepEqual(gradOf(fakeQuantizer(format, 'tensor'), x), values(tf.linspace(1, 2, 64)));
    }
  });

  test('with a clipping range: identity inside it, zero outside', () => {
    const x = tf.tensor1d([-4, -1, -0.5, 0, 0.3, 1.9, 2, 3]);
    // clip 0.5 of absmax 4: range +-2.
    const g = gradOf(fakeQuantizer({ kind: 'int', bits: 4 }, 'tensor', 0.5), x);
    const c = values(tf.linspace(1, 2, 8));
    assert.deepEqual(g, [0, c[1], c[2], c[3], c[4], c[5], c[6], 0]);
    // The forward pass clips there too.
    assert.deepEqual(values(quantizeDequantize(x, { kind: 'int', bits: 4 }, 'tensor', 0.5)).map((v) => Number(v.toFixed(4))), [-2, -0.8571, -0.5714, 0, 0.2857, 2, 2, 2]);
  });

  test('per-channel clipping ranges follow each channel', () => {
    const w = tf.tensor2d([[4, 40], [1, 30], [-3, -10]]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(fakeQuantizer({ kind: 'int', bits: 8 }, 'channel', 0.5)(v)))(w).arraySync();
    assert.deepEqual(g, [[0, 0], [1, 0], [0, 1]]);
  });
});

describe('precision specs', () => {
  test('short forms, formats, mixes', () => {
    assert.deepEqual(parseQuantSpec('w4a8kv4'), { w: { kind: 'int', bits: 4 }, a: { kind: 'int', bits: 8 }, kv: { kind: 'int', bits: 4 } });
    assert.deepEqual(parseQuantSpec('W8A8').kv, { kind: 'int', bits: 8 });
    assert.deepEqual(parseQuantSpec('fp32'), { w: null, a: null, kv: null });
    assert.equal(parseQuantSpec('e4m3').a, FLOAT_FORMATS.e4m3);
    assert.deepEqual(parseQuantSpec('w:e2m1,a:int8,kv:off'), { w: FLOAT_FORMATS.e2m1, a: { kind: 'int', bits: 8 }, kv: null });
    assert.throws(() => parseFormat('1'), /2 to 16/);
    assert.throws(() => parseFormat('int17'), /2 to 16/);
    assert.throws(() => parseQuantSpec('e9m9'), /unknown number format/);
  });

  test('names and manifest records', () => {
    assert.equal(quantSpecName(parseQuantSpec('w4a16kv16')), 'w4a16kv16');
    assert.equal(quantSpecName(parseQuantSpec('w3a32kv32')), 'w3a32kv32');
    assert.equal(quantSpecName(parseQuantSpec('w:e4m3,a:int8,kv:off')), 'we4m3a8kv32');
    assert.equal(quantSpecName(parseQuantSpec('int8')), 'w8a8kv8');
    assert.equal(quantSpecName(parseQuantSpec('fp32')), 'fp32');
    assert.equal(quantSpecName(parseQuantSpec('e4m3')), 'e4m3');
    assert.deepEqual(partPrecision(null), { bits: 32, type: 'fp', name: 'fp32' });
    assert.deepEqual(partPrecision({ kind: 'int', bits: 3 }), { bits: 3, type: 'int', name: 'int3' });
    assert.deepEqual(partPrecision(FLOAT_FORMATS.e5m2), { bits: 8, type: 'fp', name: 'e5m2' });
  });
});
