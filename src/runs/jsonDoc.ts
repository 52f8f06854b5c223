// A JSON file kept with its positions, for readers that must say on which line a value was: the
// one JSON-with-positions every tree-based JSON reader parses through.
// Python's json module writes NaN, Infinity and -Infinity bare, which is not JSON. Those tokens,
// found by the scanner outside strings (a "NaN" inside a string is left alone), are read as
// number nodes holding NaN and ±Infinity, so a reader's value checks name them ("valLoss is
// NaN") instead of the file failing with a syntax error.

import { type Node, type ParseError, SyntaxKind, createScanner, findNodeAtLocation, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Diagnostic, Severity } from './diagnostics';
import { type ConfigEntry, EntryCollector, MAX_DEPTH, MAX_ENTRIES, MAX_SYNTAX_DIAGNOSTICS } from './entries';
import { lineAt, lineStarts } from './text';
import { diagnostic } from './validate';

export interface JsonDoc {
  root: Node | undefined;
  /** Syntax errors with their lines; the tree holds what could be recovered around them. */
  errors: Array<{ line: number; message: string }>;
  lineOf(node: Node): number;
  /** The node at a path of keys and indices, if there is one. */
  at(path: Array<string | number>): Node | undefined;
}

export interface JsonDocOptions {
  /**
   * Strict JSON (no comments, no trailing commas), for files other tools parse too. Bare
   * NaN/Infinity are read either way.
   */
  strict?: boolean;
}

const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };

/**
 * The text with every bare NaN, Infinity and -Infinity outside strings quoted, and the offsets
 * (in the quoted text) of the strings that stand for them. Quoting adds no line breaks, so
 * every line stays where it was.
 */
export function quoteNonFinite(text: string): { text: string; values: Map<number, number> } {
  const values = new Map<number, number>();
  if (!/NaN|Infinity/.test(text)) return { text, values };
  const scanner = createScanner(text, false);
  let out = '';
  let copied = 0;
  let minusAt = -1;
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    if (kind !== SyntaxKind.Unknown) {
      minusAt = -1;
      continue;
    }
    const offset = scanner.getTokenOffset();
    const token = scanner.getTokenValue();
    if (token === '-') {
      minusAt = offset;
      continue;
    }
    const word = token === 'Infinity' && minusAt === offset - 1 ? '-Infinity' : token;
    minusAt = -1;
    if (!Object.hasOwn(NON_FINITE, word)) continue;
    const start = word === '-Infinity' ? offset - 1 : offset;
    out += `${text.slice(copied, start)}"${word}"`;
    copied = offset + token.length;
    values.set(out.length - word.length - 2, NON_FINITE[word]);
  }
  if (values.size === 0) return { text, values };
  return { text: out + text.slice(copied), values };
}

/** Turns the string nodes that stood for bare non-finite numbers back into number nodes. */
function restoreNonFinite(node: Node | undefined, values: ReadonlyMap<number, number>): void {
  if (!node || values.size === 0) return;
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    if (n.type === 'string') {
      const value = values.get(n.offset);
      // A property's key sits at a recorded offset only if it was a bare word, which is no key.
      if (value !== undefined && !(n.parent?.type === 'property' && n.parent.children?.[0] === n)) {
        // The tree is this module's own: its nodes are re-typed in place.
        Object.assign(n, { type: 'number', value });
      }
    }
    if (n.children) stack.push(...n.children);
  }
}

/** "CloseBraceExpected" → "close brace expected". */
export function parseErrorText(error: ParseError): string {
  return printParseErrorCode(error.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

export function parseJsonDoc(text: string, options: JsonDocOptions = {}): JsonDoc {
  const quoted = quoteNonFinite(text);
  const errors: ParseError[] = [];
  const root = parseTree(quoted.text, errors, options.strict ? { allowTrailingComma: false, disallowComments: true } : { allowTrailingComma: true, disallowComments: false });
  restoreNonFinite(root, quoted.values);
  const starts = lineStarts(quoted.text);
  return {
    root,
    errors: errors.map((e) => ({ line: lineAt(starts, e.offset), message: `syntax error: ${parseErrorText(e)}` })),
    lineOf: (node) => lineAt(starts, node.offset),
    at: (path) => (root ? findNodeAtLocation(root, path) : undefined),
  };
}

/** A scalar node's value (objects and arrays are not values here). */
export function scalar(node: Node | undefined): unknown {
  return node && node.type !== 'object' && node.type !== 'array' ? node.value : undefined;
}

// --- configs as entries -----------------------------------------------------------------------

export interface JsonConfig {
  root?: Node;
  starts: number[];
  recovered: boolean;
}

/** Python's json writes NaN and ±Infinity bare; they become strings so the checks can name them. */
const BARE_NON_FINITE = /^-?(?:NaN|Infinity)/;

/** "CloseBraceExpected" → "close brace expected". */
function jsonErrorText(error: ParseError): string {
  if ((error.error as number) === NESTED_TOO_DEEP) return 'nested too deeply to read';
  return printParseErrorCode(error.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

const NESTED_TOO_DEEP = -1;

/** jsonc-parser recurses per nesting level: thousands of "[" exhaust the stack. */
function safeParseTree(text: string, errors: ParseError[], lenient = false): Node | undefined {
  try {
    return parseTree(text, errors, { disallowComments: !lenient, allowTrailingComma: lenient });
  } catch {
    errors.push({ error: NESTED_TOO_DEEP as never, offset: 0, length: 0 });
    return undefined;
  }
}

/**
 * Parses strict JSON with positions. Bare NaN and Infinity (not JSON, but what Python writes) are
 * read as the strings "NaN" and "Infinity"; quoting them keeps every line where it was.
 */
export function parseJsonWithLines(text: string, file: string, diagnostics: Diagnostic[], severity: Severity = 'warning', options: { jsonc?: boolean } = {}): JsonConfig {
  let errors: ParseError[] = [];
  let source = text;
  let root = safeParseTree(source, errors, options.jsonc);
  const bare = errors.filter((e) => e.error === 1 /* InvalidSymbol */ && BARE_NON_FINITE.test(text.slice(e.offset, e.offset + 9)));
  if (bare.length > 0) {
    let out = '';
    let at = 0;
    for (const e of bare) {
      if (e.offset < at) continue;
      const word = BARE_NON_FINITE.exec(text.slice(e.offset))?.[0] ?? '';
      out += `${text.slice(at, e.offset)}"${word}"`;
      at = e.offset + word.length;
    }
    source = out + text.slice(at);
    errors = [];
    root = safeParseTree(source, errors, options.jsonc);
  }
  const starts = lineStarts(source);
  for (const e of errors.slice(0, MAX_SYNTAX_DIAGNOSTICS)) {
    diagnostics.push(diagnostic(file, lineAt(starts, e.offset), undefined, `syntax error: ${jsonErrorText(e)}`, severity, 'syntax'));
  }
  if (errors.length > MAX_SYNTAX_DIAGNOSTICS) {
    diagnostics.push(diagnostic(file, undefined, undefined, `${errors.length - MAX_SYNTAX_DIAGNOSTICS} more syntax errors not listed`, severity, 'syntax'));
  }
  return { root, starts, recovered: errors.length > 0 };
}

/**
 * Entries of a JSON object, nested objects flattened. `skip` leaves out values that are not
 * settings (W&B's media and histogram objects, its internal keys). Past the bound on entries
 * the rest are not read, said in `diagnostics` when given.
 */
export function jsonEntries(json: JsonConfig, file: string, skip: (key: string, node: Node) => boolean = () => false, diagnostics?: Diagnostic[]): ConfigEntry[] {
  const collector = new EntryCollector();
  const walk = (node: Node, prefix: string, depth: number): void => {
    if (node.type !== 'object' || depth > MAX_DEPTH) return;
    const seen = new Set<string>();
    for (const property of node.children ?? []) {
      const [keyNode, valueNode] = property.children ?? [];
      if (!keyNode || typeof keyNode.value !== 'string' || !valueNode) continue;
      const key: string = keyNode.value;
      if (seen.has(key)) continue;
      seen.add(key);
      const full = prefix ? `${prefix}.${key}` : key;
      if (skip(full, valueNode)) continue;
      const line = lineAt(json.starts, keyNode.offset);
      if (valueNode.type === 'object') walk(valueNode, full, depth + 1);
      else if (valueNode.type === 'array') {
        const items = valueNode.children ?? [];
        if (items.every((i) => i.type !== 'object' && i.type !== 'array')) collector.add({ key: full, value: items.map((i) => i.value as unknown), file, line });
      } else collector.add({ key: full, value: valueNode.value as unknown, file, line });
    }
  };
  if (json.root) walk(json.root, '', 0);
  if (collector.truncated) diagnostics?.push(diagnostic(file, undefined, undefined, `more than ${MAX_ENTRIES} values; the rest are not read`, 'warning', 'truncated'));
  return collector.entries;
}

/** The value of a JSON object's key, or undefined. */
export function jsonChild(node: Node | undefined, key: string): Node | undefined {
  if (!node || node.type !== 'object') return undefined;
  for (const property of node.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    if (keyNode?.value === key) return valueNode;
  }
  return undefined;
}
