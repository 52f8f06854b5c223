import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PAPER_CONSTANTS as c } from '../../src/law/constants';
import { BITS_LINEAR, PRECISION_BLIND, tableCostModel, trainingCompute } from '../../src/law/cost';
import {
  effectiveParams,
  precisionFactor,
  predict,
  pretrainLoss,
  ptqDegradation,
  ptqDegradationHighPrecision,
  uniformPrecision,
} from '../../src/law/law';

const close = (actual: number, expected: number, rel = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} != ${expected} (rel ${rel})`);

describe('effective parameter count (Eq. 4)', () => {
  it('f_x(P) = 1 - exp(-P/gamma_x + n_x) for each part', () => {
    close(precisionFactor(c, 'w', 4), 1 - Math.exp(-4 / 2.6745 + 0.3037));
    close(precisionFactor(c, 'a', 6), 1 - Math.exp(-6 / 2.2102 + 1.4072));
    close(precisionFactor(c, 'kv', 3), 1 - Math.exp(-3 / 0.9578 + 2.4185));
  });

  it('N_eff is N times the product of the three factors', () => {
    const r = effectiveParams(c, 1e8, { w: 4, a: 8, kv: 6 });
    assert.ok(r.ok);
    const expected = 1e8 * (1 - Math.exp(-4 / 2.6745 + 0.3037)) * (1 - Math.exp(-8 / 2.2102 + 1.4072)) * (1 - Math.exp(-6 / 0.9578 + 2.4185));
    close(r.nEff, expected);
  });

  it('reports the unstable region as a typed error naming the part, never a negative N_eff', () => {
    // gamma_kv * n_kv = 2.316: KV cache at 2 bits gives f_kv < 0.
    const r = effectiveParams(c, 1e8, { w: 16, a: 16, kv: 2 });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.code === 'unstable-precision' && r.part === 'kv');
    assert.match(!r.ok ? r.message : '', /KV cache at 2 bits/);
  });
});

describe('pre-training loss (Eq. 3)', () => {
  it('is A N_eff^-alpha + B D^-beta + E', () => {
    const r = pretrainLoss(c, 5e7, 2e9, uniformPrecision(8));
    assert.ok(r.ok);
    const f = (1 - Math.exp(-8 / 2.6745 + 0.3037)) * (1 - Math.exp(-8 / 2.2102 + 1.4072)) * (1 - Math.exp(-8 / 0.9578 + 2.4185));
    close(r.loss, 4299 * (5e7 * f) ** -0.4965 + 18060 * 2e9 ** -0.4965 + 2.7648);
  });

  it('approaches the Chinchilla form at high precision', () => {
    const r = pretrainLoss(c, 5e7, 2e9, uniformPrecision(64));
    assert.ok(r.ok);
    close(r.loss, 4299 * 5e7 ** -0.4965 + 18060 * 2e9 ** -0.4965 + 2.7648, 1e-9);
  });

  it('rejects non-positive sizes and token counts', () => {
    for (const [n, d] of [[0, 1e9], [1e8, -1], [NaN, 1e9]]) {
      const r = pretrainLoss(c, n, d, uniformPrecision(16));
      assert.ok(!r.ok && r.code === 'invalid-input');
    }
  });
});

describe('post-training quantization degradation (Eq. 2 and 9)', () => {
  it('Eq. 2: C_T exp(-P/gamma_post + b_post) D^gamma_D / N^gamma_N', () => {
    close(ptqDegradationHighPrecision(c, 1e8, 1e10, 4), 0.0598 * Math.exp(-4 / 0.5907 + 1.1277) * 1e10 ** 0.5068 / 1e8 ** 0.3439);
  });

  it('Eq. 9 reduces to Eq. 2 when training precision is high', () => {
    const r = ptqDegradation(c, 1e8, 1e10, uniformPrecision(200), 4);
    assert.ok(r.ok);
    close(r.delta, ptqDegradationHighPrecision(c, 1e8, 1e10, 4), 1e-9);
  });

  it('Eq. 9 multiplies by the robustness factor and uses N_eff', () => {
    const p = { w: 6, a: 8, kv: 8 };
    const r = ptqDegradation(c, 1e8, 1e10, p, 4);
    assert.ok(r.ok);
    const eff = effectiveParams(c, 1e8, p);
    assert.ok(eff.ok);
    const robust = (1 - Math.exp(-1 * 2)) * (1 - Math.exp(-1 * 4)) * (1 - Math.exp(-1 * 4));
    close(r.delta, 0.0598 * Math.exp(-4 / 0.5907 + 1.1277) * 1e10 ** 0.5068 / eff.nEff ** 0.3439 * robust);
  });

  it('is zero when the weights are already at P_post, and an error above it', () => {
    const same = ptqDegradation(c, 1e8, 1e10, uniformPrecision(8), 8);
    assert.ok(same.ok && same.delta === 0);
    const above = ptqDegradation(c, 1e8, 1e10, uniformPrecision(8), 12);
    assert.ok(!above.ok && above.code === 'post-above-training');
  });

  it('grows with tokens at fixed size and shrinks with size (Finding 1)', () => {
    const at = (n: number, d: number) => {
      const r = ptqDegradation(c, n, d, uniformPrecision(16), 4);
      assert.ok(r.ok);
      return r.delta;
    };
    assert.ok(at(1e8, 1e11) > at(1e8, 1e10));
    assert.ok(at(1e9, 1e10) < at(1e8, 1e10));
  });
});

describe('the unified law (Eq. 11)', () => {
  it('loss = train loss + delta_PTQ', () => {
    const p = predict(c, { params: 3e7, tokens: 3e9, precision: { w: 8, a: 8, kv: 16 }, post: 4 });
    assert.ok(p.ok);
    const train = pretrainLoss(c, 3e7, 3e9, { w: 8, a: 8, kv: 16 });
    const delta = ptqDegradation(c, 3e7, 3e9, { w: 8, a: 8, kv: 16 }, 4);
    assert.ok(train.ok && delta.ok);
    close(p.trainLoss, train.loss);
    close(p.deltaPTQ, delta.delta);
    close(p.loss, train.loss + delta.delta);
  });

  it('never returns NaN or a non-positive loss: every input gives a finite loss or a typed error', () => {
    let errors = 0;
    for (let i = 0; i < 5000; i++) {
      const bits = () => [1, 2, 3, 4, 5, 6, 8, 12, 16, 32, 0, -1, NaN][i % 13 === 0 ? 12 : Math.floor(Math.random() * 12)];
      const p = predict(c, {
        params: 10 ** (Math.random() * 14 - 2),
        tokens: 10 ** (Math.random() * 16 - 2),
        precision: { w: bits(), a: bits(), kv: bits() },
        post: Math.random() < 0.5 ? undefined : bits(),
      });
      if (p.ok) assert.ok(Number.isFinite(p.loss) && p.loss > 0 && p.deltaPTQ >= 0, JSON.stringify(p));
      else {
        errors++;
        assert.ok(['invalid-input', 'unstable-precision', 'post-above-training'].includes(p.code) && p.message.length > 0);
      }
    }
    assert.ok(errors > 0);
  });
});

describe('cost models', () => {
  it("Kumar et al.'s C = (6/16) N D P is 6ND at 16 bits and half that at 8", () => {
    assert.equal(trainingCompute(BITS_LINEAR, 1e8, 1e10, uniformPrecision(16)), 6e18);
    assert.equal(trainingCompute(BITS_LINEAR, 1e8, 1e10, uniformPrecision(8)), 3e18);
    // Matmuls run at the wider operand: 4-bit weights with 8-bit activations cost as 8 bits.
    assert.equal(trainingCompute(BITS_LINEAR, 1e8, 1e10, { w: 4, a: 8, kv: 4 }), 3e18);
    assert.equal(trainingCompute(PRECISION_BLIND, 1e8, 1e10, uniformPrecision(4)), 6e18);
  });

  it('a hardware table interpolates between its entries and clamps outside', () => {
    const m = tableCostModel('h100', { 16: 1, 8: 0.5, 4: 0.5 });
    assert.equal(m.flopsPerParamToken(16), 6);
    assert.equal(m.flopsPerParamToken(12), 6 * 0.75);
    assert.equal(m.flopsPerParamToken(2), 3);
    assert.equal(m.flopsPerParamToken(32), 6);
    assert.throws(() => tableCostModel('bad', {}), /at least one positive entry/);
  });
});
