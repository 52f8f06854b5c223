// A JSON file kept with its positions, for readers that must say on which line a value was: the
// one JSON-with-positions every tree-based JSON reader parses through.
// Python's json module writes NaN, Infinity and -Infinity bare, which is not JSON. Those tokens,
// found by the scanner outside strings (a "NaN" inside a string is left alone), are read as
// number nodes holding NaN and ±Infinity, so a reader's value checks name them ("valLoss is
// NaN") instead of the file failing with a syntax error.

import { type Node, type ParseError, SyntaxKind, createScanner, findNodeAtLocation, parseTree, printParseErrorCode } from 'jsonc-parser';
import { lineAt, lineStarts } from './text';

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
