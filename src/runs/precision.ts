// Precision names people write, mapped to bits and number type, in one table.

import type { PartPrecision } from './run';

export const PRECISION_NAMES: Readonly<Record<string, PartPrecision>> = Object.freeze({
  fp64: { bits: 64, type: 'fp', name: 'fp64' },
  fp32: { bits: 32, type: 'fp', name: 'fp32' },
  tf32: { bits: 19, type: 'fp', name: 'tf32' },
  bf16: { bits: 16, type: 'fp', name: 'bf16' },
  fp16: { bits: 16, type: 'fp', name: 'fp16' },
  fp8: { bits: 8, type: 'fp', name: 'fp8' },
  e4m3: { bits: 8, type: 'fp', name: 'e4m3' },
  e5m2: { bits: 8, type: 'fp', name: 'e5m2' },
  fp6: { bits: 6, type: 'fp', name: 'fp6' },
  fp4: { bits: 4, type: 'fp', name: 'fp4' },
  e2m1: { bits: 4, type: 'fp', name: 'e2m1' },
  nf4: { bits: 4, type: 'fp', name: 'nf4' },
});

/** "bf16", "int8", "fp8_e4m3", "8", "4-bit" -> bits and type; undefined when unrecognised. */
export function parsePrecision(text: string): PartPrecision | undefined {
  const t = text.trim().toLowerCase().replace(/^torch\./, '').replace(/[-_ ]?bits?$/, '');
  if (PRECISION_NAMES[t]) return PRECISION_NAMES[t];
  const fp8 = /^(?:fp8|float8)[-_]?(e4m3|e5m2)/.exec(t);
  if (fp8) return PRECISION_NAMES[fp8[1]];
  const named = /^(int|uint|fp|float|bfloat)(\d+)$/.exec(t);
  if (named) {
    const bits = Number(named[2]);
    if (bits >= 1 && bits <= 64) return { bits, type: named[1].includes('int') ? 'int' : 'fp', name: t };
  }
  if (/^\d+(\.\d+)?$/.test(t)) {
    const bits = Number(t);
    if (bits >= 1 && bits <= 64) return { bits, type: bits >= 16 ? 'fp' : 'int' };
  }
  return undefined;
}
