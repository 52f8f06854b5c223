import assert from 'node:assert/strict';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import { DEFAULT_MAX_CURVE_POINTS } from '../../src/runs/curves';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { scan } from '../../src/runs/discover';
import { PRECISION_NAMES } from '../../src/runs/precision';
import { READERS, RUN_FILES_LOOKED_FOR } from '../../src/runs/readers';
import { isTextLogCandidate, readTextLog, textLogReader } from '../../src/runs/readers/textLog';
import { cleanLine, logNumber } from '../../src/runs/readers/textLogShared';
import { type Run, incompleteText, isComplete } from '../../src/runs/run';

const FIXTURES = path.resolve(__dirname, '../fixtures/text-log');
const WANDB = path.resolve(__dirname, '../fixtures/wandb/good/wandb/run-20240611_142233-7f3kq2xa');
const context = { root: FIXTURES, aliases: DEFAULT_ALIASES };
const fixture = (rel: string): string => path.join(FIXTURES, rel);
const codes = (ds: readonly Diagnostic[]): string[] => ds.map((d) => d.code ?? 'none');
const { bf16, fp16, fp32, e4m3 } = PRECISION_NAMES;
const uniform = (p: typeof bf16) => ({ w: p, a: p, kv: p });

/** 1-based line of the first line of `file` that is `text` (or starts with it, for a prefix ending in "…"). */
function lineOf(file: string, text: string, from = 1): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const prefix = text.endsWith('…') ? text.slice(0, -1) : undefined;
  const i = lines.findIndex((l, k) => k >= from - 1 && (prefix ? l.startsWith(prefix) : l === text));
  assert.ok(i >= 0, `${text} not in ${file}`);
  return i + 1;
}

async function readOne(rel: string): Promise<{ run: Run; diagnostics: Diagnostic[]; file: string }> {
  const file = fixture(rel);
  const result = await readTextLog(file, context);
  assert.equal(result.notMine, undefined);
  assert.equal(result.runs.length, 1, JSON.stringify(result.diagnostics));
  return { run: result.runs[0], diagnostics: result.diagnostics, file };
}

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-textlog-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function temp(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(tmp, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

describe('text-log reader: matching and registry', () => {
  it('takes the names stdout is saved under, and nothing else', () => {
    for (const name of ['train.log', 'output.log', 'out.txt', 'slurm-4815162.out', 'slurm-123_4.out', 'stdout', 'stdout.txt', 'run3.log', 'job.out', 'notes.txt', 'train.o812345'])
      assert.ok(isTextLogCandidate(name), name);
    for (const name of ['train.py', 'metrics.csv', 'run.json', 'wandb-summary.json', 'events.out.tfevents.1700000000.host', 'config.yaml', 'log.md']) assert.ok(!isTextLogCandidate(name), name);
  });

  it('is registered after the formats with their own file names and before the sweep tables, and named in the no-runs message', () => {
    const ids = READERS.map((r) => r.id);
    assert.equal(textLogReader.id, 'text-log');
    assert.ok(ids.indexOf('text-log') < ids.indexOf('sweep-table'));
    assert.ok(ids.indexOf('text-log') > ids.indexOf('wandb') && ids.indexOf('text-log') > ids.indexOf('tensorboard'));
    assert.match(RUN_FILES_LOOKED_FOR, /nanoGPT and Megatron-LM training logs/);
  });

  it('numbers as trainers print them, and launcher prefixes', () => {
    assert.equal(logNumber('491,520'), 491520);
    assert.equal(logNumber('3.207950E+00'), 3.20795);
    assert.ok(Number.isNaN(logNumber('nan')) && Number.isNaN(logNumber('NAN')));
    assert.equal(logNumber('-inf'), -Infinity);
    assert.equal(logNumber('n/a'), undefined);
    assert.equal(cleanLine('[default0]:step 5: train loss 1.0, val loss 2.0'), 'step 5: train loss 1.0, val loss 2.0');
    assert.equal(cleanLine('0: iter 5: loss 1.0, time 3.00ms, mfu 1.00%'), 'iter 5: loss 1.0, time 3.00ms, mfu 1.00%');
    assert.equal(cleanLine('\x1b[36mstep 5: train loss 1.0, val loss 2.0\x1b[0m'), 'step 5: train loss 1.0, val loss 2.0');
  });
});

describe('text-log reader: nanoGPT', () => {
  it('a complete shakespeare-char run: N without the tied token embedding, D = step × tokens per iteration, dtype from the override line, the last val loss', async () => {
    const { run, diagnostics, file } = await readOne('nanogpt-shakespeare-char/train.log');
    assert.ok(isComplete(run));
    assert.equal(run.id, 'nanogpt-shakespeare-char/train.log');
    assert.equal(run.name, 'nanogpt-shakespeare-char');
    assert.equal(run.format, 'text-log');
    assert.equal(run.file, file);
    // model.py prints 10.65M without wpe; the 65 × 384 token embedding (tied to lm_head) comes off.
    assert.equal(run.params, 10_650_000 - 65 * 384);
    assert.equal(run.tokens, 5000 * 16_384);
    assert.deepEqual(run.precision, uniform(bf16));
    assert.equal(run.finalLoss, 1.5297);
    const last = lineOf(file, 'step 5000: train loss 0.6377, val loss 1.5297');
    assert.deepEqual(run.sources, {
      params: { file, line: lineOf(file, 'number of parameters: 10.65M'), field: 'number of parameters − vocab_size × n_embd (token embedding, tied to lm_head)' },
      tokens: { file, line: last, field: 'step × tokens per iteration' },
      precision: { file, line: lineOf(file, 'Overriding: dtype = bfloat16'), field: 'dtype' },
      finalLoss: { file, line: last, field: 'val loss' },
    });
    assert.deepEqual(codes(diagnostics), ['derived', 'derived']);
    assert.ok(diagnostics.every((d) => d.severity === 'info' && d.file === file));
    assert.equal(run.unfinished, undefined);
    assert.deepEqual(run.meta, { tool: 'nanoGPT', initFrom: 'scratch', configFiles: ['config/train_shakespeare_char.py'], tokensPerIteration: 16_384, lastStep: 5000, dialect: 'nanogpt' });
    // Validation points from the step lines, training points from the iter lines, in step order with their tokens.
    const curve = run.curve ?? [];
    assert.equal(curve.filter((p) => p.split === 'val').length, 21);
    assert.equal(curve.filter((p) => p.split === 'train').length, 501);
    assert.deepEqual(curve.at(-2), { step: 5000, split: 'val', loss: 1.5297, tokens: 81_920_000 });
    assert.ok(curve.every((p, i) => i === 0 || p.step >= curve[i - 1].step));
  });

  it('a diverged run: the val loss before the NaNs, D at that step, no precision (dtype not printed), n_embd taken from train.py with a warning', async () => {
    const { run, diagnostics, file } = await readOne('nanogpt-diverged/out.txt');
    assert.equal(run.name, 'nanogpt-diverged');
    assert.equal(run.finalLoss, 2.3147);
    assert.equal(run.tokens, 400 * 512);
    assert.equal(run.params, 800_000 - 65 * 768);
    assert.deepEqual(run.missing, ['precision']);
    assert.match(run.reasons?.precision ?? '', /dtype not in the log/);
    assert.equal(run.sources.finalLoss?.line, lineOf(file, 'step 400: …'));
    assert.deepEqual(codes(diagnostics).sort(), ['bad-value', 'default', 'derived', 'derived', 'missing-field']);
    const diverged = diagnostics.find((d) => d.code === 'bad-value');
    assert.equal(diverged?.line, lineOf(file, 'iter 425: …'));
    assert.equal(diagnostics.find((d) => d.code === 'default')?.severity, 'warning');
    assert.equal(diagnostics.find((d) => d.code === 'missing-field')?.field, 'precision');
    assert.ok((run.curve ?? []).every((p) => Number.isFinite(p.loss)));
  });

  it('a run that crashed and was resumed in the same file is one finished run; D counts the steps from the checkpoint on', async () => {
    const { run, diagnostics, file } = await readOne('nanogpt-resumed/train.log');
    assert.equal(run.tokens, 1000 * 16_384);
    assert.equal(run.finalLoss, 1.5339);
    assert.equal(run.sources.finalLoss?.line, lineOf(file, 'step 1000: …'));
    assert.equal(run.unfinished, undefined);
    assert.equal(run.meta?.resumes, 1);
    assert.equal(run.meta?.initFrom, 'scratch');
    assert.ok(!codes(diagnostics).includes('unfinished'));
    assert.ok(!codes(diagnostics).includes('grouped'));
  });

  it('a Slurm job running train.py twice: two runs, the second cancelled at the time limit; --device=cpu means float32', async () => {
    const file = fixture('slurm/slurm-4815162.out');
    const { runs, diagnostics } = await readTextLog(file, context);
    assert.equal(runs.length, 2);
    const second = lineOf(file, 'Overriding config with config/train_shakespeare_char.py:', 10);
    assert.deepEqual(
      runs.map((r) => r.id),
      ['slurm/slurm-4815162.out', `slurm/slurm-4815162.out#${second}`],
    );
    assert.deepEqual(
      runs.map((r) => r.name),
      ['slurm-4815162', `slurm-4815162 (line ${second})`],
    );
    assert.deepEqual(
      runs.map((r) => [r.params, r.tokens, r.finalLoss]),
      [
        [800_000 - 65 * 128, 600 * 768, 1.5314],
        [2_680_000 - 65 * 192, 200 * 768, 1.8602],
      ],
    );
    for (const r of runs) {
      assert.deepEqual(r.precision, uniform(fp32));
      assert.equal(r.sources.precision?.field, 'device');
    }
    assert.equal(runs[0].sources.precision?.line, lineOf(file, 'Overriding: device = cpu'));
    assert.equal(runs[0].unfinished, undefined);
    assert.equal(runs[1].unfinished, true);
    const cancelled = diagnostics.find((d) => d.code === 'unfinished');
    assert.equal(cancelled?.line, lineOf(file, 'slurmstepd: error: …'));
    assert.equal(diagnostics.filter((d) => d.code === 'grouped').length, 1);
  });

  it('the config echo is parsed as Python, never run: a conditional dtype (train.py default) leaves the precision missing, quietly', async () => {
    const file = await temp('cond/train.log', ['Overriding config with config/my.py:', "dtype = 'bfloat16' if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else 'float16'", 'n_embd = 384 # wide', '', 'tokens per iteration will be: 1,024', 'number of parameters: 30.00M', 'step 0: train loss 4.0000, val loss 4.0000', 'step 10: train loss 3.0000, val loss 3.1000', ''].join('\n'));
    const { runs, diagnostics } = await readTextLog(file, { root: tmp, aliases: DEFAULT_ALIASES });
    assert.deepEqual(runs[0].missing, ['precision']);
    assert.equal(runs[0].params, 30_000_000 - 50_304 * 384);
    assert.equal(runs[0].tokens, 10_240);
    // No warning about a garbage dtype string: only the missing precision and the defaulted vocabulary.
    assert.deepEqual(codes(diagnostics).sort(), ['default', 'derived', 'derived', 'missing-field']);
  });

  it('a fine-tune from OpenAI GPT-2 weights: N from the checkpoint size, D missing (the pretraining tokens are not in the log)', async () => {
    const file = await temp('ft/train.log', ['Overriding config with config/finetune_shakespeare.py:', "init_from = 'gpt2'", 'tokens per iteration will be: 32,768', 'Initializing from OpenAI GPT-2 weights: gpt2', 'loading weights from pretrained gpt: gpt2', 'forcing vocab_size=50257, block_size=1024, bias=True', 'overriding dropout rate to 0.0', 'number of parameters: 123.65M', 'step 0: train loss 4.1000, val loss 4.0000', 'iter 0: loss 4.0500, time 900.00ms, mfu -100.00%', 'step 5: train loss 3.5000, val loss 3.6000', ''].join('\n'));
    const { runs, diagnostics } = await readTextLog(file, { root: tmp, aliases: DEFAULT_ALIASES });
    const run = runs[0];
    assert.equal(run.params, 123_650_000 - 50_257 * 768);
    assert.deepEqual(run.missing, ['tokens', 'precision']);
    assert.match(run.reasons?.tokens ?? '', /fine-tuned from OpenAI's gpt2/);
    assert.equal(run.meta?.initFrom, 'gpt2');
    assert.equal(diagnostics.find((d) => d.field === 'tokens')?.code, 'missing-field');
  });

  it('a NaN final val loss is no final loss, with the reason; eval-only runs have no D', async () => {
    const nan = await temp('nan/train.log', ['tokens per iteration will be: 100', 'found vocab_size = 65 (inside data/x/meta.pkl)', 'number of parameters: 1.00M', 'Overriding: dtype = float16', 'step 0: train loss 4.0000, val loss 4.0000', 'step 10: train loss nan, val loss nan', ''].join('\n'));
    const a = await readTextLog(nan, { root: tmp, aliases: DEFAULT_ALIASES });
    assert.deepEqual(a.runs[0].precision, uniform(fp16));
    assert.deepEqual(a.runs[0].missing, ['finalLoss']);
    assert.equal(a.runs[0].reasons?.finalLoss, 'val loss is NaN at step 10');
    assert.equal(a.diagnostics.find((d) => d.field === 'finalLoss')?.code, 'bad-value');
    assert.match(incompleteText(a.runs[0]), /val loss is NaN/);

    const evalOnly = await temp('eval/train.log', ['Overriding: eval_only = True', 'tokens per iteration will be: 100', 'number of parameters: 1.00M', 'step 0: train loss 4.0000, val loss 4.0000', ''].join('\n'));
    const b = await readTextLog(evalOnly, { root: tmp, aliases: DEFAULT_ALIASES });
    assert.equal(b.runs[0].finalLoss, 4);
    assert.ok(b.runs[0].missing.includes('tokens'));
    assert.match(b.runs[0].reasons?.tokens ?? '', /step 0/);
    // 1.00M is less than GPT-2's padded vocabulary × train.py's n_embd: no N rather than a negative one.
    assert.ok(b.runs[0].missing.includes('params'));
    assert.equal(b.diagnostics.find((d) => d.field === 'params')?.code, 'implausible');
  });

  it('a restart that prints its settings and stops before training is not made a run of its own', async () => {
    const lines = ['tokens per iteration will be: 100', 'found vocab_size = 65 (inside data/x/meta.pkl)', 'number of parameters: 1.00M', 'step 10: train loss 3.0000, val loss 3.2000', 'Overriding: batch_size = 8', 'tokens per iteration will be: 80', ''];
    const file = await temp('restart/train.log', lines.join('\n'));
    const { runs, diagnostics } = await readTextLog(file, { root: tmp, aliases: DEFAULT_ALIASES });
    assert.equal(runs.length, 1);
    assert.equal(runs[0].tokens, 1000);
    const note = diagnostics.find((d) => d.code === 'unfinished');
    assert.equal(note?.line, 5);
  });

  it('torchrun --tee prefixes and CRLF line ends are read through', async () => {
    const lines = ['tokens per iteration will be: 100', 'number of parameters: 1.00M', 'Overriding: dtype = bfloat16', 'step 0: train loss 4.0000, val loss 4.0000', 'step 10: train loss 3.0000, val loss 3.2000'];
    const file = await temp('tee/train.log', lines.map((l) => `[default0]:${l}\r\n`).join(''));
    const { runs } = await readTextLog(file, { root: tmp, aliases: DEFAULT_ALIASES });
    assert.deepEqual([runs[0].tokens, runs[0].finalLoss, runs[0].sources.finalLoss?.line], [1000, 3.2, 5]);
  });

  it('a log with progress but no header still says what it lacks, one coded diagnostic per missing field', async () => {
    const file = await temp('bare/out.txt', 'step 100: train loss 2.0000, val loss 2.1000\n');
    const { runs, diagnostics } = await readTextLog(file, { root: tmp, aliases: DEFAULT_ALIASES });
    assert.deepEqual(runs[0].missing, ['params', 'tokens', 'precision']);
    for (const field of runs[0].missing) assert.equal(diagnostics.find((d) => d.field === field)?.code, 'missing-field', field);
    assert.equal(runs[0].finalLoss, 2.1);
  });
});

describe('text-log reader: Megatron-LM', () => {
  it('GPT-2 small on one shard: N = the printed count − word and position embeddings, D = consumed samples × seq_length, bf16, the last validation-set loss (not the test set)', async () => {
    const { run, diagnostics, file } = await readOne('megatron-gpt2-small/train.log');
    assert.ok(isComplete(run));
    // architecture.ts counts 85,056,000 for this GPT-2: the two agree.
    assert.equal(run.params, 124_475_904 - 50_304 * 768 - 1024 * 768);
    assert.equal(run.params, 85_056_000);
    assert.equal(run.tokens, 2000 * 256 * 1024);
    assert.deepEqual(run.precision, uniform(bf16));
    assert.equal(run.finalLoss, 3.016686);
    const lastIteration = lineOf(file, ' [2025-03-04 09:26:20.468000] iteration     2000/    2000 | …');
    const lines = readFileSync(file, 'utf8').split('\n');
    const finalValidation = lines.map((l, i) => (l.includes('on validation set') ? i + 1 : 0)).reduce((a, b) => Math.max(a, b));
    assert.deepEqual(run.sources, {
      params: { file, line: lineOf(file, ' > number of parameters on …'), field: 'number of parameters − word embedding − position embedding' },
      tokens: { file, line: lastIteration, field: 'consumed samples × seq_length' },
      precision: { file, line: lineOf(file, '  bf16 …'), field: 'bf16' },
      finalLoss: { file, line: finalValidation, field: 'validation lm loss value' },
    });
    assert.deepEqual(codes(diagnostics), ['derived', 'derived']);
    assert.equal(run.meta?.testLoss, 3.028686);
    assert.equal(run.meta?.dialect, 'megatron');
    assert.equal(run.unfinished, undefined);
    const curve = run.curve ?? [];
    assert.deepEqual(
      curve.filter((p) => p.split === 'val').map((p) => p.step),
      [500, 1000, 1500, 2000, 2000],
    );
    assert.equal(curve.filter((p) => p.split === 'train').length, 20);
  });

  it('a 2022 tensor-parallel fp16 run: N left missing (each rank prints its share), the "end of training for val data" loss', async () => {
    const { run, diagnostics, file } = await readOne('megatron-legacy-tp2/slurm-2201987.out');
    assert.equal(run.name, 'slurm-2201987');
    assert.deepEqual(run.missing, ['params']);
    assert.match(run.reasons?.params ?? '', /split over 2 × 1 tensor × pipeline ranks/);
    assert.equal(diagnostics.find((d) => d.field === 'params')?.code, 'unsupported');
    assert.equal(run.tokens, 1500 * 128 * 1024);
    assert.deepEqual(run.precision, uniform(fp16));
    assert.equal(run.sources.finalLoss?.line, lineOf(file, ' validation loss at the end of training for val data | …'));
    assert.equal(run.finalLoss, 3.157138);
  });

  const args = (values: Record<string, unknown>): string[] => [
    '------------------------ arguments ------------------------',
    ...Object.entries(values)
      .map(([k, v]) => `  ${k} ${'.'.repeat(Math.max(0, 48 - k.length))} ${String(v)}`)
      .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
    '-------------------- end of arguments ---------------------',
  ];
  const base = { bf16: 'True', fp16: 'False', fp8: 'None', global_batch_size: 16, hidden_size: 64, log_interval: 10, max_position_embeddings: 128, num_experts: 'None', num_layers: 2, pipeline_model_parallel_size: 1, position_embedding_type: 'rope', rampup_batch_size: 'None', seq_length: 128, tensor_model_parallel_size: 1, untie_embeddings_and_output_weights: 'True' };
  const iteration = (i: number, total: number, loss: number) => ` iteration ${String(i).padStart(8)}/${String(total).padStart(8)} | consumed samples: ${String(i * 16).padStart(12)} | global batch size:    16 | lm loss: ${loss.toExponential(6).toUpperCase()} | loss scale: 1.0 | number of skipped iterations:   0 | number of nan iterations:   0 |`;

  it('FP8 (--fp8-format hybrid): E4M3 weights and activations, the K/V in bf16; an untied rope model loses two embeddings', async () => {
    const file = await temp('fp8/train.log', [...args({ ...base, fp8: 'hybrid' }), ' > padded vocab (size: 1000) with 24 dummy tokens (new size: 1024)', ' > number of parameters on (tensor, pipeline) model parallel rank (0, 0): 300000', iteration(10, 20, 5), iteration(20, 20, 4), ' validation loss at iteration 20 on validation set | lm loss value: 4.100000E+00 | lm loss PPL: 6.0E+01 | ', '[after training is done] datetime: 2025-01-01 00:00:00 ', ''].join('\n'));
    const { runs, diagnostics } = await readTextLog(file, { root: tmp, aliases: DEFAULT_ALIASES });
    const run = runs[0];
    assert.deepEqual(run.precision, { w: e4m3, a: e4m3, kv: bf16 });
    assert.equal(run.sources.precision?.field, 'fp8');
    assert.equal(run.params, 300_000 - 2 * 1024 * 64);
    assert.equal(run.tokens, 20 * 16 * 128);
    assert.ok(isComplete(run), JSON.stringify(diagnostics));
  });

  it('an evaluation at an iteration with no log line: D = iteration × global_batch_size × seq_length; a run stopped early is unfinished', async () => {
    const file = await temp('interval/train.log', [...args(base), ' > padded vocab (size: 1000) with 24 dummy tokens (new size: 1024)', ' > number of parameters on (tensor, pipeline) model parallel rank (0, 0): 300000', iteration(10, 100, 5), ' validation loss at iteration 15 on validation set | lm loss value: 4.500000E+00 | lm loss PPL: 9.0E+01 | ', iteration(20, 100, 4), '[exiting program at iteration 20] datetime: 2025-01-01 00:00:00 ', ''].join('\n'));
    const { runs, diagnostics } = await readTextLog(file, { root: tmp, aliases: DEFAULT_ALIASES });
    assert.equal(runs[0].tokens, 15 * 16 * 128);
    assert.equal(runs[0].sources.tokens?.field, 'iteration × global_batch_size × seq_length');
    assert.equal(runs[0].unfinished, true);
    assert.ok(diagnostics.some((d) => d.code === 'unfinished' && /exited at iteration 20/.test(d.message)));
  });

  it('a requeued job appending to its log: the run loaded from its checkpoint goes on as the same run', async () => {
    const block = [...args(base), ' > padded vocab (size: 1000) with 24 dummy tokens (new size: 1024)', ' > number of parameters on (tensor, pipeline) model parallel rank (0, 0): 300000'];
    const file = await temp('requeue/slurm-77.out', [...block, iteration(10, 40, 5), iteration(20, 40, 4.5), ' validation loss at iteration 20 on validation set | lm loss value: 4.600000E+00 | lm loss PPL: 9.9E+01 | ', 'slurmstepd: error: *** JOB 77 ON gpu3 CANCELLED AT 2025-01-01T10:00:00 DUE TO PREEMPTION ***', ...block, '  successfully loaded checkpoint from /ckpt [ t 1/1, p 1/1 ] at iteration 20', iteration(30, 40, 4.2), iteration(40, 40, 4), ' validation loss at iteration 40 on validation set | lm loss value: 4.050000E+00 | lm loss PPL: 5.7E+01 | ', ''].join('\n'));
    const { runs, diagnostics } = await readTextLog(file, { root: tmp, aliases: DEFAULT_ALIASES });
    assert.equal(runs.length, 1);
    assert.deepEqual([runs[0].tokens, runs[0].finalLoss, runs[0].unfinished, runs[0].meta?.resumedFromIteration], [40 * 16 * 128, 4.05, undefined, 20]);
    assert.ok(!codes(diagnostics).includes('grouped') && !codes(diagnostics).includes('unfinished'));
  });

  it('a mixture-of-experts model has no N; a NaN validation loss is no final loss', async () => {
    const file = await temp('moe/train.log', [...args({ ...base, num_experts: 8 }), ' > number of parameters on (tensor, pipeline) model parallel rank (0, 0): 300000', iteration(10, 10, 5), ' validation loss at iteration 10 on validation set | lm loss value: NAN | lm loss PPL: NAN | ', ''].join('\n'));
    const { runs, diagnostics } = await readTextLog(file, { root: tmp, aliases: DEFAULT_ALIASES });
    assert.deepEqual(runs[0].missing, ['params', 'finalLoss']);
    assert.equal(diagnostics.find((d) => d.field === 'params')?.code, 'unsupported');
    assert.equal(diagnostics.find((d) => d.field === 'finalLoss')?.code, 'bad-value');
    assert.match(runs[0].reasons?.finalLoss ?? '', /NaN/);
  });
});

describe('text-log reader: what it leaves alone', () => {
  it('a README, a requirements file and a pip log are not training logs', async () => {
    for (const name of ['README.txt', 'requirements.txt', 'pip.log']) {
      const r = await readTextLog(fixture(`not-logs/${name}`), context);
      assert.deepEqual(r, { runs: [], diagnostics: [], notMine: true }, name);
    }
  });

  it("a W&B run folder's output.log is the W&B reader's; its debug.log is no training log", async () => {
    for (const rel of ['files/output.log', 'logs/debug.log']) {
      const r = await readTextLog(path.join(WANDB, rel), context);
      assert.equal(r.notMine, true, rel);
    }
    const scanned = await scan([path.dirname(path.dirname(WANDB))]);
    assert.deepEqual(
      scanned.runs.map((r) => r.format),
      ['wandb'],
    );
  });

  it('binary files and Git LFS pointers: a diagnostic under a log name, not mine under a generic one; UTF-16 logs are named as such', async () => {
    const pointer = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n';
    const lfs = await readTextLog(await temp('lfs/train.log', pointer), { root: tmp, aliases: DEFAULT_ALIASES });
    assert.deepEqual([lfs.runs.length, codes(lfs.diagnostics)], [0, ['lfs-pointer']]);
    assert.equal((await readTextLog(await temp('lfs/data.txt', pointer), { root: tmp, aliases: DEFAULT_ALIASES })).notMine, true);

    const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]);
    assert.equal((await readTextLog(await temp('bin/a.out', elf), { root: tmp, aliases: DEFAULT_ALIASES })).notMine, true);
    assert.deepEqual(codes((await readTextLog(await temp('bin/train.log', elf), { root: tmp, aliases: DEFAULT_ALIASES })).diagnostics), ['binary']);

    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('tokens per iteration will be: 100\r\nstep 0: train loss 4.0000, val loss 4.0000\r\n', 'utf16le')]);
    const u = await readTextLog(await temp('ps/train.log', utf16), { root: tmp, aliases: DEFAULT_ALIASES });
    assert.deepEqual([u.runs.length, codes(u.diagnostics)], [0, ['binary']]);
    assert.match(u.diagnostics[0].message, /UTF-16/);
    assert.equal((await readTextLog(await temp('ps/notes.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('shopping list\r\n', 'utf16le')])), { root: tmp, aliases: DEFAULT_ALIASES })).notMine, true);

    assert.equal((await readTextLog(await temp('empty/train.log', ''), { root: tmp, aliases: DEFAULT_ALIASES })).notMine, true);
  });

  it("only the head is looked at: a trainer's line deep in a generic .txt is not searched for, but a log name gets a longer look", async () => {
    const preamble = `${'Requirement already satisfied: numpy in ./venv/lib/python3.11/site-packages (1.26.4)\n'.repeat(4000)}`;
    const log = `${preamble}tokens per iteration will be: 100\nnumber of parameters: 1.00M\nstep 10: train loss 3.0000, val loss 3.1000\n`;
    assert.ok(preamble.length > 256 * 1024 && preamble.length < 4 * 1024 * 1024);
    assert.equal((await readTextLog(await temp('deep/corpus.txt', log), { root: tmp, aliases: DEFAULT_ALIASES })).notMine, true);
    const named = await readTextLog(await temp('deep/train.log', log), { root: tmp, aliases: DEFAULT_ALIASES });
    assert.equal(named.runs[0].finalLoss, 3.1);
  });
});

describe('text-log reader: big logs', () => {
  it('a 300,000-step log: the curve stays within its budget, the last values are exact, over-long lines are skipped', async () => {
    const file = path.join(tmp, 'big', 'train.log');
    await mkdir(path.dirname(file), { recursive: true });
    const out = createWriteStream(file);
    const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve())));
    await write('Overriding: dtype = bfloat16\ntokens per iteration will be: 491,520\nfound vocab_size = 50304 (inside data/owt/meta.pkl)\nnumber of parameters: 123.59M\n');
    await write(`${'x'.repeat(100_000)}\n`);
    const steps = 300_000;
    let chunk = '';
    for (let i = 0; i <= steps; i++) {
      if (i % 2000 === 0) chunk += `step ${i}: train loss ${(3 + 1 / (1 + i)).toFixed(4)}, val loss ${(3.1 + 1 / (1 + i)).toFixed(4)}\n`;
      chunk += `iter ${i}: loss ${(3 + 1 / (1 + i)).toFixed(4)}, time 101.00ms, mfu 40.00%\n`;
      if (chunk.length > 1 << 20) {
        await write(chunk);
        chunk = '';
      }
    }
    await write(chunk);
    await new Promise<void>((resolve) => out.end(() => resolve()));
    const { runs } = await readTextLog(file, { root: tmp, aliases: DEFAULT_ALIASES });
    const run = runs[0];
    assert.equal(run.tokens, steps * 491_520);
    assert.equal(run.finalLoss, 3.1);
    assert.equal(run.params, 123_590_000 - 50_304 * 768);
    const curve = run.curve ?? [];
    assert.ok(curve.length <= DEFAULT_MAX_CURVE_POINTS, String(curve.length));
    assert.equal(curve.filter((p) => p.split === 'val').length, steps / 2000 + 1);
    assert.equal(curve.at(-1)?.step, steps);
  });
});

describe('text-log reader: modded-nanogpt', () => {
  const FILE = fixture('modded-nanogpt/a1b2c3d4-0000-4000-8000-000000000001.txt');

  it("N from the printed GPTConfig, D = the last evaluation's step × batch_size × sequence_length, the last val_loss; the precision left to the user", async () => {
    const { runs, diagnostics } = await readTextLog(FILE, context);
    assert.equal(runs.length, 1);
    const [run] = runs;
    assert.equal(run.meta?.dialect, 'modded-nanogpt');
    assert.equal(run.params, 12 * (12 * 768 ** 2 + 13 * 768) + 2 * 768);
    assert.equal(run.tokens, 1000 * 256 * 1024);
    assert.deepEqual(run.sources.tokens, { file: FILE, line: 1033, field: 'step × batch_size × sequence_length' });
    assert.equal(run.finalLoss, 3.3);
    assert.deepEqual(run.sources.finalLoss, { file: FILE, line: 1033, field: 'val_loss' });
    assert.deepEqual(run.missing, ['precision']);
    assert.equal(run.unfinished, undefined);
    assert.ok(diagnostics.some((d) => d.code === 'derived' && d.field === 'tokens'));
    assert.ok(diagnostics.some((d) => d.code === 'missing-field' && d.field === 'precision'));
  });

  it('a log cut before its last step is unfinished; --precision completes it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'modded-'));
    const text = readFileSync(FILE, 'utf8').split('\n');
    const cut = text.findIndex((l) => l.startsWith('step:900/1000 train_loss'));
    await writeFile(path.join(dir, 'run.txt'), `${text.slice(0, cut).join('\n')}\n`);
    const { runs, diagnostics } = await readTextLog(path.join(dir, 'run.txt'), { root: dir, aliases: DEFAULT_ALIASES });
    assert.deepEqual([runs[0].unfinished, runs[0].finalLoss, runs[0].tokens], [true, 3.9201, 750 * 256 * 1024]);
    assert.ok(diagnostics.some((d) => d.code === 'unfinished'));
    await rm(dir, { recursive: true, force: true });
  });
});
