// The one config-facts engine: N, D, training precision and post-training quantization results
// found by alias among located config entries, whichever file they came from (a W&B config.yaml,
// MLflow params, Lightning hparams.yaml, an HF config embedded in a TensorBoard summary, or the
// config file the user is editing). Every value keeps the file and line it came from.

import * as path from 'node:path';
import { type AliasField, type AliasTable, normaliseKey } from './aliases';
import { countParameters } from './architecture';
import type { Diagnostic, DiagnosticCode, Severity } from './diagnostics';
import { type ConfigEntry, setKey } from './entries';
import { PRECISION_NAMES, parsePrecision, parseTrainingPrecision, precisionFromBits } from './precision';
import { nameUnit, parseQuantity } from './quantity';
import type { PartPrecision, PtqEval, Run, SourceRef, TrainingPrecision } from './run';
import { MIN_PLAUSIBLE_PARAMS, MIN_TOKENS_PER_PARAM, describeValue, diagnostic } from './validate';

export type { ConfigEntry } from './entries';


export interface Found<T> {
  value: T;
  source: SourceRef;
  /** A value worked out rather than read: how, and every entry it came from. */
  derived?: { how: string; from: SourceRef[] };
}

/** The three factors of D when it is computed rather than read. */
export interface TokenProduct {
  steps: Found<number>;
  batchSize: Found<number>;
  seqLen: Found<number>;
}

export interface ConfigFacts {
  params?: Found<number>;
  tokens?: Found<number> & { product?: TokenProduct };
  precision?: Found<TrainingPrecision>;
  /** The precision the model will be served in (post_bits, inference_bits, …). */
  inference?: Found<PartPrecision>;
  /** Vocabulary size and tokenizer, where stated: losses compare only between like tokenizers. */
  vocabulary?: Found<number>;
  tokenizer?: Found<string>;
  ptq: PtqEval[];
  diagnostics: Diagnostic[];
}

/** Puts the N, D and precision a config gave on the run, each with where it was found. */
export function applyFacts(run: Pick<Run, 'params' | 'tokens' | 'precision' | 'sources'>, facts: ConfigFacts): void {
  if (facts.params) [run.params, run.sources.params] = [facts.params.value, facts.params.source];
  if (facts.tokens) [run.tokens, run.sources.tokens] = [facts.tokens.value, facts.tokens.source];
  if (facts.precision) [run.precision, run.sources.precision] = [facts.precision.value, facts.precision.source];
}


const SEPARATORS = /[./]/;
const leafOf = (key: string): string => key.split(SEPARATORS).pop() ?? key;
const depthOf = (key: string): number => key.split(SEPARATORS).length - 1;

/** Entries indexed by their normalised full key and by their normalised last segment. */
export class EntryIndex {
  private readonly byFull = new Map<string, ConfigEntry[]>();
  private readonly byLeaf = new Map<string, ConfigEntry[]>();

  constructor(readonly entries: readonly ConfigEntry[]) {
    for (const entry of entries) {
      push(this.byFull, normaliseKey(entry.key), entry);
      const leaf = leafOf(entry.key);
      if (depthOf(entry.key) > 0) push(this.byLeaf, normaliseKey(leaf), entry);
      // "params_M" is found as "params" (scaledCount applies the unit); never a one-letter base.
      const unit = nameUnit(leaf);
      if (unit && normaliseKey(unit.base).length > 1) push(this.byLeaf, normaliseKey(unit.base), entry);
    }
  }

  /**
   * Entries named by any of `names`, best first: by the name's place in the list, then a
   * whole-key match before a match on the last segment ("model.n_params"), shallower before
   * deeper, then file order. One-letter names ("N", "D") match whole keys only: as the last
   * segment of a nested key they are too often something else.
   */
  find(names: readonly string[]): ConfigEntry[] {
    const out: ConfigEntry[] = [];
    const seen = new Set<ConfigEntry>();
    for (const name of names) {
      const norm = normaliseKey(name);
      if (!norm) continue;
      const leaf = norm.length > 1 ? [...(this.byLeaf.get(norm) ?? [])].sort((a, b) => depthOf(a.key) - depthOf(b.key)) : [];
      for (const entry of [...(this.byFull.get(norm) ?? []), ...leaf]) {
        if (!seen.has(entry)) {
          seen.add(entry);
          out.push(entry);
        }
      }
    }
    return out;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const sourceOf = (entry: ConfigEntry): SourceRef => {
  const ref: SourceRef = { file: entry.file, field: entry.key };
  if (entry.line !== undefined) ref.line = entry.line;
  return ref;
};

/** A count written as a number or as text ("124M", "1.3e9", "1,000,000"); undefined when it is not one. */
export function countOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value === 'string') return parseQuantity(value);
  return undefined;
}

/** A number written as a number or as text, as Python writes it ("nan", "inf" included). */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const t = value.trim().toLowerCase();
  if (t === 'nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  const n = Number(t);
  return Number.isNaN(n) ? undefined : n;
}

/** describeValue, except that non-finite numbers, bare or as Python writes them ("nan", "NaN"), read as NaN and Infinity. */
export function describeNumber(value: unknown): string {
  const n = numberOf(value);
  return n !== undefined && !Number.isFinite(n) ? String(n) : describeValue(value);
}

// torch's hparams() writes Python booleans as 1/0, so `bf16: True` can arrive as the number 1.
const isTrue = (value: unknown): boolean => value === true || value === 1 || (typeof value === 'string' && /^\s*(true|1)\s*$/i.test(value));

// Lightning's Trainer(precision=...) spellings: "bf16-mixed" trains with bf16 matmuls over fp32
// master weights, which is bf16 in the law's sense (the precision the forward pass computes in).
const LIGHTNING_PRECISION = /^(bf16|16|32|64)(?:-(?:mixed|true))?$/;
const LIGHTNING_NAMES: Record<string, string> = { bf16: 'bf16', '16': 'fp16', '32': 'fp32', '64': 'fp64' };

/**
 * A training precision from a config value: the shared vocabulary (bf16, int8, w4a8, …) plus
 * the framework spellings: Lightning's "bf16-mixed", "16-mixed", "32-true", "transformer-engine"
 * and its numeric 16/32/64, HF's torch dtypes ("torch.bfloat16"), open_lm's "amp_bfloat16",
 * "amp_bf16", "amp" (fp16) and "pure_bf16".
 */
export function parseConfigPrecision(value: unknown): TrainingPrecision | undefined {
  if (typeof value === 'number') {
    const named = LIGHTNING_NAMES[String(value)];
    return parseTrainingPrecision(named ?? value);
  }
  if (typeof value !== 'string') return undefined;
  const t = value.trim().toLowerCase();
  const lightning = LIGHTNING_PRECISION.exec(t);
  if (lightning) return parseTrainingPrecision(LIGHTNING_NAMES[lightning[1]]);
  // open_lm's and open_clip's --precision: "amp" is torch autocast's default fp16 over fp32
  // weights, "amp_bf16"/"amp_bfloat16" autocast to bf16, "pure_bf16"/"pure_fp16" the model cast whole.
  if (t === 'amp') return parseTrainingPrecision('fp16');
  const openLm = /^(?:amp|pure)_(bf16|bfloat16|fp16|float16)$/.exec(t);
  if (openLm) return parseTrainingPrecision(openLm[1]);
  // Transformer Engine runs the linear layers' weights and inputs in FP8 (E4M3 forward) and keeps
  // everything else, attention's K/V included, in the weights dtype: bf16, or fp16 for the
  // "-float16" variant.
  if (t === 'transformer-engine' || t === 'transformer-engine-float16') {
    const rest = PRECISION_NAMES[t.endsWith('float16') ? 'fp16' : 'bf16'];
    return { w: PRECISION_NAMES.e4m3, a: PRECISION_NAMES.e4m3, kv: rest };
  }
  return parseTrainingPrecision(t);
}

/** Bits of one part: 8, "8", "int8", "fp8_e4m3". */
function partOf(value: unknown): PartPrecision | undefined {
  if (typeof value === 'number') return precisionFromBits(value);
  if (typeof value === 'string' && value.trim() !== '') return parsePrecision(value);
  return undefined;
}

// Flags that set the precision without a precision key: HF TrainingArguments' bf16/fp16
// booleans and Accelerate's mixed_precision ("no" is fp32 there).
const FLAG_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['bf16', 'bf16'],
  ['fp16', 'fp16'],
];
const MIXED_PRECISION_KEYS = ['mixed_precision'];
/** Keys that name a dtype rather than a training precision: used only when nothing else says. */
const DTYPE_KEYS = ['dtype', 'torch_dtype'];
const VOCABULARY_KEYS = ['vocab_size', 'n_vocab', 'vocabSize', 'padded_vocab_size', 'vocabulary_size'];
const TOKENIZER_KEYS = ['tokenizer', 'tokenizer_type', 'tokenizer_name', 'tokenizer_name_or_path', 'tokenizer_path'];
const PTQ_METHOD_KEYS = ['ptq_method', 'quant_method', 'quantization_method'];
const PTQ_GROUP_KEYS = ['ptq_group_size', 'quant_group_size', 'group_size'];

export interface FactsOptions {
  /** File named by the diagnostics about absent fields (the run's main config, or its entry file). */
  file: string;
  /** What was searched, for those diagnostics ("hparams.yaml and metrics.csv"). */
  where: string;
  /**
   * The precision of parts a config leaves out when it gives the bits of others (a config the
   * user is editing trains the rest in the framework's 16-bit default); without it such a
   * precision is incomplete, as a run's must not be guessed.
   */
  unstatedParts?: PartPrecision;
  /** False where the caller checks plausibility itself (a table row, checked like its column). */
  checkPlausible?: boolean;
}

const FIELD_WORDS: Partial<Record<AliasField, string>> = {
  params: 'params (N, the non-embedding parameter count)',
  tokens: 'tokens (D, the number of training tokens)',
};

function aliasList(aliases: AliasTable, field: AliasField, count = 4): string {
  const names = aliases[field];
  return names.slice(0, count).join(', ') + (names.length > count ? ', …' : '');
}

/** Architecture fields by the names Hugging Face configs and nanoGPT use, read by their last key segment. */
const ARCHITECTURE_KEYS = [
  'model_type', 'n_layer', 'n_embd', 'n_head', 'n_inner', 'n_positions', 'vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads',
  'num_key_value_heads', 'intermediate_size', 'head_dim', 'tie_word_embeddings', 'attention_bias', 'mlp_bias', 'max_position_embeddings',
  'd_model', 'n_layers', 'n_heads',
];
/** nanoGPT's default vocabulary (GPT-2's 50257 padded to a multiple of 64); only the embeddings depend on it, never N. */
const NANOGPT_VOCAB = 50304;

// Batch sizes come in two kinds. Per-device (micro-)batches are multiplied by the devices and the
// gradient accumulation steps to give the sequences per optimizer step; global batches already are.
const GLOBAL_BATCH_KEYS = ['global_batch_size', 'total_batch_size', 'effective_batch_size', 'total_train_batch_size'];
const PER_DEVICE_BATCH_KEYS = ['per_device_train_batch_size', 'micro_batch_size', 'train_micro_batch_size_per_gpu', 'per_gpu_train_batch_size', 'device_batch_size'];
/** Tokens per optimizer step, when a config states it (nanoGPT prints "tokens per iteration"). */
const TOKENS_PER_STEP_KEYS = ['tokens_per_iteration', 'tokens_per_iter', 'tokens_per_step', 'tokens_per_batch', 'global_batch_tokens', 'batch_size_tokens'];
const ACCUMULATION_KEYS = ['gradient_accumulation_steps', 'grad_accum_steps', 'accumulate_grad_batches', 'grad_accum', 'gradient_accumulation'];
/** Processes over all nodes (each with its own micro-batch), or devices per node and nodes. */
const WORLD_SIZE_KEYS = ['world_size', 'num_processes', 'n_procs', 'total_gpus'];
const DEVICES_KEYS = ['devices', 'num_devices', 'gpus', 'num_gpus', 'n_gpus', 'nproc_per_node', 'gpus_per_node'];
const NODES_KEYS = ['num_nodes', 'nnodes', 'nodes'];

// The plausible N and D are defined once, in validate.ts, for the readers and the fit alike.
export { MIN_PLAUSIBLE_PARAMS, MIN_TOKENS_PER_PARAM } from './validate';

/**
 * N, D, training precision and PTQ results among config entries, each with its source. Values
 * that are present but unusable are reported as warnings and skipped; absent fields get one
 * diagnostic each saying what would provide them.
 *
 * N: an explicit count (a unit in the key's name scales a bare number: params_M), else the
 * architecture (n_layer/n_embd, hidden_size/num_hidden_layers, …). D: an explicit count, else
 * steps × sequences per step × the trained sequence length, where sequences per step are a
 * global batch, or a per-device batch × devices × gradient accumulation. Precision: a
 * precision key, else HF's bf16/fp16 flags, else Accelerate's mixed_precision; torch_dtype is
 * the dtype a model is saved in and says nothing about training.
 */
export function findConfigFacts(entries: readonly ConfigEntry[], aliases: AliasTable, options: FactsOptions): ConfigFacts {
  const index = new EntryIndex(entries);
  const diagnostics: Diagnostic[] = [];
  const facts: ConfigFacts = { ptq: [], diagnostics };
  const warn = (entry: ConfigEntry, message: string, severity: Severity = 'warning', code: DiagnosticCode = 'bad-value'): void => {
    diagnostics.push(diagnostic(entry.file, entry.line, entry.key, message, severity, code));
  };

  // N and D: the first candidate with a usable count.
  const firstCount = (field: 'params' | 'tokens'): Found<number> | undefined => {
    for (const entry of index.find(aliases[field])) {
      const value = scaledCount(entry);
      if (value !== undefined) return { value, source: sourceOf(entry) };
      if (entry.value === null || typeof entry.value === 'boolean') continue;
      warn(entry, `${entry.key} is ${describeValue(entry.value)}, not a usable ${field === 'params' ? 'parameter count' : 'token count'}; ignored`);
    }
    return undefined;
  };
  let params = firstCount('params');
  const plausible = options.checkPlausible !== false;
  if (plausible && params && params.value < MIN_PLAUSIBLE_PARAMS) {
    const entry = index.find([params.source.field as string])[0];
    if (entry) warn(entry, `${entry.key} is ${params.value}, too few for a parameter count (a size in millions or billions?); give the unit in the value (124M) or the key (params_M); not used`, 'warning', 'implausible');
    params = undefined;
  }
  params ??= architectureParams(index, diagnostics);
  if (params) facts.params = params;

  const tokens = firstCount('tokens') ?? tokenProduct(index, aliases, diagnostics);
  if (plausible && tokens && params && tokens.value < params.value * MIN_TOKENS_PER_PARAM) {
    diagnostics.push(
      diagnostic(tokens.source.file, tokens.source.line, tokens.source.field, `D = ${formatPlain(tokens.value)} tokens is below N/1000 for N = ${formatPlain(params.value)}: not a finished training run, or a misread count; not used`, 'warning', 'implausible'),
    );
  } else if (tokens) facts.tokens = tokens;

  const precision = findPrecision(index, aliases, warn, diagnostics, options.unstatedParts);
  if (precision.found) facts.precision = precision.found;
  facts.ptq = findPtq(index, aliases, warn);
  const inference = findPart(index, aliases.postBits);
  if (inference) facts.inference = inference;
  const vocabulary = index.find(VOCABULARY_KEYS).find((e) => typeof e.value === 'number' && Number.isSafeInteger(e.value) && e.value > 0);
  if (vocabulary) facts.vocabulary = { value: vocabulary.value as number, source: sourceOf(vocabulary) };
  const tokenizer = index.find(TOKENIZER_KEYS).find((e) => typeof e.value === 'string' && e.value.trim() !== '');
  if (tokenizer) facts.tokenizer = { value: (tokenizer.value as string).trim(), source: sourceOf(tokenizer) };

  if (!facts.params) {
    diagnostics.push(
      diagnostic(options.file, undefined, 'params', `${FIELD_WORDS.params} not found in ${options.where}, nor architecture fields to count it from; log it as ${aliasList(aliases, 'params')} or add your key to the params aliases`, 'warning', 'missing-field'),
    );
  }
  if (!facts.tokens && !tokens) {
    const have = [
      ['steps', index.find(aliases.steps).some((e) => countOf(e.value) !== undefined)],
      ['batch size', index.find([...aliases.batchSize, ...GLOBAL_BATCH_KEYS, ...PER_DEVICE_BATCH_KEYS, ...TOKENS_PER_STEP_KEYS]).some((e) => countOf(e.value) !== undefined)],
      ['sequence length', index.find(aliases.seqLen).some((e) => countOf(e.value) !== undefined)],
    ]
      .filter(([, found]) => found)
      .map(([name]) => name);
    const partial = have.length > 0 ? ` (found ${have.join(' and ')}, but not all three)` : '';
    diagnostics.push(
      diagnostic(
        options.file,
        undefined,
        'tokens',
        `${FIELD_WORDS.tokens} not found in ${options.where}, nor steps, batch size and sequence length to compute it from${partial}; log it as ${aliasList(aliases, 'tokens')} or add your key to the tokens aliases`,
        'warning',
        'missing-field',
      ),
    );
  }
  // Bits without the rest already had their own message.
  if (!facts.precision && !precision.partial) {
    diagnostics.push(
      diagnostic(
        options.file,
        undefined,
        'precision',
        `training precision not found in ${options.where}; log it as ${aliasList(aliases, 'precision')} (bf16, 16-mixed, int8, w4a8kv4, …) or as weight, activation and kv bits`,
        'warning',
        'missing-field',
      ),
    );
  }
  return facts;
}

const formatPlain = (x: number): string => (Math.abs(x) >= 1e6 ? x.toExponential(2) : String(x));

/** A count, scaled by a unit in its key's name when the value is a bare number ("params_M: 124"). */
function scaledCount(entry: ConfigEntry): number | undefined {
  const value = countOf(entry.value);
  if (value === undefined) return undefined;
  const bare = typeof entry.value === 'number' || (typeof entry.value === 'string' && /^\s*[\d.,_]+(?:e[+-]?\d+)?\s*$/i.test(entry.value));
  const scale = bare ? nameUnit(leafOf(entry.key))?.scale : undefined;
  return scale !== undefined ? value * scale : value;
}

/** N from architecture fields, when the entries name a model family (or nanoGPT's GPT-2 block). */
function architectureParams(index: EntryIndex, diagnostics: Diagnostic[]): Found<number> | undefined {
  const fields: Record<string, unknown> = {};
  const used: ConfigEntry[] = [];
  for (const key of ARCHITECTURE_KEYS) {
    const entry = index.find([key])[0];
    if (!entry || entry.value === null) continue;
    setKey(fields, key, entry.value);
    used.push(entry);
  }
  // nanoGPT: n_layer, n_head, n_embd (d_model/n_layers/n_heads in other repos) with a GPT-2 block.
  if (fields.model_type === undefined && (fields.n_embd ?? fields.d_model) !== undefined && (fields.n_layer ?? fields.n_layers) !== undefined) {
    fields.model_type = 'gpt2';
    fields.n_embd ??= fields.d_model;
    fields.n_layer ??= fields.n_layers;
    fields.n_head ??= fields.n_heads;
    fields.vocab_size ??= NANOGPT_VOCAB;
  }
  if (typeof fields.model_type !== 'string' || used.length < 2) return undefined;
  const r = countParameters(fields);
  const first = used.find((e) => e.key.endsWith('model_type')) ?? used[0];
  if (!r.ok) {
    // A model type without the dimensions (a tokenizer config, a PEFT config) is not worth a word.
    if (used.length > 2) diagnostics.push(diagnostic(first.file, first.line, r.field, `N not counted from the architecture: ${r.message}`, 'info', 'unsupported'));
    return undefined;
  }
  const fieldsUsed = used.map((e) => leafOf(e.key)).join(', ');
  diagnostics.push(diagnostic(first.file, first.line, 'params', `N counted from the architecture (${r.count.family}: ${r.count.formula}) = ${r.count.params}`, 'info', 'derived'));
  return { value: r.count.params, source: { ...sourceOf(first), field: `architecture (${fieldsUsed})` }, derived: { how: `from the architecture (${r.count.family}: ${r.count.formula})`, from: used.map(sourceOf) } };
}

const firstFound = (index: EntryIndex, keys: readonly string[], accept: (e: ConfigEntry) => number | undefined): Found<number> | undefined => {
  for (const entry of index.find(keys)) {
    const value = accept(entry);
    if (value !== undefined) return { value, source: sourceOf(entry) };
  }
  return undefined;
};

/**
 * How many ids "0,1,2" lists (two or more, a trailing comma allowed), or undefined. Split on the
 * commas rather than matched as a whole: one pattern with "\s*,\s*" between repeated groups is
 * quadratic on long runs of spaces.
 */
function deviceIds(text: string): number | undefined {
  const parts = text.split(',');
  if (parts.length > 2 && parts[parts.length - 1].trim() === '') parts.pop();
  return parts.length >= 2 && parts.every((p) => /^\s*\d+\s*$/.test(p)) ? parts.length : undefined;
}

/** Devices given as a count, a list of device ids, or "0,1,2"; "auto" and -1 say nothing. */
function deviceCount(entry: ConfigEntry): number | undefined {
  if (Array.isArray(entry.value)) return entry.value.length > 0 ? entry.value.length : undefined;
  if (typeof entry.value === 'string') {
    const ids = deviceIds(entry.value);
    if (ids !== undefined) return ids;
  }
  const n = countOf(entry.value);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

/** Processes taking part in one optimizer step, with where that was read; undefined when no file says. */
function worldSize(index: EntryIndex): Found<number> | undefined {
  const world = firstFound(index, WORLD_SIZE_KEYS, deviceCount);
  if (world) return world;
  const devices = firstFound(index, DEVICES_KEYS, deviceCount);
  const nodes = firstFound(index, NODES_KEYS, deviceCount);
  if (devices && nodes && nodes.value > 1) return { value: devices.value * nodes.value, source: { ...devices.source, field: `${devices.source.field} × ${nodes.source.field}` } };
  return devices;
}

/** D = steps × sequences per step × trained sequence length, said in a 'derived' diagnostic. */
function tokenProduct(index: EntryIndex, aliases: AliasTable, diagnostics: Diagnostic[]): (Found<number> & { product?: TokenProduct }) | undefined {
  const count = (e: ConfigEntry): number | undefined => countOf(e.value);
  const steps = firstFound(index, aliases.steps, count);
  if (!steps) return undefined;
  const perStep = firstFound(index, TOKENS_PER_STEP_KEYS, count);
  const seqLen = firstFound(index, aliases.seqLen, count);
  let factors: Array<Found<number>>;
  let batch: Found<number>;
  const notes: string[] = [];
  if (perStep) {
    factors = [steps, perStep];
    batch = perStep;
  } else {
    if (!seqLen) return undefined;
    const global = firstFound(index, GLOBAL_BATCH_KEYS, count);
    const perDevice = global ? undefined : firstFound(index, [...PER_DEVICE_BATCH_KEYS, ...aliases.batchSize.filter((k) => !GLOBAL_BATCH_KEYS.includes(k))], count);
    if (!global && !perDevice) return undefined;
    factors = [steps, (global ?? perDevice) as Found<number>];
    batch = factors[1];
    if (perDevice) {
      const accumulation = firstFound(index, ACCUMULATION_KEYS, count);
      const world = worldSize(index);
      if (accumulation && accumulation.value !== 1) factors.push(accumulation);
      if (world && world.value !== 1) factors.push(world);
      if (!world) notes.push('no file gives the number of devices, so one device is assumed (D scales with it)');
    }
    factors.push(seqLen);
  }
  const value = factors.reduce((a, f) => a * f.value, 1);
  if (!Number.isFinite(value) || value <= 0) return undefined;
  const fields = factors.map((f) => f.source.field).join(' × ');
  diagnostics.push(
    diagnostic(
      steps.source.file,
      steps.source.line,
      'tokens',
      `tokens (D) not given; computed as ${fields} = ${factors.map((f) => f.value).join(' × ')} = ${value} (from ${factors.map((f) => describeSource(f.source)).join(', ')})${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`,
      'info',
      'derived',
    ),
  );
  const result: Found<number> & { product?: TokenProduct } = { value, source: { ...steps.source, field: fields }, derived: { how: fields, from: factors.map((f) => f.source) } };
  if (seqLen) result.product = { steps, batchSize: batch, seqLen };
  return result;
}

/** "hparams.yaml line 4"; a file that holds just the one value (an MLflow param) by its folder and name: "params/max_steps". */
export function describeSource(source: SourceRef): string {
  const base = path.basename(source.file);
  if (source.field !== undefined && base === leafOf(source.field)) return `${path.basename(path.dirname(source.file))}/${base}`;
  return `${base}${source.line !== undefined ? ` line ${source.line}` : ''}`;
}

type Warn = (entry: ConfigEntry, message: string, severity?: Severity) => void;

function findPrecision(index: EntryIndex, aliases: AliasTable, warn: Warn, diagnostics: Diagnostic[], unstated?: PartPrecision): { found?: Found<TrainingPrecision>; partial?: boolean } {
  let base: Found<TrainingPrecision> | undefined;
  const named = (keys: readonly string[]): Found<TrainingPrecision> | undefined => {
    for (const entry of index.find(keys)) {
      // false/null ("quant: false", "dtype: null") say nothing about the precision.
      if (entry.value === null || typeof entry.value === 'boolean' || Array.isArray(entry.value)) continue;
      const value = parseConfigPrecision(entry.value);
      if (value) return { value, source: sourceOf(entry) };
      warn(entry, `${entry.key} is ${describeValue(entry.value)}, not a precision this reader knows (bf16, fp16, fp32, int8, w4a8, 16-mixed, bf16-mixed, …); ignored`);
    }
    return undefined;
  };
  // A precision key first; a bare dtype last, because in HF model configs it is the saved dtype
  // (transformers renamed torch_dtype to dtype) while nanoGPT's dtype is what it trains in.
  base = named(aliases.precision.filter((k) => !DTYPE_KEYS.includes(k)));
  if (!base) {
    for (const [key, name] of FLAG_KEYS) {
      const entry = index.find([key]).find((e) => isTrue(e.value));
      if (entry) {
        base = { value: parseTrainingPrecision(name) as TrainingPrecision, source: sourceOf(entry) };
        break;
      }
    }
  }
  if (!base) {
    for (const entry of index.find(MIXED_PRECISION_KEYS)) {
      if (typeof entry.value !== 'string') continue;
      const value = entry.value.trim().toLowerCase() === 'no' ? parseTrainingPrecision('fp32') : parseConfigPrecision(entry.value);
      if (value) {
        base = { value, source: sourceOf(entry) };
        break;
      }
    }
  }
  if (!base) {
    // TrainingArguments always carry both flags: both false is full-precision training.
    const flags = FLAG_KEYS.map(([key]) => index.find([key]).find((e) => typeof e.value === 'boolean' || e.value === 0 || e.value === 1));
    if (flags.every((e) => e !== undefined && !isTrue(e.value))) {
      const [bf16] = flags as ConfigEntry[];
      base = { value: parseTrainingPrecision('fp32') as TrainingPrecision, source: { ...sourceOf(bf16), field: FLAG_KEYS.map(([key]) => `${key}: false`).join(', ') } };
    }
  }
  base ??= named(aliases.precision.filter((k) => DTYPE_KEYS.includes(k)));

  // Explicit bits override the matching part of a named precision.
  const part = (field: 'weightBits' | 'actBits' | 'kvBits'): Found<PartPrecision> | undefined => {
    for (const entry of index.find(aliases[field])) {
      if (entry.value === null || typeof entry.value === 'boolean') continue;
      const value = partOf(entry.value);
      if (value) return { value, source: sourceOf(entry) };
      warn(entry, `${entry.key} is ${describeValue(entry.value)}, not a number of bits (1 to 64) or a format name; ignored`);
    }
    return undefined;
  };
  const w = part('weightBits');
  const a = part('actBits');
  const kv = part('kvBits');
  if (!w && !a && !kv) return { found: base };
  const parts = [w, a, kv].filter((p): p is Found<PartPrecision> => p !== undefined);
  const fields = parts.map((p) => p.source.field).join(', ');
  if (base) {
    const value = { w: w?.value ?? base.value.w, a: a?.value ?? base.value.a, kv: kv?.value ?? base.value.kv };
    return { found: { value, source: { ...parts[0].source, field: `${base.source.field}, ${fields}` } } };
  }
  // Without a named precision the KV cache follows the activations, as in parseTrainingPrecision.
  if (w && a) return { found: { value: { w: w.value, a: a.value, kv: (kv ?? a).value }, source: { ...w.source, field: fields } } };
  if (unstated) return { found: { value: { w: w?.value ?? unstated, a: a?.value ?? unstated, kv: kv?.value ?? a?.value ?? unstated }, source: { ...parts[0].source, field: fields } } };
  const first = parts[0];
  const lacking = [!w && 'weight', !a && 'activation'].filter(Boolean).join(' and ');
  diagnostics.push(
    diagnostic(
      first.source.file,
      first.source.line,
      first.source.field,
      `${fields} found (${parts.map((p) => describeSource(p.source)).join(', ')}) but no ${lacking} bits and no precision key; the training precision is incomplete`,
      'warning',
      'missing-field',
    ),
  );
  return { partial: true };
}

/** The first entry naming one part's precision (bits or a format name). */
function findPart(index: EntryIndex, keys: readonly string[]): Found<PartPrecision> | undefined {
  for (const entry of index.find(keys)) {
    if (entry.value === null || typeof entry.value === 'boolean') continue;
    const value = partOf(entry.value);
    if (value) return { value, source: sourceOf(entry) };
  }
  return undefined;
}

function findPtq(index: EntryIndex, aliases: AliasTable, warn: Warn): PtqEval[] {
  const bitsEntry = index.find(aliases.postBits).find((e) => e.value !== null && typeof e.value !== 'boolean');
  const lossEntry = index.find(aliases.postLoss).find((e) => e.value !== null && typeof e.value !== 'boolean');
  if (!bitsEntry && !lossEntry) return [];
  if (!bitsEntry || !lossEntry) {
    const [have, lack] = bitsEntry ? [bitsEntry, `a loss after quantization (${aliases.postLoss.slice(0, 3).join(', ')}, …)`] : [lossEntry as ConfigEntry, `the bits it was quantized to (${aliases.postBits.slice(0, 3).join(', ')}, …)`];
    warn(have, `${have.key} found but not ${lack}; no post-training quantization result recorded`);
    return [];
  }
  const bitsList = Array.isArray(bitsEntry.value) ? bitsEntry.value : [bitsEntry.value];
  const lossList = Array.isArray(lossEntry.value) ? lossEntry.value : [lossEntry.value];
  if (bitsList.length !== lossList.length) {
    warn(lossEntry, `${bitsEntry.key} has ${bitsList.length} value(s) and ${lossEntry.key} ${lossList.length}; they cannot be paired, no post-training quantization result recorded`);
    return [];
  }
  const methodEntry = index.find(PTQ_METHOD_KEYS).find((e) => typeof e.value === 'string' && e.value.trim() !== '');
  const groupEntry = index.find(PTQ_GROUP_KEYS).find((e) => typeof countOf(e.value) === 'number' && Number.isInteger(countOf(e.value)));
  const out: PtqEval[] = [];
  bitsList.forEach((rawBits, i) => {
    const at = bitsList.length > 1 ? `[${i}]` : '';
    const part = partOf(rawBits);
    if (!part) {
      warn(bitsEntry, `${bitsEntry.key}${at} is ${describeValue(rawBits)}, not a number of bits (1 to 64) or a format name; that result is left out`);
      return;
    }
    const loss = numberOf(lossList[i]);
    if (loss === undefined || !Number.isFinite(loss) || loss <= 0) {
      warn(lossEntry, `${lossEntry.key}${at} is ${describeNumber(lossList[i])}, not a positive finite loss; that result is left out`);
      return;
    }
    const evaluation: PtqEval = {
      bits: part.bits,
      type: part.type,
      format: part.name ?? part.type,
      method: methodEntry ? String(methodEntry.value).trim() : 'rtn',
      loss,
      source: { ...sourceOf(lossEntry), field: `${lossEntry.key}${at}` },
    };
    if (groupEntry) evaluation.groupSize = countOf(groupEntry.value) as number;
    out.push(evaluation);
  });
  return out;
}

/** The run's name from a top-level name key, when a config has one. */
export function findName(entries: readonly ConfigEntry[], aliases: AliasTable): string | undefined {
  for (const alias of aliases.name) {
    const norm = normaliseKey(alias);
    const entry = entries.find((e) => depthOf(e.key) === 0 && normaliseKey(e.key) === norm && typeof e.value === 'string' && e.value.trim() !== '');
    if (entry) return String(entry.value).trim();
  }
  return undefined;
}
