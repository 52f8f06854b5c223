// The precision vocabulary: every way logs and configs name a number format, mapped to bits
// and number type in one table (documented in README, "Precision names").

import type { PartPrecision, TrainingPrecision } from './run';

const fp = (bits: number, name: string): PartPrecision => ({ bits, type: 'fp', name });
const int = (bits: number, name: string): PartPrecision => ({ bits, type: 'int', name });

/** Names (lower case, without a "torch." prefix) to bits and type. */
export const PRECISION_NAMES: Readonly<Record<string, PartPrecision>> = Object.freeze({
  fp64: fp(64, 'fp64'),
  float64: fp(64, 'fp64'),
  double: fp(64, 'fp64'),
  fp32: fp(32, 'fp32'),
  float32: fp(32, 'fp32'),
  float: fp(32, 'fp32'),
  // TF32 keeps fp32's 8 exponent bits and 10 mantissa bits: 19 bits of a 32-bit word.
  tf32: fp(19, 'tf32'),
  bf16: fp(16, 'bf16'),
  bfloat16: fp(16, 'bf16'),
  fp16: fp(16, 'fp16'),
  float16: fp(16, 'fp16'),
  half: fp(16, 'fp16'),
  fp8: fp(8, 'fp8'),
  e4m3: fp(8, 'e4m3'),
  e4m3fn: fp(8, 'e4m3'),
  e5m2: fp(8, 'e5m2'),
  fp6: fp(6, 'fp6'),
  e3m2: fp(6, 'e3m2'),
  e2m3: fp(6, 'e2m3'),
  fp4: fp(4, 'fp4'),
  e2m1: fp(4, 'e2m1'),
  // NF4 (QLoRA) is a 4-bit lookup format over normal quantiles: non-uniform, so "fp"-like.
  nf4: fp(4, 'nf4'),
  int8: int(8, 'int8'),
  uint8: int(8, 'int8'),
  int4: int(4, 'int4'),
  uint4: int(4, 'int4'),
  int2: int(2, 'int2'),
});

function normalise(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/^torch\./, '')
    .replace(/[-_ ]?bits?$/, '');
}

/** Bits alone: 16 and above are floating point (bf16/fp32), fewer are integer, as in the paper. */
export function precisionFromBits(bits: number): PartPrecision | undefined {
  if (!Number.isFinite(bits) || bits < 1 || bits > 64) return undefined;
  return { bits, type: bits >= 16 ? 'fp' : 'int' };
}

/** "bf16", "int8", "fp8_e4m3", "float8_e5m2", "8", "4-bit", 8 -> bits and type; undefined when unrecognised. */
export function parsePrecision(value: string | number): PartPrecision | undefined {
  if (typeof value === 'number') return precisionFromBits(value);
  const t = normalise(value);
  if (Object.hasOwn(PRECISION_NAMES, t)) return PRECISION_NAMES[t];
  const fp8 = /^(?:fp8|float8)[-_]?(e4m3fn|e4m3|e5m2)(?:fnuz|fn)?$/.exec(t);
  if (fp8) return PRECISION_NAMES[fp8[1]];
  const named = /^(u?int|fp|float|bfloat)(\d+)$/.exec(t);
  if (named) {
    const p = precisionFromBits(Number(named[2]));
    return p && { ...p, type: named[1].includes('int') ? 'int' : 'fp', name: t };
  }
  if (/^\d+(\.\d+)?$/.test(t)) return precisionFromBits(Number(t));
  return undefined;
}

/**
 * A training precision for all three parts: "w4a8kv4", "W8A8" (the KV cache follows the
 * activations when not named, as in most quantized-training papers), "w4a16", or one format
 * for everything ("bf16", "int8", 8).
 */
export function parseTrainingPrecision(value: string | number): TrainingPrecision | undefined {
  if (typeof value === 'string') {
    // Each space belongs to one quantifier only ("\s*[-_]?\s*" took seconds on a few thousand spaces).
    const m = /^\s*w(\d+)\s*(?:[-_]\s*)?a(\d+)(?:\s*(?:[-_]\s*)?kv(\d+))?\s*$/i.exec(value);
    if (m) {
      const w = precisionFromBits(Number(m[1]));
      const a = precisionFromBits(Number(m[2]));
      const kv = m[3] !== undefined ? precisionFromBits(Number(m[3])) : a;
      return w && a && kv ? { w, a, kv } : undefined;
    }
  }
  const one = parsePrecision(value);
  return one && { w: one, a: one, kv: one };
}
