// The one YAML walker: a YAML file as located entries, syntax errors reported on their lines and
// what the parser recovered around them read.

import * as path from 'node:path';
import { LineCounter, type Document, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Diagnostic, Severity } from './diagnostics';
import { type ConfigEntry, EntryCollector, MAX_DEPTH, MAX_ENTRIES, MAX_SYNTAX_DIAGNOSTICS, setKey } from './entries';
import { diagnostic } from './validate';

export interface YamlConfig {
  entries: ConfigEntry[];
  /** The top level is a mapping (what every config here is); false for an empty file, a list or a scalar. */
  isMapping: boolean;
  /** Syntax errors were found: the entries are what the parser recovered around them. */
  recovered: boolean;
  /** Top-level keys with their values as plain data (for metadata such as MLflow's meta.yaml). */
  top: Record<string, unknown>;
  /** Lines of the top-level keys. */
  topLines: Record<string, number>;
}

export interface YamlOptions {
  /** W&B config.yaml wraps every top-level value as {desc, value}: read the value. */
  unwrapValue?: boolean;
  severity?: Severity;
}

/** "Map keys must be unique at line 3, column 1:\n\n…" → "map keys must be unique". */
function yamlErrorText(message: string): string {
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?\s*$/, '').trim();
  return first.charAt(0).toLowerCase() + first.slice(1);
}

const WANDB_WRAPPER_KEYS = new Set(['desc', 'value']);

/** Parses YAML into entries, reporting syntax errors on their lines and reading what can be read. */
export function yamlEntries(text: string, file: string, diagnostics: Diagnostic[], options: YamlOptions = {}): YamlConfig {
  const severity = options.severity ?? 'warning';
  const lineCounter = new LineCounter();
  const result: YamlConfig = { entries: [], isMapping: false, recovered: false, top: {}, topLines: {} };
  let doc: Document.Parsed;
  try {
    // Duplicate keys are reported here, the first one read, as JSON configs are.
    doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: true, logLevel: 'error' });
  } catch (e) {
    diagnostics.push(diagnostic(file, undefined, undefined, `cannot parse ${path.basename(file)}: ${(e as Error).message}`, severity, 'syntax'));
    return result;
  }
  const lineOf = (offset: number | undefined): number | undefined => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  for (const error of doc.errors.slice(0, MAX_SYNTAX_DIAGNOSTICS)) {
    diagnostics.push(diagnostic(file, error.linePos?.[0]?.line ?? lineOf(error.pos[0]), undefined, `syntax error: ${yamlErrorText(error.message)}`, severity, 'syntax'));
  }
  if (doc.errors.length > MAX_SYNTAX_DIAGNOSTICS) {
    diagnostics.push(diagnostic(file, undefined, undefined, `${doc.errors.length - MAX_SYNTAX_DIAGNOSTICS} more syntax errors not listed`, severity, 'syntax'));
  }
  result.recovered = doc.errors.length > 0;
  const collector = new EntryCollector();

  const resolve = (node: unknown): unknown => {
    try {
      return isAlias(node) ? node.resolve(doc) : node;
    } catch {
      return undefined;
    }
  };
  const plain = (node: unknown): unknown => {
    try {
      const n = resolve(node);
      return isScalar(n) || isMap(n) || isSeq(n) ? n.toJS(doc, { maxAliasCount: 1000 }) : undefined;
    } catch {
      return undefined;
    }
  };

  const walk = (node: unknown, prefix: string, depth: number, unwrap: boolean): void => {
    if (!isMap(node) || depth > MAX_DEPTH) return;
    const seen = new Set<string>();
    for (const pair of node.items) {
      // Aliases can make a small file a huge tree; the entry budget bounds the walk too.
      if (collector.truncated || !collector.visit()) {
        collector.truncated = true;
        return;
      }
      const keyNode = resolve(pair.key);
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') continue;
      const key = String(keyNode.value);
      const line = lineOf(keyNode.range?.[0]);
      const full = prefix ? `${prefix}.${key}` : key;
      if (seen.has(key)) {
        diagnostics.push(diagnostic(file, line, full, `duplicate key "${key}"; only the first is read`, 'warning', 'duplicate'));
        continue;
      }
      seen.add(key);
      let value = resolve(pair.value);
      if (unwrap && isMap(value)) {
        const keys = value.items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
        if (keys.includes('value') && keys.every((k) => WANDB_WRAPPER_KEYS.has(k))) value = resolve(value.get('value', true));
      }
      if (depth === 0) {
        setKey(result.top, key, plain(value));
        if (line !== undefined) setKey(result.topLines, key, line);
      }
      if (isMap(value)) walk(value, full, depth + 1, false);
      else if (isSeq(value)) {
        const items = value.items.map(resolve);
        if (items.every(isScalar)) collector.add({ key: full, value: items.map((i) => (i as { value: unknown }).value), file, line });
      } else if (isScalar(value)) collector.add({ key: full, value: value.value, file, line });
      else if (value === null || value === undefined) collector.add({ key: full, value: null, file, line });
    }
  };

  const contents = resolve(doc.contents);
  result.isMapping = isMap(contents);
  walk(contents, '', 0, options.unwrapValue === true);
  if (collector.truncated) diagnostics.push(diagnostic(file, undefined, undefined, `more than ${MAX_ENTRIES} values; the rest are not read`, 'warning', 'truncated'));
  result.entries = collector.entries;
  return result;
}
