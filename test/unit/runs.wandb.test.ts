import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ALIASES, extendAliases } from '../../src/runs/aliases';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { PRECISION_NAMES } from '../../src/runs/precision';
import { isWandbSummary, readWandbRun, wandbReader } from '../../src/runs/readers/wandb';
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
};
const summary = (run: string): string => path.join(FIXTURES, RUNS[run], 'files', 'wandb-summary.json');
const filesOf = (run: string, name: string): string => path.join(FIXTURES, RUNS[run], 'files', name);
const brief = (d: Diagnostic) => ({ file: path.basename(d.file), line: d.line, field: d.field, severity: d.severity });

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

  it('an offline run that crashed: state from wandb-metadata.json, curve from wandb-history.jsonl, D computed', async () => {
    const { runs, diagnostics } = await readWandbRun(summary('crashed'), context);
    const run = runs[0];
    assert.equal(run.unfinished, true);
    assert.equal(run.meta?.offline, true);
    assert.equal(run.meta?.state, 'failed');
    assert.equal(run.meta?.exitCode, 1);
    assert.equal(run.finalLoss, 3.7);
    assert.equal(run.tokens, 120 * 64 * 512);
    assert.equal(run.sources.tokens?.field, 'max_steps × batch_size × seq_len');
    assert.deepEqual(run.precision, { w: { bits: 4, type: 'int' }, a: PRECISION_NAMES.fp16, kv: PRECISION_NAMES.fp16 });
    assert.deepEqual(run.missing, ['params']);
    assert.deepEqual(diagnostics.map(brief), [
      { file: 'wandb-metadata.json', line: 19, field: 'state', severity: 'info' },
      { file: 'wandb-history.jsonl', line: 10, field: 'val_loss', severity: 'warning' },
      { file: 'wandb-history.jsonl', line: 16, field: undefined, severity: 'info' },
      { file: 'config.yaml', line: 13, field: 'tokens', severity: 'info' },
      { file: 'config.yaml', line: undefined, field: 'params', severity: 'warning' },
    ]);
    assert.match(diagnostics[0].message, /state is "failed": it did not finish/);
    assert.equal(diagnostics[1].message, 'val_loss is NaN at step 9; point left out of the curve');
    assert.equal(diagnostics[2].message, 'truncated last line (crashed or still-running run?); line skipped');
    assert.match(diagnostics[3].message, /computed as max_steps × batch_size × seq_len = 120 × 64 × 512 = 3932160/);
    assert.match(diagnostics[4].message, /^params \(N, the non-embedding parameter count\) not found in config\.yaml and wandb-summary\.json/);
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
    assert.deepEqual(diagnostics.map(brief), [
      { file: 'wandb-summary.json', line: 7, field: 'tokens', severity: 'info' },
      { file: 'wandb-summary.json', line: 6, field: 'eval/loss', severity: 'warning' },
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
    assert.deepEqual(diagnostics.map(brief), [
      { file: 'config.yaml', line: 13, field: undefined, severity: 'warning' },
      { file: 'config.yaml', line: undefined, field: 'precision', severity: 'warning' },
    ]);
    assert.match(diagnostics[0].message, /^syntax error: flow sequence/);
  });

  it('a summary cut off mid-write: one syntax error, the values before the cut read', async () => {
    const { runs, diagnostics } = await readWandbRun(summary('truncated'), context);
    assert.deepEqual(diagnostics.map(brief), [{ file: 'wandb-summary.json', line: 1, field: undefined, severity: 'error' }]);
    assert.ok(isComplete(runs[0]));
    assert.equal(runs[0].finalLoss, 3.3071);
    assert.deepEqual(runs[0].precision?.w, { bits: 8, type: 'int' });
  });

  it('binary content under the name is reported once, as an error', async () => {
    const { runs, diagnostics, notMine } = await readWandbRun(summary('binary'), context);
    assert.deepEqual(runs, []);
    assert.equal(notMine, undefined);
    assert.deepEqual(diagnostics.map(brief), [{ file: 'wandb-summary.json', line: undefined, field: undefined, severity: 'error' }]);
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
    assert.match(info?.message ?? '', /no validation loss in wandb-summary\.json; using the last val_loss in wandb-history\.jsonl \(line 15, step 14\): 3\.7/);
  });

  it('no validation loss anywhere: named, with where W&B keeps it', async () => {
    const files = await copyRun('good');
    await writeFile(path.join(files, 'wandb-summary.json'), '{"_step": 3, "lr": 0.1}');
    const { runs, diagnostics } = await readWandbRun(path.join(files, 'wandb-summary.json'), context);
    assert.deepEqual(runs[0].missing, ['finalLoss']);
    const d = diagnostics.find((x) => x.field === 'finalLoss');
    assert.equal(d?.severity, 'warning');
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
    const files = await copyRun('crashed');
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
    assert.deepEqual(diagnostics.map((d) => [d.severity, d.message]), [['error', 'wandb-summary.json not found']]);
  });
});
