// The fitted domain and what a prediction says against it (LAW.md §8a): the ranges and parts a fit
// records, the factor beyond them, losses the law cannot give, parts set apart that the runs never
// set apart, tokenizers that make losses not comparable, and which constants were fitted.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, cliJson as json } from '../support/cli';
import { DEFAULT_EXTRAPOLATION_THRESHOLD, domainOfFit, extrapolation, outsideLaw, provenance, times } from '../../src/fit/domain';
import { type FitResult, fit } from '../../src/fit/fit';
import { PAPER_CONSTANTS, PAPER_DOMAIN } from '../../src/law/constants';
import { type Precision, predict } from '../../src/law/law';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import { languageOf, recogniseConfig } from '../../src/runs/configs';
import { scan } from '../../src/runs/discover';
import type { Run } from '../../src/runs/run';
import { predictConfig } from '../../src/extension/configPrediction';
import { dashboardModel } from '../../src/extension/dashboardModel';
import { hoverMarkdown, lensTitle } from '../../src/extension/hoverMarkdown';
import { syntheticRuns } from '../support/synthetic';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const FAST = { bootstrap: 0, heldOut: false, polish: 4 } as const;

/** Law-sampled runs of a byte-level trainer: sizes 30M-220M, 1.5B-26B tokens, parts quantized one at a time. */
function byteRuns(precisions: Precision[]): Run[] {
  const runs = syntheticRuns({ truth: PAPER_CONSTANTS, sizes: [30e6, 85e6, 220e6], tokens: [1.5e9, 6e9, 26e9], precisions, posts: [4, 6], noise: 0.002, seed: 3 });
  return runs.map((r) => ({ ...r, format: 'precision-planner', meta: { model: { vocabSize: 256, tokenizer: 'bytes' } } }));
}

const hp = 16;
const APART: Precision[] = [
  { w: hp, a: hp, kv: hp },
  { w: 4, a: hp, kv: hp },
  { w: 6, a: hp, kv: hp },
  { w: hp, a: 4, kv: hp },
  { w: hp, a: 6, kv: hp },
  { w: hp, a: hp, kv: 4 },
  { w: hp, a: hp, kv: 6 },
];
const TOGETHER: Precision[] = [16, 8, 6, 4].map((b) => ({ w: b, a: b, kv: b }));

describe('the fitted domain', () => {
  let apart: FitResult;
  let together: FitResult;
  before(() => {
    apart = fit(byteRuns(APART), FAST);
    together = fit(byteRuns(TOGETHER), FAST);
  });

  it('records N, D, D/N and 6ND ranges, the precisions per part, the tokenizer and the constants fitted', () => {
    const d = apart.domain;
    assert.deepEqual(d.params, { min: 30e6, max: 220e6 });
    assert.deepEqual(d.tokens, { min: 1.5e9, max: 26e9 });
    assert.deepEqual(d.compute, { min: 6 * 30e6 * 1.5e9, max: 6 * 220e6 * 26e9 });
    assert.ok(d.tokensPerParam && Math.abs(d.tokensPerParam.max - 26e9 / 30e6) < 1e-6);
    assert.deepEqual(d.parts.w.bits, [4, 6, 16]);
    for (const part of ['w', 'a', 'kv'] as const) assert.ok(d.parts[part].variedApart, `${part} varied apart`);
    assert.deepEqual(d.post, [4, 6]);
    assert.equal(d.tokenizer.vocabulary, 256);
    assert.equal(d.tokenizer.lossUnit, 'nats per byte');
    assert.ok(d.constants.fitted.includes('A') && d.constants.fitted.includes('gammaW'));
    // Parts that always move together are recorded as such.
    for (const part of ['w', 'a', 'kv'] as const) {
      assert.equal(together.domain.parts[part].variedApart, false);
      assert.equal(together.domain.parts[part].movesWith.length, 2);
    }
    // A fit written before fits recorded their domain gets one from its points.
    const { domain: _omitted, ...old } = apart;
    const rebuilt = domainOfFit(old as FitResult);
    assert.deepEqual(rebuilt.params, d.params);
    assert.deepEqual(rebuilt.parts, d.parts);
  });

  it('a query inside is inside; a known extrapolation is flagged with its factor', () => {
    const inside = extrapolation(apart.domain, { params: 85e6, tokens: 6e9, precision: { w: 16, a: 16, kv: 16 } });
    assert.equal(inside.inside, true);
    assert.deepEqual([inside.params, inside.tokens, inside.compute], [1, 1, 1]);
    assert.equal(inside.extrapolated, false);
    assert.deepEqual(inside.warnings, []);
    const far = extrapolation(apart.domain, { params: 220e6 * 13_000, tokens: 26e9 * 3 });
    assert.equal(far.inside, false);
    assert.ok(Math.abs(far.params - 13_000) < 1e-6);
    assert.ok(Math.abs(far.tokens - 3) < 1e-9);
    assert.ok(far.compute > 13_000 * 2.9);
    assert.equal(far.extrapolated, true);
    assert.match(far.summary, /^extrapolation: N ×13,000 beyond the largest run/);
    assert.ok(far.warnings.includes(far.summary));
    // Below the smallest run counts too; within the threshold it is near, not an extrapolation.
    const small = extrapolation(apart.domain, { params: 30e6 / 50, tokens: 6e9 });
    assert.ok(small.extrapolated && /N ×50 below the smallest run/.test(small.summary));
    const near = extrapolation(apart.domain, { params: 220e6 * 3, tokens: 6e9 });
    assert.ok(!near.inside && !near.extrapolated && /^near the fitted domain/.test(near.summary));
    assert.equal(extrapolation(apart.domain, { params: 220e6 * 3, tokens: 6e9 }, 2).extrapolated, true, 'the threshold is a parameter');
    assert.equal(DEFAULT_EXTRAPOLATION_THRESHOLD, 10);
    assert.deepEqual([times(13_012), times(137_000), times(2.14)], ['13,000', '140,000', '2.1']);
  });

  it('a loss above ln(vocabulary), or a degradation as large as the loss, is outside the law', () => {
    // The law at a tiny model: a loss no trained byte-level model has (ln 256 = 5.55).
    const tiny = predict(PAPER_CONSTANTS, { params: 1e3, tokens: 1e5, precision: { w: 16, a: 16, kv: 16 } });
    assert.ok(tiny.ok && tiny.loss > Math.log(256));
    const e = extrapolation(apart.domain, { params: 1e3, tokens: 1e5, loss: tiny.loss });
    assert.equal(e.outsideLaw, true);
    assert.ok(e.warnings.some((w) => /above ln 256 = 5\.55.*outside the law/.test(w)));
    assert.match(outsideLaw({ loss: 2, trainLoss: 2, deltaPTQ: 2.5, post: 3 }, 256) ?? '', /as large as the loss itself/);
    assert.equal(outsideLaw({ loss: 2.1, trainLoss: 2, deltaPTQ: 0.1, post: 4 }, 256), undefined);
  });

  it('a query that sets apart parts the runs never set apart carries a warning', () => {
    const q = { params: 85e6, tokens: 6e9, precision: { w: 32, a: 3, kv: 3 } };
    const e = extrapolation(together.domain, q);
    assert.ok(e.warnings.some((w) => /weights, activations and KV cache were never trained at different precisions/.test(w)), e.warnings.join('\n'));
    assert.ok(e.warnings.some((w) => /activations at 3 bits: below the lowest training precision/.test(w)));
    assert.ok(!extrapolation(apart.domain, q).warnings.some((w) => /never trained at different/.test(w)), 'not when the runs set them apart');
    // bf16 and fp32 are one level: they set nothing apart.
    assert.deepEqual(extrapolation(together.domain, { ...q, precision: { w: 32, a: 16, kv: 16 } }).warnings, []);
  });

  it('provenance names the constants behind a number by origin, and the project defaults', () => {
    const p = provenance(PAPER_DOMAIN, { precision: { w: 4, a: 4, kv: 4 }, post: 3 }, PAPER_CONSTANTS);
    assert.deepEqual(p.fitted, []);
    assert.ok(p.preset.includes('A') && p.preset.includes('gammaW') && p.preset.includes('CT'));
    assert.deepEqual(p.projectDefault, ['Cw', 'Ca', 'Ckv']);
    assert.ok(p.notes.some((n) => /Cw = 1, Ca = 1, Ckv = 1: a project default, neither fitted nor the paper's/.test(n)));
    // A Chinchilla-only fit takes its precision sensitivities from the preset, and says why.
    const chinchilla = fit(byteRuns([{ w: hp, a: hp, kv: hp }]), FAST);
    const q = provenance(chinchilla.domain, { precision: { w: 4, a: 4, kv: 4 } });
    assert.ok(q.fitted.includes('A') && q.preset.includes('gammaW'));
    assert.ok(q.notes.some((n) => /^precision sensitivities: paper preset — needs training runs below 16 bits/.test(n)), q.notes.join('\n'));
    assert.ok(q.notes.some((n) => /^loss level: fitted/.test(n)));
  });
});

describe('the CLI says where an answer stands', () => {
  let dir: string;
  let fitFile: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pp-domain-'));
    fitFile = path.join(dir, 'fit.json');
    writeFileSync(fitFile, JSON.stringify(fit(byteRuns(TOGETHER), FAST)));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('predict --json: extrapolation and provenance; the table says it in words', async () => {
    const r = await json('predict', '--params', String(220e6 * 13_000), '--tokens', '26e9', '--fit', fitFile);
    assert.equal(r.extrapolation.inside, false);
    assert.ok(Math.abs(r.extrapolation.params - 13_000) < 1e-6);
    assert.equal(r.extrapolation.tokens, 1);
    assert.ok(r.extrapolation.compute > 1);
    assert.ok(r.extrapolation.warnings.some((w: string) => /^extrapolation: N ×13,000/.test(w)));
    assert.ok(r.provenance.fitted.includes('A'));
    assert.ok(Array.isArray(r.provenance.preset));
    const inside = await json('predict', '--params', '85M', '--tokens', '6B', '--fit', fitFile);
    assert.equal(inside.extrapolation.inside, true);
    const text = await cli('predict', '--params', String(220e6 * 13_000), '--tokens', '26e9', '--fit', fitFile);
    assert.match(text.out, /Predicted loss .* an extrapolation/);
    assert.match(text.out, /domain +extrapolation: N ×13,000 beyond the largest run/);
    // Parts set apart that the runs never set apart.
    const split = await json('predict', '--params', '85M', '--tokens', '6B', '--weights', '32', '--activations', '3', '--kv', '3', '--fit', fitFile);
    assert.ok(split.extrapolation.warnings.some((w: string) => /never trained at different precisions/.test(w)));
  });

  it('--extrapolation-threshold moves the line between near and extrapolated', async () => {
    const at = (t: string) => json('predict', '--params', String(220e6 * 30), '--tokens', '6B', '--fit', fitFile, '--extrapolation-threshold', t);
    assert.equal((await at('10')).extrapolation.extrapolated, true);
    assert.equal((await at('100')).extrapolation.extrapolated, false);
    assert.equal((await cli('predict', '--params', '1B', '--tokens', '1B', '--extrapolation-threshold', '0.5')).code, 2);
  });

  it('a loss above ln(vocabulary) is not printed as a prediction', async () => {
    const r = await json('predict', '--params', '1e3', '--tokens', '1e5', '--fit', fitFile);
    assert.equal(r.loss, null);
    assert.match(r.outsideLaw, /above ln 256/);
    assert.equal(r.extrapolation.outsideLaw, true);
    const text = await cli('predict', '--params', '1e3', '--tokens', '1e5', '--fit', fitFile);
    assert.match(text.out, /^No prediction +a loss of .* outside the law/);
    assert.doesNotMatch(text.out, /Predicted loss/);
  });

  it('recommend and dcrit --json carry extrapolation and provenance; the table says how far the plan goes', async () => {
    const r = await json('recommend', '--compute', '1e24', '--fit', fitFile);
    assert.equal(r.extrapolation.inside, false);
    assert.ok(r.extrapolation.params > 10 && r.extrapolation.extrapolated);
    assert.ok(r.provenance.fitted.includes('A'));
    const text = await cli('recommend', '--compute', '1e24', '--fit', fitFile);
    assert.match(text.out, /domain +extrapolation: N ×[\d,.]+ beyond the largest run/);
    const d = await json('dcrit', '--params', '85M', '--post', '4', '--fit', fitFile);
    for (const key of ['inside', 'params', 'tokens', 'compute', 'warnings']) assert.ok(key in d.extrapolation, key);
    assert.ok(d.provenance.fitted.includes('CT') || d.provenance.preset.includes('CT'));
  });

  it('with --preset paper the domain is the paper\'s', async () => {
    const inside = await json('predict', '--params', '100M', '--tokens', '3B', '--preset', 'paper');
    assert.equal(inside.extrapolation.inside, true);
    const far = await json('predict', '--params', String(220e6 * 100), '--tokens', '3B', '--preset', 'paper');
    assert.ok(Math.abs(far.extrapolation.params - 100) < 1e-9);
    assert.deepEqual(far.provenance.fitted, []);
    assert.ok(far.provenance.preset.includes('A'));
    // 2GB: the plan quantizes after training (8-bit training, served in 6 bits), so it depends on C_x.
    // (At 4GB it trains and serves in 8 bits, with no PTQ and no C_x.)
    const inference = await json('recommend', '--compute', '1e21', '--scenario', 'inference', '--memory', '2GB');
    assert.deepEqual(inference.provenance.projectDefault, ['Cw', 'Ca', 'Ckv']);
    assert.ok(inference.provenance.notes.some((n: string) => /project default/.test(n)));
    // ... and shows how the plan moves when they are halved and doubled.
    assert.deepEqual(inference.provenance.sensitivity.map((s: { set: Record<string, number> }) => s.set.Cw), [0.5, 2]);
    for (const s of inference.provenance.sensitivity) assert.ok(s.params > 0 && s.loss > 0);
    const text = await cli('recommend', '--compute', '1e21', '--scenario', 'inference', '--memory', '2GB');
    assert.match(text.out, /^if Cw = 0\.5, Ca = 0\.5, Ckv = 0\.5: N [\d.]+[KMB], D .* loss \d/m);
    assert.equal((await json('recommend', '--compute', '1e21')).provenance.sensitivity, undefined, 'the joint plan does not depend on them');
  });

  it('fit --json carries the domain', async () => {
    const r = await json('fit', path.join(EXAMPLES, 'runs'), '--bootstrap', '0', '--no-held-out');
    assert.equal(r.domain.tokenizer.vocabulary, 256);
    assert.equal(r.domain.tokenizer.lossUnit, 'nats per byte');
    assert.equal(r.domain.parts.w.variedApart, true, 'the example runs train the weights alone at 3, 4 and 6 bits');
    assert.ok(r.domain.params.max < 1e6);
  });
});

describe('the hover, the CodeLens and the plan panel say where they stand', () => {
  let example: FitResult;
  let runs: Run[];
  before(async () => {
    runs = (await scan([path.join(EXAMPLES, 'runs')])).runs;
    example = fit(runs, FAST);
  });

  const config = (name: string) => {
    const file = path.join(EXAMPLES, 'configs', name);
    const c = recogniseConfig(readFileSync(file, 'utf8'), languageOf(file) ?? 'yaml', DEFAULT_ALIASES);
    c.inference ??= { value: { bits: 4, type: 'int' }, lines: [], how: 'setting' };
    return c;
  };

  it('a known extrapolation of a law-sampled fit is at the top of the hover and in the CodeLens', () => {
    const sampled = fit(byteRuns(APART), FAST);
    const c = recogniseConfig(`n_params: ${220e6 * 1000}\ntokens: 26e9\nprecision: bf16\n`, 'yaml', DEFAULT_ALIASES);
    const r = predictConfig(c, { constants: sampled.constants, fit: sampled, domain: sampled.domain });
    assert.ok(r.ok);
    assert.ok(Math.abs(r.prediction.extrapolation.params - 1000) < 1e-6);
    const md = hoverMarkdown(r.prediction, 'workspace fit');
    assert.match(md, /\*\*Extrapolation\*\* — N ×1,000 beyond the largest run/);
    assert.ok(md.indexOf('**Extrapolation**') < md.indexOf('_Constants:'), 'near the top');
    assert.match(lensTitle(r.prediction), /extrapolated \(N ×1,000\)/);
    const near = predictConfig(recogniseConfig('n_params: 85e6\ntokens: 6e9\n', 'yaml', DEFAULT_ALIASES), { constants: sampled.constants, domain: sampled.domain });
    assert.ok(near.ok && /inside the fitted domain/.test(lensTitle(near.prediction)));
  });

  it('llama_85m.yaml (32K vocabulary) against the byte-level example runs: extrapolated and not comparable', () => {
    const r = predictConfig(config('llama_85m.yaml'), { constants: example.constants, fit: example, domain: example.domain });
    assert.ok(r.ok);
    const p = r.prediction;
    assert.equal(p.extrapolation.comparable, false);
    assert.ok(p.extrapolation.extrapolated && p.extrapolation.params > 100);
    const md = hoverMarkdown(p, 'workspace fit');
    assert.match(md, /⚠ \*\*Not comparable\*\* — this config's tokenizer \(vocabulary 32K\) differs from the 26 runs of the fit \(byte-level, vocabulary 256; loss in nats per byte\)/);
    assert.ok(md.indexOf('Not comparable') < md.indexOf('after PTQ to'), 'near the top');
    assert.match(lensTitle(p), /extrapolated \(N ×\d+, D ×[\d,]+\) · not comparable \(tokenizer\)/);
    // No PTQ loss above ln 256 is shown as a number.
    for (const q of p.ptq) if (q.loss !== undefined) assert.ok(q.loss <= Math.log(256), `${q.bits} bits: ${q.loss}`);
    assert.ok(p.provenance.notes.some((n) => /^loss level: fitted/.test(n)));
    // Against the paper preset (BPE, ~50K) the same config is comparable.
    const paper = predictConfig(config('llama_85m.yaml'), { constants: PAPER_CONSTANTS });
    assert.ok(paper.ok && paper.prediction.extrapolation.comparable);
  });

  it('the dashboard plan panel says how far a 1e21 plan extrapolates', () => {
    const inputs = { params: 1e5, tokens: 3e5, post: 4, compute: 1e21, scenario: 'joint' as const, planPrecision: 8, planParams: 1e9, planMemoryGB: 4 };
    const model = dashboardModel({ constants: example.constants, constantsLabel: 'workspace fit', fit: example, runs, inputs, costModel: 'bits-linear' });
    const e = model.plan.extrapolation;
    assert.ok(e && e.extrapolated && e.params > 1000);
    assert.match(e.summary, /^extrapolation: N ×[\d,]+ beyond the largest run/);
    assert.ok((model.plan.provenance ?? []).some((n) => /^loss level: fitted/.test(n)));
    const paper = dashboardModel({ constants: PAPER_CONSTANTS, constantsLabel: 'paper', runs, inputs: { ...inputs, compute: 1e19 }, costModel: 'bits-linear' });
    assert.ok(paper.plan.extrapolation && paper.plan.extrapolation.params < 10, 'the paper preset is measured against the paper\'s runs');
  });
});
