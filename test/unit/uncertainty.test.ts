import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PAPER_CONSTANTS } from '../../src/law/constants';
import { fit } from '../../src/fit/fit';
import { seededRandom } from '../../src/fit/random';
import { lossIntervals, normalQuantile, robustScale, tQuantile } from '../../src/fit/interval';
import { cli } from '../support/cli';
import { coverageSweep, syntheticRuns } from '../support/synthetic';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const truth = { ...PAPER_CONSTANTS, Cw: 1.5, Ca: 0.8, Ckv: 2 };

const within = (x: number | null | undefined, lo: number, hi: number, what: string) => assert.ok(x !== null && x !== undefined && x >= lo && x <= hi, `${what}: ${x} not in [${lo}, ${hi}]`);

describe('interval arithmetic', () => {
  it('normal and t quantiles match the tables', () => {
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
    assert.ok(Math.abs(normalQuantile(0.005) + 2.575829) < 1e-6);
    for (const [dof, t] of [[1, 12.7062], [2, 4.3027], [3, 3.1824], [5, 2.5706], [10, 2.2281], [30, 2.0423], [40, 2.0211], [100, 1.984]] as const) {
      assert.ok(Math.abs(tQuantile(0.975, dof) - t) < 1e-3, `t(0.975, ${dof}) = ${tQuantile(0.975, dof)}, table ${t}`);
    }
  });

  it('the robust scale finds sigma on normal noise and shrugs off a few gross outliers', () => {
    const random = seededRandom(3);
    const normal = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-300))) * Math.cos(2 * Math.PI * random());
    const xs = Array.from({ length: 2000 }, () => 0.01 * normal());
    within(robustScale(xs), 0.0095, 0.0105, 'scale of N(0, 0.01)');
    const dirty = [...xs.slice(0, 1980), ...Array.from({ length: 20 }, () => 1)];
    within(robustScale(dirty), 0.0095, 0.0115, 'with 1% outliers at 100 sigma');
  });
});

describe('honest uncertainty: law-sampled runs with known noise', () => {
  const noise = 0.003;
  const result = fit(coverageSweep(truth, noise, 1), { bootstrap: 20, seed: 1 });

  it('records the run-to-run scale near the noise it was made with', () => {
    assert.ok(result.ok, result.message);
    const s = result.residualScale;
    assert.equal(s?.train?.source, 'residuals');
    within(s?.train?.sigma, 0.8 * noise, 1.25 * noise, 'end-of-training scale');
    // A PTQ point carries its run's noise and its own: about sqrt(2) times as much.
    within(s?.ptq?.sigma, 1.1 * noise, 1.8 * noise, 'post-PTQ scale');
  });

  it('the 95% prediction interval covers 90-98% of the runs in sample and on the held-out largest size', () => {
    const c = result.coverage;
    assert.ok(c, 'coverage is reported with a bootstrap');
    within(c.inSample.all.prediction, 0.9, 0.98, 'in sample');
    assert.ok(!('skipped' in c.heldOut), JSON.stringify(c.heldOut));
    assert.equal(c.heldOut.params, 150e6);
    assert.deepEqual(c.heldOut.fittedSizes, [30e6, 50e6, 85e6]);
    within(c.heldOut.all.prediction, 0.9, 0.98, 'held out');
    assert.ok(!('skipped' in c.rollout));
    assert.deepEqual(c.rollout.steps.map((s) => s.params), [85e6, 150e6]);
    within(c.rollout.pooled.all.prediction, 0.88, 1, 'rollout');
  });

  it('the confidence band is narrower than the prediction interval, and covers far fewer runs', () => {
    const c = result.coverage;
    assert.ok(c && !('skipped' in c.heldOut));
    assert.ok((c.inSample.all.confidence ?? 1) < 0.7, `band covers ${c.inSample.all.confidence} in sample`);
    assert.ok((c.inSample.all.confidence ?? 1) < (c.inSample.all.prediction ?? 0));
    assert.ok((c.heldOut.all.confidence ?? 1) < (c.heldOut.all.prediction ?? 0));
    for (const scenario of [
      { params: 100e6, tokens: 5e9, precision: { w: 16, a: 16, kv: 16 } },
      { params: 1e9, tokens: 2e10, precision: { w: 4, a: 16, kv: 16 }, post: 3 },
    ]) {
      const i = lossIntervals(result, scenario);
      assert.ok(i.confidence && i.prediction, JSON.stringify(i));
      assert.ok(i.prediction[0] < i.confidence[0] && i.confidence[1] < i.prediction[1], JSON.stringify(i));
    }
  });

  it('seed replicates (runs with identical N, D and precision) give the scale when the residuals understate it', () => {
    const base = coverageSweep(truth, 0.002, 2, 3);
    // The same configurations again, a different seed and three times the noise.
    const seeds = syntheticRuns({ truth, sizes: [30e6, 50e6, 85e6], tokens: [1.5e9, 3e9], precisions: [{ w: 16, a: 16, kv: 16 }], posts: [], noise: 0.006, seed: 9 }).map((r) => ({ ...r, id: `${r.id}-seed2` }));
    const r = fit([...base, ...seeds, ...seeds.map((s) => ({ ...s, id: `${s.id}b`, finalLoss: (s.finalLoss ?? NaN) * 1.01 }))], { bootstrap: 0, heldOut: false });
    const s = r.residualScale?.train;
    assert.ok(s?.seeds && s.seeds.groups === 6 && s.seeds.dof >= 6, JSON.stringify(s));
    assert.equal(s.source, 'seeds');
    assert.equal(s.sigma, s.seeds.sigma);
  });

  it('no bootstrap: no coverage claimed, the prediction interval rests on the scale alone', () => {
    const r = fit(coverageSweep(truth, noise, 1, 3), { bootstrap: 0, heldOut: false });
    assert.equal(r.coverage, null);
    const i = lossIntervals(r, { params: 50e6, tokens: 3e9, precision: { w: 16, a: 16, kv: 16 } });
    assert.equal(i.confidence, null);
    assert.ok(i.prediction && i.prediction[0] < i.prediction[1]);
  });
});

describe('fit --json and the report give the coverage', () => {
  it('fit --json has "coverage" with both intervals, and the text report shows it', async () => {
    const r = await cli('fit', EXAMPLES, '--bootstrap', '6', '--json');
    assert.equal(r.code, 0, r.err);
    const printed = JSON.parse(r.out);
    const c = printed.coverage;
    for (const set of [c.inSample, c.heldOut, c.rollout.pooled]) {
      for (const kind of ['all', 'train', 'ptq']) {
        assert.equal(typeof set[kind].confidence, 'number');
        assert.equal(typeof set[kind].prediction, 'number');
      }
    }
    assert.ok(c.inSample.all.prediction > c.inSample.all.confidence);
    assert.ok(printed.residualScale.train.sigma > 0);
    const text = await cli('fit', EXAMPLES, '--bootstrap', '6');
    assert.match(text.out, /Coverage of the 95% intervals: the confidence band of the expected loss/);
    assert.match(text.out, /^held out \(N=332K\) +\d+\.\d%/m);
    assert.match(text.out, /^rollout \(1 step\)/m);
    assert.match(text.out, /run-to-run scale +0\.\d+ end of training \(residuals, \d+ dof\)/);
  });
});
