// Training configs as users write them — YAML, JSON/JSONC, TOML, and Python modules of plain
// assignments (nanoGPT's `n_layer = 12`) — read for what the law needs, for the hover. The
// entries go through the same facts engine as the configs beside a run (facts.ts), so a config
// and a run made from it can never disagree on N, D or precision. Python is parsed line by
// line, never run.

import { parse as parseToml } from 'smol-toml';
import type { AliasTable } from './aliases';
import type { Diagnostic } from './diagnostics';
import type { ConfigEntry } from './entries';
import { type Found, findConfigFacts } from './facts';
import { jsonEntries, parseJsonWithLines } from './jsonDoc';
import { PRECISION_NAMES } from './precision';
import { pythonAssignment } from './pythonConfig';
import type { PartPrecision, TrainingPrecision } from './run';
import { yamlEntries } from './yamlDoc';

// The Python-assignment parser lives in pythonConfig.ts, shared with the training-log reader.
export { pythonLiteral } from './pythonConfig';

export type ConfigLanguage = 'yaml' | 'json' | 'toml' | 'python';

export interface Recognised<T> {
  value: T;
  /** Lines of the entries it came from (hovering any of them shows the prediction). */
  lines: number[];
  /** How it was obtained, for the hover ("n_params", "max_iters × batch_size × block_size"). */
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

/** TOML values come from the parser; lines from the key's first assignment in its table. */
function tomlEntries(text: string, file: string): ConfigEntry[] {
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
      else if (!Array.isArray(value)) out.push({ key: path, value, file, line: lineOfKey(prefix, key) });
    }
  };
  walk(data, '', 0);
  return out;
}

export function pythonEntries(text: string, file: string): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const assignment = pythonAssignment(raw);
    if (assignment) out.push({ key: assignment.key, value: assignment.value, file, line: i + 1 });
  });
  return out;
}

/** Located entries of a config in any of the languages; syntax errors leave what could be read. */
export function configEntries(text: string, language: ConfigLanguage, file = 'config'): ConfigEntry[] {
  // The hover shows what it recognised; the editor already underlines syntax errors.
  const ignored: Diagnostic[] = [];
  switch (language) {
    case 'yaml':
      return yamlEntries(text, file, ignored).entries;
    case 'json':
      return jsonEntries(parseJsonWithLines(text, file, ignored, 'warning', { jsonc: true }), file);
    case 'toml':
      return tomlEntries(text, file);
    case 'python':
      return pythonEntries(text, file);
  }
}

/** What frameworks train parts in that a config gives no bits for: 16-bit (bf16). */
const FRAMEWORK_DEFAULT: PartPrecision = PRECISION_NAMES.bf16;

/** A fact as the hover shows it: the lines it came from and how it was obtained. */
function recognised<T>(found: Found<T> | undefined): Recognised<T> | undefined {
  if (!found) return undefined;
  const sources = found.derived?.from ?? [found.source];
  const lines = [...new Set(sources.flatMap((s) => (s.line !== undefined ? [s.line] : [])))].sort((a, b) => a - b);
  return { value: found.value, lines, how: found.derived?.how ?? found.source.field ?? '' };
}

export function recogniseConfig(text: string, language: ConfigLanguage, aliases: AliasTable, file = 'config'): TrainingConfig {
  const entries = configEntries(text, language, file);
  const facts = findConfigFacts(entries, aliases, { file, where: 'this config', unstatedParts: FRAMEWORK_DEFAULT });
  const config: TrainingConfig = { entries, missing: [] };
  const set = <K extends 'params' | 'tokens' | 'precision' | 'inference' | 'vocabulary' | 'tokenizer'>(key: K, value: TrainingConfig[K] | undefined): void => {
    if (value !== undefined) config[key] = value;
  };
  set('params', recognised(facts.params));
  set('tokens', recognised(facts.tokens));
  set('precision', recognised(facts.precision));
  set('inference', recognised(facts.inference));
  set('vocabulary', recognised(facts.vocabulary));
  set('tokenizer', recognised(facts.tokenizer));
  if (!config.params) config.missing.push('N (a params key, or architecture fields like n_layer and n_embd)');
  if (!config.tokens) config.missing.push('D (a tokens key, or steps, batch size and sequence length)');
  return config;
}
