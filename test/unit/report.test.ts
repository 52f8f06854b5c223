import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONSTANT_NAMES, type ConstantName, PAPER_CONSTANTS } from '../../src/law/constants';
import { fit } from '../../src/fit/fit';
import { type ConstantOrigin, NEUTRAL_OFFSET, NEUTRAL_ROBUSTNESS, heldOff } from '../../src/fit/stages';
import { reportMarkdown } from '../../src/extension/report';
import { dashboardModel, defaultInputs } from '../../src/extension/dashboardModel';
import { syntheticRuns } from '../support/synthetic';

const origins = (set: Partial<Record<ConstantName, ConstantOrigin>>): Record<ConstantName, ConstantOrigin> =>
  Object.fromEntries(CONSTANT_NAMES.map((n) => [n, set[n] ?? 'fitted'])) as Record<ConstantName, ConstantOrigin>;

describe('constants held off', () => {
  it('a neutral part reads "off", whichever of its constants is asked; the carrier and the rest keep their numbers', () => {
    const all = { constants: { ...PAPER_CONSTANTS, nA: NEUTRAL_OFFSET, nKV: NEUTRAL_OFFSET }, origin: origins({ gammaA: 'neutral', nA: 'neutral', gammaKV: 'neutral', nKV: 'neutral' }) };
    for (const n of ['gammaA', 'nA', 'gammaKV', 'nKV'] as const) assert.equal(heldOff(all, n), 'off — one factor carries all three parts', n);
    for (const n of ['gammaW', 'nW', 'Ca', 'Ckv', 'E', 'CT'] as const) assert.equal(heldOff(all, n), undefined, n);

    const one = { constants: { ...PAPER_CONSTANTS, Ckv: NEUTRAL_ROBUSTNESS }, origin: origins({ Ckv: 'neutral' }) };
    assert.equal(heldOff(one, 'Ckv'), "off — another part's factor carries this part");
    assert.equal(heldOff(one, 'nKV'), undefined, 'the precision factor of a part is not held off by its robustness constant');
    assert.equal(heldOff(one, 'Ca'), undefined);
  });

  it("offsets fixed at zero by option are numbers; a fit saved before 'neutral' existed (fixed at -50 / 50) reads off", () => {
    const zero = { constants: { ...PAPER_CONSTANTS, nW: 0, nA: 0, nKV: 0 }, origin: origins({ nW: 'fixed', nA: 'fixed', nKV: 'fixed' }) };
    for (const n of ['nW', 'nA', 'nKV', 'gammaA'] as const) assert.equal(heldOff(zero, n), undefined, n);
    const old = { constants: { ...PAPER_CONSTANTS, nA: NEUTRAL_OFFSET, Ca: NEUTRAL_ROBUSTNESS }, origin: origins({ nA: 'fixed', gammaA: 'preset', Ca: 'fixed' }) };
    assert.ok(heldOff(old, 'nA')?.startsWith('off'));
    assert.ok(heldOff(old, 'gammaA')?.startsWith('off'));
    assert.ok(heldOff(old, 'Ca')?.startsWith('off'));
  });
});

describe('fit report and dashboard: constants held off', () => {
  // Every run trains weights, activations and KV cache at one precision: the weights' factors
  // carry all three, the activations' and KV cache's constants are held off.
  const truth = { ...PAPER_CONSTANTS, Cw: 1.5 };
  const precisions = [16, 8, 6, 4].map((b) => ({ w: b, a: b, kv: b }));
  const runs = syntheticRuns({ truth, sizes: [30e6, 60e6, 120e6], tokens: [1e9, 3e9, 9e9], precisions, posts: [3, 4, 6], noise: 0.002, seed: 3 });
  // A preset that is not the truth, as in a real workspace: a fit worse than its preset is not used.
  const result = fit(runs, { bootstrap: 0, heldOut: false, preset: { ...PAPER_CONSTANTS, A: PAPER_CONSTANTS.A * 2, E: PAPER_CONSTANTS.E * 1.1 } });

  it("the stages mark the shadowed parts' constants neutral", () => {
    assert.ok(result.ok, result.message);
    for (const n of ['gammaA', 'nA', 'gammaKV', 'nKV', 'Ca', 'Ckv'] as const) assert.equal(result.origin[n], 'neutral', n);
    assert.equal(result.constants.nA, NEUTRAL_OFFSET);
    assert.equal(result.constants.Ca, NEUTRAL_ROBUSTNESS);
    assert.equal(result.origin.gammaW, 'fitted');
  });

  it('reportMarkdown writes "off" instead of -50 and 50, and keeps the fitted ones as numbers', () => {
    const md = reportMarkdown(result, runs, 'workspace fit');
    const rowOf = (n: string) => md.split('\n').find((l) => l.startsWith(`| ${n} |`)) ?? '';
    for (const n of ['nA', 'gammaKV', 'Ca', 'Ckv']) {
      assert.match(rowOf(n), new RegExp(`^\\| ${n} \\| off — one factor carries all three parts \\| — \\|`), n);
    }
    assert.doesNotMatch(md, /-50\.00|\| 50\.00 /);
    assert.match(rowOf('gammaW'), /^\| gammaW \| \d+\.\d+ \|/);
  });

  it('the dashboard constants table carries the same words', () => {
    const model = dashboardModel({ constants: result.constants, constantsLabel: 'workspace fit', fit: result, runs, inputs: defaultInputs(runs, 4), costModel: 'bits-linear' });
    const rows = new Map(model.fit?.constants.map((c) => [c.name, c]));
    assert.equal(rows.get('nA')?.heldOff, 'off — one factor carries all three parts');
    assert.equal(rows.get('Ckv')?.heldOff, 'off — one factor carries all three parts');
    assert.equal(rows.get('nA')?.low, undefined);
    assert.equal(rows.get('gammaW')?.heldOff, undefined);
  });
});

describe('the fit report on incomplete runs', () => {
  it('says what the runs lack, a line per field, not per run', () => {
    const base = { format: 'sweep-table', file: '/ws/t.csv', ptq: [], sources: {}, params: 1e6, tokens: 2e7, finalLoss: 3 };
    const runs = Array.from({ length: 40 }, (_, i) => ({ ...base, id: `t.csv#${i + 2}`, name: `row ${i + 2}`, missing: ['precision' as const] }));
    const md = reportMarkdown(undefined, runs, 'paper');
    assert.match(md, /Runs found: 40 \(0 complete\)\./);
    assert.match(md, /^- 40 lack a training precision \(set precisionPlanner\.runs\.defaultPrecision, or add a precision column\)$/m);
    assert.equal((md.match(/^- /gm) ?? []).length, 1);
  });
});
