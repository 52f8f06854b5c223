import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom, shuffle } from '../../src/fit/random';
import {
  FEATURE_NAMES,
  FEATURES_WITHOUT_FLATNESS,
  flatness,
  inputProblem,
  interpolateProbe,
  noiseNormForSqnr,
  type PtqSample,
  ptqFeatures,
} from '../../src/ptq/features';
import {
  errorStats,
  leaveOneSizeOut,
  type LeaveOneSizeOutResult,
  maxFeaturesOption,
  type SizeResult,
  trainPredictor,
} from '../../src/ptq/predictor';

// A synthetic workspace with a known answer: 6 sizes x 2 token ratios, 8 formats, RTN and GPTQ.
// Each run has a sharpness c (smaller for larger, less over-trained models); its probe is
// c r^2 plus noise on a log grid of r, and the true degradation of a format is c r^2 at the
// format's SQNR-matched r (halved by GPTQ): the premise of the flatness feature.

const FORMATS = [
  { format: 'int8-channel', bits: 8, blockSize: 0, bitsPerWeight: 8, sqnrDb: 40 },
  { format: 'int6-channel', bits: 6, blockSize: 0, bitsPerWeight: 6, sqnrDb: 28 },
  { format: 'int4-channel', bits: 4, blockSize: 0, bitsPerWeight: 4, sqnrDb: 16 },
  { format: 'int4-g32', bits: 4, blockSize: 32, bitsPerWeight: 4.5, sqnrDb: 20 },
  { format: 'int3-g32', bits: 3, blockSize: 32, bitsPerWeight: 3.5, sqnrDb: 14 },
  { format: 'mxint8', bits: 8, blockSize: 32, bitsPerWeight: 8.25, sqnrDb: 41 },
  { format: 'mxfp6-e2m3', bits: 6, blockSize: 32, bitsPerWeight: 6.25, sqnrDb: 30 },
  { format: 'mxfp4', bits: 4, blockSize: 32, bitsPerWeight: 4.25, sqnrDb: 18 },
];
const SIZES = [2e6, 4e6, 8e6, 16e6, 32e6, 64e6];
const PROBE_NORMS = [0.003, 0.01, 0.03, 0.1, 0.3];
const LOSS_NOISE = 0.003;

function gauss(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

interface Synthetic {
  samples: PtqSample[];
  /** The noiseless post-PTQ loss of each sample, by index. */
  truth: number[];
}

function synthesize(seed: number, sizes = SIZES): Synthetic {
  const random = seededRandom(seed);
  const samples: PtqSample[] = [];
  const truth: number[] = [];
  for (const params of sizes) {
    for (const ratio of [20, 80]) {
      const tokens = ratio * params;
      const trainLoss = 1.7 + 60 * params ** -0.3 + 100 * tokens ** -0.3 + 0.005 * gauss(random);
      const c = 12 * (params / 2e6) ** -0.3 * (tokens / (20 * params)) ** 0.15 * (1 + 0.05 * gauss(random));
      const probe = PROBE_NORMS.map((r) => ({ relativeNorm: r, lossIncrease: c * r * r + 0.0005 * gauss(random) }));
      for (const f of FORMATS) {
        // Larger models have more outliers: a little less SQNR in the same format.
        const sqnrDb = f.sqnrDb - 0.5 * Math.log2(params / 2e6) + 0.3 * gauss(random);
        const r = noiseNormForSqnr(sqnrDb);
        for (const method of ['rtn', 'gptq']) {
          const clean = trainLoss + c * r * r * (method === 'gptq' ? 0.5 : 1);
          truth.push(clean);
          samples.push({
            runId: `n${params}-d${tokens}`, params, tokens, trainLoss, ...f, method, sqnrDb, probe,
            loss: clean + LOSS_NOISE * gauss(random),
          });
        }
      }
    }
  }
  return { samples, truth };
}

function evaluated(result: LeaveOneSizeOutResult): Extract<SizeResult, { status: 'evaluated' }>[] {
  return result.sizes.filter((s): s is Extract<SizeResult, { status: 'evaluated' }> => s.status === 'evaluated');
}

const base = synthesize(7);
const meanDegradation = base.samples.reduce((s, x) => s + x.loss - x.trainLoss, 0) / base.samples.length;
const meanLoss = base.samples.reduce((s, x) => s + x.loss, 0) / base.samples.length;
/** Constant-degradation baseline: the pre-PTQ loss plus the average damage of any format. */
const constantDegradation = (s: PtqSample) => s.trainLoss + meanDegradation;
const FAST = { seed: 3, trees: 40 };

describe('ptq features', () => {
  it('maps SQNR to the relative noise norm of the same SQNR', () => {
    assert.equal(noiseNormForSqnr(20), 0.1);
    assert.ok(Math.abs(noiseNormForSqnr(40) - 0.01) < 1e-15);
    assert.equal(noiseNormForSqnr(0), 1);
  });

  const probe = [
    { relativeNorm: 0.1, lossIncrease: 0.1 },
    { relativeNorm: 0.01, lossIncrease: 0.001 },
    { relativeNorm: 1, lossIncrease: 2 },
  ];

  it('interpolates the probe linearly in log r, at and between probed norms', () => {
    assert.equal(interpolateProbe(probe, 0.01), 0.001);
    assert.equal(interpolateProbe(probe, 0.1), 0.1);
    assert.equal(interpolateProbe(probe, 1), 2);
    // log-midpoint of 0.01 and 0.1 -> mean of the values; a quarter of the way up the decade.
    assert.ok(Math.abs((interpolateProbe(probe, Math.sqrt(0.001)) as number) - 0.0505) < 1e-12);
    assert.ok(Math.abs((interpolateProbe(probe, 0.1 * 10 ** 0.25) as number) - (0.1 + 1.9 * 0.25)) < 1e-12);
  });

  it('scales quadratically below the probed range and holds the last value above it', () => {
    assert.ok(Math.abs((interpolateProbe(probe, 0.001) as number) - 0.001 / 100) < 1e-15);
    assert.equal(interpolateProbe(probe, 5), 2);
  });

  it('ignores unusable probe points, averages repeated norms, and is undefined without data', () => {
    const messy = [
      { relativeNorm: 0.01, lossIncrease: 0.002 },
      { relativeNorm: 0.1, lossIncrease: NaN },
      { relativeNorm: 0, lossIncrease: 5 },
      { relativeNorm: 0.01, lossIncrease: 0 },
      { relativeNorm: 0.1, lossIncrease: 0.2 },
    ];
    assert.equal(interpolateProbe(messy, 0.01), 0.001);
    assert.equal(interpolateProbe(messy, 0.1), 0.2);
    assert.equal(interpolateProbe([], 0.1), undefined);
    assert.equal(interpolateProbe([{ relativeNorm: -1, lossIncrease: 1 }], 0.1), undefined);
    assert.equal(interpolateProbe(probe, 0), undefined);
    assert.equal(interpolateProbe(probe, NaN), undefined);
  });

  it('reads flatness at the SQNR-matched norm', () => {
    assert.ok(Math.abs((flatness({ probe, sqnrDb: 30 }) as number) - 0.0505) < 1e-12);
    assert.equal(flatness({ probe, sqnrDb: 20 }), 0.1);
    assert.equal(flatness({ sqnrDb: 20 }), undefined);
  });

  it('builds the named features', () => {
    const s = base.samples.find((x) => x.format === 'int4-g32' && x.method === 'gptq') as PtqSample;
    const f = ptqFeatures(s);
    assert.equal(f.log10Params, Math.log10(s.params));
    assert.equal(f.trainLoss, s.trainLoss);
    assert.equal(f.sqnrDb, s.sqnrDb);
    assert.equal(f.bits, 4);
    assert.equal(f.log2BlockSize, 5);
    assert.equal(f.method, 1);
    assert.equal(f.flatness, flatness(s));
    const channel = ptqFeatures({ ...s, format: 'int4-channel', blockSize: 0, method: 'rtn', probe: undefined });
    assert.equal(channel.log2BlockSize, 0);
    assert.equal(channel.method, 0);
    assert.equal(channel.flatness, undefined);
  });

  it('names what makes an input unusable', () => {
    const s = base.samples[0];
    assert.equal(inputProblem(s), undefined);
    assert.match(inputProblem({ ...s, method: 'awq' }) ?? '', /unknown method "awq"/);
    assert.match(inputProblem({ ...s, method: 'constructor' }) ?? '', /unknown method/);
    assert.match(inputProblem({ ...s, params: 0 }) ?? '', /params/);
    assert.match(inputProblem({ ...s, sqnrDb: NaN }) ?? '', /sqnrDb/);
    assert.match(inputProblem({ ...s, blockSize: -32 }) ?? '', /blockSize/);
  });
});

describe('ptq predictor: training', () => {
  it('passes ml-random-forest a maxFeatures that floors to the wanted count', () => {
    for (let columns = 1; columns <= 10; columns++) {
      for (const fraction of [0.01, 0.3, 0.5, 0.7, 0.99, 1]) {
        const k = Math.min(columns, Math.max(1, Math.round(fraction * columns)));
        const option = maxFeaturesOption(columns, fraction);
        assert.ok(option > 0 && option <= 1, `${columns} ${fraction}: ${option}`);
        assert.equal(k === columns ? columns : Math.floor(columns * option), k, `${columns} columns, fraction ${fraction}`);
      }
    }
    assert.equal(maxFeaturesOption(7, 1), 1);
  });

  it('uses flatness when every run is probed, and the variant without it otherwise', () => {
    const all = trainPredictor(base.samples, { seed: 1, trees: 5 });
    assert.deepEqual(all.features, FEATURE_NAMES);
    assert.equal(all.trainedOn, base.samples.length);
    const partly = base.samples.map((s, i) => (i % 2 === 0 ? { ...s, probe: undefined } : s));
    const auto = trainPredictor(partly, { seed: 1, trees: 5 });
    assert.deepEqual(auto.features, FEATURES_WITHOUT_FLATNESS);
    assert.equal(auto.trainedOn, partly.length);
    assert.ok(Number.isFinite(auto.predict({ ...base.samples[0], probe: undefined })));
    const use = trainPredictor(partly, { seed: 1, trees: 5, flatness: 'use' });
    assert.deepEqual(use.features, FEATURE_NAMES);
    assert.equal(use.trainedOn, partly.length / 2);
    assert.equal(use.rejected.length, partly.length / 2);
    assert.match(use.rejected[0].reason, /probe/);
  });

  it('refuses to predict what it cannot, with the reason', () => {
    const predictor = trainPredictor(base.samples, { seed: 1, trees: 5 });
    const unprobed = { ...base.samples[0], probe: undefined };
    assert.match(predictor.problem(unprobed) ?? '', /flatness/);
    assert.throws(() => predictor.predict(unprobed), RangeError);
    assert.throws(() => predictor.predict({ ...base.samples[0], method: 'awq' }), /unknown method/);
    assert.equal(predictor.problem(base.samples[0]), undefined);
  });

  it('rejects unusable samples with reasons and throws when none is left', () => {
    const bad = [{ ...base.samples[0], loss: NaN }, { ...base.samples[1], method: 'awq' }];
    const p = trainPredictor([...base.samples.slice(2), ...bad], { seed: 1, trees: 5 });
    assert.equal(p.trainedOn, base.samples.length - 2);
    assert.deepEqual(p.rejected.map((r) => r.reason.split(' ')[0]).sort(), ['loss', 'unknown']);
    assert.throws(() => trainPredictor(bad, { seed: 1, trees: 5 }), /No usable PTQ sample/);
    assert.throws(() => trainPredictor(base.samples, { seed: 1.5 }), /seed/);
    assert.throws(() => trainPredictor(base.samples, { trees: 0 }), /trees/);
  });

  it('gives the same forest whatever order the samples come in', () => {
    const a = trainPredictor(base.samples, { seed: 5, trees: 10 });
    const b = trainPredictor(shuffle([...base.samples], seededRandom(99)), { seed: 5, trees: 10 });
    for (const s of base.samples.slice(0, 40)) assert.equal(a.predict(s), b.predict(s));
  });
});

describe('ptq predictor: leave one size out', () => {
  const result = leaveOneSizeOut(base.samples, FAST, constantDegradation);

  it('holds out every size and reports per-size and pooled errors on post-PTQ loss', (t) => {
    assert.ok(result.ok, result.message);
    assert.deepEqual(result.sizes.map((s) => s.params), SIZES);
    const sizes = evaluated(result);
    assert.equal(sizes.length, SIZES.length);
    for (const s of sizes) {
      assert.equal(s.n, 32);
      assert.equal(s.trainedOn, base.samples.length - 32);
    }
    assert.equal(result.predictions.length, base.samples.length);
    assert.equal(result.pooled.forest?.n, base.samples.length);
    const recomputed = errorStats(result.predictions.map((p) => p.observed), result.predictions.map((p) => p.forest));
    assert.deepEqual(result.pooled.forest, recomputed);
    for (const s of sizes) {
      t.diagnostic(`N=${s.params / 1e6}M: forest MAE ${s.forest.mae.toFixed(4)} RMSE ${s.forest.rmse.toFixed(4)} ` +
        `max ${s.forest.maxAbsError.toFixed(4)}; constant-degradation MAE ${s.baseline?.errors?.mae.toFixed(4)}`);
    }
    const f = result.pooled.forest;
    t.diagnostic(`pooled: forest MAE ${f?.mae.toFixed(4)} RMSE ${f?.rmse.toFixed(4)} max ${f?.maxAbsError.toFixed(4)}; ` +
      `constant-degradation MAE ${result.pooled.baseline?.errors?.mae.toFixed(4)} RMSE ${result.pooled.baseline?.errors?.rmse.toFixed(4)}`);
  });

  it('beats a constant baseline on every held-out size and pooled', () => {
    const pooled = result.pooled;
    assert.ok(pooled.forest && pooled.baseline?.errors);
    assert.ok(pooled.forest.mae < 0.3 * pooled.baseline.errors.mae, `${pooled.forest.mae} vs ${pooled.baseline.errors.mae}`);
    assert.ok(pooled.forest.rmse < 0.5 * pooled.baseline.errors.rmse);
    for (const s of evaluated(result)) {
      assert.ok(s.baseline?.errors && s.forest.mae < s.baseline.errors.mae, `N=${s.params}: ${s.forest.mae} vs ${s.baseline?.errors?.mae}`);
    }
    const constantLoss = leaveOneSizeOut(base.samples, { ...FAST, trees: 2 }, () => meanLoss);
    assert.ok(pooled.forest.mae < 0.1 * (constantLoss.pooled.baseline?.errors?.mae ?? 0));
  });

  it('is reproduced by its seed and changed by another seed', () => {
    const again = leaveOneSizeOut(base.samples, FAST, constantDegradation);
    assert.deepEqual(again, result);
    const other = leaveOneSizeOut(base.samples, { ...FAST, seed: 4 }, constantDegradation);
    assert.notDeepEqual(other.pooled.forest, result.pooled.forest);
    // A different seed changes the forest, not the verdict.
    assert.ok(other.pooled.forest && other.pooled.forest.mae < 0.3 * (other.pooled.baseline?.errors?.mae ?? 0));
  });

  it('predicts better from the degradation than from the loss itself (the chosen target)', (t) => {
    const direct = leaveOneSizeOut(base.samples, { ...FAST, target: 'loss' });
    t.diagnostic(`target loss: pooled MAE ${direct.pooled.forest?.mae.toFixed(4)}; target degradation: ${result.pooled.forest?.mae.toFixed(4)}`);
    assert.ok((result.pooled.forest?.mae ?? Infinity) < 0.5 * (direct.pooled.forest?.mae ?? 0));
  });

  it('gains from the flatness feature when the damage follows it', (t) => {
    const without = leaveOneSizeOut(base.samples, { ...FAST, flatness: 'omit' });
    assert.deepEqual(without.features, FEATURES_WITHOUT_FLATNESS);
    assert.deepEqual(result.features, FEATURE_NAMES);
    t.diagnostic(`without flatness: pooled MAE ${without.pooled.forest?.mae.toFixed(4)}`);
    assert.ok((result.pooled.forest?.mae ?? Infinity) < (without.pooled.forest?.mae ?? 0));
  });

  it('scores the baseline on the points it predicts and the forest on the same points', () => {
    const truthOf = new Map(base.samples.map((s, i) => [s, base.truth[i]]));
    const oracle = (s: PtqSample) => (s.method === 'gptq' ? NaN : (truthOf.get(s) as number));
    const r = leaveOneSizeOut(base.samples, { ...FAST, trees: 3 }, oracle);
    const b = r.pooled.baseline;
    assert.ok(b?.errors && b.forestOnSame && r.pooled.forest);
    assert.equal(b.unpredicted, base.samples.length / 2);
    assert.equal(b.errors.n, base.samples.length / 2);
    assert.equal(b.forestOnSame.n, base.samples.length / 2);
    // The noiseless truth is off only by the observation noise (mean |N(0, s)| = 0.8 s).
    assert.ok(Math.abs(b.errors.mae - 0.8 * LOSS_NOISE) < 0.001, `${b.errors.mae}`);
    const rtn = r.predictions.filter((p) => p.method === 'rtn');
    assert.deepEqual(b.forestOnSame, errorStats(rtn.map((p) => p.observed), rtn.map((p) => p.forest)));
    assert.ok(r.predictions.filter((p) => p.method === 'gptq').every((p) => p.baseline === null));
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });

  it('skips sizes with too few samples, with the reason', () => {
    const lonely = { ...base.samples[0], runId: 'tiny', params: 1e6 };
    const r = leaveOneSizeOut([lonely, { ...lonely, format: 'mxfp4' }, ...base.samples], { ...FAST, trees: 3 });
    const first = r.sizes[0];
    assert.equal(first.params, 1e6);
    assert.equal(first.status, 'skipped');
    assert.match(first.status === 'skipped' ? first.reason : '', /2 held-out sample\(s\), fewer than 3/);
    assert.equal(evaluated(r).length, SIZES.length);
    assert.equal(r.predictions.length, base.samples.length);

    const single = leaveOneSizeOut(synthesize(1, [8e6]).samples, { ...FAST, trees: 3 });
    assert.equal(single.ok, false);
    assert.equal(single.sizes.length, 1);
    assert.match(single.sizes[0].status === 'skipped' ? single.sizes[0].reason : '', /0 training sample/);
    assert.equal(single.pooled.forest, null);
    assert.match(single.message, /all skipped/);

    const none = leaveOneSizeOut([], FAST);
    assert.equal(none.ok, false);
    assert.deepEqual(none.sizes, []);
  });

  it('computes error statistics', () => {
    assert.deepEqual(errorStats([1, 2, 3], [1, 3, 1]), { n: 3, mae: 1, rmse: Math.sqrt(5 / 3), maxAbsError: 2 });
    assert.equal(errorStats([], []), null);
  });
});
