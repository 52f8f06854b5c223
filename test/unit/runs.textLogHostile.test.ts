// Training logs with hostile lines appended, generated here: lines just under the reader's
// length cap built so that a pattern which rescans the rest of the line from every repetition
// of its start would take seconds each (bench/hover times them). Appended after the last line a
// dialect reads, they leave every line number alone: the run read must be the run read without them.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import { readTextLog } from '../../src/runs/readers/textLog';
import { MAX_LINE_CHARS } from '../../src/runs/readers/textLogShared';

const FIXTURES = path.resolve(__dirname, '../fixtures/text-log');

/** `head`, then `unit` repeated to just under the line cap, then `end`. */
const fill = (unit: string, end = '', head = ''): string => head + unit.repeat(Math.floor((MAX_LINE_CHARS - head.length - end.length - 1) / unit.length)) + end;

/** Lines that each Megatron pattern once rescanned from every repeated start. */
const MEGATRON_LINES = [
  fill('validation-'),
  fill('validation-|', ' loss at x'),
  // U+2028, a line terminator the line reader leaves in (it drops a final "\r" only), where "(.*)$" fails.
  `${'validation-|'.repeat(650)} loss at s${' | s'.repeat(2000)}\u2028`,
  `${'validation-|'.repeat(650)} loss at s${' | s'.repeat(2000)}\rx`,
  fill(' ', 'x', ' validation loss at iteration 9999 on validation set | lm loss'),
  fill(' value: ', '', ' validation loss at iteration 9999 on validation set |'),
  fill(' [2025-03-04] iteration      100/    2000 |x', '\u2028'),
  fill('iteration\t9/', ' |\u2028'),
  fill('successfully loaded checkpoint from '),
  fill(' > number of parameters on ('),
  fill('1', 'x'),
];

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-hostile-log-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The fixture read as it is, and again with `lines` appended (each 50 times over), in a copy. */
async function readBoth(rel: string, lines: readonly string[]) {
  const original = path.join(FIXTURES, rel);
  const copy = path.join(tmp, rel);
  await mkdir(path.dirname(copy), { recursive: true });
  const text = readFileSync(original, 'utf8');
  const hostile = Array.from({ length: 50 }, () => lines).flat();
  await writeFile(copy, `${text.endsWith('\n') ? text : `${text}\n`}${hostile.join('\n')}\n`);
  const plain = await readTextLog(original, { root: FIXTURES, aliases: DEFAULT_ALIASES });
  const attacked = await readTextLog(copy, { root: tmp, aliases: DEFAULT_ALIASES });
  // The copy's runs, with its path put back: nothing else may differ.
  const restored = JSON.parse(JSON.stringify(attacked.runs).replaceAll(JSON.stringify(copy).slice(1, -1), JSON.stringify(original).slice(1, -1)));
  return { plain, attacked, restored, hostile };
}

describe('text-log reader: hostile lines', () => {
  it('Megatron-LM: 16 KB lines built against its patterns, 50 of each, change nothing in the run', async () => {
    const { plain, attacked, restored, hostile } = await readBoth('megatron-gpt2-small/train.log', MEGATRON_LINES);
    assert.ok(hostile.every((l) => l.length < MAX_LINE_CHARS && l.length > MAX_LINE_CHARS / 2), 'every line is read, none skipped as too long');
    assert.equal(plain.runs.length, 1);
    assert.equal(plain.runs[0].finalLoss, 3.016686);
    assert.deepEqual(restored, plain.runs);
    assert.deepEqual(attacked.diagnostics.map((d) => d.code), plain.diagnostics.map((d) => d.code));
  });

  it('modded-nanogpt: lines of "GPTConfig(" without a ")" change nothing in the run', async () => {
    const { plain, restored } = await readBoth('modded-nanogpt/a1b2c3d4-0000-4000-8000-000000000001.txt', [fill('GPTConfig('), fill('GPTConfig(n_layer=', '1')]);
    assert.equal(plain.runs.length, 1);
    assert.ok(plain.runs[0].params !== undefined);
    assert.deepEqual(restored, plain.runs);
  });
});
