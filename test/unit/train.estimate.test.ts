import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { TrainJob } from '../../src/train/config';
import { expandGrid } from '../../src/train/grid';
import { EXAMPLE_SWEEP, gridFromArgs } from '../../src/train/options';
import {
  tokensPerPassOf,
  BUILT_IN_CALIBRATIONS,
  type Calibration,
  aboutDuration,
  calibrationFromFile,
  calibrationFromManifest,
  describeEstimate,
  estimateSweep,
  evaluationCount,
  flopsPerToken,
  jobSeconds,
  jobWork,
  manifestFiles,
  START_SECONDS,
} from '../../src/train/estimate';
import { MODEL_DEFAULTS } from '../../src/train/config';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples', 'runs');
// The example sweep with its settings (scripts/examples.sh): 16k validation tokens, PTQ per channel
// and in the formats it lists.
const EXAMPLE_GRID = gridFromArgs({ ...EXAMPLE_SWEEP, out: EXAMPLES, evalTokens: '16k', ptqBits: '8,6,5,4,3', ptqGroups: 'channel', ptqFormats: 'mxint8,mxint4,mxfp8,mxfp6-e2m3,mxfp4,int4-g32,int3-g32', gptqBits: '4,3' });

const job = (overrides: Partial<TrainJob> = {}): TrainJob => ({ name: 'j', outDir: 'runs', model: { depth: 2, width: 32 }, precision: 'fp32', tokens: 200_000, ...overrides });

describe('the work of a run', () => {
  test('FLOPs per token: 6 per weight of the blocks and the output layer, plus attention', () => {
    const model = { ...MODEL_DEFAULTS, depth: 2, width: 32, heads: 1 };
    // N = 2 blocks x 12·32² (+ norms) = 24,736; the output layer 256 x 32; attention 12·2·128·32.
    assert.equal(flopsPerToken(model), 6 * (24_736 + 256 * 32) + 12 * 2 * 128 * 32);
  });

  test('evaluations: final, periodic, every PTQ format that fits, the probe', () => {
    // Width 32 with MLP 128: groups of 128 do not divide 32, so channel and 32: 2 x 5 bits, 5 MX, 2 GPTQ, 4 x 2 probes.
    assert.equal(evaluationCount(job()), 1 + 10 + 5 + 2 + 8);
    assert.equal(evaluationCount(job({ model: { depth: 2, width: 128 } })), 1 + 15 + 5 + 2 + 8);
    // 98 steps of 16 x 128; a validation every 10 steps before the last.
    assert.equal(evaluationCount(job({ evalEvery: 10, ptq: { bits: [], formats: [], gptqBits: [], probeNorms: [] } })), 1 + 9);
    const work = jobWork(job());
    assert.equal(work.trainFlops, 98 * 16 * 128 * work.flopsPerToken);
  });
});

describe('throughput from complete runs', () => {
  test('a run.json of this trainer gives its rates; anything else gives none', () => {
    const file = path.join(EXAMPLES, 'L3W96-D600k-fp32', 'run.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    const c = calibrationFromManifest(manifest)!;
    assert.ok(c.trainRate > 1e9 && c.trainRate < 1e11, String(c.trainRate));
    assert.deepEqual(calibrationFromFile(file), c);
    assert.equal(calibrationFromManifest({ ...manifest, status: 'cancelled' }), undefined);
    assert.equal(calibrationFromManifest({ ...manifest, wallSeconds: undefined }), undefined);
    assert.equal(calibrationFromManifest({ name: 'a Lightning run.json' }), undefined);
    assert.equal(calibrationFromFile('/nonexistent/run.json'), undefined);
    assert.equal(manifestFiles([EXAMPLES, '/nonexistent']).length, 26);
  });

  test('a run estimated from its own throughput takes its own wall time', () => {
    const model = { ...MODEL_DEFAULTS, depth: 2, width: 64, heads: 2 };
    const j = job({ model: { depth: 2, width: 64 }, evalTokens: 16384, ptq: { bits: [8, 4], groups: [null], formats: [], gptqBits: [], probeNorms: [] } });
    const tokens = jobWork(j).trainFlops / flopsPerToken(model);
    const manifest = { schemaVersion: 1, status: 'complete', tokens, tokensPerSecond: 5000, wallSeconds: tokens / 5000 + 12, model, data: { validationTokens: 16384 }, ptq: [{}, {}] };
    assert.ok(Math.abs(jobSeconds(j, [calibrationFromManifest(manifest)!]) - manifest.wallSeconds) < 1e-6);
  });

  test('each example run, estimated from the other 25, within 30% of its wall time', () => {
    const files = manifestFiles([EXAMPLES]);
    const jobs = expandGrid(EXAMPLE_GRID);
    const errors = files.map((file, i) => {
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      const others = files.filter((_, k) => k !== i).flatMap((f) => calibrationFromFile(f) ?? []);
      const estimated = jobSeconds(jobs.find((j) => j.name === manifest.name)!, others);
      return estimated / manifest.wallSeconds - 1;
    });
    assert.equal(errors.length, 26);
    assert.ok(errors.every((e) => Math.abs(e) < 0.3), errors.map((e) => e.toFixed(2)).join(' '));
  });
});

describe('the time of a sweep', () => {
  const flat: Calibration[] = [{ flopsPerToken: 1e6, trainRate: 1e9, evalRate: 1e9 }];

  test('runs laid out on the slots longest first; more runs than cores share them', () => {
    const jobs = expandGrid({ outDir: 'runs', sizes: ['2x32', '3x96'], tokens: [200_000], precisions: ['fp32', 'w4a4kv4'] });
    const each = jobs.map((j) => START_SECONDS + jobSeconds(j, flat));
    const one = estimateSweep(jobs, { parallel: 1, cores: 2, calibrations: flat });
    assert.ok(Math.abs(one.seconds - each.reduce((a, b) => a + b)) < 1e-6);
    const two = estimateSweep(jobs, { parallel: 2, cores: 2, calibrations: flat });
    // The two 3x96 runs side by side, then the two 2x32 ones.
    assert.ok(Math.abs(two.seconds - (each[2] + each[0])) < 1e-6);
    const four = estimateSweep(jobs, { parallel: 4, cores: 2, calibrations: flat });
    assert.ok(Math.abs(four.seconds - 2 * each[2]) < 1e-6, 'four at once on two cores: each twice as slow');
    const kept = estimateSweep(jobs, { parallel: 2, cores: 2, calibrations: flat, kept: (j) => j.name.startsWith('L3W96') });
    assert.deepEqual([kept.runs, kept.kept], [2, 2]);
    assert.ok(Math.abs(kept.seconds - each[0]) < 1e-6);
    assert.equal(describeEstimate(estimateSweep(jobs, { parallel: 2, cores: 2, kept: () => true }), 'in runs'), 'nothing to train: all 4 run(s) are already complete');
  });

  test('the example sweep: estimated within 15% of the 44 minutes it took, 2 at once on 2 cores', () => {
    const manifests = manifestFiles([EXAMPLES]).map((f) => JSON.parse(readFileSync(f, 'utf8')) as { created: string; wallSeconds: number });
    const start = Math.min(...manifests.map((m) => Date.parse(m.created)));
    const end = Math.max(...manifests.map((m) => Date.parse(m.created) + 1000 * m.wallSeconds));
    const actual = (end - start) / 1000;
    assert.ok(actual > 43 * 60 && actual < 45 * 60, String(actual));
    const jobs = expandGrid(EXAMPLE_GRID);
    const measured = estimateSweep(jobs, { parallel: 2, cores: 2, calibrations: manifestFiles([EXAMPLES]).flatMap((f) => calibrationFromFile(f) ?? []) });
    assert.ok(Math.abs(measured.seconds / actual - 1) < 0.15, `${measured.seconds} s estimated, ${actual} s taken`);
    // The built-in figures are the slower quartile of the same runs: a little over.
    const builtIn = estimateSweep(jobs, { parallel: 2, cores: 2 });
    assert.ok(builtIn.seconds > actual && builtIn.seconds < 1.25 * actual, `${builtIn.seconds} s estimated, ${actual} s taken`);
    assert.equal(builtIn.measuredRuns, 0);
    assert.equal(describeEstimate(measured, 'in this workspace'), `${aboutDuration(measured.seconds)} on 2 cores, 2 runs at once (from the throughput of 26 complete runs in this workspace)`);
    assert.match(describeEstimate(builtIn, 'in runs'), /^about \d+ minutes on 2 cores, 2 runs at once \(from built-in figures measured on a 2-core machine, 2 runs at once: no complete runs in runs to measure\)$/);
  });

  test('the default sweep of the settings (the example design, default PTQ) comes to about an hour on 2 cores', () => {
    const jobs = expandGrid(gridFromArgs({ ...EXAMPLE_SWEEP, out: 'runs' }));
    assert.equal(jobs.length, 26);
    const minutes = estimateSweep(jobs, { parallel: 2, cores: 2, calibrations: BUILT_IN_CALIBRATIONS }).seconds / 60;
    assert.ok(minutes > 40 && minutes < 70, String(minutes));
  });

  test('durations in words', () => {
    assert.equal(aboutDuration(20), 'under a minute');
    assert.equal(aboutDuration(61), 'about 1 minute');
    assert.equal(aboutDuration(17 * 60 + 10), 'about 17 minutes');
    assert.equal(aboutDuration(3 * 3600), 'about 3.0 hours');
  });
});

describe('one pass of the training text', () => {
  test("the fewest tokens per pass the trainer's run.json files record; none from files that say nothing of it", () => {
    const examples = manifestFiles([path.join(__dirname, '..', '..', 'examples', 'runs')]);
    assert.equal(tokensPerPassOf(examples), 5_662_720);
    assert.equal(tokensPerPassOf([path.join(__dirname, '..', '..', 'package.json'), '/nonexistent/run.json']), undefined);
  });
});
