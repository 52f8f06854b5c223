// Reading the dashboard's number fields: what each accepts, and the words shown when a field
// refuses what was typed. No DOM here, so it is tested beside the host code.

import { INPUT_MAX, type NumericInput } from './protocol';

/** What each field accepts, in the words shown under it when it refuses an entry. */
export const ACCEPTED: Readonly<Record<NumericInput, string>> = {
  compute: 'A positive number of FLOPs, like 1e21 or 3e22 FLOPs',
  params: 'A positive number of parameters, like 1B, 350M or 1.3e9',
  tokens: 'A positive number of tokens, like 20B, 300K or 2e10',
  post: 'A positive number of bits, like 4 or 8',
  planPrecision: 'A positive number of bits, like 8 or 16',
  planParams: 'A positive number of parameters, like 1B, 350M or 1.3e9',
  planMemoryGB: 'A positive number of gigabytes, like 4 or 0.5',
};

const UNIT: Readonly<Record<NumericInput, string>> = {
  compute: 'FLOPs',
  params: 'parameters',
  tokens: 'tokens',
  post: 'bits',
  planPrecision: 'bits',
  planParams: 'parameters',
  planMemoryGB: 'GB',
};

const SUFFIX: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9, g: 1e9, t: 1e12 };

/** "1e21", "3e22 FLOPs", "350M", "1.5k": a positive finite number, or undefined. */
export function parseNumber(text: string): number | undefined {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmbgt]?)\s*(flops?)?\s*$/i.exec(text);
  if (!m) return undefined;
  const v = Number(m[1]) * (m[2] ? SUFFIX[m[2].toLowerCase()] : 1);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/** The field's value, or the message saying what it accepts (and its limit, when over it). */
export function readField(key: NumericInput, text: string): { ok: true; value: number } | { ok: false; message: string } {
  const value = parseNumber(text);
  if (value === undefined) return { ok: false, message: ACCEPTED[key] };
  const max = INPUT_MAX[key];
  if (value > max) return { ok: false, message: `At most ${max >= 1e6 ? max.toExponential().replace('e+', 'e') : max} ${UNIT[key]}. ${ACCEPTED[key]}` };
  return { ok: true, value };
}
