import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandGrid, trainingOrder } from '../../src/train/grid';
import type { JobOutcome, SweepEvent } from '../../src/train/engine';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EXAMPLE_SWEEP, describeSweep, formatSweepEvent, gridFromArgs, jobFromArgs, plainProgress, summarizeOutcomes } from '../../src/train/options';

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
    const lines = describeSweep(fromFlags);
    assert.equal(lines.length, 16);
    // Listed in the order the sweep trains them (largest first), numbered as its progress lines.
    assert.equal(lines[0], '[1/16] L2W64-D400k-fp32  N=98.6k  D=400k  fp32');
    assert.equal(lines[15], '[16/16] L1W64-D200k-w3a32kv32  N=49.3k  D=200k  w3a32kv32');
  });

  test('the dry run, the confirmation and the progress lines share one training order', () => {
    const grid = gridFromArgs({ sizes: '2x32,2x64,3x96', tokens: '200k,400k', precisions: 'fp32,w6a6kv6,w4a4kv4,w3a3kv3' });
    const jobs = expandGrid(grid);
    const order = trainingOrder(jobs);
    assert.equal(jobs[order[0]].name, 'L3W96-D400k-fp32', 'the largest first');
    assert.equal(order[0], 20, 'the grid index the old confirmation numbered [21/24]');
    const lines = describeSweep(grid, (job) => (job.name === 'L2W32-D200k-fp32' ? 'already complete, kept' : undefined));
    assert.deepEqual(
      lines.map((l) => l.split(' ')[1]),
      order.map((i) => jobs[i].name),
    );
    assert.match(lines[0], /^\[1\/24\] L3W96-D400k-fp32 /);
    assert.match(lines.find((l) => l.includes('L2W32-D200k-fp32 '))!, /\(already complete, kept\)$/);
    // The engine numbers its events by the same position: the first job to train says [1/24].
    const event = { type: 'skip', name: jobs[order[0]].name, reason: 'x', index: order[0], position: 0, total: 24, sweepDone: 0 } as SweepEvent;
    assert.match(formatSweepEvent(event)!, /^\[1\/24\] L3W96-D400k-fp32: skipped/);
  });

  test('terminal lines for progress', () => {
    const base = { index: 7, position: 2, total: 48, name: 'L2W64-D400k-w4a4kv4', sweepDone: 0.25, sweepEtaSeconds: 2475 };
    assert.equal(
      formatSweepEvent({ ...base, type: 'step', step: 120, steps: 196, tokens: 245760, loss: 2.3104, learningRate: 1e-3, tokensPerSecond: 3951.2, etaSeconds: 19.4 }),
      '[3/48] L2W64-D400k-w4a4kv4: step 120/196  246k/401k tokens  loss 2.310  3951 tok/s  ETA 0:19  | sweep 25% ETA 41:15',
    );
    assert.equal(
      formatSweepEvent({ ...base, type: 'end', runDir: 'runs/x', status: 'complete', valLoss: 2.30123, tokensPerSecond: 3950.6 }),
      '[3/48] L2W64-D400k-w4a4kv4: complete, validation loss 2.3012, 3951 tok/s  | sweep 25% ETA 41:15',
    );
    assert.equal(formatSweepEvent({ ...base, type: 'ptq', label: 'int4-channel', valLoss: 2.41234, sqnrDb: 19.04 }), '[3/48] L2W64-D400k-w4a4kv4: PTQ int4-channel: 2.4123 (SQNR 19.0 dB)');
    assert.equal(formatSweepEvent({ ...base, type: 'spawn', pid: 1 }), undefined);
  });

  test('plain progress: the first step of each run, then one line per run every few seconds', () => {
    let now = 0;
    const print = plainProgress(5, () => now);
    const step = (index: number, n: number): SweepEvent => ({ type: 'step', name: `r${index}`, step: n, steps: 100, tokens: n * 512, loss: 3, learningRate: 1e-3, tokensPerSecond: 1000, etaSeconds: 10, index, position: index, total: 2, sweepDone: 0 });
    const printed: string[] = [];
    for (let t = 0; t <= 12; t++) {
      now = t;
      for (const index of [0, 1]) if (print(step(index, t + 1))) printed.push(`${index}@${t}`);
    }
    assert.deepEqual(printed, ['0@0', '1@0', '0@5', '1@5', '0@10', '1@10']);
    assert.equal(print({ type: 'eval', name: 'r0', step: 3, tokens: 1, valLoss: 2, index: 0, position: 0, total: 2, sweepDone: 0 }), false, 'other events print anyway');
  });

  test('the summary tells runs cancelled mid-way from runs that never started', () => {
    const o = (status: JobOutcome['status']): JobOutcome => ({ name: status, runDir: '', status });
    assert.equal(
      summarizeOutcomes([o('cancelled'), o('cancelled'), ...Array.from({ length: 22 }, () => o('not-started'))]),
      '0 complete, 0 already complete, 2 cancelled (started, then stopped; their run.json says so), 22 not started (nothing written), 0 failed',
    );
    assert.equal(summarizeOutcomes([o('complete'), o('skipped'), o('failed')]), '1 complete, 1 already complete, 0 cancelled, 0 not started, 1 failed');
  });
});

describe('a sweep of several grids (--also, the task property "also")', () => {
  const base = { sizes: '2x32,2x64', tokens: '200k,400k', precisions: 'fp32', out: 'ex' } as const;

  test('each part is a cross product of its own; what it leaves out is the main grid\'s', () => {
    const grid = gridFromArgs({ ...base, also: ['sizes=2x32 tokens=400k precisions=w3a32kv32,w32a3kv32', 'sizes=2x32 seeds=2'] });
    const names = expandGrid(grid).map((j) => j.name);
    assert.deepEqual(names, [
      'L2W32-D200k-fp32',
      'L2W32-D400k-fp32',
      'L2W64-D200k-fp32',
      'L2W64-D400k-fp32',
      'L2W32-D400k-w3a32kv32',
      'L2W32-D400k-w32a3kv32',
      // The second part leaves out tokens and precisions: the main grid's.
      'L2W32-D200k-fp32-s2',
      'L2W32-D400k-fp32-s2',
    ]);
    assert.deepEqual(expandGrid(grid).find((j) => j.name === 'L2W32-D400k-fp32-s2')?.seed, 2);
  });

  test('a run in two parts is trained once, under the first name, and the user is told', () => {
    const grid = gridFromArgs({ ...base, also: [{ sizes: ['2x32'], tokens: ['200k'], precisions: ['fp32', 'w4a4kv4'], seeds: [1, 2] }] });
    const names = expandGrid(grid).map((j) => j.name);
    assert.equal(names.length, 4 + 3);
    assert.ok(names.includes('L2W32-D200k-fp32'));
    assert.ok(!names.includes('L2W32-D200k-fp32-s1'), 'seed 1 of 2x32 at 200k in fp32 is the main grid\'s run');
    assert.ok(names.includes('L2W32-D200k-w4a4kv4-s1') && names.includes('L2W32-D200k-fp32-s2'));
    assert.match(grid.notes?.join('\n') ?? '', /1 run\(s\) are in more than one part of the grid: each is trained once/);
  });

  test('a single seed of the main grid stays out of the names, as before', () => {
    assert.deepEqual(expandGrid(gridFromArgs({ ...base, seeds: '3' })).map((j) => j.name)[0], 'L2W32-D200k-fp32');
    assert.deepEqual(expandGrid(gridFromArgs({ ...base, seeds: '3', also: ['sizes=2x32 tokens=200k seeds=4'] })).map((j) => j.name).at(-1), 'L2W32-D200k-fp32-s4');
  });

  test('a bad part says what is wrong', () => {
    assert.throws(() => gridFromArgs({ ...base, also: ['sizes=2x32 budget=1M'] }), /also: "budget=1M" in "sizes=2x32 budget=1M" is not one of sizes=\.\.\., tokens=\.\.\., precisions=\.\.\., seeds=\.\.\./);
    assert.throws(() => gridFromArgs({ ...base, also: ['sizes=2x32 sizes=2x64'] }), /sizes is given twice/);
    assert.throws(() => gridFromArgs({ ...base, also: [''] }), /an empty grid part/);
    assert.throws(() => gridFromArgs({ ...base, also: ['tokens=lots'] }), /also: tokens: "lots"/);
    assert.throws(() => gridFromArgs({ ...base, also: ['precisions=w1a8'] }), /2 to 16/);
    assert.throws(() => gridFromArgs({ ...base, also: [{ size: ['2x32'] } as never] }), /also: unknown setting "size"/);
  });

  test('the example sweep (the default of Launch a Sweep) is the one scripts/examples.sh trains and package.json offers', () => {
    const grid = gridFromArgs({ ...EXAMPLE_SWEEP, out: 'examples/runs' });
    const jobs = expandGrid(grid);
    assert.equal(jobs.length, 26);
    // The script spells the same grid as flags.
    const script = readFileSync(path.join(__dirname, '../../scripts/examples.sh'), 'utf8').replace(/\\\n\s*/g, ' ');
    const flag = (name: string): string[] => [...script.matchAll(new RegExp(`--${name} (?:"([^"]+)"|(\\S+))`, 'g'))].map((m) => m[1] ?? m[2]);
    const fromScript = gridFromArgs({ sizes: flag('sizes')[0], tokens: flag('tokens')[0], precisions: flag('precisions')[0], also: flag('also'), out: 'examples/runs' });
    assert.deepEqual(expandGrid(fromScript).map((j) => [j.name, j.seed]), jobs.map((j) => [j.name, j.seed]));
    const settings = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')).contributes.configuration.properties;
    const fromSettings = gridFromArgs({
      sizes: settings['precisionPlanner.training.sweep.sizes'].default,
      tokens: settings['precisionPlanner.training.sweep.tokens'].default,
      precisions: settings['precisionPlanner.training.sweep.precisions'].default,
      also: settings['precisionPlanner.training.sweep.also'].default,
      out: 'examples/runs',
    });
    assert.deepEqual(expandGrid(fromSettings).map((j) => [j.name, j.seed]), jobs.map((j) => [j.name, j.seed]));
  });
});
