import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import { applyDefaultPrecision, parseDefaultPrecisionSetting } from '../../src/runs/defaults';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { PRECISION_NAMES } from '../../src/runs/precision';
import { type LightningRunFiles, isLightningMetrics, lightningReader, loadLightningRun, readLightningRun } from '../../src/runs/readers/lightning';
import { deviceCount } from '../../src/runs/readers/trackers';
import { incompleteText, isComplete } from '../../src/runs/run';

const FIXTURES = path.resolve(__dirname, '../fixtures/lightning');
const context = { root: FIXTURES, aliases: DEFAULT_ALIASES };
const VERSIONS: Record<string, string> = {
  good: 'good/lightning_logs/version_0',
  nan: 'nan-loss/lightning_logs/version_1',
  truncated: 'truncated/lightning_logs/version_3',
  badHparams: 'bad-hparams/my_model/version_2',
  binary: 'binary/lightning_logs/version_0',
  notLightning: 'not-lightning/lightning_logs/version_0',
  noHparams: 'no-hparams/lightning_logs/version_5',
  hydraDdp: 'hydra-ddp/lightning_logs/version_0',
  trainOnly: 'train-loss-only/lightning_logs/version_1',
};
const inVersion = (v: string, name: string): string => path.join(FIXTURES, VERSIONS[v], name);
const csvOf = (v: string): string => inVersion(v, 'metrics.csv');
const brief = (d: Diagnostic) => ({ file: path.basename(d.file), line: d.line, field: d.field, severity: d.severity, code: d.code });
type Brief = ReturnType<typeof brief>;
/** The diagnostics, in order, against the expected ones: file, line, field, severity and code. */
function assertDiagnostics(actual: readonly Diagnostic[], expected: readonly Brief[]): void {
  assert.deepEqual(actual.map(brief), expected);
}
async function loaded(csv: string): Promise<LightningRunFiles> {
  const files = await loadLightningRun(csv, context);
  assert.ok(!('result' in files));
  return files;
}
/** The entry fed to the facts engine under a key, with its file's base name. */
function fed(files: LightningRunFiles, key: string): { value: unknown; file: string; line?: number } | undefined {
  const entry = files.factEntries.find((e) => e.key === key);
  return entry && { value: entry.value, file: path.basename(entry.file), line: entry.line };
}

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-lightning-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function writeVersion(files: Record<string, string>): Promise<string> {
  const dir = path.join(tmp, Math.random().toString(36).slice(2), 'lightning_logs', 'version_0');
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return path.join(dir, 'metrics.csv');
}

describe('lightning reader: matching', () => {
  it('takes metrics.csv in a version_N folder or under lightning_logs', () => {
    assert.equal(lightningReader.id, 'lightning');
    assert.equal(lightningReader.label, 'Lightning CSVLogger');
    assert.ok(isLightningMetrics('metrics.csv', '/p/lightning_logs/version_0/metrics.csv'));
    assert.ok(isLightningMetrics('metrics.csv', '/p/logs/my_model/version_12/metrics.csv'));
    assert.ok(isLightningMetrics('metrics.csv', '/p/lightning_logs/run-a/metrics.csv'));
    assert.ok(!isLightningMetrics('metrics.csv', '/p/results/metrics.csv'));
    assert.ok(!isLightningMetrics('hparams.yaml', '/p/lightning_logs/version_0/hparams.yaml'));
  });
});

describe('lightning reader: fixtures', () => {
  it('a LightningCLI run: N and PTQ bits from hparams.yaml, precision and D from config.yaml, losses from the CSV', async () => {
    const file = csvOf('good');
    const hparams = inVersion('good', 'hparams.yaml');
    const config = inVersion('good', 'config.yaml');
    const { runs, diagnostics, inputs } = await readLightningRun(file, context);
    const run = runs[0];
    assert.ok(isComplete(run));
    assert.equal(run.id, 'good/lightning_logs/version_0/metrics.csv');
    assert.equal(run.name, 'lightning_logs/version_0');
    assert.equal(run.format, 'lightning');
    assert.equal(run.file, file);
    assert.equal(run.params, 10647552);
    assert.equal(run.tokens, 600 * 64 * 256);
    assert.deepEqual(run.precision, { w: PRECISION_NAMES.bf16, a: PRECISION_NAMES.bf16, kv: PRECISION_NAMES.bf16 });
    assert.equal(run.finalLoss, 3.3624);
    assert.deepEqual(run.sources, {
      params: { file: hparams, line: 6, field: 'n_params' },
      tokens: { file: config, line: 15, field: 'trainer.max_steps × data.batch_size × block_size' },
      precision: { file: config, line: 8, field: 'trainer.precision' },
      finalLoss: { file, line: 18, field: 'val_loss' },
    });
    assert.deepEqual(run.ptq, [{ bits: 4, type: 'int', format: 'int', method: 'rtn', loss: 4.1378, source: { file, line: 20, field: 'ptq_loss' } }]);
    assertDiagnostics(diagnostics, [{ file: 'config.yaml', line: 15, field: 'tokens', severity: 'info', code: 'derived' }]);
    assert.match(diagnostics[0].message, /computed as trainer\.max_steps × data\.batch_size × block_size = 600 × 64 × 256 = 9830400 \(from config\.yaml line 15, config\.yaml line 28, hparams\.yaml line 1\)/);
    assert.deepEqual(run.meta, { rows: 19, lastStep: 599, lastEpoch: 2, tokensFrom: 'steps × batch size × sequence length' });
    assert.equal(run.unfinished, undefined, 'the CSV says nothing of how the run ended');
    const curve = run.curve ?? [];
    assert.deepEqual(
      curve.filter((p) => p.split === 'val').map((p) => [p.step, p.loss]),
      [
        [199, 4.2116],
        [399, 3.6994],
        [599, 3.3624],
      ],
    );
    assert.equal(curve.filter((p) => p.split === 'train').length, 12, 'the per-step training loss, not the per-epoch one');
    assert.deepEqual(inputs, [inVersion('good', 'hparams.yaml'), config]);
  });

  it('a diverged run: the last validation loss is NaN, so no final loss; non-finite points named', async () => {
    const file = csvOf('nan');
    const { runs, diagnostics } = await readLightningRun(file, context);
    const run = runs[0];
    assert.equal(run.finalLoss, undefined);
    assert.deepEqual(run.missing, ['tokens', 'finalLoss']);
    assert.equal(incompleteText(run), 'loss is NaN (the last val_loss, step 199); missing D (training tokens)');
    assert.equal(run.params, 4.2e6);
    assert.deepEqual(run.precision, { w: PRECISION_NAMES.fp16, a: PRECISION_NAMES.fp16, kv: PRECISION_NAMES.fp16 }, 'precision: 16 is fp16 in Lightning');
    assertDiagnostics(diagnostics, [
      { file: 'metrics.csv', line: 5, field: 'train_loss', severity: 'warning', code: 'bad-value' },
      { file: 'metrics.csv', line: 6, field: 'train_loss', severity: 'warning', code: 'bad-value' },
      { file: 'metrics.csv', line: 7, field: 'val_loss', severity: 'warning', code: 'bad-value' },
      { file: 'hparams.yaml', line: undefined, field: 'tokens', severity: 'warning', code: 'missing-field' },
      { file: 'metrics.csv', line: 7, field: 'val_loss', severity: 'warning', code: 'bad-value' },
    ]);
    assert.equal(diagnostics[0].message, 'train_loss is Infinity at step 149; left out of the curve');
    assert.equal(diagnostics[2].message, 'val_loss is NaN at step 199; left out of the curve');
    assert.match(diagnostics[3].message, /not found in hparams\.yaml and metrics\.csv, nor steps, batch size and sequence length/);
    assert.equal(diagnostics[4].message, 'the last val_loss (step 199) is NaN: not a usable final loss (did the run diverge?); the run has no final loss');
    assert.deepEqual(
      run.curve?.map((p) => `${p.split}@${p.step}`),
      ['train@49', 'val@99', 'train@99'],
    );
  });

  it('a short row and a row cut mid-write are skipped and named; "val/loss" and Transformer Engine precision', async () => {
    const { runs, diagnostics } = await readLightningRun(csvOf('truncated'), context);
    const run = runs[0];
    assert.ok(isComplete(run));
    assert.equal(run.finalLoss, 3.9921);
    assert.equal(run.sources.finalLoss?.field, 'val/loss');
    assert.deepEqual(run.precision, { w: PRECISION_NAMES.e4m3, a: PRECISION_NAMES.e4m3, kv: PRECISION_NAMES.bf16 });
    assertDiagnostics(diagnostics, [
      { file: 'metrics.csv', line: 5, field: undefined, severity: 'warning', code: 'syntax' },
      { file: 'metrics.csv', line: 8, field: undefined, severity: 'warning', code: 'truncated' },
    ]);
    assert.equal(diagnostics[0].message, 'row has 3 fields, the header 4; row skipped');
    assert.equal(diagnostics[1].message, 'truncated last row (crashed or still-running run?); row skipped');
    assert.ok(!run.curve?.some((p) => p.step === 499 || p.step === 299));
  });

  it('a YAML syntax error in hparams.yaml is reported on its line; what follows the error is still read', async () => {
    const { runs, diagnostics } = await readLightningRun(csvOf('badHparams'), context);
    const run = runs[0];
    assert.equal(run.name, 'my_model/version_2');
    assert.equal(run.params, 5e6);
    assert.equal(run.tokens, 1e8);
    assert.equal(run.finalLoss, 3.52);
    assert.deepEqual(run.missing, ['precision']);
    assertDiagnostics(diagnostics, [
      { file: 'hparams.yaml', line: 4, field: undefined, severity: 'warning', code: 'syntax' },
      { file: 'hparams.yaml', line: 4, field: 'weight_bits', severity: 'warning', code: 'missing-field' },
    ]);
    assert.equal(run.precision, undefined, 'bits were written: no default precision over them');
    assert.match(diagnostics[0].message, /^syntax error: flow map in block collection must be sufficiently indented and end with a \}$/);
    assert.match(diagnostics[1].message, /weight_bits found \(hparams\.yaml line 4\) but no activation bits and no precision key/);
  });

  it('binary content under the name is reported once', async () => {
    const { runs, diagnostics } = await readLightningRun(csvOf('binary'), context);
    assert.deepEqual(runs, []);
    assertDiagnostics(diagnostics, [{ file: 'metrics.csv', line: undefined, field: undefined, severity: 'error', code: 'binary' }]);
    assert.match(diagnostics[0].message, /not a text file/);
  });

  it('a table without a step column and no hparams.yaml is not this reader\'s, quietly', async () => {
    assert.deepEqual(await readLightningRun(csvOf('notLightning'), context), { runs: [], diagnostics: [], notMine: true });
  });

  it("no hparams.yaml: every missing field named, the precision Lightning's default; val_loss_epoch stands in for val_loss", async () => {
    const file = csvOf('noHparams');
    const { runs, diagnostics } = await readLightningRun(file, context);
    const run = runs[0];
    assert.equal(run.finalLoss, 2.11);
    assert.equal(run.sources.finalLoss?.field, 'val_loss_epoch');
    assert.deepEqual(run.missing, ['params', 'tokens']);
    assert.deepEqual(run.precision, { w: PRECISION_NAMES.fp32, a: PRECISION_NAMES.fp32, kv: PRECISION_NAMES.fp32 });
    assert.deepEqual(run.sources.precision, { file, field: "Lightning's default precision 32-true" });
    assertDiagnostics(diagnostics, [
      { file: 'metrics.csv', line: undefined, field: 'params', severity: 'warning', code: 'missing-field' },
      { file: 'metrics.csv', line: undefined, field: 'tokens', severity: 'warning', code: 'missing-field' },
      { file: 'metrics.csv', line: undefined, field: 'precision', severity: 'info', code: 'default' },
    ]);
    assert.match(diagnostics[0].message, /not found in metrics\.csv \(no hparams\.yaml beside it\)/);
    assert.match(diagnostics[2].message, /^no file of the run gives the precision \(metrics\.csv\): taking Lightning's default precision, 32-true/);
  });
});

describe('lightning reader: edge cases', () => {
  it('no validation loss column: named, with the columns there are', async () => {
    const file = await writeVersion({ 'metrics.csv': 'epoch,step,train_acc\n0,9,0.5\n', 'hparams.yaml': 'n_params: 1e6\ntokens: 1e7\nprecision: 32-true\n' });
    const { runs, diagnostics } = await readLightningRun(file, context);
    assert.deepEqual(runs[0].missing, ['finalLoss']);
    assert.deepEqual(runs[0].precision?.w, PRECISION_NAMES.fp32);
    assertDiagnostics(diagnostics, [{ file: 'metrics.csv', line: 1, field: 'finalLoss', severity: 'warning', code: 'missing-field' }]);
    assert.match(diagnostics[0].message, /no validation loss column \(looked for val_loss, eval_loss, validation_loss, valid_loss, test_loss, …; the columns are epoch, step, train_acc\)/);
  });

  it('an empty metrics.csv (nothing logged yet) still lists the run from hparams.yaml', async () => {
    const file = await writeVersion({ 'metrics.csv': '', 'hparams.yaml': 'n_params: 1e6\ntokens: 1e7\nprecision: bf16\n' });
    const { runs, diagnostics } = await readLightningRun(file, context);
    assert.deepEqual(runs[0].missing, ['finalLoss']);
    assert.deepEqual(diagnostics.map((d) => [d.severity, d.code, d.message]), [['info', 'unfinished', 'metrics.csv is empty (nothing logged yet)']]);
  });

  it('a metrics.csv without a step column but with hparams.yaml is reported, not ignored', async () => {
    const file = await writeVersion({ 'metrics.csv': 'epoch,val_loss\n0,3.2\n', 'hparams.yaml': 'n_params: 1e6\n' });
    const { runs, diagnostics, notMine } = await readLightningRun(file, context);
    assert.equal(notMine, undefined);
    assert.equal(runs.length, 1);
    assert.ok(diagnostics.some((d) => d.field === 'step' && d.severity === 'error' && d.code === 'missing-field' && /no "step" column/.test(d.message)));
  });

  it('quoted headers, a stray quote and bad step values', async () => {
    const csv = ['epoch,step,"val_loss","train,loss"', '0,10,3.5,', '0,x,3.4,', '0,"20,3.3,', ''].join('\n');
    const file = await writeVersion({ 'metrics.csv': csv, 'hparams.yaml': 'n_params: 1e6\ntokens: 1e7\nprecision: bf16\n' });
    const { runs, diagnostics } = await readLightningRun(file, context);
    assert.equal(runs[0].finalLoss, 3.5);
    assert.deepEqual(
      diagnostics.map((d) => [d.line, d.field]),
      [
        [3, 'step'],
        [4, undefined],
      ],
    );
    assert.match(diagnostics[0].message, /step must be a number ≥ 0, got the string "x"; row skipped/);
    assert.match(diagnostics[1].message, /not a valid CSV row \(quote not closed\); skipped/);
  });

  it('a long metrics.csv (CRLF, as Python writes it) is streamed into a bounded curve', async () => {
    const dir = path.join(tmp, 'long', 'lightning_logs', 'version_0');
    await cp(path.join(FIXTURES, VERSIONS.good), dir, { recursive: true });
    const file = path.join(dir, 'metrics.csv');
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(file);
      out.on('error', reject);
      out.on('finish', resolve);
      let chunk = 'epoch,step,train_loss_step,val_loss\r\n';
      for (let step = 0; step < 120_000; step++) {
        chunk += step % 1000 === 999 ? `${Math.floor(step / 1000)},${step},,${(3 + 1 / (step + 1)).toFixed(6)}\r\n` : `${Math.floor(step / 1000)},${step},${(3 + 2 / (step + 1)).toFixed(6)},\r\n`;
        if (chunk.length > 1 << 16) {
          out.write(chunk);
          chunk = '';
        }
      }
      out.end(chunk);
    });
    const { runs, diagnostics } = await readLightningRun(file, context);
    const curve = runs[0].curve ?? [];
    assert.ok(curve.length <= 4000 && curve.length > 1000, `${curve.length}`);
    assert.equal(curve.filter((p) => p.split === 'val').length, 120);
    assert.equal(runs[0].finalLoss, Number((3 + 1 / 120_000).toFixed(6)));
    assert.equal(runs[0].sources.finalLoss?.line, 120_001);
    assertDiagnostics(diagnostics, [
      { file: 'config.yaml', line: 15, field: 'tokens', severity: 'info', code: 'derived' },
      { file: 'hparams.yaml', line: 7, field: 'post_bits', severity: 'warning', code: 'bad-value' },
    ]);
    assert.match(diagnostics[1].message, /post_bits found but not a loss after quantization \(ptq_loss, post_loss, quantized_loss, …\); no post-training quantization result recorded/);
  });
});

describe('lightning reader: architecture, devices and the default precision', () => {
  it("save_hyperparameters() of a Hydra config: the architecture fields and devices: 2 reach the facts engine; the precision is Lightning's default", async () => {
    const file = csvOf('hydraDdp');
    const files = await loaded(file);
    // N will come from these (n_layer, n_embd, …) once the engine counts them; they are fed, located.
    assert.deepEqual(fed(files, 'cfg.model.n_layer'), { value: 6, file: 'hparams.yaml', line: 12 });
    assert.deepEqual(fed(files, 'cfg.model.n_embd'), { value: 384, file: 'hparams.yaml', line: 10 });
    assert.deepEqual(fed(files, 'cfg.model.n_head'), { value: 6, file: 'hparams.yaml', line: 11 });
    assert.deepEqual(fed(files, 'cfg.model.block_size'), { value: 256, file: 'hparams.yaml', line: 9 });
    assert.deepEqual(fed(files, 'vocab_size'), { value: 65, file: 'hparams.yaml', line: 1 });
    // Trainer(devices=2): the world size the per-device batch is multiplied by.
    assert.deepEqual(fed(files, 'world_size'), { value: 2, file: 'hparams.yaml', line: 20 });

    const { runs, diagnostics } = await readLightningRun(file, context);
    const run = runs[0];
    assert.ok(isComplete(run));
    // End to end, through the facts engine: N from the architecture, the per-device batch times the 2 devices.
    assert.equal(run.params, 10_647_552);
    assert.equal(run.tokens, 1000 * 32 * 2 * 256);
    assert.equal(run.sources.tokens?.field, 'cfg.trainer.max_steps × cfg.data.batch_size × world_size × cfg.data.block_size');
    assert.deepEqual(run.precision, { w: PRECISION_NAMES.fp32, a: PRECISION_NAMES.fp32, kv: PRECISION_NAMES.fp32 });
    assert.deepEqual(run.sources.precision, { file, field: "Lightning's default precision 32-true" });
    const d = diagnostics.find((x) => x.field === 'precision');
    assert.deepEqual(d && brief(d), { file: 'metrics.csv', line: undefined, field: 'precision', severity: 'info', code: 'default' });
    assert.ok(!diagnostics.some((x) => x.field === 'precision' && x.severity === 'warning'), "the engine's 'not found' gives way to the default");
    assert.ok(!diagnostics.some((x) => x.field === 'world_size'), 'the world size is known');
    assert.equal(run.finalLoss, Number((2.6 * Math.exp(-999 / 1500) + 1.0).toPrecision(16)));
    assert.equal(run.sources.finalLoss?.line, 25);
  });

  it('a bare "loss" column (logged in training_step) is not the final validation loss', async () => {
    const file = csvOf('trainOnly');
    const { runs, diagnostics } = await readLightningRun(file, context);
    const run = runs[0];
    assert.equal(run.finalLoss, undefined);
    assert.ok(run.missing.includes('finalLoss'));
    assert.equal(run.reasons?.finalLoss, 'only a training loss was logged (loss); the final loss must be a validation loss');
    const d = diagnostics.find((x) => x.field === 'finalLoss');
    assert.deepEqual(d && brief(d), { file: 'metrics.csv', line: 1, field: 'finalLoss', severity: 'warning', code: 'missing-field' });
    assert.match(d?.message ?? '', /^metrics\.csv has only a training loss column \(loss\) and no validation loss column/);
    const curve = run.curve ?? [];
    assert.equal(curve.length, 30);
    assert.ok(curve.every((p) => p.split === 'train'));
    // No devices anywhere, and D from batch_size: one device, as the engine's word on D says; nothing for the reader to add.
    const derived = diagnostics.find((x) => x.field === 'tokens');
    assert.equal(derived?.code, 'derived');
    assert.match(derived?.message ?? '', /one device is assumed/);
    assert.ok(!diagnostics.some((x) => x.field === 'world_size'));
  });

  it('a validation loss long before the last step is not the final loss', async () => {
    const rows = ['epoch,step,train_loss,val_loss', '0,99,3.1,', '0,99,,3.2', ...Array.from({ length: 20 }, (_, i) => `0,${199 + i * 100},${(3 - i * 0.05).toFixed(2)},`), ''];
    const file = await writeVersion({ 'metrics.csv': rows.join('\n'), 'hparams.yaml': 'n_params: 1e6\ntokens: 1e7\nprecision: bf16\n' });
    const { runs, diagnostics } = await readLightningRun(file, context);
    assert.equal(runs[0].finalLoss, undefined);
    assert.equal(runs[0].reasons?.finalLoss, 'the last val_loss was logged at step 99, but training went on to step 2099: it is not the end-of-training loss');
    const d = diagnostics.find((x) => x.field === 'val_loss');
    assert.deepEqual(d && brief(d), { file: 'metrics.csv', line: 3, field: 'val_loss', severity: 'warning', code: 'missing-field' });
  });

  it("LightningCLI's trainer.devices in every form Lightning takes, times trainer.num_nodes", async () => {
    const cases: Array<[string, number | undefined]> = [
      ['devices: 2\n  num_nodes: 2', 4],
      ['devices: [0, 1]\n  num_nodes: 1', 2],
      ["devices: '0,1,2'", 3],
      ['devices: 8\n  num_nodes: 4', 32],
      ['devices: auto\n  num_nodes: 2', undefined],
      ['devices: -1', undefined],
    ];
    for (const [trainer, expected] of cases) {
      const file = await writeVersion({
        'metrics.csv': 'epoch,step,val_loss\n0,99,3.2\n',
        'hparams.yaml': 'batch_size: 16\nblock_size: 512\n',
        'config.yaml': `# lightning.pytorch==2.4.0\ntrainer:\n  precision: bf16-mixed\n  max_steps: 100\n  ${trainer}\n`,
      });
      const files = await loaded(file);
      assert.equal(fed(files, 'world_size')?.value, expected, trainer);
      const { diagnostics } = await readLightningRun(file, context);
      const d = diagnostics.find((x) => x.field === 'world_size');
      if (expected === undefined) {
        assert.deepEqual(d && brief(d), { file: 'config.yaml', line: 5, field: 'world_size', severity: 'info', code: 'default' }, trainer);
        assert.match(d?.message ?? '', /^world size not known \(trainer\.devices \(config\.yaml line 5\): trainer\.devices is .* \(every device the machine had, which the files do not say\)\); it is taken as 1/);
      } else assert.equal(d, undefined, trainer);
    }
    assert.equal(deviceCount('gpu'), 'unknown');
    assert.equal(deviceCount('cuda:0'), undefined);
    assert.equal(deviceCount([]), undefined);
    assert.equal(deviceCount(0), undefined);
  });

  it("LightningCLI's trainer.precision: null is the default, traced to that line; a precision the engine cannot read is not defaulted over", async () => {
    const file = await writeVersion({
      'metrics.csv': 'epoch,step,val_loss\n0,99,3.2\n',
      'hparams.yaml': 'n_params: 1e6\ntokens: 1e7\n',
      'config.yaml': '# lightning.pytorch==2.4.0\ntrainer:\n  accelerator: auto\n  precision: null\n  devices: 1\n',
    });
    const { runs, diagnostics } = await readLightningRun(file, context);
    assert.ok(isComplete(runs[0]));
    assert.deepEqual(runs[0].sources.precision, { file: path.join(path.dirname(file), 'config.yaml'), line: 4, field: "Lightning's default precision 32-true" });
    assertDiagnostics(diagnostics, [{ file: 'config.yaml', line: 4, field: 'precision', severity: 'info', code: 'default' }]);
    assert.match(diagnostics[0].message, /^trainer\.precision is null in config\.yaml: taking Lightning's default precision, 32-true/);

    const odd = await writeVersion({ 'metrics.csv': 'epoch,step,val_loss\n0,99,3.2\n', 'hparams.yaml': 'n_params: 1e6\ntokens: 1e7\nprecision: weird-format\n' });
    const result = await readLightningRun(odd, context);
    assert.equal(result.runs[0].precision, undefined);
    assert.ok(!result.diagnostics.some((d) => d.code === 'default'));
  });
});

describe("lightning reader: Lightning's default precision and the user's", () => {
  it("a default precision set for the folder takes the place of Lightning's; a precision the files give is kept", async () => {
    const { runs } = await readLightningRun(csvOf('hydraDdp'), context);
    assert.equal(runs[0].meta?.precisionIsToolDefault, true);
    const { defaults } = parseDefaultPrecisionSetting('bf16', '/ws/.vscode/settings.json');
    const defaulted = applyDefaultPrecision([{ run: runs[0], root: FIXTURES }], defaults);
    assert.deepEqual(defaulted.runs[0].precision, { w: PRECISION_NAMES.bf16, a: PRECISION_NAMES.bf16, kv: PRECISION_NAMES.bf16 });
    assert.deepEqual(defaulted.runs[0].sources.precision, { file: '/ws/.vscode/settings.json', field: 'precisionPlanner.runs.defaultPrecision' });
    assert.equal(defaulted.runs[0].meta?.precisionIsToolDefault, undefined);
    assert.equal(defaulted.runs[0].params, runs[0].params);
    assert.deepEqual(defaulted.diagnostics.map((d) => d.code), ['default']);

    const good = (await readLightningRun(csvOf('good'), context)).runs[0];
    assert.equal(good.meta?.precisionIsToolDefault, undefined);
    assert.equal(applyDefaultPrecision([{ run: good, root: FIXTURES }], defaults).runs[0], good, 'trainer.precision: bf16-mixed is kept');
  });
});
