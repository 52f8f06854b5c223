// Hugging Face Trainer output folders: trainer_state.json (log_history with the training loss,
// eval_loss and tokens seen; global_step, max_steps, train_batch_size) and the files the
// Trainer and its example scripts leave beside it: config.json (N from the architecture, the
// precision from torch_dtype and quantization_config), training_args.json when a script saved
// TrainingArguments.to_json_string() (batch, accumulation, sequence length, bf16/fp16), and
// eval_results.json / all_results.json / train_results.json (the evaluation after training).
// training_args.bin is a pickle and is never opened.
//
// The output folder and each checkpoint-NNN folder under it hold a trainer_state.json. One run
// is reported per output folder: its own state when it has one (written at the end of
// training), else the checkpoint with the highest step; every other state file is "not mine".
//
// trainer_state.json of a long run logging every step reaches tens of megabytes, so it is
// walked with jsonc-parser's visitor (no syntax tree), keeping only the thinned curve and the
// values the run needs. Python's json writes NaN and Infinity bare, which is not JSON: the
// visitor reports them as invalid symbols, and they are read as the non-finite numbers they
// are, so the loss checks can name them on their line while the rest of the file is read.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type JSONPath, type ParseErrorCode, printParseErrorCode, visit } from 'jsonc-parser';
import { type AliasTable, normaliseKey } from '../aliases';
import { countParameters } from '../architecture';
import type { Diagnostic, Severity } from '../diagnostics';
import { parsePrecision } from '../precision';
import { type CurvePoint, type PartPrecision, type Run, type SourceRef, type TrainingPrecision, runId, withMissing } from '../run';
import { BINARY_SNIFF_BYTES, binaryMessage, sniffBinary } from '../text';
import { describeValue, diagnostic, isDiagnostic, nonNegativeFinite, positiveFinite } from '../validate';
import type { ReadContext, ReadResult, RunReader } from './types';
import { DEFAULT_MAX_CURVE_POINTS, MAX_SPLITS, StrideDecimator, shareBudget, thin } from '../curves';

export const HF_TRAINER_FORMAT = 'hf-trainer';
export const TRAINER_STATE = 'trainer_state.json';
const CONFIG = 'config.json';
const ARGS = 'training_args.json';
const ARGS_PICKLE = 'training_args.bin';
const ADAPTER_CONFIG = 'adapter_config.json';
/** Written after training by the Trainer's example scripts; the first holding eval_loss gives the final loss. */
const RESULTS = ['eval_results.json', 'all_results.json', 'train_results.json'] as const;
const CHECKPOINT = /^checkpoint-(\d+)$/;

/** Far beyond any real state file (a million logged steps make ~200 MB); past it the file is not loaded. */
export const MAX_STATE_BYTES = 256 * 1024 * 1024;
/** config.json, training_args.json and the results files are a few kilobytes. */
const MAX_COMPANION_BYTES = 4 * 1024 * 1024;
/** Per-entry problems reported one by one; the rest are counted. */
const MAX_VALUE_DIAGNOSTICS = 20;
/** Keys only a trainer state has: a trainer_state.json with none of them is some other file. */
const STATE_KEYS = ['log_history', 'global_step', 'max_steps', 'best_metric', 'best_model_checkpoint', 'is_world_process_zero', 'total_flos', 'trial_name'];
/** Sequence-length keys of training scripts (run_clm's block_size, TRL's max_seq_length, LLaMA-Factory's cutoff_len, ...). */
const SEQ_KEYS = ['max_seq_length', 'block_size', 'seq_length', 'sequence_length', 'seq_len', 'max_seq_len', 'cutoff_len', 'model_max_length'];
/** Alias-table sequence names that are model capacity, not the length trained on. */
const NOT_TRAINING_SEQ = new Set(['maxpositionembeddings', 'nctx', 'npositions']);

// --- JSON with lines, without a tree ---------------------------------------------------------

interface Located {
  value: unknown;
  /** 1-based. */
  line: number;
}

interface ScanHandlers {
  value?(path: JSONPath, value: unknown, line: number): void;
  open?(path: JSONPath, kind: 'object' | 'array', line: number): void;
  /** `complete` is false for a container the text ends inside of (a file cut short). */
  close?(path: JSONPath, kind: 'object' | 'array', complete: boolean): void;
}

interface Scan {
  root?: 'object' | 'array' | 'value';
  errors: Array<{ line: number; message: string }>;
}

const BARE_NON_FINITE = new Set(['NaN', 'Infinity']);

/** "CloseBraceExpected" → "close brace expected". */
const errorText = (code: ParseErrorCode): string =>
  printParseErrorCode(code)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();

/**
 * Walks a JSON text, reporting values, containers and syntax errors with 1-based lines. A number
 * that runs into the end of the text may be cut short (1.2 of 1.25) and is not reported.
 */
function scanJson(text: string, handlers: ScanHandlers): Scan {
  const scan: Scan = { errors: [] };
  const stack: Array<{ path: JSONPath; kind: 'object' | 'array' }> = [];
  let pending: JSONPath | undefined;
  let minusAt = -1;
  let swallowValueExpected = false;
  const open = (kind: 'object' | 'array') => (_offset: number, _length: number, line: number, _char: number, pathOf: () => JSONPath) => {
    const at = pathOf();
    if (stack.length === 0 && scan.root === undefined) scan.root = kind;
    stack.push({ path: at, kind });
    pending = undefined;
    handlers.open?.(at, kind, line + 1);
  };
  const close = (_offset: number, length: number) => {
    const top = stack.pop();
    if (top) handlers.close?.(top.path, top.kind, length > 0);
  };
  visit(
    text,
    {
      onObjectBegin: open('object'),
      onArrayBegin: open('array'),
      onObjectEnd: close,
      onArrayEnd: close,
      onObjectProperty: (property, _offset, _length, _line, _char, pathOf) => {
        pending = [...pathOf(), property];
      },
      onLiteralValue: (value: unknown, offset, length, line, _char, pathOf) => {
        pending = undefined;
        if (stack.length === 0 && scan.root === undefined) scan.root = 'value';
        if (offset + length >= text.length) return;
        handlers.value?.(pathOf(), value, line + 1);
      },
      onError: (code, offset, length, line) => {
        const token = text.slice(offset, offset + length);
        const name = printParseErrorCode(code);
        if (name === 'InvalidSymbol') {
          if (token === '-' && text.startsWith('Infinity', offset + 1)) {
            minusAt = offset + 1;
            return;
          }
          if (BARE_NON_FINITE.has(token)) {
            const value = token === 'NaN' ? Number.NaN : minusAt === offset ? -Infinity : Infinity;
            if (pending) handlers.value?.(pending, value, line + 1);
            pending = undefined;
            swallowValueExpected = true;
            return;
          }
        }
        if (swallowValueExpected && name === 'ValueExpected') {
          swallowValueExpected = false;
          return;
        }
        swallowValueExpected = false;
        scan.errors.push({ line: line + 1, message: errorText(code) });
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return scan;
}

/** Top-level and second-level values of a small JSON object, by dotted key; the first of duplicate keys wins. */
interface FlatJson {
  file: string;
  values: Map<string, Located>;
  /** Objects and arrays, by dotted key, at the line they open. */
  containers: Map<string, { kind: 'object' | 'array'; line: number }>;
  scan: Scan;
}

function flatten(text: string, file: string): FlatJson {
  const flat: FlatJson = { file, values: new Map(), containers: new Map(), scan: { errors: [] } };
  const keyOf = (at: JSONPath): string | undefined => (at.length >= 1 && at.length <= 2 && at.every((k) => typeof k === 'string') ? at.join('.') : undefined);
  flat.scan = scanJson(text, {
    value: (at, value, line) => {
      const key = keyOf(at);
      if (key !== undefined && !flat.values.has(key) && !flat.containers.has(key)) flat.values.set(key, { value, line });
    },
    open: (at, kind, line) => {
      const key = keyOf(at);
      if (key !== undefined && !flat.values.has(key) && !flat.containers.has(key)) flat.containers.set(key, { kind, line });
    },
  });
  return flat;
}

// --- files -----------------------------------------------------------------------------------

type Loaded = { text: string } | { problem: Diagnostic } | undefined;

/** A text file read whole after checking its size and that it is text; undefined when it does not exist. */
async function loadText(file: string, maxBytes: number, severity: Severity): Promise<Loaded> {
  const name = path.basename(file);
  const problem = (message: string): Loaded => ({ problem: diagnostic(file, undefined, undefined, message, severity) });
  let bytes: Buffer;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return problem(`${name} is not a regular file; not read`);
    if (stat.size > maxBytes) return problem(`${name} is ${(stat.size / 2 ** 20).toFixed(1)} MiB, more than the ${maxBytes / 2 ** 20} MiB read for it; not read`);
    bytes = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return problem(`cannot read ${name}: ${(e as Error).message}`);
  }
  const verdict = sniffBinary(bytes.subarray(0, BINARY_SNIFF_BYTES));
  if (verdict !== 'text') return problem(binaryMessage(verdict, name));
  const text = bytes.toString('utf8');
  // A BOM is not JSON; blanking it keeps every offset, hence every line, where it was.
  return { text: text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text };
}

const exists = (file: string): Promise<boolean> =>
  fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );

/** A companion JSON object, or undefined when absent; problems go to `diagnostics`. */
async function loadCompanion(file: string, diagnostics: Diagnostic[]): Promise<FlatJson | undefined> {
  const loaded = await loadText(file, MAX_COMPANION_BYTES, 'warning');
  if (!loaded) return undefined;
  if ('problem' in loaded) {
    diagnostics.push(loaded.problem);
    return undefined;
  }
  const flat = flatten(loaded.text, file);
  const name = path.basename(file);
  const [first] = flat.scan.errors;
  if (first) {
    const more = flat.scan.errors.length > 1 ? ` (and ${flat.scan.errors.length - 1} more)` : '';
    diagnostics.push(diagnostic(file, first.line, undefined, `${name}: syntax error: ${first.message}${more}; the values before it are read`, 'warning'));
  }
  if (flat.scan.root !== 'object') {
    if (!first) diagnostics.push(diagnostic(file, 1, undefined, `${name} must hold one JSON object; not read`, 'warning'));
    return undefined;
  }
  return flat;
}

/** The step of a checkpoint-NNN folder, or undefined for any other folder. */
const checkpointStep = (dir: string): number | undefined => {
  const m = CHECKPOINT.exec(path.basename(dir));
  return m ? Number(m[1]) : undefined;
};

/**
 * A checkpoint's state stands for the run only when the output folder has no state of its own
 * and no later checkpoint has one. Returns what supersedes this file, if anything.
 */
async function supersededBy(file: string, inputs: string[]): Promise<string | undefined> {
  const dir = path.dirname(file);
  const step = checkpointStep(dir);
  if (step === undefined) return undefined;
  const outputDir = path.dirname(dir);
  const own = path.join(outputDir, TRAINER_STATE);
  inputs.push(own);
  if (await exists(own)) return own;
  const siblings = await fs.readdir(outputDir).catch(() => [] as string[]);
  const later = siblings
    .map((name) => ({ name, step: checkpointStep(name) }))
    .filter((s): s is { name: string; step: number } => s.step !== undefined && s.step > step)
    .sort((a, b) => b.step - a.step);
  for (const s of later) {
    const state = path.join(outputDir, s.name, TRAINER_STATE);
    inputs.push(state);
    if (await exists(state)) return state;
  }
  return undefined;
}

// --- trainer_state.json ----------------------------------------------------------------------

interface LocatedPoint {
  point: CurvePoint;
  order: number;
}

interface EvalSeen {
  loss?: number;
  /** The value as written, when it was not a usable loss. */
  bad?: unknown;
  line: number;
  step: number;
}

interface StateRead {
  scan: Scan;
  top: Map<string, Located>;
  /** Line and kind of log_history, when present. */
  logHistory?: { kind: 'object' | 'array'; line: number };
  curve: CurvePoint[];
  /** Last plain eval_loss, usable or not. */
  lastEval?: EvalSeen;
  /** Last eval_<name>_loss per evaluation set, when evaluating on several. */
  namedEvals: Map<string, EvalSeen>;
  lastTokens?: Located;
  lastStep?: number;
  entries: number;
  /** Line of a log entry the file ends inside of. */
  cutEntryLine?: number;
}

const NAMED_EVAL_LOSS = /^eval_(.+)_loss$/;

/** Collects log_history entry by entry as the visitor walks them; memory is the thinned curve. */
function readState(text: string, file: string, maxPoints: number, diagnostics: Diagnostic[]): StateRead {
  const state: StateRead = { scan: { errors: [] }, top: new Map(), curve: [], namedEvals: new Map(), entries: 0 };
  const bySplit = new Map<string, StrideDecimator<LocatedPoint>>();
  let order = 0;
  let problems = 0;
  let droppedSplits = false;
  const report = (d: Diagnostic) => {
    problems++;
    if (problems <= MAX_VALUE_DIAGNOSTICS) diagnostics.push(d);
  };
  let entry: { index: number; line: number; fields: Map<string, Located> } | undefined;

  const addPoint = (point: CurvePoint) => {
    let decimator = bySplit.get(point.split);
    if (!decimator) {
      // Many evaluation sets are possible, but not an unbounded number of curves.
      if (bySplit.size >= MAX_SPLITS) {
        droppedSplits = true;
        return;
      }
      decimator = new StrideDecimator<LocatedPoint>(maxPoints);
      bySplit.set(point.split, decimator);
    }
    decimator.push({ point, order: order++ });
  };

  const finishEntry = (index: number, fields: Map<string, Located>) => {
    state.entries++;
    const field = (key: string) => `log_history[${index}].${key}`;
    const stepAt = fields.get('step');
    let step = state.lastStep ?? 0;
    if (stepAt) {
      const checked = nonNegativeFinite(stepAt.value, file, stepAt.line, field('step'), 'warning');
      if (isDiagnostic(checked)) report({ ...checked, message: `${checked.message}; the previous step is used` });
      else step = state.lastStep = checked;
    }
    let tokens: number | undefined;
    const tokensAt = fields.get('num_input_tokens_seen');
    if (tokensAt) {
      const checked = nonNegativeFinite(tokensAt.value, file, tokensAt.line, field('num_input_tokens_seen'), 'warning');
      if (isDiagnostic(checked)) report({ ...checked, message: `${checked.message}; ignored` });
      else {
        tokens = checked;
        if (checked > 0) state.lastTokens = { value: checked, line: tokensAt.line };
      }
    }
    for (const [key, at] of fields) {
      const named = NAMED_EVAL_LOSS.exec(key);
      const split = key === 'loss' ? 'train' : key === 'eval_loss' ? 'eval' : named ? `eval_${named[1]}` : undefined;
      if (!split) continue;
      const loss = positiveFinite(at.value, file, at.line, field(key), 'warning');
      const seen: EvalSeen = isDiagnostic(loss) ? { bad: at.value, line: at.line, step } : { loss, line: at.line, step };
      if (key === 'eval_loss') state.lastEval = seen;
      else if (named) state.namedEvals.set(named[1], seen);
      if (isDiagnostic(loss)) {
        report({ ...loss, message: `${loss.message} at step ${step}; left out of the curve` });
        continue;
      }
      const point: CurvePoint = { step, split, loss };
      if (tokens !== undefined) point.tokens = tokens;
      addPoint(point);
    }
  };

  state.scan = scanJson(text, {
    value: (at, value, line) => {
      if (at.length === 1 && typeof at[0] === 'string') {
        if (!state.top.has(at[0])) state.top.set(at[0], { value, line });
      } else if (entry && at.length === 3 && at[0] === 'log_history' && at[1] === entry.index && typeof at[2] === 'string') {
        if (!entry.fields.has(at[2])) entry.fields.set(at[2], { value, line });
      }
    },
    open: (at, kind, line) => {
      if (at.length === 1 && at[0] === 'log_history' && !state.logHistory) state.logHistory = { kind, line };
      else if (at.length === 2 && at[0] === 'log_history' && typeof at[1] === 'number' && kind === 'object') entry = { index: at[1], line, fields: new Map() };
    },
    close: (at, _kind, complete) => {
      if (!entry || at.length !== 2 || at[0] !== 'log_history' || at[1] !== entry.index) return;
      // An entry the file ends inside of may have lost its last values: it is left out whole.
      if (complete) finishEntry(entry.index, entry.fields);
      else state.cutEntryLine = entry.line;
      entry = undefined;
    },
  });

  if (problems > MAX_VALUE_DIAGNOSTICS) {
    const more = problems - MAX_VALUE_DIAGNOSTICS;
    diagnostics.push(diagnostic(file, undefined, 'log_history', `${more} more unusable log_history value${more === 1 ? '' : 's'} not listed`, 'warning'));
  }
  if (droppedSplits) diagnostics.push(diagnostic(file, undefined, 'log_history', `more than ${MAX_SPLITS} loss curves (evaluation sets); the others are left out of the curve`, 'warning'));
  const groups = [...bySplit.values()].map((d) => d.result());
  const shares = shareBudget(
    groups.map((g) => g.length),
    maxPoints,
  );
  state.curve = groups
    .flatMap((g, i) => thin(g, shares[i]))
    .sort((a, b) => a.order - b.order)
    .map((p) => p.point);
  return state;
}

/** A top-level count of the state (global_step, max_steps, train_batch_size), checked; problems are warnings. */
function topCount(state: StateRead, file: string, key: string, diagnostics: Diagnostic[], positive = false): Located | undefined {
  const at = state.top.get(key);
  if (!at) return undefined;
  const ok = typeof at.value === 'number' && Number.isSafeInteger(at.value) && (positive ? at.value > 0 : at.value >= 0);
  if (!ok) {
    diagnostics.push(diagnostic(file, at.line, key, `${key} must be ${positive ? 'a positive' : 'a non-negative'} integer, got ${describeValue(at.value)}; ignored`, 'warning'));
    return undefined;
  }
  return at;
}

// --- companions ------------------------------------------------------------------------------

/** A value of a companion file by key, among several names (user aliases first). */
function pick(flat: FlatJson | undefined, names: readonly string[]): (Located & { key: string; file: string }) | undefined {
  if (!flat) return undefined;
  const byNorm = new Map<string, string>();
  for (const key of flat.values.keys()) if (!key.includes('.') && !byNorm.has(normaliseKey(key))) byNorm.set(normaliseKey(key), key);
  for (const name of names) {
    const key = byNorm.get(normaliseKey(name));
    const at = key !== undefined ? flat.values.get(key) : undefined;
    if (key !== undefined && at) return { ...at, key, file: flat.file };
  }
  return undefined;
}

const sourceOf = (at: { file: string; line: number }, field: string): SourceRef => ({ file: at.file, line: at.line, field });

interface PrecisionRead {
  precision?: TrainingPrecision;
  source?: SourceRef;
  quantMethod?: string;
}

/** Weights held quantized during training (QLoRA-style): the precision quantization_config names. */
function quantizedWeights(config: FlatJson, diagnostics: Diagnostic[]): { part?: PartPrecision; method: string; line: number } | undefined {
  const container = config.containers.get('quantization_config');
  if (!container) return undefined;
  const line = container.line;
  if (container.kind !== 'object') {
    diagnostics.push(diagnostic(config.file, line, 'quantization_config', 'quantization_config must be an object; the weight precision is unknown', 'warning'));
    return { method: 'unknown', line };
  }
  const q = (key: string) => config.values.get(`quantization_config.${key}`)?.value;
  const methodValue = q('quant_method');
  const method = typeof methodValue === 'string' ? methodValue : q('load_in_4bit') === true || q('load_in_8bit') === true ? 'bitsandbytes' : 'unknown';
  let part: PartPrecision | undefined;
  if (q('load_in_4bit') === true || q('_load_in_4bit') === true) {
    const kind = q('bnb_4bit_quant_type');
    part = parsePrecision(kind === 'fp4' ? 'fp4' : 'nf4');
  } else if (q('load_in_8bit') === true || q('_load_in_8bit') === true) {
    part = parsePrecision('int8');
  } else if (method === 'fp8' || method === 'fbgemm_fp8') {
    part = parsePrecision('e4m3');
  } else if (typeof q('bits') === 'number') {
    // GPTQ, AWQ, AQLM, EETQ and the like: integer codes of `bits` bits.
    const bits = q('bits') as number;
    part = Number.isInteger(bits) ? parsePrecision(`int${bits}`) : undefined;
  }
  return { part, method, line };
}

/**
 * Training precision: the weights' from quantization_config when they were held quantized, the
 * compute precision from the arguments' bf16/fp16 mixed-precision flags when saved, else from
 * the dtype the model was loaded and saved in.
 */
function readPrecision(config: FlatJson | undefined, args: FlatJson | undefined, diagnostics: Diagnostic[]): PrecisionRead {
  const out: PrecisionRead = {};
  let saved: { part: PartPrecision; at: Located; key: string } | undefined;
  if (config) {
    const key = config.values.has('torch_dtype') ? 'torch_dtype' : 'dtype';
    const at = config.values.get(key);
    if (at) {
      const part = typeof at.value === 'string' ? parsePrecision(at.value) : undefined;
      if (part) saved = { part, at, key };
      else diagnostics.push(diagnostic(config.file, at.line, key, `${key} ${describeValue(at.value)} is not a precision this reader knows; ignored`, 'warning'));
    }
  }
  let amp: { part: PartPrecision; at: Located; key: string } | undefined;
  for (const key of ['bf16', 'fp16'] as const) {
    const at = args?.values.get(key);
    if (at?.value === true) {
      amp = { part: parsePrecision(key) as PartPrecision, at, key };
      break;
    }
  }
  const tf32 = args?.values.get('tf32');
  if (!amp && saved?.part.bits === 32 && tf32?.value === true) amp = { part: parsePrecision('tf32') as PartPrecision, at: tf32, key: 'tf32' };

  const quant = config ? quantizedWeights(config, diagnostics) : undefined;
  let compute = amp?.part ?? saved?.part;
  if (quant && config) {
    out.quantMethod = quant.method;
    // bitsandbytes dequantizes to its compute dtype for every matmul; mixed-precision flags still win.
    const computeAt = config.values.get('quantization_config.bnb_4bit_compute_dtype');
    const bnbCompute = typeof computeAt?.value === 'string' ? parsePrecision(computeAt.value) : undefined;
    if (!amp && bnbCompute) compute = bnbCompute;
    if (!quant.part) {
      diagnostics.push(
        diagnostic(config.file, quant.line, 'quantization_config', `quantization_config (quant_method ${JSON.stringify(quant.method)}) does not say the weights' bits in a form this reader knows; the training precision is unknown`, 'warning'),
      );
      return out;
    }
    const name = quant.part.name ?? `${quant.part.bits}-bit`;
    diagnostics.push(
      diagnostic(
        config.file,
        quant.line,
        'quantization_config',
        `quantization_config (${quant.method}): the base weights were held in ${name} while training (QLoRA-style, with higher-precision adapters); weights taken as ${quant.part.bits}-bit ${quant.part.type}` +
          (compute ? `, activations and kv as ${compute.name ?? `${compute.bits}-bit`}` : ''),
        'info',
      ),
    );
    if (!compute) {
      diagnostics.push(diagnostic(config.file, quant.line, 'precision', 'the compute precision is unknown (no torch_dtype, bnb_4bit_compute_dtype or bf16/fp16 in training_args.json)', 'warning'));
      return out;
    }
    out.precision = { w: quant.part, a: compute, kv: compute };
    out.source = sourceOf({ file: config.file, line: quant.line }, 'quantization_config');
    return out;
  }
  if (!compute) return out;
  out.precision = { w: compute, a: compute, kv: compute };
  out.source = amp && args ? sourceOf({ file: args.file, line: amp.at.line }, amp.key) : saved && config ? sourceOf({ file: config.file, line: saved.at.line }, saved.key) : undefined;
  return out;
}

interface TokensRead {
  value?: number;
  source?: SourceRef;
  /** Why D could not be had, when it could not. */
  why?: string;
}

/** D as steps x batch x accumulation x devices x sequence length, only from values the files state. */
function tokensFromSteps(state: StateRead, stateFile: string, args: FlatJson | undefined, aliases: AliasTable, diagnostics: Diagnostic[]): TokensRead {
  const steps = topCount(state, stateFile, 'global_step', [], true);
  if (!args) return { why: `no ${ARGS} with the batch size and sequence length` };
  const seqNames = [...new Set([...aliases.seqLen.filter((n) => !NOT_TRAINING_SEQ.has(normaliseKey(n))), ...SEQ_KEYS])];
  const seq = pick(args, seqNames);
  const stateBatch = topCount(state, stateFile, 'train_batch_size', [], true);
  const argsBatch = pick(args, ['per_device_train_batch_size']);
  const accumulation = pick(args, ['gradient_accumulation_steps']);
  const devices = pick(args, ['world_size', 'num_processes']);
  const packing = args.values.get('packing');
  const isCount = (at: Located | undefined): at is Located => !!at && typeof at.value === 'number' && Number.isSafeInteger(at.value) && at.value > 0;
  if (!steps) return { why: 'trainer_state.json has no global_step' };
  if (!isCount(seq)) return { why: `${path.basename(args.file)} gives no training sequence length (${SEQ_KEYS.slice(0, 3).join(', ')}, ...)` };
  if (packing?.value === false) {
    return { why: `${path.basename(args.file)} has packing: false, so sequences were not all ${seq.value} tokens long and steps x batch x ${seq.key} would overstate D` };
  }
  const batch = isCount(stateBatch)
    ? { value: stateBatch.value as number, where: `train_batch_size, ${TRAINER_STATE} line ${stateBatch.line}` }
    : isCount(argsBatch)
      ? { value: argsBatch.value as number, where: `per_device_train_batch_size, line ${argsBatch.line}` }
      : undefined;
  if (!batch) return { why: `no train_batch_size in trainer_state.json and no per_device_train_batch_size in ${path.basename(args.file)}` };
  const accumulate = isCount(accumulation) ? (accumulation.value as number) : 1;
  const world = isCount(devices) ? (devices.value as number) : undefined;
  const value = (steps.value as number) * batch.value * accumulate * (world ?? 1) * (seq.value as number);
  if (!Number.isSafeInteger(value)) return { why: 'steps x batch x sequence length is too large to be a token count' };
  const parts = [
    `${steps.value} steps (global_step)`,
    `${batch.value} (${batch.where})`,
    `${accumulate} (gradient_accumulation_steps${isCount(accumulation) ? '' : ' not given, 1 assumed'})`,
    world !== undefined ? `${world} (${devices?.key})` : '1 device (no world_size given: a run on n devices saw n times as many tokens)',
    `${seq.value} (${seq.key})`,
  ];
  diagnostics.push(
    diagnostic(
      args.file,
      seq.line,
      'tokens',
      `tokens computed as ${parts.join(' x ')} = ${value}, counting every sequence at full length (packed or grouped texts)`,
      world === undefined ? 'warning' : 'info',
    ),
  );
  return { value, source: sourceOf(seq, seq.key) };
}

// --- the quantities --------------------------------------------------------------------------

interface Found<T> {
  value: T;
  source: SourceRef;
}

/** N from config.json; without one, says what would give it (an adapter folder names its base model). */
async function readParams(config: FlatJson | undefined, dirs: readonly string[], file: string, inputs: string[], diagnostics: Diagnostic[]): Promise<(Found<number> & { meta: Record<string, unknown> }) | undefined> {
  if (config) {
    const object: Record<string, unknown> = {};
    for (const [key, at] of config.values) if (!key.includes('.')) Object.defineProperty(object, key, { value: at.value, enumerable: true });
    const counted = countParameters(object);
    const modelType = config.values.get('model_type');
    if (counted.ok) {
      const { params, family, formula, embeddingParams } = counted.count;
      const meta: Record<string, unknown> = { family, paramsFormula: formula };
      if (embeddingParams !== undefined) meta.embeddingParams = embeddingParams;
      return { value: params, source: { file: config.file, line: modelType?.line ?? 1, field: 'model_type' }, meta };
    }
    const at = counted.field ? (config.values.get(counted.field) ?? config.containers.get(counted.field)) : undefined;
    diagnostics.push(diagnostic(config.file, at?.line ?? modelType?.line ?? 1, 'params', `N (params) is unknown: ${counted.message}`, 'warning'));
    return undefined;
  }
  let adapter: FlatJson | undefined;
  for (const d of dirs) {
    const candidate = path.join(d, ADAPTER_CONFIG);
    inputs.push(candidate);
    adapter ??= await loadCompanion(candidate, diagnostics);
  }
  const base = adapter?.values.get('base_model_name_or_path')?.value;
  const why = adapter
    ? `this is an adapter (PEFT/LoRA) run${typeof base === 'string' ? ` of ${base}` : ''}: copy the base model's ${CONFIG} here`
    : `put the model's ${CONFIG} (saved with the model) beside it`;
  diagnostics.push(diagnostic(file, undefined, 'params', `no ${CONFIG} beside ${TRAINER_STATE}, so N (params) is unknown; ${why}, or give N in a run.json or sweep table`, 'warning'));
  return undefined;
}

/**
 * The final validation loss: the evaluation after training (eval_results.json, all_results.json)
 * when there is one, else the last eval_loss logged. Only a usable last evaluation counts: an
 * earlier one standing in for a NaN would hide that the run diverged.
 */
function readFinalLoss(state: StateRead, results: readonly FlatJson[], file: string, diagnostics: Diagnostic[]): Found<number> | undefined {
  const after = results.map((r) => ({ r, at: r.values.get('eval_loss') })).find((x) => x.at !== undefined);
  if (after?.at) {
    const { r, at } = after;
    const loss = positiveFinite(at.value, r.file, at.line, 'eval_loss', 'warning');
    if (isDiagnostic(loss)) {
      diagnostics.push({ ...loss, message: `${loss.message}: the evaluation after training failed (a diverged run?), so the run has no final loss` });
      return undefined;
    }
    const last = state.lastEval;
    if (last?.loss !== undefined && last.loss !== loss) {
      const message = `final loss ${loss} from ${path.basename(r.file)} (the evaluation after training); the last eval_loss in ${TRAINER_STATE} (step ${last.step}, line ${last.line}) is ${last.loss}`;
      diagnostics.push(diagnostic(r.file, at.line, 'eval_loss', message, 'info'));
    }
    return { value: loss, source: { file: r.file, line: at.line, field: 'eval_loss' } };
  }
  const found = (seen: EvalSeen, field: string): Found<number> | undefined => (seen.loss !== undefined ? { value: seen.loss, source: { file, line: seen.line, field } } : undefined);
  if (state.lastEval) {
    const last = state.lastEval;
    if (last.loss === undefined) {
      diagnostics.push(diagnostic(file, last.line, 'eval_loss', `the last eval_loss (step ${last.step}) is ${describeValue(last.bad)}; no earlier evaluation stands in for it, so the run has no final loss`, 'warning'));
    }
    return found(last, 'eval_loss');
  }
  if (state.namedEvals.size === 1) {
    const [[setName, last]] = [...state.namedEvals];
    const field = `eval_${setName}_loss`;
    const message = last.loss !== undefined ? `final loss from the one evaluation set, ${field} (step ${last.step})` : `the last ${field} (step ${last.step}) is ${describeValue(last.bad)}, so the run has no final loss`;
    diagnostics.push(diagnostic(file, last.line, 'eval_loss', message, last.loss !== undefined ? 'info' : 'warning'));
    return found(last, field);
  }
  if (state.namedEvals.size > 1) {
    const names = [...state.namedEvals.keys()].map((n) => `eval_${n}_loss`).join(', ');
    diagnostics.push(diagnostic(file, state.logHistory?.line, 'eval_loss', `log_history has several evaluation sets (${names}) and no eval_loss: which one is the validation loss is not known, so the run has no final loss`, 'warning'));
  } else if (state.logHistory?.kind === 'array') {
    const message = 'log_history has no eval_loss: a training loss is not a validation loss, so the run has no final loss (evaluate during training, eval_strategy="steps", to get one)';
    diagnostics.push(diagnostic(file, state.logHistory.line, 'eval_loss', message, 'warning'));
  }
  return undefined;
}

/**
 * D: the state's num_input_tokens_seen (0 is the Trainer's "not counted"), else the last count
 * logged, else a token count in the results files, else steps x batch x sequence length.
 */
function readTokens(state: StateRead, results: readonly FlatJson[], args: FlatJson | undefined, file: string, aliases: AliasTable, diagnostics: Diagnostic[]): Found<number> | undefined {
  const top = state.top.get('num_input_tokens_seen');
  if (top && typeof top.value === 'number' && Number.isFinite(top.value) && top.value > 0) return { value: top.value, source: { file, line: top.line, field: 'num_input_tokens_seen' } };
  if (top && top.value !== 0) {
    diagnostics.push(diagnostic(file, top.line, 'num_input_tokens_seen', `num_input_tokens_seen must be a non-negative number, got ${describeValue(top.value)}; ignored`, 'warning'));
  }
  if (state.lastTokens) return { value: state.lastTokens.value as number, source: { file, line: state.lastTokens.line, field: 'num_input_tokens_seen' } };
  for (const r of results) {
    const t = pick(r, aliases.tokens);
    if (t && typeof t.value === 'number' && Number.isFinite(t.value) && t.value > 0) return { value: t.value, source: sourceOf(t, t.key) };
  }
  const computed = tokensFromSteps(state, file, args, aliases, diagnostics);
  if (computed.value !== undefined && computed.source) return { value: computed.value, source: computed.source };
  const message =
    `D (tokens seen) is unknown: ${computed.why}. Log it with TrainingArguments(include_num_input_tokens_seen=True), or save ${ARGS} with per_device_train_batch_size, ` +
    `gradient_accumulation_steps and the training sequence length (max_seq_length or block_size; max_position_embeddings is the model's limit, not the length trained on)`;
  diagnostics.push(diagnostic(file, top?.line, 'tokens', message, 'warning'));
  return undefined;
}

// --- the run ---------------------------------------------------------------------------------

export interface HfTrainerOptions {
  /** Upper bound on the loss-curve length. */
  maxCurvePoints?: number;
}

/**
 * Reads one Hugging Face Trainer run from its trainer_state.json. A state superseded by the output
 * folder's own or by a later checkpoint's is "not mine"; otherwise one run, with `missing` naming
 * what the files did not give and a diagnostic for each, or none when the file is unreadable.
 */
export async function readHfTrainer(stateFile: string, context: ReadContext, options: HfTrainerOptions = {}): Promise<ReadResult> {
  const file = path.resolve(stateFile);
  const dir = path.dirname(file);
  const inCheckpoint = checkpointStep(dir) !== undefined;
  const outputDir = inCheckpoint ? path.dirname(dir) : dir;
  const companionDirs = inCheckpoint ? [dir, outputDir] : [dir];
  // A checkpoint's standing changes when checkpoints come and go: the output folder is an input.
  const inputs: string[] = inCheckpoint ? [outputDir] : [];
  if (await supersededBy(file, inputs)) return { runs: [], diagnostics: [], notMine: true, inputs };

  const diagnostics: Diagnostic[] = [];
  const loaded = await loadText(file, MAX_STATE_BYTES, 'error');
  if (!loaded) return { runs: [], diagnostics: [diagnostic(file, undefined, undefined, `${TRAINER_STATE} not found`, 'error')], inputs };
  if ('problem' in loaded) return { runs: [], diagnostics: [loaded.problem], inputs };
  const maxPoints = Math.max(2, options.maxCurvePoints ?? DEFAULT_MAX_CURVE_POINTS);
  const valueProblems: Diagnostic[] = [];
  const state = readState(loaded.text, file, maxPoints, valueProblems);
  const { scan } = state;
  const looksLikeState = scan.root === 'object' && (state.logHistory !== undefined || STATE_KEYS.some((key) => state.top.has(key)));
  if (!looksLikeState) {
    // Valid JSON of another shape is someone else's file; broken JSON under this name is a damaged state.
    if (scan.errors.length === 0 && loaded.text.trim() !== '') return { runs: [], diagnostics: [], notMine: true, inputs };
    const first = scan.errors[0];
    const message = loaded.text.trim() === '' ? `${TRAINER_STATE} is empty` : `${TRAINER_STATE} is not valid JSON (syntax error: ${first?.message ?? 'no object'}); nothing could be read`;
    return { runs: [], diagnostics: [diagnostic(file, first?.line ?? 1, undefined, message, 'error')], inputs };
  }
  const [firstError] = scan.errors;
  if (firstError) {
    // A file cut short makes several errors at its end; the first says it.
    const more = scan.errors.length > 1 ? ` (${scan.errors.length - 1} more after it)` : '';
    diagnostics.push(diagnostic(file, firstError.line, undefined, `syntax error: ${firstError.message}${more}; the values before it are read and the run is treated as unfinished`, 'error'));
  }
  if (state.cutEntryLine !== undefined) {
    diagnostics.push(diagnostic(file, state.cutEntryLine, 'log_history', 'the last log_history entry is cut off (the file ends inside it); left out', 'warning'));
  }
  diagnostics.push(...valueProblems);
  if (!state.logHistory) diagnostics.push(diagnostic(file, 1, 'log_history', `${TRAINER_STATE} has no log_history: no losses to read`, 'error'));
  else if (state.logHistory.kind !== 'array') diagnostics.push(diagnostic(file, state.logHistory.line, 'log_history', 'log_history must be an array of log entries; no losses read', 'error'));

  const globalStep = topCount(state, file, 'global_step', diagnostics);
  const maxSteps = topCount(state, file, 'max_steps', diagnostics);
  const batchSize = topCount(state, file, 'train_batch_size', diagnostics, true);
  const steps = (globalStep?.value as number | undefined) ?? state.lastStep;
  const unfinished = steps !== undefined && maxSteps !== undefined && (maxSteps.value as number) > 0 && steps < (maxSteps.value as number);
  if (unfinished) {
    const where = inCheckpoint ? ` (the latest checkpoint, ${path.basename(dir)})` : '';
    diagnostics.push(diagnostic(file, globalStep?.line ?? maxSteps?.line, 'global_step', `stopped at step ${steps} of ${maxSteps?.value}${where}: the run did not finish, so its losses are not end-of-training losses`, 'info'));
  }

  const run: Omit<Run, 'missing'> = { id: runId(file, context.root), name: path.basename(outputDir), format: HF_TRAINER_FORMAT, file, ptq: [], sources: {}, curve: state.curve };
  if (unfinished || scan.errors.length > 0) run.unfinished = true;
  const meta: Record<string, unknown> = { logEntries: state.entries };
  if (steps !== undefined) meta.globalStep = steps;
  if (maxSteps) meta.maxSteps = maxSteps.value;
  if (batchSize) meta.trainBatchSize = batchSize.value;
  if (inCheckpoint) meta.checkpoint = path.basename(dir);
  run.meta = meta;

  // Companions: beside the state, then (for a checkpoint) in the output folder above it.
  const firstCompanion = async (name: string): Promise<FlatJson | undefined> => {
    for (const d of companionDirs) {
      const candidate = path.join(d, name);
      inputs.push(candidate);
      const flat = await loadCompanion(candidate, diagnostics);
      if (flat) return flat;
    }
    return undefined;
  };
  const config = await firstCompanion(CONFIG);
  const args = await firstCompanion(ARGS);
  // Results are written into the output folder after training: they belong to this state only
  // when it is the output folder's own, or a checkpoint taken at the last step.
  const results: FlatJson[] = [];
  if (!inCheckpoint || !unfinished) {
    for (const name of RESULTS) {
      const candidate = path.join(outputDir, name);
      inputs.push(candidate);
      const flat = await loadCompanion(candidate, diagnostics);
      if (flat) results.push(flat);
    }
  }

  const params = await readParams(config, companionDirs, file, inputs, diagnostics);
  // The vocabulary says which units the loss is in: runs with different tokenizers do not compare.
  const vocabSize = config?.values.get('vocab_size')?.value;
  if (typeof vocabSize === 'number' && Number.isInteger(vocabSize) && vocabSize > 0) meta.vocabSize = vocabSize;
  if (params) {
    run.params = params.value;
    run.sources.params = params.source;
    Object.assign(meta, params.meta);
  }
  const precision = readPrecision(config, args, diagnostics);
  if (precision.quantMethod) meta.quantization = precision.quantMethod;
  if (precision.precision && precision.source) {
    run.precision = precision.precision;
    run.sources.precision = precision.source;
    if (!args && precision.precision.w.bits === 32 && (precision.source.field === 'torch_dtype' || precision.source.field === 'dtype')) {
      const pickle = (await Promise.all(companionDirs.map((d) => exists(path.join(d, ARGS_PICKLE))))).some(Boolean);
      const how = `save TrainingArguments.to_json_string() as ${ARGS}`;
      diagnostics.push(
        diagnostic(
          precision.source.file,
          precision.source.line,
          'precision',
          `precision read as fp32 from ${precision.source.field}, the dtype the weights were saved in; a run with --bf16/--fp16 computed in 16 bits, which only the training arguments say (${pickle ? `${ARGS_PICKLE} is a pickle and is not read: ${how}` : how})`,
          'info',
        ),
      );
    }
  } else if (!precision.quantMethod) {
    const what = config ? `${CONFIG} has no usable torch_dtype` : `there is no ${CONFIG} (torch_dtype)`;
    diagnostics.push(diagnostic(config?.file ?? file, config ? 1 : undefined, 'precision', `the training precision is unknown: ${what} and no ${ARGS} says bf16/fp16; give it in a run.json or sweep table`, 'warning'));
  }
  const finalLoss = readFinalLoss(state, results, file, diagnostics);
  if (finalLoss) {
    run.finalLoss = finalLoss.value;
    run.sources.finalLoss = finalLoss.source;
  }
  const tokens = readTokens(state, results, args, file, context.aliases, diagnostics);
  if (tokens) {
    run.tokens = tokens.value;
    run.sources.tokens = tokens.source;
  }
  return { runs: [withMissing(run)], diagnostics, inputs: [...new Set(inputs)] };
}

export const hfTrainerReader: RunReader = {
  id: HF_TRAINER_FORMAT,
  label: 'Hugging Face Trainer',
  matches: (name) => name === TRAINER_STATE,
  read: (file, context) => readHfTrainer(file, context),
};
