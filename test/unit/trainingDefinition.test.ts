import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { TrainJob } from '../../src/train/config';
import { type SweepGrid, expandGrid } from '../../src/train/grid';
import type { TrainingSettings } from '../../src/extension/settings';
import { jobsForDefinition, outsideWorkspaceWarning } from '../../src/extension/trainingDefinition';
import { isInside, realPathOf } from '../../src/train/runFolder';

const SETTINGS: TrainingSettings = {
  executor: 'local',
  slurm: {},
  outDir: 'runs',
  size: '2x64',
  tokens: '400k',
  precision: 'fp32',
  sweepSizes: ['2x32', '2x64'],
  sweepTokens: ['200k'],
  sweepPrecisions: ['fp32', 'w4a4kv4'],
  sweepAlso: [],
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

  test('a precision-sweep task with more grid parts ("also"), as objects or as text', () => {
    const def = { type: 'precision-sweep', sizes: ['2x32', '2x64'], tokens: ['200k'], precisions: ['fp32'], also: [{ sizes: '2x32', precisions: ['w3a32kv32', 'w32a32kv3'] }, 'sizes=2x64 seeds=2'] };
    const names = expandGrid(jobsForDefinition(def, FOLDER, SETTINGS).jobs as SweepGrid).map((j) => j.name);
    assert.deepEqual(names, ['L2W32-D200k-fp32', 'L2W64-D200k-fp32', 'L2W32-D200k-w3a32kv32', 'L2W32-D200k-w32a32kv3', 'L2W64-D200k-fp32-s2']);
    const refuse = (also: unknown, message: RegExp) => assert.throws(() => jobsForDefinition({ ...def, also }, FOLDER, SETTINGS), message);
    refuse({ sizes: '2x32' }, /property "also" must be a list of grid parts/);
    refuse([{ sizes: { depth: 2 } }], /property "also" must be a list of grid parts/);
    refuse([{ sizes: '2x32', budget: '1M' }], /also: unknown setting "budget"/);
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

  test("the README's tasks.json examples turn the output scan off and are valid sweeps (local, Slurm, a user's trainer)", () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1].replace(/^ {2}/gm, '')).filter((text) => text.includes('"precision-sweep"'));
    assert.equal(blocks.length, 3);
    const plans = blocks.map((block) => {
      const definition = JSON.parse(block) as { type: string; problemMatcher?: unknown };
      assert.deepEqual(definition.problemMatcher, [], 'without "problemMatcher": [] VS Code asks to scan the task output');
      return jobsForDefinition(definition, FOLDER, SETTINGS);
    });
    assert.deepEqual((plans[0].jobs as SweepGrid).sizes, ['2x64', '4x128']);
    assert.deepEqual(plans.map((p) => p.executor.executor), ['local', 'slurm', 'slurm']);
    assert.deepEqual(plans[2].executor.trainer.kind, 'command');
  });

  test('a task\'s name must be one folder name, and a sweep\'s duplicate settings are trained once', () => {
    assert.throws(() => jobsForDefinition({ type: 'precision-train', name: '../outside' }, FOLDER, SETTINGS), /name "\.\.\/outside" contains a path separator/);
    assert.throws(() => jobsForDefinition({ type: 'precision-sweep', name: 'a/b' }, FOLDER, SETTINGS), /name "a\/b" contains a path separator/);
    const grid = jobsForDefinition({ type: 'precision-sweep', sizes: ['2x32', '2X32'], precisions: 'fp32' }, FOLDER, SETTINGS).jobs as SweepGrid;
    assert.deepEqual(grid.sizes, ['2x32']);
    assert.deepEqual(grid.notes, ['size "2X32" is the same as "2x32": trained once']);
  });
});

describe('output folder outside the workspace', () => {
  const ws = path.resolve('/work/project');
  test('isInside: the folder itself and anything below it; not its parent, a sibling sharing its prefix, or ..', () => {
    assert.equal(isInside([ws], ws, false), true);
    assert.equal(isInside([ws], path.join(ws, 'runs'), false), true);
    assert.equal(isInside([ws], path.join(ws, '..foo', 'runs'), false), true, '"..foo" is a folder name, not the parent');
    assert.equal(isInside([ws], path.join(ws, 'runs', '..', '..', 'other'), false), false);
    assert.equal(isInside([ws], path.resolve('/work/project2'), false), false);
    assert.equal(isInside([ws], path.resolve('/work'), false), false);
    assert.equal(isInside([ws], path.resolve('/'), false), false);
    assert.equal(isInside([], path.join(ws, 'runs'), false), false);
    assert.equal(isInside([path.resolve('/a'), ws], path.join(ws, 'r'), false), true, 'any of the folders');
    assert.equal(isInside([ws], path.resolve('/WORK/Project/runs'), false), false);
    assert.equal(isInside([ws], path.resolve('/WORK/Project/runs'), true), true, 'where paths ignore case');
  });

  test('the warning names the folder and the setting; none inside', () => {
    assert.equal(outsideWorkspaceWarning([ws], path.join(ws, 'runs'), false), undefined);
    assert.equal(
      outsideWorkspaceWarning([ws], path.resolve('/tmp/runs'), false),
      `The output folder ${path.resolve('/tmp/runs')} (the task's "out", or the precisionPlanner.training.outDir setting) lies outside the workspace folder ${ws}. Train and write the runs there?`,
    );
    assert.match(outsideWorkspaceWarning([ws, path.resolve('/b')], path.resolve('/tmp'), false) ?? '', /outside the workspace folders \(.*project, .*b\)/);
    // A task's "out" is resolved against the folder: "../.." climbs out of it.
    const plan = jobsForDefinition({ type: 'precision-train', out: '../../elsewhere' }, FOLDER, SETTINGS);
    assert.ok(outsideWorkspaceWarning([FOLDER], (plan.jobs as TrainJob[])[0].outDir, false));
  });

  test('through links: a folder in the workspace that links outside it is outside', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-inside-'));
    try {
      const workspace = path.join(tmp, 'ws');
      const elsewhere = path.join(tmp, 'elsewhere');
      mkdirSync(workspace);
      mkdirSync(elsewhere);
      symlinkSync(elsewhere, path.join(workspace, 'runs'));
      const folders = [realPathOf(workspace)];
      assert.equal(isInside(folders, realPathOf(path.join(workspace, 'runs', 'sweep-1')), false), false);
      assert.equal(isInside(folders, realPathOf(path.join(workspace, 'not-yet', 'made')), false), true, 'a folder not yet made, by its nearest existing parent');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('sweep tasks on an executor', () => {
  const sweep = { type: 'precision-sweep', sizes: ['1x32'], tokens: '20k', precisions: 'fp32' };

  test('"executor": "slurm" with a slurm object and a command template: the task over the settings, key by key', () => {
    const settings = { ...SETTINGS, executor: 'local', slurm: { partition: 'cpu', time: '30' } };
    const plan = jobsForDefinition({ ...sweep, executor: 'slurm', slurm: { partition: 'gpu', gpus: 1, sbatch: ['--qos=high'] }, command: 'python train.py --out_dir {out}' }, '/ws', settings);
    assert.deepEqual(plan.executor, { executor: 'slurm', resources: { partition: 'gpu', time: '30', gpus: '1', extra: ['--qos=high'] }, trainer: { kind: 'command', template: 'python train.py --out_dir {out}' } });
    assert.deepEqual(jobsForDefinition(sweep, '/ws', SETTINGS).executor, { executor: 'local', resources: {}, trainer: { kind: 'built-in' } });
    // The settings alone: the command comes from the user's settings (TrainingSettings.command), the node too.
    assert.deepEqual(jobsForDefinition(sweep, '/ws', { ...settings, executor: 'slurm', command: 'run {name}', node: '/opt/node/bin/node' }).executor.trainer, { kind: 'command', template: 'run {name}' });
    assert.deepEqual(jobsForDefinition(sweep, '/ws', { ...settings, executor: 'slurm', node: '/opt/node/bin/node' }).executor.trainer, { kind: 'built-in', node: '/opt/node/bin/node' });
  });

  test('a bad value names the task property or the setting it came from', () => {
    assert.throws(() => jobsForDefinition({ ...sweep, executor: 'slurm', slurm: { time: 'an hour' } }, '/ws', SETTINGS), /property "slurm\.time": "an hour" is not a Slurm time limit/);
    assert.throws(() => jobsForDefinition({ ...sweep, executor: 'slurm' }, '/ws', { ...SETTINGS, slurm: { mem: 'lots' } }), /setting precisionPlanner\.training\.slurm\.mem: "lots" is not a memory size/);
    assert.throws(() => jobsForDefinition({ ...sweep, executor: 'pbs' }, '/ws', SETTINGS), /property "executor": "pbs" is not one of local, slurm/);
    assert.throws(() => jobsForDefinition({ ...sweep, executor: 'slurm', command: 'train {layerz}' }, '/ws', SETTINGS), /property "command": unknown placeholder \{layerz\}/);
    assert.throws(() => jobsForDefinition({ ...sweep, slurm: { queue: 'x' } }, '/ws', SETTINGS), /property "slurm" must be an object of Slurm resources \(partition, time, cpus, gpus, mem, account, sbatch\)/);
    assert.throws(() => jobsForDefinition({ ...sweep, command: 'train {name}' }, '/ws', SETTINGS), /property "command": only with the slurm executor/);
  });
});
