import assert from 'node:assert/strict';
import { createWriteStream, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { PRECISION_NAMES } from '../../src/runs/precision';
import { isMlflowMeta, mlflowReader, readMlflowRun } from '../../src/runs/readers/mlflow';
import { incompleteText, isComplete } from '../../src/runs/run';

const FIXTURES = path.resolve(__dirname, '../fixtures/mlflow');
const context = { root: FIXTURES, aliases: DEFAULT_ALIASES };
const RUNS: Record<string, string> = {
  good: 'good/mlruns/483719265017243512/6f1e2d3c4b5a49788766554433221100',
  failed: 'failed/mlruns/0/a1b2c3d4e5f60718293a4b5c6d7e8f90',
  deleted: 'deleted/mlruns/12/deadbeefdeadbeefdeadbeefdeadbeef',
  killed: 'killed/mlruns/3/0123456789abcdef0123456789abcdef',
  badYaml: 'bad-yaml/mlruns/7/feedfacefeedfacefeedfacefeedface',
  binary: 'binary/mlruns/9/0000aaaa1111bbbb2222cccc3333dddd',
};
const metaOf = (run: string): string => path.join(FIXTURES, RUNS[run], 'meta.yaml');
const inRun = (run: string, ...parts: string[]): string => path.join(FIXTURES, RUNS[run], ...parts);
/** The diagnostic's file relative to its run folder (named by the 32-hex-digit run id). */
const inRunDir = (file: string): string => {
  const parts = file.split(path.sep);
  return parts.slice(parts.findIndex((p) => /^[0-9a-f]{32}$/.test(p)) + 1).join('/');
};
const brief = (d: Diagnostic) => ({ file: inRunDir(d.file), line: d.line, field: d.field, severity: d.severity });

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-mlflow-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function copyRun(run: string): Promise<string> {
  const dir = path.join(tmp, Math.random().toString(36).slice(2), 'mlruns', '1', path.basename(RUNS[run]));
  await cp(path.join(FIXTURES, RUNS[run]), dir, { recursive: true });
  return dir;
}

describe('mlflow reader: matching', () => {
  it('takes meta.yaml under an mlruns folder', () => {
    assert.equal(mlflowReader.id, 'mlflow');
    assert.equal(mlflowReader.label, 'MLflow');
    assert.ok(isMlflowMeta('meta.yaml', '/p/mlruns/0/abc/meta.yaml'));
    assert.ok(isMlflowMeta('meta.yaml', 'C:\\p\\mlruns\\0\\abc\\meta.yaml'));
    assert.ok(!isMlflowMeta('meta.yaml', '/p/conda/meta.yaml'));
    assert.ok(!isMlflowMeta('meta.yaml', '/p/old-mlruns/0/abc/meta.yaml'));
    assert.ok(!isMlflowMeta('hparams.yaml', '/p/mlruns/0/abc/hparams.yaml'));
  });
});

describe('mlflow reader: fixtures', () => {
  it('a finished run: params, the latest metric values, curves, a PTQ result', async () => {
    const file = metaOf('good');
    const { runs, diagnostics, inputs } = await readMlflowRun(file, context);
    assert.deepEqual(diagnostics, []);
    const run = runs[0];
    assert.ok(isComplete(run));
    assert.equal(run.id, 'good/mlruns/483719265017243512/6f1e2d3c4b5a49788766554433221100/meta.yaml');
    assert.equal(run.name, 'w4a8-85M');
    assert.equal(run.format, 'mlflow');
    assert.equal(run.file, file);
    assert.equal(run.params, 85054464);
    assert.equal(run.tokens, 3000 * 32 * 1024);
    assert.deepEqual(run.precision, { w: { bits: 4, type: 'int' }, a: { bits: 8, type: 'int' }, kv: { bits: 8, type: 'int' } });
    assert.equal(run.finalLoss, 4.5094);
    assert.deepEqual(run.sources, {
      params: { file: inRun('good', 'params', 'n_params'), line: 1, field: 'n_params' },
      tokens: { file: inRun('good', 'metrics', 'tokens_seen'), line: 3, field: 'tokens_seen' },
      precision: { file: inRun('good', 'params', 'precision'), line: 1, field: 'precision' },
      finalLoss: { file: inRun('good', 'metrics', 'val', 'loss'), line: 3, field: 'val/loss' },
    });
    assert.deepEqual(run.ptq, [{ bits: 4, type: 'int', format: 'int', method: 'rtn', loss: 5.5213, source: { file: inRun('good', 'metrics', 'ptq_loss'), line: 1, field: 'ptq_loss' } }]);
    assert.deepEqual(run.meta, { status: 'FINISHED', runId: '6f1e2d3c4b5a49788766554433221100', experiment: 'precision-sweep', started: '2024-05-29T16:26:40.456Z', ended: '2024-05-29T17:26:40.123Z' });
    assert.equal(run.unfinished, undefined);
    const curve = run.curve ?? [];
    assert.equal(curve.length, 33);
    assert.deepEqual(
      curve.filter((p) => p.split === 'val').map((p) => [p.step, p.loss]),
      [
        [1000, 5.4419],
        [2000, 4.8599],
        [3000, 4.5094],
      ],
    );
    assert.equal(curve.filter((p) => p.split === 'train').length, 30);
    assert.ok(inputs?.includes(inRun('good', 'metrics', 'val', 'loss')));
    assert.ok(!inputs?.includes(inRun('good', 'metrics', 'lr')), 'metrics of no interest are not read');
  });

  it("the experiment's, a dataset's and a registered model's meta.yaml are not runs", async () => {
    for (const file of [
      'good/mlruns/483719265017243512/meta.yaml',
      'good/mlruns/483719265017243512/datasets/2b7e6f0a1c9d4e3f/meta.yaml',
      'good/mlruns/models/tiny-lm/meta.yaml',
      'good/mlruns/models/tiny-lm/version-1/meta.yaml',
    ]) {
      assert.deepEqual(await readMlflowRun(path.join(FIXTURES, file), context), { runs: [], diagnostics: [], notMine: true }, file);
    }
  });

  it('a failed run that diverged: a NaN latest loss is not replaced by an earlier one; bad lines named', async () => {
    const { runs, diagnostics } = await readMlflowRun(metaOf('failed'), context);
    const run = runs[0];
    assert.equal(run.unfinished, true);
    assert.equal(run.meta?.status, 'FAILED');
    assert.equal(run.finalLoss, undefined);
    assert.deepEqual(run.missing, ['params', 'finalLoss']);
    assert.equal(incompleteText(run), 'loss is NaN (the latest val_loss, step 1500); missing N (parameters)');
    assert.equal(run.tokens, 2000 * 64 * 256);
    assert.deepEqual(run.precision?.w, PRECISION_NAMES.bf16);
    assert.deepEqual(diagnostics.map(brief), [
      { file: 'meta.yaml', line: 13, field: 'status', severity: 'info' },
      { file: 'metrics/train_loss', line: 5, field: 'train_loss', severity: 'info' },
      { file: 'metrics/train_loss', line: 3, field: 'train_loss', severity: 'warning' },
      { file: 'metrics/val_loss', line: 3, field: 'val_loss', severity: 'warning' },
      { file: 'params/max_steps', line: 1, field: 'tokens', severity: 'info' },
      { file: 'meta.yaml', line: undefined, field: 'params', severity: 'warning' },
      { file: 'metrics/val_loss', line: 3, field: 'val_loss', severity: 'warning' },
    ]);
    assert.equal(diagnostics[0].message, 'status FAILED: the run did not finish, so its losses are not end-of-training losses');
    assert.equal(diagnostics[1].message, 'truncated last line (crashed or still-running run?); line skipped');
    assert.equal(diagnostics[2].message, 'train_loss is Infinity on line 3; left out of the curve');
    assert.match(diagnostics[4].message, /computed as max_steps × batch_size × block_size = 2000 × 64 × 256 = 32768000 \(from params\/max_steps, params\/batch_size, params\/block_size\)/);
    assert.equal(diagnostics[6].message, 'the latest val_loss (step 1500) is NaN: not a usable final loss (did the run diverge?); the run has no final loss');
    assert.deepEqual(
      run.curve?.map((p) => `${p.split}@${p.step}`),
      ['train@100', 'train@200', 'train@400', 'val@500', 'val@1000'],
    );
  });

  it('a deleted run is skipped with a word', async () => {
    const { runs, diagnostics, notMine } = await readMlflowRun(metaOf('deleted'), context);
    assert.deepEqual(runs, []);
    assert.equal(notMine, undefined);
    assert.deepEqual(diagnostics.map(brief), [{ file: 'meta.yaml', line: 5, field: 'lifecycle_stage', severity: 'info' }]);
    assert.equal(diagnostics[0].message, 'run deadbeefdeadbeefdeadbeefdeadbeef was deleted in MLflow (its lifecycle_stage is "deleted"); not read');
  });

  it('status as a string, two-field metric lines of old clients, no params at all', async () => {
    const { runs, diagnostics } = await readMlflowRun(metaOf('killed'), context);
    const run = runs[0];
    assert.equal(run.meta?.status, 'KILLED');
    assert.equal(run.unfinished, true);
    assert.equal(run.finalLoss, 3.71, 'same step: the later timestamp wins');
    assert.deepEqual(run.missing, ['params', 'tokens', 'precision']);
    assert.deepEqual(
      diagnostics.map((d) => [d.field, d.severity]),
      [
        ['status', 'info'],
        ['params', 'warning'],
        ['tokens', 'warning'],
        ['precision', 'warning'],
      ],
    );
    assert.match(diagnostics[1].message, /not found in the run's params\/ and metrics\//);
  });

  it("a YAML syntax error in meta.yaml is reported on its line; the run's folders are still read", async () => {
    const { runs, diagnostics } = await readMlflowRun(metaOf('badYaml'), context);
    assert.deepEqual(diagnostics.map(brief), [{ file: 'meta.yaml', line: 11, field: undefined, severity: 'error' }]);
    assert.match(diagnostics[0].message, /^syntax error: flow sequence/);
    const run = runs[0];
    assert.ok(isComplete(run));
    assert.equal(run.name, 'w8a8kv4-25M');
    assert.equal(run.params, 2.5e7);
    assert.equal(run.tokens, 5e8);
    assert.deepEqual(run.precision, { w: { bits: 8, type: 'int' }, a: { bits: 8, type: 'int' }, kv: { bits: 4, type: 'int' } });
    assert.equal(run.finalLoss, 3.61);
  });

  it('a binary meta.yaml beside a run\'s folders is reported once; one elsewhere is not this reader\'s', async () => {
    const { runs, diagnostics } = await readMlflowRun(metaOf('binary'), context);
    assert.deepEqual(runs, []);
    assert.deepEqual(diagnostics.map(brief), [{ file: 'meta.yaml', line: undefined, field: undefined, severity: 'error' }]);
    assert.match(diagnostics[0].message, /not a text file/);

    const lone = path.join(tmp, 'mlruns', '5', 'meta.yaml');
    await cp(metaOf('binary'), lone);
    assert.deepEqual(await readMlflowRun(lone, context), { runs: [], diagnostics: [], notMine: true });
  });
});

describe('mlflow reader: edge cases', () => {
  it('integer statuses map to MLflow names; an unknown one is a warning and unfinished', async () => {
    const dir = await copyRun('good');
    const meta = path.join(dir, 'meta.yaml');
    const text = readFileSync(metaOf('good'), 'utf8');
    for (const [status, name, unfinished] of [
      ['1', 'RUNNING', true],
      ['2', 'SCHEDULED', true],
      ['5', 'KILLED', true],
      ['FINISHED', 'FINISHED', false],
    ] as const) {
      await writeFile(meta, text.replace('status: 3', `status: ${status}`));
      const { runs } = await readMlflowRun(meta, context);
      assert.equal(runs[0].meta?.status, name, status);
      assert.equal(runs[0].unfinished === true, unfinished, status);
    }
    await writeFile(meta, text.replace('status: 3', 'status: 9'));
    const { runs, diagnostics } = await readMlflowRun(meta, context);
    assert.equal(runs[0].unfinished, true);
    assert.deepEqual(diagnostics.map(brief)[0], { file: 'meta.yaml', line: 13, field: 'status', severity: 'warning' });
    assert.match(diagnostics[0].message, /status 9 is not an MLflow run status/);
  });

  it('malformed metric lines are listed up to a limit, then counted', async () => {
    const dir = await copyRun('good');
    const lines = ['1717000000000 3.9 100', ...Array.from({ length: 8 }, (_, i) => `garbage ${i}`), '1717000001000 3.5 200'];
    await writeFile(path.join(dir, 'metrics', 'val', 'loss'), `${lines.join('\n')}\n`);
    const { runs, diagnostics } = await readMlflowRun(path.join(dir, 'meta.yaml'), context);
    assert.equal(runs[0].finalLoss, 3.5);
    const bad = diagnostics.filter((d) => d.field === 'val/loss');
    assert.deepEqual(
      bad.map((d) => d.line),
      [2, 3, 4, 5, 6, undefined],
    );
    assert.match(bad[0].message, /expected "<timestamp> <value> <step>", got the string "garbage 0"; line skipped/);
    assert.equal(bad[5].message, '3 more malformed lines not listed');
  });

  it('a long metric file is streamed into a bounded curve; the latest value is by step', async () => {
    const dir = await copyRun('good');
    const file = path.join(dir, 'metrics', 'train', 'loss');
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(file);
      out.on('error', reject);
      out.on('finish', resolve);
      let chunk = '';
      for (let step = 0; step < 150_000; step++) {
        chunk += `${1717000000000 + step} ${(3 + 5 / (step + 1)).toFixed(5)} ${step}\n`;
        if (chunk.length > 1 << 16) {
          out.write(chunk);
          chunk = '';
        }
      }
      out.end(chunk);
    });
    const { runs } = await readMlflowRun(path.join(dir, 'meta.yaml'), context);
    const train = (runs[0].curve ?? []).filter((p) => p.split === 'train');
    assert.ok(train.length <= 4000 && train.length > 1000, `${train.length}`);
    assert.equal(train[train.length - 1].step, 149_999);
    assert.equal(runs[0].curve?.filter((p) => p.split === 'val').length, 3);
  });

  it('a run in the .trash folder is skipped', async () => {
    const dir = path.join(tmp, 'store', 'mlruns', '.trash', '4', 'cafe');
    await cp(path.join(FIXTURES, RUNS.killed), dir, { recursive: true });
    const { runs, diagnostics } = await readMlflowRun(path.join(dir, 'meta.yaml'), context);
    assert.deepEqual(runs, []);
    assert.match(diagnostics[0].message, /was deleted in MLflow \(it is in MLflow's \.trash folder\); not read/);
  });
});
