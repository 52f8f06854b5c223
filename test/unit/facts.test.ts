import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ALIASES, extendAliases } from '../../src/runs/aliases';
import { type ConfigEntry } from '../../src/runs/entries';
import { EntryIndex, describeSource, findConfigFacts, findName, numberOf, parseConfigPrecision } from '../../src/runs/facts';
import { KeyedCurves, lossKeys, splitOf } from '../../src/runs/curves';
import { jsonEntries, parseJsonWithLines } from '../../src/runs/jsonDoc';
import { yamlEntries } from '../../src/runs/yamlDoc';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { PRECISION_NAMES } from '../../src/runs/precision';

const FILE = '/runs/hparams.yaml';
const entry = (key: string, value: unknown, line?: number): ConfigEntry => ({ key, value, file: FILE, line });
const facts = (entries: ConfigEntry[], aliases = DEFAULT_ALIASES) => findConfigFacts(entries, aliases, { file: FILE, where: 'hparams.yaml' });
const brief = (d: Diagnostic) => [d.line, d.field, d.severity, d.code];

describe('yamlEntries', () => {
  it('flattens nested mappings with the line of every key', () => {
    const text = ['trainer:', '  precision: bf16-mixed', '  max_steps: 600', 'model:', '  n_layer: 6', '  sizes: [1, 2, 3]', 'name: run-a', ''].join('\n');
    const diagnostics: Diagnostic[] = [];
    const parsed = yamlEntries(text, FILE, diagnostics);
    assert.deepEqual(diagnostics, []);
    assert.equal(parsed.isMapping, true);
    assert.deepEqual(
      parsed.entries.map((e) => [e.key, e.value, e.line]),
      [
        ['trainer.precision', 'bf16-mixed', 2],
        ['trainer.max_steps', 600, 3],
        ['model.n_layer', 6, 5],
        ['model.sizes', [1, 2, 3], 6],
        ['name', 'run-a', 7],
      ],
    );
    assert.deepEqual(parsed.top.trainer, { precision: 'bf16-mixed', max_steps: 600 });
    assert.equal(parsed.topLines.model, 4);
  });

  it("unwraps W&B's {desc, value} and keeps the rest of the file after a syntax error", () => {
    const text = ['wandb_version: 1', 'lr:', '  desc: null', '  value: 0.001', 'model:', '  value:', '    n_params: 12M', 'tags: [a, b', 'seed:', '  value: 7', ''].join('\n');
    const diagnostics: Diagnostic[] = [];
    const parsed = yamlEntries(text, FILE, diagnostics, { unwrapValue: true });
    assert.deepEqual(
      parsed.entries.slice(0, 3).map((e) => [e.key, e.value, e.line]),
      [
        ['wandb_version', 1, 1],
        ['lr', 0.001, 2],
        ['model.n_params', '12M', 7],
      ],
    );
    assert.equal(parsed.recovered, true);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].line, 9);
    assert.match(diagnostics[0].message, /^syntax error: flow sequence in block collection must be sufficiently indented and end with a \]$/);
  });

  it('duplicate keys: the first is read, the second named', () => {
    const diagnostics: Diagnostic[] = [];
    const parsed = yamlEntries('n_params: 10\nn_params: 20\n', FILE, diagnostics);
    assert.deepEqual(
      parsed.entries.map((e) => e.value),
      [10],
    );
    assert.deepEqual(diagnostics.map(brief), [[2, 'n_params', 'warning', 'duplicate']]);
  });

  it('YAML .nan, Python tags and anchors', () => {
    const diagnostics: Diagnostic[] = [];
    const parsed = yamlEntries('loss: .nan\nshape: !!python/tuple [1, 2]\nbase: &b {lr: 1}\nother: *b\n', FILE, diagnostics);
    const values = Object.fromEntries(parsed.entries.map((e) => [e.key, e.value]));
    assert.ok(Number.isNaN(values.loss));
    assert.deepEqual(values.shape, [1, 2]);
    assert.equal(values['other.lr'], 1);
    assert.deepEqual(diagnostics, [], 'unknown tags are not problems here');
  });

  it('a list or an empty file is not a mapping', () => {
    assert.equal(yamlEntries('- a\n- b\n', FILE, []).isMapping, false);
    assert.equal(yamlEntries('', FILE, []).isMapping, false);
  });

  it('an alias bomb is cut off, not expanded', () => {
    const lines = ['a: &a {x: 1, y: 2}'];
    for (let i = 0; i < 12; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} {p: *${String.fromCharCode(97 + i)}, q: *${String.fromCharCode(97 + i)}, r: *${String.fromCharCode(97 + i)}}`);
    const diagnostics: Diagnostic[] = [];
    const started = Date.now();
    const parsed = yamlEntries(lines.join('\n'), FILE, diagnostics);
    assert.ok(Date.now() - started < 5000);
    assert.ok(parsed.entries.length <= 20_000);
    assert.ok(diagnostics.some((d) => /the rest are not read/.test(d.message)));
  });
});

describe('parseJsonWithLines and jsonEntries', () => {
  it('bare NaN and Infinity are read as strings, lines unchanged', () => {
    const text = '{\n  "a": NaN,\n  "b": -Infinity,\n  "c": {"_type": "histogram", "bins": [1]},\n  "d": {"e": 2},\n  "f": [1, 2]\n}';
    const diagnostics: Diagnostic[] = [];
    const json = parseJsonWithLines(text, FILE, diagnostics);
    assert.deepEqual(diagnostics, []);
    const entries = jsonEntries(json, FILE, (key) => key === 'c');
    assert.deepEqual(
      entries.map((e) => [e.key, e.value, e.line]),
      [
        ['a', 'NaN', 2],
        ['b', '-Infinity', 3],
        ['d.e', 2, 5],
        ['f', [1, 2], 6],
      ],
    );
  });

  it('syntax errors on their lines', () => {
    const diagnostics: Diagnostic[] = [];
    const json = parseJsonWithLines('{\n  "a": 1,\n  "b": 2', FILE, diagnostics, 'error');
    assert.deepEqual(diagnostics.map(brief), [[3, undefined, 'error', 'syntax']]);
    assert.equal(diagnostics[0].message, 'syntax error: close brace expected');
    assert.equal(json.recovered, true);
    assert.deepEqual(
      jsonEntries(json, FILE).map((e) => e.value),
      [1, 2],
    );
  });
});

describe('EntryIndex', () => {
  it('whole keys before last segments, shallow before deep, one-letter names whole only', () => {
    const index = new EntryIndex([entry('model.encoder.n_params', 1), entry('model.n_params', 2), entry('n_params', 3), entry('sampler.n', 4), entry('N', 5)]);
    assert.deepEqual(
      index.find(['n_params']).map((e) => e.value),
      [3, 2, 1],
    );
    assert.deepEqual(
      index.find(['N']).map((e) => e.value),
      [5],
    );
    assert.deepEqual(
      index.find(['model.n_params']).map((e) => e.value),
      [2],
      'a user alias may name a nested key',
    );
  });
});

describe('parseConfigPrecision', () => {
  const all = (name: string) => ({ w: PRECISION_NAMES[name], a: PRECISION_NAMES[name], kv: PRECISION_NAMES[name] });
  it("Lightning's spellings", () => {
    for (const [value, name] of [
      ['bf16-mixed', 'bf16'],
      ['bf16-true', 'bf16'],
      ['16-mixed', 'fp16'],
      ['16-true', 'fp16'],
      ['32-true', 'fp32'],
      ['32', 'fp32'],
      ['64-true', 'fp64'],
      [16, 'fp16'],
      [32, 'fp32'],
      ['bf16', 'bf16'],
      ['torch.bfloat16', 'bf16'],
      ['float16', 'fp16'],
    ] as const) {
      assert.deepEqual(parseConfigPrecision(value), all(name), String(value));
    }
    assert.deepEqual(parseConfigPrecision('transformer-engine'), { w: PRECISION_NAMES.e4m3, a: PRECISION_NAMES.e4m3, kv: PRECISION_NAMES.bf16 });
    assert.deepEqual(parseConfigPrecision('transformer-engine-float16')?.kv, PRECISION_NAMES.fp16);
  });

  it('the shared vocabulary, and what it is not', () => {
    assert.deepEqual(parseConfigPrecision('w4a8'), { w: { bits: 4, type: 'int' }, a: { bits: 8, type: 'int' }, kv: { bits: 8, type: 'int' } });
    assert.deepEqual(parseConfigPrecision(8), { w: { bits: 8, type: 'int' }, a: { bits: 8, type: 'int' }, kv: { bits: 8, type: 'int' } });
    for (const bad of ['auto', 'mixed', '16-bogus', true, null, '']) assert.equal(parseConfigPrecision(bad), undefined, String(bad));
  });
});

describe('findConfigFacts', () => {
  it('N, D and precision with their sources', () => {
    const result = facts([entry('n_params', '85M', 2), entry('train_tokens', 2.4e9, 3), entry('precision', 'bf16-mixed', 4)]);
    assert.deepEqual(result.diagnostics, []);
    assert.deepEqual(result.params, { value: 85e6, source: { file: FILE, line: 2, field: 'n_params' } });
    assert.deepEqual(result.tokens, { value: 2.4e9, source: { file: FILE, line: 3, field: 'train_tokens' } });
    assert.deepEqual(result.precision?.value.w, PRECISION_NAMES.bf16);
    assert.deepEqual(result.precision?.source, { file: FILE, line: 4, field: 'precision' });
  });

  it('D from steps × batch size × sequence length, said so; unset factors (-1) ignored', () => {
    const result = facts([entry('trainer.max_steps', -1, 1), entry('max_iters', 5000, 2), entry('data.batch_size', 12, 3), entry('model.block_size', 1024, 4), entry('params', 1e6, 5), entry('dtype', 'float32', 6)]);
    assert.equal(result.tokens?.value, 5000 * 12 * 1024);
    assert.equal(result.tokens?.source.field, 'max_iters × data.batch_size × model.block_size');
    assert.equal(result.tokens?.product?.seqLen.source.line, 4);
    assert.deepEqual(result.diagnostics.map(brief), [[2, 'tokens', 'info', 'derived']]);
    assert.match(result.diagnostics[0].message, /computed as max_iters × data\.batch_size × model\.block_size = 5000 × 12 × 1024 = 61440000 \(from hparams\.yaml line 2, hparams\.yaml line 3, hparams\.yaml line 4\); no file gives the number of devices, so one device is assumed/);
  });

  it('missing fields: one diagnostic each, saying what would provide them', () => {
    const result = facts([entry('batch_size', 32, 1), entry('lr', 0.1, 2)]);
    assert.deepEqual(result.diagnostics.map(brief), [
      [undefined, 'params', 'warning', 'missing-field'],
      [undefined, 'tokens', 'warning', 'missing-field'],
      [undefined, 'precision', 'warning', 'missing-field'],
    ]);
    assert.match(result.diagnostics[0].message, /^params \(N, the non-embedding parameter count\) not found in hparams\.yaml, nor architecture fields to count it from; log it as non_embedding_params, n_non_embedding_params/);
    assert.match(result.diagnostics[1].message, /\(found batch size, but not all three\)/);
    assert.match(result.diagnostics[2].message, /weight, activation and kv bits/);
  });

  it('unusable values are named and the next candidate is taken', () => {
    const result = facts([entry('n_params', 'lots', 1), entry('model.num_params', 4e6, 2), entry('tokens', -5, 3), entry('precision', 'auto', 4), entry('dtype', 'bfloat16', 5)]);
    assert.equal(result.params?.value, 4e6);
    assert.equal(result.precision?.source.field, 'dtype');
    assert.deepEqual(result.diagnostics.map(brief), [
      [1, 'n_params', 'warning', 'bad-value'],
      [3, 'tokens', 'warning', 'bad-value'],
      [4, 'precision', 'warning', 'bad-value'],
      [undefined, 'tokens', 'warning', 'missing-field'],
    ]);
    assert.match(result.diagnostics[0].message, /n_params is the string "lots", not a usable parameter count; ignored/);
    assert.match(result.diagnostics[2].message, /precision is the string "auto", not a precision this reader knows/);
  });

  it('explicit bits override a named precision; without one, the KV cache follows the activations', () => {
    const withBase = facts([entry('params', 1e6), entry('tokens', 1e8), entry('precision', '16-mixed', 1), entry('weight_bits', 4, 2)]);
    assert.deepEqual(withBase.precision?.value, { w: { bits: 4, type: 'int' }, a: PRECISION_NAMES.fp16, kv: PRECISION_NAMES.fp16 });
    assert.equal(withBase.precision?.source.field, 'precision, weight_bits');

    const bitsOnly = facts([entry('params', 1e6), entry('tokens', 1e8), entry('w_bits', '4', 1), entry('a_bits', 'fp8', 2)]);
    assert.deepEqual(bitsOnly.precision?.value, { w: { bits: 4, type: 'int' }, a: PRECISION_NAMES.fp8, kv: PRECISION_NAMES.fp8 });

    const partial = facts([entry('params', 1e6), entry('tokens', 1e8), entry('weight_bits', 4, 7)]);
    assert.equal(partial.precision, undefined);
    assert.deepEqual(partial.diagnostics.map(brief), [[7, 'weight_bits', 'warning', 'missing-field']], 'one message, not a second "not found"');
    assert.match(partial.diagnostics[0].message, /no activation bits and no precision key/);
  });

  it("HF's bf16/fp16 flags and Accelerate's mixed_precision", () => {
    assert.deepEqual(facts([entry('fp16', false), entry('bf16', true, 3)]).precision?.source.line, 3);
    assert.deepEqual(facts([entry('mixed_precision', 'no')]).precision?.value.w, PRECISION_NAMES.fp32);
    assert.deepEqual(facts([entry('mixed_precision', 'fp8')]).precision?.value.a, PRECISION_NAMES.fp8);
  });

  it('PTQ results: single and paired lists, with method and group size; bad ones left out and named', () => {
    const single = facts([entry('post_bits', 4, 1), entry('ptq_loss', 3.3, 2), entry('quant_method', 'gptq', 3), entry('group_size', 128, 4)]);
    assert.deepEqual(single.ptq, [{ bits: 4, type: 'int', format: 'int', method: 'gptq', groupSize: 128, loss: 3.3, source: { file: FILE, line: 2, field: 'ptq_loss' } }]);

    const lists = facts([entry('ptq_bits', [8, 'nf4', 99], 1), entry('post_loss', [3.1, 3.4, 3.9], 2)]);
    assert.deepEqual(
      lists.ptq.map((q) => [q.bits, q.type, q.format, q.loss, q.source?.field]),
      [
        [8, 'int', 'int', 3.1, 'post_loss[0]'],
        [4, 'fp', 'nf4', 3.4, 'post_loss[1]'],
      ],
    );
    assert.ok(lists.diagnostics.some((d) => d.field === 'ptq_bits' && /ptq_bits\[2\] is 99/.test(d.message)));

    const nan = facts([entry('post_bits', 4, 1), entry('ptq_loss', 'nan', 2)]);
    assert.deepEqual(nan.ptq, []);
    assert.ok(nan.diagnostics.some((d) => d.line === 2 && /ptq_loss is NaN, not a positive finite loss/.test(d.message)));

    const lonely = facts([entry('post_bits', 4, 9)]);
    assert.ok(lonely.diagnostics.some((d) => d.line === 9 && /post_bits found but not a loss after quantization/.test(d.message)));
  });

  it("the user's aliases come first", () => {
    const aliases = extendAliases({ params: ['nonemb'] });
    assert.equal(facts([entry('n_params', 1e6), entry('cfg.nonemb', 2e6)], aliases).params?.value, 2e6);
  });

  it('N from architecture fields when no count is given, nested or flat, with every field it used', () => {
    // The fields of a GPT-2 small config.json as HF's WandbCallback writes them into config.yaml.
    const gpt2 = facts([entry('model_type', 'gpt2', 1), entry('n_layer', 12, 2), entry('n_embd', 768, 3), entry('n_head', 12, 4), entry('n_inner', null, 5), entry('vocab_size', 50257, 6), entry('n_positions', 1024, 7)]);
    assert.equal(gpt2.params?.value, 85_056_000);
    assert.match(gpt2.params?.source.field ?? '', /^architecture \(model_type, n_layer, n_embd/);
    assert.ok(gpt2.diagnostics.some((d) => d.code === 'derived' && d.field === 'params'));
    // nanoGPT's Python config: n_layer, n_head, n_embd only.
    assert.equal(facts([entry('n_layer', 6), entry('n_head', 6), entry('n_embd', 384)]).params?.value, 6 * (12 * 384 ** 2 + 13 * 384) + 2 * 384);
    const llama = facts([entry('model_config.model_type', 'llama'), entry('model_config.hidden_size', 2048), entry('model_config.num_hidden_layers', 16), entry('model_config.num_attention_heads', 32), entry('model_config.num_key_value_heads', 8), entry('model_config.intermediate_size', 8192)]);
    assert.equal(llama.params?.value, 16 * (2 * 2048 * 2048 + 2 * 2048 * 512 + 3 * 2048 * 8192 + 2 * 2048) + 2048);
    // An explicit count wins over the architecture.
    assert.equal(facts([entry('n_params', 5e6), entry('model_type', 'gpt2'), entry('n_layer', 12), entry('n_embd', 768)]).params?.value, 5e6);
  });

  it("D: a per-device batch × accumulation × devices × the trained length; a global batch as it is; the model's maximum length is not the trained one", () => {
    // HF TrainingArguments through W&B: per-device batch 8, accumulation 4, 2 processes, block_size 512.
    const hf = facts([entry('max_steps', 1000), entry('per_device_train_batch_size', 8), entry('gradient_accumulation_steps', 4), entry('world_size', 2), entry('block_size', 512), entry('max_position_embeddings', 2048)]);
    assert.equal(hf.tokens?.value, 1000 * 8 * 4 * 2 * 512);
    assert.equal(hf.tokens?.source.field, 'max_steps × per_device_train_batch_size × gradient_accumulation_steps × world_size × block_size');
    // Lightning: devices as a list of ids, times nodes.
    assert.equal(facts([entry('trainer.max_steps', 100), entry('data.batch_size', 16), entry('trainer.devices', [0, 1]), entry('trainer.num_nodes', 2), entry('seq_len', 256)]).tokens?.value, 100 * 16 * 4 * 256);
    assert.equal(facts([entry('trainer.max_steps', 100), entry('data.batch_size', 16), entry('trainer.devices', 'auto'), entry('seq_len', 256)]).tokens?.value, 100 * 16 * 256);
    // A global batch is not multiplied again.
    assert.equal(facts([entry('train_iters', 10), entry('steps', 10), entry('global_batch_size', 512), entry('micro_batch_size', 4), entry('world_size', 8), entry('seq_length', 2048)]).tokens?.value, 10 * 512 * 2048);
    // Only the model's maximum: no D.
    const max = facts([entry('max_steps', 1000), entry('per_device_train_batch_size', 8), entry('max_position_embeddings', 2048), entry('n_ctx', 1024)]);
    assert.equal(max.tokens, undefined);
    assert.ok(max.diagnostics.some((d) => d.code === 'missing-field' && d.field === 'tokens' && /found steps and batch size, but not all three/.test(d.message)));
    // Tokens per step as stated.
    assert.equal(facts([entry('iters', 5000), entry('tokens_per_iteration', 491520)]).tokens?.value, 5000 * 491520);
  });

  it('units in key names scale bare numbers; implausible N and D are said and not used', () => {
    assert.equal(facts([entry('params_M', 124)]).params?.value, 124e6);
    assert.equal(facts([entry('tokens (B)', 26)]).tokens?.value, 26e9);
    assert.equal(facts([entry('params_M', '124M')]).params?.value, 124e6, "the value's own unit wins");
    const small = facts([entry('model_size', 50, 3)]);
    assert.equal(small.params, undefined);
    assert.deepEqual(small.diagnostics.filter((d) => d.code === 'implausible').map(brief), [[3, 'model_size', 'warning', 'implausible']]);
    const untrained = facts([entry('params', 1e9), entry('tokens', 1e5, 4)]);
    assert.equal(untrained.tokens, undefined);
    assert.ok(untrained.diagnostics.some((d) => d.code === 'implausible' && d.line === 4));
  });

  it("precision: HF's flags over a dtype; torch_dtype never; both flags false is fp32", () => {
    const hf = facts([entry('torch_dtype', 'float32', 1), entry('dtype', 'float32', 2), entry('bf16', true, 3), entry('fp16', false, 4)]);
    assert.deepEqual(hf.precision?.value.w, PRECISION_NAMES.bf16);
    assert.equal(hf.precision?.source.line, 3);
    assert.equal(facts([entry('torch_dtype', 'bfloat16')]).precision, undefined);
    const full = facts([entry('bf16', false, 1), entry('fp16', false, 2), entry('torch_dtype', 'bfloat16', 3)]);
    assert.deepEqual(full.precision?.value.w, PRECISION_NAMES.fp32);
    assert.equal(full.precision?.source.field, 'bf16: false, fp16: false');
    assert.deepEqual(facts([entry('dtype', 'bfloat16')]).precision?.value.w, PRECISION_NAMES.bf16, "nanoGPT's dtype");
  });
});

describe('names, losses and curves', () => {
  it('findName takes a top-level name key', () => {
    assert.equal(findName([entry('model.name', 'gpt2'), entry('run_name', 'lr-3e-4')], DEFAULT_ALIASES), 'lr-3e-4');
    assert.equal(findName([entry('model.name', 'gpt2')], DEFAULT_ALIASES), undefined);
  });

  it('lossKeys: the validation loss by alias order, a training loss besides', () => {
    assert.deepEqual(lossKeys(['loss', 'eval/loss', 'train/loss'], DEFAULT_ALIASES), { val: 'eval/loss', train: 'train/loss' });
    assert.deepEqual(lossKeys(['loss', 'lr'], DEFAULT_ALIASES), { val: 'loss', train: undefined });
    assert.deepEqual(lossKeys(['train_loss_step', 'val_loss'], DEFAULT_ALIASES), { val: 'val_loss', train: 'train_loss_step' });
    assert.deepEqual(
      ['val/loss', 'eval_loss', 'train_loss', 'loss', 'test_loss'].map(splitOf),
      ['val', 'eval', 'train', 'train', 'test'],
    );
  });

  it('KeyedCurves keeps a bounded curve per metric, in step order, and the last value', () => {
    const curves = new KeyedCurves(100);
    for (let step = 0; step < 10_000; step++) curves.add('train_loss', { step, value: 3 + 1 / (step + 1), line: step + 2, file: FILE });
    for (let step = 999; step < 10_000; step += 1000) curves.add('val_loss', { step, value: 3.5, tokens: step * 10, line: step + 2, file: FILE });
    const curve = curves.curve(['val_loss', 'train_loss', undefined]);
    assert.ok(curve.length <= 100, `${curve.length}`);
    assert.equal(curve.filter((p) => p.split === 'val').length, 10);
    assert.ok(curve.every((p, i) => i === 0 || p.step >= curve[i - 1].step));
    assert.deepEqual(curves.last('train_loss'), { step: 9999, value: 3 + 1 / 10_000, line: 10_001, file: FILE });
    assert.equal(curve.find((p) => p.split === 'val')?.tokens, 9990);
  });

  it('numberOf reads Python spellings; describeSource names one-value files by folder', () => {
    assert.ok(Number.isNaN(numberOf('nan')));
    assert.equal(numberOf('-inf'), -Infinity);
    assert.equal(numberOf('3.5e-1'), 0.35);
    assert.equal(numberOf('abc'), undefined);
    assert.equal(numberOf(''), undefined);
    assert.equal(describeSource({ file: '/r/params/max_steps', line: 1, field: 'max_steps' }), 'params/max_steps');
    assert.equal(describeSource({ file: '/r/hparams.yaml', line: 4, field: 'max_steps' }), 'hparams.yaml line 4');
  });
});

// Values a config may hold, generated long: each is read in one pass (bench/hover times them).
describe('facts from hostile values', () => {
  const tabs = '\t'.repeat(50_000);
  const digits = '0'.repeat(50_000);

  it('a count of 50,000 digits and tabs, a precision of w, a and tabs: not values, named and skipped', () => {
    const f = facts([entry('params', `${digits}${tabs}+`, 1), entry('n_params', `1${tabs}M`, 2), entry('precision', `w4${tabs}a4${tabs}x`, 3), entry('dtype', 'bf16', 4)]);
    assert.deepEqual([f.params?.value, f.params?.source.line], [1e6, 2]);
    assert.deepEqual([f.precision?.value, f.precision?.source.line], [{ w: PRECISION_NAMES.bf16, a: PRECISION_NAMES.bf16, kv: PRECISION_NAMES.bf16 }, 4]);
    assert.deepEqual(f.diagnostics.filter((d) => d.code === 'bad-value').map((d) => d.line), [1, 3]);
    assert.equal(parseConfigPrecision(`w4${tabs}-${tabs}a8${tabs}kv4${tabs}`)?.kv.bits, 4);
  });

  it('devices as "0," and spaces repeated, and as 10,000 ids: counted only when they are ids', () => {
    const base = [entry('max_steps', 10), entry('micro_batch_size', 2), entry('seq_len', 8)];
    const listed = facts([...base, entry('devices', Array.from({ length: 10_000 }, (_, i) => i).join(', '))]);
    assert.equal(listed.tokens?.value, 10 * 2 * 10_000 * 8);
    const hostile = facts([...base, entry('devices', `${'0,'.repeat(20_000)}${' '.repeat(50_000)}x`)]);
    assert.equal(hostile.tokens?.value, 10 * 2 * 8, 'not a device list: one device assumed');
  });

  it('key names with 50,000 separators before a unit: the unit read, the name found', () => {
    const f = facts([entry(`params${'_'.repeat(50_000)}x`, 5), entry(`tokens${' ('.repeat(25_000)}M`, 7)]);
    assert.equal(f.params, undefined);
    assert.equal(f.tokens?.value, 7e6);
  });
});
