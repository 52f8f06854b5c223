// The Hugging Face Trainer reader against output folders shaped like the Trainer's own (trainer
// states written as TrainerState.save_to_json does, sorted keys and bare NaN included), and
// against damaged and unusual variants built in a scratch folder.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_ALIASES, extendAliases } from '../../src/runs/aliases';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { ScanCache, scan } from '../../src/runs/discover';
import { hfTrainerReader, readHfTrainer } from '../../src/runs/readers/hfTrainer';
import { READERS, type ReadResult } from '../../src/runs/readers/index';
import { readTensorBoardRun } from '../../src/runs/readers/tensorboard';
import { DIAGNOSTIC_CODES } from '../../src/runs/diagnostics';

const DIR = path.join(__dirname, '..', 'fixtures', 'hf-trainer');
const read = (sub: string, options?: { maxCurvePoints?: number }) =>
  readHfTrainer(path.join(DIR, sub, 'trainer_state.json'), { root: DIR, aliases: DEFAULT_ALIASES }, options);
const at = (sub: string, name: string) => path.join(DIR, sub, name);
const find = (r: ReadResult, test: (d: Diagnostic) => boolean): Diagnostic => {
  const d = r.diagnostics.find(test);
  assert.ok(d, `no such diagnostic among:\n${r.diagnostics.map((x) => `${x.severity} ${x.line} [${x.field}] ${x.message}`).join('\n')}`);
  return d;
};

// The fixtures' tiny Llama: 4 x (attention 4 x 256^2 + gated MLP 3 x 256 x 688 + RMSNorms 2 x 256) + final RMSNorm 256.
const LLAMA_N = 4 * (4 * 256 * 256 + 3 * 256 * 688 + 2 * 256) + 256;
// Logged tokens in the fixtures: batch 8 x accumulation 4 x 1024 tokens a step.
const TOKENS_PER_STEP = 8 * 4 * 1024;

describe('Hugging Face Trainer reader: fixtures', () => {
  it('a complete run: N from config.json, D from num_input_tokens_seen, bf16, the last eval_loss, the curve, no noise', async () => {
    const r = await read('complete');
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.runs.length, 1);
    const run = r.runs[0];
    assert.equal(run.id, 'complete/trainer_state.json');
    assert.equal(run.name, 'complete');
    assert.equal(run.format, 'hf-trainer');
    assert.equal(run.params, LLAMA_N);
    assert.deepEqual(run.sources.params, { file: at('complete', 'config.json'), line: 16, field: 'model_type' });
    assert.equal(run.meta?.embeddingParams, 2 * 32000 * 256, 'untied embeddings and head');
    assert.equal(run.tokens, 200 * TOKENS_PER_STEP);
    assert.deepEqual(run.sources.tokens, { file: at('complete', 'trainer_state.json'), line: 221, field: 'num_input_tokens_seen' });
    assert.deepEqual(run.precision, { w: { bits: 16, type: 'fp', name: 'bf16' }, a: { bits: 16, type: 'fp', name: 'bf16' }, kv: { bits: 16, type: 'fp', name: 'bf16' } });
    assert.deepEqual(run.sources.precision, { file: at('complete', 'config.json'), line: 25, field: 'torch_dtype' });
    assert.equal(run.finalLoss, 3.6069, 'the eval_loss at step 200, the last in log_history');
    assert.deepEqual(run.sources.finalLoss, { file: at('complete', 'trainer_state.json'), line: 201, field: 'eval_loss' });
    assert.deepEqual(run.missing, []);
    assert.equal(run.unfinished, undefined);
    const curve = run.curve ?? [];
    assert.equal(curve.filter((p) => p.split === 'train').length, 20);
    assert.deepEqual(
      curve.filter((p) => p.split === 'eval').map((p) => p.step),
      [50, 100, 150, 200],
    );
    assert.deepEqual(curve[0], { step: 10, split: 'train', loss: 9.2947, tokens: 10 * TOKENS_PER_STEP });
    assert.equal(run.meta?.globalStep, 200);
    assert.equal(run.meta?.trainBatchSize, 8);
  });

  it('D from steps x batch x accumulation x sequence (a TRL SFT run with packing), compute precision from bf16', async () => {
    const r = await read('steps-batch-seq');
    const run = r.runs[0];
    assert.equal(run.tokens, 120 * 8 * 4 * 1024);
    assert.deepEqual(run.sources.tokens, { file: at('steps-batch-seq', 'training_args.json'), line: 13, field: 'max_seq_length' });
    assert.equal(run.params, 85_056_000, 'GPT-2 small');
    // The weights were saved in float32; the arguments say the matmuls ran in bf16.
    assert.deepEqual([run.precision?.w.name, run.precision?.a.bits], ['bf16', 16]);
    assert.deepEqual(run.sources.precision, { file: at('steps-batch-seq', 'training_args.json'), line: 2, field: 'bf16' });
    const d = find(r, (x) => x.field === 'tokens');
    assert.equal(d.severity, 'warning', 'one device is an assumption');
    assert.equal(d.line, 13);
    assert.match(d.message, /120 steps \(global_step\) x 8 \(train_batch_size, trainer_state\.json line 148\) x 4 \(gradient_accumulation_steps\) x 1 device \(no world_size given.*\) x 1024 \(max_seq_length\) = 3932160/);
    assert.deepEqual(run.missing, []);
  });

  it('run_clm output: final loss from eval_results.json, Pythia-70m N, fp32 noted, D estimated from total_flos', async () => {
    const r = await read('run-clm');
    const run = r.runs[0];
    assert.equal(run.params, 18_915_328, 'the published Pythia-70m non-embedding count');
    assert.equal(run.finalLoss, 3.3172);
    assert.deepEqual(run.sources.finalLoss, { file: at('run-clm', 'eval_results.json'), line: 4, field: 'eval_loss' });
    const after = find(r, (d) => d.field === 'eval_loss');
    assert.equal(after.code, 'conflict');
    assert.match(after.message, /the last eval_loss in trainer_state\.json \(step 300, line 72\) is 3\.4485/);
    assert.equal(run.precision?.w.name, 'fp32');
    const fp32 = find(r, (d) => d.field === 'precision' && d.severity === 'info');
    assert.equal(fp32.code, 'unsupported');
    assert.match(fp32.message, /training_args\.bin is a pickle and is not read/);
    // Nothing counted the tokens: total_flos / (6 x the count the Trainer used), which for an
    // untied GPT-NeoX is N plus the output matrix embed_out (vocab 50304 x hidden 512).
    assert.deepEqual(run.missing, []);
    assert.equal(run.tokens, Math.round(1234567800000000 / (6 * (18_915_328 + 50304 * 512))));
    assert.equal(run.tokens, 4606152);
    assert.deepEqual(run.sources.tokens, { file: at('run-clm', 'trainer_state.json'), line: 105, field: 'total_flos' });
    assert.equal(run.meta?.tokensFrom, 'total_flos / (6 N)');
    const d = find(r, (x) => x.field === 'tokens');
    assert.deepEqual([d.severity, d.code, d.line], ['info', 'derived', 105]);
    assert.match(d.message, /total_flos \/ \(6 x 44670976\)/);
    assert.match(d.message, /untied output matrix, 25755648/);
    assert.match(d.message, /FSDP, DeepSpeed ZeRO-3, 4-bit loading or adapters/);
    assert.ok(!(r.inputs ?? []).some((f) => f.endsWith('.bin')));
  });

  it('without total_flos, D is missing and the diagnostic says what would give it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hf-noflos-'));
    try {
      cpSync(path.join(DIR, 'run-clm'), dir, { recursive: true });
      const state = readFileSync(path.join(dir, 'trainer_state.json'), 'utf8').replace(/"total_flos": [0-9.]+/g, '"total_flos": 0');
      writeFileSync(path.join(dir, 'trainer_state.json'), state);
      for (const name of ['all_results.json', 'train_results.json']) rmSync(path.join(dir, name));
      const noFlos = await readHfTrainer(path.join(dir, 'trainer_state.json'), { root: dir, aliases: DEFAULT_ALIASES });
      assert.deepEqual(noFlos.runs[0].missing, ['tokens']);
      const d = find(noFlos, (x) => x.field === 'tokens');
      assert.deepEqual([d.severity, d.code, d.line], ['warning', 'missing-field', 90]);
      assert.match(d.message, /total_flos is 0/);
      assert.match(d.message, /include_num_input_tokens_seen=True/);
      assert.match(d.message, /max_seq_length or block_size; max_position_embeddings is the model's limit/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checkpoints only: one run, the latest checkpoint, with the config.json above it', async () => {
    const s = await scan([path.join(DIR, 'checkpoints')], { readers: [hfTrainerReader] });
    assert.deepEqual(
      s.runs.map((x) => x.id),
      ['checkpoint-200/trainer_state.json'],
    );
    assert.deepEqual(s.diagnostics, []);
    const run = s.runs[0];
    assert.equal(run.name, 'checkpoints', 'named after the output folder');
    assert.equal(run.params, LLAMA_N);
    assert.equal(run.sources.params?.file, at('checkpoints', 'config.json'));
    assert.equal(run.meta?.checkpoint, 'checkpoint-200');
    assert.deepEqual(run.missing, []);

    const older = await read('checkpoints/checkpoint-100');
    assert.deepEqual(older, {
      runs: [],
      diagnostics: [],
      notMine: true,
      inputs: [path.join(DIR, 'checkpoints'), at('checkpoints', 'trainer_state.json'), at('checkpoints/checkpoint-200', 'trainer_state.json')],
    });
  });

  it('a finished output folder: its own state is the run, the checkpoint beside it is not another', async () => {
    const s = await scan([path.join(DIR, 'finished')], { readers: [hfTrainerReader] });
    assert.deepEqual(
      s.runs.map((x) => x.id),
      ['trainer_state.json'],
    );
    assert.equal(s.runs[0].tokens, 200 * TOKENS_PER_STEP);
    assert.equal((await read('finished/checkpoint-150')).notMine, true);
  });

  it('QLoRA: NF4 weights from quantization_config, activations at bnb_4bit_compute_dtype, said in an info', async () => {
    const r = await read('qlora-nf4');
    const run = r.runs[0];
    assert.deepEqual(run.precision, { w: { bits: 4, type: 'fp', name: 'nf4' }, a: { bits: 16, type: 'fp', name: 'bf16' }, kv: { bits: 16, type: 'fp', name: 'bf16' } });
    assert.deepEqual(run.sources.precision, { file: at('qlora-nf4', 'config.json'), line: 21, field: 'quantization_config' });
    assert.equal(run.meta?.quantization, 'bitsandbytes');
    const d = find(r, (x) => x.field === 'quantization_config');
    assert.equal(d.severity, 'info');
    assert.match(d.message, /held in nf4 while training \(QLoRA-style/);
    assert.equal(run.params, LLAMA_N, 'N counts the (frozen) base model');
    assert.deepEqual(run.missing, []);
  });

  it('a NaN last eval_loss (written bare by Python): reported on its line, the run has no final loss, the rest is read', async () => {
    const r = await read('nan-eval');
    const run = r.runs[0];
    assert.equal(run.finalLoss, undefined);
    assert.deepEqual(run.missing, ['finalLoss']);
    const value = find(r, (d) => d.field === 'log_history[11].eval_loss');
    assert.equal(value.line, 103);
    assert.match(value.message, /eval_loss is NaN at step 100/);
    assert.equal(find(r, (d) => d.field === 'eval_loss').line, 103);
    assert.ok(!(run.curve ?? []).some((p) => p.split === 'eval' && p.step === 100));
    assert.equal(run.tokens, 100 * TOKENS_PER_STEP, 'values after the NaN are still read');
    assert.equal(r.diagnostics.filter((d) => /syntax/.test(d.message)).length, 0, 'a bare NaN is not a syntax error here');
  });

  it('a truncated state: one syntax error, the cut entry left out, what came before read, the run unfinished', async () => {
    const r = await read('truncated');
    const syntax = r.diagnostics.filter((d) => /syntax error/.test(d.message));
    assert.equal(syntax.length, 1);
    assert.equal(syntax[0].line, 130);
    assert.equal(find(r, (d) => d.field === 'log_history' && /cut off/.test(d.message)).line, 126);
    const run = r.runs[0];
    assert.equal(run.unfinished, true);
    assert.equal((run.curve ?? []).at(-1)?.step, 120);
    assert.equal(run.finalLoss, 4.7099, 'the eval at step 100, the last before the cut');
    assert.equal(run.tokens, 120 * TOKENS_PER_STEP, 'the last logged count: the final one was after the cut');
  });

  it('an unknown architecture: listed without N, the diagnostic on the model_type line', async () => {
    const r = await read('unknown-arch');
    assert.deepEqual(r.runs[0].missing, ['params']);
    const d = find(r, (x) => x.field === 'params');
    assert.equal(d.file, at('unknown-arch', 'config.json'));
    assert.equal(d.line, 14);
    assert.match(d.message, /model_type "mamba" is not one whose parameter count is known/);
  });

  it('an adapter folder without config.json: N and precision missing, each named with what would give it', async () => {
    const r = await read('no-config');
    assert.deepEqual(r.runs[0].missing, ['params', 'precision', 'finalLoss']);
    assert.match(find(r, (d) => d.field === 'params').message, /adapter \(PEFT\/LoRA\) run of TinyLlama\/TinyLlama-1\.1B-intermediate-step-1431k-3T: copy the base model's config\.json here/);
    assert.match(find(r, (d) => d.field === 'precision').message, /no config\.json \(torch_dtype\)/);
    assert.match(find(r, (d) => d.field === 'eval_loss').message, /a training loss is not a validation loss/);
  });

  it('another tool\'s trainer_state.json is not mine, quietly; a binary one is reported once', async () => {
    assert.deepEqual(await read('not-a-state'), { runs: [], diagnostics: [], notMine: true, inputs: [] });
    const binary = await read('binary');
    assert.equal(binary.runs.length, 0);
    assert.equal(binary.diagnostics.length, 1);
    assert.match(binary.diagnostics[0].message, /not a text file/);
  });
});

describe('Hugging Face Trainer reader: variants', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'hf-trainer-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  let n = 0;
  /** A run folder from the `complete` fixture with some files replaced (null removes one). */
  const variant = (files: Record<string, string | Buffer | null>, base = 'complete'): string => {
    const dir = path.join(scratch, String(n++));
    mkdirSync(dir, { recursive: true });
    for (const name of ['trainer_state.json', 'config.json']) writeFileSync(path.join(dir, name), readFileSync(at(base, name)));
    for (const [name, content] of Object.entries(files)) {
      if (content === null) rmSync(path.join(dir, name));
      else writeFileSync(path.join(dir, name), content);
    }
    return path.join(dir, 'trainer_state.json');
  };
  const readVariant = (file: string, aliases = DEFAULT_ALIASES) => readHfTrainer(file, { root: scratch, aliases });
  const config = (extra: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(readFileSync(at('complete', 'config.json'), 'utf8')), ...extra }, null, 2);
  const state = (logHistory: unknown[], top: Record<string, unknown> = {}) =>
    JSON.stringify({ global_step: 30, max_steps: 30, train_batch_size: 4, num_input_tokens_seen: 0, log_history: logHistory, ...top }, null, 2);
  const args = (extra: Record<string, unknown>) =>
    JSON.stringify({ per_device_train_batch_size: 4, gradient_accumulation_steps: 2, bf16: false, fp16: false, max_seq_length: 512, ...extra }, null, 2);

  it('a rescan with the cache after a new checkpoint appears still reports one run, the new latest', async () => {
    const out = path.join(scratch, 'growing');
    cpSync(path.join(DIR, 'checkpoints'), out, { recursive: true });
    const cache = new ScanCache();
    const first = await scan([out], { readers: [hfTrainerReader], cache });
    assert.deepEqual(
      first.runs.map((r) => r.meta?.checkpoint),
      ['checkpoint-200'],
    );
    const state = JSON.parse(readFileSync(path.join(out, 'checkpoint-200', 'trainer_state.json'), 'utf8'));
    mkdirSync(path.join(out, 'checkpoint-300'));
    writeFileSync(path.join(out, 'checkpoint-300', 'trainer_state.json'), JSON.stringify({ ...state, global_step: 300, max_steps: 300 }, null, 2));
    const second = await scan([out], { readers: [hfTrainerReader], cache });
    assert.deepEqual(
      second.runs.map((r) => r.meta?.checkpoint),
      ['checkpoint-300'],
    );
  });

  it('bare -Infinity and Infinity are read as such, and a NaN inside a string is only text', async () => {
    const text = [
      '{',
      '  "global_step": 20,',
      '  "log_history": [',
      '    {"loss": -Infinity, "step": 10},',
      '    {"eval_loss": Infinity, "step": 10},',
      '    {"loss": 2.5, "step": 20},',
      '    {"eval_loss": 2.75, "step": 20}',
      '  ],',
      '  "max_steps": 30,',
      '  "trial_name": "lr: NaN, wd: Infinity}"',
      '}',
    ].join('\n');
    const r = await readVariant(variant({ 'trainer_state.json': text }));
    assert.match(find(r, (d) => d.field === 'log_history[0].loss').message, /loss is -Infinity\b/);
    assert.equal(find(r, (d) => d.field === 'log_history[1].eval_loss').line, 5);
    assert.ok(!r.diagnostics.some((d) => /syntax/.test(d.message)));
    const run = r.runs[0];
    assert.equal(run.finalLoss, 2.75);
    assert.equal(run.unfinished, true, 'step 20 of 30');
    assert.deepEqual(
      run.curve?.map((p) => [p.step, p.split, p.loss]),
      [
        [20, 'train', 2.5],
        [20, 'eval', 2.75],
      ],
    );
  });

  it('GPTQ, 8-bit bitsandbytes and FP8 weights; an unknown quantization leaves the precision missing', async () => {
    const gptq = await readVariant(variant({ 'config.json': config({ quantization_config: { bits: 4, group_size: 128, quant_method: 'gptq', desc_act: false } }) }));
    assert.deepEqual(gptq.runs[0].precision?.w, { bits: 4, type: 'int', name: 'int4' });
    assert.equal(gptq.runs[0].precision?.a.name, 'bf16');
    const int8 = await readVariant(variant({ 'config.json': config({ quantization_config: { load_in_8bit: true, quant_method: 'bitsandbytes' } }) }));
    assert.deepEqual(int8.runs[0].precision?.w, { bits: 8, type: 'int', name: 'int8' });
    const fp8 = await readVariant(variant({ 'config.json': config({ quantization_config: { quant_method: 'fp8', activation_scheme: 'dynamic' } }) }));
    assert.deepEqual(fp8.runs[0].precision?.w, { bits: 8, type: 'fp', name: 'e4m3' });
    const hqq = await readVariant(variant({ 'config.json': config({ quantization_config: { quant_method: 'hqq', quant_config: { weight_quant_params: { nbits: 4 } } } }) }));
    assert.deepEqual(hqq.runs[0].missing, ['precision']);
    const d = find(hqq, (x) => x.field === 'quantization_config');
    assert.equal(d.severity, 'warning');
    assert.match(d.message, /quant_method "hqq"/);
  });

  it('steps x batch x sequence: devices when given, user aliases for the length, refusals that say why', async () => {
    const history = [{ loss: 3, step: 30 }, { eval_loss: 3.2, step: 30 }];
    const world = await readVariant(variant({ 'trainer_state.json': state(history), 'training_args.json': args({ world_size: 8 }) }));
    assert.equal(world.runs[0].tokens, 30 * 4 * 2 * 8 * 512);
    assert.equal(find(world, (d) => d.field === 'tokens').severity, 'info');

    const packingOff = await readVariant(variant({ 'trainer_state.json': state(history), 'training_args.json': args({ packing: false }) }));
    assert.deepEqual(packingOff.runs[0].missing, ['tokens']);
    assert.match(find(packingOff, (d) => d.field === 'tokens').message, /packing: false/);

    const noLength = await readVariant(variant({ 'trainer_state.json': state(history), 'training_args.json': args({ max_seq_length: undefined }) }));
    assert.deepEqual(noLength.runs[0].missing, ['tokens']);
    assert.match(find(noLength, (d) => d.field === 'tokens').message, /gives no training sequence length/);

    const aliased = variant({ 'trainer_state.json': state(history), 'training_args.json': args({ max_seq_length: undefined, ctx_len: 256 }) });
    const custom = await readVariant(aliased, extendAliases({ seqLen: ['ctx_len'] }));
    assert.equal(custom.runs[0].tokens, 30 * 4 * 2 * 256);
    assert.equal(custom.runs[0].sources.tokens?.field, 'ctx_len');

    // max_position_embeddings (in the default aliases) is never taken as the training length.
    const capacity = await readVariant(variant({ 'trainer_state.json': state(history), 'training_args.json': args({ max_seq_length: undefined, max_position_embeddings: 2048 }) }));
    assert.equal(capacity.runs[0].tokens, undefined);
  });

  it('fp16 from the arguments; tf32 alone is fp32 training; torch_dtype names it does not know are reported', async () => {
    const fp16 = await readVariant(variant({ 'config.json': config({ torch_dtype: 'float32' }), 'training_args.json': args({ fp16: true }) }));
    assert.equal(fp16.runs[0].precision?.a.name, 'fp16');
    const tf32 = await readVariant(variant({ 'config.json': config({ torch_dtype: 'float32' }), 'training_args.json': args({ tf32: true }) }));
    assert.deepEqual(tf32.runs[0].precision?.w, { bits: 32, type: 'fp', name: 'fp32' });
    assert.equal(tf32.runs[0].sources.precision?.field, 'bf16');
    const note = find(tf32, (d) => d.field === 'precision');
    assert.deepEqual([note.severity, note.code], ['info', 'default']);
    assert.match(note.message, /bf16 and fp16 are false .*: the Trainer ran without mixed precision, in fp32 \(tf32 on/);
    const odd = await readVariant(variant({ 'config.json': config({ torch_dtype: 'auto' }) }));
    assert.deepEqual(odd.runs[0].missing, ['precision']);
    const bad = find(odd, (d) => d.field === 'torch_dtype');
    assert.deepEqual([bad.line, bad.code], [25, 'bad-value']);
  });

  it('several evaluation sets: one is taken with a note, several without eval_loss leave the final loss missing', async () => {
    const one = await readVariant(variant({ 'trainer_state.json': state([{ loss: 3, step: 30 }, { eval_wiki_loss: 3.1, step: 30 }]) }));
    assert.equal(one.runs[0].finalLoss, 3.1);
    assert.equal(one.runs[0].sources.finalLoss?.field, 'eval_wiki_loss');
    const two = await readVariant(variant({ 'trainer_state.json': state([{ eval_wiki_loss: 3.1, eval_code_loss: 2.1, step: 30 }]) }));
    assert.equal(two.runs[0].finalLoss, undefined);
    assert.match(find(two, (d) => d.field === 'eval_loss').message, /eval_wiki_loss, eval_code_loss/);
    assert.deepEqual(
      two.runs[0].curve?.map((p) => p.split),
      ['eval_wiki', 'eval_code'],
    );
  });

  it('wrong types are named and skipped; past 20 problems the rest are counted', async () => {
    const history = [
      { loss: '3.2', step: 10 },
      { loss: 3.1, step: 'ten' },
      ...Array.from({ length: 30 }, (_, i) => ({ loss: -1, step: 11 + i })),
      { eval_loss: 3.0, step: 41 },
    ];
    const r = await readVariant(variant({ 'trainer_state.json': state(history, { global_step: 'x', train_batch_size: 0 }) }));
    assert.match(find(r, (d) => d.field === 'log_history[0].loss').message, /got the string "3\.2" \(write it as a number, without quotes\)/);
    assert.match(find(r, (d) => d.field === 'log_history[1].step').message, /previous step is used/);
    assert.match(find(r, (d) => d.field === 'log_history' && /more/.test(d.message)).message, /^12 more unusable/);
    assert.ok(find(r, (d) => d.field === 'global_step'));
    assert.ok(find(r, (d) => d.field === 'train_batch_size'));
    assert.equal(r.runs[0].finalLoss, 3.0);
  });

  it('a long log is thinned to the curve budget, keeping the last points', async () => {
    const history = [];
    for (let step = 1; step <= 20000; step++) {
      history.push({ loss: 2 + 1 / step, step, num_input_tokens_seen: step * 1000 });
      if (step % 1000 === 0) history.push({ eval_loss: 2.1 + 1 / step, step });
    }
    const file = variant({ 'trainer_state.json': state(history, { global_step: 20000, max_steps: 20000 }) });
    const r = await readHfTrainer(file, { root: scratch, aliases: DEFAULT_ALIASES }, { maxCurvePoints: 200 });
    const curve = r.runs[0].curve ?? [];
    assert.ok(curve.length <= 200, `${curve.length} points`);
    assert.equal(curve.filter((p) => p.split === 'eval').length, 20, 'the few evaluations are kept whole');
    assert.equal(curve.filter((p) => p.split === 'train').at(-1)?.step, 20000);
    assert.equal(r.runs[0].tokens, 20000 * 1000);
    assert.equal(r.runs[0].finalLoss, 2.1 + 1 / 20000);
  });

  it('empty, array-shaped, BOM-prefixed and UTF-16 states', async () => {
    const empty = await readVariant(variant({ 'trainer_state.json': '' }));
    assert.deepEqual([empty.runs.length, empty.notMine, empty.diagnostics[0]?.message], [0, undefined, 'trainer_state.json is empty']);
    assert.equal((await readVariant(variant({ 'trainer_state.json': '[1, 2]' }))).notMine, true);
    const broken = await readVariant(variant({ 'trainer_state.json': '{"log_histo' }));
    assert.equal(broken.runs.length, 0);
    assert.match(broken.diagnostics[0].message, /not valid JSON/);
    const bom = await readVariant(variant({ 'trainer_state.json': `\ufeff${readFileSync(at('complete', 'trainer_state.json'), 'utf8')}` }));
    assert.deepEqual(bom.runs[0].missing, []);
    assert.equal(bom.runs[0].sources.finalLoss?.line, 201);
    const utf16 = await readVariant(variant({ 'trainer_state.json': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"global_step": 1}', 'utf16le')]) }));
    assert.match(utf16.diagnostics[0].message, /UTF-16/);
  });

  it('a damaged config.json is reported and the run still listed', async () => {
    const r = await readVariant(variant({ 'config.json': '{"model_type": "llama", "hidden_size": 256,' }));
    assert.ok(find(r, (d) => d.file.endsWith('config.json') && /syntax error/.test(d.message)));
    assert.deepEqual(r.runs[0].missing, ['params', 'precision']);
    assert.match(find(r, (d) => d.field === 'params').message, /num_hidden_layers/);
  });

  it('never throws on truncated or bit-flipped fixtures, and every number it returns is usable', async () => {
    let seed = 20241105;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (const sub of ['complete', 'qlora-nf4', 'steps-batch-seq', 'run-clm', 'nan-eval']) {
      for (const name of ['trainer_state.json', 'config.json', 'training_args.json', 'eval_results.json']) {
        let original: Buffer;
        try {
          original = readFileSync(at(sub, name));
        } catch {
          continue;
        }
        for (let k = 0; k < 25; k++) {
          const damaged = Buffer.from(original.subarray(0, k % 2 === 0 ? Math.floor(random() * original.length) : original.length));
          for (let f = 0; f < 3 && k % 2 === 1; f++) damaged[Math.floor(random() * damaged.length)] ^= 1 << Math.floor(random() * 8);
          const file = variant({ [name]: damaged }, sub);
          for (const other of ['training_args.json', 'eval_results.json']) {
            if (other !== name) {
              try {
                writeFileSync(path.join(path.dirname(file), other), readFileSync(at(sub, other)));
              } catch {
                // the fixture has no such file
              }
            }
          }
          const r = await readVariant(file);
          for (const d of r.diagnostics) assert.ok(d.line === undefined || (Number.isInteger(d.line) && d.line >= 1));
          for (const run of r.runs) {
            for (const v of [run.params, run.tokens, run.finalLoss]) assert.ok(v === undefined || (Number.isFinite(v) && v > 0), String(v));
            for (const p of run.curve ?? []) assert.ok(Number.isFinite(p.loss) && p.loss > 0);
            if (run.missing.length > 0) assert.ok(r.diagnostics.length > 0);
          }
          if (r.runs.length === 0 && !r.notMine) assert.ok(r.diagnostics.length > 0);
        }
      }
    }
  });
});

describe('Hugging Face Trainer reader: training arguments, TensorBoard files, total_flos', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'hf-args-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  let n = 0;
  /** A copy of a fixture folder with files replaced (null removes one). */
  const copy = (base: string, files: Record<string, string | null> = {}): string => {
    const dir = path.join(scratch, String(n++));
    cpSync(path.join(DIR, base), dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      if (content === null) rmSync(path.join(dir, name), { recursive: true, force: true });
      else {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), content);
      }
    }
    return dir;
  };
  const readDir = (dir: string, state = 'trainer_state.json') => readHfTrainer(path.join(dir, state), { root: scratch, aliases: DEFAULT_ALIASES });
  const TB_RUN = 'runs/May02_09-30-00_gpu07';
  const TB_FILE = `${TB_RUN}/events.out.tfevents.1714642200.gpu07.31337.0`;
  const GPT2_N = 4 * (12 * 256 * 256 + 13 * 256) + 2 * 256;
  const BF16 = { bits: 16, type: 'fp', name: 'bf16' };
  const lfYaml = () => readFileSync(at('llama-factory', 'training_args.yaml'), 'utf8');

  it('run_clm with --bf16 and TensorBoard: bf16 from the args text summary over torch_dtype float32, D from total_flos, the event file joined', async () => {
    const r = await read('with-tensorboard');
    const run = r.runs[0];
    const events = at('with-tensorboard', TB_FILE);
    assert.equal(run.params, GPT2_N);
    assert.deepEqual(run.sources.params, { file: at('with-tensorboard', 'config.json'), line: 13, field: 'model_type' });
    assert.deepEqual(run.precision, { w: BF16, a: BF16, kv: BF16 });
    assert.deepEqual(run.sources.precision, { file: events, field: 'args/text_summary.bf16' });
    assert.equal(run.finalLoss, 3.7903);
    assert.deepEqual(run.sources.finalLoss, { file: at('with-tensorboard', 'eval_results.json'), line: 4, field: 'eval_loss' });
    // GPT-2 ties its head: the Trainer's count is N, so D = total_flos / 6N exactly.
    assert.equal(run.tokens, 400 * 8 * 4 * 1024);
    assert.deepEqual(run.sources.tokens, { file: at('with-tensorboard', 'trainer_state.json'), line: 127, field: 'total_flos' });
    assert.deepEqual(run.missing, []);
    assert.deepEqual(
      r.diagnostics.map((d) => [d.code, d.severity, d.field]),
      [
        ['grouped', 'info', undefined],
        ['conflict', 'info', 'eval_loss'],
        ['derived', 'info', 'tokens'],
      ],
    );
    const grouped = r.diagnostics[0];
    assert.equal(grouped.file, at('with-tensorboard', 'trainer_state.json'));
    assert.match(grouped.message, new RegExp(`event file ${TB_FILE.replace(/\./g, '\\.')} \\(written by the Trainer's TensorBoardCallback\\) is part of this run`));
    assert.match(grouped.message, /its args and model_config text summaries were read/);
    assert.ok(r.inputs?.includes(events));
    assert.ok(r.inputs?.includes(at('with-tensorboard', TB_RUN)));
    // The other side of the join: the TensorBoard reader leaves the file to this run.
    assert.equal((await readTensorBoardRun(events, { root: DIR, aliases: DEFAULT_ALIASES })).notMine, true);
  });

  it('a scan with every reader: one run for the output folder, not two', async () => {
    const s = await scan([path.join(DIR, 'with-tensorboard')], { readers: READERS });
    assert.deepEqual(
      s.runs.map((x) => x.format),
      ['hf-trainer'],
    );
  });

  it('without config.json, N comes from the model_config text summary; its torch_dtype says nothing of the precision', async () => {
    const r = await readDir(copy('with-tensorboard', { 'config.json': null }));
    const run = r.runs[0];
    const dir = path.join(scratch, String(n - 1));
    assert.equal(run.params, GPT2_N);
    assert.deepEqual(run.sources.params, { file: path.join(dir, TB_FILE), field: 'model_config/text_summary.model_type' });
    assert.equal(run.precision?.a.name, 'bf16');
    assert.equal(run.tokens, 400 * 8 * 4 * 1024, 'total_flos with the N of the summary');
    assert.deepEqual(run.missing, []);
  });

  it("LLaMA-Factory: bf16 and cutoff_len from training_args.yaml; D = steps x batch x accumulation x cutoff_len", async () => {
    const r = await read('llama-factory');
    const run = r.runs[0];
    const yaml = at('llama-factory', 'training_args.yaml');
    assert.equal(run.params, 6 * (2 * 512 * 512 + 2 * 512 * 128 + 512 + 256 + 3 * 512 * 1408 + 2 * 512) + 512);
    assert.deepEqual(run.precision, { w: BF16, a: BF16, kv: BF16 });
    assert.deepEqual(run.sources.precision, { file: yaml, line: 1, field: 'bf16' }, 'the flag, not config.json\'s torch_dtype, though both say bf16');
    assert.equal(run.tokens, 250 * 4 * 8 * 1024);
    assert.deepEqual(run.sources.tokens, { file: yaml, line: 2, field: 'cutoff_len' });
    assert.equal(run.meta?.tokensFrom, 'steps × batch × accumulation × devices × sequence length');
    const d = find(r, (x) => x.field === 'tokens');
    assert.deepEqual([d.severity, d.code, d.file, d.line], ['warning', 'derived', yaml, 2]);
    assert.match(d.message, /250 steps \(global_step\) x 4 \(train_batch_size, trainer_state\.json line \d+\) x 8 \(gradient_accumulation_steps\) x 1 device .* x 1024 \(cutoff_len\) = 8192000/);
    assert.equal(run.finalLoss, 3.1832);
    assert.deepEqual(run.missing, []);
  });

  it('QLoRA through LLaMA-Factory without packing: total_flos is not used, and the diagnostic says it is an adapter run loaded in 4 bits', async () => {
    const yaml = lfYaml().replace('finetuning_type: full', 'finetuning_type: lora').replace('packing: true', 'packing: false').replace('preprocessing_num_workers: 16', 'preprocessing_num_workers: 16\nquantization_bit: 4');
    const dir = copy('llama-factory', { 'training_args.yaml': yaml, 'adapter_config.json': JSON.stringify({ base_model_name_or_path: 'Qwen/Qwen2-0.5B', peft_type: 'LORA', r: 8 }, null, 2) });
    const r = await readDir(dir);
    assert.deepEqual(r.runs[0].missing, ['tokens']);
    const d = find(r, (x) => x.field === 'tokens');
    assert.deepEqual([d.severity, d.code], ['warning', 'missing-field']);
    assert.match(d.message, /packing: false/);
    assert.match(d.message, /total_flos \(trainer_state\.json line \d+\) is not used: this is an adapter run \(adapter_config\.json is there\).*; weights loaded quantized \(quantization_bit: 4\), training_args\.yaml line \d+/);
  });

  it('FSDP or DeepSpeed in the arguments: total_flos is not used', async () => {
    const args = (extra: Record<string, unknown>) => JSON.stringify({ bf16: true, fp16: false, per_device_train_batch_size: 8, ...extra }, null, 2);
    for (const [extra, word] of [
      [{ fsdp: ['full_shard', 'auto_wrap'] }, /FSDP/],
      [{ deepspeed: 'ds_zero3.json' }, /DeepSpeed/],
    ] as const) {
      const r = await readDir(copy('run-clm', { 'training_args.json': args(extra) }));
      assert.deepEqual(r.runs[0].missing, ['tokens']);
      assert.match(find(r, (x) => x.field === 'tokens').message, word);
    }
  });

  it('an untied head counts in the Trainer\'s parameter count: D = total_flos / 6(N + vocab x d)', async () => {
    const state = JSON.parse(readFileSync(at('complete', 'trainer_state.json'), 'utf8'));
    state.num_input_tokens_seen = 0;
    for (const entry of state.log_history) delete entry.num_input_tokens_seen;
    const r = await readDir(copy('complete', { 'trainer_state.json': JSON.stringify(state, null, 2) }));
    assert.equal(r.runs[0].tokens, Math.round(1234567800000000 / (6 * (LLAMA_N + 32000 * 256))));
    assert.match(find(r, (x) => x.field === 'tokens').message, /plus the untied output matrix, 8192000/);
  });

  it('bf16 and fp16 false: fp32 as the Trainer\'s default, bf16_full_eval being evaluation only; with bf16 weights saved, a conflict', async () => {
    const args = JSON.stringify({ bf16: false, fp16: false, bf16_full_eval: true, per_device_train_batch_size: 8 }, null, 2);
    const fp32 = await readDir(copy('run-clm', { 'training_args.json': args }));
    assert.equal(fp32.runs[0].precision?.w.name, 'fp32');
    const note = find(fp32, (d) => d.field === 'precision');
    assert.deepEqual([note.severity, note.code, note.line], ['info', 'default', 2]);
    const saved = await readDir(copy('complete', { 'training_args.json': args }));
    assert.equal(saved.runs[0].precision?.w.name, 'fp32');
    const conflict = find(saved, (d) => d.field === 'precision');
    assert.deepEqual([conflict.severity, conflict.code, path.basename(conflict.file), conflict.line], ['warning', 'conflict', 'config.json', 25]);
    assert.match(conflict.message, /says the weights were saved in bf16/);
  });

  it("LLaMA-Factory's pure_bf16 is bf16; a training_args.yaml without any flag leaves the saved dtype to speak", async () => {
    const pure = await readDir(copy('llama-factory', { 'training_args.yaml': lfYaml().replace('bf16: true\n', 'pure_bf16: true\n') }));
    assert.deepEqual(pure.runs[0].sources.precision?.field, 'pure_bf16');
    assert.equal(pure.runs[0].precision?.a.name, 'bf16');
    const none = await readDir(copy('llama-factory', { 'training_args.yaml': lfYaml().replace('bf16: true\n', '') }));
    assert.deepEqual(none.runs[0].sources.precision?.field, 'torch_dtype');
    assert.equal(none.runs[0].precision?.a.name, 'bf16');
  });

  it('only checkpoints and runs/: the latest checkpoint is the run and claims the event file', async () => {
    const dir = copy('with-tensorboard');
    mkdirSync(path.join(dir, 'checkpoint-400'));
    for (const name of ['trainer_state.json', 'config.json']) writeFileSync(path.join(dir, 'checkpoint-400', name), readFileSync(path.join(dir, name)));
    for (const name of ['trainer_state.json', 'config.json', 'all_results.json', 'eval_results.json', 'train_results.json']) rmSync(path.join(dir, name));
    const s = await scan([dir], { readers: READERS });
    assert.deepEqual(
      s.runs.map((x) => [x.format, x.id]),
      [['hf-trainer', 'checkpoint-400/trainer_state.json']],
    );
    assert.equal(s.runs[0].precision?.a.name, 'bf16');
    assert.ok(s.diagnostics.some((d) => d.code === 'grouped'));
  });

  it('every diagnostic of the fixtures has a code from the closed set', async () => {
    for (const sub of ['complete', 'run-clm', 'steps-batch-seq', 'qlora-nf4', 'nan-eval', 'truncated', 'unknown-arch', 'no-config', 'binary', 'with-tensorboard', 'llama-factory']) {
      for (const d of (await read(sub)).diagnostics) assert.ok(d.code !== undefined && (DIAGNOSTIC_CODES as readonly string[]).includes(d.code), `${sub}: ${d.message}`);
    }
  });
});
