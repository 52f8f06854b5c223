// The one config-facts engine: N, D, training precision and post-training quantization results
// found by alias among located config entries, whichever file they came from (a W&B config.yaml,
// MLflow params, Lightning hparams.yaml, an HF config embedded in a TensorBoard summary, or the
// config file the user is editing). Every value keeps the file and line it came from.

import * as path from 'node:path';
import { type AliasField, type AliasTable, normaliseKey } from './aliases';
import type { Diagnostic, Severity } from './diagnostics';
import type { ConfigEntry } from './entries';
import { PRECISION_NAMES, parsePrecision, parseTrainingPrecision, precisionFromBits } from './precision';
import { parseQuantity } from './quantity';
import type { PartPrecision, PtqEval, Run, SourceRef, TrainingPrecision } from './run';
import { describeValue, diagnostic } from './validate';

export type { ConfigEntry } from './entries';


export interface Found<T> {
  value: T;
  source: SourceRef;
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
      if (depthOf(entry.key) > 0) push(this.byLeaf, normaliseKey(leafOf(entry.key)), entry);
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
 * and its numeric 16/32/64, HF's torch dtypes ("torch.bfloat16").
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
const PTQ_METHOD_KEYS = ['ptq_method', 'quant_method', 'quantization_method'];
const PTQ_GROUP_KEYS = ['ptq_group_size', 'quant_group_size', 'group_size'];

export interface FactsOptions {
  /** File named by the diagnostics about absent fields (the run's main config, or its entry file). */
  file: string;
  /** What was searched, for those diagnostics ("hparams.yaml and metrics.csv"). */
  where: string;
}

const FIELD_WORDS: Partial<Record<AliasField, string>> = {
  params: 'params (N, the non-embedding parameter count)',
  tokens: 'tokens (D, the number of training tokens)',
};

function aliasList(aliases: AliasTable, field: AliasField, count = 4): string {
  const names = aliases[field];
  return names.slice(0, count).join(', ') + (names.length > count ? ', …' : '');
}

/**
 * N, D, training precision and PTQ results among config entries, each with its source. Values
 * that are present but unusable are reported as warnings and skipped; absent fields get one
 * diagnostic each saying what would provide them.
 */
export function findConfigFacts(entries: readonly ConfigEntry[], aliases: AliasTable, options: FactsOptions): ConfigFacts {
  const index = new EntryIndex(entries);
  const diagnostics: Diagnostic[] = [];
  const facts: ConfigFacts = { ptq: [], diagnostics };
  const warn = (entry: ConfigEntry, message: string, severity: Severity = 'warning'): void => {
    diagnostics.push(diagnostic(entry.file, entry.line, entry.key, message, severity));
  };

  // N and D: the first candidate with a usable count.
  const firstCount = (field: 'params' | 'tokens'): Found<number> | undefined => {
    for (const entry of index.find(aliases[field])) {
      const value = countOf(entry.value);
      if (value !== undefined) return { value, source: sourceOf(entry) };
      if (entry.value === null || typeof entry.value === 'boolean') continue;
      warn(entry, `${entry.key} is ${describeValue(entry.value)}, not a usable ${field === 'params' ? 'parameter count' : 'token count'}; ignored`);
    }
    return undefined;
  };
  facts.params = firstCount('params');
  const tokens = firstCount('tokens');

  // The factors of D: unset values (-1, null, 0) are common defaults and not worth a word.
  const factor = (field: 'steps' | 'batchSize' | 'seqLen'): Found<number> | undefined => {
    for (const entry of index.find(aliases[field])) {
      const value = countOf(entry.value);
      if (value !== undefined) return { value, source: sourceOf(entry) };
    }
    return undefined;
  };
  const steps = factor('steps');
  const batchSize = factor('batchSize');
  const seqLen = factor('seqLen');
  if (tokens) facts.tokens = tokens;
  else if (steps && batchSize && seqLen) {
    const value = steps.value * batchSize.value * seqLen.value;
    if (Number.isFinite(value) && value > 0) {
      facts.tokens = { value, source: { ...steps.source, field: `${steps.source.field} × ${batchSize.source.field} × ${seqLen.source.field}` }, product: { steps, batchSize, seqLen } };
      const factors = [steps, batchSize, seqLen];
      diagnostics.push(
        diagnostic(
          steps.source.file,
          steps.source.line,
          'tokens',
          `tokens (D) not given; computed as ${factors.map((f) => f.source.field).join(' × ')} = ${factors.map((f) => f.value).join(' × ')} = ${value} (from ${factors.map((f) => describeSource(f.source)).join(', ')}), taking the batch size as sequences per optimizer step over all devices`,
          'info',
        ),
      );
    }
  }

  const precision = findPrecision(index, aliases, warn, diagnostics);
  if (precision.found) facts.precision = precision.found;
  facts.ptq = findPtq(index, aliases, warn);

  if (!facts.params) {
    diagnostics.push(diagnostic(options.file, undefined, 'params', `${FIELD_WORDS.params} not found in ${options.where}; log it as ${aliasList(aliases, 'params')} or add your key to the params aliases`, 'warning'));
  }
  if (!facts.tokens) {
    const have = [
      ['steps', steps],
      ['batch size', batchSize],
      ['sequence length', seqLen],
    ]
      .filter(([, f]) => f)
      .map(([name]) => name);
    const partial = have.length > 0 ? ` (found ${have.join(' and ')}, but not all three)` : '';
    diagnostics.push(
      diagnostic(
        options.file,
        undefined,
        'tokens',
        `${FIELD_WORDS.tokens} not found in ${options.where}, nor steps, batch size and sequence length to compute it from${partial}; log it as ${aliasList(aliases, 'tokens')} or add your key to the tokens aliases`,
        'warning',
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
      ),
    );
  }
  return facts;
}

/** "hparams.yaml line 4"; a file that holds just the one value (an MLflow param) by its folder and name: "params/max_steps". */
export function describeSource(source: SourceRef): string {
  const base = path.basename(source.file);
  if (source.field !== undefined && base === leafOf(source.field)) return `${path.basename(path.dirname(source.file))}/${base}`;
  return `${base}${source.line !== undefined ? ` line ${source.line}` : ''}`;
}

type Warn = (entry: ConfigEntry, message: string, severity?: Severity) => void;

function findPrecision(index: EntryIndex, aliases: AliasTable, warn: Warn, diagnostics: Diagnostic[]): { found?: Found<TrainingPrecision>; partial?: boolean } {
  let base: Found<TrainingPrecision> | undefined;
  for (const entry of index.find(aliases.precision)) {
    // false/null ("quant: false", "dtype: null") say nothing about the precision.
    if (entry.value === null || typeof entry.value === 'boolean' || Array.isArray(entry.value)) continue;
    const value = parseConfigPrecision(entry.value);
    if (value) {
      base = { value, source: sourceOf(entry) };
      break;
    }
    warn(entry, `${entry.key} is ${describeValue(entry.value)}, not a precision this reader knows (bf16, fp16, fp32, int8, w4a8, 16-mixed, bf16-mixed, …); ignored`);
  }
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
  const first = parts[0];
  const lacking = [!w && 'weight', !a && 'activation'].filter(Boolean).join(' and ');
  diagnostics.push(
    diagnostic(
      first.source.file,
      first.source.line,
      first.source.field,
      `${fields} found (${parts.map((p) => describeSource(p.source)).join(', ')}) but no ${lacking} bits and no precision key; the training precision is incomplete`,
      'warning',
    ),
  );
  return { partial: true };
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
