// The scalar element formats of the OCP Microscaling Formats (MX) v1.0 specification, and
// round-to-nearest-even onto them. Pure numbers, no TensorFlow.js: mx.ts builds the block
// formats on top, and the tests check every element value against the spec's bit encodings.
//
// FP elements (spec 5.3): sign, e exponent bits with bias 2^(e-1) - 1, m mantissa bits; exponent
// field 0 holds the subnormals (spacing 2^(emin - m)). E2M1, E2M3 and E3M2 have no Inf/NaN, so
// their top exponent field is an ordinary binade. E4M3 is the OCP FP8 "fn" variant: only
// S.1111.111 is NaN, so the top binade stops one mantissa step short (448). E5M2 is IEEE-like:
// the top exponent field is Inf/NaN.
//
// INT elements: the spec defines MXINT8 only, as 8-bit two's complement with an implicit scale
// of 2^-6 (values k * 2^-6, the largest normal exponent emax_elem = 0). We build MXINT6 and
// MXINT4 the same way: b-bit elements k * 2^-(b-2) with k symmetric in
// [-(2^(b-1) - 1), 2^(b-1) - 1]. The most negative code (-2^(b-1), i.e. -2.0) is not used, so
// the grid is symmetric like the absmax integer quantizers it is compared with.

export type ElementName = 'e4m3' | 'e5m2' | 'e3m2' | 'e2m3' | 'e2m1' | 'int8' | 'int6' | 'int4';

export interface FloatElement {
  kind: 'fp';
  name: ElementName;
  /** Bits per element, sign included. */
  bits: number;
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  /** Exponent of the smallest normal number (emin); subnormals share its spacing. */
  minExponent: number;
  /** Exponent of the largest normal number (emax_elem of the spec's scale rule). */
  maxExponent: number;
  /** Largest finite magnitude: where conversion saturates. */
  max: number;
}

export interface IntElement {
  kind: 'int';
  name: ElementName;
  bits: number;
  /** emax_elem: the implicit scale puts the top level in [1, 2), the binade of 2^0. */
  maxExponent: 0;
  /** Spacing of the grid, the implicit scale 2^-(bits-2). */
  step: number;
  /** Largest integer code, 2^(bits-1) - 1. */
  maxLevel: number;
  /** Largest magnitude, maxLevel * step. */
  max: number;
}

export type ElementFormat = FloatElement | IntElement;

/** Which codes of the top exponent field are not numbers. */
type TopBinade = 'numbers' | 'last-code-nan' | 'inf-nan';

function floatElement(name: ElementName, exponentBits: number, mantissaBits: number, top: TopBinade): FloatElement {
  const bias = 2 ** (exponentBits - 1) - 1;
  const topField = 2 ** exponentBits - 1;
  const maxExponent = (top === 'inf-nan' ? topField - 1 : topField) - bias;
  const topMantissa = 2 ** mantissaBits - (top === 'last-code-nan' ? 2 : 1);
  return {
    kind: 'fp',
    name,
    bits: 1 + exponentBits + mantissaBits,
    exponentBits,
    mantissaBits,
    bias,
    minExponent: 1 - bias,
    maxExponent,
    max: 2 ** maxExponent * (1 + topMantissa / 2 ** mantissaBits),
  };
}

function intElement(name: ElementName, bits: number): IntElement {
  const step = 2 ** -(bits - 2);
  const maxLevel = 2 ** (bits - 1) - 1;
  return { kind: 'int', name, bits, maxExponent: 0, step, maxLevel, max: maxLevel * step };
}

export const ELEMENT_FORMATS: Readonly<Record<ElementName, ElementFormat>> = Object.freeze({
  e4m3: floatElement('e4m3', 4, 3, 'last-code-nan'),
  e5m2: floatElement('e5m2', 5, 2, 'inf-nan'),
  e3m2: floatElement('e3m2', 3, 2, 'numbers'),
  e2m3: floatElement('e2m3', 2, 3, 'numbers'),
  e2m1: floatElement('e2m1', 2, 1, 'numbers'),
  int8: intElement('int8', 8),
  int6: intElement('int6', 6),
  int4: intElement('int4', 4),
});

/**
 * floor(log2(a)) for a positive finite number, exactly: Math.log2 may round a value just
 * below a power of two up to it, and the scale rule must not move a block into the wrong binade.
 */
export function floorLog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  return e;
}

/** Nearest integer to a non-negative number, ties to the even one (IEEE roundTiesToEven). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The element value nearest to y, ties to even, magnitudes beyond the largest finite value
 * saturated to it (the spec's conversion clamps normal numbers instead of overflowing).
 * The sign is kept, -0 included (every element format has a signed zero). NaN and ±Inf give
 * NaN: only E4M3 (NaN) and E5M2 (Inf, NaN) could encode them, and block conversion never gets
 * here with them (mx.ts turns the whole block into NaN first).
 */
export function roundToElement(y: number, element: ElementFormat): number {
  if (!Number.isFinite(y)) return NaN;
  const a = Math.abs(y);
  const r = Math.min(roundMagnitude(a, element), element.max);
  return y < 0 || Object.is(y, -0) ? -r : r;
}

/** Rounds a non-negative magnitude onto the element grid (no saturation). */
function roundMagnitude(a: number, element: ElementFormat): number {
  if (element.kind === 'int') return roundHalfEven(a / element.step) * element.step;
  if (a === 0) return 0;
  // Within the binade of a, the grid spacing is 2^(e - m); below the smallest normal the
  // spacing stays that of emin (subnormals). a / spacing is exact (a power of two), and for
  // normals the parity of the quotient is the parity of the mantissa field, so rounding the
  // quotient half-to-even is the format's roundTiesToEven, carries into the next binade included.
  const e = Math.max(floorLog2(a), element.minExponent);
  const spacing = 2 ** (e - element.mantissaBits);
  return roundHalfEven(a / spacing) * spacing;
}
