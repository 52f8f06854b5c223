// The dashboard webview's pure parts: series looks, log-axis ticks, and reading its number fields.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POINT_SHAPES, compactNumber, logTickValues, looks, looksInOrder } from '../../webview/chartStyle';
import { ACCEPTED, readField } from '../../webview/inputs';
import { INPUT_MAX, type NumericInput } from '../../webview/protocol';
import { validInputs } from '../../src/extension/dashboardMessages';

const FAMILIES = ['int8', 'int6', 'int5', 'int4', 'int3', 'mxint8', 'mxint4', 'mxfp8', 'mxfp6', 'mxfp4'];
const key = (l: { colour: number; shape: string }) => `${l.colour}/${l.shape}`;

describe('series looks', () => {
  it('the ten format families of the example workspace get ten colours', () => {
    const m = looks(FAMILIES, 11);
    assert.equal(m.size, 10);
    assert.equal(new Set([...m.values()].map((l) => l.colour)).size, 10);
  });

  it('no two series share colour and shape, up to colours x shapes of them', () => {
    for (const colours of [6, 11]) {
      const labels = Array.from({ length: colours * POINT_SHAPES.length }, (_, i) => `format-${i}`);
      const m = looks(labels, colours);
      assert.equal(new Set([...m.values()].map(key)).size, labels.length, `${colours} colours`);
      assert.ok([...m.values()].every((l) => l.colour < colours));
    }
  });

  it('deterministic: a label gets the same look whatever the order of the labels', () => {
    const a = looks(FAMILIES, 11);
    const b = looks([...FAMILIES].reverse().concat(['int4']), 11);
    for (const f of FAMILIES) assert.deepEqual(a.get(f), b.get(f), f);
  });

  it('in order: distinct colours first, then shapes and dashes', () => {
    const l = looksInOrder(14, 6);
    assert.equal(new Set(l.map(key)).size, 14);
    assert.deepEqual(l[0].dash, []);
    assert.notDeepEqual(l[6].dash, l[0].dash);
  });
});

/** The ticks chart.js puts on a log axis: 1..9 times each power of ten in the range. */
function candidates(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (let m = 1; m <= 9; m++) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= min && v <= max) out.push(v);
    }
  }
  return out;
}

describe('log-axis ticks', () => {
  it('over a few decades, only the decades', () => {
    // The PTQ chart's token axis on the example runs: 5e4 to 1.8e9.
    assert.deepEqual(logTickValues(candidates(5e4, 1.8e9), 5e4, 1.8e9), [1e5, 1e6, 1e7, 1e8, 1e9]);
  });
  it('over up to three decades, 1-2-5', () => {
    assert.deepEqual(logTickValues(candidates(1e9, 1e12), 1e9, 1e12), [1e9, 2e9, 5e9, 1e10, 2e10, 5e10, 1e11, 2e11, 5e11, 1e12]);
  });
  it('over many decades, every k-th decade, at most about eight labels', () => {
    const kept = logTickValues(candidates(1e10, 1e27), 1e10, 1e27);
    assert.ok(kept.length <= 9 && kept.length >= 2, String(kept));
    assert.ok(kept.every((v) => Number.isInteger(Math.log10(v)) && Math.log10(v) % 3 === 0), String(kept));
  });
  it('within a decade, what chart.js made (autoSkip thins it), and never fewer than two ticks when two exist', () => {
    const losses = [1.5, 2, 2.5, 3, 3.5];
    assert.deepEqual(logTickValues(losses, 1.45, 3.6), losses);
    assert.deepEqual(logTickValues([3, 4, 6, 7, 8, 9, 10], 3, 11), [3, 4, 6, 7, 8, 9, 10]);
    // Four decades but ticks only at 2 and 3 times a power of ten: the decades rule keeps none, 1-2-5 does.
    const sparse = [2, 3, 20, 30, 200, 300, 2000, 3000, 20000];
    assert.deepEqual(logTickValues(sparse, 2, 30000), [2, 20, 200, 2000, 20000]);
  });
  it('labels are short', () => {
    const cases: Array<[number, string]> = [
      [300_000, '300K'],
      [1.5e6, '1.5M'],
      [2e10, '20B'],
      [1e12, '1T'],
      [1e21, '1e21'],
      [3e22, '3e22'],
      [2.5, '2.5'],
      [0.25, '0.25'],
      [1e-4, '1e-4'],
      [0, '0'],
    ];
    for (const [v, label] of cases) assert.equal(compactNumber(v), label, String(v));
  });
});

describe('dashboard number fields', () => {
  it('a refused compute budget says which forms are accepted', () => {
    for (const bad of ['lots', '', '-1e21', '0', '1e21 tokens', '1,000']) {
      assert.deepEqual(readField('compute', bad), { ok: false, message: 'A positive number of FLOPs, like 1e21 or 3e22 FLOPs' }, bad);
    }
  });
  it('every field has its message, and one past the host limit names the limit', () => {
    const keys = Object.keys(INPUT_MAX) as NumericInput[];
    for (const k of keys) assert.match(ACCEPTED[k], /^A positive number of \w+, like /, k);
    const over = readField('post', '20');
    assert.ok(!over.ok && over.message.startsWith('At most 16 bits. A positive number of bits'), JSON.stringify(over));
    const huge = readField('compute', '1e40');
    assert.ok(!huge.ok && huge.message.startsWith('At most 1e35 FLOPs.'), JSON.stringify(huge));
  });
  it('reads the forms its message shows, and what it accepts the host accepts', () => {
    assert.deepEqual(readField('compute', '3e22 FLOPs'), { ok: true, value: 3e22 });
    assert.deepEqual(readField('params', '350M'), { ok: true, value: 3.5e8 });
    assert.deepEqual(readField('tokens', '300K'), { ok: true, value: 3e5 });
    assert.deepEqual(readField('planMemoryGB', '0.5'), { ok: true, value: 0.5 });
    const value = (k: NumericInput, text: string): number => {
      const r = readField(k, text);
      assert.ok(r.ok, `${k} ${text}`);
      return r.value;
    };
    const inputs = {
      params: value('params', '1e15'),
      tokens: value('tokens', '1e16'),
      post: value('post', '16'),
      compute: value('compute', '1e35'),
      scenario: 'joint',
      planPrecision: value('planPrecision', '32'),
      planParams: value('planParams', '1e15'),
      planMemoryGB: value('planMemoryGB', '1e6'),
    };
    assert.ok(validInputs(inputs));
  });
});
