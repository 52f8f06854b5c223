// nanoGPT (github.com/karpathy/nanoGPT) train.py's stdout, line by line, as its print calls
// write it:
//   configurator.py   "Overriding config with config/x.py:" then the file's text, and
//                     "Overriding: key = value" per --key=value (the value as str() prints it)
//   train.py          "tokens per iteration will be: 491,520"
//                     "found vocab_size = 65 (inside data/x/meta.pkl)", "Initializing a new model
//                     from scratch", "defaulting to vocab_size of GPT-2 to 50304 (…)",
//                     "Resuming training from out", "Initializing from OpenAI GPT-2 weights: gpt2"
//                     "step 400: train loss 3.3296, val loss 3.3687"   (every eval_interval)
//                     "iter 100: loss 3.1000, time 12.30ms, mfu 1.20%"  (every log_interval)
//   model.py          "number of parameters: 10.65M", "loading weights from pretrained gpt: gpt2",
//                     "forcing vocab_size=50257, block_size=1024, bias=True"
//
// The law's quantities from those lines:
//   N  model.py's get_num_params() leaves out the position embeddings (wpe) but keeps the token
//      embedding, which is tied to lm_head. The law's N leaves out every embedding, tied or not
//      (the convention of architecture.ts), so N = printed count − vocab_size × n_embd; the run's
//      source says so. The printed count has two decimals of millions (±5,000 parameters).
//   D  tokens per iteration × the step of the evaluation that gave the final loss: the tokens
//      the model had seen when that loss was measured (iter_num counts optimizer steps, and a
//      resumed run carries it on from the checkpoint).
//   final loss  the last "val loss".
//   precision   train.py autocasts to `dtype` on CUDA only (`nullcontext()` when "cuda" is not in
//      the device name), so off CUDA it trains in float32; on CUDA `dtype` defaults to bfloat16
//      where the GPU supports it, float16 otherwise: a log that does not say is left without one.
// The printed config lines are Python assignments, parsed (never run) into located entries for
// the facts engine; a later assignment wins, as it does when configurator.py exec()s them.

import type { ConfigEntry } from '../entries';
import type { Found } from '../facts';
import { KeyedCurves } from '../curves';
import { PRECISION_NAMES } from '../precision';
import { pythonAssignment, pythonLiteral } from '../pythonConfig';
import type { TrainingPrecision } from '../run';
import { MAX_ENTRIES } from '../entries';
import { type DialectRun, type FinishContext, type LogDialect, type RestartVerdict, RunNotes, type RunParts, entry, grouped, logCount, logFacts, logNumber, source } from './textLogShared';

export const NANOGPT_DIALECT = 'nanogpt';

const CONFIG_FILE = /^Overriding config with (.+):$/;
const OVERRIDE = /^Overriding: (\w+) = (.*)$/;
const TOKENS_PER_ITER = /^tokens per iteration will be: ([\d,]+)$/;
const FOUND_VOCAB = /^found vocab_size = (\d+) \(inside .*\)$/;
const DEFAULT_VOCAB = /^defaulting to vocab_size of GPT-2 to (\d+)\b/;
const FORCED_VOCAB = /^forcing vocab_size=(\d+), block_size=(\d+), bias=(True|False)$/;
const SCRATCH = 'Initializing a new model from scratch';
const RESUME = /^Resuming training from (.+)$/;
const PRETRAINED = /^Initializing from OpenAI GPT-2 weights: (\S+)$/;
const PARAMS = /^number of parameters: (\d+(?:\.\d+)?)M$/;
const EVAL = /^step (\d+): train loss (\S+), val loss (\S+)$/;
const ITER = /^iter (\d+): loss (\S+), time \S+ms(?:, mfu \S+%)?$/;

/** model.py's from_pretrained table: n_embd of each OpenAI checkpoint. */
const PRETRAINED_N_EMBD: Readonly<Record<string, number>> = { gpt2: 768, 'gpt2-medium': 1024, 'gpt2-large': 1280, 'gpt2-xl': 1600 };
/** train.py's defaults, used only where the log says nothing else (and said so). */
const DEFAULT_N_EMBD = 768;
const DEFAULT_VOCAB_SIZE = 50304;
/** configurator.py echoes whole config files; past this many lines in one it is not a config. */
const MAX_ECHO_LINES = 5000;

const isProgress = (text: string): boolean => (text.startsWith('step ') && EVAL.test(text)) || (text.startsWith('iter ') && ITER.test(text));

/** Lines of train.py and configurator.py that end an echoed config file. */
function isOwnLine(text: string): boolean {
  return (
    text.startsWith('Overriding') ||
    text.startsWith('tokens per iteration') ||
    text.startsWith('found vocab_size') ||
    text.startsWith('Initializing') ||
    text.startsWith('Resuming training') ||
    text.startsWith('number of parameters') ||
    text.startsWith('defaulting to vocab_size') ||
    isProgress(text)
  );
}

interface Located<T> {
  value: T;
  line: number;
}

interface Eval {
  step: number;
  train: number;
  val: number;
  line: number;
}

class NanoGptRun implements DialectRun {
  progressed = false;
  lastProgressLine = 0;
  private readonly settings = new Map<string, ConfigEntry>();
  private settingsTruncated = false;
  private echo: { file: string; lines: number } | undefined;
  private readonly configFiles: string[] = [];
  private tokensPerIter: Located<number> | undefined;
  private tokensPerIterChanged: Located<number> | undefined;
  /** The vocabulary the model was built with: meta.pkl's, GPT-2's padded default, or a checkpoint's forced 50257. */
  private vocab: Located<number> | undefined;
  private init: (Located<string> & { kind: 'scratch' | 'resume' | 'pretrained' }) | undefined;
  private resumes = 0;
  private printedParams: Located<number> | undefined;
  private readonly curves = new KeyedCurves();
  private lastEval: Eval | undefined;
  private lastStep: Located<number> | undefined;
  /** The first non-finite training loss after the last finite evaluation: where a run diverged. */
  private diverged: Located<number> | undefined;

  constructor(private readonly file: string) {}

  feed(text: string, line: number): void {
    if (this.echo) {
      if (!isOwnLine(text) && this.echo.lines++ < MAX_ECHO_LINES) {
        const assignment = pythonAssignment(text);
        if (assignment) this.set(assignment.key, assignment.value, line);
        return;
      }
      this.echo = undefined;
    }
    const c = text.charCodeAt(0);
    // Dispatch on the first letter: a GB log is mostly "iter" lines, and most lines match nothing.
    if (c === 105 /* i */ && text.startsWith('iter ')) this.iter(text, line);
    else if (c === 115 /* s */ && text.startsWith('step ')) this.eval(text, line);
    else if (c === 79 /* O */) this.override(text, line);
    else if (c === 116 /* t */) this.tokens(text, line);
    else if (c === 110 /* n */) this.params(text, line);
    else if (c === 102 /* f */ || c === 100 /* d */ || c === 73 /* I */ || c === 82 /* R */) this.model(text, line);
  }

  private set(key: string, value: unknown, line: number): void {
    if (!this.settings.has(key) && this.settings.size >= MAX_ENTRIES) {
      this.settingsTruncated = true;
      return;
    }
    this.settings.delete(key);
    this.settings.set(key, entry(key, value, this.file, line));
  }

  private override(text: string, line: number): void {
    const file = CONFIG_FILE.exec(text);
    if (file) {
      this.configFiles.push(file[1]);
      this.echo = { file: file[1], lines: 0 };
      return;
    }
    const m = OVERRIDE.exec(text);
    // str() of the literal_eval'd value: strings come unquoted ("Overriding: device = cpu").
    if (m) this.set(m[1], pythonLiteral(m[2]) ?? m[2].trim(), line);
  }

  private tokens(text: string, line: number): void {
    const m = TOKENS_PER_ITER.exec(text);
    const value = m ? logCount(m[1]) : undefined;
    if (value === undefined) return;
    if (this.tokensPerIter && this.tokensPerIter.value !== value) this.tokensPerIterChanged ??= { value, line };
    this.tokensPerIter = { value, line };
  }

  private params(text: string, line: number): void {
    const m = PARAMS.exec(text);
    if (m) this.printedParams = { value: Math.round(Number(m[1]) * 1e6), line };
  }

  private model(text: string, line: number): void {
    let m: RegExpExecArray | null;
    if ((m = FOUND_VOCAB.exec(text))) this.vocab = { value: Number(m[1]), line };
    else if ((m = DEFAULT_VOCAB.exec(text))) this.vocab = { value: Number(m[1]), line };
    else if ((m = FORCED_VOCAB.exec(text))) this.vocab = { value: Number(m[1]), line };
    // The first of these says how the run began; a later "Resuming" is the same run restarted.
    else if (text === SCRATCH) this.init ??= { value: 'scratch', line, kind: 'scratch' };
    else if ((m = RESUME.exec(text))) {
      if (this.progressed) this.resumes++;
      this.init ??= { value: m[1], line, kind: 'resume' };
    } else if ((m = PRETRAINED.exec(text))) this.init ??= { value: m[1], line, kind: 'pretrained' };
  }

  private progress(step: number, line: number): void {
    this.progressed = true;
    this.lastProgressLine = line;
    if (!this.lastStep || step >= this.lastStep.value) this.lastStep = { value: step, line };
  }

  private eval(text: string, line: number): void {
    const m = EVAL.exec(text);
    if (!m) return;
    const step = Number(m[1]);
    const train = logNumber(m[2]);
    const val = logNumber(m[3]);
    if (train === undefined || val === undefined) return;
    this.progress(step, line);
    this.lastEval = { step, train, val, line };
    if (Number.isFinite(val)) this.diverged = undefined;
    const tokens = this.tokensAt(step);
    for (const [key, value] of [
      ['val loss', val],
      ['train loss', train],
    ] as const) {
      if (Number.isFinite(value) && value > 0) this.curves.add(key, { step, value, line, file: this.file, ...(tokens !== undefined ? { tokens } : {}) });
    }
  }

  private iter(text: string, line: number): void {
    const m = ITER.exec(text);
    if (!m) return;
    const step = Number(m[1]);
    const loss = logNumber(m[2]);
    if (loss === undefined) return;
    this.progress(step, line);
    if (!Number.isFinite(loss)) {
      if (this.lastEval && Number.isFinite(this.lastEval.val)) this.diverged ??= { value: step, line };
      return;
    }
    const tokens = this.tokensAt(step);
    if (loss > 0) this.curves.add('loss', { step, value: loss, line, file: this.file, ...(tokens !== undefined ? { tokens } : {}) });
  }

  private tokensAt(step: number): number | undefined {
    return this.tokensPerIter && step > 0 ? step * this.tokensPerIter.value : undefined;
  }

  private setting(key: string): ConfigEntry | undefined {
    return this.settings.get(key);
  }

  finish(context: FinishContext): RunParts {
    const notes = new RunNotes(this.file);
    const entries = [...this.settings.values()];
    if (this.vocab) entries.push(entry('vocab_size', this.vocab.value, this.file, this.vocab.line));
    if (this.settingsTruncated) notes.add(undefined, undefined, `more than ${MAX_ENTRIES} distinct config settings printed; the rest are not read`, 'warning', 'truncated');
    const facts = logFacts(entries, context.aliases, this.file, 'the config lines the log printed');
    notes.diagnostics.push(...facts.diagnostics);

    const parts: RunParts = { reasons: notes.reasons, curve: [], ptq: facts.ptq, meta: { tool: 'nanoGPT' }, diagnostics: notes.diagnostics };
    parts.params = this.params_(notes) ?? facts.params;
    notes.settle('params', parts.params !== undefined);
    parts.tokens = this.tokens_(notes);
    parts.precision = this.precision_(notes, facts.precision);
    parts.finalLoss = this.finalLoss_(notes);
    this.ending(notes, parts, context);

    const train = this.curves.keys().includes('loss') ? 'loss' : 'train loss';
    parts.curve = this.curves.curve(['val loss', train]);
    const meta = parts.meta;
    if (this.init) meta.initFrom = this.init.kind === 'resume' ? 'resume' : this.init.kind === 'pretrained' ? this.init.value : 'scratch';
    if (this.configFiles.length > 0) meta.configFiles = this.configFiles;
    if (this.tokensPerIter) meta.tokensPerIteration = this.tokensPerIter.value;
    if (this.lastStep) meta.lastStep = this.lastStep.value;
    if (this.resumes > 0) meta.resumes = this.resumes;
    return parts;
  }

  // --- N ---------------------------------------------------------------------------------------

  private params_(notes: RunNotes): Found<number> | undefined {
    const printed = this.printedParams;
    if (!printed) {
      notes.unless('params', 'no "number of parameters" line', 'no "number of parameters: …M" line (model.py prints it when the model is built); N is unknown', undefined);
      return undefined;
    }
    const pretrained = this.init?.kind === 'pretrained' ? PRETRAINED_N_EMBD[this.init.value] : undefined;
    const nEmbd = this.nEmbd(pretrained);
    const vocab = this.vocab?.value;
    const embedding = (vocab ?? DEFAULT_VOCAB_SIZE) * (nEmbd ?? DEFAULT_N_EMBD);
    const value = printed.value - embedding;
    const factors = `vocab_size × n_embd = ${grouped(vocab ?? DEFAULT_VOCAB_SIZE)} × ${grouped(nEmbd ?? DEFAULT_N_EMBD)}`;
    if (value <= 0) {
      notes.unless('params', `"number of parameters" (${grouped(printed.value)}) is not above the token embedding`, `number of parameters ${grouped(printed.value)} is not more than the token embedding ${factors}; N cannot be worked out`, printed.line, 'warning', 'implausible');
      return undefined;
    }
    const assumed = [nEmbd === undefined && `n_embd (train.py's default ${DEFAULT_N_EMBD})`, vocab === undefined && `vocab_size (train.py's default ${DEFAULT_VOCAB_SIZE})`].filter(Boolean);
    if (assumed.length > 0) {
      // The size of the correction says how much the assumption matters: 1% of N is within the noise of a fit.
      const share = embedding / printed.value;
      notes.add(printed.line, 'params', `the log does not give ${assumed.join(' or ')}; taking the default, the token embedding subtracted from N is ${grouped(embedding)}, ${(share * 100).toFixed(1)}% of the printed count`, share > 0.01 ? 'warning' : 'info', 'default');
    }
    notes.add(
      printed.line,
      'params',
      `N = number of parameters ${grouped(printed.value)} (nanoGPT already leaves out the position embeddings) − the token embedding ${factors} (tied to lm_head, so nanoGPT counts it; the law's N does not) = ${grouped(value)}`,
      'info',
      'derived',
    );
    return { value, source: source(this.file, printed.line, 'number of parameters − vocab_size × n_embd (token embedding, tied to lm_head)') };
  }

  /** n_embd: the OpenAI checkpoint's, else the last value the log set. */
  private nEmbd(pretrained: number | undefined): number | undefined {
    if (pretrained !== undefined) return pretrained;
    const value = this.setting('n_embd')?.value;
    return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
  }

  // --- D ---------------------------------------------------------------------------------------

  private tokens_(notes: RunNotes): Found<number> | undefined {
    if (this.init?.kind === 'pretrained') {
      notes.missing('tokens', `fine-tuned from OpenAI's ${this.init.value} weights: the pretraining tokens are not in the log`, `the run starts from OpenAI's ${this.init.value} weights (line ${this.init.line}): the tokens it was pretrained on are not in the log, and the fine-tuning tokens alone are not the law's D`, this.init.line);
      return undefined;
    }
    // The tokens seen when the final loss was measured; without an evaluation, at the last step logged.
    const at = this.lastEval ? { step: this.lastEval.step, line: this.lastEval.line, what: 'the last evaluation' } : this.lastStep ? { step: this.lastStep.value, line: this.lastStep.line, what: 'the last step logged' } : undefined;
    if (!at) {
      notes.missing('tokens', 'the log stops before the first training step', 'no "step N: …" or "iter N: …" line: the log stops before training started, so no tokens were seen', undefined);
      return undefined;
    }
    if (at.step === 0) {
      notes.missing('tokens', 'the last evaluation is at step 0 (no training)', `${at.what} is at step 0 (line ${at.line}): no training tokens yet${this.setting('eval_only')?.value === true ? ' (eval_only = True)' : ''}`, at.line);
      return undefined;
    }
    const perIter = this.perIteration(notes);
    if (!perIter) return undefined;
    const value = at.step * perIter.value;
    if (this.tokensPerIterChanged) {
      notes.add(this.tokensPerIterChanged.line, 'tokens', `tokens per iteration changed to ${grouped(this.tokensPerIterChanged.value)} when the run was resumed; D takes the last value for every step and is approximate`, 'warning', 'conflict');
    }
    notes.add(at.line, 'tokens', `D = step ${grouped(at.step)} (${at.what}, line ${at.line}) × ${perIter.what} = ${grouped(value)}`, 'info', 'derived');
    return { value, source: source(this.file, at.line, `step × ${perIter.field}`) };
  }

  private perIteration(notes: RunNotes): { value: number; what: string; field: string } | undefined {
    if (this.tokensPerIter) return { value: this.tokensPerIter.value, what: `${grouped(this.tokensPerIter.value)} tokens per iteration (line ${this.tokensPerIter.line})`, field: 'tokens per iteration' };
    // train.py: tokens_per_iter = gradient_accumulation_steps × batch_size × block_size (the configured
    // accumulation is over all processes: DDP divides it by the world size and multiplies back).
    const keys = ['gradient_accumulation_steps', 'batch_size', 'block_size'];
    const values = keys.map((k) => this.setting(k)).map((f) => (f && typeof f.value === 'number' && Number.isSafeInteger(f.value) && f.value > 0 ? f.value : undefined));
    if (values.every((v) => v !== undefined)) {
      const value = (values as number[]).reduce((a, b) => a * b, 1);
      return { value, what: `gradient_accumulation_steps × batch_size × block_size = ${(values as number[]).map(grouped).join(' × ')} (no "tokens per iteration" line)`, field: 'gradient_accumulation_steps × batch_size × block_size' };
    }
    const lacking = keys.filter((_, i) => values[i] === undefined);
    notes.missing('tokens', 'no "tokens per iteration" line', `no "tokens per iteration will be: …" line, and ${lacking.join(', ')} ${lacking.length === 1 ? 'is' : 'are'} not in the log to work it out; D is unknown`, undefined);
    return undefined;
  }

  // --- precision -------------------------------------------------------------------------------

  private precision_(notes: RunNotes, fromFacts: Found<TrainingPrecision> | undefined): Found<TrainingPrecision> | undefined {
    const device = this.setting('device');
    if (device && typeof device.value === 'string' && !device.value.includes('cuda')) {
      notes.add(device.line, 'device', `device = ${device.value}: train.py autocasts only on CUDA, so the run trained in float32 whatever dtype says`, 'info', 'derived');
      const fp32 = PRECISION_NAMES.fp32;
      return { value: { w: fp32, a: fp32, kv: fp32 }, source: source(this.file, device.line, 'device') };
    }
    if (fromFacts) return fromFacts;
    const dtype = this.setting('dtype');
    if (dtype) {
      notes.missing('precision', `dtype = ${String(dtype.value)} is not a precision`, `dtype is ${JSON.stringify(dtype.value)}, not float32, bfloat16 or float16; the training precision is unknown`, dtype.line);
      return undefined;
    }
    notes.missing(
      'precision',
      'dtype not in the log (nanoGPT picks bfloat16 or float16 by GPU)',
      "the log does not set dtype: nanoGPT's default is bfloat16 where the GPU supports it and float16 otherwise, and the log does not say which GPU it ran on; run with --dtype=bfloat16 (or float16), which configurator.py then prints",
      undefined,
    );
    return undefined;
  }

  // --- final loss ------------------------------------------------------------------------------

  private finalLoss_(notes: RunNotes): Found<number> | undefined {
    const last = this.lastEval;
    if (!last) {
      notes.missing('finalLoss', 'no "val loss" line', 'no "step N: train loss …, val loss …" line: the run never evaluated (nanoGPT evaluates every eval_interval steps)', undefined);
      return undefined;
    }
    if (!Number.isFinite(last.val) || last.val <= 0) {
      notes.missing('finalLoss', `val loss is ${last.val} at step ${last.step}`, `val loss is ${last.val} at step ${last.step}: not a usable final loss (did the run diverge?)`, last.line, 'warning', 'bad-value');
      return undefined;
    }
    if (this.diverged) {
      notes.add(this.diverged.line, 'loss', `the training loss is not finite from iter ${this.diverged.value} (line ${this.diverged.line}), after the last evaluation at step ${last.step}: the run diverged; the final loss and D are from before`, 'warning', 'bad-value');
    }
    return { value: last.val, source: source(this.file, last.line, 'val loss') };
  }

  // --- did it finish? --------------------------------------------------------------------------

  private ending(notes: RunNotes, parts: RunParts, context: FinishContext): void {
    const ending = context.ending;
    if (ending && ending.line > this.lastProgressLine) {
      parts.unfinished = true;
      notes.add(ending.line, undefined, `the log ends with ${ending.what} after step ${this.lastStep?.value ?? 0}: the run did not finish, so its losses are not end-of-training losses`, 'info', 'unfinished');
      return;
    }
    const maxIters = this.setting('max_iters');
    const logInterval = this.setting('log_interval');
    const interval = typeof logInterval?.value === 'number' && logInterval.value >= 1 ? logInterval.value : 1;
    if (typeof maxIters?.value === 'number' && this.lastStep && this.lastStep.value + interval <= maxIters.value) {
      parts.unfinished = true;
      notes.add(this.lastStep.line, undefined, `the log stops at step ${this.lastStep.value} of max_iters = ${maxIters.value} (line ${maxIters.line}): the run is still going, or was stopped`, 'info', 'unfinished');
    }
  }
}

export const nanoGptDialect: LogDialect = {
  id: NANOGPT_DIALECT,
  label: 'nanoGPT',
  signature: (text) => TOKENS_PER_ITER.test(text) || isProgress(text),
  startsRun: (text) => text.startsWith('Overriding') || text.startsWith('tokens per iteration will be'),
  restartVerdict(text): RestartVerdict | undefined {
    if (RESUME.test(text)) return 'resume';
    if (text === SCRATCH || PRETRAINED.test(text) || isProgress(text)) return 'fresh';
    return undefined;
  },
  create: (file) => new NanoGptRun(file),
};
