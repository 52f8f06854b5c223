// GPTQ (Frantar et al. 2022) for one linear layer, against an independent transcription of the
// method it speeds up (the OBS update of eq. 3 with H_F⁻¹ re-inverted at every step), against
// round-to-nearest on correlated calibration data, and on the cases where it must reduce to RTN.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../../src/fit/random';
import { HessianAccumulator, gptqQuantize, hessian, intMax, layerOutputError, rtnQuantize } from '../../src/ptq/gptq';
import { inverseCholeskyUpper } from '../../src/ptq/linalg';

// ---------------------------------------------------------------------------------------------
// Data

/** Standard normal samples by Box–Muller on the seeded uniform generator. */
function normalSampler(seed: number): () => number {
  const uniform = seededRandom(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - uniform(); // (0, 1]: the log stays finite
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

const randomMatrix = (rows: number, cols: number, normal: () => number, scale = 1): Float64Array =>
  Float64Array.from({ length: rows * cols }, () => scale * normal());

/** a [r, k] · b [k, c], row-major. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let t = 0; t < k; t++) for (let j = 0; j < c; j++) out[i * c + j] += a[i * k + t] * b[t * c + j];
  return out;
}

const IN = 64;
const OUT = 32;
const N = 512;
const OUTLIERS = [3, 17, 40];

/**
 * X = Z·A (correlated features through a random mixing A), a few features scaled up 8×. The
 * mixing is fixed by `mixing`, so seeds that differ only in `seed` draw from one distribution.
 */
function correlatedInputs(seed: number, n = N, inDim = IN, mixing = 1000): Float32Array {
  const z = randomMatrix(n, inDim, normalSampler(seed));
  const a = randomMatrix(inDim, inDim, normalSampler(mixing), 1 / Math.sqrt(inDim));
  const x = matmul(z, a, n, inDim, inDim);
  for (let r = 0; r < n; r++) for (const j of OUTLIERS) x[r * inDim + j] *= 8;
  return Float32Array.from(x);
}

const layerWeights = (seed: number, inDim = IN, outDim = OUT): Float32Array => Float32Array.from(randomMatrix(inDim, outDim, normalSampler(seed), 0.05));

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

// ---------------------------------------------------------------------------------------------
// An independent, slow GPTQ: the OBS step of the paper's eq. (3) for features in a fixed order,
// with the inverse of the remaining Hessian H_F recomputed by Gauss–Jordan at every step instead
// of read from a Cholesky factor, and every update applied at once instead of lazily.

function invert(m: Float64Array, n: number): Float64Array {
  const a = m.slice();
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[pivot * n + col])) pivot = r;
    for (let j = 0; j < n; j++) {
      [a[col * n + j], a[pivot * n + j]] = [a[pivot * n + j], a[col * n + j]];
      [inv[col * n + j], inv[pivot * n + j]] = [inv[pivot * n + j], inv[col * n + j]];
    }
    const p = a[col * n + col];
    for (let j = 0; j < n; j++) {
      a[col * n + j] /= p;
      inv[col * n + j] /= p;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * n + col];
      for (let j = 0; j < n; j++) {
        a[r * n + j] -= f * a[col * n + j];
        inv[r * n + j] -= f * inv[col * n + j];
      }
    }
  }
  return inv;
}

function naiveGptq(weights: Float32Array, inDim: number, outDim: number, h: Float64Array, bits: number, groupSize: number | null, lambda = 0.01): Float64Array {
  const qmax = intMax(bits);
  const w = Float64Array.from(weights);
  let mean = 0;
  for (let i = 0; i < inDim; i++) mean += h[i * inDim + i] / inDim;
  const hd = h.slice();
  for (let i = 0; i < inDim; i++) hd[i * inDim + i] += lambda * mean;
  const scale = new Float64Array(outDim);
  const setScales = (from: number, to: number): void => {
    for (let c = 0; c < outDim; c++) {
      let m = 0;
      for (let i = from; i < to; i++) m = Math.max(m, Math.abs(w[i * outDim + c]));
      scale[c] = m / qmax;
    }
  };
  setScales(0, inDim);
  for (let p = 0; p < inDim; p++) {
    if (groupSize !== null && p % groupSize === 0) setScales(p, Math.min(p + groupSize, inDim));
    const f = inDim - p; // the remaining features p..in-1
    const sub = new Float64Array(f * f);
    for (let i = 0; i < f; i++) for (let j = 0; j < f; j++) sub[i * f + j] = hd[(p + i) * inDim + (p + j)];
    const hinv = invert(sub, f);
    for (let c = 0; c < outDim; c++) {
      const v = w[p * outDim + c];
      const q = Math.max(-qmax, Math.min(qmax, Math.round(v / scale[c]))) * scale[c];
      const e = (v - q) / hinv[0];
      for (let k = 1; k < f; k++) w[(p + k) * outDim + c] -= e * hinv[k];
      w[p * outDim + c] = q;
    }
  }
  return w;
}

// ---------------------------------------------------------------------------------------------

describe('Hessian', () => {
  test('H = 2/n XᵀX, and batches accumulate to the Hessian of their union', () => {
    // X = [[1, 2], [3, 0], [0, -1]]: XᵀX = [[10, 2], [2, 5]], n = 3.
    const h = hessian(Float32Array.from([1, 2, 3, 0, 0, -1]), 3, 2);
    assert.ok(maxAbsDiff(h, [20 / 3, 4 / 3, 4 / 3, 10 / 3]) < 1e-15);

    const x = correlatedInputs(1, 100, 8);
    const acc = new HessianAccumulator(8);
    acc.add(x.subarray(0, 30 * 8), 30);
    acc.add(x.subarray(30 * 8), 70);
    assert.equal(acc.samples, 100);
    assert.ok(maxAbsDiff(acc.finish(), hessian(x, 100, 8)) < 1e-9);
    assert.throws(() => new HessianAccumulator(8).finish(), /no calibration samples/);
    assert.throws(() => hessian(x, 99, 8), /expected 99 × 8/);
  });
});

describe('inverse Cholesky factor', () => {
  test('U is upper triangular with a positive diagonal and UᵀU = H⁻¹', () => {
    const n = 12;
    const h = hessian(correlatedInputs(2, 40, n), 40, n);
    const u = inverseCholeskyUpper(h, n);
    assert.ok(u);
    for (let i = 0; i < n; i++) {
      assert.ok(u[i * n + i] > 0);
      for (let j = 0; j < i; j++) assert.equal(u[i * n + j], 0);
    }
    // (UᵀU) H = I
    const utu = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) utu[i * n + j] += u[k * n + i] * u[k * n + j];
    const identity = Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0));
    assert.ok(maxAbsDiff(matmul(utu, h, n, n, n), identity) < 1e-9);
    assert.ok(maxAbsDiff(utu, invert(h, n)) < 1e-9 * Math.max(...invert(h, n).map(Math.abs)));
  });

  test('an indefinite matrix has no factor', () => {
    assert.equal(inverseCholeskyUpper(Float64Array.from([1, 2, 2, 1]), 2), null);
    assert.equal(inverseCholeskyUpper(Float64Array.from([1, 1, 1, 1]), 2), null); // singular
  });
});

describe('GPTQ', () => {
  const x = correlatedInputs(11);
  const w = layerWeights(12);
  const h = hessian(x, N, IN);

  test('equals the step-by-step OBS update (eq. 3) with H_F⁻¹ recomputed, for any block size', () => {
    for (const groupSize of [null, 16]) {
      const reference = naiveGptq(w, IN, OUT, h, 4, groupSize);
      for (const blockSize of [1, 7, 64, 128]) {
        const q = gptqQuantize(w, IN, OUT, h, { bits: 4, groupSize, blockSize });
        assert.ok(maxAbsDiff(q.weights, reference) < 1e-6, `group ${groupSize}, block ${blockSize}: ${maxAbsDiff(q.weights, reference)}`);
      }
    }
  });

  test('beats round-to-nearest on correlated inputs with outliers, at 4 and 3 bits', (t) => {
    const heldOut = correlatedInputs(13);
    for (const bits of [4, 3]) {
      for (const groupSize of [null, 16]) {
        for (const actOrder of [false, true]) {
          const rtn = rtnQuantize(w, IN, OUT, { bits, groupSize });
          const gptq = gptqQuantize(w, IN, OUT, h, { bits, groupSize, actOrder });
          const errRtn = layerOutputError(x, N, w, rtn.weights, IN, OUT);
          const errGptq = layerOutputError(x, N, w, gptq.weights, IN, OUT);
          const heldRtn = layerOutputError(heldOut, N, w, rtn.weights, IN, OUT);
          const heldGptq = layerOutputError(heldOut, N, w, gptq.weights, IN, OUT);
          const label = `${bits} bits, ${groupSize === null ? 'per channel' : `groups of ${groupSize}`}${actOrder ? ', act order' : ''}`;
          t.diagnostic(`${label}: RTN ${errRtn.toExponential(3)}, GPTQ ${errGptq.toExponential(3)} (held out: ${heldRtn.toExponential(3)}, ${heldGptq.toExponential(3)})`);
          assert.ok(errGptq < 0.6 * errRtn, `${label}: GPTQ ${errGptq} vs RTN ${errRtn}`);
          assert.ok(heldGptq < 0.6 * heldRtn, `${label}, held out: GPTQ ${heldGptq} vs RTN ${heldRtn}`);
        }
      }
    }
  });

  test('the summed loss is ½ Σ_c Δ_cᵀ (H + λ·mean·I) Δ_c, Δ = W − Ŵ', () => {
    for (const groupSize of [null, 16]) {
      const q = gptqQuantize(w, IN, OUT, h, { bits: 3, groupSize, blockSize: 16, actOrder: true });
      let mean = 0;
      for (let i = 0; i < IN; i++) mean += h[i * IN + i] / IN;
      // Ŵ exactly, from codes and scales, so the Float32 output does not blur the comparison.
      const delta = Float64Array.from(w, (v, k) => v - q.codes[k] * q.scales[q.groupIndex[Math.floor(k / OUT)] * OUT + (k % OUT)]);
      let quadratic = 0;
      for (let i = 0; i < IN; i++) {
        for (let j = 0; j < IN; j++) {
          const hij = h[i * IN + j] + (i === j ? q.dampening * mean : 0);
          for (let c = 0; c < OUT; c++) quadratic += 0.5 * delta[i * OUT + c] * hij * delta[j * OUT + c];
        }
      }
      assert.ok(Math.abs(q.loss - quadratic) < 1e-9 * quadratic, `${q.loss} vs ${quadratic}`);
      assert.ok(Math.abs(q.featureLoss.reduce((a, b) => a + b, 0) - q.loss) < 1e-12 * q.loss);
    }
  });

  test('16 bits: both are nearly exact', () => {
    for (const groupSize of [null, 16]) {
      const rtn = rtnQuantize(w, IN, OUT, { bits: 16, groupSize });
      const gptq = gptqQuantize(w, IN, OUT, h, { bits: 16, groupSize });
      assert.ok(layerOutputError(x, N, w, rtn.weights, IN, OUT) < 1e-8);
      assert.ok(layerOutputError(x, N, w, gptq.weights, IN, OUT) < 1e-8);
    }
  });

  test('a diagonal Hessian decouples the inputs: GPTQ is exactly RTN', () => {
    // With H diagonal, (H + λI)⁻¹ is diagonal and so is its Cholesky factor: every feedback
    // coefficient U_pk (k > p) is zero and no row is changed before it is rounded.
    const identity = Float64Array.from({ length: IN * IN }, (_, k) => (k % (IN + 1) === 0 ? 1 : 0));
    for (const bits of [3, 4]) {
      for (const groupSize of [null, 16]) {
        const gptq = gptqQuantize(w, IN, OUT, identity, { bits, groupSize, blockSize: 16 });
        const rtn = rtnQuantize(w, IN, OUT, { bits, groupSize });
        assert.deepEqual(gptq.weights, rtn.weights);
        assert.deepEqual(gptq.codes, rtn.codes);
        assert.deepEqual(gptq.scales, rtn.scales);
      }
    }
    // Unequal diagonal with act order: the order changes, per-channel scales do not, so still RTN.
    const diagonal = Float64Array.from({ length: IN * IN }, (_, k) => (k % (IN + 1) === 0 ? 1 + ((k / (IN + 1)) * 7) % 13 : 0));
    const permuted = gptqQuantize(w, IN, OUT, diagonal, { bits: 3, actOrder: true });
    assert.notDeepEqual(Array.from(permuted.order), Array.from({ length: IN }, (_, i) => i));
    assert.deepEqual(permuted.weights, rtnQuantize(w, IN, OUT, { bits: 3 }).weights);
    // And the claim is not vacuous: the correlated Hessian does change the weights.
    assert.notDeepEqual(gptqQuantize(w, IN, OUT, h, { bits: 3 }).weights, rtnQuantize(w, IN, OUT, { bits: 3 }).weights);
  });

  test('act order restores the original order: permuting the inputs permutes the result', () => {
    const perm = Array.from({ length: IN }, (_, i) => (i * 37 + 5) % IN); // 37 is coprime with 64
    const xp = Float32Array.from({ length: N * IN }, (_, k) => x[Math.floor(k / IN) * IN + perm[k % IN]]);
    const wp = Float32Array.from({ length: IN * OUT }, (_, k) => w[perm[Math.floor(k / OUT)] * OUT + (k % OUT)]);
    const base = gptqQuantize(w, IN, OUT, h, { bits: 3, actOrder: true });
    const moved = gptqQuantize(wp, IN, OUT, hessian(xp, N, IN), { bits: 3, actOrder: true });
    const expected = Float32Array.from({ length: IN * OUT }, (_, k) => base.weights[perm[Math.floor(k / OUT)] * OUT + (k % OUT)]);
    assert.ok(maxAbsDiff(moved.weights, expected) < 1e-6);
    assert.equal(moved.order[0], perm.indexOf(base.order[0]));
  });

  test('a dead input (always zero) gets a zero row and no loss; the rest is finite', () => {
    const dead = 5;
    const xd = x.slice();
    for (let r = 0; r < N; r++) xd[r * IN + dead] = 0;
    const hd = hessian(xd, N, IN);
    for (const actOrder of [false, true]) {
      const q = gptqQuantize(w, IN, OUT, hd, { bits: 4, groupSize: 16, actOrder });
      assert.deepEqual(q.deadInputs, [dead]);
      assert.ok(q.weights.every(Number.isFinite));
      assert.deepEqual(Array.from(q.weights.subarray(dead * OUT, (dead + 1) * OUT)), new Array(OUT).fill(0));
      assert.ok(w.subarray(dead * OUT, (dead + 1) * OUT).some((v) => v !== 0)); // it was not zero before
      assert.equal(q.featureLoss[dead], 0);
      if (actOrder) assert.equal(q.order[IN - 1], dead); // dead inputs go last
      assert.ok(layerOutputError(xd, N, w, q.weights, IN, OUT) < layerOutputError(xd, N, w, rtnQuantize(w, IN, OUT, { bits: 4, groupSize: 16 }).weights, IN, OUT));
    }
  });

  test('every value lies on its channel’s grid, and the scales follow the absmax rule', () => {
    for (const bits of [2, 3, 4, 8]) {
      const qmax = intMax(bits);
      for (const groupSize of [null, 16]) {
        for (const actOrder of [false, true]) {
          const q = gptqQuantize(w, IN, OUT, h, { bits, groupSize, actOrder });
          const groups = groupSize === null ? 1 : IN / groupSize;
          assert.equal(q.scales.length, groups * OUT);
          for (let i = 0; i < IN; i++) {
            for (let c = 0; c < OUT; c++) {
              const k = i * OUT + c;
              assert.ok(Math.abs(q.codes[k]) <= qmax && Number.isInteger(q.codes[k]));
              assert.equal(q.weights[k], Math.fround(q.codes[k] * q.scales[q.groupIndex[i] * OUT + c]));
            }
          }
          // Every group holds groupSize features.
          const sizes = new Array(groups).fill(0);
          q.groupIndex.forEach((g) => sizes[g]++);
          assert.deepEqual(sizes, new Array(groups).fill(groupSize ?? IN));
          // Per channel, and the first group without act order (nothing is updated before it):
          // the scale is the absmax of the original weights over the group, over qmax.
          const rows = groupSize === null ? IN : actOrder ? 0 : groupSize;
          for (let c = 0; c < OUT && rows > 0; c++) {
            let m = 0;
            for (let i = 0; i < rows; i++) m = Math.max(m, Math.abs(w[i * OUT + c]));
            assert.equal(q.scales[c], m / qmax);
          }
        }
      }
    }
  });

  test('raises the dampening when the Hessian needs it, and fails clearly when nothing helps', () => {
    // Eigenvalues 2.05 and −0.05: indefinite, fixed by a dampening of 0.1 × mean(diag) = 0.1.
    const nearly = Float64Array.from([1, 1.05, 1.05, 1]);
    const w2 = Float32Array.from([0.3, -0.2, 0.1, 0.4]);
    const q = gptqQuantize(w2, 2, 2, nearly, { bits: 4 });
    assert.equal(q.dampening, 0.1);
    assert.ok(q.weights.every(Number.isFinite));
    assert.throws(() => gptqQuantize(w2, 2, 2, Float64Array.from([-1, 0, 0, -1]), { bits: 4 }), /not positive definite even with dampening 10 /);
    assert.throws(() => gptqQuantize(w2, 2, 2, Float64Array.from([1, NaN, NaN, 1]), { bits: 4 }), /NaN/);
    assert.throws(() => gptqQuantize(w2, 2, 2, nearly, { bits: 1 }), /bits/);
    assert.throws(() => gptqQuantize(w2, 2, 2, nearly, { bits: 4, groupSize: 0 }), /groupSize/);
    assert.throws(() => gptqQuantize(w2, 3, 2, nearly, { bits: 4 }), /expected 3 × 2/);
  });
});

describe('layer output error', () => {
  test('is relative, zero for identical weights and scale-free', () => {
    const x = correlatedInputs(21, 50, 8);
    const w = layerWeights(22, 8, 4);
    assert.equal(layerOutputError(x, 50, w, w, 8, 4), 0);
    assert.ok(Math.abs(layerOutputError(x, 50, w, w.map((v) => 0.9 * v), 8, 4) - 0.01) < 1e-6); // (0.1)² relative
    assert.equal(layerOutputError(x, 50, w, w.map(() => 0), 8, 4), 1);
  });
});
