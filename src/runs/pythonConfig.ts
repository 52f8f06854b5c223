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

const ASSIGNMENT = /^([A-Za-z_]\w*)\s*(?::\s*[\w.[\], ]+)?=(?!=)\s*(.+?)\s*$/;

/**
 * `name = literal` at the start of a line (an indented assignment sits under an `if` or a
 * `def` and may not run), with an optional type annotation and a trailing comment; undefined
 * for anything else, including assignments of expressions.
 */
export function pythonAssignment(line: string): { key: string; value: unknown } | undefined {
  const m = ASSIGNMENT.exec(stripPythonComment(line));
  if (!m) return undefined;
  const value = pythonLiteral(m[2]);
  return value === undefined ? undefined : { key: m[1], value };
}
