import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import { argListEntries } from '../../src/runs/argList';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { scan } from '../../src/runs/discover';
import { parseConfigPrecision } from '../../src/runs/facts';
import { READERS } from '../../src/runs/readers';
import { JSON_RECORD_FORMAT, isJsonRecordCandidate, jsonRecordReader, readJsonRecord } from '../../src/runs/readers/jsonRecord';
import { type LossCandidate, chooseLoss, setWords } from '../../src/runs/readers/jsonRecordLoss';
import { isComplete } from '../../src/runs/run';

const FIXTURES = path.resolve(__dirname, '../fixtures/json-record');
const SWEEP_FIXTURES = path.resolve(__dirname, '../fixtures/sweep-tables');
const context = { root: FIXTURES, aliases: DEFAULT_ALIASES };
const OPENLM = path.join(FIXTURES, 'openlm/exp_data/models/c4_original-d=128_l=4_h=4-1.0.json');
const RPJ = path.join(FIXTURES, 'openlm/exp_data/models/rpj-d=128_l=4_h=4-1.0.json');
const DIVERGED = path.join(FIXTURES, 'diverged/c4_original-d=128_l=4_h=4-nan.json');
const MARIN = path.join(FIXTURES, 'marin/experiments/speedrun/llama_tiny/speedrun_results.json');
const MARIN_PAIR = path.join(FIXTURES, 'marin/experiments/speedrun/llama_pair/speedrun_results.json');

/** 1-based line of the n-th line containing `needle` (the fixture's own text, so the tests follow the file). */
function lineOf(file: string, needle: string, nth = 1): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  let seen = 0;
  const i = lines.findIndex((l) => l.includes(needle) && ++seen === nth);
  assert.ok(i >= 0, `${needle} not in ${file}`);
  return i + 1;
}

const codes = (ds: readonly Diagnostic[]) => ds.map((d) => [d.severity, d.code, d.field]);
const base = (file: string) => path.relative(FIXTURES, file);

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-json-record-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A fixture's JSON, changed by `edit`, written to the scratch folder under `name`. */
async function variant(fixture: string, name: string, edit: (json: Record<string, unknown>) => unknown): Promise<string> {
  const json = JSON.parse(readFileSync(fixture, 'utf8').replace(/\bNaN\b/g, 'null')) as Record<string, unknown>;
  const file = path.join(tmp, name);
  await writeFile(file, JSON.stringify(edit(json) ?? json, null, 4));
  return file;
}

describe('json-record reader: which files', () => {
  it('is registered before the sweep-table reader and offered every .json the sweep-table reader is', () => {
    const ids = READERS.map((r) => r.id);
    assert.ok(ids.indexOf(JSON_RECORD_FORMAT) >= 0 && ids.indexOf(JSON_RECORD_FORMAT) < ids.indexOf('sweep-table'));
    const sweep = READERS.find((r) => r.id === 'sweep-table');
    for (const name of ['results.json', 'speedrun_results.json', 'c4_original-d=512_l=8_h=4-1.0.json', 'runs.json']) {
      assert.equal(jsonRecordReader.matches(name, `/w/${name}`), true, name);
      assert.equal(sweep?.matches(name, `/w/${name}`), true, name);
    }
  });

  it('never takes another reader’s file, a tool’s configuration or a non-JSON file', () => {
    const cases: Array<[string, string]> = [
      ['trainer_state.json', '/w/out/trainer_state.json'],
      ['wandb-summary.json', '/w/wandb/run-20240101_000000-abc/files/wandb-summary.json'],
      ['run.json', '/w/sweep/a/run.json'],
      ['config.json', '/w/out/config.json'],
      ['all_results.json', '/w/out/all_results.json'],
      ['package.json', '/w/package.json'],
      ['tsconfig.json', '/w/tsconfig.json'],
      ['tsconfig.build.json', '/w/tsconfig.build.json'],
      ['settings.json', '/w/.vscode/settings.json'],
      ['runs.jsonl', '/w/runs.jsonl'],
      ['runs.csv', '/w/runs.csv'],
    ];
    for (const [name, file] of cases) assert.equal(isJsonRecordCandidate(name, file), false, file);
    for (const reader of READERS.filter((r) => r.id !== JSON_RECORD_FORMAT && r.id !== 'sweep-table')) {
      for (const [name, file] of cases) if (reader.matches(name, file)) assert.equal(jsonRecordReader.matches(name, file), false, `${reader.id}: ${file}`);
    }
  });

  it('leaves tables to the sweep-table reader: lists of flat rows, a dict of columns, pandas layouts', async () => {
    for (const file of ['records.json', 'runs.json', 'columns.json'].map((f) => path.join(SWEEP_FIXTURES, f)).concat(path.join(FIXTURES, 'not-runs/columns.json'))) {
      const r = await readJsonRecord(file, context);
      assert.deepEqual([r.notMine, r.runs.length, r.diagnostics.length], [true, 0, 0], file);
    }
    // …which still reads them.
    const scanned = await scan([path.join(SWEEP_FIXTURES, 'runs.json')]);
    assert.ok(scanned.runs.length > 0 && scanned.runs.every((run) => run.format === 'sweep-table'));
  });

  it('leaves JSON that holds no run: a model config, a training config, training-only golden values', async () => {
    for (const name of ['openlm/scaling/open_lm_configs/d=128_l=4_h=4.json', 'not-runs/ds_config.json', 'not-runs/golden_values_dev_dgx_h100.json']) {
      const r = await readJsonRecord(path.join(FIXTURES, name), context);
      assert.deepEqual([r.notMine, r.runs.length, r.diagnostics.length], [true, 0, 0], name);
    }
    for (const [name, text] of [
      ['empty.json', ''],
      ['scalar.json', '42'],
      ['garbage.json', '{"a": [1, 2'],
      ['nested.json', '{"model": {"name": "x"}, "notes": ["a", "b"]}'],
    ]) {
      const file = path.join(tmp, name);
      await writeFile(file, text);
      assert.equal((await readJsonRecord(file, context)).notMine, true, name);
    }
  });
});

describe('json-record reader: open_lm records', () => {
  it('reads N from params_no_embed (not the total params), D from hyperparameters.tokens, bf16 from --precision amp_bfloat16, the C4 validation loss', async () => {
    const r = await readJsonRecord(OPENLM, context);
    assert.equal(r.notMine, undefined);
    assert.equal(r.runs.length, 1);
    const run = r.runs[0];
    assert.equal(run.id, base(OPENLM));
    assert.equal(run.name, 'c4_original-d=128_l=4_h=4-1.0');
    assert.equal(run.format, JSON_RECORD_FORMAT);
    assert.equal(run.params, 790016);
    assert.equal(run.tokens, 274012160);
    assert.deepEqual(run.precision, { w: { bits: 16, type: 'fp', name: 'bf16' }, a: { bits: 16, type: 'fp', name: 'bf16' }, kv: { bits: 16, type: 'fp', name: 'bf16' } });
    assert.equal(run.finalLoss, 5.101934432983398);
    assert.ok(isComplete(run));
    assert.deepEqual(run.sources, {
      params: { file: OPENLM, line: lineOf(OPENLM, '"params_no_embed"'), field: 'hyperparameters.params_no_embed' },
      tokens: { file: OPENLM, line: lineOf(OPENLM, '"tokens": 274012160'), field: 'hyperparameters.tokens' },
      precision: { file: OPENLM, line: lineOf(OPENLM, '"--precision"'), field: 'open_lm_args.precision' },
      finalLoss: { file: OPENLM, line: lineOf(OPENLM, '"loss": 5.101934432983398'), field: 'results[1].loss' },
    });
    assert.equal(run.meta?.evalSet, 'c4_val');
    // One diagnostic: which of the four evaluation losses was taken, and why.
    assert.deepEqual(codes(r.diagnostics), [['info', 'conflict', 'results[1].loss']]);
    assert.equal(r.diagnostics[0].line, run.sources.finalLoss?.line);
    assert.deepEqual(r.inputs, [OPENLM]);
  });

  it('says which loss it took when no evaluation set is named after the training data; reads --precision amp as fp16', async () => {
    const r = await readJsonRecord(RPJ, context);
    const run = r.runs[0];
    assert.equal(run.finalLoss, 5.912406253814697);
    assert.equal(run.sources.finalLoss?.field, 'results[0].loss');
    assert.equal(run.meta?.evalSet, 'val_tok_mult/openlm');
    assert.deepEqual([run.precision?.w.name, run.precision?.a.bits, run.precision?.kv.type], ['fp16', 16, 'fp']);
    assert.deepEqual(codes(r.diagnostics), [['info', 'conflict', 'results[0].loss']]);
  });

  it('a NaN loss on the training distribution is no final loss, and no other set’s loss stands in for it', async () => {
    const r = await readJsonRecord(DIVERGED, context);
    const run = r.runs[0];
    assert.equal(run.finalLoss, undefined);
    assert.deepEqual(run.missing, ['finalLoss']);
    assert.match(run.reasons?.finalLoss ?? '', /NaN/);
    const bad = r.diagnostics.filter((d) => d.code === 'bad-value');
    assert.deepEqual(
      bad.map((d) => [d.severity, d.line, d.field]),
      [['warning', lineOf(DIVERGED, '"loss": NaN'), 'results[1].loss']],
    );
  });

  it('is one run: the evaluation token counts of the results list are not D, and its entries are not runs', async () => {
    const scanned = await scan([path.join(FIXTURES, 'openlm')]);
    assert.deepEqual(scanned.runs.map((r) => [r.id, r.format, r.tokens]).sort(), [
      ['exp_data/models/c4_original-d=128_l=4_h=4-1.0.json', JSON_RECORD_FORMAT, 274012160],
      ['exp_data/models/rpj-d=128_l=4_h=4-1.0.json', JSON_RECORD_FORMAT, 274012160],
    ]);
  });

  it('a record cut short keeps what it holds and says there is a syntax error', async () => {
    const text = readFileSync(OPENLM, 'utf8');
    const file = path.join(tmp, 'cut.json');
    await writeFile(file, text.slice(0, text.indexOf('"val_data"', text.indexOf('5.143218994140625'))));
    const r = await readJsonRecord(file, context);
    assert.equal(r.runs.length, 1);
    assert.equal(r.runs[0].params, 790016);
    assert.equal(r.runs[0].finalLoss, 5.101934432983398);
    assert.ok(r.diagnostics.some((d) => d.code === 'syntax' && d.severity === 'warning'));
  });

  it('what sits under an evaluation key is no setting: the token count of results keyed by set is not D', async () => {
    const file = await variant(OPENLM, 'keyed-results.json', (j) => {
      const hyper = j.hyperparameters as Record<string, unknown>;
      delete hyper.tokens;
      const results = j.results as Array<Record<string, unknown>>;
      j.results = { c4_val: results[1], openlm: results[0] };
    });
    const r = await readJsonRecord(file, context);
    const run = r.runs[0];
    assert.equal(run.tokens, undefined);
    assert.ok(run.missing.includes('tokens'));
    assert.ok(r.diagnostics.some((d) => d.code === 'missing-field' && d.field === 'tokens'));
    assert.deepEqual([run.finalLoss, run.sources.finalLoss?.field], [5.101934432983398, 'results.c4_val.loss']);
  });

  it('a flat object with N, D, a precision and a validation loss is one run (no table reader takes a lone row)', async () => {
    const file = path.join(tmp, 'summary.json');
    await writeFile(file, '{\n  "name": "tiny",\n  "n_params": "124M",\n  "train_tokens": 2.5e9,\n  "precision": "bf16",\n  "train_loss": 3.1,\n  "val_loss": 3.3\n}\n');
    const r = await readJsonRecord(file, { ...context, root: tmp });
    assert.deepEqual(
      r.runs.map((run) => [run.id, run.params, run.tokens, run.precision?.w.name, run.finalLoss, run.sources.finalLoss?.line]),
      [['summary.json', 124e6, 2.5e9, 'bf16', 3.3, 7]],
    );
    assert.deepEqual(r.diagnostics, []);
  });

  it('a run whose status says it failed is unfinished', async () => {
    const file = await variant(OPENLM, 'failed.json', (j) => ({ ...j, status: 'failed' }));
    const r = await readJsonRecord(file, context);
    assert.equal(r.runs[0].unfinished, true);
    assert.ok(r.diagnostics.some((d) => d.code === 'unfinished' && d.field === 'status'));
  });
});

describe('json-record reader: Marin speedrun results', () => {
  it('a list of one run: id file#0, N counted from the Levanter model_config (model_size counts the embeddings), D total_tokens, the bpb not taken for a loss', async () => {
    const r = await readJsonRecord(MARIN, context);
    assert.equal(r.runs.length, 1);
    const run = r.runs[0];
    assert.equal(run.id, `${base(MARIN)}#0`);
    assert.equal(run.name, 'llama_tiny/speedrun_results');
    // 4 layers x (4·256² + 3·256·896 + 2·256) + 256; model_size 69470464 adds 2 x 128256 x 256.
    assert.equal(run.params, 3803392);
    assert.equal(run.tokens, 524288000);
    assert.equal(run.precision, undefined);
    assert.equal(run.finalLoss, undefined);
    assert.deepEqual(run.missing, ['precision', 'finalLoss']);
    assert.match(run.reasons?.finalLoss ?? '', /bits-per-byte/);
    assert.equal(run.sources.tokens?.field, 'run_info.total_tokens');
    assert.equal(run.sources.tokens?.line, lineOf(MARIN, '"total_tokens"'));
    assert.match(run.sources.params?.field ?? '', /^architecture \(model_type, hidden_size/);
    assert.equal(run.sources.params?.file, MARIN);
    assert.equal(run.meta?.record, 'runs[0]');
    assert.deepEqual(codes(r.diagnostics), [
      ['warning', 'missing-field', 'precision'],
      ['info', 'derived', 'run_info.model_config'],
      ['info', 'derived', 'run_info.model_size'],
      ['warning', 'missing-field', 'finalLoss'],
    ]);
    const renamed = r.diagnostics.find((d) => d.field === 'run_info.model_config');
    assert.equal(renamed?.line, lineOf(MARIN, '"hidden_dim"'));
    const total = r.diagnostics.find((d) => d.field === 'run_info.model_size');
    assert.equal(total?.line, lineOf(MARIN, '"model_size"'));
  });

  it('several runs in one file: ids file#0 and file#1; D from model_flops / 6N only where nothing else gives it', async () => {
    const r = await readJsonRecord(MARIN_PAIR, context);
    assert.deepEqual(
      r.runs.map((run) => [run.id, run.params, run.tokens]),
      [
        [`${base(MARIN_PAIR)}#0`, 3803392, 524288000],
        [`${base(MARIN_PAIR)}#1`, 9442176, 1048576000],
      ],
    );
    assert.deepEqual(r.runs.map((run) => run.sources.tokens?.field), ['run_info.total_tokens', 'run_info.model_flops / (6 × N)']);
    assert.equal(r.runs[1].sources.tokens?.line, lineOf(MARIN_PAIR, '"model_flops"', 2));
    assert.equal(r.runs[1].meta?.tokensFrom, 'training FLOPs / 6N');
    assert.deepEqual(r.runs.map((run) => run.name), ['llama_pair/speedrun_results#0', 'llama_pair/speedrun_results#1']);
    const derivedD = r.diagnostics.filter((d) => d.code === 'derived' && d.field === 'tokens');
    assert.deepEqual(derivedD.map((d) => [d.severity, d.line]), [['info', lineOf(MARIN_PAIR, '"model_flops"', 2)]]);
    // D was derived, so no "tokens not found" for the second run.
    assert.equal(r.diagnostics.filter((d) => d.code === 'missing-field' && d.field === 'tokens').length, 0);
  });

  it('an entry of the list that is no run is skipped, saying so; the others are read', async () => {
    const file = await variant(MARIN, 'with-note.json', (j) => ({ runs: [...(j.runs as unknown[]), { note: { text: 'rerun pending' } }] }));
    const r = await readJsonRecord(file, context);
    assert.equal(r.runs.length, 1);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.code === 'bad-value').map((d) => [d.severity, d.field]),
      [['warning', 'runs[1]']],
    );
  });

  it('a stated total that the architecture cannot explain as embeddings is kept as N, with a conflict warning', async () => {
    const file = await variant(MARIN, 'odd-size.json', (j) => {
      const info = (j.runs as Array<{ run_info: Record<string, unknown> }>)[0].run_info;
      info.model_size = 3803392 + 1001;
    });
    const r = await readJsonRecord(file, context);
    assert.equal(r.runs[0].params, 3803392 + 1001);
    assert.equal(r.runs[0].sources.params?.field, 'run_info.model_size');
    assert.deepEqual(
      r.diagnostics.filter((d) => d.code === 'conflict').map((d) => [d.severity, d.field]),
      [['warning', 'run_info.model_size']],
    );
  });

  it('a Levanter config with experts is not counted as a Llama', async () => {
    const file = await variant(MARIN, 'moe.json', (j) => {
      const config = (j.runs as Array<{ run_info: { model_config: Record<string, unknown> } }>)[0].run_info.model_config;
      config.n_routed_experts = 8;
    });
    const r = await readJsonRecord(file, context);
    assert.equal(r.runs[0].params, 69470464);
    assert.ok(r.diagnostics.some((d) => d.code === 'unsupported' && d.field === 'run_info.model_config.n_routed_experts'));
  });
});

describe('json-record reader: a scan', () => {
  it('reads every record of the fixtures and nothing else; the table among them goes on to the sweep-table reader', async () => {
    const scanned = await scan([FIXTURES]);
    const tables = scanned.runs.filter((r) => r.format === 'sweep-table');
    assert.deepEqual([...new Set(tables.map((r) => r.file.slice(FIXTURES.length + 1)))], ['not-runs/columns.json']);
    assert.deepEqual(scanned.runs.filter((r) => r.format !== 'sweep-table').map((r) => r.id).sort(), [
      'diverged/c4_original-d=128_l=4_h=4-nan.json',
      'marin/experiments/speedrun/llama_pair/speedrun_results.json#0',
      'marin/experiments/speedrun/llama_pair/speedrun_results.json#1',
      'marin/experiments/speedrun/llama_tiny/speedrun_results.json#0',
      'openlm/exp_data/models/c4_original-d=128_l=4_h=4-1.0.json',
      'openlm/exp_data/models/rpj-d=128_l=4_h=4-1.0.json',
    ]);
    assert.ok(scanned.runs.every((r) => r.format === JSON_RECORD_FORMAT || r.format === 'sweep-table'));
  });
});

describe('command lines as entries', () => {
  const items = (...values: string[]) => values.map((value, i) => ({ value, line: i + 1 }));

  it('flags with one value, several values, none, and --name=value; dashes as underscores; the line of the flag', () => {
    const entries = argListEntries(items('train.py', '--precision', 'amp_bfloat16', '--val-data', 'a.tar', 'b.tar', '--fsdp', '--lr=3e-4', '--epochs', '5'), 'args', 'f.json');
    assert.deepEqual(
      entries.map((e) => [e.key, e.value, e.line]),
      [
        ['args.precision', 'amp_bfloat16', 2],
        ['args.val_data', ['a.tar', 'b.tar'], 4],
        ['args.fsdp', true, 7],
        ['args.lr', 0.0003, 8],
        ['args.epochs', 5, 9],
      ],
    );
  });

  it('a flag given twice keeps its last value, as argparse does; a list without flags is no command line', () => {
    assert.deepEqual(
      argListEntries(items('--lr', '1', '--lr', '2'), '', 'f.json').map((e) => [e.key, e.value, e.line]),
      [['lr', 2, 3]],
    );
    assert.deepEqual(argListEntries(items('grads', 'params'), 'watch', 'f.json'), []);
    assert.deepEqual(argListEntries([{ value: 1 }, { value: '--x' }], 'p', 'f.json'), []);
  });
});

describe('open_lm precision spellings', () => {
  it('amp_bfloat16, amp_bf16 and pure_bf16 are bf16; amp and pure_fp16 are fp16', () => {
    for (const [spelling, name] of [
      ['amp_bfloat16', 'bf16'],
      ['amp_bf16', 'bf16'],
      ['pure_bf16', 'bf16'],
      ['amp', 'fp16'],
      ['pure_fp16', 'fp16'],
      ['AMP_BFLOAT16', 'bf16'],
    ]) {
      const p = parseConfigPrecision(spelling);
      assert.deepEqual([p?.w.name, p?.a.name, p?.kv.name, p?.w.bits], [name, name, name, 16], spelling);
    }
    assert.equal(parseConfigPrecision('amp_int8'), undefined);
  });

  it('non-embedding parameter names come before total counts among the params aliases; total_tokens is a token count', () => {
    const params = DEFAULT_ALIASES.params;
    for (const name of ['non_embedding_params', 'n_non_embedding_params', 'params_no_embed']) assert.ok(params.indexOf(name) >= 0 && params.indexOf(name) < params.indexOf('params'), name);
    assert.ok(DEFAULT_ALIASES.tokens.includes('total_tokens'));
  });
});

describe('choosing the final loss', () => {
  const candidate = (set: string, value: number, order: number, step?: number): LossCandidate => ({
    value,
    set,
    order,
    source: { file: 'r.json', line: order + 10, field: `results[${order}].loss` },
    ...(step !== undefined ? { step } : {}),
  });
  const data = (value: string) => [{ key: 'dataset_name', value, file: 'r.json', line: 2 }];

  it('one set: its last evaluation by step, without a word', () => {
    const choice = chooseLoss([candidate('results', 3.1, 0, 200), candidate('results', 3.4, 1, 100), candidate('results', 3.0, 2, 300)], [], 'r.json');
    assert.deepEqual([choice.chosen?.value, choice.diagnostics.length], [3.0, 0]);
  });

  it('several sets: the one named after the training data, else the one naming no set, else the first; each said as info', () => {
    const sets = [candidate('paloma_ptb', 5.0, 0), candidate('c4_val', 3.2, 1), candidate('val', 3.3, 2)];
    const matched = chooseLoss(sets, data('c4_original'), 'r.json');
    assert.equal(matched.chosen?.value, 3.2);
    assert.deepEqual(codes(matched.diagnostics), [['info', 'conflict', 'results[1].loss']]);
    const unnamed = chooseLoss(sets, data('fineweb'), 'r.json');
    assert.equal(unnamed.chosen?.value, 3.3);
    const first = chooseLoss([candidate('paloma_ptb', 5.0, 0), candidate('wikitext', 4.0, 1)], data('fineweb'), 'r.json');
    assert.equal(first.chosen?.value, 5.0);
    assert.deepEqual(codes(first.diagnostics), [['info', 'conflict', 'results[0].loss']]);
  });

  it('set names are compared by their distinctive words', () => {
    assert.deepEqual(setWords('training/eval_data/c4_val/shard-{0000000..0000010}.tar'), ['c4']);
    assert.deepEqual(setWords('s3://bucket/original_c4/manifest.jsonl'), ['bucket', 'original', 'c4']);
  });
});
