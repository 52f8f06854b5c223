import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeGrid, formatSweepEvent, gridFromArgs, jobFromArgs } from '../../src/train/options';

describe('train and sweep arguments', () => {
  test('a train job from flags', () => {
    const job = jobFromArgs({ size: '4x128', tokens: '1.5M', precision: 'w4a4kv4', out: 'runs', batch: '8', lr: '1e-3', ptqBits: '8,4', ptqGroups: 'channel,32', untied: true });
    assert.deepEqual(job, {
      name: 'L4W128-D1.5M-w4a4kv4',
      outDir: 'runs',
      model: { depth: 4, width: 128, tiedEmbeddings: false },
      tokens: 1.5e6,
      precision: 'w4a4kv4',
      batchSize: 8,
      learningRate: 1e-3,
      ptq: { bits: [8, 4], groups: [null, 32] },
    });
    assert.equal(jobFromArgs({ size: '2x64', tokens: 1000 }).precision, 'fp32');
  });

  test('bad values say which flag and why', () => {
    assert.throws(() => jobFromArgs({ size: '128', tokens: '1M' }), /size "128"/);
    assert.throws(() => jobFromArgs({ size: '2x64', tokens: 'lots' }), /tokens: "lots"/);
    assert.throws(() => jobFromArgs({ size: '2x64', tokens: '1M', precision: 'w1a8' }), /2 to 16/);
    assert.throws(() => jobFromArgs({ size: '2x64', tokens: '1M', ptqBits: '8,1' }), /ptq-bits: "1"/);
    assert.throws(() => jobFromArgs({ size: '2x64', tokens: '1M', mlp: 'relu' }), /mlp: "relu" is not one of gelu, swiglu/);
    assert.throws(() => gridFromArgs({ sizes: '', tokens: '1M', precisions: 'fp32' }), /at least one size/);
  });

  test('a sweep grid from flags or task properties', () => {
    const fromFlags = gridFromArgs({ sizes: '1x64,2x64', tokens: '200k,400k', precisions: 'fp32,w8a8kv8,w4a4kv4,w3a32kv32', out: 'ex', ptqBits: '8,6,4,3', seed: '3' });
    const fromTask = gridFromArgs({ sizes: ['1x64', '2x64'], tokens: ['200k', 400000], precisions: ['fp32', 'w8a8kv8', 'w4a4kv4', 'w3a32kv32'], out: 'ex', ptqBits: [8, 6, 4, 3], seed: 3 });
    assert.deepEqual(fromFlags, fromTask);
    assert.deepEqual(fromFlags.seeds, [3]);
    const lines = describeGrid(fromFlags);
    assert.equal(lines.length, 16);
    assert.equal(lines[0], 'L1W64-D200k-fp32  N=49.3k  D=200k  fp32');
  });

  test('terminal lines for progress', () => {
    const base = { index: 2, total: 48, name: 'L2W64-D400k-w4a4kv4', sweepDone: 0.25, sweepEtaSeconds: 2475 };
    assert.equal(
      formatSweepEvent({ ...base, type: 'step', step: 120, steps: 196, tokens: 245760, loss: 2.3104, learningRate: 1e-3, tokensPerSecond: 3951.2, etaSeconds: 19.4 }),
      '[3/48] L2W64-D400k-w4a4kv4: step 120/196  loss 2.310  3951 tok/s  ETA 0:19  | sweep 25% ETA 41:15',
    );
    assert.equal(formatSweepEvent({ ...base, type: 'ptq', label: 'int4-channel', valLoss: 2.41234, sqnrDb: 19.04 }), '[3/48] L2W64-D400k-w4a4kv4: PTQ int4-channel: 2.4123 (SQNR 19.0 dB)');
    assert.equal(formatSweepEvent({ ...base, type: 'spawn', pid: 1 }), undefined);
  });
});
