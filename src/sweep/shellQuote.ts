// One way values reach a shell: POSIX single quotes. Everything the product puts into a job
// script or a user's command template (paths, run names, numbers, precision names) goes through
// here, so a run folder named `a b;rm -rf ~` stays one word.

/**
 * A line break or other control character: nothing that ends up on one line of a job script (a
 * template, an #SBATCH option, a path) may hold one, or it would start a line of its own.
 */
// eslint-disable-next-line no-control-regex -- control characters are what is being refused
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** `value` as one word for sh/bash: single-quoted, a ' inside written as '\''. Plain words stay bare. */
export function shellQuote(value: string | number): string {
  const text = String(value);
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Splits a command-line fragment the user typed ("--qos=high --constraint='a100|h100'") into
 * words as a shell would: whitespace separates, single and double quotes group, a backslash
 * escapes the next character. No expansion of any kind. Throws on an unclosed quote.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} in "${text}"`);
  if (inWord) words.push(word);
  return words;
}
