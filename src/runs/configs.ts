// Training configs as users write them — YAML, JSON/JSONC, TOML, and Python modules of plain
// assignments (nanoGPT's `n_layer = 12`) — read for what the law needs, for the hover. The
// entries go through the same facts engine as the configs beside a run (facts.ts), so a config
// and a run made from it can never disagree on N, D or precision. Python is parsed line by
// line, never run.

import type { AliasTable } from './aliases';
import type { Diagnostic } from './diagnostics';
import { type ConfigEntry, EntryCollector, MAX_ENTRIES } from './entries';
import { type Found, findConfigFacts } from './facts';
import { jsonEntries, parseJsonWithLines } from './jsonDoc';
import { PRECISION_NAMES } from './precision';
import { pythonAssignment } from './pythonConfig';
import type { PartPrecision, TrainingPrecision } from './run';
import { tomlEntries } from './tomlDoc';
import { diagnostic } from './validate';
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
  /**
   * What reading the text reported: syntax errors (which the editor underlines already; the
   * hover shows what was recognised around them), duplicate keys, and 'truncated' past the
   * bound on entries.
   */
  diagnostics: Diagnostic[];
}

export function languageOf(fileName: string, languageId?: string): ConfigLanguage | undefined {
  const id = languageId?.toLowerCase();
  if (id === 'yaml' || /\.ya?ml$/i.test(fileName)) return 'yaml';
  if (id === 'json' || id === 'jsonc' || /\.jsonc?$/i.test(fileName)) return 'json';
  if (id === 'toml' || /\.toml$/i.test(fileName)) return 'toml';
  if (id === 'python' || /\.py$/i.test(fileName)) return 'python';
  return undefined;
}

/** Python configs as located entries: one assignment per line, each line scanned once. */
export function pythonEntries(text: string, file: string, diagnostics: Diagnostic[] = []): ConfigEntry[] {
  const collector = new EntryCollector();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length && !collector.truncated; i++) {
    const assignment = pythonAssignment(lines[i]);
    if (assignment) collector.add({ key: assignment.key, value: assignment.value, file, line: i + 1 });
  }
  if (collector.truncated) diagnostics.push(diagnostic(file, undefined, undefined, `more than ${MAX_ENTRIES} assignments; the rest are not read`, 'warning', 'truncated'));
  return collector.entries;
}

/**
 * Located entries of a config in any of the languages; syntax errors leave what could be read.
 * Problems go to `diagnostics` (syntax errors, and 'truncated' past the entry bound).
 */
export function configEntries(text: string, language: ConfigLanguage, file = 'config', diagnostics: Diagnostic[] = []): ConfigEntry[] {
  switch (language) {
    case 'yaml':
      return yamlEntries(text, file, diagnostics).entries;
    case 'json':
      return jsonEntries(parseJsonWithLines(text, file, diagnostics, 'warning', { jsonc: true }), file, undefined, diagnostics);
    case 'toml':
      return tomlEntries(text, file, diagnostics);
    case 'python':
      return pythonEntries(text, file, diagnostics);
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
  const read: Diagnostic[] = [];
  const entries = configEntries(text, language, file, read);
  const facts = findConfigFacts(entries, aliases, { file, where: 'this config', unstatedParts: FRAMEWORK_DEFAULT });
  const config: TrainingConfig = { entries, missing: [], diagnostics: read };
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
