import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PAPER_CONSTANTS } from '../../src/law/constants';
import { predict } from '../../src/law/law';
import type { PtqEval, Run } from '../../src/runs/run';
import { checkpointFrontier, formatLabel, ptqSamples } from '../../src/ptq/samples';
import { lawBaseline, plannedCheckpoints } from '../../src/ptq/workspace';

const part = (bits: number) => ({ bits, type: bits >= 16 ? ('fp' as const) : ('int' as const) });
const q = (bits: number, loss: number, extra: Partial<PtqEval> = {}): PtqEval => ({ bits, type: 'int', format: 'int', method: 'rtn', groupSize: null, loss, sqnrDb: 6 * bits, bitsPerWeight: bits + 0.125, ...extra });
const run = (id: string, params: number, ptq: PtqEval[], extra: Partial<Run> = {}): Run => ({
  id,
  name: id,
  format: 'precision-planner',
  file: `${id}/run.json`,
  params,
  tokens: 1e9,
  precision: { w: part(32), a: part(32), kv: part(32) },
  finalLoss: 3,
  ptq,
  sources: {},
  missing: [],
  landscape: [{ relativeNorm: 0.1, lossIncrease: 0.01 }],
  ...extra,
});

test('format labels name the grid: integer per channel or group, else the format', () => {
  assert.equal(formatLabel({ format: 'int', bits: 4, groupSize: null }), 'int4-channel');
  assert.equal(formatLabel({ format: 'int4', bits: 4, groupSize: 128 }), 'int4-g128');
  assert.equal(formatLabel({ format: 'mxfp4', bits: 4, groupSize: 32 }), 'mxfp4');
});

test('samples come from finished runs with SQNR and storage recorded; the rest is counted', () => {
  const runs = [
    run('a', 1e6, [q(4, 3.2), q(4, 3.1, { format: 'mxfp4', type: 'fp', groupSize: 32 }), q(3, 3.4, { sqnrDb: undefined })]),
    run('b', 2e6, [q(4, 3.0)], { unfinished: true }),
    run('c', 4e6, []),
  ];
  const { samples, skipped } = ptqSamples(runs);
  assert.deepEqual(
    samples.map((s) => [s.runId, s.format, s.blockSize, s.loss, s.probe?.length]),
    [
      ['a', 'int4-channel', 0, 3.2, 1],
      ['a', 'mxfp4', 32, 3.1, 1],
    ],
  );
  assert.deepEqual(
    skipped.map((s) => s.runId),
    ['a', 'b'],
  );
});

test("the law's baseline: observed pre-PTQ loss plus Eq. 9, only where the law speaks", () => {
  const runs = [run('a', 1e8, [q(4, 3.2), q(4, 3.1, { groupSize: 32 }), q(4, 3.1, { format: 'mxfp4', type: 'fp', groupSize: 32 })])];
  const baseline = lawBaseline(PAPER_CONSTANTS, runs);
  const [channel, group, mx] = ptqSamples(runs).samples.map(baseline);
  const law = predict(PAPER_CONSTANTS, { params: 1e8, tokens: 1e9, precision: { w: 32, a: 32, kv: 32 }, post: 4 });
  assert.ok(law.ok);
  assert.ok(Math.abs(channel - (3 + law.deltaPTQ)) < 1e-12);
  assert.ok(Number.isNaN(group) && Number.isNaN(mx));
});

test('the checkpoint frontier keeps what no smaller, better checkpoint beats', () => {
  const runs = [run('small', 1e6, [q(8, 3.0), q(4, 3.3)]), run('large', 4e6, [q(8, 2.5), q(4, 2.6), q(3, 3.5)])];
  const { candidates, frontier } = checkpointFrontier(ptqSamples(runs).samples);
  assert.equal(candidates.length, 5);
  // large@3 bits (3.125 bpw x 4M) is bigger than small@8 (8.125 x 1M) and worse: dominated.
  assert.deepEqual(
    frontier.map((p) => p.label),
    ['small as int4-channel', 'small as int8-channel', 'large as int4-channel', 'large as int8-channel'],
  );
});

test('planned sizes get the law’s loss plus the forest’s degradation for every measured format', () => {
  const runs = [1e6, 2e6, 4e6, 8e6].map((n, i) =>
    run(`r${i}`, n, [q(8, 3.001 - i * 0.1), q(4, 3.05 - i * 0.1), q(3, 3.2 - i * 0.1), q(4, 3.03 - i * 0.1, { format: 'mxfp4', type: 'fp', groupSize: 32 })], { finalLoss: 3 - i * 0.1 }),
  );
  const { samples } = ptqSamples(runs);
  const planned = plannedCheckpoints(samples, PAPER_CONSTANTS, [{ params: 1e8, tokens: 2e9 }], { trees: 10, minLeafSamples: 1 });
  assert.deepEqual(planned.map((p) => p.format).sort(), ['int3-channel', 'int4-channel', 'int8-channel', 'mxfp4']);
  const law = predict(PAPER_CONSTANTS, { params: 1e8, tokens: 2e9, precision: { w: 16, a: 16, kv: 16 } });
  assert.ok(law.ok);
  for (const p of planned) {
    assert.ok(Math.abs(p.trainLoss - law.trainLoss) < 1e-12);
    // Every measured degradation is positive, so every predicted one is.
    assert.ok(p.loss > p.trainLoss, `${p.format}: ${p.loss} <= ${p.trainLoss}`);
  }
  const int3 = planned.find((p) => p.format === 'int3-channel')!;
  const int8 = planned.find((p) => p.format === 'int8-channel')!;
  assert.ok(int3.loss - int3.trainLoss > int8.loss - int8.trainLoss, '3 bits degrade more than 8');
});
