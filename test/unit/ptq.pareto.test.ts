import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bestUnder, memoryBytes, type ParetoCandidate, paretoFrontier } from '../../src/ptq/pareto';

function candidate(label: string, params: number, bitsPerWeight: number, loss: number): ParetoCandidate {
  return { label, params, format: `${bitsPerWeight}b`, bitsPerWeight, loss };
}

// Memory (bytes) in the comments: params * bits / 8.
const grid = [
  candidate('small-8', 8e6, 8, 3.1), // 8e6, dominated by mid-4 (6e6, 3.0)
  candidate('small-4', 8e6, 4, 3.3), // 4e6
  candidate('mid-4', 12e6, 4, 3.0), // 6e6
  candidate('mid-8', 12e6, 8, 2.9), // 12e6
  candidate('big-3', 32e6, 3, 3.4), // 12e6, dominated by mid-8 (same memory, higher loss)
  candidate('big-4', 32e6, 4, 2.7), // 16e6
  candidate('big-8', 32e6, 8, 2.7), // 32e6, dominated by big-4 (same loss, more memory)
];

describe('ptq pareto frontier', () => {
  it('counts the weights at their effective bits', () => {
    assert.equal(memoryBytes({ params: 8e6, bitsPerWeight: 4.25 }), 4.25e6);
  });

  it('removes dominated candidates and sorts by memory', () => {
    const frontier = paretoFrontier(grid);
    assert.deepEqual(frontier.map((p) => p.label), ['small-4', 'mid-4', 'mid-8', 'big-4']);
    assert.deepEqual(frontier.map((p) => p.memoryBytes), [4e6, 6e6, 12e6, 16e6]);
    for (let i = 1; i < frontier.length; i++) {
      assert.ok(frontier[i].memoryBytes > frontier[i - 1].memoryBytes);
      assert.ok(frontier[i].loss < frontier[i - 1].loss);
    }
  });

  it('does not depend on the order of the candidates', () => {
    const reversed = paretoFrontier([...grid].reverse());
    assert.deepEqual(reversed, paretoFrontier(grid));
  });

  it('keeps exact ties (same memory and loss) and drops weak ties', () => {
    const twins = [candidate('b', 8e6, 4, 3), candidate('a', 4e6, 8, 3), candidate('worse', 8e6, 4, 3.0001)];
    assert.deepEqual(paretoFrontier(twins).map((p) => p.label), ['a', 'b']);
    const sameLoss = [candidate('large', 8e6, 8, 3), candidate('small', 8e6, 4, 3)];
    assert.deepEqual(paretoFrontier(sameLoss).map((p) => p.label), ['small']);
    const sameMemory = [candidate('lossy', 8e6, 4, 3.2), candidate('good', 4e6, 8, 3.1)];
    assert.deepEqual(paretoFrontier(sameMemory).map((p) => p.label), ['good']);
  });

  it('carries other fields through and leaves out unpredictable candidates', () => {
    const withInterval = { ...candidate('x', 8e6, 4, 3), interval: [2.9, 3.1] as [number, number], extra: 7 };
    const frontier = paretoFrontier<ParetoCandidate & { extra?: number }>([withInterval, candidate('nan', 1e6, 4, NaN), candidate('zero', 0, 4, 1)]);
    assert.equal(frontier.length, 1);
    assert.deepEqual(frontier[0].interval, [2.9, 3.1]);
    assert.equal(frontier[0].extra, 7);
    assert.deepEqual(paretoFrontier([]), []);
  });
});

describe('ptq bestUnder', () => {
  const frontier = paretoFrontier(grid);

  it('picks the lowest loss that fits, the boundary included', () => {
    assert.equal(bestUnder(frontier, 12e6).candidate?.label, 'mid-8');
    assert.equal(bestUnder(frontier, 12e6 - 1).candidate?.label, 'mid-4');
    assert.equal(bestUnder(frontier, 4e6).candidate?.label, 'small-4');
    assert.equal(bestUnder(frontier, 1e12).candidate?.label, 'big-4');
    assert.equal(bestUnder(frontier, Infinity).candidate?.label, 'big-4');
  });

  it('says why when nothing fits', () => {
    const tooSmall = bestUnder(frontier, 4e6 - 1);
    assert.equal(tooSmall.candidate, undefined);
    assert.match(tooSmall.reason ?? '', /smallest candidate needs 4000000 bytes/);
    assert.match(bestUnder([], 1e9).reason ?? '', /no candidates/);
    for (const bad of [0, -5, NaN]) {
      const r = bestUnder(frontier, bad);
      assert.equal(r.candidate, undefined);
      assert.match(r.reason ?? '', /positive number of bytes/);
    }
  });

  it('works on an unfiltered list too, preferring the smaller of equal losses', () => {
    // Reversed, so the larger of the two equal-loss points (big-8, big-4) comes first.
    const points = [...grid].reverse().map((c) => ({ ...c, memoryBytes: memoryBytes(c) }));
    assert.equal(bestUnder(points, 1e12).candidate?.label, 'big-4');
    assert.equal(bestUnder(points, 9e6).candidate?.label, 'mid-4');
  });
});
