// The dashboard webview's pure parts: series looks and log-axis ticks.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POINT_SHAPES, compactNumber, logTickValues, looks, looksInOrder } from '../../webview/chartStyle';

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
