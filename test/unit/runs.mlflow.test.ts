import assert from 'node:assert/strict';
import { createWriteStream, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import { countParameters } from '../../src/runs/architecture';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { PRECISION_NAMES } from '../../src/runs/precision';
import { type MlflowRunFiles, isMlflowMeta, loadMlflowRun, mlflowReader, paramEntries, pythonValue, readMlflowRun } from '../../src/runs/readers/mlflow';
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
  hf: 'hf-trainer/mlruns/0/3f9c2b7d1e8a4c6f9b0d2e4a6c8f1b3d',
};
const metaOf = (run: string): string => path.join(FIXTURES, RUNS[run], 'meta.yaml');
const inRun = (run: string, ...parts: string[]): string => path.join(FIXTURES, RUNS[run], ...parts);
/** The diagnostic's file relative to its run folder (named by the 32-hex-digit run id). */
const inRunDir = (file: string): string => {
  const parts = file.split(path.sep);
  return parts.slice(parts.findIndex((p) => /^[0-9a-f]{32}$/.test(p)) + 1).join('/');
};
const brief = (d: Diagnostic) => ({ file: inRunDir(d.file), line: d.line, field: d.field, severity: d.severity, code: d.code });
type Brief = ReturnType<typeof brief>;
/** The diagnostics, in order, against the expected ones: file, line, field, severity and code. */
function assertDiagnostics(actual: readonly Diagnostic[], expected: readonly Brief[]): void {
  assert.deepEqual(actual.map(brief), expected);
}
async function loaded(meta: string): Promise<MlflowRunFiles> {
  const files = await loadMlflowRun(meta, context);
  assert.ok(!('result' in files));
  return files;
}
const fedValue = (files: MlflowRunFiles, key: string): unknown => files.factEntries.find((e) => e.key === key)?.value;

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

  it('a failed run that diverged: a NaN latest loss is not replaced by an earlier one; bad lines named; the planned D not used', async () => {
    const { runs, diagnostics } = await readMlflowRun(metaOf('failed'), context);
    const run = runs[0];
    assert.equal(run.unfinished, true);
    assert.equal(run.meta?.status, 'FAILED');
    assert.equal(run.finalLoss, undefined);
    assert.deepEqual(run.missing, ['params', 'tokens', 'finalLoss']);
    assert.equal(
      incompleteText(run),
      'the run did not finish (status FAILED): the planned max_steps × batch_size × block_size = 32.8M is not what it saw; loss is NaN (the latest val_loss, step 1500); missing N (parameters)',
    );
    assert.equal(run.tokens, undefined, 'max_steps × batch_size × block_size is what a failed run planned, not what it saw');
    assert.deepEqual(run.precision?.w, PRECISION_NAMES.bf16);
    assertDiagnostics(diagnostics, [
      { file: 'meta.yaml', line: 13, field: 'status', severity: 'info', code: 'unfinished' },
      { file: 'metrics/train_loss', line: 5, field: 'train_loss', severity: 'info', code: 'truncated' },
      { file: 'metrics/train_loss', line: 3, field: 'train_loss', severity: 'warning', code: 'bad-value' },
      { file: 'metrics/val_loss', line: 3, field: 'val_loss', severity: 'warning', code: 'bad-value' },
      { file: 'meta.yaml', line: undefined, field: 'params', severity: 'warning', code: 'missing-field' },
      { file: 'params/max_steps', line: 1, field: 'tokens', severity: 'info', code: 'unfinished' },
      { file: 'metrics/val_loss', line: 3, field: 'val_loss', severity: 'warning', code: 'bad-value' },
    ]);
    assert.equal(diagnostics[0].message, 'status FAILED: the run did not finish, so its losses are not end-of-training losses');
    assert.equal(diagnostics[1].message, 'truncated last line (crashed or still-running run?); line skipped');
    assert.equal(diagnostics[2].message, 'train_loss is Infinity on line 3; left out of the curve');
    assert.match(diagnostics[5].message, /^the run did not finish \(status FAILED\), and no file says how many tokens it saw: the planned max_steps × batch_size × block_size = 32\.8M is not used as D$/);
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
    assertDiagnostics(diagnostics, [{ file: 'meta.yaml', line: 5, field: 'lifecycle_stage', severity: 'info', code: 'unsupported' }]);
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
    assert.equal(diagnostics[0].code, 'unfinished');
    assert.match(diagnostics[1].message, /not found in the run's params\/ and metrics\//);
  });

  it("a YAML syntax error in meta.yaml is reported on its line; the run's folders are still read", async () => {
    const { runs, diagnostics } = await readMlflowRun(metaOf('badYaml'), context);
    assertDiagnostics(diagnostics, [{ file: 'meta.yaml', line: 11, field: undefined, severity: 'error', code: 'syntax' }]);
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
    assertDiagnostics(diagnostics, [{ file: 'meta.yaml', line: undefined, field: undefined, severity: 'error', code: 'binary' }]);
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
    assert.deepEqual(diagnostics.map(brief)[0], { file: 'meta.yaml', line: 13, field: 'status', severity: 'warning', code: 'bad-value' });
    assert.match(diagnostics[0].message, /status 9 is not an MLflow run status/);
  });

  it('malformed metric lines are listed up to a limit, then counted', async () => {
    const dir = await copyRun('good');
    const lines = ['1717000000000 3.9 2900', ...Array.from({ length: 8 }, (_, i) => `garbage ${i}`), '1717000001000 3.5 3000'];
    await writeFile(path.join(dir, 'metrics', 'val', 'loss'), `${lines.join('\n')}\n`);
    const { runs, diagnostics } = await readMlflowRun(path.join(dir, 'meta.yaml'), context);
    assert.equal(runs[0].finalLoss, 3.5);
    const bad = diagnostics.filter((d) => d.field === 'val/loss');
    assert.deepEqual(
      bad.map((d) => d.line),
      [2, 3, 4, 5, 6, undefined],
    );
    assert.match(bad[0].message, /expected "<timestamp> <value> <step>", got the string "garbage 0"; line skipped/);
    assert.deepEqual(
      bad.map((d) => d.code),
      ['syntax', 'syntax', 'syntax', 'syntax', 'syntax', 'truncated'],
    );
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

describe('mlflow reader: params as Python wrote them', () => {
  it('str() of Python values reads back as those values; other text stays text', () => {
    assert.equal(pythonValue('True'), true);
    assert.equal(pythonValue('False'), false);
    assert.equal(pythonValue('None'), null);
    assert.equal(pythonValue('4096'), 4096);
    assert.equal(pythonValue('-1'), -1);
    assert.equal(pythonValue('2e-05'), 2e-5);
    assert.equal(pythonValue('10000.0'), 10000);
    assert.equal(pythonValue('3.06681596994388e+17'), 3.06681596994388e17);
    assert.deepEqual(pythonValue("['LlamaForCausalLM']"), ['LlamaForCausalLM']);
    assert.deepEqual(pythonValue("['full_shard', 'auto_wrap']"), ['full_shard', 'auto_wrap']);
    assert.deepEqual(pythonValue('[]'), []);
    assert.deepEqual(pythonValue('(0.9, 0.95)'), [0.9, 0.95]);
    assert.deepEqual(pythonValue("{'type': 'linear', 'factor': 2.0, 'extra': None, 'flag': True}"), { type: 'linear', factor: 2, extra: null, flag: true });
    assert.deepEqual(pythonValue("{'a': {'b': [1, 2]}, 'c': \"it's\"}"), { a: { b: [1, 2] }, c: "it's" });
    assert.deepEqual(pythonValue("['a\\'b', '\\n', '\\x41\\u00e9']"), ["a'b", '\n', 'Aé']);
    // Text that only looks like a number or a display.
    for (const text of ['bfloat16', 'bf16-mixed', '4.34.1', 'experiments/outputs/alpaca', '<HUB_TOKEN>', '', "['unclosed'", "{'a': 1} trailing", '[a, b]', '12345678901234567890', 'inf', '{1, 2}']) {
      assert.equal(pythonValue(text), text, text);
    }
  });

  it('a dict display becomes nested entries, as the YAML walker nests keys', () => {
    assert.deepEqual(paramEntries('rope_scaling', "{'factor': 8.0, 'rope_type': 'llama3'}", '/p/params/rope_scaling'), [
      { key: 'rope_scaling.factor', value: 8, file: '/p/params/rope_scaling', line: 1 },
      { key: 'rope_scaling.rope_type', value: 'llama3', file: '/p/params/rope_scaling', line: 1 },
    ]);
    assert.deepEqual(paramEntries('id2label', '{}', '/p/x'), []);
    assert.deepEqual(paramEntries('hidden_size', '512', '/p/x'), [{ key: 'hidden_size', value: 512, file: '/p/x', line: 1 }]);
  });
});

describe("mlflow reader: HF Trainer's MLflowCallback", () => {
  it('every model config and TrainingArguments param reaches the facts engine as a number, a flag or a name', async () => {
    const files = await loaded(metaOf('hf'));
    assert.equal(files.hf, true);
    // 186 params; the dict displays fsdp_config (4 values), id2label and label2id (2 each) become one entry per value, pruned_heads ({}) none.
    assert.equal(files.params.length, 186 + 3 + 1 + 1 - 1);
    assert.equal(fedValue(files, 'hidden_size'), 4096);
    assert.equal(fedValue(files, 'num_hidden_layers'), 32);
    assert.equal(fedValue(files, 'intermediate_size'), 11008);
    assert.equal(fedValue(files, 'num_key_value_heads'), 32);
    assert.equal(fedValue(files, 'vocab_size'), 32001);
    assert.equal(fedValue(files, 'tie_word_embeddings'), false);
    assert.equal(fedValue(files, 'rms_norm_eps'), 1e-6);
    assert.equal(fedValue(files, 'rope_scaling'), null);
    assert.deepEqual(fedValue(files, 'architectures'), ['LlamaForCausalLM']);
    assert.deepEqual(fedValue(files, 'fsdp_config.transformer_layer_cls_to_wrap'), ['LlamaDecoderLayer']);
    assert.equal(fedValue(files, 'per_device_train_batch_size'), 4);
    assert.equal(fedValue(files, 'gradient_accumulation_steps'), 8);
    assert.equal(fedValue(files, 'max_steps'), -1);
    assert.equal(fedValue(files, 'bf16'), true, 'the precision the run trained in (post-merge: beats torch_dtype)');
    assert.equal(fedValue(files, 'fp16'), false);
    assert.equal(fedValue(files, 'torch_dtype'), 'float16', 'only the dtype the checkpoint was saved in');
    assert.equal(fedValue(files, 'model_max_length'), 512);
    assert.equal(fedValue(files, 'learning_rate'), 2e-5);
    const bf16 = files.factEntries.find((e) => e.key === 'bf16');
    assert.deepEqual(bf16 && { file: inRunDir(bf16.file), line: bf16.line }, { file: 'params/bf16', line: 1 });
    // The epochs-planned run (max_steps -1) reached HF's global_step 1218: fed as its steps.
    const step = files.factEntries.find((e) => e.key === 'global_step');
    assert.deepEqual(step && { value: step.value, file: inRunDir(step.file), line: step.line }, { value: 1218, file: 'metrics/loss', line: 1218 });
    // Typed, the architecture counts: Llama-7B's 6,476,271,616 non-embedding parameters.
    const count = countParameters(Object.fromEntries(files.params.map((e) => [e.key, e.value])));
    assert.ok(count.ok);
    assert.equal(count.count.params, 6_476_271_616);
    assert.equal(files.world, undefined, 'TrainingArguments.to_dict() holds no world size');
  });

  it('only a training loss ("loss", as on_log writes it): no final loss, said why; the curve is "loss", not the average train_loss', async () => {
    const { runs, diagnostics } = await readMlflowRun(metaOf('hf'), context);
    const run = runs[0];
    assert.equal(run.name, 'experiments/outputs/alpaca');
    // End to end, through the facts engine: N from the architecture, bf16 from the flag (not the saved float16).
    assert.equal(run.params, 6_476_271_616);
    assert.deepEqual(run.precision, { w: PRECISION_NAMES.bf16, a: PRECISION_NAMES.bf16, kv: PRECISION_NAMES.bf16 });
    assert.deepEqual(run.sources.precision, { file: inRun('hf', 'params', 'bf16'), line: 1, field: 'bf16' });
    assert.equal(run.finalLoss, undefined);
    assert.equal(run.reasons?.finalLoss, 'only a training loss was logged (loss); the final loss must be a validation loss');
    const d = diagnostics.find((x) => x.field === 'finalLoss');
    assert.deepEqual(d && brief(d), { file: 'meta.yaml', line: undefined, field: 'finalLoss', severity: 'warning', code: 'missing-field' });
    const train = (run.curve ?? []).filter((p) => p.split === 'train');
    assert.equal(train.length, 1218);
    assert.equal(train[train.length - 1].loss, 0.3967);
    assert.ok(!diagnostics.some((x) => x.code === 'truncated'), 'every TrainingArguments field is there');
  });

  it('a params list cut short (MLFLOW_MAX_LOG_PARAMS): said, naming what is lacking', async () => {
    const dir = await copyRun('hf');
    for (const key of ['max_steps', 'bf16', 'fp16']) await rm(path.join(dir, 'params', key));
    const { diagnostics } = await readMlflowRun(path.join(dir, 'meta.yaml'), context);
    const d = diagnostics.find((x) => x.code === 'truncated');
    assert.deepEqual(d && brief(d), { file: 'params', line: undefined, field: 'max_steps', severity: 'info', code: 'truncated' });
    assert.match(d?.message ?? '', /not max_steps, bf16, fp16: the list was cut \(MLFLOW_MAX_LOG_PARAMS\?\)/);
  });

  it('an evaluation long before the last step is not the final loss', async () => {
    const dir = await copyRun('hf');
    await writeFile(path.join(dir, 'metrics', 'eval_loss'), '1698895800000 1.52 200\n1698896500000 1.31 400\n');
    const { runs, diagnostics } = await readMlflowRun(path.join(dir, 'meta.yaml'), context);
    assert.equal(runs[0].finalLoss, undefined);
    assert.equal(runs[0].reasons?.finalLoss, 'the last eval_loss was logged at step 400, but training went on to step 1218: it is not the end-of-training loss');
    const d = diagnostics.find((x) => x.field === 'eval_loss');
    assert.deepEqual(d && brief(d), { file: 'metrics/eval_loss', line: 2, field: 'eval_loss', severity: 'warning', code: 'missing-field' });
    await writeFile(path.join(dir, 'metrics', 'eval_loss'), '1698895800000 1.52 200\n1698900348000 1.12 1218\n');
    const atEnd = await readMlflowRun(path.join(dir, 'meta.yaml'), context);
    assert.equal(atEnd.runs[0].finalLoss, 1.12);
  });
});

describe('mlflow reader: world size and tokens seen', () => {
  it('devices and num_nodes params give the world size, fed as world_size', async () => {
    const dir = await copyRun('good');
    await writeFile(path.join(dir, 'params', 'devices'), '[0, 1, 2, 3]');
    await writeFile(path.join(dir, 'params', 'num_nodes'), '2');
    const files = await loaded(path.join(dir, 'meta.yaml'));
    const world = files.factEntries.find((e) => e.key === 'world_size');
    assert.deepEqual(world && { value: world.value, file: inRunDir(world.file), line: world.line }, { value: 8, file: 'params/devices', line: 1 });
  });

  it('a seen count in the metrics beats the params; 0 seen is no D', async () => {
    const dir = await copyRun('good');
    await writeFile(path.join(dir, 'params', 'tokens'), '5e8');
    const seen = await readMlflowRun(path.join(dir, 'meta.yaml'), context);
    assert.equal(seen.runs[0].tokens, 98304000, 'metrics/tokens_seen, not params/tokens');
    assert.equal(seen.runs[0].sources.tokens?.field, 'tokens_seen');
    await writeFile(path.join(dir, 'metrics', 'tokens_seen'), '1717000061500 0 1000\n');
    const zero = await readMlflowRun(path.join(dir, 'meta.yaml'), context);
    assert.equal(zero.runs[0].tokens, undefined);
    assert.equal(zero.runs[0].reasons?.tokens, 'the run saw 0 tokens (tokens_seen is 0 in the metrics)');
    const d = zero.diagnostics.find((x) => x.field === 'tokens_seen');
    assert.deepEqual(d && brief(d), { file: 'metrics/tokens_seen', line: 1, field: 'tokens_seen', severity: 'warning', code: 'conflict' });
  });
});
