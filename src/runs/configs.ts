// Training configs as users write them — YAML, JSON/JSONC, TOML, and Python modules of plain
// assignments (nanoGPT's `n_layer = 12`) — read for what the law needs: N (explicit or from
// architecture fields), D (explicit or steps x batch x sequence length), training precision
// and the precision the model will be served in. Python is parsed line by line, never run.

import { type Node, parseTree } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import { type AliasField, type AliasTable, matchKeys } from './aliases';
import { countParameters } from './architecture';
import { parseConfigPrecision } from './facts';
import { parsePrecision } from './precision';
import { pythonAssignment } from './pythonConfig';
import { parseQuantity } from './quantity';
import type { PartPrecision, TrainingPrecision } from './run';
import { lineAt, lineStarts } from './text';

// The Python-assignment parser lives in pythonConfig.ts, shared with the training-log reader.
export { pythonLiteral } from './pythonConfig';

export type ConfigLanguage = 'yaml' | 'json' | 'toml' | 'python';

/** One scalar setting: its leaf key, dotted path, value and 1-based line. */
export interface ConfigEntry {
  key: string;
  path: string;
  value: unknown;
  line: number;
}

export interface Recognised<T> {
  value: T;
  /** Lines of the entries it came from (hovering any of them shows the prediction). */
  lines: number[];
  /** How it was obtained, for the hover ("n_params", "steps x batch x seq_len"). */
  how: string;
}

export interface TrainingConfig {
  entries: ConfigEntry[];
  params?: Recognised<number>;
  tokens?: Recognised<number>;
  precision?: Recognised<TrainingPrecision>;
  inference?: Recognised<PartPrecision>;
  /** Vocabulary size and tokenizer, where the config states them: losses compare only between like tokenizers. */
  vocabulary?: Recognised<number>;
  tokenizer?: Recognised<string>;
  /** What is missing for a prediction, in words. */
  missing: string[];
}

export function languageOf(fileName: string, languageId?: string): ConfigLanguage | undefined {
  const id = languageId?.toLowerCase();
  if (id === 'yaml' || /\.ya?ml$/i.test(fileName)) return 'yaml';
  if (id === 'json' || id === 'jsonc' || /\.jsonc?$/i.test(fileName)) return 'json';
  if (id === 'toml' || /\.toml$/i.test(fileName)) return 'toml';
  if (id === 'python' || /\.py$/i.test(fileName)) return 'python';
  return undefined;
}

function yamlEntries(text: string): ConfigEntry[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  const out: ConfigEntry[] = [];
  const walk = (node: unknown, prefix: string, depth: number) => {
    if (!isMap(node) || depth > 10) return;
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      const path = prefix ? `${prefix}.${key}` : key;
      if (isMap(pair.value)) walk(pair.value, path, depth + 1);
      else if (isScalar(pair.value)) {
        const offset = pair.key.range?.[0] ?? 0;
        out.push({ key, path, value: pair.value.value, line: lineCounter.linePos(offset).line });
      }
    }
  };
  walk(doc.contents, '', 0);
  return out;
}

function jsonEntries(text: string): ConfigEntry[] {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const starts = lineStarts(text);
  const out: ConfigEntry[] = [];
  const walk = (node: Node | undefined, prefix: string, depth: number) => {
    if (!node || node.type !== 'object' || depth > 10) return;
    for (const property of node.children ?? []) {
      const [k, v] = property.children ?? [];
      if (!k || !v || typeof k.value !== 'string') continue;
      const path = prefix ? `${prefix}.${k.value}` : k.value;
      if (v.type === 'object') walk(v, path, depth + 1);
      else if (v.type !== 'array') out.push({ key: k.value, path, value: v.value, line: lineAt(starts, k.offset) });
    }
  };
  walk(root, '', 0);
  return out;
}

/** TOML values come from the parser; lines from the key's first assignment in its table. */
function tomlEntries(text: string): ConfigEntry[] {
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch {
    return [];
  }
  const lines = text.split(/\r?\n/);
  const lineOfKey = (table: string, key: string): number => {
    let current = '';
    for (let i = 0; i < lines.length; i++) {
      const header = /^\s*\[+\s*([^\]]+?)\s*\]+/.exec(lines[i]);
      if (header) current = header[1].replace(/["']/g, '');
      else if (current === table && new RegExp(`^\\s*["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`).test(lines[i])) return i + 1;
    }
    return 1;
  };
  const out: ConfigEntry[] = [];
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number) => {
    if (depth > 10) return;
    for (const [key, value] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) walk(value as Record<string, unknown>, path, depth + 1);
      else if (!Array.isArray(value)) out.push({ key, path, value, line: lineOfKey(prefix, key) });
    }
  };
  walk(data, '', 0);
  return out;
}

function pythonEntries(text: string): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const assignment = pythonAssignment(raw);
    if (assignment) out.push({ key: assignment.key, path: assignment.key, value: assignment.value, line: i + 1 });
  });
  return out;
}

export function configEntries(text: string, language: ConfigLanguage): ConfigEntry[] {
  switch (language) {
    case 'yaml':
      return yamlEntries(text);
    case 'json':
      return jsonEntries(text);
    case 'toml':
      return tomlEntries(text);
    case 'python':
      return pythonEntries(text);
  }
}

const count = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? parseQuantity(v) : undefined;
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
};

/** Architecture fields, by the names Hugging Face configs and nanoGPT use. */
const ARCHITECTURE_KEYS = ['model_type', 'n_layer', 'n_embd', 'n_head', 'n_inner', 'n_positions', 'vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'intermediate_size', 'head_dim', 'tie_word_embeddings', 'd_model', 'n_layers', 'n_heads'];

function architectureParams(entries: readonly ConfigEntry[]): Recognised<number> | undefined {
  const fields: Record<string, unknown> = {};
  const lines: number[] = [];
  for (const e of entries) {
    if (ARCHITECTURE_KEYS.includes(e.key) && !(e.key in fields)) {
      fields[e.key] = e.value;
      lines.push(e.line);
    }
  }
  // nanoGPT: n_layer, n_head, n_embd (d_model/n_layers/n_heads in other repos) with a GPT-2 block.
  if (fields.model_type === undefined && (fields.n_embd ?? fields.d_model) !== undefined) {
    fields.model_type = 'gpt2';
    fields.n_embd ??= fields.d_model;
    fields.n_layer ??= fields.n_layers;
    fields.n_head ??= fields.n_heads;
    fields.vocab_size ??= 50304;
  }
  if (fields.model_type === undefined) return undefined;
  const r = countParameters(fields);
  return r.ok ? { value: r.count.params, lines, how: `from the architecture (${r.count.family}: ${r.count.formula})` } : undefined;
}

const VOCABULARY_KEYS = ['vocab_size', 'n_vocab', 'vocabSize', 'padded_vocab_size', 'vocabulary_size'];
const TOKENIZER_KEYS = ['tokenizer', 'tokenizer_type', 'tokenizer_name', 'tokenizer_name_or_path', 'tokenizer_path'];

const ACCUMULATION_KEYS = ['gradient_accumulation_steps', 'grad_accum_steps', 'accumulate_grad_batches', 'grad_accum'];

export function recogniseConfig(text: string, language: ConfigLanguage, aliases: AliasTable): TrainingConfig {
  const entries = configEntries(text, language);
  const first = new Map<string, ConfigEntry>();
  for (const e of entries) if (!first.has(e.key)) first.set(e.key, e);
  const keys = matchKeys([...first.keys()], aliases);
  const entry = (field: AliasField) => (keys[field] !== undefined ? first.get(keys[field] as string) : undefined);
  const config: TrainingConfig = { entries, missing: [] };

  const n = entry('params');
  const nValue = n && count(n.value);
  if (n && nValue !== undefined) config.params = { value: nValue, lines: [n.line], how: n.key };
  else config.params = architectureParams(entries);

  const d = entry('tokens');
  const dValue = d && count(d.value);
  if (d && dValue !== undefined) config.tokens = { value: dValue, lines: [d.line], how: d.key };
  else {
    const parts = (['steps', 'batchSize', 'seqLen'] as const).map(entry);
    const values = parts.map((e) => e && count(e.value));
    if (parts.every(Boolean) && values.every((v) => v !== undefined)) {
      const [steps, batch, seq] = parts as ConfigEntry[];
      // Micro-batches accumulated into one optimizer step multiply the tokens per step (nanoGPT, Lightning).
      const accumulation = ACCUMULATION_KEYS.map((k) => first.get(k)).find((e) => e && count(e.value) !== undefined);
      const factor = accumulation ? (count(accumulation.value) as number) : 1;
      config.tokens = {
        value: (values as number[]).reduce((a, b) => a * b, factor),
        lines: [steps.line, batch.line, seq.line, ...(accumulation ? [accumulation.line] : [])],
        how: `${steps.key} x ${batch.key} x ${seq.key}${accumulation ? ` x ${accumulation.key}` : ''}`,
      };
    }
  }

  const w = entry('weightBits');
  const named = entry('precision');
  if (w) {
    const part = (e: ConfigEntry | undefined) => (e ? parsePrecision(e.value as string | number) : { bits: 16, type: 'fp' as const });
    const [pw, pa, pkv] = [w, entry('actBits'), entry('kvBits')].map(part);
    if (pw && pa && pkv) config.precision = { value: { w: pw, a: pa, kv: pkv }, lines: [w.line], how: w.key };
  } else if (named) {
    // Framework spellings too: Lightning's "bf16-mixed", "16", "transformer-engine".
    const p = parseConfigPrecision(named.value);
    if (p) config.precision = { value: p, lines: [named.line], how: named.key };
  }
  // A config naming no precision trains in the framework default, which is 16-bit here.
  const post = entry('postBits');
  const postValue = post && parsePrecision(post.value as string | number);
  if (post && postValue) config.inference = { value: postValue, lines: [post.line], how: post.key };

  const vocabulary = VOCABULARY_KEYS.map((k) => first.get(k)).find((e) => e && typeof e.value === 'number' && Number.isInteger(e.value) && e.value > 0);
  if (vocabulary) config.vocabulary = { value: vocabulary.value as number, lines: [vocabulary.line], how: vocabulary.key };
  const tokenizer = TOKENIZER_KEYS.map((k) => first.get(k)).find((e) => e && typeof e.value === 'string' && e.value.trim() !== '');
  if (tokenizer) config.tokenizer = { value: (tokenizer.value as string).trim(), lines: [tokenizer.line], how: tokenizer.key };

  if (!config.params) config.missing.push('N (a params key, or architecture fields like n_layer and n_embd)');
  if (!config.tokens) config.missing.push('D (a tokens key, or steps, batch size and sequence length)');
  return config;
}
