// Megatron-LM (github.com/NVIDIA/Megatron-LM) training stdout, as its prints write it:
//   arguments.py  "------------------------ arguments ------------------------", then one
//                 "  {arg} {dots} {value}" per argument (dots pad the name to 48 characters, none
//                 when it is longer), sorted, then "-------------------- end of arguments ---------------------"
//   vocab_utils   " > padded vocab (size: 50257) with 47 dummy tokens (new size: 50304)"
//   training.py   " > number of parameters on (tensor, pipeline) model parallel rank (0, 0): 354871296"
//                 " [2024-…] iteration      100/  500000 | consumed samples:        25600 | … | lm loss: 3.207950E+00 | …"
//                 " validation loss at iteration 1000 on validation set | lm loss value: 3.1E+00 | lm loss PPL: … |"
//                 (before 2024: "… at iteration 1000 | …", and "… at the end of training for val data | …")
//                 "[after training is done] datetime: …", "exiting program at iteration 1000"
// Megatron-DeepSpeed prints the same lines, with "consumed tokens:" beside the samples.
//
// The law's quantities from those lines:
//   N  the printed parameter count is every parameter of one tensor/pipeline shard, embeddings
//      included. With one shard (TP = PP = 1) it is the whole model, and N = count − the word
//      embedding (padded vocab × hidden_size, twice when the output layer is untied) − learned
//      absolute position embeddings (max_position_embeddings × hidden_size). Split models print
//      one share per rank, with some tensors repeated, so their N is left to the facts engine.
//   D  consumed samples × seq_length (or "consumed tokens") at the iteration of the final loss;
//      iteration × global_batch_size × seq_length when that iteration printed no line and the
//      batch size did not ramp up.
//   final loss  the last "lm loss value" on the validation set (never the test set).
//   precision   --fp8-format / --fp4-format (Transformer Engine: FP8/FP4 linear layers, the rest in
//      bf16 or fp16), else the bf16/fp16 flags (the facts engine), else params_dtype (fp32 by default).

import type { ConfigEntry } from '../entries';
import { MAX_ENTRIES } from '../entries';
import { type Found, parseConfigPrecision } from '../facts';
import { KeyedCurves } from '../curves';
import { PRECISION_NAMES } from '../precision';
import type { TrainingPrecision } from '../run';
import { type DialectRun, type FinishContext, type LogDialect, type RestartVerdict, RunNotes, type RunParts, entry, grouped, logCount, logFacts, logNumber, source } from './textLogShared';

export const MEGATRON_DIALECT = 'megatron';

const ARGS_START = /^-{8,} arguments -{8,}$/;
const ARGS_END = /^-{8,} end of arguments -{8,}$/;
const ARG = /^ {2}(\w+) \.*(?: (.*))?$/;
// A line is read in time linear in its length (a log line can be 16 KB of anything): no pattern
// here has two quantifiers that can take the same characters from one start, and the lines whose
// patterns would rescan the rest of the line from every repetition of their start (a "(.*)$"
// that fails at a progress bar's lone "\r", a ".*" after a repeated prefix) are read by hand below.
const ITERATION_HEAD = /\biteration\s+(\d+)\/\s*(\d+) \|/g;
const AT_ITERATION = /^iteration (\d+)(?: on (validation|test) set)?$/;
const AT_END = /^the end of training for (val|test) data$/;
const PADDED_VOCAB = /> padded vocab \(size: (\d+)\) with (\d+) dummy tokens \(new size: (\d+)\)/;
// The parallel ranks in brackets are a few characters; a bound keeps repeated openings linear.
const PARAM_COUNT = /number of parameters on (?:\(([^)]{0,256})\) )?model parallel rank \(?([\d, ]+)\)?: (\d+)\s*$/;
const LOADED_FROM = 'successfully loaded checkpoint from ';
const AT_ITERATION_N = / at iteration (\d+)/g;
const NO_CHECKPOINT = 'will not load any checkpoints and will start from random';
const FINISHED = '[after training is done]';
const EXITING = /exiting program (at iteration \d+|after [\d.]+ minutes|after receiving SIGTERM)/;

/** The loss Megatron's GPT, BERT and T5 pretraining scripts report; other keys are auxiliary losses. */
const LM_LOSS = 'lm loss';
/** Megatron's default --log-interval. */
const DEFAULT_LOG_INTERVAL = 100;

const LINE_BREAKS = /[\n\r\u2028\u2029]/;

/** Where the text after the last line terminator starts: a "(.*)$" can only match there. */
function lastSegmentStart(text: string): number {
  let i = text.length - 1;
  while (i >= 0 && !LINE_BREAKS.test(text[i])) i--;
  return i + 1;
}

/**
 * An iteration line, as /\biteration\s+(\d+)\/\s*(\d+) \|(.*)$/ reads it: the first head whose
 * " |" lies after the last line terminator (the "(.*)$" after it cannot cross one; the spaces
 * before it can), the rest of the line after it. Each start matches one way, so one pass finds it.
 */
function iterationOf(text: string): { iteration: number; total: number; rest: string } | undefined {
  const tail = lastSegmentStart(text);
  ITERATION_HEAD.lastIndex = 0;
  for (let m = ITERATION_HEAD.exec(text); m; m = ITERATION_HEAD.exec(text)) {
    const end = m.index + m[0].length;
    if (end > tail) return { iteration: Number(m[1]), total: Number(m[2]), rest: text.slice(end) };
  }
  return undefined;
}

const LOSS_AT = ' loss at ';
const VALIDATION_WORD = /\bvalidation(-\S+)?$/;
const BLANK = /\s/;

/**
 * A validation line: what /\bvalidation(-\S+)? loss at (.*?) \| (.*)$/ finds (the named set, the
 * "at …" words, the values after the first " | "), read by hand. That pattern took every
 * "validation" of a long word as a start and rescanned the rest of the line from each.
 */
function validationOf(text: string): { set?: string; at: string; values: string } | undefined {
  // Nothing in the pattern crosses a line terminator: the match lies after the last one.
  const line = text.slice(lastSegmentStart(text));
  for (let at = line.indexOf(LOSS_AT); at >= 0; at = line.indexOf(LOSS_AT, at + 1)) {
    // The word before " loss at " must end in "validation" or "validation-<name>".
    let start = at;
    while (start > 0 && !BLANK.test(line[start - 1])) start--;
    const word = VALIDATION_WORD.exec(line.slice(start, at));
    if (!word) continue;
    const bar = line.indexOf(' | ', at + LOSS_AT.length);
    if (bar < 0) return undefined;
    const out: { set?: string; at: string; values: string } = { at: line.slice(at + LOSS_AT.length, bar), values: line.slice(bar + 3) };
    if (word[1] !== undefined) out.set = word[1];
    return out;
  }
  return undefined;
}

const VALUE_SEPARATOR = ' value: ';
const VALUE_REST = /^(\S+)\s*$/;

/** The part split at a " value: " at `at`, if the key and the single word after it are there. */
function valueAt(part: string, at: number): { key: string; value: string } | undefined {
  if (at <= 0) return undefined;
  const value = VALUE_REST.exec(part.slice(at + VALUE_SEPARATOR.length));
  if (!value) return undefined;
  const before = part.slice(0, at);
  // Leading spaces are not part of the key, unless the key would be left empty.
  const key = before.trimStart() || before.slice(-1);
  return LINE_BREAKS.test(key) ? undefined : { key, value: value[1] };
}

/**
 * "lm loss value: 3.1E+00" → lm loss and 3.1E+00, as /^\s*(.+?) value: (\S+)\s*$/ reads a part
 * of a validation line, by hand (that pattern is quadratic on a long run of spaces). A " value: "
 * with another one after it is followed by more than one word, unless the two share a space:
 * so only the last and one overlapping it, seven characters before, can split the part.
 */
function valueOf(part: string): { key: string; value: string } | undefined {
  const last = part.lastIndexOf(VALUE_SEPARATOR);
  if (last < 0) return undefined;
  const overlapping = last - VALUE_SEPARATOR.length + 1;
  return (overlapping > 0 && part.startsWith(VALUE_SEPARATOR, overlapping) ? valueAt(part, overlapping) : undefined) ?? valueAt(part, last);
}

/**
 * The iteration of "successfully loaded checkpoint from <path> at iteration N": the last
 * " at iteration N" after the first "from", as the greedy /from .* at iteration (\d+)/ takes it,
 * found in one pass (the pattern rescanned the line from every repetition of its start).
 */
function loadedIteration(text: string): number | undefined {
  for (const segment of text.split(LINE_BREAKS)) {
    const at = segment.indexOf(LOADED_FROM);
    if (at < 0) continue;
    let last: string | undefined;
    AT_ITERATION_N.lastIndex = at + LOADED_FROM.length;
    for (let m = AT_ITERATION_N.exec(segment); m; m = AT_ITERATION_N.exec(segment)) last = m[1];
    if (last !== undefined) return Number(last);
  }
  return undefined;
}

/** An argument value as Megatron prints it: str() of a Python object. */
function argValue(text: string): unknown {
  const t = text.trim();
  if (t === 'True' || t === 'False') return t === 'True';
  if (t === 'None') return null;
  if (/^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$/i.test(t)) return Number(t);
  return t;
}

/** "key: value | key: value" of an iteration line. */
function fields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split('|')) {
    const at = part.lastIndexOf(': ');
    if (at > 0) out.set(part.slice(0, at).trim(), part.slice(at + 2).trim());
  }
  return out;
}

interface Iteration {
  iteration: number;
  total: number;
  samples?: number;
  tokens?: number;
  line: number;
}

interface Validation {
  iteration?: number;
  /** The iteration line the evaluation followed, when it was at that very iteration. */
  at?: Iteration;
  loss: number;
  key: string;
  line: number;
}

interface Located<T> {
  value: T;
  line: number;
}

class MegatronRun implements DialectRun {
  progressed = false;
  lastProgressLine = 0;
  private inArgs = false;
  private readonly args = new Map<string, ConfigEntry>();
  private argsTruncated = false;
  private paddedVocab: Located<number> | undefined;
  private readonly paramCounts: Array<{ ranks: string; value: number; line: number }> = [];
  private loaded: Located<number> | undefined;
  private readonly curves = new KeyedCurves();
  private lastIteration: Iteration | undefined;
  private lastValidation: Validation | undefined;
  private lastNamedValidation: Validation | undefined;
  private namedSet: string | undefined;
  private lastTest: Located<number> | undefined;
  private finished = false;
  private exited: Located<string> | undefined;
  private nanIterations: Located<number> | undefined;

  constructor(private readonly file: string) {}

  feed(text: string, line: number): void {
    if (this.inArgs) {
      if (ARGS_END.test(text)) this.inArgs = false;
      else this.arg(text, line);
      return;
    }
    if (text.includes(' | ')) {
      if (text.includes('iteration')) this.iteration(text, line);
      if (text.includes('validation')) this.validation(text, line);
      return;
    }
    if (text.startsWith('-----') && ARGS_START.test(text)) this.inArgs = true;
    else if (text.includes('> padded vocab')) {
      const m = PADDED_VOCAB.exec(text);
      if (m) this.paddedVocab = { value: Number(m[3]), line };
    } else if (text.includes('number of parameters on')) {
      const m = PARAM_COUNT.exec(text);
      if (m && this.paramCounts.length < 1024) this.paramCounts.push({ ranks: m[2].replace(/\s/g, ''), value: Number(m[3]), line });
    } else if (text.includes('successfully loaded checkpoint')) {
      const loaded = loadedIteration(text);
      if (loaded !== undefined) this.loaded = { value: loaded, line };
    } else if (text.startsWith(FINISHED)) this.finished = true;
    else if (text.includes('exiting program')) {
      const m = EXITING.exec(text);
      if (m) this.exited = { value: m[1], line };
    }
  }

  private arg(text: string, line: number): void {
    const m = ARG.exec(text);
    if (!m) return;
    if (!this.args.has(m[1]) && this.args.size >= MAX_ENTRIES) {
      this.argsTruncated = true;
      return;
    }
    // A restarted job prints its arguments again: the later block is what the run went on with.
    this.args.set(m[1], entry(m[1], argValue(m[2] ?? ''), this.file, line));
  }

  private argNumber(key: string): number | undefined {
    const value = this.args.get(key)?.value;
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  }

  private iteration(text: string, line: number): void {
    const m = iterationOf(text);
    if (!m) return;
    const values = fields(m.rest);
    const record: Iteration = { iteration: m.iteration, total: m.total, line };
    const samples = values.get('consumed samples');
    const tokens = values.get('consumed tokens');
    if (samples !== undefined) record.samples = logCount(samples);
    if (tokens !== undefined) record.tokens = logCount(tokens);
    this.progressed = true;
    this.lastProgressLine = line;
    this.lastIteration = record;
    const nan = logCount(values.get('number of nan iterations') ?? '');
    if (nan !== undefined) this.nanIterations ??= { value: record.iteration, line };
    const loss = logNumber(values.get(LM_LOSS) ?? '');
    if (loss !== undefined && Number.isFinite(loss) && loss > 0) this.curves.add(LM_LOSS, this.point(record, loss, line));
  }

  private point(record: Iteration, value: number, line: number) {
    const tokens = this.tokensOf(record);
    return { step: record.iteration, value, line, file: this.file, ...(tokens !== undefined ? { tokens } : {}) };
  }

  private tokensOf(record: Iteration): number | undefined {
    if (record.tokens !== undefined) return record.tokens;
    const seq = this.argNumber('seq_length');
    return record.samples !== undefined && seq !== undefined ? record.samples * seq : undefined;
  }

  private validation(text: string, line: number): void {
    const m = validationOf(text);
    if (!m) return;
    const at = AT_ITERATION.exec(m.at);
    const end = at ? undefined : AT_END.exec(m.at);
    if (!at && !end) return;
    const test = at ? at[2] === 'test' : end?.[1] === 'test';
    const losses = m.values
      .split('|')
      .map(valueOf)
      .filter((v) => v !== undefined);
    const chosen = losses.find((v) => v.key === LM_LOSS) ?? losses[0];
    if (!chosen) return;
    const loss = logNumber(chosen.value);
    if (loss === undefined) return;
    if (test) {
      this.lastTest = { value: loss, line };
      return;
    }
    // Named validation sets (--multiple-validation-sets) print "validation-<name>": the unnamed
    // set is the final loss; without one, the first named set is.
    if (m.set !== undefined && (this.namedSet ??= m.set) !== m.set) return;
    const iteration = at ? Number(at[1]) : this.lastIteration?.iteration;
    const validation: Validation = { loss, key: `validation${m.set ?? ''} ${chosen.key}`, line };
    if (iteration !== undefined) validation.iteration = iteration;
    if (this.lastIteration && this.lastIteration.iteration === iteration) validation.at = this.lastIteration;
    if (m.set === undefined) this.lastValidation = validation;
    else this.lastNamedValidation = validation;
    this.progressed = true;
    this.lastProgressLine = line;
    if (Number.isFinite(loss) && loss > 0 && iteration !== undefined) {
      const record = validation.at ?? { iteration, total: 0, line };
      this.curves.add(validation.key, this.point(record, loss, line));
    }
  }

  finish(context: FinishContext): RunParts {
    const notes = new RunNotes(this.file);
    if (this.argsTruncated) notes.add(undefined, undefined, `more than ${MAX_ENTRIES} arguments printed; the rest are not read`, 'warning', 'truncated');
    const hasArgs = this.args.size > 0;
    const facts = logFacts([...this.args.values()], context.aliases, this.file, 'the arguments block');
    notes.diagnostics.push(...facts.diagnostics);
    if (!hasArgs) notes.add(undefined, undefined, 'no "---- arguments ----" block in the log (Megatron prints it at start-up): N and the precision cannot be read', 'warning', 'missing-field');

    const parts: RunParts = { reasons: notes.reasons, curve: [], ptq: facts.ptq, meta: { tool: 'Megatron-LM' }, diagnostics: notes.diagnostics };
    const own = this.params_(notes);
    parts.params = own === 'none' ? undefined : (own ?? facts.params);
    notes.settle('params', parts.params !== undefined);
    parts.tokens = this.tokens_(notes);
    parts.precision = this.precision_(notes, facts.precision);
    parts.finalLoss = this.finalLoss_(notes);
    this.ending(notes, parts, context);

    parts.curve = this.curves.curve([this.final()?.key, LM_LOSS]);
    if (this.lastIteration) Object.assign(parts.meta, { lastIteration: this.lastIteration.iteration, trainIterations: this.lastIteration.total });
    if (this.lastTest && Number.isFinite(this.lastTest.value)) parts.meta.testLoss = this.lastTest.value;
    if (this.loaded) parts.meta.resumedFromIteration = this.loaded.value;
    return parts;
  }

  /** The validation the final loss comes from: the unnamed set's, else the first named set's. */
  private final(): Validation | undefined {
    return this.lastValidation ?? this.lastNamedValidation;
  }

  // --- N ---------------------------------------------------------------------------------------

  /** N from the printed count, undefined to let the facts engine try, 'none' when the law's N does not apply. */
  private params_(notes: RunNotes): Found<number> | 'none' | undefined {
    const experts = this.args.get('num_experts');
    if (experts && experts.value !== null && experts.value !== undefined) {
      notes.missing('params', 'a mixture-of-experts model', `num_experts = ${String(experts.value)}: a mixture-of-experts model, for which the law's N (dense non-embedding parameters) is not defined`, experts.line, 'warning', 'unsupported');
      return 'none';
    }
    const counts = this.paramCounts;
    if (counts.length === 0) {
      notes.unless('params', 'no parameter count in the log', 'no " > number of parameters on … model parallel rank …" line (Megatron prints it when the model is built); N is unknown', undefined);
      return undefined;
    }
    const split = ['tensor_model_parallel_size', 'pipeline_model_parallel_size'].map((k) => this.argNumber(k) ?? 1);
    const shards = new Set(counts.map((c) => c.ranks));
    if (split.some((s) => s > 1) || shards.size > 1 || !/^0(,0)*$/.test(counts[0].ranks)) {
      notes.unless('params', `the model is split over ${split.join(' × ')} tensor × pipeline ranks`, `the model is split over tensor × pipeline parallel ranks (${split.join(' × ')}), and each prints only its own share of the parameters, some of them repeated; N is not read from them`, counts[0].line, 'warning', 'unsupported');
      return undefined;
    }
    const total = counts[counts.length - 1];
    const hidden = this.argNumber('hidden_size');
    const vocab = this.paddedVocab?.value ?? this.argNumber('padded_vocab_size');
    if (hidden === undefined || vocab === undefined) {
      const lacking = [hidden === undefined && 'hidden_size', vocab === undefined && 'the padded vocabulary size (" > padded vocab …" line)'].filter(Boolean).join(' and ');
      notes.unless('params', 'the embedding size is not in the log', `the log has the parameter count (line ${total.line}) but not ${lacking}, so the embeddings cannot be taken out of it`, total.line);
      return undefined;
    }
    const untied = this.args.get('untie_embeddings_and_output_weights')?.value === true;
    const positions = this.positionEmbeddings();
    const embedding = vocab * hidden * (untied ? 2 : 1) + positions * hidden;
    const value = total.value - embedding;
    if (value <= 0) {
      notes.unless('params', 'the parameter count is not above the embeddings', `the parameter count ${grouped(total.value)} is not more than the embeddings (${grouped(embedding)}); N cannot be worked out`, total.line, 'warning', 'implausible');
      return undefined;
    }
    const terms = [`word embedding ${grouped(vocab)} × ${grouped(hidden)}${untied ? ' × 2 (untied output layer)' : ''}`, ...(positions > 0 ? [`position embedding ${grouped(positions)} × ${grouped(hidden)}`] : [])];
    notes.add(total.line, 'params', `N = number of parameters ${grouped(total.value)} − ${terms.join(' − ')} = ${grouped(value)}`, 'info', 'derived');
    return { value, source: source(this.file, total.line, `number of parameters − ${untied ? 'word and output embeddings' : 'word embedding'}${positions > 0 ? ' − position embedding' : ''}`) };
  }

  /** Rows of the learned absolute position embedding (none for rope and the other kinds). */
  private positionEmbeddings(): number {
    const type = this.args.get('position_embedding_type')?.value;
    const learned = typeof type === 'string' ? type === 'learned_absolute' : this.args.get('use_rotary_position_embeddings')?.value !== true && this.args.get('add_position_embedding')?.value !== false;
    return learned ? (this.argNumber('max_position_embeddings') ?? 0) : 0;
  }

  // --- D ---------------------------------------------------------------------------------------

  private tokens_(notes: RunNotes): Found<number> | undefined {
    const validation = this.final();
    const record = validation ? validation.at : this.lastIteration;
    const iteration = validation ? validation.iteration : this.lastIteration?.iteration;
    const what = validation ? 'the last validation' : 'the last iteration logged';
    if (iteration === undefined) {
      notes.missing('tokens', 'the log stops before the first iteration', 'no "iteration N/M | …" line: the log stops before training started', undefined);
      return undefined;
    }
    if (iteration === 0) {
      notes.missing('tokens', 'the last validation is at iteration 0 (no training)', `${what} is at iteration 0: no training tokens yet`, validation?.line);
      return undefined;
    }
    if (record?.tokens !== undefined) {
      notes.add(record.line, 'tokens', `D = consumed tokens at iteration ${grouped(iteration)} (${what}) = ${grouped(record.tokens)}`, 'info', 'derived');
      return { value: record.tokens, source: source(this.file, record.line, 'consumed tokens') };
    }
    const seq = this.args.get('seq_length');
    const seqLength = this.argNumber('seq_length');
    if (record?.samples !== undefined && seqLength !== undefined && seq) {
      const value = record.samples * seqLength;
      notes.add(record.line, 'tokens', `D = consumed samples ${grouped(record.samples)} at iteration ${grouped(iteration)} (${what}) × seq_length ${grouped(seqLength)} (line ${seq.line}) = ${grouped(value)}`, 'info', 'derived');
      return { value, source: source(this.file, record.line, 'consumed samples × seq_length') };
    }
    const batch = this.args.get('global_batch_size');
    const rampup = this.args.get('rampup_batch_size')?.value;
    if (seq && seqLength !== undefined && batch && typeof batch.value === 'number' && batch.value > 0 && (rampup === null || rampup === undefined)) {
      const value = iteration * batch.value * seqLength;
      notes.add(validation?.line ?? record?.line, 'tokens', `D = iteration ${grouped(iteration)} (${what}) × global_batch_size ${grouped(batch.value)} × seq_length ${grouped(seqLength)} = ${grouped(value)} (no "consumed samples" at that iteration)`, 'info', 'derived');
      return { value, source: source(this.file, validation?.line ?? record?.line, 'iteration × global_batch_size × seq_length') };
    }
    const lacking = [seqLength === undefined && 'seq_length', record?.samples === undefined && 'consumed samples at that iteration'].filter(Boolean).join(' and ');
    notes.missing('tokens', `${lacking} not in the log`, `D needs ${lacking}, which the log does not give for ${what} (iteration ${iteration})`, validation?.line ?? record?.line);
    return undefined;
  }

  // --- precision -------------------------------------------------------------------------------

  private precision_(notes: RunNotes, fromFacts: Found<TrainingPrecision> | undefined): Found<TrainingPrecision> | undefined {
    const rest = this.args.get('fp16')?.value === true ? PRECISION_NAMES.fp16 : PRECISION_NAMES.bf16;
    for (const [key, format] of [
      ['fp4', PRECISION_NAMES.e2m1],
      ['fp8', PRECISION_NAMES.e4m3],
    ] as const) {
      const set = this.args.get(key);
      if (set && typeof set.value === 'string' && set.value !== '') {
        // Transformer Engine runs the linear layers' weights and inputs in the low format (E4M3
        // forward for both FP8 recipes, E2M1 for NVFP4); attention, K/V included, stays in the base dtype.
        return { value: { w: format, a: format, kv: rest }, source: source(this.file, set.line, key) };
      }
    }
    // Before --fp8-format (2023), two flags chose the FP8 recipe.
    const flag = ['fp8_e4m3', 'fp8_hybrid'].map((k) => this.args.get(k)).find((e) => e?.value === true);
    if (flag) return { value: { w: PRECISION_NAMES.e4m3, a: PRECISION_NAMES.e4m3, kv: rest }, source: source(this.file, flag.line, flag.key) };
    if (fromFacts) return fromFacts;
    const dtype = this.args.get('params_dtype');
    const parsed = dtype ? parseConfigPrecision(dtype.value) : undefined;
    if (dtype && parsed) return { value: parsed, source: source(this.file, dtype.line, 'params_dtype') };
    notes.missing('precision', 'no precision in the log', 'the log has no bf16, fp16, fp8 or params_dtype argument; the training precision is unknown', undefined);
    return undefined;
  }

  // --- final loss ------------------------------------------------------------------------------

  private finalLoss_(notes: RunNotes): Found<number> | undefined {
    const last = this.final();
    if (!last) {
      const test = this.lastTest ? ' (only a test-set loss, which is not used)' : '';
      notes.missing('finalLoss', 'no validation loss', `no "validation loss at …" line on the validation set${test}: the run never evaluated (Megatron evaluates every --eval-interval iterations)`, undefined);
      return undefined;
    }
    if (!Number.isFinite(last.loss) || last.loss <= 0) {
      notes.missing('finalLoss', `${last.key} value is ${last.loss}`, `${last.key} value is ${last.loss}${last.iteration !== undefined ? ` at iteration ${last.iteration}` : ''}: not a usable final loss (did the run diverge?)`, last.line, 'warning', 'bad-value');
      return undefined;
    }
    return { value: last.loss, source: source(this.file, last.line, `${last.key} value`) };
  }

  // --- did it finish? --------------------------------------------------------------------------

  private ending(notes: RunNotes, parts: RunParts, context: FinishContext): void {
    const last = this.lastIteration;
    if (this.nanIterations) notes.add(this.nanIterations.line, 'lm loss', `iterations with a NaN loss from iteration ${this.nanIterations.value} (line ${this.nanIterations.line}); Megatron leaves those out of the printed loss`, 'warning', 'bad-value');
    const ending = context.ending;
    if (ending && ending.line > this.lastProgressLine) {
      parts.unfinished = true;
      notes.add(ending.line, undefined, `the log ends with ${ending.what} after iteration ${last?.iteration ?? 0}: the run did not finish, so its losses are not end-of-training losses`, 'info', 'unfinished');
      return;
    }
    if (this.finished || !last) return;
    const interval = this.argNumber('log_interval') ?? DEFAULT_LOG_INTERVAL;
    if (last.iteration + interval <= last.total) {
      parts.unfinished = true;
      const why = this.exited ? `Megatron exited ${this.exited.value} (line ${this.exited.line})` : 'the run is still going, or was stopped';
      notes.add(last.line, undefined, `the log stops at iteration ${last.iteration} of ${last.total}: ${why}`, 'info', 'unfinished');
    }
  }
}

export const megatronDialect: LogDialect = {
  id: MEGATRON_DIALECT,
  label: 'Megatron-LM',
  signature: (text) => (text.startsWith('-----') && ARGS_START.test(text)) || (text.includes('consumed samples:') && iterationOf(text) !== undefined) || (text.includes(' value: ') && validationOf(text) !== undefined),
  startsRun: (text) => text.startsWith('-----') && ARGS_START.test(text),
  restartVerdict(text): RestartVerdict | undefined {
    const loaded = loadedIteration(text);
    if (loaded !== undefined) return loaded > 0 ? 'resume' : 'fresh';
    if (text.includes(NO_CHECKPOINT)) return 'fresh';
    if (text.includes(' | ') && iterationOf(text) !== undefined) return 'fresh';
    return undefined;
  },
  create: (file) => new MegatronRun(file),
};
