// Python configs as plain assignments (nanoGPT's `n_layer = 12`), read line by line and never
// run: the config files users edit (configs.ts) and the copies training logs print of them
// (nanoGPT echoes its config file and its --key=value overrides). Only literals are read; a
// right-hand side that needs evaluating (`'bfloat16' if torch.cuda.is_bf16_supported() else
// 'float16'`) is left out, which is the honest answer: its value depends on the machine.

/** A quoted string with no unescaped closing quote inside: `'a' if x else 'b'` is not one string. */
const STRING_LITERAL = /^[rRbBuU]{0,2}(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")$/;
const NUMBER_LITERAL = [/^[-+]?(\d[\d_]*)(\.\d[\d_]*)?([eE][-+]?\d+)?$/, /^[-+]?\d[\d_]*\.([eE][-+]?\d+)?$/, /^[-+]?\.\d+([eE][-+]?\d+)?$/];

/** A Python literal as written on the right of `name = ...`: numbers, strings, booleans, None. */
export function pythonLiteral(text: string): unknown {
  const t = text.trim();
  if (/^(True|False)$/.test(t)) return t === 'True';
  if (t === 'None') return null;
  const str = STRING_LITERAL.exec(t);
  if (str) return str[1] ?? str[2];
  if (NUMBER_LITERAL.some((re) => re.test(t))) return Number(t.replace(/_/g, ''));
  // A product of literals (steps = 600 * 1000) is arithmetic on constants, evaluated here without running anything.
  if (/^[\d_.eE+\-\s*]+$/.test(t) && t.includes('*')) {
    const factors = t.split('*').map((f) => Number(f.trim().replace(/_/g, '')));
    if (factors.every((f) => Number.isFinite(f))) return factors.reduce((a, b) => a * b, 1);
  }
  return undefined;
}

/** The text before a `#` comment, a `#` inside a quoted string not counting. */
export function stripPythonComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#') return text.slice(0, i);
  }
  return text;
}

const NAME = /^[A-Za-z_]\w*/;
/** What a type annotation may hold (`int`, `list[int]`, `Optional[str]`); a space is one of them. */
const ANNOTATION_CHAR = /[\w.[\], ]/;
const WHITESPACE = /\s/;
/** Line terminators (a line split on "\n" may still hold "\r" or U+2028): no value spans one. */
const LINE_BREAK = /[\n\r\u2028\u2029]/;

/**
 * Is `text` (between `name:` and `=`) an annotation: whitespace, then one or more annotation
 * characters? A space counts as either, so text of whitespace alone is one when it ends in a space.
 */
function isAnnotation(text: string): boolean {
  let i = 0;
  while (i < text.length && WHITESPACE.test(text[i])) i++;
  if (i === text.length) return text.endsWith(' ');
  for (; i < text.length; i++) if (!ANNOTATION_CHAR.test(text[i])) return false;
  return true;
}

/**
 * `name = literal` at the start of a line (an indented assignment sits under an `if` or a
 * `def` and may not run), with an optional type annotation and a trailing comment; undefined
 * for anything else, including assignments of expressions. Scanned by hand, in one pass: as a
 * single regular expression the spaces an annotation and the value may both hold made a line
 * of `a:` and 100k spaces take seconds.
 */
export function pythonAssignment(line: string): { key: string; value: unknown } | undefined {
  const code = stripPythonComment(line);
  const name = NAME.exec(code);
  if (!name) return undefined;
  let i = name[0].length;
  while (i < code.length && WHITESPACE.test(code[i])) i++;
  if (code[i] === ':') {
    const equals = code.indexOf('=', i + 1);
    if (equals < 0 || !isAnnotation(code.slice(i + 1, equals))) return undefined;
    i = equals;
  }
  if (code[i] !== '=' || code[i + 1] === '=') return undefined;
  const right = code.slice(i + 1).trim();
  if (right === '' || LINE_BREAK.test(right)) return undefined;
  const value = pythonLiteral(right);
  return value === undefined ? undefined : { key: name[0], value };
}
