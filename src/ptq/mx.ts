// Every weight format the PTQ predictor compares (Xu et al. 2024, LAW.md §8), as
// quantize-dequantize on a plain Float32Array: the OCP Microscaling (MX) v1.0 block formats and
// the symmetric integer round-to-nearest the trainer's own PTQ uses (src/train/ptq.ts), with its
// SQNR and its storage cost in bits per weight. Pure and synchronous: no TensorFlow.js, so the
// CLI, the extension host and the tests can score a checkpoint's weights without a backend.
//
// Weights are row-major [in, out] (rows = in, cols = out), as the trainer stores linear layers.
// Every scale is shared along `in` within one output column: the reduction axis of the matmul,
// so a dot product meets one scale per block.
//
// MX (spec section 6.3, Algorithm 1): a block of k inputs V_i shares the E8M0 scale
//     X = 2^(floor(log2(max_i |V_i|)) - emax_elem)
// (emax_elem: exponent of the element format's largest normal number), and each element is
// P_i = V_i / X rounded to nearest-even in the element format, normal numbers beyond its range
// clamped to its largest value. The scale maps the block's largest exponent onto the element's
// top binade, which overshoots the largest value in most formats (E2M1's binade [4, 8) stops at
// 6): a block maximum with a large mantissa saturates. That loss is the spec's, kept on purpose.
// The spec's block size is 32; 16, 64 and 128 are the same construction.
//
// Special values, as we resolve them:
// - E8M0 holds 2^-127 .. 2^127 and NaN (0xFF), no zero and no Inf. A block whose scale
//   exponent falls below -127 (tiny weights) takes 2^-127, so its elements round towards zero;
//   one above 127 cannot occur for float32 input (max exponent 127, emax_elem >= 0).
// - An all-zero block has log2(0) = -inf: any scale encodes it, we take 2^-127 and the zeros
//   (signs kept) come out unchanged.
// - NaN or ±Inf in a block: max |V_i| is then not finite, so X is not a power of two E8M0 can
//   hold. The spec's NaN encoding is X = NaN, which makes every element of the block NaN
//   (elements cannot carry the value instead: E2M1/E2M3/E3M2 and the integers have no NaN or
//   Inf, E4M3 no Inf). So the whole block dequantizes to NaN, for every element format; the
//   reference implementation (microsoft/microxcaling) does the same. The integer formats
//   follow the same rule for their group or channel: a NaN scale makes it all NaN.
// - Rounding is ties-to-even (IEEE roundTiesToEven), for integer elements too.
//
// Integer RTN: b bits give the levels -(2^(b-1)-1) .. 2^(b-1)-1 times a scale that maps the
// absolute maximum of the group (g weights along `in`) or of the whole output channel onto the
// top level. Scales are kept in double precision here; the bit count charges 16 bits (an fp16
// scale), whose rounding would move the SQNR by less than 0.01 dB.

import { ELEMENT_FORMATS, floorLog2, roundHalfEven, roundToElement, type ElementFormat, type ElementName } from './elements';

export { ELEMENT_FORMATS, roundToElement, type ElementFormat, type ElementName } from './elements';

/** Exponent range of the E8M0 shared scale (the code 0xFF is NaN). */
export const E8M0_MIN_EXPONENT = -127;
export const E8M0_MAX_EXPONENT = 127;

export const MX_BLOCK_SIZES = [16, 32, 64, 128] as const;
export type MxBlockSize = (typeof MX_BLOCK_SIZES)[number];
/** The spec's block size; names leave it out ("mxfp4" is block 32). */
export const MX_DEFAULT_BLOCK_SIZE: MxBlockSize = 32;

/** Bits of one stored integer-quantizer scale (fp16). */
export const INT_SCALE_BITS = 16;
/** Bits of one E8M0 shared scale. */
export const MX_SCALE_BITS = 8;

export const MIN_INT_BITS = 2;
export const MAX_INT_BITS = 16;

export interface MxFormat {
  kind: 'mx';
  /** "mxfp4", "mxfp6-e2m3", "mxint8-b64", ... */
  name: string;
  element: ElementFormat;
  blockSize: MxBlockSize;
}

/** Symmetric integer RTN, one absmax scale per `groupSize` weights along `in`. */
export interface IntGroupFormat {
  kind: 'int-group';
  /** "int4-g128" */
  name: string;
  bits: number;
  groupSize: number;
}

/** Symmetric integer RTN, one absmax scale per output channel. */
export interface IntChannelFormat {
  kind: 'int-channel';
  /** "int4-channel" */
  name: string;
  bits: number;
}

export type WeightFormat = MxFormat | IntGroupFormat | IntChannelFormat;

/** Family names of the MX formats by element; MXFP8 and MXFP6 name their element when ambiguous. */
const MX_FAMILY: Readonly<Record<ElementName, string>> = {
  e4m3: 'mxfp8',
  e5m2: 'mxfp8-e5m2',
  e3m2: 'mxfp6-e3m2',
  e2m3: 'mxfp6-e2m3',
  e2m1: 'mxfp4',
  int8: 'mxint8',
  int6: 'mxint6',
  int4: 'mxint4',
};

/** Names accepted besides the canonical ones: the element spelled out where it is the default. */
const MX_ALIASES: Readonly<Record<string, ElementName>> = { 'mxfp8-e4m3': 'e4m3', 'mxfp4-e2m1': 'e2m1' };

function isMxBlockSize(k: number): k is MxBlockSize {
  return (MX_BLOCK_SIZES as readonly number[]).includes(k);
}

export function mxFormat(element: ElementName, blockSize: number = MX_DEFAULT_BLOCK_SIZE): MxFormat {
  if (!isMxBlockSize(blockSize)) throw new Error(`MX block size must be one of ${MX_BLOCK_SIZES.join(', ')}, got ${blockSize}`);
  const suffix = blockSize === MX_DEFAULT_BLOCK_SIZE ? '' : `-b${blockSize}`;
  return { kind: 'mx', name: `${MX_FAMILY[element]}${suffix}`, element: ELEMENT_FORMATS[element], blockSize };
}

function checkIntBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < MIN_INT_BITS || bits > MAX_INT_BITS) {
    throw new Error(`integer bits must be ${MIN_INT_BITS} to ${MAX_INT_BITS}, got ${bits}`);
  }
}

export function intGroupFormat(bits: number, groupSize: number): IntGroupFormat {
  checkIntBits(bits);
  if (!Number.isInteger(groupSize) || groupSize < 1) throw new Error(`group size must be a positive integer, got ${groupSize}`);
  return { kind: 'int-group', name: `int${bits}-g${groupSize}`, bits, groupSize };
}

export function intChannelFormat(bits: number): IntChannelFormat {
  checkIntBits(bits);
  return { kind: 'int-channel', name: `int${bits}-channel`, bits };
}

function parseMxFamily(family: string): ElementName | undefined {
  if (Object.hasOwn(MX_ALIASES, family)) return MX_ALIASES[family];
  return (Object.keys(MX_FAMILY) as ElementName[]).find((e) => MX_FAMILY[e] === family);
}

/**
 * "mxfp4", "mxfp6-e2m3", "mxfp6-e3m2", "mxfp8" (E4M3), "mxfp8-e5m2", "mxint8", "mxint6",
 * "mxint4", each with an optional block size "-b16" / "-b64" / "-b128" (default 32);
 * "int4-g128" (groups of 128 along the input dimension), "int4-channel" or "int4" (per output
 * channel). Bare "mxfp6" is refused: its two element types differ by several dB of SQNR.
 */
export function parseWeightFormat(text: string): WeightFormat {
  const t = text.trim().toLowerCase();
  const mx = /^(mx(?:fp|int)\d+(?:-e\dm\d)?)(?:-b(\d+))?$/.exec(t);
  if (mx) {
    if (mx[1] === 'mxfp6') throw new Error('"mxfp6" is ambiguous: say mxfp6-e2m3 or mxfp6-e3m2');
    const element = parseMxFamily(mx[1]);
    if (element) return mxFormat(element, mx[2] === undefined ? MX_DEFAULT_BLOCK_SIZE : Number(mx[2]));
  }
  const int = /^int(\d+)(?:-(?:g(\d+)|(channel)))?$/.exec(t);
  if (int) return int[2] === undefined ? intChannelFormat(Number(int[1])) : intGroupFormat(Number(int[1]), Number(int[2]));
  throw new Error(`unknown weight format "${text}" (expected ${Object.values(MX_FAMILY).join(', ')} [-b16|-b64|-b128], intB-gG or intB-channel)`);
}

/** Bits of one stored element (one weight without its share of the scale). */
export function elementBits(format: WeightFormat): number {
  return format.kind === 'mx' ? format.element.bits : format.bits;
}

/** Weights sharing one scale along `in`; 0 for one scale per output channel. */
export function scaleBlockSize(format: WeightFormat): number {
  if (format.kind === 'mx') return format.blockSize;
  return format.kind === 'int-group' ? format.groupSize : 0;
}

/**
 * Storage per weight of a [rows, cols] matrix, scales included: element bits plus the scale
 * bits over the weights that share them. A column of `rows` inputs holds ceil(rows / k) scales,
 * so when k divides rows this is bits + 8/k (MX), bits + 16/g (groups), bits + 16/rows
 * (per channel); a short last block is charged a whole scale.
 */
export function bitsPerWeight(format: WeightFormat, rows: number): number {
  checkDimension('rows', rows);
  const scaleBits = format.kind === 'mx' ? MX_SCALE_BITS : INT_SCALE_BITS;
  const block = scaleBlockSize(format) || rows;
  return elementBits(format) + (scaleBits * Math.ceil(rows / block)) / rows;
}

/**
 * The E8M0 scale exponent of a block with absolute maximum `amax` (spec 6.3):
 * floor(log2(amax)) - emax_elem, raised to -127 when below E8M0's range. NaN when amax is not
 * finite (the block held a NaN or an Inf) or the exponent overflows E8M0.
 */
export function mxSharedExponent(amax: number, element: ElementFormat): number {
  if (!Number.isFinite(amax)) return NaN;
  if (amax === 0) return E8M0_MIN_EXPONENT;
  const e = floorLog2(amax) - element.maxExponent;
  if (e > E8M0_MAX_EXPONENT) return NaN;
  return Math.max(e, E8M0_MIN_EXPONENT);
}

/** How one group of weights sharing a scale is quantized: its scale, then each weight. */
interface ScaleRule {
  /** The group's scale from its absolute maximum (Infinity when it holds a NaN or Inf). */
  scale(amax: number): number;
  /** One weight, quantized and dequantized with its group's scale. */
  apply(x: number, scale: number): number;
}

function mxRule(element: ElementFormat): ScaleRule {
  return {
    scale: (amax) => 2 ** mxSharedExponent(amax, element),
    // Dividing by a power of two is exact, so the element sees V_i / X itself.
    apply: (x, scale) => scale * roundToElement(x / scale, element),
  };
}

function intRule(bits: number): ScaleRule {
  const top = 2 ** (bits - 1) - 1;
  return {
    // An all-zero group has no scale; any positive one leaves its zeros at zero.
    scale: (amax) => (!Number.isFinite(amax) ? NaN : amax === 0 ? 1 : amax / top),
    apply: (x, scale) => {
      const level = Math.min(roundHalfEven(Math.abs(x) / scale), top);
      return scale * (x < 0 ? -level : level);
    },
  };
}

function checkDimension(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${n}`);
}

/**
 * Absolute maximum of each column over rows [r0, r1). A NaN or Inf counts as Infinity, so it
 * wins the maximum and marks the group (Math.max would let a NaN vanish or poison silently).
 */
function columnAbsMax(w: Float32Array, cols: number, r0: number, r1: number): Float64Array {
  const amax = new Float64Array(cols);
  for (let r = r0; r < r1; r++) {
    const row = r * cols;
    for (let j = 0; j < cols; j++) {
      const x = w[row + j];
      const a = Number.isFinite(x) ? Math.abs(x) : Infinity;
      if (a > amax[j]) amax[j] = a;
    }
  }
  return amax;
}

/** Quantize-dequantize with one scale per `groupRows` consecutive rows of each column. */
function quantizeGroups(w: Float32Array, rows: number, cols: number, groupRows: number, rule: ScaleRule): Float32Array {
  const out = new Float32Array(w.length);
  // Walk a band of rows at a time: contiguous reads, one scale per column of the band.
  for (let r0 = 0; r0 < rows; r0 += groupRows) {
    const r1 = Math.min(rows, r0 + groupRows);
    const scales = columnAbsMax(w, cols, r0, r1).map((amax) => rule.scale(amax));
    for (let r = r0; r < r1; r++) {
      const row = r * cols;
      for (let j = 0; j < cols; j++) out[row + j] = rule.apply(w[row + j], scales[j]);
    }
  }
  return out;
}

/**
 * The weights after quantizing to `format` and back. A block or group that does not divide
 * `rows` leaves a shorter last one (as zero padding would: zeros do not move the maximum).
 */
export function quantizeDequantize(weights: Float32Array, rows: number, cols: number, format: WeightFormat): Float32Array {
  checkDimension('rows', rows);
  checkDimension('cols', cols);
  if (weights.length !== rows * cols) throw new Error(`weights hold ${weights.length} values, not rows * cols = ${rows} * ${cols}`);
  switch (format.kind) {
    case 'mx':
      return quantizeGroups(weights, rows, cols, format.blockSize, mxRule(format.element));
    case 'int-group':
      return quantizeGroups(weights, rows, cols, format.groupSize, intRule(format.bits));
    case 'int-channel':
      return quantizeGroups(weights, rows, cols, rows, intRule(format.bits));
  }
}

/**
 * Signal-to-quantization-noise ratio in dB: 10 log10(sum x^2 / sum (x - q)^2). Infinity when
 * the quantization is exact (an all-zero tensor included), NaN when either holds a NaN.
 */
export function sqnrDb(original: ArrayLike<number>, quantized: ArrayLike<number>): number {
  if (original.length !== quantized.length) throw new Error(`lengths differ: ${original.length} and ${quantized.length}`);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < original.length; i++) {
    const x = original[i];
    const e = x - quantized[i];
    signal += x * x;
    noise += e * e;
  }
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}
