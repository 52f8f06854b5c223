import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PAPER_CONSTANTS } from '../../src/law/constants';
import { plan } from '../../src/law/plan';
import type { FitResult } from '../../src/fit/fit';
import { planUncertainty } from '../../src/fit/planInterval';
import { cli, cliJson as json } from '../support/cli';
import { predictConfig } from '../../src/extension/configPrediction';
import { hoverMarkdown } from '../../src/extension/hoverMarkdown';
import { dashboardModel, defaultInputs } from '../../src/extension/dashboardModel';
import { recogniseConfig } from '../../src/runs/configs';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');

describe('plans: the uncertainty of the loss and of each margin', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'precision-uncertainty-'));
  const file = path.join(dir, 'fit.json');
  let saved: FitResult;
  before(async () => {
    const r = await cli('fit', EXAMPLES, '--bootstrap', '8', '--no-held-out', '--out', file);
    assert.equal(r.code, 0, r.err);
    saved = JSON.parse(readFileSync(file, 'utf8')) as FitResult;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('recommend --json: the plan loss has both intervals, each alternative a paired margin interval and a verdict', async () => {
    const r = await json('recommend', '--compute', '1e13', '--fit', file);
    assert.ok(r.interval.confidence[0] < r.loss && r.loss < r.interval.confidence[1], JSON.stringify(r.interval));
    assert.ok(r.interval.prediction[0] < r.interval.confidence[0] && r.interval.confidence[1] < r.interval.prediction[1]);
    assert.equal(r.alternatives.length, 3);
    for (const a of r.alternatives) {
      assert.equal(a.marginInterval.length, 2);
      assert.ok(a.marginInterval[0] <= a.marginInterval[1]);
      assert.equal(a.distinguishable, a.marginInterval[0] > 0 || a.marginInterval[1] < 0);
    }
    // bf16 at 1e13 FLOPs loses about 0.1 nats on this fit: that margin is well outside its interval.
    assert.equal(r.alternatives[0].distinguishable, true);
    // The paired interval is much narrower than the plan's own band: the loss level cancels.
    const width = (i: number[]) => i[1] - i[0];
    assert.ok(width(r.alternatives[0].marginInterval) < width(r.interval.confidence));
  });

  it('an alternative that is the plan itself is indistinguishable, and the plan says so', async () => {
    const r = await json('recommend', '--compute', '1e13', '--scenario', 'fixed-precision', '--precision', '16', '--fit', file);
    const same = r.alternatives.find((a: { label: string }) => a.label.startsWith('bf16'));
    assert.deepEqual(same.marginInterval, [0, 0]);
    assert.equal(same.distinguishable, false);
    assert.ok(r.notes.some((n: string) => /indistinguishable from the plan: bf16/.test(n)), r.notes.join('; '));
    const text = await cli('recommend', '--compute', '1e13', '--scenario', 'fixed-precision', '--precision', '16', '--fit', file);
    assert.match(text.out, /95% interval of margin/);
    assert.match(text.out, /indistinguishable/);
    assert.match(text.out, /Plan's loss: 95% confidence band of the expected loss/);
    assert.match(text.out, /Plan's loss: 95% prediction interval for a run/);
  });

  it('with the paper preset the margins have no interval, and say why', async () => {
    const r = await json('recommend', '--compute', '1e21');
    for (const a of r.alternatives) {
      assert.equal(a.marginInterval, null);
      assert.equal(a.distinguishable, null);
    }
    assert.deepEqual(r.interval, { confidence: null, prediction: null });
    assert.ok(r.notes.some((n: string) => /without bootstrap replicates/.test(n)));
  });

  it('predict --json: both intervals of the training loss, and of the served loss with --post', async () => {
    const r = await json('predict', '--params', '400k', '--tokens', '500k', '--weights', '6', '--activations', '6', '--kv', '6', '--post', '4', '--fit', file);
    for (const [i, at] of [[r.interval, r.trainLoss], [r.servedInterval, r.loss]] as const) {
      assert.equal(i.confidence.length, 2);
      assert.equal(i.prediction.length, 2);
      assert.ok(i.prediction[0] < i.confidence[0] && i.confidence[0] <= at && at <= i.confidence[1] && i.confidence[1] < i.prediction[1], JSON.stringify(i));
    }
    assert.deepEqual(r.intervalBasis.presetHeld, ['bPost']);
    const plain = await json('predict', '--params', '400k', '--tokens', '500k', '--fit', file);
    assert.equal(plain.servedInterval, null);
    assert.equal(plain.interval.prediction.length, 2);
    const text = await cli('predict', '--params', '400k', '--tokens', '500k', '--post', '4', '--fit', file);
    assert.match(text.out, /training loss: 95% confidence band of the expected loss .* bPost held at the preset contributes none/);
    assert.match(text.out, /served in 4 bits: 95% prediction interval for a run/);
  });

  it('the hover names both intervals, for the loss and the served loss, and the optimum margin its interval', () => {
    const config = recogniseConfig('n_params: 4e5\ntokens: 5e5\nprecision: int6\ninference_bits: 4\n', 'yaml', DEFAULT_ALIASES);
    const r = predictConfig(config, { constants: saved.constants, fit: saved });
    assert.ok(r.ok, r.ok ? '' : r.message);
    const md = hoverMarkdown(r.prediction, 'workspace fit');
    assert.match(md, /95% confidence band of the expected loss \d\.\d+–\d\.\d+ \(bootstrap of the constants; bPost held at the preset contributes none\); 95% prediction interval for a run \d\.\d+–\d\.\d+/);
    assert.match(md, /Served in 4 bits: .*95% prediction interval for a run/);
    assert.ok(r.prediction.optimal?.marginInterval, 'the optimum carries its margin interval');
    const paper = predictConfig(config, { constants: PAPER_CONSTANTS });
    assert.ok(paper.ok);
    assert.doesNotMatch(hoverMarkdown(paper.prediction, 'paper'), /confidence band|prediction interval/);
  });

  it('the dashboard plan table carries the margins with their interval, and the verdict', () => {
    const inputs = { ...defaultInputs([], 4), compute: 1e13, scenario: 'fixed-precision' as const, planPrecision: 16 };
    const model = dashboardModel({ constants: saved.constants, constantsLabel: 'workspace fit', fit: saved, runs: [], inputs, costModel: 'bits-linear' });
    assert.ok(model.plan.ok);
    const alternatives = model.plan.rows.slice(1);
    assert.ok(alternatives.every((a) => a.marginInterval && typeof a.distinguishable === 'boolean'));
    assert.equal(alternatives.find((a) => a.label.startsWith('bf16'))?.distinguishable, false);
    assert.ok(model.plan.interval?.confidence && model.plan.interval.prediction);
    assert.ok(model.plan.uncertaintyNotes?.some((n) => /indistinguishable/.test(n)));
    const paper = dashboardModel({ constants: PAPER_CONSTANTS, constantsLabel: 'paper', runs: [], inputs, costModel: 'bits-linear' });
    assert.ok(paper.plan.rows.slice(1).every((a) => a.marginInterval === undefined && a.distinguishable === undefined));
  });

  it('planUncertainty pairs the replicates: a margin that holds in every replicate is distinguishable', () => {
    const p = plan(saved.constants, { scenario: 'joint', compute: 1e13 });
    assert.ok(p.ok);
    const u = planUncertainty(saved, p);
    assert.equal(u.alternatives.length, p.alternatives.length);
    assert.ok(u.interval.confidence && u.interval.prediction);
    assert.deepEqual(u.indistinguishable, u.alternatives.filter((a) => a.distinguishable === false).map((a) => a.label));
  });
});

