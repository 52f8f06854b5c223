// Converged fits, a bootstrap that says when it fails, and identifiability said out loud
// (issue 13, points 3 and 4).

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { type Constants, PAPER_CONSTANTS } from '../../src/law/constants';
import { bootstrapInterval, fit, fitPoints } from '../../src/fit/fit';
import { resolveFitOptions } from '../../src/fit/options';
import { pointsFromRuns } from '../../src/fit/points';
import { fitStages } from '../../src/fit/stages';
import { metrics } from '../../src/fit/metrics';
import { toConstants } from '../../src/fit/gradient';
import { reportMarkdown } from '../../src/extension/report';
import { dashboardModel, defaultInputs } from '../../src/extension/dashboardModel';
import { scan } from '../../src/runs/discover';
import type { Run } from '../../src/runs/run';
import { paperLikeSweep, syntheticRuns } from '../support/synthetic';

const truth: Constants = { ...PAPER_CONSTANTS, Cw: 1.5, Ca: 0.8, Ckv: 2 };
const EXAMPLES = path.join(__dirname, '..', '..', 'examples');

describe('fit: every stage solved to a stationary point', () => {
  const result = fit(paperLikeSweep(truth, 0.003, 11, 0.6), { bootstrap: 0, heldOut: false });

  it('on law-sampled data each stage converges with a small gradient norm, and nothing ends on a bound', () => {
    assert.ok(result.ok, result.message);
    for (const s of result.stages) {
      assert.equal(s.status, 'fitted', s.name);
      assert.equal(s.solver?.status, 'converged', `${s.name}: ${JSON.stringify(s.solver)}`);
      assert.ok(typeof s.gradientNorm === 'number' && s.gradientNorm < 1e-6, `${s.name}: gradient norm ${s.gradientNorm}`);
      assert.deepEqual(s.atBound, [], s.name);
    }
    assert.ok(!result.warnings.some((w) => /before a stationary point/.test(w)), result.warnings.join('\n'));
  });

  it('fit --json contract: every stage carries "status", "gradientNorm" and "atBound", skipped ones too', () => {
    const noJoint = fit(paperLikeSweep(truth, 0.003, 11, 0.4), { bootstrap: 0, heldOut: false, joint: false });
    const stages = JSON.parse(JSON.stringify(noJoint)).stages as Array<Record<string, unknown>>;
    for (const s of stages) {
      for (const key of ['status', 'gradientNorm', 'atBound']) assert.ok(key in s, `${s.name} lacks ${key}`);
      assert.ok(Array.isArray(s.atBound));
    }
    const joint = stages.find((s) => s.name === 'joint');
    assert.equal(joint?.status, 'skipped');
    assert.equal(joint?.gradientNorm, null);
  });

  it('the example workspace: every stage converges, no constant at a bound; the PTQ law and every part fitted, gamma_D, gamma_N and gamma_post apart from 0', async () => {
    const { runs } = await scan([EXAMPLES]);
    const r = fit(runs, { bootstrap: 30, heldOut: false });
    assert.deepEqual(r.stages.map((s) => s.solver?.status), ['converged', 'converged', 'converged', 'converged']);
    for (const s of r.stages) assert.deepEqual(s.atBound ?? [], [], s.name);
    // Each part's gamma and n fitted on its own: none held at the preset or at neutral.
    for (const name of ['gammaW', 'nW', 'gammaA', 'nA', 'gammaKV', 'nKV', 'gammaD', 'gammaN', 'gammaPost'] as const) assert.equal(r.origin[name], 'fitted', name);
    for (const name of ['gammaD', 'gammaN', 'gammaPost'] as const) {
      const interval = r.intervals[name];
      assert.ok(interval && interval[0] > 0 && interval[0] <= r.constants[name] && r.constants[name] <= interval[1], `${name}: ${r.constants[name]} in ${interval}`);
    }
  });
});

describe('fit: the sign of gamma_N is a finding', () => {
  // Larger models degrade more after PTQ: gamma_N < 0.
  const negative: Constants = { ...truth, gammaN: -0.2 };
  const runs = paperLikeSweep(negative, 0.002, 12, 0.6);

  it('bounded at 0 by default: gamma_N sits on the bound, is listed at it, and the fit says the data prefer a negative value', () => {
    const r = fit(runs, { bootstrap: 0, heldOut: false });
    assert.equal(r.constants.gammaN, 0);
    const ptq = r.stages.find((s) => s.name === 'ptq');
    assert.ok(ptq?.atBound?.includes('gammaN'), JSON.stringify(ptq?.atBound));
    assert.equal(ptq?.bounds?.find((b) => b.name === 'gammaN')?.prefersBeyond, true);
    assert.ok(r.warnings.some((w) => /^gammaN at its lower bound 0 .*the data prefer a negative value .*--allow-negative gammaN/.test(w)), r.warnings.join('\n'));
  });

  it('allowNegative takes it: gamma_N comes back negative, off the bound', () => {
    const r = fit(runs, { bootstrap: 0, heldOut: false, allowNegative: ['gammaN'] });
    assert.ok(Math.abs(r.constants.gammaN - -0.2) < 0.02, `gammaN ${r.constants.gammaN}`);
    assert.ok(!r.stages.some((s) => s.atBound?.includes('gammaN')));
    assert.ok(!r.warnings.some((w) => /prefer a negative/.test(w)));
  });
});

describe('fit: constants the data cannot determine are reported as such', () => {
  // A designed degenerate sweep: every run trains weights, activations and KV cache at one
  // precision (the parts never vary apart), and PTQ is evaluated at one model size only.
  const all = syntheticRuns({ truth, sizes: [3e7, 6e7, 1.2e8], tokens: [1e9, 3e9, 9e9], precisions: [16, 8, 6, 4].map((b) => ({ w: b, a: b, kv: b })), posts: [3, 4, 6], noise: 0.002, seed: 13 });
  const runs: Run[] = all.map((r) => (r.params === 6e7 ? r : { ...r, ptq: [] }));
  const r = fit(runs, { bootstrap: 0, heldOut: false });

  it('names each one with its reason: parts never varied apart, one PTQ size, C_T without b_post', () => {
    assert.ok(r.ok, r.message);
    const why = r.identifiability?.notIdentifiable ?? {};
    for (const name of ['gammaA', 'nA', 'gammaKV', 'nKV'] as const) assert.match(why[name] ?? '', /cannot be separated/, name);
    for (const name of ['Ca', 'Ckv'] as const) assert.match(why[name] ?? '', /always share/, name);
    assert.match(why.gammaN ?? '', /all PTQ evaluations share one model size/);
    assert.match(why.CT ?? '', /only C_T \* exp\(b_post\) is identifiable/);
    assert.match(why.bPost ?? '', /C_T \* exp\(b_post\)/);
  });

  it('reports C_T * exp(b_post), the product the data determine, instead of C_T alone', () => {
    const product = r.identifiability?.products.find((p) => p.label === 'CT*exp(bPost)');
    assert.ok(product);
    assert.equal(product.value, r.constants.CT * Math.exp(r.constants.bPost));
    assert.equal(product.paper, PAPER_CONSTANTS.CT * Math.exp(PAPER_CONSTANTS.bPost));
  });

  it('the report and the dashboard show "not identifiable" in place of an estimate, and the product', () => {
    const md = reportMarkdown(r, runs, 'workspace fit');
    assert.match(md, /\| CT \| not identifiable: only C_T \* exp\(b_post\)/);
    assert.match(md, /\| CT\*exp\(bPost\) \| \d/);
    const model = dashboardModel({ constants: r.constants, constantsLabel: 'workspace fit', fit: r, runs, inputs: defaultInputs(runs, 4), costModel: 'bits-linear' });
    const ct = model.fit?.constants.find((c) => c.name === 'CT');
    assert.match(ct?.notIdentifiable ?? '', /only C_T \* exp\(b_post\)/);
    assert.equal(ct?.low, undefined);
    assert.ok(model.fit?.constants.some((c) => c.name === 'CT*exp(bPost)'));
    assert.ok(model.fit?.stages.every((s) => s.status === 'skipped' || s.solver === 'converged'));
  });

  it('a constant with a flat profile is not identifiable: C_w when every PTQ run has the same headroom', () => {
    // Every PTQ evaluation is of a run trained at 6 bits and quantized to 4, so the headroom is
    // 2 bits everywhere: 1 - exp(-2 C_w) is one constant factor that C_T absorbs, whatever C_w is.
    const sweep = syntheticRuns({ truth, sizes: [3e7, 6e7, 1.2e8], tokens: [1e9, 3e9, 9e9], precisions: [16, 6].map((b) => ({ w: b, a: b, kv: b })), posts: [4], noise: 0.002, seed: 14 });
    const flat = sweep.map((run) => (run.precision?.w.bits === 16 ? { ...run, ptq: [] } : run));
    const f = fit(flat, { bootstrap: 0, heldOut: false });
    const ptq = f.stages.find((s) => s.name === 'ptq');
    assert.ok(ptq?.status === 'fitted' && ptq.fitted.includes('Cw'), JSON.stringify(ptq));
    assert.deepEqual(ptq.flat?.map((x) => x.name), ['Cw']);
    assert.match(f.identifiability?.notIdentifiable.Cw ?? '', /^flat profile: held at [\d.]+( and [\d.]+)? \(the fitted value [\d.]+\), with the other constants re-fitted, the PTQ objective changes by less than 1%/);
  });
});

describe('bootstrap: failures counted, an interval that excludes its estimate is not a 95% interval', () => {
  it('replicates that cannot fit every stage are counted, left out, and said', () => {
    // One run at a second low precision: a replicate without it cannot fit the weights' offset.
    const base = syntheticRuns({ truth, sizes: [3e7, 6e7, 1.2e8], tokens: [1e9, 3e9, 9e9], precisions: [{ w: 16, a: 16, kv: 16 }, { w: 4, a: 16, kv: 16 }], posts: [], noise: 0.002, seed: 15 });
    const lone = syntheticRuns({ truth, sizes: [6e7], tokens: [3e9], precisions: [{ w: 6, a: 16, kv: 16 }], posts: [], noise: 0.002, seed: 16 });
    const r = fit([...base, ...lone], { bootstrap: 12, seed: 3, heldOut: false });
    const b = r.bootstrap;
    assert.ok(b && b.failed !== undefined && b.unmoved !== undefined);
    assert.ok(b.failed > 0, JSON.stringify({ failed: b.failed, unmoved: b.unmoved }));
    assert.equal(b.failed + b.unmoved + b.succeeded, b.replicates);
    assert.equal(b.samples.length, b.succeeded);
    assert.equal(b.gridStarts, 2);
    assert.ok(r.warnings.some((w) => new RegExp(`^${b.failed} of 12 bootstrap replicates could not fit every stage`).test(w)), r.warnings.join('\n'));
  });

  it('a range that excludes its own estimate is a failed bootstrap (the issue: C_w 2.40-5.07 around 2.372)', () => {
    const column = Array.from({ length: 40 }, (_, i) => 2.4 + (2.67 * i) / 39);
    const failed = bootstrapInterval(column, 2.372);
    assert.equal(failed.status, 'failed');
    assert.match(failed.status === 'failed' ? failed.reason : '', /range 2\.4\d* to 5\.0\d* excludes the estimate 2\.372/);
    assert.equal(bootstrapInterval(column, 3).status, 'ok');
  });

  it('a failed interval is not in `intervals`, and the report and dashboard say "bootstrap failed"', () => {
    const r = fit(paperLikeSweep(truth, 0.003, 17, 0.4), { bootstrap: 4, seed: 1, heldOut: false, loss: 'squares' });
    assert.ok(r.bootstrap?.intervalStatus);
    for (const [name, s] of Object.entries(r.bootstrap.intervalStatus)) {
      if (s?.status === 'ok') assert.ok(r.intervals[name as keyof typeof r.intervals], name);
      else assert.equal(r.intervals[name as keyof typeof r.intervals], undefined, name);
    }
    // Mark E's interval failed as the fit would, and render.
    const broken = structuredClone(r);
    delete broken.intervals.E;
    broken.bootstrap!.intervalStatus!.E = { status: 'failed', range: [3, 4], reason: 'the replicates\' 95% range 3 to 4 excludes the estimate 2.765' };
    assert.match(reportMarkdown(broken, [], 'workspace fit'), /\| E \| 2\.\d+ \| bootstrap failed: the replicates' 95% range 3 to 4 excludes/);
    const model = dashboardModel({ constants: broken.constants, constantsLabel: '', fit: broken, runs: [], inputs: defaultInputs([], 4), costModel: 'bits-linear' });
    const e = model.fit?.constants.find((c) => c.name === 'E');
    assert.equal(e?.low, undefined);
    assert.match(e?.intervalFailed ?? '', /excludes the estimate/);
  });
});

describe('solver failures are caught per stage (points handed to the stages directly, past the plausibility check)', () => {
  const sweep = syntheticRuns({ truth, sizes: [3e7, 6e7, 1.2e8], tokens: [1e9, 3e9, 9e9], precisions: [{ w: 16, a: 16, kv: 16 }, { w: 4, a: 16, kv: 16 }, { w: 16, a: 4, kv: 16 }, { w: 8, a: 8, kv: 8 }], posts: [3, 4], noise: 0.003, seed: 9 });
  const points = pointsFromRuns(sweep).points;
  const spoil = (count: number, change: (p: (typeof points)[number]) => void) => {
    const copy = points.map((p) => ({ ...p }));
    copy.filter((p) => p.kind === 'train' && p.precision.w === 16 && p.precision.a === 16).slice(0, count).forEach(change);
    return copy;
  };
  const options = resolveFitOptions({ bootstrap: 0, heldOut: false, profiles: false });

  it('two high-precision points of size 5e-324: the stages that throw ("Matrix is not symmetric") are failed with a message, nothing throws, every constant stays finite', () => {
    const staged = fitStages(spoil(2, (p) => (p.params = 5e-324)), options);
    assert.ok(staged.stages.some((s) => s.status === 'failed'), JSON.stringify(staged.stages.map((s) => [s.name, s.status, s.reason])));
    for (const s of staged.stages) if (s.status === 'failed') assert.ok(s.reason && s.reason.length > 0, s.name);
    assert.ok(staged.vector.every(Number.isFinite));
  });

  it('a loss of Infinity among the loss level points: that stage failed with its constants held at the preset, the PTQ stage still fitted', () => {
    const staged = fitStages(spoil(1, (p) => (p.loss = Infinity)), options);
    const [chinchilla, precision, ptq] = staged.stages;
    assert.equal(chinchilla.status, 'failed');
    assert.deepEqual([...(chinchilla.heldAtPreset ?? [])].sort(), ['A', 'B', 'E', 'alpha', 'beta']);
    for (const name of ['A', 'alpha', 'B', 'beta', 'E'] as const) {
      assert.equal(staged.origin[name], 'preset');
      assert.equal(toConstants(staged.vector)[name], PAPER_CONSTANTS[name]);
    }
    assert.equal(precision.status, 'skipped', 'it needs the loss level');
    assert.equal(ptq.status, 'fitted', 'the stages after a failed one go on');
  });

  it('fitPoints given such points leaves them out by the same bounds, names them, and fits the rest', () => {
    const given = spoil(2, (p) => (p.params = 5e-324));
    const r = fitPoints(given, { bootstrap: 0, heldOut: false });
    assert.deepEqual(r.data.skippedPoints?.map((s) => s.kind), ['train', 'train']);
    assert.ok(r.ok, r.message);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });

  it('metrics: a pair with a non-finite number is left out and counted; R² of equal observations and MAPE of a zero observation are null with a reason', () => {
    const m = metrics([2, 2, 2, NaN], [2.1, 1.9, 2, 2]);
    assert.equal(m?.n, 3);
    assert.equal(m?.nonFinite, 1);
    assert.equal(m?.r2, null);
    assert.equal(typeof m?.unavailable?.r2, 'string');
    assert.ok(Number.isFinite(m?.rmse ?? NaN));
    const zero = metrics([0, 0.01, 0.02], [0.001, 0.01, 0.02]);
    assert.equal(zero?.mape, null);
    assert.equal(typeof zero?.unavailable?.mape, 'string');
    assert.ok(Number.isFinite(zero?.r2 ?? NaN));
    assert.equal(metrics([NaN], [1]), null);
  });
});
