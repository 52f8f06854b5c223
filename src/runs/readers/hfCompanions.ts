// The files a Trainer run leaves beside trainer_state.json, as one shape: config.json,
// training_args.json (TrainingArguments.to_json_string(), saved by some scripts), LLaMA-Factory's
// training_args.yaml, the results files, and the TensorBoard callback's args / model_config text
// summaries. Each is a set of top-level and second-level values by dotted key, with the line it
// was written on where the file has lines (a text summary inside an event file has none).

import * as path from 'node:path';
import type { JSONPath } from 'jsonc-parser';
import { normaliseKey } from '../aliases';
import type { Diagnostic } from '../diagnostics';
import type { ConfigEntry } from '../entries';
import { loadSmallText } from '../load';
import { parsePrecision } from '../precision';
import type { PartPrecision, SourceRef } from '../run';
import { diagnostic } from '../validate';
import { yamlEntries } from '../yamlDoc';
import type { ArgAt, ArgLookup } from './hfTraining';
import { scanJson } from './hfState';

/** config.json, training_args.json and the results files are a few kilobytes. */
const MAX_COMPANION_BYTES = 4 * 1024 * 1024;
/** Items kept of a top-level array; the arguments' lists are short. */
const MAX_ARRAY_ITEMS = 1000;

export interface Value {
  value: unknown;
  /** 1-based; absent for a text summary. */
  line?: number;
}

export interface Companion {
  file: string;
  /** Put before a key to name it in sources: "" for a file of its own, "args/text_summary." for a text summary. */
  prefix: string;
  /** Top-level and second-level values by dotted key; the first of duplicate keys wins. */
  values: Map<string, Value>;
  /** Objects and arrays, by dotted key, at the line they open. */
  containers: Map<string, { kind: 'object' | 'array'; line?: number }>;
}

/** A JSON text as a Companion, with its syntax errors and what its top level is. */
function flatten(text: string, file: string): { companion: Companion; errors: Array<{ line: number; message: string }>; root?: string } {
  const companion: Companion = { file, prefix: '', values: new Map(), containers: new Map() };
  const keyOf = (at: JSONPath): string | undefined => (at.length >= 1 && at.length <= 2 && at.every((k) => typeof k === 'string') ? at.join('.') : undefined);
  // A top-level array of scalars ("fsdp": ["full_shard"], "report_to": [...]) is a value too, collected as it streams.
  let items: { key: string; list: unknown[] } | undefined;
  const scan = scanJson(text, {
    value: (at, value, line) => {
      if (items && at.length === 2 && at[0] === items.key && typeof at[1] === 'number') {
        if (items.list.length < MAX_ARRAY_ITEMS) items.list.push(value);
        return;
      }
      const key = keyOf(at);
      if (key !== undefined && !companion.values.has(key) && !companion.containers.has(key)) companion.values.set(key, { value, line });
    },
    open: (at, kind, line) => {
      const key = keyOf(at);
      if (key === undefined || companion.values.has(key) || companion.containers.has(key)) return;
      companion.containers.set(key, { kind, line });
      if (kind === 'array' && at.length === 1) {
        items = { key, list: [] };
        companion.values.set(key, { value: items.list, line });
      }
    },
    close: (at) => {
      if (items && at.length === 1 && at[0] === items.key) items = undefined;
    },
  });
  return { companion, errors: scan.errors, root: scan.root };
}

/** A companion JSON object, or undefined when absent; problems go to `diagnostics`. */
export async function loadJsonCompanion(file: string, diagnostics: Diagnostic[]): Promise<Companion | undefined> {
  const loaded = await loadSmallText(file, diagnostics, { maxBytes: MAX_COMPANION_BYTES });
  if (loaded.text === undefined) return undefined;
  const { companion, errors, root } = flatten(loaded.text, file);
  const name = path.basename(file);
  const [first] = errors;
  if (first) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    diagnostics.push(diagnostic(file, first.line, undefined, `${name}: syntax error: ${first.message}${more}; the values before it are read`, 'warning', 'syntax'));
  }
  if (root !== 'object') {
    if (!first) diagnostics.push(diagnostic(file, 1, undefined, `${name} must hold one JSON object; not read`, 'warning', 'syntax'));
    return undefined;
  }
  return companion;
}

/** Located entries as a Companion: values by key up to the second level, containers from the dotted keys. */
export function companionOf(entries: readonly ConfigEntry[], file: string, prefix = '', strip = ''): Companion {
  const companion: Companion = { file, prefix, values: new Map(), containers: new Map() };
  for (const entry of entries) {
    const key = strip && entry.key.startsWith(strip) ? entry.key.slice(strip.length) : entry.key;
    const parts = key.split('.');
    if (parts.length > 2) continue;
    if (parts.length === 2 && !companion.containers.has(parts[0])) companion.containers.set(parts[0], { kind: 'object', line: entry.line });
    if (!companion.values.has(key)) companion.values.set(key, { value: entry.value, line: entry.line });
  }
  return companion;
}

/** LLaMA-Factory's training_args.yaml (its arguments, yaml.safe_dump'ed with sorted keys), or undefined when absent. */
export async function loadYamlCompanion(file: string, diagnostics: Diagnostic[]): Promise<Companion | undefined> {
  const loaded = await loadSmallText(file, diagnostics, { maxBytes: MAX_COMPANION_BYTES });
  if (loaded.text === undefined) return undefined;
  const yaml = yamlEntries(loaded.text, file, diagnostics);
  if (!yaml.isMapping) {
    if (!yaml.recovered) diagnostics.push(diagnostic(file, 1, undefined, `${path.basename(file)} must hold one YAML mapping; not read`, 'warning', 'syntax'));
    return undefined;
  }
  return companionOf(yaml.entries, file);
}

export const fieldOf = (companion: Companion, key: string): string => `${companion.prefix}${key}`;

export function sourceOf(companion: Companion, key: string, at: Value | undefined = companion.values.get(key)): SourceRef {
  const ref: SourceRef = { file: companion.file, field: fieldOf(companion, key) };
  if (at?.line !== undefined) ref.line = at.line;
  return ref;
}

export interface Picked extends Value {
  key: string;
  companion: Companion;
}

/** A top-level value of a companion by key, among several names (user aliases first). */
export function pick(companion: Companion | undefined, names: readonly string[]): Picked | undefined {
  if (!companion) return undefined;
  const byNorm = new Map<string, string>();
  for (const key of companion.values.keys()) if (!key.includes('.') && !byNorm.has(normaliseKey(key))) byNorm.set(normaliseKey(key), key);
  for (const name of names) {
    const key = byNorm.get(normaliseKey(name));
    const at = key !== undefined ? companion.values.get(key) : undefined;
    if (key !== undefined && at) return { ...at, key, companion };
  }
  return undefined;
}

/** The first of several companions holding one of the names, searched companion by companion. */
export function pickAny(companions: readonly Companion[], names: readonly string[]): Picked | undefined {
  for (const companion of companions) {
    const found = pick(companion, names);
    if (found) return found;
  }
  return undefined;
}

/** The training arguments of several companions as one lookup, the first holding a key winning. */
export function argLookup(companions: readonly Companion[]): ArgLookup {
  return (key) => {
    const found = pickAny(companions, [key]);
    return found ? ({ key: found.key, value: found.value, source: sourceOf(found.companion, found.key, found) } satisfies ArgAt) : undefined;
  };
}

/** The top-level values of a companion as a plain object, for the architecture count. */
export function plainObject(companion: Companion): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, at] of companion.values) if (!key.includes('.')) Object.defineProperty(object, key, { value: at.value, enumerable: true });
  return object;
}

/** Where a companion is, for messages: its file name, or "args/text_summary in events.out.tfevents.…". */
export function companionName(companion: Companion): string {
  const base = path.basename(companion.file);
  return companion.prefix ? `${companion.prefix.replace(/\.$/, '')} in ${base}` : base;
}

/** Weights held quantized during training (QLoRA-style): the precision quantization_config names. */
export function quantizedWeights(config: Companion, diagnostics: Diagnostic[]): { part?: PartPrecision; method: string; line?: number } | undefined {
  const container = config.containers.get('quantization_config');
  if (!container) return undefined;
  const line = container.line;
  const field = fieldOf(config, 'quantization_config');
  if (container.kind !== 'object') {
    diagnostics.push(diagnostic(config.file, line, field, 'quantization_config must be an object; the weight precision is unknown', 'warning', 'bad-value'));
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
