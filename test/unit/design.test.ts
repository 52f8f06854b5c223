import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { PAPER_CONSTANTS } from '../../src/law/constants';
import { type DesignResult, designSweep } from '../../src/design/design';
import { designRun, expectedPoints, samplePoints, truthForGrid } from '../../src/design/simulate';
import { designSummary } from '../../src/design/summary';
import { designTruthFromFit } from '../../src/design/truth';
import { fit } from '../../src/fit/fit';
import { scan } from '../../src/runs/discover';
import { expandGrid } from '../../src/train/grid';
import { type SweepArgs, gridFromArgs } from '../../src/train/options';
import { cli } from '../support/cli';

const out = mkdtempSync(path.join(os.tmpdir(), 'design-'));
after(() => rmSync(out, { recursive: true, force: true }));

// Few simulations, seeded: each verdict below is set by the grid's construction, not by chance.
function design(grid: Omit<SweepArgs, 'out'>, simulations = 6): DesignResult {
  return designSweep(expandGrid(gridFromArgs({ out, ...grid })), {
    truth: PAPER_CONSTANTS,
    truthSource: 'paper',
    noise: { train: 0.04, ptq: 0.0015 },
    noiseSource: 'test',
    simulations,
    seed: 3,
    calibrations: [],
    calibrationSource: 'nowhere',
    parallel: 2,
    cores: 2,
  });
}

const identified = (r: DesignResult, name: keyof DesignResult['constants']): boolean => r.identifiable.includes(name);

describe('simulated runs', () => {
  const runs = expandGrid(gridFromArgs({ out, sizes: '2x32,2x64', tokens: '300k,600k', precisions: 'fp32,w4a32kv32', ptqBits: '3,4,8', ptqGroups: 'channel' })).map(designRun);

  test('a run as the law sees it: N, D, bits per part, and only the PTQ bit-widths below its training precision', () => {
    const quantized = runs.find((r) => r.precision.w === 4);
    assert.ok(quantized);
    assert.deepEqual(quantized.precision, { w: 4, a: 32, kv: 32 });
    assert.deepEqual(quantized.post, [3]);
    assert.deepEqual(runs.find((r) => r.precision.w === 32)?.post, [3, 4, 8]);
  });

  test('the same seed draws the same sweep, another seed another; PTQ points share their run\'s draw', () => {
    const { points } = expectedPoints(runs, truthForGrid(PAPER_CONSTANTS, runs).constants);
    const a = samplePoints(points, { train: 0.04, ptq: 0 }, 7);
    assert.deepEqual(a, samplePoints(points, { train: 0.04, ptq: 0 }, 7));
    assert.notDeepEqual(a, samplePoints(points, { train: 0.04, ptq: 0 }, 8));
    for (const p of a.filter((q) => q.kind === 'ptq')) {
      const train = a.find((q) => q.kind === 'train' && q.runId === p.runId);
      assert.equal(p.trainLoss, train?.loss);
      const expected = points.find((q) => q.runId === p.runId && q.post === p.post);
      assert.ok(expected && Math.abs(p.loss - (p.trainLoss as number) - (expected.loss - (expected.trainLoss as number))) < 1e-12);
    }
  });

  test("the paper's A and B, tens of nats at 25K parameters, are scaled to a plausible loss level", () => {
    const { constants, scale } = truthForGrid(PAPER_CONSTANTS, runs);
    assert.ok(scale < 1);
    assert.equal(constants.alpha, PAPER_CONSTANTS.alpha);
    assert.equal(constants.gammaD, PAPER_CONSTANTS.gammaD);
    const small = Math.min(...runs.map((r) => r.params));
    const d = Math.min(...runs.map((r) => r.tokens));
    assert.ok(Math.abs(constants.A * small ** -constants.alpha + constants.B * d ** -constants.beta - 1) < 1e-9);
    // A truth already at a plausible level (a fit of such runs) is kept as it is.
    const plausible = { ...PAPER_CONSTANTS, A: PAPER_CONSTANTS.A / 20, B: PAPER_CONSTANTS.B / 20 };
    assert.deepEqual(truthForGrid(plausible, runs), { constants: plausible, scale: 1 });
  });
});

describe('identifiability of grids known by construction', () => {
  test('one size: alpha and gamma_N are not identifiable, and the reason names the sizes', () => {
    const r = design({ sizes: '2x64', tokens: '300k,600k,1.2M', precisions: 'fp32', ptqBits: '3,4,5', ptqGroups: 'channel' });
    for (const name of ['alpha', 'gammaN'] as const) {
      assert.ok(!identified(r, name), `${name}: ${r.constants[name].status}`);
      assert.match(r.constants[name].reason ?? '', /one size only/);
    }
    assert.equal(r.constants.gammaN.status, 'not fitted');
  });

  test("only high-precision runs: the parts' gamma and n are not fitted", () => {
    const r = design({ sizes: '2x32,2x64', tokens: '300k,600k,1.2M', precisions: 'fp32', ptqBits: '3,4', ptqGroups: 'channel' });
    for (const name of ['gammaW', 'nW', 'gammaA', 'nA', 'gammaKV', 'nKV'] as const) {
      assert.equal(r.constants[name].status, 'not fitted', name);
      assert.match(r.constants[name].reason ?? '', /precision stage skipped: needs training runs below 16 bits/);
    }
    assert.equal(r.status, 'partly-identified');
  });

  test('sizes spanning 13x, budgets to D/N 100, PTQ at 3, 4 and 5 bits: gamma_D and gamma_post identifiable, their spread excluding 0', () => {
    const r = design({ sizes: '2x32,2x64,3x96', tokens: '300k,600k,1.2M,2.4M', precisions: 'fp32', ptqBits: '3,4,5', ptqGroups: 'channel' });
    assert.ok(r.grid.paramsSpan >= 13, String(r.grid.paramsSpan));
    assert.ok(r.grid.tokensPerParam[1] >= 90, String(r.grid.tokensPerParam[1]));
    for (const name of ['gammaD', 'gammaPost'] as const) {
      const v = r.constants[name];
      assert.equal(v.status, 'identifiable', `${name}: ${v.reason}`);
      assert.ok(v.spread && v.spread.p5 > 0 && v.spread.p5 <= v.truth && v.truth <= v.spread.p95, JSON.stringify(v.spread));
    }
    assert.equal(r.simulations.requested, 6);
    assert.ok(r.simulations.fitsUsed >= 1);
    assert.ok(r.estimate.cpuSeconds > 0 && r.estimate.wallSeconds > 0);
    assert.equal(r.estimate.measuredRuns, 0);
  });

  test('weights, activations and KV cache always at one precision: one factor carries them, the others are not fitted', () => {
    const r = design({ sizes: '2x32,2x64', tokens: '300k,600k,1.2M', precisions: 'fp32,w4a4kv4,w6a6kv6', ptqBits: '3', ptqGroups: 'channel' }, 3);
    for (const name of ['gammaA', 'gammaKV'] as const) assert.equal(r.constants[name].status, 'not fitted');
    assert.match(r.constants.gammaA.reason ?? '', /share the weights' precision/);
    assert.ok(r.warnings.some((w) => /combined factor/.test(w)));
  });
});

describe('grids of several parts (also)', () => {
  // By construction: only the weights are ever trained low, alone, at 3, 4 and 6 bits.
  const r = design({ sizes: '2x32,2x64,3x96', tokens: '600k,1.2M,2.4M', precisions: 'fp32', ptqBits: '3,4,5', ptqGroups: 'channel', also: ['sizes=2x32 tokens=1.2M precisions=w3a32kv32,w4a32kv32,w6a32kv32'] }, 4);

  test("a part varied alone in a part of its own: its factor fitted, the parts never trained low not fitted", () => {
    assert.equal(r.grid.runs, 9 + 3);
    assert.deepEqual(r.grid.parts.w.alone, [3, 4, 6]);
    assert.notEqual(r.constants.gammaW.status, 'not fitted', r.constants.gammaW.reason);
    assert.equal(r.constants.gammaW.fitted, 4);
    for (const name of ['gammaA', 'gammaKV'] as const) {
      assert.equal(r.constants[name].status, 'not fitted');
      assert.match(r.constants[name].reason ?? '', /no run trains the (activations|KV cache) below 16 bits/);
    }
  });

  test("Launch a Sweep's summary: what is identifiable and how tightly, what is not and why", () => {
    const lines = designSummary(r);
    assert.match(lines[0], /^By simulation \(4 refits of the grid drawn from paper, noise 0\.04 nats per run/);
    const identifiable = lines.find((l) => l.startsWith('Identifiable: ')) ?? '';
    for (const name of r.identifiable.filter((n) => r.constants[n].status === 'identifiable' && ['gammaD', 'gammaPost', 'gammaN'].includes(n))) {
      assert.match(identifiable, new RegExp(`${name} \\(±\\d+%\\)`));
    }
    assert.ok(identifiable.includes('gammaD'), identifiable);
    assert.ok(lines.includes(`gammaA: not fitted — ${r.constants.gammaA.reason}`), lines.join('\n'));
    assert.ok(!lines.some((l) => l.startsWith('gammaD:')), 'an identifiable constant gets no line of its own');
  });
});

describe("a fit as the designer's truth", () => {
  test("its constants where it fitted them, the paper's elsewhere, and the noise it measured, in nats", async () => {
    const { runs } = await scan([path.join(__dirname, '..', '..', 'examples')]);
    const f = fit(runs, { bootstrap: 0, heldOut: false });
    const t = designTruthFromFit(f, 'the workspace fit');
    assert.equal(t.truth.gammaD, f.constants.gammaD);
    assert.equal(f.origin.bPost, 'preset');
    assert.equal(t.truth.bPost, PAPER_CONSTANTS.bPost);
    assert.equal(t.truthSource, "the workspace fit (where it fitted nothing, the paper's: bPost)");
    // The run-to-run scale, a log-loss standard deviation, at the runs' median loss (about 2 nats per byte).
    const sigma = f.residualScale?.train?.sigma ?? NaN;
    assert.ok(t.noise?.train !== undefined && t.noise.train > 1.5 * sigma && t.noise.train < 2.5 * sigma, `${t.noise?.train} against ${sigma}`);
    assert.equal(t.noise?.ptq, f.metrics.degradation?.rmse);
    assert.match(t.noiseSource ?? '', /^measured by the fit: run-to-run scale 0\.\d+ in log-loss at its median loss, its degradation RMSE$/);
  });

  test('design --fit uses the noise the fit measured unless --noise says otherwise', async () => {
    const file = path.join(out, 'fit.json');
    assert.equal((await cli('fit', path.join(__dirname, '..', '..', 'examples'), '--bootstrap', '0', '--no-held-out', '--out', file)).code, 0);
    const grid = ['--sizes', '2x32,2x64', '--tokens', '600k,1.2M', '--precisions', 'fp32', '--ptq-bits', '3,4', '--ptq-groups', 'channel', '--simulations', '1', '--out', out, '--fit', file, '--json'];
    const measured = JSON.parse((await cli('design', ...grid)).out);
    assert.match(measured.noise.source, /^measured by the fit/);
    assert.notEqual(measured.noise.train, 0.015);
    const given = JSON.parse((await cli('design', ...grid, '--noise', '0.02')).out);
    assert.match(given.noise.source, /^--noise given; the other measured by the fit/);
    assert.equal(given.noise.train, 0.02);
    assert.equal(given.noise.ptq, measured.noise.ptq, 'what is not given is still the measured');
  });
});

describe('precision-planner design', () => {
  test('--json: the result with a status, a verdict per constant and the estimate', async () => {
    const r = await cli('design', '--sizes', '2x32,2x64', '--tokens', '300k,600k', '--precisions', 'fp32', '--ptq-bits', '3,4', '--ptq-groups', 'channel', '--simulations', '2', '--seed', '1', '--out', out, '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.schema, 'precision-planner/design@1');
    assert.ok(['identified', 'partly-identified', 'nothing-identified'].includes(j.status));
    assert.equal(typeof j.success, 'boolean');
    assert.equal(j.simulations.requested, 2);
    assert.equal(j.grid.runs, 4);
    assert.equal(j.constants.gammaW.status, 'not fitted');
    assert.ok(['identifiable', 'weak', 'not identifiable', 'not fitted'].includes(j.constants.gammaD.status));
    assert.ok(j.estimate.cpuSeconds > 0);
    assert.match(j.estimate.source, /built-in/);
    assert.equal(j.noise.train, 0.015);
    assert.equal(j.noise.ptq, 0.0095);
  });

  test('a table otherwise, one row per constant', async () => {
    const r = await cli('design', '--sizes', '2x32', '--tokens', '300k,600k', '--precisions', 'fp32', '--simulations', '1', '--out', out, '--noise', '0.02');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^gammaN\s+not fitted/m);
    assert.match(r.out, /0\.02 nats per run/);
  });

  test('--make-identifiable: the cheapest addition that identifies the constant, the changes tried cheapest first', async () => {
    const j = JSON.parse((await cli('design', '--sizes', '2x32', '--tokens', '300k,600k,1.2M', '--precisions', 'fp32', '--ptq-bits', '3,4', '--ptq-groups', 'channel', '--simulations', '3', '--ptq-noise', '0.0015', '--out', out, '--make-identifiable', 'gammaN', '--json')).out);
    assert.equal(j.constants.gammaN.status, 'not fitted');
    assert.equal(j.proposal.target, 'gammaN');
    assert.equal(j.proposal.status, 'found', JSON.stringify(j.proposal.tried));
    assert.match(j.proposal.change.change, /^add size \d+x\d+$/);
    assert.equal(j.proposal.change.status, 'identifiable');
    const costs = j.proposal.tried.map((t: { addedCpuSeconds: number }) => t.addedCpuSeconds);
    assert.deepEqual(costs, [...costs].sort((a, b) => a - b));
  });

  test("--make-identifiable for a part's factor: that part varied alone at one size and budget, not across the grid", async () => {
    const j = JSON.parse((await cli('design', '--sizes', '2x32,2x64', '--tokens', '300k,600k,1.2M', '--precisions', 'fp32', '--ptq-bits', '3,4', '--ptq-groups', 'channel', '--simulations', '3', '--noise', '0.005', '--out', out, '--make-identifiable', 'gammaW', '--json')).out);
    assert.equal(j.constants.gammaW.status, 'not fitted');
    const parts = j.proposal.tried.filter((t: { change: string }) => t.change.startsWith('add precisions'));
    assert.deepEqual(parts.map((t: { change: string; addedRuns: number }) => [t.change, t.addedRuns]), [['add precisions w3a32kv32, w4a32kv32, w6a32kv32 at 2x32, 600k tokens', 3]], JSON.stringify(j.proposal.tried));
    assert.notEqual(parts[0].status, 'not fitted', 'the weights alone at three bit-widths get gammaW fitted');
  });

  test('a bad grid or option: exit 2, naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--sizes', '4by128', '--tokens', '1M', '--precisions', 'fp32'], /size "4by128"/],
      [['--sizes', '2x32', '--tokens', 'lots', '--precisions', 'fp32'], /tokens: "lots"/],
      [['--tokens', '1M', '--precisions', 'fp32'], /--sizes is required/],
      [['--sizes', '2x32', '--tokens', '1M', '--precisions', 'fp32', '--noise', '-1'], /--noise/],
      [['--sizes', '2x32', '--tokens', '1M', '--precisions', 'fp32', '--simulations', '0'], /--simulations/],
      [['--sizes', '2x32', '--tokens', '1M', '--precisions', 'fp32', '--make-identifiable', 'gamma'], /--make-identifiable: "gamma"/],
    ];
    for (const [argv, pattern] of cases) {
      const r = await cli('design', ...argv, '--out', out);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, pattern);
    }
  });
});
