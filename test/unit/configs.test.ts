import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PAPER_CONSTANTS } from '../../src/law/constants';
import { predict } from '../../src/law/law';
import { DEFAULT_ALIASES, extendAliases } from '../../src/runs/aliases';
import { MAX_ENTRIES } from '../../src/runs/entries';
import { languageOf, pythonLiteral, recogniseConfig } from '../../src/runs/configs';
import { predictConfig } from '../../src/extension/configPrediction';
import { hoverMarkdown } from '../../src/extension/hoverMarkdown';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples', 'configs');
const recognise = (name: string, aliases = DEFAULT_ALIASES) => recogniseConfig(readFileSync(path.join(EXAMPLES, name), 'utf8'), languageOf(name) ?? 'yaml', aliases);

describe('training configs', () => {
  it('nanoGPT Python: N from n_layer/n_embd (GPT-2 block), D = iters x batch x block x accumulation, never executed', () => {
    const c = recognise('train_gpt_small.py');
    assert.equal(c.params?.value, 85_056_000);
    assert.deepEqual(c.params?.lines, [7, 8, 9]);
    assert.equal(c.tokens?.value, 20_000 * 12 * 1024 * 40);
    assert.equal(c.tokens?.how, 'max_iters × batch_size × gradient_accumulation_steps × block_size');
    assert.equal(c.precision?.value.w.bits, 16);
    assert.equal(c.inference?.value.bits, 4);
    assert.deepEqual(c.missing, []);
  });

  it('YAML: N from Hugging Face architecture fields, explicit tokens with a suffix, a w8a8kv8 precision', () => {
    const c = recognise('llama_85m.yaml');
    assert.equal(c.params?.value, 12 * (4 * 768 * 768 + 3 * 768 * 2048 + 2 * 768) + 768);
    assert.equal(c.tokens?.value, 3e9);
    assert.deepEqual(c.tokens?.lines, [10]);
    assert.deepEqual([c.precision?.value.w.bits, c.precision?.value.a.bits, c.precision?.value.kv.bits], [8, 8, 8]);
    assert.equal(c.inference?.value.bits, 4);
  });

  it('JSONC with comments, per-part bits; TOML with tables and D from steps x batch x sequence', () => {
    const j = recognise('sweep_point.json');
    assert.deepEqual([j.params?.value, j.tokens?.value, j.precision?.value.w.bits, j.precision?.value.a.bits, j.inference?.value.bits], [2.2e8, 1.5e10, 6, 8, 4]);
    assert.deepEqual(j.params?.lines, [4]);
    const t = recognise('run.toml');
    assert.equal(t.params?.value, 85e6);
    assert.equal(t.tokens?.value, 10_000 * 256 * 1024);
    assert.deepEqual(t.tokens?.lines, [6, 7, 8]);
    assert.equal(t.inference?.value.bits, 3);
  });

  it('says what is missing, and user aliases extend what is recognised', () => {
    const text = 'width: 512\nnonemb: 3e7\nseen: 1e9\n';
    const plain = recogniseConfig(text, 'yaml', DEFAULT_ALIASES);
    assert.equal(plain.params, undefined);
    assert.equal(plain.missing.length, 2);
    const extended = recogniseConfig(text, 'yaml', extendAliases({ params: ['nonemb'], tokens: ['seen'] }));
    assert.deepEqual([extended.params?.value, extended.tokens?.value], [3e7, 1e9]);
  });

  it('Python literals: numbers with underscores, strings, booleans, products of constants; calls are not values', () => {
    assert.equal(pythonLiteral('20_000'), 20000);
    assert.equal(pythonLiteral('6e-4'), 6e-4);
    assert.equal(pythonLiteral("'bfloat16'"), 'bfloat16');
    assert.equal(pythonLiteral('True'), true);
    assert.equal(pythonLiteral('600 * 1000'), 600000);
    for (const code of ['os.system("rm -rf /")', '__import__("os")', 'int("5")', '[1, 2]', 'x + 1']) assert.equal(pythonLiteral(code), undefined, code);
  });
});

describe('what a config predicts', () => {
  it('the hover numbers are the law at the config, with PTQ and the optimum for the same compute', () => {
    const c = recognise('llama_85m.yaml');
    const r = predictConfig(c, { constants: PAPER_CONSTANTS });
    assert.ok(r.ok);
    const direct = predict(PAPER_CONSTANTS, { params: c.params?.value ?? 0, tokens: 3e9, precision: { w: 8, a: 8, kv: 8 } });
    assert.ok(direct.ok);
    assert.equal(r.prediction.loss, direct.loss);
    assert.deepEqual(r.prediction.ptq.map((q) => q.bits), [8, 6, 4, 3]);
    assert.equal(r.prediction.ptq[0].loss, undefined, 'trained at 8 bits: no PTQ to 8');
    assert.ok((r.prediction.ptq[3].loss ?? 0) > (r.prediction.ptq[2].loss ?? Infinity), '3 bits loses more than 4');
    assert.ok(r.prediction.optimal && r.prediction.optimal.loss <= r.prediction.loss + 1e-9);
    const md = hoverMarkdown(r.prediction, 'paper');
    assert.match(md, /\*\*Predicted loss \d\.\d{3}\*\*/);
    // Cells are padded: a hover's Markdown table has no spacing of its own.
    assert.match(md, /\|&nbsp;4 bits&nbsp;&nbsp;\|&nbsp;\d\.\d{3}&nbsp;&nbsp;\|&nbsp;\+0\.\d{4}&nbsp;&nbsp;\|&nbsp;\d/);
    // The FLOPs say how they were counted (bit-weighted by default).
    assert.match(md, /FLOPs \(counted as 6ND × P\/16\)/);
  });

  it('the hover puts warnings and the constants above the details, and leaves warnings to the diagnostics on their own line', () => {
    const past = recogniseConfig('n_params: 3e7\ntokens: 5e12\nprecision: bf16\npost_bits: 3\n', 'yaml', DEFAULT_ALIASES);
    const r = predictConfig(past, { constants: PAPER_CONSTANTS });
    assert.ok(r.ok);
    const md = hoverMarkdown(r.prediction, 'paper (Kumar et al. 2024, Table 2)');
    const at = (re: RegExp) => md.search(re);
    assert.ok(at(/⚠ .*past D_crit/) > 0 && at(/⚠ .*past D_crit/) < at(/after PTQ to/), 'the warning comes before the PTQ table');
    assert.ok(at(/_Constants: paper/) < at(/N_eff\/N/), 'the constants come before the details');
    const onWarningLine = hoverMarkdown(r.prediction, 'paper', { omitWarnings: true });
    assert.equal((onWarningLine.match(/D_crit = /g) ?? []).length, 0, 'the warning is not repeated where its diagnostic already shows');
  });

  it('warns when D is past D_crit for the serving precision, and when a precision is unstable', () => {
    const past = recogniseConfig('n_params: 3e7\ntokens: 5e12\nprecision: bf16\npost_bits: 3\n', 'yaml', DEFAULT_ALIASES);
    const r = predictConfig(past, { constants: PAPER_CONSTANTS });
    assert.ok(r.ok && r.prediction.warnings.some((w) => /past D_crit/.test(w)));
    const unstable = recogniseConfig('n_params: 3e7\ntokens: 1e9\nkv_bits: 1\nweight_bits: 16\n', 'yaml', DEFAULT_ALIASES);
    const u = predictConfig(unstable, { constants: PAPER_CONSTANTS });
    assert.ok(!u.ok && /unstable|KV/i.test(u.message));
  });
});

// Hostile configs, generated here: each is read in time linear in its size (bench/hover says how
// long), and what it gives is asserted — what is recognised, and where reading stopped short.
describe('hostile configs: what is recognised', () => {
  const codesOf = (c: { diagnostics: Array<{ code: string }> }) => c.diagnostics.map((d) => d.code);

  it('a 5,000-key TOML: every key on its own line, N and D recognised with theirs', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i} = ${i}`);
    const text = ['[model]', 'params = "85M"', '[train]', ...keys, 'max_steps = 10_000', 'global_batch_size = 256', 'seq_length = 1024', ''].join('\n');
    const c = recogniseConfig(text, 'toml', DEFAULT_ALIASES);
    assert.equal(c.entries.length, 5004);
    assert.deepEqual(c.entries.filter((e) => e.key.startsWith('train.k')).map((e) => e.line), keys.map((_, i) => i + 4));
    assert.deepEqual([c.params?.value, c.params?.lines], [85e6, [2]]);
    assert.deepEqual([c.tokens?.value, c.tokens?.lines], [10_000 * 256 * 1024, [5004, 5005, 5006]]);
    assert.deepEqual(c.diagnostics, []);
  });

  it('TOML: dotted keys on their own lines, inline tables on their key\'s, datetimes as written', () => {
    const text = ['model.params = "85M"', 'train = { max_steps = 100, global_batch_size = 8 }', '[data]', '"seq_length" = 64', 'started = 2024-05-27T07:32:00Z', ''].join('\n');
    const c = recogniseConfig(text, 'toml', DEFAULT_ALIASES);
    assert.deepEqual(c.entries.map((e) => [e.key, e.value, e.line]), [
      ['model.params', '85M', 1],
      ['train.max_steps', 100, 2],
      ['train.global_batch_size', 8, 2],
      ['data.seq_length', 64, 4],
      ['data.started', '2024-05-27T07:32:00.000Z', 5],
    ]);
    assert.deepEqual(c.params?.lines, [1]);
  });

  it('TOML: a string line of "[" and 100k spaces is no table header; past 20,000 values the rest are not read, said', () => {
    const spaced = recogniseConfig(['params = "85M"', 'notes = """', `[${' '.repeat(100_000)}`, '"""', 'max_steps = 5', ''].join('\n'), 'toml', DEFAULT_ALIASES);
    assert.deepEqual(spaced.entries.map((e) => [e.key, e.line]), [['params', 1], ['notes', 2], ['max_steps', 5]]);
    const big = recogniseConfig(['params = "85M"', ...Array.from({ length: 50_000 }, (_, i) => `k${i} = ${i}`), 'tokens = "1B"', ''].join('\n'), 'toml', DEFAULT_ALIASES);
    assert.equal(big.params?.value, 85e6);
    assert.equal(big.entries.length, MAX_ENTRIES);
    assert.equal(big.tokens, undefined, 'the key past the bound is not read');
    assert.deepEqual(codesOf(big), ['truncated']);
  });

  it('50,000-key YAML and JSON: the first 20,000 values read, the truncation said', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}`);
    const yaml = recogniseConfig(['n_params: 124M', ...keys.map((k, i) => `${k}: ${i}`), 'tokens: 3B', ''].join('\n'), 'yaml', DEFAULT_ALIASES);
    const json = recogniseConfig(`{"n_params": "124M",\n${keys.map((k, i) => `"${k}": ${i}`).join(',\n')},\n"tokens": "3B"}\n`, 'json', DEFAULT_ALIASES);
    for (const c of [yaml, json]) {
      assert.deepEqual([c.params?.value, c.params?.lines], [124e6, [1]]);
      assert.equal(c.entries.length, MAX_ENTRIES);
      assert.equal(c.entries[MAX_ENTRIES - 1].line, MAX_ENTRIES);
      assert.equal(c.tokens, undefined);
      assert.deepEqual(codesOf(c), ['truncated']);
    }
  });

  it('nesting 100,000 deep: YAML reads the rest, JSON and TOML say the text cannot be read', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const yaml = recogniseConfig(`n_params: 124M\nx: ${deep}\n`, 'yaml', DEFAULT_ALIASES);
    assert.equal(yaml.params?.value, 124e6);
    const json = recogniseConfig(`{"n_params": "124M", "x": ${deep}}`, 'json', DEFAULT_ALIASES);
    const toml = recogniseConfig(`n_params = "124M"\nx = ${deep}\n`, 'toml', DEFAULT_ALIASES);
    for (const c of [json, toml]) {
      assert.equal(c.params, undefined);
      assert.ok(codesOf(c).includes('syntax'), JSON.stringify(c.diagnostics));
    }
    const dotted = recogniseConfig(`n_params = "124M"\n${Array.from({ length: 100_000 }, () => 'a').join('.')} = 1\n`, 'toml', DEFAULT_ALIASES);
    assert.deepEqual(dotted.entries.map((e) => e.key), ['n_params'], 'tables past the depth bound are not walked');
  });

  it('Python: "a:" and 100k spaces is no assignment; a 1 MB line is read as one', () => {
    assert.deepEqual(recogniseConfig(`a:${' '.repeat(100_000)}`, 'python', DEFAULT_ALIASES).entries, []);
    const big = 'x'.repeat(1 << 20);
    const c = recogniseConfig([`n_layer:${' '.repeat(100_000)}int = 12`, 'n_embd = 768', 'n_head = 12', `wandb_run_name = '${big}'`, `max_iters = 1000${' '.repeat(1 << 20)}# a comment`, ''].join('\n'), 'python', DEFAULT_ALIASES);
    assert.deepEqual(c.entries.map((e) => [e.key, e.line]), [['n_layer', 1], ['n_embd', 2], ['n_head', 3], ['wandb_run_name', 4], ['max_iters', 5]]);
    assert.equal(c.entries[3].value, big);
    assert.equal(c.entries[4].value, 1000);
    assert.deepEqual(c.params?.lines, [1, 2, 3]);
  });
});
