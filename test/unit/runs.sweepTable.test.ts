import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_ALIASES, extendAliases } from '../../src/runs/aliases';
import { DIAGNOSTIC_CODES, type Diagnostic } from '../../src/runs/diagnostics';
import { MAX_JSON_BYTES, NOT_SWEEP_TABLES, isSweepTableCandidate, readSweepTable, sweepTableReader, tableLayout, wideColumnPrecision } from '../../src/runs/readers/sweepTable';
import { PF_DAY, flopColumnScale, lossColumns, splitUnit } from '../../src/runs/readers/tableColumns';
import { isWandbExportHeader } from '../../src/runs/readers/wandbExport';
import type { Run } from '../../src/runs/run';

const DIR = path.join(__dirname, '..', 'fixtures', 'sweep-tables');
const read = (name: string, aliases = DEFAULT_ALIASES) => readSweepTable(path.join(DIR, name), { root: DIR, aliases });
const byName = (runs: Run[]) => new Map(runs.map((r) => [r.name, r]));
const bits = (r: Run | undefined) => r?.precision && [r.precision.w.bits, r.precision.a.bits, r.precision.kv.bits];
const at = (diagnostics: Diagnostic[], line: number, pattern: RegExp) => diagnostics.filter((d) => d.line === line && pattern.test(d.message));
/** The diagnostics other than the one that says how rows became runs. */
const rest = (r: { diagnostics: Diagnostic[] }) => r.diagnostics.filter((d) => d.code !== 'grouped');
/** [line, field, severity, code] of each diagnostic, for asserting what was said without its wording. */
const said = (diagnostics: Diagnostic[]) => diagnostics.map((d) => [d.line, d.field, d.severity, d.code]);
/** The one grouping diagnostic of a table: info, coded, said once. */
const grouping = (r: { diagnostics: Diagnostic[] }) => {
  const found = r.diagnostics.filter((d) => d.code === 'grouped');
  assert.equal(found.length, 1, 'one grouping diagnostic per table');
  assert.equal(found[0].severity, 'info');
  return found[0];
};

const scratch = mkdtempSync(path.join(tmpdir(), 'sweep-table-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const readText = (name: string, text: string | Buffer, aliases = DEFAULT_ALIASES) => {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  return readSweepTable(file, { root: scratch, aliases });
};

describe('sweep tables: which files', () => {
  it('claims tables by extension, never other readers\' files, model files or editor settings', () => {
    assert.equal(sweepTableReader.id, 'sweep-table');
    for (const yes of ['sweep.csv', 'results.tsv', 'runs.jsonl', 'table.json', 'Results.CSV']) assert.ok(isSweepTableCandidate(yes, `/w/${yes}`), yes);
    const no = ['run.json', 'metrics.jsonl', 'metrics.csv', 'trainer_state.json', 'config.json', 'all_results.json', 'eval_results.json', 'wandb-summary.json', 'wandb-metadata.json', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'run.schema.json', 'training_args.json', 'adapter_config.json', 'notes.txt'];
    for (const name of no) assert.ok(!isSweepTableCandidate(name, `/w/${name}`), name);
    assert.ok(NOT_SWEEP_TABLES.has('trainer_state.json'));
    assert.ok(!isSweepTableCandidate('settings.json', '/w/.vscode/settings.json'));
    assert.ok(!isSweepTableCandidate('sweep.csv', '/w/.vscode/sweep.csv'));
    assert.ok(!isSweepTableCandidate('x.json', 'C:\\w\\.devcontainer\\x.json'));
  });

  it('somebody else\'s CSV, a training log and a JSONL data set are quietly not ours', async () => {
    for (const name of ['not-a-sweep.csv', 'training-log.csv', 'dataset.jsonl', 'utf16-other.csv']) {
      assert.deepEqual(await read(name), { runs: [], diagnostics: [], notMine: true }, name);
    }
    assert.equal((await readText('empty.csv', '')).notMine, true);
    assert.equal((await readText('config-like.json', '{"model": {"n_params": 1e8}, "eval": {"val_loss": 3.2}}')).notMine, true, 'nested sections are a config, not a table');
  });

  it('binary and UTF-16 tables are reported once', async () => {
    for (const [name, pattern] of [['binary.csv', /not a text file/], ['utf16.csv', /UTF-16.*save it as UTF-8/]] as const) {
      const r = await read(name);
      assert.equal(r.runs.length, 0);
      assert.equal(r.diagnostics.length, 1);
      assert.match(r.diagnostics[0].message, pattern);
      assert.equal(r.diagnostics[0].code, 'binary');
      assert.equal(r.diagnostics[0].file, path.join(DIR, name));
    }
  });

  it('a Git LFS pointer in place of a CSV or JSON table says so, and how to fetch the file', async () => {
    for (const name of ['lfs-pointer.csv', 'lfs-pointer.json']) {
      const r = await read(name);
      assert.equal(r.notMine, undefined, name);
      assert.deepEqual(r.runs, []);
      assert.deepEqual(said(r.diagnostics), [[undefined, undefined, 'warning', 'lfs-pointer']], name);
      assert.equal(r.diagnostics[0].file, path.join(DIR, name));
      assert.match(r.diagnostics[0].message, /git lfs pull/);
    }
    const jsonl = await readText('runs.jsonl', 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 5120\n');
    assert.equal(jsonl.diagnostics[0]?.code, 'lfs-pointer');
  });

  it('every diagnostic of every fixture carries a code from the closed set', async () => {
    for (const name of readdirSync(DIR).filter((n) => isSweepTableCandidate(n, path.join(DIR, n)))) {
      for (const d of (await read(name)).diagnostics) assert.ok(d.code !== undefined && DIAGNOSTIC_CODES.includes(d.code), `${name}: ${d.message}`);
    }
  });

  it('a path that cannot be read is a diagnostic, not an exception', async () => {
    mkdirSync(path.join(scratch, 'folder.csv'));
    const r = await readSweepTable(path.join(scratch, 'folder.csv'), { root: scratch, aliases: DEFAULT_ALIASES });
    assert.equal(r.runs.length, 0);
    assert.match(r.diagnostics[0].message, /cannot read folder\.csv/);
    assert.equal(r.diagnostics[0].code, 'unreadable');
    const gone = await readSweepTable(path.join(scratch, 'missing.csv'), { root: scratch, aliases: DEFAULT_ALIASES });
    assert.match(gone.diagnostics[0].message, /cannot read missing\.csv/);
    assert.equal(gone.diagnostics[0].code, 'unreadable');
  });
});

describe('sweep tables: layouts', () => {
  it('long layout: one run per name, PTQ rows by post_bits, every value traced to its line and column', async () => {
    const r = await read('long.csv');
    assert.equal(r.runs.length, 3);
    const runs = byName(r.runs);
    const bf16 = runs.get('s30m-bf16');
    assert.equal(bf16?.params, 3e7);
    assert.equal(bf16?.tokens, 1.5e9);
    assert.deepEqual(bits(bf16), [16, 16, 16]);
    assert.equal(bf16?.finalLoss, 3.8412);
    assert.deepEqual(bf16?.ptq.map((q) => [q.bits, q.type, q.loss, q.source?.line, q.source?.field]), [
      [8, 'int', 3.842, 3, 'val_loss'],
      [4, 'int', 3.9127, 4, 'val_loss'],
      [3, 'int', 4.1854, 5, 'val_loss'],
    ]);
    const file = path.join(DIR, 'long.csv');
    assert.deepEqual(bf16?.sources, {
      params: { file, line: 2, field: 'n_params' },
      tokens: { file, line: 2, field: 'train_tokens' },
      precision: { file, line: 2, field: 'weight_bits' },
      finalLoss: { file, line: 2, field: 'val_loss' },
    });
    assert.equal(runs.get('s30m-w8')?.finalLoss, 3.853, '"none" post bits is an end-of-training row');
    assert.deepEqual(bits(runs.get('s60m-w4')), [4, 8, 8]);
    assert.deepEqual(r.runs.map((x) => [x.id, x.format, x.file, x.missing.length]), [
      ['long.csv#s30m-bf16', 'sweep-table', file, 0],
      ['long.csv#s30m-w8', 'sweep-table', file, 0],
      ['long.csv#s60m-w4', 'sweep-table', file, 0],
    ]);
    assert.deepEqual(rest(r), []);
    assert.equal(grouping(r).line, 1);
  });

  it('long layout without names: runs grouped by N, D and precision (the paper\'s N, D, P_w, P_a, P_kv, P_post)', async () => {
    const r = await read('kumar-notation.csv');
    assert.deepEqual(rest(r), []);
    grouping(r);
    assert.deepEqual(
      r.runs.map((x) => [x.id, x.name, x.params, x.tokens, bits(x), x.finalLoss, x.ptq.length]),
      [
        ['kumar-notation.csv#2', 'N=30M, D=1.5B, fp16', 3e7, 1.5e9, [16, 16, 16], 3.8412, 3],
        ['kumar-notation.csv#5', 'N=30M, D=6B, fp16', 3e7, 6e9, [16, 16, 16], 3.6955, 2],
        ['kumar-notation.csv#7', 'N=60M, D=3B, w4a8kv8', 6e7, 3e9, [4, 8, 8], 3.631, 2],
      ],
    );
    const [first, , third] = r.runs;
    assert.deepEqual(first.ptq.map((q) => [q.bits, q.loss, q.method, q.groupSize, q.source?.line, q.source?.field]), [
      [8, 3.8419, 'gptq', 128, 2, 'ptq_loss'],
      [4, 3.905, 'gptq', 128, 3, 'ptq_loss'],
      [3, 4.1127, 'gptq', 128, 4, 'ptq_loss'],
    ]);
    assert.deepEqual(first.sources.finalLoss?.line, 2, 'the loss each PTQ row repeats is the end-of-training loss');
    assert.deepEqual(third.ptq.map((q) => [q.method, q.groupSize]), [['rtn', null], ['rtn', null]], 'group size -1 is per-channel');
  });

  it('wide layout: PTQ columns by name, with their number type', async () => {
    const names = ['ptq8_loss', 'ptq_4bit_loss', 'loss_int3', 'val_loss@4bit', 'eval_loss_ptq6', 'loss_w4', 'int4_loss', 'quant_w4_loss', 'val_loss@fp4', 'nf4_loss'];
    assert.deepEqual(names.map((n) => wideColumnPrecision(n)?.bits), [8, 4, 3, 4, 6, 4, 4, 4, 4, 4]);
    assert.deepEqual(['val_loss@fp4', 'nf4_loss', 'loss_int3'].map((n) => [wideColumnPrecision(n)?.type, wideColumnPrecision(n)?.name]), [['fp', 'fp4'], ['fp', 'nf4'], ['int', undefined]]);
    for (const no of ['val_loss', 'loss', 'ptq_loss', 'loss_4', 'w4_loss', 'loss_bf16', 'loss_int16', 'train_loss']) assert.equal(wideColumnPrecision(no), undefined, no);

    const r = await read('wide.csv');
    assert.deepEqual(rest(r), []);
    const runs = byName(r.runs);
    const w4 = runs.get('w4a8kv4-85M-6B');
    assert.equal(w4?.params, 85e6);
    assert.equal(w4?.tokens, 6e9);
    assert.deepEqual(bits(w4), [4, 8, 4]);
    assert.deepEqual(w4?.ptq.map((q) => q.bits), [3], 'empty wide cells are no evaluation, and no problem');
    assert.deepEqual(runs.get('bf16-85M-6B')?.ptq.map((q) => [q.bits, q.type, q.loss, q.source?.field]), [
      [8, 'int', 3.413, 'ptq8_loss'],
      [4, 'int', 3.497, 'ptq_4bit_loss'],
      [3, 'int', 3.781, 'loss_int3'],
      [4, 'fp', 3.466, 'val_loss@fp4'],
    ]);
    assert.equal(runs.get('fp8-150M-13B')?.precision?.w.type, 'fp');
    assert.equal(runs.get('fp8-150M-13B')?.tokens, 13e9);
  });

  it('TSV: thousands separators, weight bits only (activations and KV taken as 16-bit, said once), status', async () => {
    const r = await read('results.tsv');
    assert.deepEqual(r.runs.map((x) => [x.name, x.params, x.tokens, bits(x), x.finalLoss, x.unfinished ?? false]), [
      ['N=50M, D=3B, w8a16kv16', 5e7, 3e9, [8, 16, 16], 3.7203, false],
      ['N=50M, D=6B, w8a16kv16', 5e7, 6e9, [8, 16, 16], 3.6011, false],
      ['N=50M, D=13B, w8a16kv16', 5e7, 1.3e10, [8, 16, 16], 3.512, true],
    ]);
    assert.deepEqual(r.runs.map((x) => x.id), ['results.tsv#2', 'results.tsv#3', 'results.tsv#4']);
    assert.deepEqual(said(rest(r)), [
      [1, 'precision', 'info', 'default'],
      [4, 'status', 'info', 'unfinished'],
    ]);
  });

  it('semicolons from European Excel: decimal commas read, grouping dots reported, empty rows ignored', async () => {
    const r = await read('semicolon.csv');
    assert.deepEqual(r.runs.map((x) => [x.name, x.params, x.tokens, x.precision?.w.bits, x.finalLoss]), [
      ['de-a', 2.2e8, 1.5e9, 8, 3.3301],
      ['de-b', 2.2e8, 5e9, 4, 3.2811],
      ['de-c', 2.2e8, undefined, 16, 3.2904],
    ]);
    assert.deepEqual(said(rest(r)), [[4, 'Tokens', 'warning', 'bad-value']]);
    assert.match(rest(r)[0].message, /"1\.500\.000\.000", not a positive token count/);
  });

  it('JSONL: rows with their own keys, a crashed run without a loss, NaN, a stray array and a cut last line', async () => {
    const r = await read('sweep.jsonl');
    assert.deepEqual(r.runs.map((x) => [x.name, x.params, x.finalLoss, x.missing.join(), x.unfinished ?? false]), [
      ['j1', 3e7, 3.84, '', false],
      ['j2', 6e7, undefined, 'finalLoss', false],
      ['j3', 6e7, 3.71, '', false],
      ['j5', 1.2e8, undefined, 'finalLoss', true],
    ]);
    assert.deepEqual(bits(r.runs[3]), [4, 8, 4]);
    assert.deepEqual(said(rest(r)), [
      [2, 'val_loss', 'warning', 'bad-value'],
      [5, 'val_loss', 'warning', 'missing-field'],
      [5, 'status', 'info', 'unfinished'],
      [6, undefined, 'warning', 'bad-value'],
      [7, undefined, 'warning', 'truncated'],
    ]);
    assert.match(rest(r)[0].message, /val_loss is "NaN", not a positive finite loss/);
    assert.match(rest(r)[1].message, /run "j5" has no end-of-training loss/);
  });

  it('JSON: an object holding the rows, a pretty-printed array (each value at its own line), pandas\' columns layout', async () => {
    const json = await read('runs.json');
    assert.deepEqual(json.runs.map((x) => [x.name, bits(x), x.finalLoss]), [
      ['r1', [16, 16, 16], 3.84],
      ['r2', [4, 16, 16], 3.97],
      ['r3', [3, 8, 4], undefined],
    ]);
    assert.deepEqual(said(rest(json)), [
      [6, undefined, 'warning', 'bad-value'],
      [7, 'val_loss', 'warning', 'bad-value'],
    ]);
    assert.match(rest(json)[0].message, /not an object/);

    const records = await read('records.json');
    assert.deepEqual(rest(records), []);
    const [bf16, w4] = records.runs;
    assert.deepEqual([bf16.name, bf16.params, bf16.tokens, bf16.finalLoss], ['p-30m-bf16', 3e7, 1.5e9, 3.8412]);
    assert.deepEqual([bf16.sources.params?.line, bf16.sources.tokens?.line, bf16.sources.finalLoss?.line, bf16.ptq[0].source?.line], [4, 5, 7, 8]);
    assert.deepEqual(bits(w4), [4, 8, 8], 'W4A8: the KV cache follows the activations');
    assert.equal(w4.sources.precision?.line, 14);

    const columns = await read('columns.json');
    assert.deepEqual(rest(columns), []);
    assert.deepEqual(columns.runs.map((x) => [x.id, x.params, x.tokens, x.precision?.w.name, x.finalLoss, x.sources.finalLoss?.field]), [
      ['columns.json#c-85m', 85e6, 6e9, 'bf16', 3.412, 'val_loss'],
      ['columns.json#c-150m', 150e6, 13e9, 'e4m3', 3.197, 'val_loss'],
    ]);
  });

  it('JSON: pandas\' split and index layouts; rows keyed by run name', async () => {
    const split = await readText('split.json', JSON.stringify({ columns: ['params', 'tokens', 'precision', 'val_loss'], index: ['s1', 's2'], data: [[3e7, 1.5e9, 'int8', 3.9], [6e7, 1.5e9, 'int4', 3.8]] }));
    assert.deepEqual(split.runs.map((x) => [x.name, x.params, x.precision?.w.bits, x.finalLoss]), [['s1', 3e7, 8, 3.9], ['s2', 6e7, 4, 3.8]]);
    const index = await readText('index.json', '{\n "tiny-int8": {"params": 3e7, "tokens": 1.5e9, "precision": "int8", "val_loss": 3.9},\n "0": {"params": 6e7, "tokens": 1.5e9, "precision": "int8", "val_loss": 3.7}\n}\n');
    assert.deepEqual(index.runs.map((x) => [x.name, x.sources.params?.line]), [['tiny-int8', 2], ['N=60M, D=1.5B, int8', 3]]);
  });

  it('JSON written on one line: unnamed rows stay separate runs with distinct ids', async () => {
    const row = (loss: number) => ({ params: 3e7, tokens: 1.5e9, precision: 'bf16', loss });
    const r = await readText('minified.json', JSON.stringify([row(3.9), row(3.8), row(3.7)]));
    assert.deepEqual(r.runs.map((x) => [x.id, x.name, x.finalLoss]), [
      ['minified.json#1', 'N=30M, D=1.5B, bf16', 3.9],
      ['minified.json#1.2', 'N=30M, D=1.5B, bf16 (line 1)', 3.8],
      ['minified.json#1.3', 'N=30M, D=1.5B, bf16 (row 3)', 3.7],
    ]);
    assert.deepEqual(rest(r), []);
  });

  it('a CSV with the user\'s column names (nanochat\'s results.csv) is read once the aliases name them', async () => {
    // nanochat's names for N and D are built in; its precision column is not, until the user adds it.
    const plain = await read('aliases.csv');
    assert.equal(plain.runs.length, 3);
    assert.ok(plain.runs.every((x) => x.missing.join() === 'precision'));
    const aliases = extendAliases({ precision: ['compute_dtype'] });
    const r = await read('aliases.csv', aliases);
    assert.deepEqual(rest(r), []);
    assert.deepEqual(r.runs.map((x) => [x.name, x.params, x.tokens, x.precision?.w.name, x.finalLoss, x.sources.params?.field]), [
      ['N=42.5M, D=1.02B, bf16', 42467840, 1015021568, 'bf16', 3.4127, 'num_scaling_params'],
      ['N=69.9M, D=618M, bf16', 69861376, 617611264, 'bf16', 3.4533, 'num_scaling_params'],
      ['N=69.9M, D=1.85B, fp16', 69861376, 1852309504, 'fp16', 3.2571, 'num_scaling_params'],
    ]);
  });

  it('a table without a precision column lists its runs as incomplete, each saying to add the column or set a default precision', async () => {
    const r = await read('chinchilla-style.csv');
    assert.equal(r.runs.length, 3);
    assert.ok(r.runs.every((x) => x.missing.join() === 'precision' && x.params !== undefined && x.tokens !== undefined));
    assert.deepEqual(r.runs.map((x) => x.name), ['N=44M, D=6B', 'N=90M, D=6B', 'N=198M, D=12B']);
    for (const run of r.runs) assert.equal(run.reasons?.precision, 'the table has no training precision column');
    assert.deepEqual(said(rest(r)), [[1, 'precision', 'warning', 'missing-field']]);
    assert.match(rest(r)[0].message, /weight_bits.*set a default precision.*precisionPlanner\.aliases/);
    assert.equal(r.runs[0].tokens, 6e9, 'a D column is read, not worked out from the Training FLOP column');
    assert.ok(!r.diagnostics.some((d) => d.code === 'derived'));
  });

  it('tableLayout needs a loss and N or D; a per-step log is not a sweep', () => {
    assert.ok(tableLayout(['N', 'D', 'loss']));
    assert.equal(tableLayout(['name', 'params', 'tokens']), undefined);
    assert.equal(tableLayout(['step', 'tokens', 'loss']), undefined);
    assert.ok(tableLayout(['step', 'params', 'tokens', 'loss']), 'a sweep table may list max steps');
    assert.deepEqual(tableLayout(['run', 'params', 'ptq4_loss'])?.wide.map((w) => w.column), ['ptq4_loss']);
  });
});

describe('sweep tables: damaged and odd rows', () => {
  it('bad cells are left out and named by line and column, once each; the rest of the table is read', async () => {
    const r = await read('bad-values.csv');
    const runs = byName(r.runs);
    assert.equal(runs.get('good')?.missing.length, 0);
    for (const [name, line, shown] of [['nan', 2, '"nan"'], ['inf', 3, '"inf"'], ['neg', 4, '"-3.2"']] as const) {
      assert.equal(runs.get(name)?.finalLoss, undefined);
      assert.deepEqual(runs.get(name)?.missing, ['finalLoss']);
      const found = r.diagnostics.filter((d) => d.line === line);
      assert.equal(found.length, 1, name);
      assert.equal(found[0].field, 'val_loss');
      assert.ok(found[0].message.includes(`val_loss is ${shown}, not a positive finite loss`), found[0].message);
    }
    assert.deepEqual(runs.get('words')?.missing, ['params']);
    assert.equal(at(r.diagnostics, 5, /params is "lots"/).length, 1);
    assert.equal(at(r.diagnostics, 6, /precision is "fast"/)[0]?.field, 'precision');
    const empty = at(r.diagnostics, 8, /run "empty" has no end-of-training loss \(val_loss is empty on line 8\)/);
    assert.equal(empty[0]?.field, 'val_loss');
    assert.deepEqual(rest(r).map((d) => d.code), ['bad-value', 'bad-value', 'bad-value', 'bad-value', 'bad-value', 'missing-field']);
    assert.match(runs.get('nan')?.reasons?.finalLoss ?? '', /val_loss on line 2/);
  });

  it('ragged rows are reported and read as far as they go', async () => {
    const r = await read('ragged.csv');
    assert.equal(byName(r.runs).get('ok')?.missing.length, 0);
    assert.deepEqual(byName(r.runs).get('short')?.missing, ['precision', 'finalLoss']);
    assert.match(byName(r.runs).get('short')?.reasons?.precision ?? '', /line 3.*set a default precision/);
    assert.equal(at(r.diagnostics, 3, /row has 3 of 5 cells/)[0]?.code, 'syntax');
    assert.equal(at(r.diagnostics, 4, /quote opened on line 4 is never closed/)[0]?.code, 'syntax');
    const extra = await readText('extra.csv', 'name,params,tokens,precision,val_loss\nx,3e7,1.5e9,bf16,3.9,oops\n');
    assert.equal(extra.runs[0].finalLoss, 3.9);
    assert.equal(at(extra.diagnostics, 2, /6 cells, the header 5; the extra cells are ignored/).length, 1);
  });

  it('a cut last row is kept when its cells read, and left out with a note when they do not', async () => {
    const cut = await read('truncated.csv');
    assert.deepEqual(cut.runs.map((x) => x.name), ['cut']);
    assert.equal(cut.runs[0].finalLoss, 3.84);
    assert.deepEqual(said(rest(cut)), [[3, 'precision', 'warning', 'truncated']]);
    assert.match(rest(cut)[0].message, /last row stops after 4 of 5 cells.*row left out \(precision is "bf"/);

    const kept = await read('truncated-status.csv');
    assert.deepEqual(kept.runs.map((x) => [x.name, x.finalLoss, x.missing.length]), [['ok', 3.84, 0], ['late', 3.71, 0]]);
    assert.deepEqual(said(rest(kept)), [[3, undefined, 'info', 'truncated']]);
    assert.match(rest(kept)[0].message, /kept.*val_loss = "3\.71"/);
  });

  it('a cut JSON table: what parsed is kept, the cut row is left out, the syntax error is named', async () => {
    const text = readFileSync(path.join(DIR, 'records.json'), 'utf8');
    const r = await readText('cut.json', text.slice(0, text.indexOf('"val_loss": 3.9386')));
    assert.deepEqual(r.runs.map((x) => x.name), ['p-30m-bf16']);
    assert.ok(r.diagnostics.some((d) => d.line === 10 && /row left out/.test(d.message)));
    assert.ok(r.diagnostics.some((d) => /syntax error/.test(d.message)));
    assert.ok(r.diagnostics.some((d) => d.code === 'syntax'));
  });

  it('a header without rows, and rows whose post bits do not read, still say why nothing was read', async () => {
    const header = await read('header-only.csv');
    assert.deepEqual(header.runs, []);
    assert.match(header.diagnostics[0].message, /no row that could be read/);
    const post = await readText('post.csv', 'name,params,tokens,precision,post_bits,val_loss\na,3e7,1.5e9,bf16,four,3.9\nb,3e7,1.5e9,bf16,4,\n');
    assert.equal(at(post.diagnostics, 2, /post_bits is "four", not a bit-width.*row left out/)[0]?.code, 'bad-value');
    assert.equal(at(post.diagnostics, 3, /no val_loss on this 4-bit post-training row/)[0]?.code, 'missing-field');
    assert.deepEqual(post.runs.map((x) => [x.name, x.missing.join()]), [['b', 'finalLoss']]);
  });

  it('rows of one run that disagree are reported; unnamed rows with equal settings stay separate runs', async () => {
    const r = await readText('conflict.csv', 'name,params,tokens,precision,post_bits,val_loss\nx,3e7,1.5e9,bf16,,3.9\nx,6e7,1.5e9,int8,4,3.95\n');
    assert.deepEqual(r.runs.map((x) => [x.params, bits(x), x.ptq.length]), [[3e7, [16, 16, 16], 1]]);
    assert.match(at(r.diagnostics, 3, /parameter count 60M differs from 30M on line 2/)[0]?.message ?? '', /first is kept/);
    assert.equal(at(r.diagnostics, 3, /parameter count 60M differs/)[0]?.code, 'conflict');
    assert.equal(at(r.diagnostics, 3, /training precision int8 differs from bf16/)[0]?.code, 'conflict');
    const seeds = await readText('seeds.csv', 'params,tokens,precision,loss\n3e7,1.5e9,bf16,3.91\n3e7,1.5e9,bf16,3.89\n');
    assert.deepEqual(seeds.runs.map((x) => [x.id, x.name, x.finalLoss]), [
      ['seeds.csv#2', 'N=30M, D=1.5B, bf16', 3.91],
      ['seeds.csv#3', 'N=30M, D=1.5B, bf16 (line 3)', 3.89],
    ]);
  });

  it('a JSON table too big to parse is reported; a big JSON that is not a table is not', async () => {
    // Only the head is read: a short text stretched (sparsely) past the limit stands for a big file.
    const big = async (name: string, head: string) => {
      const file = path.join(scratch, name);
      writeFileSync(file, head);
      truncateSync(file, MAX_JSON_BYTES + 4 * 2 ** 20);
      return readSweepTable(file, { root: scratch, aliases: DEFAULT_ALIASES });
    };
    const row = JSON.stringify({ name: 'r', params: 3e7, tokens: 1.5e9, precision: 'bf16', val_loss: 3.8 });
    const table = await big('big.json', `[${Array(50).fill(row).join(',')},`);
    assert.equal(table.runs.length, 0);
    assert.deepEqual(said(table.diagnostics), [[undefined, undefined, 'warning', 'unreadable']]);
    assert.match(table.diagnostics[0].message, /big\.json is 20 MiB; JSON tables over 16 MiB are not read: write one row per line \(JSONL\) instead/);
    assert.deepEqual(await big('other.json', `{"vocab": [${Array(200).fill('{"token": "x"}').join(',')},`), { runs: [], diagnostics: [], notMine: true });
  });
});

describe('sweep tables: which column is N, D and the loss, and in what unit', () => {
  it('an explicit non-embedding column beats a generic size column holding millions (pandas to_csv, index column included)', async () => {
    const r = await read('non-embedding.csv');
    const file = path.join(DIR, 'non-embedding.csv');
    assert.deepEqual(r.runs.map((x) => [x.params, x.tokens, x.finalLoss]), [
      [50331648, 1e9, 3.912],
      [84934656, 1e9, 3.788],
      [50331648, 2e9, 3.801],
      [50331648, 4e9, 3.725],
    ]);
    assert.deepEqual(r.runs[1].sources.params, { file, line: 3, field: 'non_embedding_parameters' });
    assert.ok(!r.diagnostics.some((d) => d.code === 'implausible'), 'model_size (50, 85) is never read as N');
  });

  it('N_no_emb beats N, an evaluation-loss column beats a bare loss, D from train_tokens (the (Mis)Fitting sweep table shape)', async () => {
    const r = await read('misfitting-style.csv');
    const file = path.join(DIR, 'misfitting-style.csv');
    assert.deepEqual(r.runs.map((x) => [x.params, x.tokens, x.finalLoss]), [
      [36700160, 268435456, 4.4021],
      [36700160, 536870912, 3.971],
      [102236160, 536870912, 3.6422],
    ]);
    assert.deepEqual(r.runs[2].sources, {
      params: { file, line: 4, field: 'N_no_emb' },
      tokens: { file, line: 4, field: 'train_tokens' },
      finalLoss: { file, line: 4, field: 'C4 Eval Loss' },
    });
    assert.ok(r.runs.every((x) => x.missing.join() === 'precision' && x.reasons?.precision === 'the table has no training precision column'));
    assert.deepEqual(said(rest(r)), [[1, 'precision', 'warning', 'missing-field']]);
  });

  it('a unit in the column name scales bare numbers; a number\'s own suffix wins', async () => {
    const r = await read('units.csv');
    const file = path.join(DIR, 'units.csv');
    assert.deepEqual(r.runs.map((x) => [x.params, x.tokens]), [
      [30e6, 1.5e9],
      [85e6, 6e9],
      [150e6, 13e9],
    ]);
    assert.deepEqual(r.runs[0].sources.params, { file, line: 2, field: 'params_M' });
    assert.deepEqual(r.runs[0].sources.tokens, { file, line: 2, field: 'tokens (B)' });
    assert.deepEqual(rest(r), []);
    const words = await readText('words.csv', 'name,Model Size (in Million),Training Tokens (1e9),precision,val_loss\na,44,6,bf16,3.9\n');
    assert.deepEqual([words.runs[0].params, words.runs[0].tokens], [44e6, 6e9]);
  });

  it('splitUnit, flopColumnScale and lossColumns', () => {
    assert.deepEqual(splitUnit('params_M'), { base: 'params', scale: 1e6 });
    assert.deepEqual(splitUnit('model_size (B)'), { base: 'model_size', scale: 1e9 });
    assert.deepEqual(splitUnit('tokens in Million'), { base: 'tokens', scale: 1e6 });
    assert.deepEqual(splitUnit('C (FLOPs)'), { base: 'C' });
    assert.deepEqual(splitUnit('compute (PF-days)'), { base: 'compute', scale: PF_DAY });
    assert.deepEqual(splitUnit('B'), { base: 'B' }, 'a column named just "B" has no unit');
    assert.deepEqual(splitUnit('num_layers'), { base: 'num_layers' });
    const flops = ['C', 'flops', 'compute', 'FLOPs', 'train_flops', 'C (FLOPs)', 'Training FLOP', 'compute_budget', 'flops_budget', 'train/total_flos', 'throughput/total_gflops', 'PF-days'];
    assert.deepEqual(flops.map(flopColumnScale), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1e9, PF_DAY]);
    for (const no of ['compute_dtype', 'C_no_emb', 'C_6ND', 'gflops_per_second', 'mfu', 'tokens']) assert.equal(flopColumnScale(no), undefined, no);
    const keys = ['loss', 'train_loss', 'C4 Eval Loss', 'eval/paloma/c4_en/loss', 'eval/paloma/macro_loss', 'val_loss_std', 'ptq_val_loss', 'train/loss'];
    assert.deepEqual(lossColumns(keys, DEFAULT_ALIASES), ['C4 Eval Loss', 'eval/paloma/macro_loss', 'eval/paloma/c4_en/loss', 'loss']);
    assert.deepEqual(lossColumns(['loss', 'train/loss', 'eval/loss', 'eval/paloma/macro_loss'], DEFAULT_ALIASES, true), ['eval/loss', 'eval/paloma/macro_loss']);
    assert.deepEqual(lossColumns(['heldout_nll', 'val_loss'], extendAliases({ loss: ['heldout_nll'] })), ['heldout_nll', 'val_loss'], 'the user\'s names first');
  });

  it('implausible values are left out and explained once per column, with the unit that would make them sensible', async () => {
    const size = await readText('model-size.csv', 'name,model_size,tokens,precision,val_loss\na,50,1500000000,bf16,3.9\nb,125,3e9,bf16,3.5\n');
    assert.deepEqual(size.runs.map((x) => [x.params, x.missing.join()]), [[undefined, 'params'], [undefined, 'params']]);
    assert.deepEqual(said(rest(size)), [[2, 'model_size', 'warning', 'implausible']]);
    assert.match(rest(size)[0].message, /model_size_M/);
    assert.match(size.runs[0].reasons?.params ?? '', /model_size_M/);

    const tokens = await readText('tokens-b.csv', 'name,params,tokens,precision,val_loss\na,85000000,6,bf16,3.9\n');
    assert.deepEqual([tokens.runs[0].params, tokens.runs[0].tokens], [85e6, undefined]);
    assert.deepEqual(said(rest(tokens)), [[2, 'tokens', 'warning', 'implausible']]);
    assert.match(tokens.runs[0].reasons?.tokens ?? '', /tokens_B/);

    const perplexity = await readText('ppl.csv', 'name,params,tokens,precision,val_loss\na,85000000,6e9,bf16,33.2\nb,85000000,6e9,bf16,19.9\n');
    assert.deepEqual(perplexity.runs.map((x) => x.finalLoss), [undefined, 19.9]);
    assert.deepEqual(said(rest(perplexity)), [[2, 'val_loss', 'warning', 'implausible']]);

    // A column that already names its unit gets no renaming advice.
    const scaled = await readText('scaled.csv', 'name,params_M,tokens,precision,val_loss\na,0.001,1e9,bf16,3.9\n');
    assert.equal(scaled.runs[0].params, undefined);
    assert.equal(rest(scaled)[0]?.code, 'implausible');
    assert.doesNotMatch(rest(scaled)[0].message, /name the column/);
  });
});

describe('sweep tables: D worked out from training FLOPs', () => {
  it('N and C but no D gives D = C / (6N), marked derived and traced to the compute column (the CS336 isoflops_curves.json shape)', async () => {
    const r = await read('isoflops.json');
    const file = path.join(DIR, 'isoflops.json');
    assert.deepEqual(r.runs.map((x) => [x.params, x.tokens, x.finalLoss]), [
      [6e7, 3e18 / (6 * 6e7), 4.187302615039271],
      [9.5e7, 3e18 / (6 * 9.5e7), 4.0541209931861815],
      [1.5e8, 3e18 / (6 * 1.5e8), 4.102688360571044],
      [1.5e8, 1e19 / (6 * 1.5e8), 3.779815520701384],
    ]);
    assert.deepEqual(r.runs[0].sources, {
      params: { file, line: 3, field: 'parameters' },
      tokens: { file, line: 4, field: 'compute_budget / (6 × parameters)' },
      finalLoss: { file, line: 5, field: 'final_loss' },
    });
    assert.deepEqual(said(rest(r)), [
      [2, 'precision', 'warning', 'missing-field'],
      [2, 'tokens', 'info', 'derived'],
    ]);
  });

  it('the compute column\'s unit counts; an unreadable or implausible C is said and D stays missing', async () => {
    const gflops = await readText('gflops.csv', 'name,params,throughput/total_gflops,precision,val_loss\na,1e8,6e8,bf16,3.5\n');
    assert.equal(gflops.runs[0].tokens, 1e9);
    const pfDays = await readText('pfdays.csv', 'name,params,C (PF-days),precision,val_loss\na,1e8,0.01,bf16,3.5\n');
    assert.equal(pfDays.runs[0].tokens, (0.01 * PF_DAY) / 6e8);
    const bad = await readText('flops-bad.csv', 'name,params,C,precision,val_loss\na,85000000,0.5,bf16,3.3\nb,85000000,lots,bf16,3.3\n');
    assert.deepEqual(bad.runs.map((x) => [x.tokens, x.missing.join()]), [[undefined, 'tokens'], [undefined, 'tokens']]);
    assert.deepEqual(said(rest(bad)), [
      [1, 'tokens', 'info', 'derived'],
      [2, 'C', 'warning', 'implausible'],
      [3, 'C', 'warning', 'bad-value'],
    ]);
  });
});

describe('sweep tables: rows and runs', () => {
  it('rows sharing a run name and differing only by step are one run: the last checkpoint, the earlier rows its curve', async () => {
    const r = await read('checkpoints.csv');
    const file = path.join(DIR, 'checkpoints.csv');
    assert.deepEqual(r.runs.map((x) => [x.id, x.name, x.tokens, bits(x), x.finalLoss]), [
      ['checkpoints.csv#s30m-bf16', 's30m-bf16', 1572864000, [16, 16, 16], 3.902],
      ['checkpoints.csv#s30m-int8', 's30m-int8', 1572864000, [8, 8, 8], 3.921],
      ['checkpoints.csv#s60m', 's60m (line 8)', 1572864000, [16, 16, 16], 3.712],
      ['checkpoints.csv#s60m.2', 's60m (line 9)', 1572864000, [4, 4, 4], 3.845],
    ]);
    assert.deepEqual(r.runs[0].sources.finalLoss, { file, line: 4, field: 'val_loss' });
    assert.deepEqual(r.runs[1].sources.finalLoss, { file, line: 6, field: 'val_loss' }, 'the highest step, wherever its row is');
    assert.deepEqual(r.runs[1].curve?.map((p) => [p.step, p.tokens, p.loss, p.split]), [
      [1000, 524288000, 4.335, 'val'],
      [2000, 1048576000, 4.04, 'val'],
      [3000, 1572864000, 3.921, 'val'],
    ]);
    assert.equal(r.runs[2].curve, undefined);
    assert.equal(grouping(r).line, 1);
    assert.deepEqual(rest(r), []);
  });

  it('without a step column the token count is the progress; experiment, group and sweep columns never make a run', async () => {
    const byTokens = await readText('by-tokens.csv', 'run,params,tokens,precision,val_loss\nr1,3e7,1e9,bf16,3.9\nr1,3e7,2e9,bf16,3.7\n');
    assert.deepEqual(byTokens.runs.map((x) => [x.name, x.tokens, x.finalLoss, x.curve?.length]), [['r1', 2e9, 3.7, 2]]);

    // 1,512 rows of a sweep with 12 experiments: 1,512 runs, not 12.
    const rows = Array.from({ length: 1512 }, (_, i) => `exp-${i % 12},${3e7 + i * 1e5},${1e9 + i * 1e6},bf16,${(3.9 - i / 1e4).toFixed(4)}`);
    const sweep = await readText('experiments.csv', `experiment,params,tokens,precision,val_loss\n${rows.join('\n')}\n`);
    assert.equal(sweep.runs.length, 1512);
    assert.equal(new Set(sweep.runs.map((x) => x.id)).size, 1512);
    assert.equal(sweep.runs[0].name, 'exp-0: N=30M, D=1B, bf16');
    assert.equal(grouping(sweep).field, undefined);
    assert.deepEqual(rest(sweep), []);
    for (const column of ['group', 'sweep']) {
      const t = await readText(`${column}.csv`, `${column},params,tokens,precision,val_loss\ng,3e7,1e9,bf16,3.9\ng,3e7,2e9,bf16,3.7\n`);
      assert.equal(t.runs.length, 2, column);
    }
  });
});

describe('sweep tables: JSON orients', () => {
  it('a dict of lists (pandas to_dict("list"), json.dump with indent): each cell traced to its own line', async () => {
    const r = await read('list-orient.json');
    const file = path.join(DIR, 'list-orient.json');
    assert.deepEqual(r.runs.map((x) => [x.name, x.params, x.tokens, x.precision?.w.name, x.finalLoss]), [
      ['d512', 25165824, 503316480, 'bf16', 4.0215],
      ['d768', 56623104, 1132462080, 'int8', 3.7342],
      ['d1024', 100663296, 2013265920, 'e4m3', 3.5108],
    ]);
    assert.deepEqual(r.runs[1].sources, {
      params: { file, line: 9, field: 'params' },
      tokens: { file, line: 14, field: 'tokens' },
      precision: { file, line: 19, field: 'precision' },
      finalLoss: { file, line: 24, field: 'val_loss' },
    });
    assert.deepEqual(rest(r), []);
    const nested = await readText('nested.json', JSON.stringify({ results: { params: [3e7, 6e7], tokens: [1.5e9, 3e9], precision: ['bf16', 'int8'], val_loss: [3.9, 3.6] } }));
    assert.deepEqual(nested.runs.map((x) => x.finalLoss), [3.9, 3.6]);
    const uneven = await readText('uneven.json', JSON.stringify({ params: [3e7, 6e7], tokens: [1.5e9, 3e9], precision: ['bf16', 'bf16'], val_loss: [3.9] }));
    assert.deepEqual(uneven.runs.map((x) => x.missing.join()), ['', 'finalLoss']);
    assert.ok(uneven.diagnostics.some((d) => d.code === 'bad-value' && d.line === 1));
  });

  it('polars\' column layout, pandas\' table orient; pandas\' values orient (no names) is not a table', async () => {
    const polars = await read('polars.json');
    assert.deepEqual(polars.runs.map((x) => [x.name, x.params, x.tokens, bits(x), x.finalLoss]), [
      ['p-a', 3e7, 1.5e9, [16, 16, 16], 3.8412],
      ['p-b', 6e7, 3e9, [4, 8, 8], 3.6571],
    ]);
    const table = await readText('table.json', JSON.stringify({ schema: { fields: [{ name: 'index', type: 'integer' }, { name: 'params', type: 'number' }], primaryKey: ['index'], pandas_version: '1.4.0' }, data: [{ index: 0, params: 3e7, tokens: 1.5e9, precision: 'bf16', val_loss: 3.9 }] }));
    assert.deepEqual(table.runs.map((x) => [x.params, x.finalLoss]), [[3e7, 3.9]]);
    const values = await readText('values.json', JSON.stringify([[3e7, 1.5e9, 'bf16', 3.9]]));
    assert.equal(values.notMine, true);
  });
});

describe('sweep tables: W&B UI exports', () => {
  const NAME = 'wandb_export_2025-03-14T09_12_44.512-07_00.csv';

  it('knows the export by its first columns', () => {
    assert.ok(isWandbExportHeader(['Name', 'State', 'Notes', 'User', 'Tags', 'Created', 'Runtime', 'Sweep', 'lr']));
    assert.ok(isWandbExportHeader(['Name', 'Agent', 'State', 'Notes', 'User', 'Tags', 'Created', 'Runtime', 'Sweep']), 'a sweep view adds Agent');
    assert.ok(isWandbExportHeader(['Name', 'State', 'METHOD.METHOD_NAME', 'Notes', 'User', 'Tags', 'Created', 'Runtime']));
    assert.ok(!isWandbExportHeader(['Name', 'State', 'params', 'loss']));
    assert.ok(!isWandbExportHeader(['name', 'state', 'Notes', 'User']));
  });

  it('one run per row: N, D through the aliases, the evaluation loss, State for unfinished runs, each value at its line and column', async () => {
    const r = await read(NAME);
    const file = path.join(DIR, NAME);
    assert.deepEqual(r.runs.map((x) => [x.id, x.name, x.params, x.tokens, x.finalLoss, x.unfinished ?? false, x.missing.join()]), [
      [`${NAME}#isoflop-1e18-d512-L8-B32`, 'isoflop-1e18-d512-L8-B32', 157286400, 999948288, 3.8712, false, 'precision'],
      [`${NAME}#isoflop-1e18-d768-L12-B32`, 'isoflop-1e18-d768-L12-B32', 281018368, 499908608, 3.764, false, 'precision'],
      [`${NAME}#isoflop-1e18-d1024-L16-B32`, 'isoflop-1e18-d1024-L16-B32', 436207616, 157286400, 3.9566, true, 'precision'],
      [`${NAME}#isoflop-1e18-d1280-L20-B32`, 'isoflop-1e18-d1280-L20-B32', 612368384, 40763392, undefined, true, 'precision,finalLoss'],
    ]);
    assert.deepEqual(r.runs[0].sources, {
      params: { file, line: 2, field: 'parameter_count' },
      tokens: { file, line: 2, field: 'throughput/total_tokens' },
      finalLoss: { file, line: 2, field: 'eval/paloma/macro_loss' },
    });
    assert.ok(r.runs.every((x) => x.reasons?.precision === 'no column of this row gives the training precision'));
    assert.ok(r.runs.every((x) => x.format === 'sweep-table' && x.file === file));
    // The running run logged a training loss only: it is not taken for the validation loss.
    assert.equal(r.runs[3].finalLoss, undefined);
    assert.deepEqual(said(rest(r)), [
      [1, 'precision', 'warning', 'missing-field'],
      [1, 'finalLoss', 'warning', 'missing-field'],
      [4, 'State', 'info', 'unfinished'],
      [5, 'State', 'info', 'unfinished'],
    ]);
    assert.match(rest(r)[1].message, /train\/loss is a training loss/);
    assert.equal(r.diagnostics.filter((d) => d.code === 'grouped').length, 0, 'one run per row goes without saying');
  });

  it('eval/loss before the Paloma macro average; D from total_gflops when no token count; an export with no evaluation loss is not read', async () => {
    const header = '"Name","State","Notes","User","Tags","Created","Runtime","Sweep"';
    const row = '"r1","finished","-","bob","","2025-01-02T03:04:05.000Z","60",""';
    const both = await readText('wandb_export_a.csv', `${header},"eval/loss","eval/paloma/macro_loss","parameter_count","throughput/total_tokens","train/loss"\n${row},"3.1","3.4","100000000","2000000000","2.9"\n`);
    assert.deepEqual([both.runs[0].finalLoss, both.runs[0].sources.finalLoss?.field], [3.1, 'eval/loss']);
    const compute = await readText('wandb_export_b.csv', `${header},"eval/loss","parameter_count","throughput/total_gflops"\n${row},"3.1","100000000","1200000000"\n`);
    assert.equal(compute.runs[0].tokens, 2e9);
    assert.equal(compute.runs[0].sources.tokens?.field, 'throughput/total_gflops / (6 × parameter_count)');
    assert.ok(compute.diagnostics.some((d) => d.code === 'derived'));
    const trainOnly = await readText('wandb_export_c.csv', `${header},"loss","train/loss","parameter_count"\n${row},"3.1","3.0","100000000"\n`);
    assert.equal(trainOnly.notMine, true);
  });

  it('a W&B export with a precision column is complete; its implausible values are said like a table\'s', async () => {
    const header = '"Name","State","Notes","User","Tags","Created","Runtime","Sweep","precision","eval/loss","parameter_count","throughput/total_tokens"';
    const r = await readText('wandb_export_d.csv', `${header}\n"ok","finished","-","bob","","2025-01-02T03:04:05.000Z","60","","bf16","3.1","100000000","2000000000"\n"small","finished","-","bob","","2025-01-02T03:04:05.000Z","60","","bf16","3.1","125","2000000000"\n`);
    assert.deepEqual(r.runs.map((x) => [x.name, x.params, bits(x), x.missing.join()]), [['ok', 1e8, [16, 16, 16], ''], ['small', undefined, [16, 16, 16], 'params']]);
    assert.deepEqual(said(rest(r)), [[3, 'parameter_count', 'warning', 'implausible']]);
  });
});

describe('sweep tables: repeated rows', () => {
  it('a row repeating an earlier row of its run value for value is one run, the repeat said as a duplicate', async () => {
    const r = await readText('repeat.csv', 'name,params,tokens,precision,val_loss\nx,3e7,1.5e9,bf16,3.9\nx,3e7,1.5e9,bf16,3.9\ny,3e7,1.5e9,bf16,3.8\n');
    assert.deepEqual(r.runs.map((x) => [x.id, x.name, x.finalLoss]), [['repeat.csv#x', 'x', 3.9], ['repeat.csv#y', 'y', 3.8]]);
    assert.deepEqual(said(rest(r)), [[3, undefined, 'warning', 'duplicate']]);
  });
});
