import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ALIASES, extendAliases } from '../../src/runs/aliases';
import { countParameters } from '../../src/runs/architecture';
import type { Diagnostic } from '../../src/runs/diagnostics';
import type { ConfigEntry } from '../../src/runs/entries';
import { PRECISION_NAMES } from '../../src/runs/precision';
import { type WandbRunFiles, isWandbSummary, loadWandbRun, readWandbRun, wandbReader } from '../../src/runs/readers/wandb';
import { incompleteText, isComplete } from '../../src/runs/run';

const FIXTURES = path.resolve(__dirname, '../fixtures/wandb');
const context = { root: FIXTURES, aliases: DEFAULT_ALIASES };
const RUNS: Record<string, string> = {
  good: 'good/wandb/run-20240611_142233-7f3kq2xa',
  crashed: 'crashed-history/wandb/offline-run-20200217_171051-1x2y3z4w',
  nan: 'nan-loss/wandb/run-20250102_083015-q9w8e7r6',
  badConfig: 'bad-config/wandb/run-20230905_220101-zz11yy22',
  binary: 'binary/wandb/run-20240101_000000-bin00000',
  truncated: 'truncated/wandb/run-20240305_101010-tr0nc8ed',
  hfLlama: 'hf-llama/wandb/run-20231102_032820-iqu955sp',
  step0: 'step0-eval/wandb/run-20250310_091502-e0v4l0ss',
  planned: 'planned-tokens/wandb/run-20250418_220913-k3r7m2tq',
  lightningDdp: 'lightning-ddp/wandb/run-20250201_130455-l1ght9pu',
};
const summary = (run: string): string => path.join(FIXTURES, RUNS[run], 'files', 'wandb-summary.json');
const filesOf = (run: string, name: string): string => path.join(FIXTURES, RUNS[run], 'files', name);
const brief = (d: Diagnostic) => ({ file: path.basename(d.file), line: d.line, field: d.field, severity: d.severity, code: d.code });
type Brief = ReturnType<typeof brief>;
/** The diagnostics, in order, against the expected ones: file, line, field, severity and code. */
function assertDiagnostics(actual: readonly Diagnostic[], expected: readonly Brief[]): void {
  assert.deepEqual(actual.map(brief), expected);
}
async function loaded(run: string): Promise<WandbRunFiles> {
  const files = await loadWandbRun(summary(run), context);
  assert.ok(!('result' in files));
  return files;
}
/** The entry fed to the facts engine under a key, without its file (asserted apart). */
function fed(files: { factEntries: readonly ConfigEntry[] }, key: string): { value: unknown; file: string; line?: number } | undefined {
  const entry = files.factEntries.find((e) => e.key === key);
  return entry && { value: entry.value, file: path.basename(entry.file), line: entry.line };
}

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-wandb-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('wandb reader: matching', () => {
  it('takes wandb-summary.json in a files/ folder only', () => {
    assert.equal(wandbReader.id, 'wandb');
    assert.equal(wandbReader.label, 'Weights & Biases');
    assert.ok(isWandbSummary('wandb-summary.json', '/p/wandb/run-20240101_000000-abc/files/wandb-summary.json'));
    assert.ok(isWandbSummary('wandb-summary.json', '/p/wandb/offline-run-20240101_000000-abc/files/wandb-summary.json'));
    assert.ok(!isWandbSummary('wandb-summary.json', '/p/exports/wandb-summary.json'));
    assert.ok(!isWandbSummary('config.yaml', '/p/wandb/run-x/files/config.yaml'));
    assert.ok(!isWandbSummary('run-abc.wandb', '/p/wandb/run-x/run-abc.wandb'));
  });
});

describe('wandb reader: fixtures', () => {
  it('a complete run: N, D, precision from config.yaml, the final loss and a PTQ result from the summary', async () => {
    const file = summary('good');
    const config = filesOf('good', 'config.yaml');
    const { runs, diagnostics, notMine, inputs } = await readWandbRun(file, context);
    assert.deepEqual(diagnostics, []);
    assert.equal(notMine, undefined);
    assert.equal(runs.length, 1);
    const run = runs[0];
    assert.ok(isComplete(run));
    assert.equal(run.id, 'good/wandb/run-20240611_142233-7f3kq2xa/files/wandb-summary.json');
    assert.equal(run.name, 'run-20240611_142233-7f3kq2xa');
    assert.equal(run.format, 'wandb');
    assert.equal(run.file, file);
    assert.equal(run.params, 85054464);
    assert.equal(run.tokens, 2457600000);
    assert.deepEqual(run.precision, { w: PRECISION_NAMES.bf16, a: PRECISION_NAMES.bf16, kv: PRECISION_NAMES.bf16 });
    assert.equal(run.finalLoss, 3.0518);
    assert.deepEqual(run.sources, {
      params: { file: config, line: 56, field: 'n_params' },
      tokens: { file: config, line: 65, field: 'train_tokens' },
      precision: { file: config, line: 35, field: 'dtype' },
      finalLoss: { file, line: 1, field: 'val/loss' },
    });
    assert.deepEqual(run.ptq, [{ bits: 4, type: 'int', format: 'int', method: 'gptq', loss: 3.1874, source: { file, line: 1, field: 'ptq_loss' } }]);
    assert.equal(run.curve, undefined, 'the history of newer clients is only in the binary .wandb file');
    assert.equal(run.unfinished, undefined);
    assert.deepEqual(run.meta, { wandbId: '7f3kq2xa', started: '2024-06-11T14:22:33', step: 50, runtimeSeconds: 5321.4 });
    assert.deepEqual(
      inputs?.map((f) => path.basename(f)),
      ['config.yaml', 'wandb-metadata.json', 'wandb-history.jsonl'],
    );
  });

  it('an offline run that crashed: state from wandb-metadata.json, curve from wandb-history.jsonl, the planned D not used', async () => {
    const { runs, diagnostics } = await readWandbRun(summary('crashed'), context);
    const run = runs[0];
    assert.equal(run.unfinished, true);
    assert.equal(run.meta?.offline, true);
    assert.equal(run.meta?.state, 'failed');
    assert.equal(run.meta?.exitCode, 1);
    assert.equal(run.finalLoss, 3.7, 'the last validation loss is from the last logged step (14)');
    assert.equal(run.tokens, undefined, 'max_steps × batch_size × seq_len is what a run that failed had planned');
    assert.match(run.reasons?.tokens ?? '', /^the run did not finish \(state failed\): the planned max_steps × batch_size × seq_len = 3\.93M is not what it saw$/);
    assert.deepEqual(run.precision, { w: { bits: 4, type: 'int' }, a: PRECISION_NAMES.fp16, kv: PRECISION_NAMES.fp16 });
    assert.deepEqual(run.missing, ['params', 'tokens']);
    assertDiagnostics(diagnostics, [
      { file: 'wandb-metadata.json', line: 19, field: 'state', severity: 'info', code: 'unfinished' },
      { file: 'wandb-history.jsonl', line: 10, field: 'val_loss', severity: 'warning', code: 'bad-value' },
      { file: 'wandb-history.jsonl', line: 16, field: undefined, severity: 'info', code: 'truncated' },
      { file: 'config.yaml', line: undefined, field: 'params', severity: 'warning', code: 'missing-field' },
      { file: 'config.yaml', line: 13, field: 'tokens', severity: 'info', code: 'unfinished' },
    ]);
    assert.match(diagnostics[0].message, /state is "failed": it did not finish/);
    assert.equal(diagnostics[1].message, 'val_loss is NaN at step 9; point left out of the curve');
    assert.equal(diagnostics[2].message, 'truncated last line (crashed or still-running run?); line skipped');
    assert.match(diagnostics[3].message, /^params \(N, the non-embedding parameter count\) not found in config\.yaml and wandb-summary\.json/);
    assert.match(diagnostics[4].message, /^the run did not finish \(state failed\), and no file says how many tokens it saw: the planned max_steps × batch_size × seq_len = 3\.93M is not used as D$/);
    // One GPU on the machine: the world size is 1, fed with where it came from.
    assert.deepEqual(fed(await loaded('crashed'), 'world_size'), { value: 1, file: 'wandb-metadata.json', line: 16 });
    const curve = run.curve ?? [];
    assert.deepEqual(
      curve.filter((p) => p.split === 'val').map((p) => [p.step, p.loss]),
      [
        [4, 5.3],
        [14, 3.7],
      ],
    );
    assert.equal(curve.filter((p) => p.split === 'train').length, 12);
    assert.ok(curve.every((p, i) => i === 0 || p.step >= curve[i - 1].step));
  });

  it('NaN losses in the summary: no final loss, said so; D from the summary step and config; name from run_name', async () => {
    const file = summary('nan');
    const { runs, diagnostics } = await readWandbRun(file, context);
    const run = runs[0];
    assert.equal(run.name, 'olmo-1b-lr3e-4');
    assert.equal(run.finalLoss, undefined);
    assert.deepEqual(run.missing, ['finalLoss']);
    assert.equal(incompleteText(run), 'loss is NaN (eval/loss in the summary)');
    assert.equal(run.params, 1.2e9);
    assert.equal(run.tokens, 2400 * 256 * 2048);
    assert.deepEqual(run.sources.tokens, { file, line: 7, field: 'train/global_step × total_batch_size × max_seq_length' });
    assert.deepEqual(run.sources.precision, { file: filesOf('nan', 'config.yaml'), line: 13, field: 'bf16' });
    assertDiagnostics(diagnostics, [
      { file: 'wandb-summary.json', line: 7, field: 'tokens', severity: 'info', code: 'derived' },
      { file: 'wandb-summary.json', line: 6, field: 'eval/loss', severity: 'warning', code: 'bad-value' },
    ]);
    assert.equal(diagnostics[1].message, 'eval/loss is NaN: not a usable final loss (did the run diverge?); the run has no final loss');
  });

  it('a YAML syntax error in config.yaml is reported on its line; the rest is still read', async () => {
    const { runs, diagnostics } = await readWandbRun(summary('badConfig'), context);
    const run = runs[0];
    assert.equal(run.params, 12.5e6);
    assert.equal(run.tokens, 250e6);
    assert.equal(run.finalLoss, 3.412);
    assert.deepEqual(run.missing, ['precision']);
    assertDiagnostics(diagnostics, [
      { file: 'config.yaml', line: 13, field: undefined, severity: 'warning', code: 'syntax' },
      { file: 'config.yaml', line: undefined, field: 'precision', severity: 'warning', code: 'missing-field' },
    ]);
    assert.match(diagnostics[0].message, /^syntax error: flow sequence/);
  });

  it('a summary cut off mid-write: one syntax error, the values before the cut read', async () => {
    const { runs, diagnostics } = await readWandbRun(summary('truncated'), context);
    assertDiagnostics(diagnostics, [{ file: 'wandb-summary.json', line: 1, field: undefined, severity: 'error', code: 'syntax' }]);
    assert.ok(isComplete(runs[0]));
    assert.equal(runs[0].finalLoss, 3.3071);
    assert.deepEqual(runs[0].precision?.w, { bits: 8, type: 'int' });
  });

  it('binary content under the name is reported once, as an error', async () => {
    const { runs, diagnostics, notMine } = await readWandbRun(summary('binary'), context);
    assert.deepEqual(runs, []);
    assert.equal(notMine, undefined);
    assertDiagnostics(diagnostics, [{ file: 'wandb-summary.json', line: undefined, field: undefined, severity: 'error', code: 'binary' }]);
    assert.match(diagnostics[0].message, /not a text file/);
  });

  it('valid JSON that is not a summary is not this reader\'s, quietly', async () => {
    const result = await readWandbRun(path.join(FIXTURES, 'not-wandb/wandb/files/wandb-summary.json'), context);
    assert.deepEqual(result, { runs: [], diagnostics: [], notMine: true });
  });
});

describe('wandb reader: edge cases', () => {
  async function copyRun(run: string): Promise<string> {
    const dir = path.join(tmp, `${run}-${Math.random().toString(36).slice(2)}`, path.basename(RUNS[run]));
    await cp(path.join(FIXTURES, RUNS[run]), dir, { recursive: true });
    return path.join(dir, 'files');
  }

  it('no validation loss in the summary: the last one in wandb-history.jsonl, traced to its line', async () => {
    const files = await copyRun('crashed');
    await writeFile(path.join(files, 'wandb-summary.json'), '{"_step": 14, "train_loss": 3.6}\n');
    const { runs, diagnostics } = await readWandbRun(path.join(files, 'wandb-summary.json'), context);
    assert.equal(runs[0].finalLoss, 3.7);
    assert.deepEqual(runs[0].sources.finalLoss, { file: path.join(files, 'wandb-history.jsonl'), line: 15, field: 'val_loss' });
    const info = diagnostics.find((d) => d.field === 'finalLoss');
    assert.equal(info?.code, 'derived');
    assert.match(info?.message ?? '', /no validation loss in wandb-summary\.json; using the last val_loss in wandb-history\.jsonl \(line 15, step 14\): 3\.7/);
  });

  it('no validation loss anywhere: named, with where W&B keeps it', async () => {
    const files = await copyRun('good');
    await writeFile(path.join(files, 'wandb-summary.json'), '{"_step": 3, "lr": 0.1}');
    const { runs, diagnostics } = await readWandbRun(path.join(files, 'wandb-summary.json'), context);
    assert.deepEqual(runs[0].missing, ['finalLoss']);
    const d = diagnostics.find((x) => x.field === 'finalLoss');
    assert.equal(d?.severity, 'warning');
    assert.equal(d?.code, 'missing-field');
    assert.equal(runs[0].reasons?.finalLoss, 'no validation loss in wandb-summary.json');
    assert.match(d?.message ?? '', /no validation loss in wandb-summary\.json \(looked for val_loss, eval_loss, validation_loss, valid_loss, …\); W&B keeps the full history only in the binary run-7f3kq2xa\.wandb, which is not read/);
  });

  it('an empty summary (a run just started) and a missing config.yaml', async () => {
    const files = await copyRun('good');
    await writeFile(path.join(files, 'wandb-summary.json'), '');
    await rm(path.join(files, 'config.yaml'));
    const { runs, diagnostics } = await readWandbRun(path.join(files, 'wandb-summary.json'), context);
    assert.deepEqual(runs[0].missing, ['params', 'tokens', 'precision', 'finalLoss']);
    assert.deepEqual(
      diagnostics.map((d) => [d.field, d.severity]),
      [
        [undefined, 'info'],
        ['params', 'warning'],
        ['tokens', 'warning'],
        ['precision', 'warning'],
        ['finalLoss', 'warning'],
      ],
    );
    assert.match(diagnostics[1].message, /not found in wandb-summary\.json \(no config\.yaml beside it\)/);
  });

  it("the user's aliases find their own keys", async () => {
    // A finished run's folder: a failed one's planned D would not be used, whatever its key.
    const files = await copyRun('good');
    await writeFile(path.join(files, 'config.yaml'), 'nonemb:\n  value: 3.2e7\nprecision:\n  value: bf16\nD:\n  value: 1e9\n');
    const aliases = extendAliases({ params: ['nonemb'] });
    const { runs } = await readWandbRun(path.join(files, 'wandb-summary.json'), { root: tmp, aliases });
    assert.ok(isComplete(runs[0]));
    assert.equal(runs[0].params, 3.2e7);
    assert.equal(runs[0].tokens, 1e9);
  });

  it('a long wandb-history.jsonl is streamed into a bounded curve', async () => {
    const files = await copyRun('crashed');
    const history = path.join(files, 'wandb-history.jsonl');
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(history);
      out.on('error', reject);
      out.on('finish', resolve);
      let chunk = '';
      for (let step = 0; step < 100_000; step++) {
        chunk += step % 500 === 499 ? `{"val_loss": ${3 + 1 / (step + 1)}, "_step": ${step}}\n` : `{"train_loss": ${3 + 2 / (step + 1)}, "lr": 0.001, "_step": ${step}, "_runtime": ${step / 10}}\n`;
        if (chunk.length > 1 << 16) {
          out.write(chunk);
          chunk = '';
        }
      }
      out.end(chunk);
    });
    const { runs, diagnostics } = await readWandbRun(path.join(files, 'wandb-summary.json'), context);
    const curve = runs[0].curve ?? [];
    assert.ok(curve.length <= 4000 && curve.length > 1000, `${curve.length}`);
    assert.equal(curve.filter((p) => p.split === 'val').length, 200);
    assert.equal(curve[curve.length - 1].step, 99_999);
    assert.ok(!diagnostics.some((d) => path.basename(d.file) === 'wandb-history.jsonl'));
  });

  it('a missing summary is a diagnostic, not an exception', async () => {
    const file = path.join(tmp, 'nowhere', 'files', 'wandb-summary.json');
    await mkdir(path.dirname(path.dirname(file)), { recursive: true });
    const { runs, diagnostics } = await readWandbRun(file, context);
    assert.deepEqual(runs, []);
    assert.deepEqual(diagnostics.map((d) => [d.severity, d.code, d.message]), [['error', 'not-found', 'wandb-summary.json not found']]);
  });
});

describe('wandb reader: HF WandbCallback configs, world size', () => {
  it('a real HF Trainer run (LlamaConfig and TrainingArguments in config.yaml): every field reaches the facts engine, typed and located', async () => {
    const files = await loaded('hfLlama');
    const config = filesOf('hfLlama', 'config.yaml');
    // The model config's and TrainingArguments' fields, as the engine gets them (N from the
    // architecture, D from steps × per-device batch × world size × accumulation × trained length).
    assert.deepEqual(fed(files, 'hidden_size'), { value: 4096, file: 'config.yaml', line: 79 });
    assert.deepEqual(fed(files, 'num_hidden_layers'), { value: 32, file: 'config.yaml', line: 85 });
    assert.deepEqual(fed(files, 'intermediate_size'), { value: 11008, file: 'config.yaml', line: 82 });
    assert.deepEqual(fed(files, 'num_key_value_heads'), { value: 32, file: 'config.yaml', line: 91 });
    assert.deepEqual(fed(files, 'vocab_size'), { value: 32001, file: 'config.yaml', line: 73 });
    assert.deepEqual(fed(files, 'model_type'), { value: 'llama', file: 'config.yaml', line: 291 });
    assert.deepEqual(fed(files, 'architectures'), { value: ['LlamaForCausalLM'], file: 'config.yaml', line: 238 });
    assert.deepEqual(fed(files, 'per_device_train_batch_size'), { value: 4, file: 'config.yaml', line: 315 });
    assert.deepEqual(fed(files, 'gradient_accumulation_steps'), { value: 8, file: 'config.yaml', line: 327 });
    assert.deepEqual(fed(files, 'max_steps'), { value: -1, file: 'config.yaml', line: 357 });
    assert.deepEqual(fed(files, 'bf16'), { value: true, file: 'config.yaml', line: 429 });
    assert.deepEqual(fed(files, 'torch_dtype'), { value: 'float16', file: 'config.yaml', line: 130 });
    assert.deepEqual(fed(files, 'model_max_length'), { value: 512, file: 'config.yaml', line: 641 });
    assert.deepEqual(fed(files, 'train/global_step'), { value: 1218, file: 'wandb-summary.json', line: 1 });
    assert.ok(!files.factEntries.some((e) => e.key === '_wandb' || e.key.startsWith('_wandb.')), "the client's own bookkeeping is not a setting");
    // Fed as numbers, the architecture fields count: Llama-7B's 6,476,271,616 non-embedding parameters.
    const architecture = Object.fromEntries(files.factEntries.filter((e) => e.file === config).map((e) => [e.key, e.value]));
    const count = countParameters(architecture);
    assert.ok(count.ok);
    assert.equal(count.count.params, 6_476_271_616);
    // The machine had 8 GPUs and the run used 4 (torchrun --nproc_per_node=4): gpu_count is not the world size.
    assert.equal(files.metadata.gpuCount?.value, 8);
    assert.equal(files.world, undefined);
    assert.equal(fed(files, 'world_size'), undefined);

    const { runs, diagnostics } = await readWandbRun(summary('hfLlama'), context);
    const run = runs[0];
    assert.equal(run.name, 'experiments/outputs/alpaca');
    // End to end, through the facts engine: N from the architecture, bf16 from the flag (not the saved float16).
    assert.equal(run.params, 6_476_271_616);
    assert.match(run.sources.params?.field ?? '', /^architecture \(/);
    assert.deepEqual(run.precision, { w: PRECISION_NAMES.bf16, a: PRECISION_NAMES.bf16, kv: PRECISION_NAMES.bf16 });
    assert.deepEqual(run.sources.precision, { file: config, line: 429, field: 'bf16' });
    assert.equal(run.finalLoss, undefined, 'train/loss is a training loss');
    assert.equal(run.reasons?.finalLoss, 'only a training loss was logged (train/loss); the final loss must be a validation loss');
    const noVal = diagnostics.find((d) => d.field === 'finalLoss');
    assert.deepEqual(noVal && brief(noVal), { file: 'wandb-summary.json', line: undefined, field: 'finalLoss', severity: 'warning', code: 'missing-field' });
  });

  it('a summary holding only a step-0 evaluation: not a final loss, said why', async () => {
    const file = summary('step0');
    const { runs, diagnostics } = await readWandbRun(file, context);
    const run = runs[0];
    assert.equal(run.finalLoss, undefined);
    assert.ok(run.missing.includes('finalLoss'));
    assert.equal(run.reasons?.finalLoss, 'the only eval/loss comes from step 0, before any training (train/global_step is 0 in the summary)');
    const d = diagnostics.find((x) => x.field === 'eval/loss');
    assert.deepEqual(d && brief(d), { file: 'wandb-summary.json', line: 1, field: 'eval/loss', severity: 'warning', code: 'missing-field' });
    // HF's model/num_parameters counts the embeddings too (58,073,600 here): N is the architecture's.
    assert.equal(run.params, 25_305_600);
    assert.equal(run.sources.precision?.field, 'bf16');
    const files = await loaded('step0');
    assert.deepEqual(fed(files, 'world_size'), { value: 1, file: 'wandb-metadata.json', line: 18 });
  });

  it('LightningCLI arguments give the world size: --trainer.devices 4 × --trainer.num_nodes=2', async () => {
    const files = await loaded('lightningDdp');
    assert.deepEqual(fed(files, 'world_size'), { value: 8, file: 'wandb-metadata.json', line: 9 });
    assert.deepEqual(files.world && 'value' in files.world && files.world.from, 'trainer.devices (wandb-metadata.json line 9) × trainer.num_nodes (wandb-metadata.json line 11)');
    const { runs, diagnostics } = await readWandbRun(summary('lightningDdp'), context);
    assert.equal(runs[0].finalLoss, 3.2135);
    // End to end: the engine multiplies the per-device batch by the world size fed from the command line.
    assert.equal(runs[0].tokens, 4999 * 12 * 8 * 1024);
    assert.equal(runs[0].sources.tokens?.field, 'trainer/global_step × batch_size × world_size × block_size');
    assert.ok(!diagnostics.some((d) => d.field === 'world_size'), 'the world size is known');
    assert.equal(runs[0].params, 85_056_000, "N from the LightningModule's n_layer/n_embd");
  });

  it('no world size anywhere and D from a per-device batch: said, with what gpu_count does and does not tell', async () => {
    const dir = path.join(tmp, `ddp-${Math.random().toString(36).slice(2)}`, path.basename(RUNS.lightningDdp));
    await cp(path.join(FIXTURES, RUNS.lightningDdp), dir, { recursive: true });
    const metadata = path.join(dir, 'files', 'wandb-metadata.json');
    await writeFile(metadata, (await readFile(metadata, 'utf8')).replace(/"args": \[[^\]]*\],/, '"args": ["fit", "--config", "configs/gpt2-124m.yaml"],'));
    const { runs, diagnostics } = await readWandbRun(path.join(dir, 'files', 'wandb-summary.json'), context);
    assert.equal(runs[0].tokens, 4999 * 12 * 1024);
    const derived = diagnostics.find((x) => x.field === 'tokens');
    assert.equal(derived?.code, 'derived');
    assert.match(derived?.message ?? '', /one device is assumed/, "the engine's word on D says it");
    const d = diagnostics.find((x) => x.field === 'world_size');
    assert.deepEqual(d && brief(d), { file: 'wandb-metadata.json', line: undefined, field: 'world_size', severity: 'info', code: 'default' });
    assert.match(d?.message ?? '', /^world size not known \(no file of the run records it; wandb-metadata\.json lists 8 GPUs on the machine \(gpu_count\), which need not be how many the run used\); it is taken as 1, so D counts batch_size for a single device/);
  });
});

describe('wandb reader: tokens seen against tokens planned', () => {
  async function plannedCopy(edit: { summary?: string; metadataState?: string }): Promise<string> {
    const dir = path.join(tmp, `planned-${Math.random().toString(36).slice(2)}`, path.basename(RUNS.planned));
    await cp(path.join(FIXTURES, RUNS.planned), dir, { recursive: true });
    const files = path.join(dir, 'files');
    if (edit.summary !== undefined) await writeFile(path.join(files, 'wandb-summary.json'), edit.summary);
    if (edit.metadataState !== undefined) {
      const metadata = path.join(files, 'wandb-metadata.json');
      await writeFile(metadata, (await readFile(metadata, 'utf8')).replace('"cudaVersion"', `"state": "${edit.metadataState}",\n  "cudaVersion"`));
    }
    return path.join(files, 'wandb-summary.json');
  }

  it('a crashed run that saw 0 tokens (train/tokens_seen: 0) is not credited with the 3.3B it planned', async () => {
    const file = summary('planned');
    const { runs, diagnostics } = await readWandbRun(file, context);
    const run = runs[0];
    assert.equal(run.tokens, undefined);
    assert.equal(run.reasons?.tokens, 'the run saw 0 tokens (train/tokens_seen is 0 in wandb-summary.json)');
    const d = diagnostics.find((x) => x.field === 'train/tokens_seen');
    assert.deepEqual(d && brief(d), { file: 'wandb-summary.json', line: 1, field: 'train/tokens_seen', severity: 'warning', code: 'conflict' });
    assert.match(d?.message ?? '', /the planned training\.num_tokens = 3\.3B \(config\.yaml line 39\) is not what it trained on/);
    assert.ok(!diagnostics.some((x) => x.field === 'tokens'), "the engine's word on D is replaced by the reader's");
    assert.deepEqual(run.precision, { w: PRECISION_NAMES.bf16, a: PRECISION_NAMES.bf16, kv: PRECISION_NAMES.bf16 }, 'training.precision: bf16-mixed');
    assert.equal(run.params, 1_208_602_624, 'N from model.n_layer/n_embd');
  });

  it('a seen count beats the planned one, whatever its prefix; a large difference is said', async () => {
    const seen = await plannedCopy({ summary: '{"_step": 4000, "train/tokens_seen": 1200000000, "train/loss": 2.71}' });
    const { runs, diagnostics } = await readWandbRun(seen, context);
    assert.equal(runs[0].tokens, 1.2e9);
    assert.deepEqual(runs[0].sources.tokens, { file: seen, line: 1, field: 'train/tokens_seen' });
    const d = diagnostics.find((x) => x.code === 'conflict');
    assert.deepEqual(d && brief(d), { file: 'wandb-summary.json', line: 1, field: 'train/tokens_seen', severity: 'info', code: 'conflict' });
    assert.match(d?.message ?? '', /the config plans training\.num_tokens = 3\.3B \(config\.yaml line 39\) tokens, but train\/tokens_seen says 1\.2B were seen; D is the seen count/);

    const throughput = await plannedCopy({ summary: '{"_step": 9000, "throughput/total_tokens": 3290000000, "train/loss": 2.41}' });
    const result = await readWandbRun(throughput, context);
    assert.equal(result.runs[0].tokens, 3.29e9);
    assert.equal(result.runs[0].sources.tokens?.field, 'throughput/total_tokens');
    assert.ok(!result.diagnostics.some((x) => x.code === 'conflict'), 'within 5% of the plan: nothing to say');

    const hf = await plannedCopy({ summary: '{"train/num_input_tokens_seen": 2048000, "train/loss": 3.1, "train/global_step": 10}' });
    assert.equal((await readWandbRun(hf, context)).runs[0].sources.tokens?.field, 'train/num_input_tokens_seen');
  });

  it('without a seen count: the plan is D for a run not known to have stopped, and not for one that crashed', async () => {
    const noSeen = '{"_step": 12000, "train/loss": 2.4}';
    const running = await readWandbRun(await plannedCopy({ summary: noSeen }), context);
    assert.equal(running.runs[0].tokens, 3.3e9);
    assert.equal(running.runs[0].sources.tokens?.field, 'training.num_tokens');

    const crashed = await readWandbRun(await plannedCopy({ summary: noSeen, metadataState: 'crashed' }), context);
    const run = crashed.runs[0];
    assert.equal(run.unfinished, true);
    assert.equal(run.tokens, undefined);
    assert.equal(run.reasons?.tokens, 'the run did not finish (state crashed): the planned training.num_tokens = 3.3B (config.yaml line 39) is not what it saw');
    const d = crashed.diagnostics.find((x) => x.field === 'tokens');
    assert.deepEqual(d && brief(d), { file: 'config.yaml', line: 39, field: 'tokens', severity: 'info', code: 'unfinished' });
  });

  it('a run that logged a step far short of its planned steps: the planned steps are not used for D', async () => {
    const dir = path.join(tmp, `early-${Math.random().toString(36).slice(2)}`, path.basename(RUNS.lightningDdp));
    await cp(path.join(FIXTURES, RUNS.lightningDdp), dir, { recursive: true });
    const files = path.join(dir, 'files');
    await writeFile(path.join(files, 'config.yaml'), (await readFile(path.join(files, 'config.yaml'), 'utf8')) + 'max_steps:\n    value: 5000\n');
    // Finished: D is computed from the plan (max_steps comes first among the step names).
    const finished = await readWandbRun(path.join(files, 'wandb-summary.json'), context);
    assert.equal(finished.runs[0].sources.tokens?.field, 'max_steps × batch_size × world_size × block_size');
    // Stopped at step 1200 of 5000: D from the step it reached.
    await writeFile(path.join(files, 'wandb-summary.json'), '{"_step": 60, "val_loss": 3.9, "trainer/global_step": 1200, "train_loss": 3.8}');
    const early = await readWandbRun(path.join(files, 'wandb-summary.json'), context);
    assert.equal(early.runs[0].tokens, 1200 * 12 * 8 * 1024);
    assert.equal(early.runs[0].sources.tokens?.field, 'trainer/global_step × batch_size × world_size × block_size');
  });
});

describe('wandb reader: the final loss is from the end of training', () => {
  async function historyRun(lines: string[], summaryText: string): Promise<string> {
    const dir = path.join(tmp, `history-${Math.random().toString(36).slice(2)}`, path.basename(RUNS.crashed));
    await cp(path.join(FIXTURES, RUNS.crashed), dir, { recursive: true });
    const files = path.join(dir, 'files');
    await writeFile(path.join(files, 'wandb-history.jsonl'), `${lines.join('\n')}\n`);
    await writeFile(path.join(files, 'wandb-summary.json'), summaryText);
    return path.join(files, 'wandb-summary.json');
  }
  const rows = (n: number, val: Record<number, number>): string[] =>
    Array.from({ length: n }, (_, step) => JSON.stringify({ _step: step, train_loss: 6 - step * 0.1, ...(val[step] !== undefined ? { val_loss: val[step] } : {}) }));

  it('an evaluation long before the last logged step is not the final loss', async () => {
    const file = await historyRun(rows(40, { 10: 4.2 }), '{"_step": 39, "train_loss": 2.1, "val_loss": 4.2}');
    const { runs, diagnostics } = await readWandbRun(file, context);
    assert.equal(runs[0].finalLoss, undefined);
    assert.equal(runs[0].reasons?.finalLoss, 'the last val_loss was logged at step 10, but training went on to step 39: it is not the end-of-training loss');
    const d = diagnostics.find((x) => x.field === 'val_loss' && x.code === 'missing-field');
    assert.deepEqual(d && brief(d), { file: 'wandb-summary.json', line: 1, field: 'val_loss', severity: 'warning', code: 'missing-field' });
  });

  it('a step-0 evaluation in the history, then training without another one', async () => {
    const file = await historyRun(rows(20, { 0: 10.9 }), '{"_step": 19, "train_loss": 4.1}');
    const { runs } = await readWandbRun(file, context);
    assert.equal(runs[0].finalLoss, undefined);
    assert.equal(runs[0].reasons?.finalLoss, 'the only val_loss was logged at step 0, before training; the run went on to step 19 without another evaluation');
  });

  it('an evaluation near the end (within the last tenth of the steps) is the final loss', async () => {
    const file = await historyRun(rows(40, { 10: 4.2, 36: 3.3 }), '{"_step": 39, "train_loss": 2.1, "val_loss": 3.3}');
    const { runs } = await readWandbRun(file, context);
    assert.equal(runs[0].finalLoss, 3.3);
  });
});

describe('wandb reader: the command line in wandb-metadata.json', () => {
  it("`--bf16 True` gives the precision when the config logged no TrainingArguments; the command line's steps stay out", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wandb-args-'));
    const files = path.join(dir, 'wandb', 'run-20230707_104103-abcd1234', 'files');
    await mkdir(files, { recursive: true });
    await writeFile(path.join(files, 'config.yaml'), 'wandb_version: 1\n\nn_params:\n  desc: null\n  value: 124000000\n');
    await writeFile(path.join(files, 'wandb-metadata.json'), JSON.stringify({ args: ['--model_name_or_path', 'gpt2', '--bf16', 'True', '--max_steps', '9999'], state: 'running' }, null, 4));
    await writeFile(path.join(files, 'wandb-summary.json'), JSON.stringify({ 'eval/loss': 3.1, _step: 100 }));
    const { runs } = await readWandbRun(path.join(files, 'wandb-summary.json'), { root: dir, aliases: DEFAULT_ALIASES });
    assert.deepEqual(runs[0].precision, { w: PRECISION_NAMES.bf16, a: PRECISION_NAMES.bf16, kv: PRECISION_NAMES.bf16 });
    assert.deepEqual(runs[0].sources.precision, { file: path.join(files, 'wandb-metadata.json'), line: 5, field: 'bf16' }, 'the line of the flag');
    assert.equal(runs[0].tokens, undefined);
    await rm(dir, { recursive: true, force: true });
  });
});
