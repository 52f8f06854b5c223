import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ConstantName, type Constants, PAPER_CONSTANTS } from '../../src/law/constants';
import * as path from 'node:path';
import { fit, rejection } from '../../src/fit/fit';
import { runsSignature } from '../../src/fit/points';
import { ptqSamples } from '../../src/ptq/samples';
import { scan } from '../../src/runs/discover';
import type { Run } from '../../src/runs/run';
import { paperLikeSweep, syntheticRuns } from '../support/synthetic';

const truth: Constants = { ...PAPER_CONSTANTS, Cw: 1.5, Ca: 0.8, Ckv: 2 };
/** A start far from the truth, so recovery is not inherited from the preset. */
const wrongPreset: Constants = {
  ...PAPER_CONSTANTS,
  A: 1000, alpha: 0.3, beta: 0.3, B: 5000, E: 2,
  gammaW: 1, nW: 0, gammaA: 1, nA: 0, gammaKV: 1, nKV: 0,
  CT: 1, gammaD: 0.3, gammaN: 0.3, gammaPost: 1, Cw: 1, Ca: 1, Ckv: 1,
};

function assertRecovered(got: Constants, expected: Constants, tolerance: Partial<Record<ConstantName, number>>) {
  for (const [name, tol] of Object.entries(tolerance) as Array<[ConstantName, number]>) {
    const rel = Math.abs(got[name] / expected[name] - 1);
    assert.ok(rel <= tol, `${name}: fitted ${got[name]} vs true ${expected[name]} (${(rel * 100).toFixed(1)}% > ${tol * 100}%)`);
  }
}

const sweep = paperLikeSweep(truth, 0.003, 1);

describe('fit: recovery of known constants from the law with noise', () => {
  const result = fit(sweep, { bootstrap: 0, preset: wrongPreset });

  it('fits every stage and recovers all constants, offsets included', () => {
    assert.ok(result.ok, result.message);
    assert.deepEqual(
      result.stages.map((s) => [s.name, s.status]),
      [['chinchilla', 'fitted'], ['precision', 'fitted'], ['ptq', 'fitted'], ['joint', 'fitted']],
    );
    assertRecovered(result.constants, truth, {
      A: 0.1, alpha: 0.02, B: 0.1, beta: 0.02, E: 0.01,
      gammaW: 0.1, gammaA: 0.05, nA: 0.05, gammaKV: 0.05, nKV: 0.05,
      CT: 0.05, gammaD: 0.02, gammaN: 0.02, gammaPost: 0.02,
      Cw: 0.1, Ca: 0.1, Ckv: 0.05,
    });
    // n_w is small (0.30), so judge it on an absolute scale.
    assert.ok(Math.abs(result.constants.nW - truth.nW) < 0.1);
    assert.equal(result.origin.bPost, 'preset');
    assert.equal(result.origin.gammaW, 'fitted');
  });

  it('reports R^2, RMSE and the held-out error on the largest model size', () => {
    assert.ok(result.metrics.all && (result.metrics.all.r2 ?? NaN) > 0.99 && (result.metrics.all.rmse ?? NaN) < 0.03);
    assert.ok(result.metrics.degradation && (result.metrics.degradation.r2 ?? NaN) > 0.95);
    const held = result.metrics.heldOut;
    assert.ok(held && 'params' in held, JSON.stringify(held));
    assert.equal(held.params, 220e6);
    assert.ok(held.all && (held.all.mape ?? NaN) < 0.01, `held-out error ${held.all?.mape}`);
    const heldPoints = result.points.filter((p) => p.heldOutPrediction !== undefined);
    assert.equal(heldPoints.length, held.all.n);
    assert.ok(heldPoints.every((p) => p.params === 220e6));
  });

  it('is a plain serializable object', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(result)), result);
  });
});

describe('fit options', () => {
  it('fits untied exponents when alpha != beta', () => {
    const t = { ...truth, alpha: 0.35, beta: 0.55 };
    const r = fit(paperLikeSweep(t, 0.002, 2), { bootstrap: 0, heldOut: false, tieExponents: false, preset: wrongPreset });
    assertRecovered(r.constants, t, { alpha: 0.05, beta: 0.05, E: 0.02 });
  });

  it("fits the main-text form with offsets fixed at zero", () => {
    const t = { ...truth, nW: 0, nA: 0, nKV: 0, gammaW: 1.2, gammaA: 0.9, gammaKV: 0.6 };
    const r = fit(paperLikeSweep(t, 0.002, 3), { bootstrap: 0, heldOut: false, offsets: 'zero', preset: wrongPreset });
    assert.equal(r.constants.nW, 0);
    assert.equal(r.origin.nA, 'fixed');
    assertRecovered(r.constants, t, { gammaW: 0.05, gammaA: 0.05, gammaKV: 0.05 });
  });

  it('Huber loss shrugs off a few gross outliers that pull least squares away', () => {
    const runs = paperLikeSweep(truth, 0.002, 4).map((r, i) => (i % 25 === 7 && r.finalLoss !== undefined ? { ...r, finalLoss: r.finalLoss * 1.3 } : r));
    const opts = { bootstrap: 0, heldOut: false, preset: wrongPreset };
    const huber = fit(runs, { ...opts, loss: 'huber' });
    const squares = fit(runs, { ...opts, loss: 'squares' });
    const err = (c: Constants) => Math.abs(c.E / truth.E - 1) + Math.abs(c.alpha / truth.alpha - 1);
    assert.ok(err(huber.constants) < err(squares.constants), `huber ${err(huber.constants)} vs squares ${err(squares.constants)}`);
    assertRecovered(huber.constants, truth, { E: 0.01, alpha: 0.03 });
  });

  it('bootstrap intervals are reproducible for a seed and cover the truth', () => {
    const small = paperLikeSweep(truth, 0.003, 5, 0.6);
    const opts = { bootstrap: 12, seed: 7, heldOut: false, loss: 'squares' as const, preset: wrongPreset };
    const a = fit(small, opts);
    const b = fit(small, opts);
    const other = fit(small, { ...opts, seed: 8 });
    assert.notDeepEqual(a.intervals, other.intervals);
    assert.deepEqual(a.intervals, b.intervals);
    assert.equal(a.bootstrap?.samples.length, a.bootstrap?.succeeded);
    for (const name of ['E', 'alpha', 'gammaD'] as const) {
      const [lo, hi] = a.intervals[name] ?? [NaN, NaN];
      assert.ok(lo < a.constants[name] && a.constants[name] < hi, `${name}: ${lo} < ${a.constants[name]} < ${hi}`);
      assert.ok(lo < truth[name] * 1.02 && truth[name] * 0.98 < hi, `${name}: [${lo}, ${hi}] vs ${truth[name]}`);
    }
  });

  it('never prints', () => {
    const writes: string[] = [];
    const original = { log: console.log, warn: console.warn, error: console.error, write: process.stdout.write, ewrite: process.stderr.write };
    console.log = console.warn = console.error = (...args: unknown[]) => void writes.push(args.join(' '));
    process.stdout.write = process.stderr.write = ((chunk: string) => (writes.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      fit(paperLikeSweep(truth, 0.003, 6, 0.4), { bootstrap: 2 });
    } finally {
      Object.assign(console, { log: original.log, warn: original.warn, error: original.error });
      process.stdout.write = original.write;
      process.stderr.write = original.ewrite;
    }
    assert.deepEqual(writes, []);
  });
});

describe('fit: degenerate data gives a clear message naming what is missing', () => {
  const one = (over: Partial<Run> = {}): Run => ({
    id: 'r', name: 'r', format: 'test', file: 'r/run.json', params: 3e7, tokens: 1e9,
    precision: { w: { bits: 16, type: 'fp' }, a: { bits: 16, type: 'fp' }, kv: { bits: 16, type: 'fp' } },
    finalLoss: 3.5, ptq: [], sources: {}, missing: [], ...over,
  });

  it('one run', () => {
    const r = fit([one()], { bootstrap: 0 });
    assert.equal(r.ok, false);
    assert.match(r.message, /nothing could be fitted/);
    assert.match(r.message, /2 model sizes/);
    assert.match(r.message, /have 1 run, 1 size, 1 token budget/);
    assert.deepEqual(r.constants, PAPER_CONSTANTS);
  });

  it('one model size', () => {
    const runs = syntheticRuns({ truth, sizes: [5e7], tokens: [1e9, 2e9, 4e9, 8e9, 16e9, 32e9], precisions: [{ w: 16, a: 16, kv: 16 }], posts: [], noise: 0.002, seed: 1 });
    const r = fit(runs, { bootstrap: 0 });
    assert.equal(r.ok, false);
    assert.match(r.stages[0].reason ?? '', /1 size/);
  });

  it('every run at the same high precision: the precision stage says so and the rest is fitted', () => {
    const runs = syntheticRuns({ truth, sizes: [3e7, 6e7, 1.2e8], tokens: [1e9, 3e9, 9e9], precisions: [{ w: 16, a: 16, kv: 16 }], posts: [4, 6], noise: 0.002, seed: 2 });
    const r = fit(runs, { bootstrap: 0 });
    assert.ok(r.ok);
    const precision = r.stages.find((s) => s.name === 'precision');
    assert.equal(precision?.status, 'skipped');
    assert.match(precision?.reason ?? '', /below 16 bits/);
    assert.equal(r.origin.gammaW, 'preset');
    assert.ok(r.warnings.some((w) => /precision stage skipped/.test(w)));
  });

  it('every low-precision run quantizes all parts together: the shared factor is named', () => {
    const runs = syntheticRuns({ truth, sizes: [3e7, 6e7, 1.2e8], tokens: [1e9, 3e9, 9e9], precisions: [16, 8, 6, 4].map((b) => ({ w: b, a: b, kv: b })), posts: [], noise: 0.002, seed: 3 });
    const r = fit(runs, { bootstrap: 0, heldOut: false });
    const precision = r.stages.find((s) => s.name === 'precision');
    assert.equal(precision?.status, 'fitted');
    assert.deepEqual(precision?.held.map((h) => h.name), ['gammaA', 'nA', 'gammaKV', 'nKV']);
    assert.match(precision?.held[0].reason ?? '', /cannot be separated/);
  });

  it('NaN, negative and missing values leave those runs out and list them', () => {
    const runs = paperLikeSweep(truth, 0.003, 8, 0.6);
    const bad: Run[] = [
      one({ id: 'nan', finalLoss: NaN }),
      one({ id: 'negative', finalLoss: -1 }),
      one({ id: 'no-n', params: undefined, missing: ['params'] }),
      one({ id: 'crashed', unfinished: true }),
    ];
    const r = fit([...runs, ...bad], { bootstrap: 0, heldOut: false });
    assert.ok(r.ok);
    assert.deepEqual(r.data.skippedRuns.map((s) => s.runId), ['nan', 'negative', 'no-n', 'crashed']);
    assert.match(r.data.skippedRuns[2].reason, /^missing N \(parameters\)$/);
    assert.match(r.data.skippedRuns[3].reason, /unfinished/);
    assert.equal(r.data.runs, runs.length);
    assert.ok(r.points.every((p) => Number.isFinite(p.predicted)));
  });
});

describe('fit: a fit that must not replace the constants in use', () => {
  const metricsOf = (rmse: number, r2: number) => ({ n: 10, r2, rmse, mape: 0.01, maxAbsError: rmse * 2 });
  const chinchilla = (status: 'fitted' | 'skipped') => ({ name: 'chinchilla' as const, status, reason: status === 'skipped' ? 'needs 2 sizes; have 1 size' : undefined, fitted: [], held: [], points: 3 });

  it('says why: no loss level, worse than the preset, worse than the mean', () => {
    assert.match(rejection([chinchilla('skipped')], metricsOf(0.1, 0.9), metricsOf(0.2, 0.5)) ?? '', /loss level .* could not be fitted: needs 2 sizes/);
    assert.match(rejection([chinchilla('fitted')], metricsOf(0.3, 0.5), metricsOf(0.2, 0.6)) ?? '', /worse than the preset \(RMSE 0\.300 vs 0\.200/);
    assert.match(rejection([chinchilla('fitted')], metricsOf(0.1, -0.4), metricsOf(5, -100)) ?? '', /worse than their mean loss/);
    assert.equal(rejection([chinchilla('fitted')], metricsOf(0.01, 0.99), metricsOf(2, -50)), undefined);
  });

  it('two example runs of one size (the first of a sweep): PTQ fitted on the preset loss level is not used, and says so', async () => {
    const scanned = await scan([path.join(__dirname, '..', '..', 'examples', 'runs', 'L2W32-D2.4M-fp32'), path.join(__dirname, '..', '..', 'examples', 'runs', 'L2W32-D2.4M-w4a32kv32')]);
    assert.equal(scanned.runs.length, 2);
    const r = fit(scanned.runs, { bootstrap: 0 });
    assert.equal(r.ok, false);
    assert.equal(r.stages.find((s) => s.name === 'ptq')?.status, 'fitted', 'a stage ran');
    assert.match(r.rejected ?? '', /loss level/);
    assert.match(r.message, /the fit of 2 runs \(ptq\) is not used: the loss level/);
    // The bar it had to clear: the preset's own error on these points, recorded beside the fit's.
    assert.ok(r.metrics.preset && r.metrics.all && (r.metrics.all.r2 ?? NaN) < 0);
  });

  it('a good fit is used, and records the preset bar it cleared', () => {
    const r = fit(paperLikeSweep(truth, 0.003, 8, 0.6), { bootstrap: 0, heldOut: false });
    assert.ok(r.ok, r.message);
    assert.equal(r.rejected, undefined);
    assert.ok(r.metrics.all && r.metrics.preset && (r.metrics.all.rmse ?? NaN) < (r.metrics.preset.rmse ?? NaN));
  });
});

describe('fit: when the data a fit uses have changed', () => {
  it('a running run writing new losses does not change the signature; a finished run or a changed loss does', async () => {
    const { runs } = await scan([path.join(__dirname, '..', '..', 'examples', 'runs')]);
    const base = runsSignature(runs);
    const running: Run = { ...runs[0], id: 'runs/new/run.json', unfinished: true };
    assert.equal(runsSignature([...runs, running]), base, 'an unfinished run is not fitted');
    assert.equal(runsSignature([...runs, { ...running, finalLoss: (running.finalLoss ?? 3) * 0.9 }]), base, 'its newer loss changes nothing');
    assert.notEqual(runsSignature([...runs, { ...running, unfinished: false }]), base, 'once finished it is new data');
    assert.notEqual(runsSignature([{ ...runs[0], finalLoss: (runs[0].finalLoss ?? 3) + 0.01 }, ...runs.slice(1)]), base);
    assert.equal(runsSignature([...runs].reverse()), base, 'order does not matter');
  });
});

describe('fit: hostile run values are left out by name, solver failures are reported per stage, and nothing is NaN', () => {
  // A small design (45 runs, PTQ to 3, 4 and 6 bits), so each hostile case is a whole fit in seconds.
  const design = () =>
    syntheticRuns({
      truth,
      sizes: [3e7, 6e7, 1.2e8],
      tokens: [1e9, 3e9, 9e9],
      precisions: [{ w: 16, a: 16, kv: 16 }, { w: 4, a: 16, kv: 16 }, { w: 16, a: 4, kv: 16 }, { w: 16, a: 16, kv: 4 }, { w: 8, a: 8, kv: 8 }],
      posts: [3, 4, 6],
      noise: 0.003,
      seed: 5,
    });
  /** The first `count` high-precision runs of the design, changed by `change`: they carry the loss level. */
  const hostile = (count: number, change: (r: Run) => void): { runs: Run[]; ids: string[] } => {
    const runs = design();
    const targets = runs.filter((r) => r.precision?.w.bits === 16 && r.precision.a.bits === 16).slice(0, count);
    targets.forEach(change);
    return { runs, ids: targets.map((r) => r.id) };
  };
  /** No NaN or Infinity anywhere (JSON has no word for them: a round trip would change the object), and a metric that is null says why. */
  const assertClean = (r: ReturnType<typeof fit>) => {
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'a NaN or an Infinity somewhere in the result');
    const all = [r.metrics.all, r.metrics.train, r.metrics.ptq, r.metrics.degradation, r.metrics.preset, ...(r.metrics.heldOut && 'params' in r.metrics.heldOut ? [r.metrics.heldOut.all] : [])];
    for (const m of all) {
      if (!m) continue;
      for (const name of ['r2', 'rmse', 'mape', 'maxAbsError'] as const) {
        const x = m[name];
        if (x === null) assert.equal(typeof m.unavailable?.[name], 'string', `${name} is absent without a reason`);
        else assert.ok(Number.isFinite(x), `${name} = ${x}`);
      }
    }
    for (const [name, [lo, hi]] of Object.entries(r.intervals)) assert.ok(Number.isFinite(lo) && Number.isFinite(hi), name);
    for (const s of r.stages) if (s.status !== 'fitted') assert.equal(typeof s.reason, 'string', `${s.name} ${s.status} without a reason`);
  };

  const cases: Array<{ name: string; count: number; change: (r: Run) => void; field: string; code: string; value?: number }> = [
    { name: 'one run with loss 5e-324', count: 1, change: (r) => (r.finalLoss = 5e-324), field: 'finalLoss', code: 'implausible', value: 5e-324 },
    { name: 'two runs with loss 5e-324', count: 2, change: (r) => (r.finalLoss = 5e-324), field: 'finalLoss', code: 'implausible', value: 5e-324 },
    { name: 'two runs with size 5e-324', count: 2, change: (r) => (r.params = 5e-324), field: 'params', code: 'implausible', value: 5e-324 },
    { name: 'two runs with D 5e-324', count: 2, change: (r) => (r.tokens = 5e-324), field: 'tokens', code: 'implausible', value: 5e-324 },
    { name: 'two runs with loss 1e308', count: 2, change: (r) => (r.finalLoss = 1e308), field: 'finalLoss', code: 'implausible', value: 1e308 },
    { name: 'two runs with loss Infinity', count: 2, change: (r) => (r.finalLoss = Infinity), field: 'finalLoss', code: 'bad-value' },
    { name: 'two runs with N = 0', count: 2, change: (r) => (r.params = 0), field: 'params', code: 'bad-value', value: 0 },
    { name: 'a run with 0-bit weights', count: 1, change: (r) => r.precision && (r.precision.w.bits = 0), field: 'precision', code: 'implausible', value: 0 },
  ];
  for (const c of cases) {
    it(`${c.name}: left out, named with its value, and the rest is fitted`, () => {
      const { runs, ids } = hostile(c.count, c.change);
      const r = fit(runs, { bootstrap: 0 });
      assert.deepEqual(r.data.skippedRuns.map((s) => s.runId), ids);
      for (const s of r.data.skippedRuns) {
        assert.equal(s.code, c.code);
        assert.equal(s.field, c.field);
        assert.equal(s.value, c.value);
      }
      // The warnings every front end prints name each run left out.
      for (const id of ids) assert.ok(r.warnings.some((w) => w.startsWith(`run ${id}: `)), `no warning names ${id}`);
      assert.equal(r.data.runs, runs.length - ids.length);
      assert.ok(r.ok, r.message);
      assert.equal(r.stages[0].status, 'fitted');
      assertClean(r);
    });
  }

  it('a PTQ evaluation with loss 5e-324 is left out on its own, its run kept', () => {
    const { runs, ids } = hostile(1, (r) => (r.ptq[0].loss = 5e-324));
    const r = fit(runs, { bootstrap: 0 });
    assert.deepEqual(r.data.skippedRuns, []);
    assert.deepEqual(r.data.skippedEvaluations?.map((s) => [s.runId, s.bits, s.code, s.value]), [[ids[0], runs.find((x) => x.id === ids[0])?.ptq[0].bits, 'implausible', 5e-324]]);
    assert.ok(r.warnings.some((w) => w.startsWith(`run ${ids[0]}: `)));
    assertClean(r);
  });

  it("the post-quantization predictor's samples leave out the same runs and evaluations", () => {
    const { runs, ids } = hostile(2, (r) => (r.params = 5e-324));
    for (const r of runs) for (const q of r.ptq) Object.assign(q, { sqnrDb: 20, bitsPerWeight: q.bits });
    runs[runs.length - 1].ptq[0].loss = 1e308;
    const { samples, skipped } = ptqSamples(runs);
    assert.ok(samples.every((s) => !ids.includes(s.runId) && s.loss < 20));
    assert.deepEqual([...new Set(skipped.map((s) => s.runId))], [...ids, runs[runs.length - 1].id]);
  });

  it('with the bootstrap, the held-out check and the variants: two runs of loss 5e-324 change nothing but the runs used', () => {
    const { runs, ids } = hostile(2, (r) => (r.finalLoss = 5e-324));
    const r = fit(runs, { bootstrap: 6 });
    assert.deepEqual(r.data.skippedRuns.map((s) => s.runId), ids);
    assert.ok(r.ok, r.message);
    assert.ok(r.bootstrap && r.bootstrap.succeeded > 0);
    assertClean(r);
  });

  it('one run repeated 50 times: no throw, and R² of the identical losses is absent with a reason, not NaN', () => {
    const one = design()[0];
    const runs = Array.from({ length: 50 }, (_, i): Run => ({ ...one, id: `copy-${i}`, name: `copy-${i}` }));
    const r = fit(runs, { bootstrap: 4 });
    assert.equal(r.ok, false);
    assert.equal(r.stages[0].status, 'skipped');
    assert.equal(r.metrics.train?.r2, null);
    assert.equal(typeof r.metrics.train?.unavailable?.r2, 'string');
    assertClean(r);
  });

  it('fifty copies of one run beside a sweep: fitted, nothing NaN', () => {
    const runs = design();
    const copies = Array.from({ length: 50 }, (_, i): Run => ({ ...runs[0], id: `copy-${i}`, name: `copy-${i}` }));
    const r = fit([...runs, ...copies], { bootstrap: 0 });
    assert.ok(r.ok, r.message);
    assertClean(r);
  });

  it('every run at one N and one D (a singular design): the loss level is skipped with why, the rest reported', () => {
    const runs = design().map((r): Run => ({ ...r, params: 6e7, tokens: 3e9 }));
    const r = fit(runs, { bootstrap: 4 });
    assert.equal(r.ok, false);
    assert.equal(r.stages[0].status, 'skipped');
    assert.match(r.stages[0].reason ?? '', /1 size, 1 token budget/);
    assertClean(r);
  });

  it('a stage whose solver throws (a preset with b_post = 1e308: "Matrix is not symmetric") is reported as failed, its constants held at the preset, and the others go on', () => {
    const preset = { ...PAPER_CONSTANTS, bPost: 1e308 };
    const r = fit(design(), { bootstrap: 0, heldOut: false, preset });
    const ptq = r.stages.find((s) => s.name === 'ptq');
    assert.equal(ptq?.status, 'failed');
    assert.ok(ptq?.reason);
    assert.deepEqual(ptq?.heldAtPreset, ['CT', 'gammaD', 'gammaN', 'gammaPost', 'Cw', 'Ca', 'Ckv']);
    for (const name of ptq?.heldAtPreset ?? []) {
      assert.equal(r.origin[name], 'preset', name);
      assert.equal(r.constants[name], preset[name], name);
    }
    assert.deepEqual(r.stages.slice(0, 2).map((s) => s.status), ['fitted', 'fitted']);
    assert.ok(r.warnings.some((w) => w.startsWith('ptq stage failed: ')));
    // The law predicts no PTQ point with b_post = 1e308: those predictions are null, not NaN.
    assert.ok(r.points.filter((p) => p.kind === 'ptq').every((p) => p.predicted === null));
    assertClean(r);
  });
});
