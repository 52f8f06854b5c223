// Numbers as people write them on command lines, in tables and configs: 1e21, 13B, 30M,
// "3e22 FLOPs", 1,300,000, 4GB.

/**
 * A plain decimal number as written (-1, 2e-05, 10000.0, .5, 1e+20): the one pattern every reader
 * and writer uses. "\d+\.?\d*" would split a run of digits at every place, quadratic on a long one.
 */
export const DECIMAL_NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$/i;

const COUNT_SUFFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, b: 1e9, B: 1e9, g: 1e9, G: 1e9, t: 1e12, T: 1e12 };
// No leading \s*: unanchored, it made a run of spaces quadratic; the spaces it left are read as before.
const UNIT_WORDS = /(?:flops?|flop\/s|tokens?|params?|parameters?)\s*$/i;
const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** A positive count with an optional K/M/B/T suffix and unit word; undefined when it is not one. */
export function parseQuantity(text: string): number | undefined {
  // Thousands separators ("1,300,000", "1_300_000") only in their proper places.
  // The patterns are written so no two quantifiers can share a character ("\d*\.?\d+" and
  // "\s*x?\s*" could, which took seconds on a value of a few thousand digits and spaces).
  const plain = text.replace(UNIT_WORDS, '').replace(/^(\s*\d{1,3})((?:[,_]\d{3})+)(?=\s*(?:[kKmMbBgGtT]\s*)?$|\.)/, (_, head: string, groups: string) => head + groups.replace(/[,_]/g, ''));
  const m = /^\s*((?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?)\s*(?:([kmbgt])\s*)?$/i.exec(plain);
  if (!m) return undefined;
  const value = Number(m[1]) * COUNT_SUFFIX[m[2] ?? ''];
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

// Unit words in a key or column name: "params_M", "model_size (B)", "tokens in Million",
// "n_params_billions", "non_embedding_params_1e6". Matched as whole words at the end or in
// brackets, so "num_layers" or "mb_size" are not read as scales.
const NAME_SCALES: ReadonlyArray<readonly [RegExp, number]> = [
  [/(?:^|[\s_([/-])(?:in\s+)?(?:thousands?|k)\)?\]?$/i, 1e3],
  [/(?:^|[\s_([/-])(?:in\s+)?(?:millions?|mio|mn|m)\)?\]?$/i, 1e6],
  [/(?:^|[\s_([/-])(?:in\s+)?(?:billions?|bn|b|g)\)?\]?$/i, 1e9],
  [/(?:^|[\s_([/-])(?:in\s+)?(?:trillions?|tn|t)\)?\]?$/i, 1e12],
  [/(?:^|[\s_([/-])(?:in\s+)?1e\+?(\d{1,2})\)?\]?$/i, NaN],
];

const NAME_SEPARATOR = /[\s_([/-]/;

/** The text without the characters `one` matches at its end; a loop, where /[…]+$/ would rescan every run of them. */
function trimEndOf(text: string, one: RegExp): string {
  let end = text.length;
  while (end > 0 && one.test(text[end - 1])) end--;
  return text.slice(0, end);
}

/**
 * The scale a key or column name puts on its numbers ("params_M" → 1e6, "tokens (B)" → 1e9,
 * "size in Million" → 1e6) and the name without it, or undefined when the name carries none.
 * The value's own suffix ("124M") wins over the name's; this is for bare numbers under a
 * scaled name, and only for counts (a "top_k" is not in thousands).
 */
export function nameUnit(name: string): { base: string; scale: number } | undefined {
  const trimmed = name.trim();
  for (const [pattern, scale] of NAME_SCALES) {
    const m = pattern.exec(trimmed);
    if (!m) continue;
    const base = trimEndOf(trimmed.slice(0, m.index), NAME_SEPARATOR);
    if (base === '') return undefined;
    return { base, scale: Number.isNaN(scale) ? 10 ** Number(m[1]) : scale };
  }
  return undefined;
}

export function nameScale(name: string): number | undefined {
  return nameUnit(name)?.scale;
}

/** A memory size in bytes: 4GB, 512MiB, 2e9 (bytes). */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*((?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?)\s*(?:([kmgt]?i?b)\s*)?$/i.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]) * (m[2] ? (BYTE_UNITS[m[2].toLowerCase()] ?? NaN) : 1);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Short human form: 1.3e+21, 30M, 13B. */
export function formatCount(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  for (const [limit, suffix] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']] as const) {
    if (abs >= limit && abs < limit * 1000) return `${+(x / limit).toPrecision(3)}${suffix}`;
  }
  return abs >= 1e15 || (abs < 1e-3 && abs > 0) ? x.toExponential(2) : `${+x.toPrecision(4)}`;
}

/** Bytes in decimal units: 512 B, 1.5 kB, 3.2 MB, 1.1 GB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  for (const [limit, unit] of [[1e12, 'TB'], [1e9, 'GB'], [1e6, 'MB'], [1e3, 'kB']] as const) {
    if (Math.abs(bytes) >= limit) return `${+(bytes / limit).toPrecision(3)} ${unit}`;
  }
  return `${Math.round(bytes)} B`;
}

/**
 * A difference with its sign to `decimals` places: +0.0012, -0.0012. A value that rounds to
 * zero carries no sign ("-0.0000" would say it is below zero).
 */
export function formatSigned(x: number, decimals: number): string {
  if (!Number.isFinite(x)) return String(x);
  const text = Math.abs(x).toFixed(decimals);
  if (Number(text) === 0) return text;
  return `${x < 0 ? '-' : '+'}${text}`;
}
