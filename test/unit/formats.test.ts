import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PAPER_CONSTANTS as c } from '../../src/law/constants';
import { BITS_LINEAR, PRECISION_BLIND, throughputCostModel } from '../../src/law/cost';
import { DEFAULT_FORMATS, formatLabel, parseFormat, parseFormats } from '../../src/law/formats';
import { type Plan, type PlanRequest, plan } from '../../src/law/plan';
import { planSettings } from '../../src/extension/planSettings';

function ok(p: ReturnType<typeof plan>): Plan {
  assert.ok(p.ok, JSON.stringify(p));
  return p as Plan;
}

function table(speeds: Record<string, number>) {
  const r = throughputCostModel(speeds);
  assert.ok(r.ok, JSON.stringify(r));
  return r.model;
}

describe('realizable formats: one vocabulary', () => {
  it('a floating-point format counts all its bits; names and bits mean the same widths', () => {
    assert.equal(parseFormat('fp8')?.bits, 8);
    assert.equal(parseFormat('fp8_e4m3')?.bits, 8);
    assert.equal(parseFormat('float8_e5m2')?.bits, 8);
    assert.equal(parseFormat('e2m1')?.bits, 4);
    assert.equal(parseFormat('fp6')?.bits, 6);
    assert.equal(parseFormat('BF16')?.bits, 16);
    assert.deepEqual(parseFormat('8'), { bits: 8, name: 'int8/fp8-e4m3' });
    assert.deepEqual(parseFormat(7), { bits: 7, name: 'int7' });
    assert.equal(parseFormat('fp7x'), undefined);
    assert.equal(formatLabel({ bits: 4, name: 'int4/fp4-e2m1' }), '4-bit (int4/fp4-e2m1)');
  });

  it('parses a list, merges formats of one width, and names what it cannot read', () => {
    const r = parseFormats('fp8, int8, 16, int4');
    assert.ok(r.ok);
    assert.deepEqual(r.formats, [{ bits: 16, name: 'bf16' }, { bits: 8, name: 'fp8/int8' }, { bits: 4, name: 'int4' }]);
    const bad = parseFormats('16,fp9');
    assert.ok(!bad.ok && /"fp9" is not a format/.test(bad.message));
    assert.ok(!parseFormats('').ok);
  });
});

describe('plans land on realizable formats only', () => {
  const widths = new Set(DEFAULT_FORMATS.map((f) => f.bits));
  const requests: PlanRequest[] = [
    { scenario: 'joint', compute: 1e19 },
    { scenario: 'joint', compute: 1e23 },
    { scenario: 'joint', compute: 1e21, cost: PRECISION_BLIND },
    { scenario: 'fixed-params', compute: 1e20, params: 1e9 },
    { scenario: 'fixed-params', compute: 1e24, params: 1e9 },
    { scenario: 'inference', compute: 1e21, inferenceBudget: 8 * 2e9 },
    { scenario: 'inference', compute: 1e23, inferenceBudget: 8 * 1e9 },
  ];
  for (const req of requests) {
    it(`${req.scenario} at ${req.compute.toExponential(0)}${req.cost ? ` (${req.cost.id})` : ''}`, () => {
      const p = ok(plan(c, req));
      for (const bits of [p.precision.w, p.precision.a, p.precision.kv]) assert.ok(widths.has(bits), `training at ${bits} bits`);
      assert.ok(p.format && p.format.bits === p.precision.w, 'the plan names its training format');
      if (req.scenario === 'inference') {
        const served = p.post ?? p.precision.w;
        assert.ok(widths.has(served), `served at ${served} bits`);
        assert.equal(p.postFormat?.bits, served);
      }
      // Each format was evaluated: no listed format does better at the same compute.
      for (const a of p.alternatives) assert.ok(a.margin >= -1e-9, `${a.label}: ${a.margin}`);
    });
  }

  it('chooses among the formats it is given, and says so', () => {
    const p = ok(plan(c, { scenario: 'joint', compute: 1e21, formats: [{ bits: 16, name: 'bf16' }, { bits: 4, name: 'fp4' }] }));
    assert.equal(p.format?.name, 'bf16');
    assert.deepEqual(p.formats.map((f) => f.bits), [16, 4]);
  });

  it('the continuous optimum is a labelled reference beside the format, not the plan', () => {
    const p = ok(plan(c, { scenario: 'joint', compute: 1e21 }));
    assert.equal(p.continuous?.label, 'continuous optimum, not a format');
    assert.ok(Math.abs((p.continuous?.bits ?? 0) - 7) < 0.1);
    assert.equal(p.precision.w, 8);
  });

  it('a format below the stable training precision is left out with a note, not chosen', () => {
    const p = ok(plan(c, { scenario: 'joint', compute: 1e21, formats: [{ bits: 3, name: 'int3' }, { bits: 4, name: 'int4' }] }));
    assert.equal(p.precision.w, 4);
    assert.ok(p.notes.some((n) => /outside the law.*3-bit \(int3\)/.test(n)), p.notes.join('; '));
  });
});

describe('throughput tables', () => {
  it('a relative speed s costs 1/s of bf16 per 6ND; bf16 at speed 1 is 6ND', () => {
    const m = table({ bf16: 1, fp8: 1.8, int4: 3 });
    assert.equal(m.flopsPerParamToken(16), 6);
    assert.ok(Math.abs(m.flopsPerParamToken(8) - 6 / 1.8) < 1e-12);
    assert.ok(Math.abs(m.flopsPerParamToken(4) - 2) < 1e-12);
    assert.deepEqual(m.formats, [{ bits: 16, name: 'bf16' }, { bits: 8, name: 'fp8' }, { bits: 4, name: 'int4' }]);
    assert.equal(m.prices?.(6), false);
  });

  it('plans choose among the table\'s formats by default', () => {
    const p = ok(plan(c, { scenario: 'joint', compute: 1e21, cost: table({ bf16: 1, fp8: 1.8, int4: 3 }) }));
    assert.deepEqual(p.formats.map((f) => f.name), ['bf16', 'fp8', 'int4']);
    assert.equal(p.format?.name, 'fp8');
  });

  it('a format made faster is chosen where the law\'s loss is close (fp6 against fp8)', () => {
    const at = (fp6: number) => ok(plan(c, { scenario: 'joint', compute: 1e21, cost: table({ bf16: 1, fp8: 2, fp6 }) }));
    // At fp8's speed, 6 bits only loses capacity: fp8 wins.
    assert.equal(at(2).format?.name, 'fp8');
    // Bits-linear prices 6 bits at 8/6 of fp8's speed, where the two are within 1e-3 nats; faster, fp6 wins.
    assert.equal(at(3).format?.name, 'fp6');
    // Monotone: once faster fp6 wins it keeps winning.
    let switched = false;
    for (let s = 2; s <= 4; s += 0.1) {
      const name = at(s).format?.name;
      if (name === 'fp6') switched = true;
      else assert.ok(!switched, `fp8 came back at fp6 speed ${s}`);
    }
    // And a faster 8-bit format takes the plan back from 16 bits under a precision-blind baseline.
    assert.equal(ok(plan(c, { scenario: 'joint', compute: 1e21, cost: table({ bf16: 1, fp8: 1 }) })).format?.name, 'bf16');
    assert.equal(ok(plan(c, { scenario: 'joint', compute: 1e21, cost: table({ bf16: 1, fp8: 1.5 }) })).format?.name, 'fp8');
  });

  it('a chosen format between the table\'s entries is priced by interpolation, and the plan says so', () => {
    const p = ok(plan(c, { scenario: 'joint', compute: 1e21, cost: table({ bf16: 1, int4: 4 }), formats: DEFAULT_FORMATS }));
    // 8 bits, a third of the way from int4 (cost 1/4) to bf16 (cost 1), costs 6ND x 0.5.
    assert.equal(table({ bf16: 1, int4: 4 }).flopsPerParamToken(8), 3);
    assert.equal(p.format?.bits, 8);
    assert.ok(p.notes.some((n) => /8-bit \(int8\/fp8-e4m3\) is not in the cost table: its cost is interpolated/.test(n)), p.notes.join('; '));
  });

  it('errors name the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ bf16: 1, fp9: 2 }, /field "fp9": not a format/],
      [{ bf16: 1, fp8: 0 }, /field "fp8": the relative speed must be a positive number \(got 0\)/],
      [{ bf16: 1, fp8: '2' }, /field "fp8": .*got "2"/],
      [{ fp8: 2, int8: 1.5 }, /field "int8": 8 bits already has speed 2 \(field "fp8"\)/],
      [{}, /empty/],
      [[1, 2], /JSON object/],
    ];
    for (const [value, pattern] of cases) {
      const r = throughputCostModel(value);
      assert.ok(!r.ok && pattern.test(r.message), `${JSON.stringify(value)}: ${JSON.stringify(r)}`);
    }
    // Same speed at one width is one format with two names.
    assert.deepEqual(table({ fp8: 2, int8: 2 }).formats, [{ bits: 8, name: 'fp8/int8' }]);
  });
});

describe('plan settings (precisionPlanner.costModel, precisionPlanner.plan.formats)', () => {
  it('a built-in id, a table, or nothing', () => {
    assert.equal(planSettings({}).cost, BITS_LINEAR);
    assert.equal(planSettings({ costModel: '6nd' }).cost, PRECISION_BLIND);
    const t = planSettings({ costModel: { bf16: 1, fp8: 1.8, int4: 3 } });
    assert.deepEqual(t.errors, []);
    assert.equal(t.cost.flopsPerParamToken(4), 2);
    assert.deepEqual(t.cost.formats?.map((f) => f.name), ['bf16', 'fp8', 'int4']);
  });

  it('formats as bits or names', () => {
    const s = planSettings({ formats: [16, 'fp8', 'fp4'] });
    assert.deepEqual(s.formats, [{ bits: 16, name: 'bf16' }, { bits: 8, name: 'fp8' }, { bits: 4, name: 'fp4' }]);
    assert.equal(planSettings({ formats: [] }).formats, undefined);
  });

  it('a bad setting falls back to the default and says which setting and field', () => {
    const bad = planSettings({ costModel: { bf16: 1, int4: -3 } });
    assert.equal(bad.cost, BITS_LINEAR);
    assert.match(bad.errors[0], /^precisionPlanner\.costModel: field "int4": the relative speed must be a positive number/);
    assert.match(planSettings({ costModel: 'h100' }).errors[0], /precisionPlanner\.costModel: "h100" is not a built-in cost model/);
    assert.match(planSettings({ formats: ['fp9'] }).errors[0], /precisionPlanner\.plan\.formats: "fp9" is not a format/);
    assert.match(planSettings({ formats: '16,8' }).errors[0], /expected an array/);
  });
});
