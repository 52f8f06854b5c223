// `train` and `sweep` on the command line, with the injected I/O of a non-terminal (a file, a
// pipe, a CI log): no status line can be rewritten there, so progress comes as plain lines.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTinyCorpus } from '../support/corpus';
import { after, before, describe, it } from 'node:test';
import { cliLines } from '../support/cli';

let tmp: string;
let corpus: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-cli-train-'));
  corpus = path.join(tmp, 'corpus');
  writeTinyCorpus(corpus);
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const cli = cliLines;

const SMALL = ['--context', '32', '--batch', '4', '--eval-tokens', '1k', '--ptq-bits', '8', '--ptq-groups', 'channel', '--ptq-formats', 'none', '--gptq-bits', 'none', '--probe-norms', 'none'];

describe('cli: train and sweep without a terminal', () => {
  it('train prints plain progress lines: start, steps with tokens, loss, tok/s and ETA, end', async () => {
    const out = path.join(tmp, 'runs');
    const r = await cli('train', '--size', '1x32', '--tokens', '20k', '--corpus', corpus, '--out', out, ...SMALL);
    assert.equal(r.code, 0, r.err.join('\n'));
    const name = 'L1W32-D20k-fp32';
    assert.match(r.out[0], new RegExp(`^\\[1/1\\] ${name}: N=[\\d.]+k, D=20\\.1k in 157 steps -> `));
    const steps = r.out.filter((l) => / step \d+\/157 /.test(l));
    assert.ok(steps.length >= 1, r.out.join('\n'));
    assert.match(steps[0], new RegExp(`^\\[1/1\\] ${name}: step 1/157  128/20\\.1k tokens  loss \\d+\\.\\d{3}  \\d+ tok/s  ETA \\d+:\\d\\d$`));
    // Throttled: a few lines, not one per step.
    assert.ok(steps.length < 20, `${steps.length} step lines`);
    assert.ok(r.out.some((l) => l.startsWith(`[1/1] ${name}: complete, validation loss `) && / \d+ tok\/s$/.test(l)), r.out.join('\n'));
    assert.equal(r.out.at(-1), '1 complete, 0 already complete, 0 cancelled, 0 not started, 0 failed');
    const manifest = JSON.parse(await readFile(path.join(out, name, 'run.json'), 'utf8'));
    assert.equal(manifest.status, 'complete');
  });

  it('sweep --dry-run lists the runs in training order, keeps the complete one, and estimates the time', async () => {
    const out = path.join(tmp, 'runs');
    const r = await cli('sweep', '--sizes', '1x32,2x32', '--tokens', '20k,40k', '--precisions', 'fp32', '--corpus', corpus, '--out', out, '--parallel', '2', '--dry-run', ...SMALL);
    assert.equal(r.code, 0, r.err.join('\n'));
    const lines = r.out.join('\n').split('\n');
    assert.equal(lines[0], `4 run(s) in ${out}, 2 at once, in the order they train:`);
    assert.deepEqual(
      lines.slice(1, 5).map((l) => l.split('  ')[0]),
      ['[1/4] L2W32-D40k-fp32', '[2/4] L1W32-D40k-fp32', '[3/4] L2W32-D20k-fp32', '[4/4] L1W32-D20k-fp32'],
    );
    assert.match(lines[4], /\(already complete, kept\)$/);
    // The complete run of the first test is the throughput measured from.
    assert.match(lines[5], new RegExp(`^Estimated time: (under a minute|about \\d+ minutes?) on \\d+ cores?, 2 runs at once \\(from the throughput of 1 complete run in ${out.replace(/[\\\\.]/g, '\\$&')}\\); 1 already complete run\\(s\\) kept$`));
  });
});
