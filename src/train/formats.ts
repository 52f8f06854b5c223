// Number formats and training-precision specs ("w4a8kv4", "e4m3", "w:e4m3,a:int8,kv:off") as
// plain values: parsed, named and recorded without TensorFlow.js, so the CLI and the
// extension can validate a task before any trainer starts. quantize.ts applies them.

import type { PartPrecision } from '../runs/run';

export interface IntFormat {
  kind: 'int';
  bits: number;
}

export interface FloatFormat {
  kind: 'fp';
  name: string;
  /** Bits per value, sign included. */
  bits: number;
  mantissaBits: number;
  /** Exponent of the smallest normal number; below it values are subnormal (fixed spacing). */
  minExponent: number;
  /** Largest finite value. */
  max: number;
  /** Scale tensors so their absmax lands on `max`; false keeps values as they are (bf16). */
  scaled: boolean;
}

export type NumberFormat = IntFormat | FloatFormat;

/** Formats by name. e4m3 is the OCP "fn" variant (no infinities, max 448), e2m1 is OCP FP4. */
export const FLOAT_FORMATS: Readonly<Record<string, FloatFormat>> = Object.freeze({
  e4m3: { kind: 'fp', name: 'e4m3', bits: 8, mantissaBits: 3, minExponent: -6, max: 448, scaled: true },
  e5m2: { kind: 'fp', name: 'e5m2', bits: 8, mantissaBits: 2, minExponent: -14, max: 57344, scaled: true },
  e2m1: { kind: 'fp', name: 'e2m1', bits: 4, mantissaBits: 1, minExponent: 0, max: 6, scaled: true },
  bf16: { kind: 'fp', name: 'bf16', bits: 16, mantissaBits: 7, minExponent: -126, max: 3.3895313892515355e38, scaled: false },
});

export const MIN_INT_BITS = 2;
export const MAX_INT_BITS = 16;

/** "int8", "8", "e4m3", "bf16", "off"/"fp32" (no quantization: null). */
export function parseFormat(text: string): NumberFormat | null {
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === 'fp32' || t === 'none' || t === '32') return null;
  if (Object.hasOwn(FLOAT_FORMATS, t)) return FLOAT_FORMATS[t];
  const m = /^(?:int)?(\d+)$/.exec(t);
  if (m) {
    const bits = Number(m[1]);
    if (bits < MIN_INT_BITS || bits > MAX_INT_BITS) throw new Error(`integer bits must be ${MIN_INT_BITS} to ${MAX_INT_BITS}, got ${bits}`);
    return { kind: 'int', bits };
  }
  throw new Error(`unknown number format "${text}" (expected 2..16, int8, ${Object.keys(FLOAT_FORMATS).join(', ')}, or off)`);
}

export function formatName(format: NumberFormat | null): string {
  if (!format) return 'fp32';
  return format.kind === 'int' ? `int${format.bits}` : format.name;
}

/** The run-manifest record of a part's precision. */
export function partPrecision(format: NumberFormat | null): PartPrecision {
  if (!format) return { bits: 32, type: 'fp', name: 'fp32' };
  return format.kind === 'int' ? { bits: format.bits, type: 'int', name: `int${format.bits}` } : { bits: format.bits, type: 'fp', name: format.name };
}

/** Training precision of the three parts the paper quantizes; null = not quantized (fp32). */
export interface QuantSpec {
  w: NumberFormat | null;
  a: NumberFormat | null;
  kv: NumberFormat | null;
}

/**
 * "w4a8kv4", "w8a8" (kv follows the activations), "int8" / "e4m3" / "fp32" for all three,
 * or "w:e4m3,a:int8,kv:off" for any mix of formats.
 */
export function parseQuantSpec(text: string): QuantSpec {
  const t = text.trim().toLowerCase();
  const keyed = /^w[:=]([^,]+),a[:=]([^,]+),kv[:=]([^,]+)$/.exec(t);
  if (keyed) return { w: parseFormat(keyed[1]), a: parseFormat(keyed[2]), kv: parseFormat(keyed[3]) };
  const short = /^w(\d+)a(\d+)(?:kv(\d+))?$/.exec(t);
  if (short) {
    const [w, a, kv] = [short[1], short[2], short[3] ?? short[2]].map(parseFormat);
    return { w, a, kv };
  }
  const all = parseFormat(t);
  return { w: all, a: all, kv: all };
}

/** A short name for run directories: "w4a8kv4", "w3a32kv32" (32: not quantized), "fp32", "e4m3". */
export function quantSpecName(spec: QuantSpec): string {
  const parts = [spec.w, spec.a, spec.kv];
  const same = parts.every((f) => formatName(f) === formatName(parts[0]));
  if (same && parts[0]?.kind !== 'int') return formatName(parts[0]);
  const names = parts.map((f) => (f === null ? '32' : f.kind === 'int' ? String(f.bits) : f.name));
  return `w${names[0]}a${names[1]}kv${names[2]}`;
}
