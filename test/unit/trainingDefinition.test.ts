import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { TrainJob } from '../../src/train/config';
import type { SweepGrid } from '../../src/train/engine';
import type { TrainingSettings } from '../../src/extension/settings';
import { jobsForDefinition } from '../../src/extension/trainingDefinition';

const SETTINGS: TrainingSettings = {
  outDir: 'runs',
  size: '2x64',
  tokens: '400k',
  precision: 'fp32',
  sweepSizes: ['2x32', '2x64'],
  sweepTokens: ['200k'],
  sweepPrecisions: ['fp32', 'w4a4kv4'],
  parallel: 0,
  ptqBits: [8, 4],
  corpus: [],
};
const FOLDER = path.resolve('/work/project');

describe('training task definitions', () => {
  test('a precision-train task: its own values, the settings for the rest, paths in the folder', () => {
    const { jobs, parallel } = jobsForDefinition({ type: 'precision-train', size: '4x128', tokens: 1e6, precision: 'w4a8kv4', corpus: 'data/text', ptqGroups: ['channel', 32] }, FOLDER, SETTINGS);
    const [job] = jobs as TrainJob[];
    assert.equal(parallel, 1);
    assert.deepEqual(job.model, { depth: 4, width: 128 });
    assert.equal(job.tokens, 1e6);
    assert.equal(job.precision, 'w4a8kv4');
    assert.equal(job.outDir, path.join(FOLDER, 'runs'));
    assert.deepEqual(job.corpus, [path.join(FOLDER, 'data/text')]);
    assert.deepEqual(job.ptq, { bits: [8, 4], groups: [null, 32] });
    assert.equal(job.name, 'L4W128-D1M-w4a8kv4');
  });

  test('a task with no values trains what the settings say', () => {
    const [job] = jobsForDefinition({ type: 'precision-train' }, FOLDER, SETTINGS).jobs as TrainJob[];
    assert.deepEqual([job.model.depth, job.model.width, job.tokens, job.precision], [2, 64, 400_000, 'fp32']);
  });

  test('a precision-sweep task: lists or comma-separated text, parallel from the task or the cores', () => {
    const plan = jobsForDefinition({ type: 'precision-sweep', sizes: '2x32,4x128', tokens: ['100k', 200000], precisions: ['fp32'], parallel: 3, out: '/elsewhere', label: 'my sweep' }, FOLDER, SETTINGS);
    const grid = plan.jobs as SweepGrid;
    assert.deepEqual(grid.sizes, ['2x32', '4x128']);
    assert.deepEqual(grid.tokens, [1e5, 2e5]);
    assert.equal(grid.outDir, '/elsewhere');
    assert.equal(plan.parallel, 3);
    assert.equal(plan.rerun, false);
    assert.equal(jobsForDefinition({ type: 'precision-sweep' }, FOLDER, SETTINGS).parallel, 0);
  });

  test('bad properties are refused by name', () => {
    const refuse = (def: Record<string, unknown>, message: RegExp) => assert.throws(() => jobsForDefinition({ type: 'precision-train', ...def }, FOLDER, SETTINGS), message);
    refuse({ size: { depth: 4 } }, /property "size" must be a string or a number/);
    refuse({ sizes: ['2x32'] }, /unknown property "sizes"/);
    refuse({ size: '4 by 128' }, /size "4 by 128" is not <depth>x<width>/);
    refuse({ tokens: 'lots' }, /tokens: "lots" is not a positive number/);
    refuse({ precision: 'int1' }, /integer bits must be 2 to 16/);
    refuse({ ptqBits: [8, 20] }, /ptq-bits: "20" is not a bit-width/);
    assert.throws(() => jobsForDefinition({ type: 'precision-sweep', parallel: -1 }, FOLDER, SETTINGS), /property "parallel" must be a whole number/);
  });

  test("VS Code's own task keys pass, problemMatcher among them", () => {
    for (const problemMatcher of [[], '$tsc', ['$tsc', '$eslint-stylish']]) {
      const plan = jobsForDefinition({ type: 'precision-sweep', label: 'sweep', problemMatcher, presentation: { reveal: 'always' } }, FOLDER, SETTINGS);
      assert.equal((plan.jobs as SweepGrid).sizes.length, 2);
    }
  });

  test("the README's tasks.json example turns the output scan off and is a valid sweep", () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]).filter((text) => text.includes('"precision-sweep"'));
    assert.equal(blocks.length, 1);
    const definition = JSON.parse(blocks[0]) as { type: string; problemMatcher?: unknown };
    assert.deepEqual(definition.problemMatcher, [], 'without "problemMatcher": [] VS Code asks to scan the task output');
    const grid = jobsForDefinition(definition, FOLDER, SETTINGS).jobs as SweepGrid;
    assert.deepEqual(grid.sizes, ['2x64', '4x128']);
  });
});
