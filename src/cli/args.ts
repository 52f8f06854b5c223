// Shared option parsing for the CLI commands.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { COST_MODELS, type CostModel, costModelById, DEFAULT_COST_MODEL, throughputCostModel } from '../law/cost';
import { type Format, parseFormats } from '../law/formats';
import type { Precision } from '../law/law';
import { parsePrecision } from '../runs/precision';
import { CliError } from './errors';
import { parseQuantity } from '../runs/quantity';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Transient progress for long work (a terminal status line); absent when nobody watches. */
  progress?(text: string): void;
}

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  preset: { type: 'string' },
  fit: { type: 'string' },
  'cost-model': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>;

export const PRECISION_OPTIONS = {
  precision: { type: 'string', short: 'p' },
  weights: { type: 'string' },
  activations: { type: 'string' },
  kv: { type: 'string' },
} as const satisfies Record<string, OptionSpec>;

/** A token that is a negative number ("-1", "-2.5e3"), not an option. */
const NEGATIVE_NUMBER = /^-(?:\d|\.\d)/;

/**
 * The option a token names, when it takes a value and has none attached ("--compute", "-c"; not
 * "--compute=1e21" or "-c1e21").
 */
function valueOption(token: string, options: Record<string, OptionSpec>): string | undefined {
  if (token.startsWith('--')) {
    const name = token.slice(2);
    return options[name]?.type === 'string' ? name : undefined;
  }
  if (/^-[^-]$/.test(token)) return Object.keys(options).find((name) => options[name].short === token[1] && options[name].type === 'string');
  return undefined;
}

/**
 * parseArgs takes "--compute -1" for an option missing its value ("argument is ambiguous"). A
 * negative number after an option that takes a value is that option's value, joined here as
 * "--compute=-1" so the option's own check can say what it accepts.
 */
function joinNegativeValues(argv: readonly string[], options: Record<string, OptionSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = valueOption(token, options);
    const next = argv[i + 1];
    if (name !== undefined && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(token);
  }
  return out;
}

/** parseArgs' messages, for the errors a user meets, in this CLI's form: the flag first, then what to do. */
function usageMessage(error: Error & { code?: string }, argv: readonly string[], options: Record<string, OptionSpec>): string {
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const named = /Option '(?:-\w, )?(--?[^ ',]+)/.exec(error.message)?.[1];
    const long = named?.startsWith('--') ? named.slice(2) : named && valueOption(named, options);
    const flag = long ? `--${long}` : undefined;
    if (flag && /ambiguous/.test(error.message)) {
      const at = argv.findIndex((token) => valueOption(token, options) === flag.slice(2));
      const next = at >= 0 ? argv[at + 1] : undefined;
      return `${flag} needs a value, but ${next !== undefined ? `"${next}"` : 'the next word'} starts with "-" and reads as an option; give the value after it (${flag} VALUE) or joined to it (${flag}=VALUE)`;
    }
    if (flag && /argument missing/.test(error.message)) return `${flag} needs a value (${flag} VALUE or ${flag}=VALUE)`;
  }
  return error.message;
}

export function parse<T extends Record<string, OptionSpec>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals });
  } catch (error) {
    throw new CliError(usageMessage(error as Error, argv, options), 2);
  }
}

export function quantity(value: string | undefined, flag: string, required: true): number;
export function quantity(value: string | undefined, flag: string, required?: false): number | undefined;
export function quantity(value: string | undefined, flag: string, required = false): number | undefined {
  if (value === undefined) {
    if (required) throw new CliError(`--${flag} is required`, 2);
    return undefined;
  }
  const n = parseQuantity(value);
  if (n === undefined) {
    const negative = NEGATIVE_NUMBER.test(value.trim()) ? `; a negative number is not a valid --${flag}` : '';
    throw new CliError(`--${flag}: "${value}" is not a positive number${negative} (give one such as 1e21, 13B or 30M: --${flag} 1e21 or --${flag}=1e21)`, 2);
  }
  return n;
}

export function bits(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const p = parsePrecision(value);
  if (!p) throw new CliError(`--${flag}: "${value}" is not a precision (bits such as 8, or bf16, fp8, int4, ...)`, 2);
  return p.bits;
}

/** --precision sets all parts; --weights/--activations/--kv override single parts. Default 16 bits. */
export function precisionFrom(values: { precision?: string; weights?: string; activations?: string; kv?: string }): Precision {
  const all = bits(values.precision, 'precision') ?? 16;
  return {
    w: bits(values.weights, 'weights') ?? all,
    a: bits(values.activations, 'activations') ?? all,
    kv: bits(values.kv, 'kv') ?? all,
  };
}

/**
 * --cost-model: a built-in id (bits-linear, 6nd), inline JSON of relative speeds per format
 * ('{"bf16": 1, "fp8": 1.8, "int4": 3}'), or a JSON file holding that object. Errors name the
 * file and the field.
 */
export function costModel(value: string | undefined): CostModel {
  if (value === undefined) return DEFAULT_COST_MODEL;
  if (Object.hasOwn(COST_MODELS, value)) return costModelById(value);
  const inline = value.trim().startsWith('{');
  const where = inline ? '--cost-model (inline JSON)' : `--cost-model ${value}`;
  let text = value;
  if (!inline) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : (error as Error).message;
      throw new CliError(`--cost-model: "${value}" is neither a built-in cost model (${Object.keys(COST_MODELS).join(', ')}) nor a readable JSON file (${why})`, 2);
    }
  }
  let table: unknown;
  try {
    table = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${where}: not valid JSON (${(error as Error).message})`, 2);
  }
  const r = throughputCostModel(table, inline ? 'table' : `table:${value}`);
  if (!r.ok) throw new CliError(`${where}: ${r.message}`, 2);
  return r.model;
}

/** --formats: the realizable formats plans choose among ("16,8,6,4", "bf16,fp8,int4"); undefined: the default set. */
export function formats(value: string | undefined): Format[] | undefined {
  if (value === undefined) return undefined;
  const r = parseFormats(value);
  if (!r.ok) throw new CliError(`--formats: ${r.message}`, 2);
  return r.formats;
}

export function integer(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--${flag}: "${value}" is not a non-negative integer`, 2);
  return n;
}

export const fmt = (x: number, digits = 4): string => (Number.isFinite(x) ? String(+x.toPrecision(digits)) : String(x));
export const precisionLabel = (p: Precision): string =>
  p.w === p.a && p.a === p.kv ? `${fmt(p.w, 3)}-bit` : `w${fmt(p.w, 3)} a${fmt(p.a, 3)} kv${fmt(p.kv, 3)}`;
