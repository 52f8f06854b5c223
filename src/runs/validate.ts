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
