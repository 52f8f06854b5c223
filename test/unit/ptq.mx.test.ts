// OCP Microscaling (MX) v1.0 formats and integer RTN on plain Float32Arrays (src/ptq/mx.ts).
// Expected values come from the spec's definitions, worked by hand here: the element encodings
// (section 5.3: sign, exponent field with bias, mantissa field, subnormals at exponent field 0),
// the scale rule of section 6.3 (X = 2^(floor(log2 amax) - emax_elem)), round-to-nearest-even
// with saturation; and, for SQNR, the uniform-noise model of rounding (step^2 / 12).
import { seededRandom } from '../../src/fit/random';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { floorLog2, roundHalfEven } from '../../src/ptq/elements';
import {
  ELEMENT_FORMATS,
  bitsPerWeight,
  elementBits,
  intChannelFormat,
  intGroupFormat,
  mxFormat,
  mxSharedExponent,
  parseWeightFormat,
  quantizeDequantize,
  roundToElement,
  scaleBlockSize,
  sqnrDb,
  type ElementName,
  type WeightFormat,
} from '../../src/ptq/mx';

/** Seeded uniform [0, 1): the SQNR tests must not depend on the run. */
const rng = seededRandom;

function uniform(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}

function gaussian(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

/** A single column of weights ([rows, 1]) through a format. */
const column = (values: number[], format: WeightFormat): number[] => Array.from(quantizeDequantize(Float32Array.from(values), values.length, 1, format));

/** values padded with zeros to one block of `k` rows. */
const block = (values: number[], k = 32): number[] => [...values, ...new Array<number>(k - values.length).fill(0)];

const distinct = (xs: Iterable<number>): number[] => [...new Set([...xs].map((x) => x + 0))].sort((a, b) => a - b);

/** Spec table (section 5.3) of each FP element: bias as printed, and whether a code is a number. */
const FP_ENCODINGS: Array<[ElementName, number, number, number, (E: number, M: number) => boolean]> = [
  ['e2m1', 2, 1, 1, () => true],
  ['e2m3', 2, 3, 1, () => true],
  ['e3m2', 3, 2, 3, () => true],
  ['e4m3', 4, 3, 7, (E, M) => !(E === 15 && M === 7)], // S.1111.111 is NaN, no Inf
  ['e5m2', 5, 2, 15, (E) => E !== 31], // IEEE-like: exponent field 31 is Inf/NaN
];

/** Every non-negative finite value an FP element encodes, with its mantissa field. */
function decode(e: number, m: number, bias: number, isNumber: (E: number, M: number) => boolean): Array<{ value: number; mantissa: number }> {
  const out: Array<{ value: number; mantissa: number }> = [];
  for (let E = 0; E < 2 ** e; E++) {
    for (let M = 0; M < 2 ** m; M++) {
      if (!isNumber(E, M)) continue;
      const value = E === 0 ? 2 ** (1 - bias) * (M / 2 ** m) : 2 ** (E - bias) * (1 + M / 2 ** m);
      out.push({ value, mantissa: M });
    }
  }
  return out.sort((a, b) => a.value - b.value);
}

describe('element formats (spec section 5.3)', () => {
  test('round half to even on magnitudes', () => {
    assert.deepEqual([0, 0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001, 127.5, 2 ** 53].map(roundHalfEven), [0, 0, 2, 2, 4, 2, 3, 128, 2 ** 53]);
  });

  // [name, emax, emin, max normal, min normal, max subnormal, min subnormal] as the spec tabulates.
  const TABLE: Array<[ElementName, number, number, number, number, number, number]> = [
    ['e4m3', 8, -6, 448, 2 ** -6, 0.875 * 2 ** -6, 2 ** -9],
    ['e5m2', 15, -14, 57344, 2 ** -14, 0.75 * 2 ** -14, 2 ** -16],
    ['e3m2', 4, -2, 28, 0.25, 0.1875, 0.0625],
    ['e2m3', 2, 0, 7.5, 1, 0.875, 0.125],
    ['e2m1', 2, 0, 6, 1, 0.5, 0.5],
  ];
  for (const [name, emax, emin, maxNormal, minNormal, maxSub, minSub] of TABLE) {
    test(`${name}: emax ${emax}, emin ${emin}, max ${maxNormal}, min subnormal ${minSub}`, () => {
      const el = ELEMENT_FORMATS[name];
      assert.equal(el.kind, 'fp');
      if (el.kind !== 'fp') return;
      assert.equal(el.maxExponent, emax);
      assert.equal(el.minExponent, emin);
      assert.equal(el.max, maxNormal);
      for (const v of [maxNormal, minNormal, maxSub, minSub]) {
        assert.equal(roundToElement(v, el), v, `${v} is representable`);
        assert.equal(roundToElement(-v, el), -v);
      }
      assert.equal(roundToElement(minSub / 2, el), 0, 'half the smallest subnormal ties to zero (even)');
      assert.equal(roundToElement(minSub * 0.51, el), minSub);
      assert.equal(roundToElement(maxNormal * 4, el), maxNormal, 'saturates');
      assert.equal(roundToElement(-1e30, el), -maxNormal);
    });
  }

  test('E2M1 represents exactly {0, 0.5, 1, 1.5, 2, 3, 4, 6} and their negatives', () => {
    const sweep = Array.from({ length: 1025 }, (_, i) => -8 + i / 64);
    const got = distinct(sweep.map((y) => roundToElement(y, ELEMENT_FORMATS.e2m1)));
    const positive = [0.5, 1, 1.5, 2, 3, 4, 6];
    assert.deepEqual(got, [...positive.map((v) => -v).reverse(), 0, ...positive]);
  });

  for (const [name, e, m, bias, isNumber] of FP_ENCODINGS) {
    test(`${name}: every encoding is kept, neighbours' midpoints tie to the even mantissa, others go to the nearer`, () => {
      const el = ELEMENT_FORMATS[name];
      const codes = decode(e, m, bias, isNumber);
      assert.equal(el.bits, 1 + e + m);
      assert.equal(codes[codes.length - 1].value, el.max, 'the largest encoding is the saturation value');
      for (const { value } of codes) {
        assert.equal(roundToElement(value, el), value);
        assert.equal(roundToElement(-value, el), -value);
      }
      for (let i = 1; i < codes.length; i++) {
        const lo = codes[i - 1];
        const hi = codes[i];
        const mid = (lo.value + hi.value) / 2;
        const quarter = (hi.value - lo.value) / 4;
        const even = lo.mantissa % 2 === 0 ? lo.value : hi.value;
        assert.equal(roundToElement(mid, el), even, `${name}: tie between ${lo.value} and ${hi.value}`);
        assert.equal(roundToElement(-mid, el), -even);
        assert.equal(roundToElement(mid - quarter, el), lo.value);
        assert.equal(roundToElement(mid + quarter, el), hi.value);
      }
    });
  }

  test('E2M3 and E3M2 hand examples: spacing by binade, ties, saturation', () => {
    const { e2m3, e3m2 } = ELEMENT_FORMATS;
    assert.equal(roundToElement(7.3, e2m3), 7.5); // top binade [4, 8) in steps of 0.5
    assert.equal(roundToElement(7.2, e2m3), 7);
    assert.equal(roundToElement(7.25, e2m3), 7); // tie: 7 = 1.110b * 4 (even) vs 7.5 = 1.111b * 4
    assert.equal(roundToElement(9, e2m3), 7.5);
    assert.equal(roundToElement(0.3, e2m3), 0.25); // subnormals in steps of 0.125
    assert.equal(roundToElement(1.0625, e2m3), 1); // tie between 1 and 1.125
    assert.equal(roundToElement(26, e3m2), 24); // tie: 24 = 1.10b * 16 (even) vs 28 = 1.11b * 16
    assert.equal(roundToElement(27, e3m2), 28);
    assert.equal(roundToElement(100, e3m2), 28);
    assert.equal(roundToElement(0.03125, e3m2), 0); // half the smallest subnormal 0.0625
    assert.equal(roundToElement(0.04, e3m2), 0.0625);
    assert.equal(roundToElement(0.22, e3m2), 0.25); // between the largest subnormal 0.1875 and min normal 0.25
  });

  test('E4M3 extremes: 448 is the top, the NaN code (480) is never produced, subnormals down to 2^-9', () => {
    const { e4m3 } = ELEMENT_FORMATS;
    assert.equal(roundToElement(448, e4m3), 448);
    assert.equal(roundToElement(464, e4m3), 448); // midpoint of 448 and the NaN code 1.111b * 2^8
    assert.equal(roundToElement(470, e4m3), 448); // nearer 480: saturates instead
    assert.equal(roundToElement(-1e6, e4m3), -448);
    assert.equal(roundToElement(416, e4m3), 416); // 1.101b * 2^8
    assert.equal(roundToElement(2 ** -10, e4m3), 0);
    assert.equal(roundToElement(1.5 * 2 ** -10, e4m3), 2 ** -9);
    assert.equal(roundToElement(0.9375 * 2 ** -6, e4m3), 2 ** -6); // tie above the largest subnormal: min normal (mantissa 0)
  });

  test('special values: NaN and Inf give NaN, the sign of zero is kept', () => {
    for (const el of Object.values(ELEMENT_FORMATS)) {
      assert.ok(Number.isNaN(roundToElement(NaN, el)));
      assert.ok(Number.isNaN(roundToElement(Infinity, el)));
      assert.ok(Number.isNaN(roundToElement(-Infinity, el)));
      assert.ok(Object.is(roundToElement(-0, el), -0));
      assert.ok(Object.is(roundToElement(-1e-30, el), -0), `${el.name}: a tiny negative rounds to -0`);
    }
  });

  test('MXINT8/6/4 elements: k * 2^-(b-2), symmetric levels, saturation below 2', () => {
    const { int8, int6, int4 } = ELEMENT_FORMATS;
    assert.deepEqual([int8.bits, int6.bits, int4.bits], [8, 6, 4]);
    assert.deepEqual([int8.max, int6.max, int4.max], [127 / 64, 31 / 16, 7 / 4]);
    assert.equal(roundToElement(1.99, int8), 127 / 64); // 127.36 -> 127
    assert.equal(roundToElement(1.996, int8), 127 / 64); // 127.74 -> 128, saturated to 127
    assert.equal(roundToElement(-2, int8), -127 / 64); // the code -128 (-2.0) is not used
    assert.equal(roundToElement(0.3, int8), 19 / 64); // 19.2
    assert.equal(roundToElement(2 ** -7, int8), 0); // half a step: tie to 0 (even)
    assert.equal(roundToElement(3 * 2 ** -7, int8), 2 / 64); // 1.5 steps: tie to 2
    assert.equal(roundToElement(0.6, int4), 0.5); // steps of 0.25
    assert.equal(roundToElement(-1.9, int4), -1.75);
    assert.equal(roundToElement(0.09375, int6), 0.125); // 1.5 steps of 1/16: tie to 2
    const sweep = Array.from({ length: 801 }, (_, i) => -2 + i / 200);
    assert.equal(distinct(sweep.map((y) => roundToElement(y, int4))).length, 15, 'int4: 2^4 - 1 levels');
  });
});

describe('MX shared scale (spec section 6.3)', () => {
  test('X = 2^(floor(log2 amax) - emax_elem) for each element format', () => {
    // amax 1: the largest input exponent 0 maps onto the element's top binade.
    const expected: Record<ElementName, number> = { e4m3: -8, e5m2: -15, e3m2: -4, e2m3: -2, e2m1: -2, int8: 0, int6: 0, int4: 0 };
    for (const name of Object.keys(expected) as ElementName[]) {
      assert.equal(mxSharedExponent(1, ELEMENT_FORMATS[name]), expected[name], name);
      assert.equal(mxSharedExponent(1.999, ELEMENT_FORMATS[name]), expected[name], `${name}: same binade`);
      assert.equal(mxSharedExponent(2, ELEMENT_FORMATS[name]), expected[name] + 1, `${name}: next binade`);
    }
    assert.equal(mxSharedExponent(0.9, ELEMENT_FORMATS.e2m1), -3);
    assert.equal(mxSharedExponent(7.99, ELEMENT_FORMATS.e2m1), 0);
    assert.equal(mxSharedExponent(500, ELEMENT_FORMATS.e4m3), 0);
  });

  test('the exponent is exact just below a power of two (no log2 rounding)', () => {
    const belowOne = Math.fround(1 - 2 ** -24); // the largest float32 below 1
    assert.equal(mxSharedExponent(belowOne, ELEMENT_FORMATS.int8), -1);
    assert.equal(mxSharedExponent(1 - 2 ** -53, ELEMENT_FORMATS.int8), -1);
    for (let e = -140; e <= 127; e++) {
      assert.equal(floorLog2(2 ** e), e);
      assert.equal(floorLog2(2 ** e * (1 - 2 ** -52)), e - 1);
    }
  });

  test('E8M0 range: below 2^-127 the scale stays 2^-127; zero blocks take it too; NaN/Inf give NaN', () => {
    assert.equal(mxSharedExponent(2 ** -140, ELEMENT_FORMATS.e2m1), -127);
    assert.equal(mxSharedExponent(2 ** -125, ELEMENT_FORMATS.e4m3), -127); // -125 - 8
    assert.equal(mxSharedExponent(0, ELEMENT_FORMATS.e4m3), -127);
    assert.equal(mxSharedExponent(3.4e38, ELEMENT_FORMATS.int8), 127); // float32's largest exponent fits
    assert.ok(Number.isNaN(mxSharedExponent(Infinity, ELEMENT_FORMATS.e2m1)));
    assert.ok(Number.isNaN(mxSharedExponent(NaN, ELEMENT_FORMATS.e2m1)));
    assert.ok(Number.isNaN(mxSharedExponent(2 ** 130, ELEMENT_FORMATS.int8)), 'beyond E8M0');
  });
});

describe('MX block quantization', () => {
  const mxfp4 = mxFormat('e2m1');

  test('MXFP4 worked block: amax 7 gives X = 1; ties to even, the top element saturates to 6', () => {
    const values = [7, -5, 3.5, 2.5, 1.75, 1.25, 0.75, 0.3, 0.25, 0.1, -0.2];
    const expected = [6, -4, 4, 2, 2, 1, 1, 0.5, 0, 0, -0];
    assert.deepEqual(column(block(values), mxfp4).slice(0, values.length), expected);
    // Power-of-two rescaling moves only X.
    const scaled = column(block(values.map((v) => v * 2 ** -10)), mxfp4).slice(0, values.length);
    assert.deepEqual(scaled, expected.map((v) => v * 2 ** -10));
  });

  test('MXFP4: a block maximum of 0.9 lands on 7.2 in the element grid and saturates to 6 * 2^-3', () => {
    const q = column(block([0.9, 0.4, -0.1]), mxfp4);
    assert.deepEqual(q.slice(0, 3), [0.75, 0.375, -0.125]); // X = 2^-3: 7.2 -> 6, 3.2 -> 3, -0.8 -> -1
  });

  test('MXFP8 (E4M3): 500 rounds past 448 and saturates; a tiny element meets the subnormals', () => {
    const q = column(block([500, 0.001, 100.5, -3]), mxFormat('e4m3'));
    // X = 2^(8 - 8) = 1. 0.001 / 2^-9 = 0.512 -> 1 subnormal step; 100.5 in [64, 128) steps of 8 -> 104.
    assert.deepEqual(q.slice(0, 4), [448, 2 ** -9, 104, -3]);
  });

  test('MXINT8: elements k * 2^-6 times X', () => {
    assert.deepEqual(column(block([1.5, 0.3, -1]), mxFormat('int8')).slice(0, 3), [1.5, 19 / 64, -1]); // X = 1
    assert.deepEqual(column(block([3, 0.3, -1]), mxFormat('int8')).slice(0, 3), [3, 0.3125, -1]); // X = 2: 0.15 * 64 = 9.6 -> 10
    assert.deepEqual(column(block([1.999]), mxFormat('int8')).slice(0, 1), [127 / 64]);
  });

  test('one scale per block of k rows, per output column', () => {
    const rows = 64;
    const cols = 2;
    const w = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      w[r * cols] = r < 32 ? 0.001 * (1 + r / 32) : 100 * (1 + (r - 32) / 32); // column 0: small block, then large
      w[r * cols + 1] = 0.001 * (1 + r / 64); // column 1: small throughout
    }
    const q = quantizeDequantize(w, rows, cols, mxFormat('e4m3'));
    for (let i = 0; i < w.length; i++) {
      assert.ok(Math.abs(q[i] - w[i]) <= Math.abs(w[i]) / 16, `${i}: relative error within half an E4M3 step`);
    }
    // The same column as one block (k = 128 > rows) flushes the small half.
    const coarse = quantizeDequantize(w, rows, cols, mxFormat('e2m1', 128));
    assert.equal(coarse[0], 0);
    assert.ok(coarse[1] > 0, 'column 1 keeps its own scale');
  });

  test('a last block shorter than k is its own block', () => {
    const values = [...new Array<number>(32).fill(100), ...new Array<number>(8).fill(3 * 2 ** -8)];
    const q = column(values, mxfp4);
    assert.deepEqual(q.slice(32), new Array<number>(8).fill(3 * 2 ** -8)); // exact in its own block
    assert.deepEqual(column(values, mxFormat('e2m1', 64)).slice(32), new Array<number>(8).fill(0)); // with the 100s: 0
  });

  test('block sizes 16/32/64/128 are accepted, others refused', () => {
    for (const k of [16, 32, 64, 128]) assert.equal(mxFormat('e2m1', k).blockSize, k);
    for (const k of [8, 48, 256]) assert.throws(() => mxFormat('e2m1', k), /block size/);
  });

  test('zero blocks stay zero with their signs; blocks below 2^-127 flush to zero', () => {
    const zeros = column(block([0, -0, 0]), mxfp4);
    assert.ok(zeros.every((v) => v === 0));
    assert.ok(Object.is(zeros[1], -0));
    const tiny = Math.fround(2 ** -140);
    assert.deepEqual(column(block([tiny, -tiny]), mxfp4).slice(0, 2), [0, -0]); // X = 2^-127, elements 2^-13 -> 0
    const small = 2 ** -120;
    assert.deepEqual(column(block([small, -small / 2]), mxfp4).slice(0, 2), [small, -small / 2]); // X = 2^-122 fits
  });

  test('a NaN or Inf makes its whole block NaN and leaves other blocks and columns alone', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const format of [mxfp4, mxFormat('e4m3'), mxFormat('int8'), intGroupFormat(4, 32), intChannelFormat(8)]) {
        const rows = 64;
        const w = new Float32Array(rows * 2).map((_, i) => 0.5 + (i % 7) / 8);
        w[40 * 2 + 1] = bad; // row 40, column 1
        const q = quantizeDequantize(w, rows, 2, format);
        const badRows = format.kind === 'int-channel' ? [0, rows] : [32, 64];
        for (let r = 0; r < rows; r++) {
          assert.ok(Number.isFinite(q[r * 2]), `${format.name}: column 0 untouched`);
          const inBad = r >= badRows[0] && r < badRows[1];
          assert.equal(Number.isNaN(q[r * 2 + 1]), inBad, `${format.name} ${bad}: row ${r}`);
        }
        assert.ok(Number.isNaN(sqnrDb(w, q)));
      }
    }
  });

  test('checks the shape', () => {
    assert.throws(() => quantizeDequantize(new Float32Array(6), 4, 2, mxfp4), /rows \* cols/);
    assert.throws(() => quantizeDequantize(new Float32Array(0), 0, 2, mxfp4), /rows must be/);
  });
});

describe('integer round-to-nearest, per channel and per group', () => {
  test('per channel: b bits give 2^b - 1 levels spanning the column absmax, one scale per column', () => {
    const rows = 1001;
    for (const bits of [2, 3, 4, 8]) {
      const w = new Float32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        w[r * 2] = -3 + (6 * r) / (rows - 1);
        w[r * 2 + 1] = 0.01 * (-1 + (2 * r) / (rows - 1));
      }
      const q = quantizeDequantize(w, rows, 2, intChannelFormat(bits));
      for (const [j, amax] of [[0, 3], [1, 0.01]]) {
        const col = Array.from({ length: rows }, (_, r) => q[r * 2 + j]);
        const levels = distinct(col);
        assert.equal(levels.length, 2 ** bits - 1, `${bits} bits, column ${j}`);
        assert.equal(Math.max(...col), Math.fround(amax));
        const step = amax / (2 ** (bits - 1) - 1);
        for (const v of levels) assert.ok(Math.abs(v / step - Math.round(v / step)) < 1e-4);
      }
    }
  });

  test('ties round to even levels', () => {
    // amax 7 at 4 bits: scale 1, so values are levels themselves.
    assert.deepEqual(column([7, 3.5, 2.5, -0.5, -1.5, 0.4], intChannelFormat(4)), [7, 4, 2, -0, -2, 0]);
  });

  test('per group: one scale per g rows of a column; per channel flushes the small group', () => {
    const small = [0.01, -0.005, 0.0025, -0.01];
    const large = [10, -5, 2.5, -10];
    const perChannel = column([...small, ...large], intChannelFormat(3));
    const perGroup = column([...small, ...large], intGroupFormat(3, 4));
    assert.deepEqual(perChannel.slice(0, 4).map((v) => v + 0), [0, 0, 0, 0]);
    // int3: levels -3..3 of absmax / 3 within each group; -1.5 and 0.75 steps: ties to even, nearest.
    const levels = (q: number[], amax: number) => q.map((v) => v / (Math.fround(amax) / 3));
    for (const [got, want] of [[levels(perGroup.slice(0, 4), 0.01), [3, -2, 1, -3]], [levels(perGroup.slice(4), 10), [3, -2, 1, -3]]]) {
      got.forEach((l, i) => assert.ok(Math.abs(l - want[i]) < 1e-5, `level ${l} vs ${want[i]}`));
    }
    assert.deepEqual(perGroup.slice(4), perChannel.slice(4), 'the large group has the channel absmax');
  });

  test('a group size that does not divide rows leaves a short last group; g >= rows is per channel', () => {
    const values = [8, 1, 1, 1, 0.5, -0.25];
    // The last group [0.5, -0.25] has its own absmax 0.5: steps of 0.5 / 7, -0.25 is 3.5 steps -> 4.
    assert.deepEqual(column(values, intGroupFormat(4, 4)).slice(4), [0.5, Math.fround(-4 * (0.5 / 7))]);
    assert.deepEqual(column(values, intChannelFormat(4)).slice(4).map((v) => v + 0), [0, 0]); // steps of 8 / 7
    const w = gaussian(96 * 3, 5);
    assert.deepEqual(quantizeDequantize(w, 96, 3, intGroupFormat(4, 128)), quantizeDequantize(w, 96, 3, intChannelFormat(4)));
  });

  test('an all-zero column stays zero', () => {
    assert.deepEqual(column([0, 0, 0], intChannelFormat(8)), [0, 0, 0]);
    assert.deepEqual(column([0, 0, 0, 0], intGroupFormat(4, 2)), [0, 0, 0, 0]);
  });
});

describe('SQNR', () => {
  test('definition: 10 log10(sum x^2 / sum (x - q)^2), Infinity when exact', () => {
    assert.equal(sqnrDb([1, 1], [1, 1]), Infinity);
    assert.equal(sqnrDb([0, 0], [0, 0]), Infinity);
    assert.ok(Math.abs(sqnrDb([1, 1], [1, 0]) - 10 * Math.log10(2)) < 1e-12);
    assert.ok(Math.abs(sqnrDb([3, 4], [3, 4.5]) - 20) < 1e-12); // 25 / 0.25 = 100
    assert.equal(sqnrDb([0, 0], [1, 0]), -Infinity);
    assert.throws(() => sqnrDb([1], [1, 2]), /lengths/);
  });

  test('uniform data, b-bit uniform grid: 20 log10(2^b - 2) dB, about 6.02 b', () => {
    // Levels +-(2^(b-1) - 1) over [-1, 1]: step 1 / (2^(b-1) - 1), noise step^2 / 12, signal 1/3.
    const rows = 8192;
    const w = uniform(rows * 4, 11);
    for (const bits of [2, 4, 6, 8]) {
      const got = sqnrDb(w, quantizeDequantize(w, rows, 4, intChannelFormat(bits)));
      const theory = 20 * Math.log10(2 ** bits - 2);
      assert.ok(Math.abs(got - theory) < 0.15, `${bits} bits: ${got.toFixed(2)} dB vs ${theory.toFixed(2)}`);
      // The symmetric grid leaves one of the 2^b codes unused, which costs most at few bits.
      if (bits >= 4) assert.ok(Math.abs(got - 6.02 * bits) < 1.2, `${bits} bits near 6.02 b`);
    }
  });

  test('Gaussian data, per-channel int8: the uniform-noise model with each column absmax', () => {
    const rows = 4096;
    const cols = 8;
    const w = gaussian(rows * cols, 3);
    let signal = 0;
    let noise = 0;
    for (let j = 0; j < cols; j++) {
      let amax = 0;
      for (let r = 0; r < rows; r++) amax = Math.max(amax, Math.abs(w[r * cols + j]));
      noise += (rows * (amax / 127) ** 2) / 12;
    }
    for (const x of w) signal += x * x;
    const got = sqnrDb(w, quantizeDequantize(w, rows, cols, intChannelFormat(8)));
    assert.ok(Math.abs(got - 10 * Math.log10(signal / noise)) < 0.1, `${got.toFixed(2)} dB`);
  });

  test('Gaussian data, MXINT8: the uniform-noise model with step X * 2^-6 per block', () => {
    const rows = 4096;
    const cols = 4;
    const k = 32;
    const w = gaussian(rows * cols, 9);
    let signal = 0;
    let noise = 0;
    for (let j = 0; j < cols; j++) {
      for (let r0 = 0; r0 < rows; r0 += k) {
        let amax = 0;
        for (let r = r0; r < r0 + k; r++) amax = Math.max(amax, Math.abs(w[r * cols + j]));
        const step = 2 ** (Math.floor(Math.log2(amax)) - 6);
        noise += (k * step ** 2) / 12;
      }
    }
    for (const x of w) signal += x * x;
    const got = sqnrDb(w, quantizeDequantize(w, rows, cols, mxFormat('int8')));
    // A scale one binade off would move this by 6 dB.
    assert.ok(Math.abs(got - 10 * Math.log10(signal / noise)) < 0.3, `${got.toFixed(2)} dB`);
  });

  /** Asserts that SQNR strictly falls along `names`. */
  const falling = (sqnr: (name: string) => number, names: string[]) => {
    const values = names.map(sqnr);
    for (let i = 1; i < values.length; i++) assert.ok(values[i - 1] > values[i], `${names[i - 1]} ${values[i - 1].toFixed(2)} > ${names[i]} ${values[i].toFixed(2)}`);
  };

  test('Gaussian data: SQNR follows the element bits, mantissa bits above all', () => {
    const rows = 2048;
    const cols = 8;
    const w = gaussian(rows * cols, 21);
    const s = (name: string) => sqnrDb(w, quantizeDequantize(w, rows, cols, parseWeightFormat(name)));
    falling(s, ['mxint8', 'mxfp8', 'mxfp6-e3m2', 'mxfp4']);
    falling(s, ['mxint8', 'mxint6', 'mxint4']);
    falling(s, ['mxfp6-e2m3', 'mxfp6-e3m2']);
    falling(s, ['int8-channel', 'int6-channel', 'int4-channel', 'int3-channel', 'int2-channel']);
    // Absmax grows with the group, and nothing saturates: smaller groups win even on i.i.d. data.
    falling(s, ['int4-g32', 'int4-g128', 'int4-channel']);
    // Same mantissa bits, same SQNR within a dB: E4M3 vs E2M3 (3 bits; E2M3 saturates a block
    // maximum less, its top binade reaching 1.875 against 1.75), E5M2 vs E3M2 (2 bits).
    assert.ok(Math.abs(s('mxfp8') - s('mxfp6-e2m3')) < 1);
    assert.ok(Math.abs(s('mxfp8-e5m2') - s('mxfp6-e3m2')) < 0.3);
    // About 6 dB per bit once rounding noise is uniform.
    assert.ok(Math.abs(s('int8-channel') - s('int7-channel') - 6.02) < 0.3);
    // E4M3 keeps 3 mantissa bits at every magnitude: relative error within 2^-4, so SQNR > 20 log10(16).
    assert.ok(s('mxfp8') > 20 * Math.log10(16));
    assert.ok(s('mxfp4') > 15 && s('mxfp4') < 22, `mxfp4 ${s('mxfp4').toFixed(2)} dB`);
  });

  test('weights whose scale changes every 16 rows: smaller blocks and groups give more SQNR', () => {
    // Gaussian rows in bands of 16 with magnitudes 2^-4 .. 2^4 (outlier rows, as in trained
    // weights). A block that mixes bands shares the largest band's scale. On i.i.d. data MX
    // blocks gain nothing from being small (the block maximum saturates once per block).
    const rows = 2048;
    const cols = 8;
    const w = gaussian(rows * cols, 33);
    const band = rng(4);
    for (let r0 = 0; r0 < rows; r0 += 16) {
      const m = 2 ** (8 * band() - 4);
      for (let i = r0 * cols; i < (r0 + 16) * cols; i++) w[i] *= m;
    }
    const s = (name: string) => sqnrDb(w, quantizeDequantize(w, rows, cols, parseWeightFormat(name)));
    falling(s, ['mxfp4-b16', 'mxfp4', 'mxfp4-b64', 'mxfp4-b128']);
    falling(s, ['mxint8-b16', 'mxint8', 'mxint8-b64', 'mxint8-b128']);
    falling(s, ['int4-g16', 'int4-g32', 'int4-g128', 'int4-channel']);
  });
});

describe('effective bits per weight', () => {
  test('element bits plus the scale bits over the weights sharing them', () => {
    const cases: Array<[string, number, number]> = [
      ['mxfp4', 4096, 4.25],
      ['mxfp8', 4096, 8.25],
      ['mxfp6-e2m3-b128', 4096, 6.0625],
      ['mxint8-b16', 4096, 8.5],
      ['mxint4-b64', 4096, 4.125],
      ['int4-g128', 4096, 4.125],
      ['int4-g32', 4096, 4.5],
      ['int4-channel', 4096, 4 + 16 / 4096],
      ['int8-channel', 512, 8 + 16 / 512],
      ['mxfp4', 40, 4 + 16 / 40], // two blocks (32 + 8) of one byte each
      ['int4-g128', 64, 4 + 16 / 64], // one group of 64
    ];
    for (const [name, rows, bits] of cases) assert.equal(bitsPerWeight(parseWeightFormat(name), rows), bits, `${name} at ${rows} rows`);
  });

  test('element bits and block sizes (0: per channel)', () => {
    assert.deepEqual(['mxfp4', 'mxfp6-e3m2', 'mxfp8-e5m2', 'mxint6-b128', 'int3-g64', 'int5-channel'].map((n) => {
      const f = parseWeightFormat(n);
      return [elementBits(f), scaleBlockSize(f)];
    }), [[4, 32], [6, 32], [8, 32], [6, 128], [3, 64], [5, 0]]);
  });
});

describe('parseWeightFormat', () => {
  test('canonical names round-trip', () => {
    const names = ['mxfp4', 'mxfp4-b16', 'mxfp6-e2m3', 'mxfp6-e3m2-b64', 'mxfp8', 'mxfp8-e5m2', 'mxint8', 'mxint6-b128', 'mxint4', 'int4-g128', 'int2-g32', 'int8-channel', 'int16-channel'];
    for (const name of names) assert.equal(parseWeightFormat(name).name, name);
  });

  test('aliases and defaults', () => {
    assert.equal(parseWeightFormat(' MXFP4-B32 ').name, 'mxfp4');
    assert.equal(parseWeightFormat('mxfp8-e4m3').name, 'mxfp8');
    assert.equal(parseWeightFormat('mxfp4-e2m1-b64').name, 'mxfp4-b64');
    assert.equal(parseWeightFormat('int4').name, 'int4-channel');
    const f = parseWeightFormat('mxfp6-e2m3');
    assert.ok(f.kind === 'mx' && f.element.name === 'e2m3' && f.blockSize === 32);
  });

  test('refuses what it cannot build', () => {
    for (const bad of ['mxfp6', 'mxfp5', 'mxfp4-b48', 'mxint8-e4m3', 'int1-g32', 'int17-channel', 'int4-g0', 'fp4', 'e2m1', '']) {
      assert.throws(() => parseWeightFormat(bad), Error, bad);
    }
  });
});
