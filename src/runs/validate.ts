// Value checks shared by the log readers. Each returns the clean value or the Diagnostic that
// explains, naming the field, why the value cannot be used, so a reader can report and go on.

import type { Diagnostic, DiagnosticCode, Severity } from './diagnostics';

export function isDiagnostic(x: unknown): x is Diagnostic {
  return typeof x === 'object' && x !== null && 'severity' in x && 'message' in x && 'file' in x;
}

/** A value as a user would recognise it in their file, for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

export function diagnostic(
  file: string,
  line: number | undefined,
  field: string | undefined,
  message: string,
  severity: Severity = 'error',
  code: DiagnosticCode,
): Diagnostic {
  const d: Diagnostic = { file, message, severity, code };
  if (line !== undefined) d.line = line;
  if (field !== undefined) d.field = field;
  return d;
}

// Quoted numbers are the commonest wrong type in hand-written manifests; saying so saves a
// round trip. NaN and Infinity parse as numbers but are exactly what the check rejects.
function quotedNumberHint(value: unknown): string {
  if (typeof value !== 'string') return '';
  const n = Number(value.trim());
  return value.trim() !== '' && Number.isFinite(n) ? ' (write it as a number, without quotes)' : '';
}

function numberCheck(
  value: unknown,
  file: string,
  line: number | undefined,
  field: string,
  accept: (n: number) => boolean,
  wanted: string,
  severity: Severity,
): number | Diagnostic {
  if (typeof value === 'number' && Number.isFinite(value) && accept(value)) return value;
  // A bare NaN or Infinity (Python's json writes them) is said as what it is: "valLoss is NaN".
  if (typeof value === 'number' && !Number.isFinite(value)) return diagnostic(file, line, field, `${field} is ${value}`, severity, 'bad-value');
  return diagnostic(file, line, field, `${field} must be ${wanted}, got ${describeValue(value)}${quotedNumberHint(value)}`, severity, 'bad-value');
}

/** Counts, token totals and losses: finite and above zero. */
export function positiveFinite(
  value: unknown,
  file: string,
  line: number | undefined,
  field: string,
  severity: Severity = 'error',
): number | Diagnostic {
  return numberCheck(value, file, line, field, (n) => n > 0, 'a positive finite number', severity);
}

export function nonNegativeFinite(
  value: unknown,
  file: string,
  line: number | undefined,
  field: string,
  severity: Severity = 'error',
): number | Diagnostic {
  return numberCheck(value, file, line, field, (n) => n >= 0, 'a finite number ≥ 0', severity);
}

export function integer(
  value: unknown,
  file: string,
  line: number | undefined,
  field: string,
  severity: Severity = 'error',
): number | Diagnostic {
  return numberCheck(value, file, line, field, Number.isInteger, 'an integer', severity);
}

export const MIN_BITS = 1;
export const MAX_BITS = 64;

/** Bit widths of a number format. Fractional widths are allowed: block formats with shared scales have them. */
export function bitsInRange(
  value: unknown,
  file: string,
  line: number | undefined,
  field: string,
  severity: Severity = 'error',
  min = MIN_BITS,
  max = MAX_BITS,
): number | Diagnostic {
  return numberCheck(value, file, line, field, (n) => n >= min && n <= max, `a number of bits from ${min} to ${max}`, severity);
}

export function oneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  file: string,
  line: number | undefined,
  field: string,
  severity: Severity = 'error',
): T | Diagnostic {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const list = allowed.map((a) => JSON.stringify(a)).join(', ');
  return diagnostic(file, line, field, `${field} must be one of ${list}, got ${describeValue(value)}`, severity, 'bad-value');
}

export function nonEmptyString(
  value: unknown,
  file: string,
  line: number | undefined,
  field: string,
  severity: Severity = 'error',
): string | Diagnostic {
  if (typeof value === 'string' && value.trim() !== '') return value;
  return diagnostic(file, line, field, `${field} must be a non-empty string, got ${describeValue(value)}`, severity, 'bad-value');
}

// ---------------------------------------------------------------------------------------------
// Plausible run values: the one definition the readers (facts, tables) and the fit share.

/** Below this a "parameter count" is a model size in other units, or not a model. */
export const MIN_PLAUSIBLE_PARAMS = 1e3;
/**
 * Above this a parameter count is a misreading (a byte count, a unit slip): the largest models
 * trained have about 1e12 parameters, and N^-alpha at 1e300 parameters underflows to 0.
 */
export const MAX_PLAUSIBLE_PARAMS = 1e15;
/** A model trained on fewer tokens than N/1000 has not been trained; such a D is a misreading. */
export const MIN_TOKENS_PER_PARAM = 1e-3;
/** More training tokens than this is no corpus (the largest runs see about 2e13): a misreading. */
export const MAX_PLAUSIBLE_TOKENS = 1e17;
/**
 * A cross-entropy loss in nats per token at or above this is no trained model's: ln(vocabulary)
 * is below 12 for every tokenizer in use, so 20 is a perplexity or a loss summed over a sequence.
 */
export const MAX_PLAUSIBLE_LOSS = 20;
/**
 * A validation loss below this (a probability above 0.999 for every next token) is no language
 * model's: it is another metric, or an underflow (5e-324). It is also the least irreducible
 * loss E the fit allows, so such a point could not be fitted anyway.
 */
export const MIN_PLAUSIBLE_LOSS = 1e-3;

/** A fault in one of a run's values, as the fit reports it: which field, the value, and why. */
export interface ValueFault {
  field: 'params' | 'tokens' | 'finalLoss' | 'precision';
  value: number;
  /** 'bad-value' for NaN, infinities and values at or below zero; 'implausible' for finite values out of range. */
  code: DiagnosticCode;
  /** "loss 5e-324 is below 0.001 nats per token: not a plausible validation loss". */
  reason: string;
}

/** A number as it was read, short: 5e-324, 1e+308, NaN, 3.2065. */
const shown = (x: number): string => (Number.isFinite(x) ? String(+x.toPrecision(6)) : String(x));

/** Why a loss in nats per token cannot be a model's validation loss, or undefined when it can. */
export function lossFault(loss: number, label = 'loss'): Omit<ValueFault, 'field'> | undefined {
  if (!Number.isFinite(loss) || loss <= 0) return { value: loss, code: 'bad-value', reason: `${label} ${shown(loss)} is not a positive finite number` };
  if (loss < MIN_PLAUSIBLE_LOSS) return { value: loss, code: 'implausible', reason: `${label} ${shown(loss)} is below ${MIN_PLAUSIBLE_LOSS} nats per token: not a plausible validation loss` };
  if (loss >= MAX_PLAUSIBLE_LOSS) return { value: loss, code: 'implausible', reason: `${label} ${shown(loss)} is not below ${MAX_PLAUSIBLE_LOSS} nats per token: not a plausible validation loss (a perplexity, or a sum over a sequence?)` };
  return undefined;
}

/** Why a bit width cannot be a number format's, or undefined when it can. */
export function bitsFault(bits: number, label: string): Omit<ValueFault, 'field'> | undefined {
  if (!Number.isFinite(bits)) return { value: bits, code: 'bad-value', reason: `${label} ${shown(bits)} is not a finite number of bits` };
  if (bits < MIN_BITS || bits > MAX_BITS) return { value: bits, code: 'implausible', reason: `${label} ${shown(bits)} is not a number of bits from ${MIN_BITS} to ${MAX_BITS}` };
  return undefined;
}

/**
 * The first value of a run that cannot be what it claims (N, then D, the training precision, the
 * final loss), or undefined. N and D must be positive finite counts within the bounds above.
 */
export function runValueFault(run: { params: number; tokens: number; finalLoss: number; precision: { w: number; a: number; kv: number } }): ValueFault | undefined {
  const { params: n, tokens: d } = run;
  if (!Number.isFinite(n) || n <= 0) return { field: 'params', value: n, code: 'bad-value', reason: `N ${shown(n)} is not a positive finite parameter count` };
  if (n < MIN_PLAUSIBLE_PARAMS) return { field: 'params', value: n, code: 'implausible', reason: `N ${shown(n)} is fewer parameters than any language model has (under ${MIN_PLAUSIBLE_PARAMS})` };
  if (n > MAX_PLAUSIBLE_PARAMS) return { field: 'params', value: n, code: 'implausible', reason: `N ${shown(n)} is more parameters than any model has (over ${MAX_PLAUSIBLE_PARAMS})` };
  if (!Number.isFinite(d) || d <= 0) return { field: 'tokens', value: d, code: 'bad-value', reason: `D ${shown(d)} is not a positive finite token count` };
  if (d < n * MIN_TOKENS_PER_PARAM) return { field: 'tokens', value: d, code: 'implausible', reason: `D ${shown(d)} tokens is under N/1000 for N = ${shown(n)}: too few to be the training tokens` };
  if (d > MAX_PLAUSIBLE_TOKENS) return { field: 'tokens', value: d, code: 'implausible', reason: `D ${shown(d)} tokens is more than any corpus holds (over ${MAX_PLAUSIBLE_TOKENS})` };
  for (const part of ['w', 'a', 'kv'] as const) {
    const fault = bitsFault(run.precision[part], `${part === 'w' ? 'weight' : part === 'a' ? 'activation' : 'KV-cache'} precision`);
    if (fault) return { field: 'precision', ...fault };
  }
  const loss = lossFault(run.finalLoss);
  return loss ? { field: 'finalLoss', ...loss } : undefined;
}
