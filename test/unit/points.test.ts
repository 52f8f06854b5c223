import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lawPtqEntries } from '../../src/fit/points';
import type { PtqEval } from '../../src/runs/run';

test('the law sees one per-channel integer PTQ loss per bit-width, round-to-nearest first', () => {
  const q = (bits: number, loss: number, extra: Partial<PtqEval> = {}): PtqEval => ({ bits, type: 'int', format: 'int', method: 'rtn', groupSize: null, loss, ...extra });
  const chosen = lawPtqEntries([
    q(4, 3.1, { method: 'gptq' }),
    q(4, 3.3),
    q(4, 3.0, { groupSize: 32 }),
    q(8, 2.9, { groupSize: undefined }),
    q(3, 3.5, { method: 'gptq' }),
    q(4, 3.2, { type: 'fp', format: 'e2m1' }),
  ]);
  assert.deepEqual(
    chosen.map((c) => [c.bits, c.loss]).sort((a, b) => a[0] - b[0]),
    [
      [3, 3.5],
      [4, 3.3],
      [8, 2.9],
    ],
  );
});
