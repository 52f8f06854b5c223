// The one TOML walker: values from the parser (smol-toml), lines from one pass over the text
// that records where each key path is first assigned. Finding each key's line by scanning the
// whole text again made a 5,000-key file take seconds; here every lookup is a map access.

import { parse as parseToml } from 'smol-toml';
import type { Diagnostic } from './diagnostics';
import { type ConfigEntry, EntryCollector, MAX_ENTRIES } from './entries';
import { diagnostic } from './validate';

/** Tables deeper than this are not walked (the YAML and JSON walkers stop at a similar depth). */
const MAX_TABLE_DEPTH = 10;

const isSpace = (c: number): boolean => c === 32 || c === 9;
/** A bare key's characters: A-Z a-z 0-9 _ - (TOML 1.0). */
const isBare = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45;

/** A basic string's escapes are JSON's but for a few (\e, \x, \U); those keep their raw text. */
function basicString(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}

/**
 * The dotted key at `at` (bare, "basic" or 'literal' segments, spaces around the dots), and the
 * offset after it; undefined when there is none. One pass, no regular expression.
 */
export function readTomlKey(line: string, at: number): { path: string[]; end: number } | undefined {
  const path: string[] = [];
  let i = at;
  for (;;) {
    while (isSpace(line.charCodeAt(i))) i++;
    const quote = line[i];
    if (quote === '"' || quote === "'") {
      let j = i + 1;
      while (j < line.length && line[j] !== quote) j += quote === '"' && line[j] === '\\' ? 2 : 1;
      if (j >= line.length) return undefined;
      const raw = line.slice(i, j + 1);
      path.push(quote === '"' ? basicString(raw) : raw.slice(1, -1));
      i = j + 1;
    } else {
      const start = i;
      while (i < line.length && isBare(line.charCodeAt(i))) i++;
      if (i === start) return undefined;
      path.push(line.slice(start, i));
    }
    while (isSpace(line.charCodeAt(i))) i++;
    if (line[i] !== '.') return { path, end: i };
    i++;
  }
}

/** After a table header's closing bracket(s), only spaces and a comment: `[1],` in an array is no header. */
function endsHeader(line: string, at: number): boolean {
  let i = at;
  while (isSpace(line.charCodeAt(i))) i++;
  return i === line.length || line[i] === '#';
}

/**
 * 1-based lines where each key path ("model.n_layer") is first assigned or its table opened,
 * in one pass. Paths join segments with "." as the walk below does, so a quoted key holding a
 * dot reads like a nested one in both.
 */
export function tomlKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  const record = (path: string, line: number): void => {
    if (!lines.has(path)) lines.set(path, line);
  };
  let table: string[] = [];
  const rows = text.split(/\r?\n/);
  for (let n = 0; n < rows.length; n++) {
    const row = rows[n];
    let i = 0;
    while (isSpace(row.charCodeAt(i))) i++;
    if (row[i] === '[') {
      const array = row[i + 1] === '[';
      const key = readTomlKey(row, i + (array ? 2 : 1));
      const close = key && row[key.end] === ']' ? key.end + (array ? 2 : 1) : -1;
      if (key && close > 0 && (!array || row[key.end + 1] === ']') && endsHeader(row, close)) {
        table = key.path;
        record(table.join('.'), n + 1);
      }
      continue;
    }
    const key = readTomlKey(row, i);
    if (key && row[key.end] === '=') record([...table, ...key.path].join('.'), n + 1);
  }
  return lines;
}

/**
 * Located entries of a TOML text; a syntax error gives no entries (and a diagnostic), as the
 * parser recovers nothing. A key's line is its first assignment; a value with no line of its own
 * (inside an inline table) takes its table's.
 */
export function tomlEntries(text: string, file: string, diagnostics: Diagnostic[]): ConfigEntry[] {
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    // The parser recurses per nesting level: a deeply nested array exhausts the stack, caught here too.
    diagnostics.push(diagnostic(file, (e as { line?: number }).line, undefined, `syntax error: ${(e as Error).message.split('\n')[0]}`, 'warning', 'syntax'));
    return [];
  }
  const lines = tomlKeyLines(text);
  const collector = new EntryCollector();
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number, tableLine: number): void => {
    if (depth > MAX_TABLE_DEPTH) return;
    for (const [key, value] of Object.entries(obj)) {
      if (collector.truncated) return;
      const path = prefix ? `${prefix}.${key}` : key;
      const line = lines.get(path) ?? tableLine;
      // A datetime as TOML wrote it: a Date would not cross to the worker's caller as the same class.
      if (value instanceof Date) collector.add({ key: path, value: value.toISOString(), file, line });
      else if (value && typeof value === 'object' && !Array.isArray(value)) walk(value as Record<string, unknown>, path, depth + 1, line);
      else if (!Array.isArray(value)) collector.add({ key: path, value, file, line });
    }
  };
  walk(data, '', 0, 1);
  if (collector.truncated) diagnostics.push(diagnostic(file, undefined, undefined, `more than ${MAX_ENTRIES} values; the rest are not read`, 'warning', 'truncated'));
  return collector.entries;
}
