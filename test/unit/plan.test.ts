import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PAPER_CONSTANTS as c } from '../../src/law/constants';
import { BITS_LINEAR, PRECISION_BLIND } from '../../src/law/cost';
import { DEFAULT_FORMATS } from '../../src/law/formats';
import { criticalTokens, criticalTokensClosedForm } from '../../src/law/dcrit';
import { predict, uniformPrecision } from '../../src/law/law';
import { type Plan, fixedPrecisionOptimum, isLawError, plan } from '../../src/law/plan';

function ok(p: ReturnType<typeof plan>): Plan {
  assert.ok(p.ok, JSON.stringify(p));
  return p as Plan;
}

const lossAt = (n: number, d: number, bits: number, post?: number): number => {
  const p = predict(c, { params: n, tokens: d, precision: uniformPrecision(bits), post });
  return p.ok ? p.loss : Infinity;
};

/** Brute force: a fine log grid over N at each precision of a grid, with D from the budget. */
function bruteForce(compute: number, bitsGrid: number[], nGrid: (bits: number) => number[]) {
  let best = { loss: Infinity, n: 0, bits: 0 };
  for (const bits of bitsGrid) {
    for (const n of nGrid(bits)) {
      const d = compute / (BITS_LINEAR.flopsPerParamToken(bits) * n);
      const l = lossAt(n, d, bits);
      if (l < best.loss) best = { loss: l, n, bits };
    }
  }
  return best;
}

const logGrid = (lo: number, hi: number, steps: number) => Array.from({ length: steps + 1 }, (_, i) => lo * (hi / lo) ** (i / steps));

describe('critical data size (Eq. 13)', () => {
  it('the closed form equals the numerical root where both apply', () => {
    for (const [n, post] of [[3e7, 3], [1e8, 4], [1e9, 6], [7e10, 8]]) {
      const closed = criticalTokensClosedForm(c, n, post);
      const numerical = criticalTokens(c, n, uniformPrecision(1000), post);
      assert.ok(closed.ok && numerical.ok);
      assert.ok(Math.abs(numerical.tokens / closed.tokens - 1) < 1e-8, `${numerical.tokens} vs ${closed.tokens}`);
    }
  });

  it('is the minimum of the post-PTQ loss over D', () => {
    const r = criticalTokens(c, 1e8, uniformPrecision(16), 4);
    assert.ok(r.ok);
    for (const factor of [0.8, 0.95, 1.05, 1.25]) assert.ok(lossAt(1e8, r.tokens * factor, 16, 4) > r.loss);
    assert.ok(Math.abs(lossAt(1e8, r.tokens, 16, 4) - r.loss) < 1e-12);
  });

  it('grows with model size and with the deployment precision', () => {
    const at = (n: number, post: number) => {
      const r = criticalTokens(c, n, uniformPrecision(16), post);
      assert.ok(r.ok);
      return r.tokens;
    };
    assert.ok(at(1e9, 4) > at(1e8, 4));
    assert.ok(at(1e8, 6) > at(1e8, 4));
  });

  it('is a typed answer, not a number, when there is no degradation', () => {
    const r = criticalTokens(c, 1e8, uniformPrecision(8), 8);
    assert.ok(!r.ok && r.code === 'post-above-training');
  });
});

describe('planner 1: fixed precision (Eq. 16)', () => {
  it('matches a brute-force grid over N at the same compute', () => {
    for (const bits of [16, 8, 5]) {
      const C = 1e21;
      const p = fixedPrecisionOptimum(c, C, uniformPrecision(bits));
      assert.ok(!isLawError(p));
      const brute = bruteForce(C, [bits], () => logGrid(1e7, 1e12, 4000));
      assert.ok(p.loss <= brute.loss + 1e-12, `closed form ${p.loss} vs grid ${brute.loss}`);
      assert.ok(Math.abs(Math.log(p.params / brute.n)) < 0.01);
      assert.ok(Math.abs(p.compute / C - 1) < 1e-9);
    }
  });

  it('reduces to the Chinchilla solution at high precision and 6ND', () => {
    const C = 1e22;
    const p = fixedPrecisionOptimum(c, C, uniformPrecision(1000), PRECISION_BLIND);
    assert.ok(!isLawError(p));
    const g = ((c.alpha * c.A) / (c.beta * c.B)) ** (1 / (c.alpha + c.beta));
    assert.ok(Math.abs(p.params / (g * (C / 6) ** (c.beta / (c.alpha + c.beta))) - 1) < 1e-9);
  });
});

describe('planner 2: joint N, D, P', () => {
  it('its continuous optimum matches a brute-force grid over precision and size', () => {
    const C = 1e21;
    const p = ok(plan(c, { scenario: 'joint', compute: C }));
    const brute = bruteForce(C, Array.from({ length: 1301 }, (_, i) => 3 + i * 0.01), () => logGrid(1e8, 1e11, 600));
    assert.ok(p.continuous && p.continuous.label === 'continuous optimum, not a format');
    assert.ok(p.continuous.loss <= brute.loss + 1e-9, `${p.continuous.loss} vs ${brute.loss}`);
    assert.ok(Math.abs(p.continuous.bits - brute.bits) < 0.05, `P* ${p.continuous.bits} vs grid ${brute.bits}`);
    // The plan itself is the best format, no better than the continuous optimum.
    assert.ok(p.loss >= p.continuous.loss - 1e-12);
  });

  it('lands on the best realizable format: the brute-force minimum over the formats', () => {
    for (const C of [1e19, 1e21, 1e23]) {
      const p = ok(plan(c, { scenario: 'joint', compute: C }));
      const brute = bruteForce(C, DEFAULT_FORMATS.map((f) => f.bits), () => logGrid(1e6, 1e13, 3000));
      assert.equal(p.precision.w, brute.bits);
      assert.ok(p.loss <= brute.loss + 1e-12);
      assert.deepEqual(p.format, DEFAULT_FORMATS.find((f) => f.bits === p.precision.w));
    }
  });

  it("finds the paper's compute-optimal precision near 7 bits, independent of compute", () => {
    const bits = [1e19, 1e21, 1e23, 1e25].map((C) => ok(plan(c, { scenario: 'joint', compute: C })).continuous?.bits ?? NaN);
    for (const b of bits) assert.ok(b > 6 && b < 8.5, `P* = ${b}`);
    assert.ok(Math.max(...bits) - Math.min(...bits) < 1e-3);
  });

  it('beats every listed alternative, and the margins say by how much', () => {
    const p = ok(plan(c, { scenario: 'joint', compute: 1e22 }));
    assert.deepEqual(
      p.alternatives.map((a) => a.precision.w),
      [16, 8, 4],
    );
    for (const a of p.alternatives) {
      assert.ok(a.margin >= -1e-12);
      assert.ok(Math.abs(a.margin - (a.loss - p.loss)) < 1e-15);
      assert.ok(Math.abs(a.compute / 1e22 - 1) < 1e-9);
    }
    // The plan trains in 8 bits, so the 8-bit alternative is the plan itself and says so.
    assert.equal(p.format?.name, 'int8/fp8-e4m3');
    assert.match(p.alternatives[1].label, /\(the plan\)$/);
    assert.equal(p.alternatives[1].margin, 0);
  });
});

describe('planner 3: fixed model size', () => {
  it('matches a brute-force grid over precision', () => {
    const C = 1e20;
    const n = 1e9;
    const p = ok(plan(c, { scenario: 'fixed-params', compute: C, params: n }));
    const brute = bruteForce(C, Array.from({ length: 1401 }, (_, i) => 2.5 + i * 0.01), () => [n]);
    assert.ok(p.continuous && p.continuous.loss <= brute.loss + 1e-9);
    assert.ok(Math.abs(p.continuous.bits - brute.bits) < 0.02);
    assert.equal(p.params, n);
    const formats = bruteForce(C, DEFAULT_FORMATS.map((f) => f.bits), () => [n]);
    assert.equal(p.precision.w, formats.bits);
    assert.ok(Math.abs(p.loss - formats.loss) < 1e-12);
  });

  it('asks for more precision as compute grows, linearly in log C once data dominates', () => {
    const bits = [1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24].map(
      (C) => ok(plan(c, { scenario: 'fixed-params', compute: C, params: 1e9, maxBits: 64 })).continuous?.bits ?? NaN,
    );
    for (let i = 1; i < bits.length; i++) assert.ok(bits[i] > bits[i - 1], bits.join(' '));
    // From 1e21 on (hundreds of tokens per parameter) each decade of compute adds the same bits.
    const steps = bits.slice(4).map((b, i) => b - bits[3 + i]);
    assert.ok(Math.max(...steps) / Math.min(...steps) < 1.1, steps.join(' '));
  });

  it('needs a size', () => {
    const r = plan(c, { scenario: 'fixed-params', compute: 1e20 });
    assert.ok(!r.ok && /parameter count/.test(r.message));
  });
});

describe('planner 4: inference-aware', () => {
  it('respects the memory budget and matches a brute-force search over the formats', () => {
    const C = 1e21;
    const budget = 8 * 2e9; // 2 GB of weights
    const p = ok(plan(c, { scenario: 'inference', compute: C, inferenceBudget: budget }));
    const deployed = p.post ?? p.precision.w;
    assert.ok(p.params * deployed <= budget * (1 + 1e-9));
    const widths = DEFAULT_FORMATS.map((f) => f.bits);
    assert.ok(widths.includes(p.precision.w) && widths.includes(deployed));
    assert.equal(p.postFormat?.bits, deployed);
    assert.equal(p.format?.bits, p.precision.w);
    let brute = Infinity;
    for (const post of widths) {
      for (const train of widths.filter((b) => b >= post)) {
        for (const n of logGrid(1e6, budget / post, 300)) {
          const d = C / (BITS_LINEAR.flopsPerParamToken(train) * n);
          brute = Math.min(brute, lossAt(n, d, train, train > post ? post : undefined));
        }
      }
    }
    assert.ok(p.loss <= brute + 1e-6, `${p.loss} vs brute ${brute}`);
    assert.equal(p.alternatives.length, 4);
    for (const a of p.alternatives) assert.ok(a.params * (a.post ?? a.precision.w) <= budget * (1 + 1e-9));
  });

  it('needs a budget', () => {
    const r = plan(c, { scenario: 'inference', compute: 1e21 });
    assert.ok(!r.ok && /inference budget/.test(r.message));
  });
});

describe('planner inputs', () => {
  it('rejects a non-positive compute budget and an unknown scenario with typed errors', () => {
    assert.ok(!plan(c, { scenario: 'joint', compute: -1 }).ok);
    assert.ok(!plan(c, { scenario: 'fixed-precision', compute: 1e20 }).ok);
    const r = plan(c, { scenario: 'sideways' as never, compute: 1e20 });
    assert.ok(!r.ok && /unknown scenario/.test(r.message));
  });
});
