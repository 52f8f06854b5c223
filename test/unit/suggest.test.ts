import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { PAPER_CONSTANTS } from '../../src/law/constants';
import type { Precision } from '../../src/law/law';
import { type FitResult, fit } from '../../src/fit/fit';
import { type FitPoint, pointsFromRuns } from '../../src/fit/points';
import { type CandidateRun, candidateRuns, fewestTokensPerParam, repeatedDataNote, trainerPrecision } from '../../src/sweep/candidates';
import { type SuggestResult, type SuggestTarget, suggestRuns } from '../../src/sweep/suggest';
import { gridArgs, suggestionGrid, sweepCommandLine } from '../../src/sweep/suggestionGrid';
import { expandGrid } from '../../src/train/grid';
import { cli } from '../support/cli';
import { syntheticRuns } from '../support/synthetic';

const out = mkdtempSync(path.join(os.tmpdir(), 'suggest-'));
after(() => rmSync(out, { recursive: true, force: true }));

// A law at the level of the built-in trainer's small models (about the example workspace's fit),
// the paper's precision and PTQ constants: the runs are drawn from it, so what is informative is
// known by construction.
const TRUTH = { ...PAPER_CONSTANTS, A: 34, alpha: 0.43, B: 283, beta: 0.43, E: 1.03 };
const HIGH: Precision = { w: 16, a: 16, kv: 16 };
// N of the trainer's 2x32 and 2x64, three budgets each, all at 16 bits, no PTQ: a fit of the loss level only.
const runs = syntheticRuns({ truth: TRUTH, sizes: [24_704, 98_624], tokens: [600e3, 1.2e6, 2.4e6], precisions: [HIGH], posts: [], noise: 0.004, seed: 5 });
const fitted: FitResult = fit(runs, { bootstrap: 20, heldOut: false, variant: 'default' });
const { points } = pointsFromRuns(runs);

const candidatesFor = (target: SuggestTarget): CandidateRun[] => candidateRuns(points, target, { outDir: out, calibrations: [], calibrationSource: 'nowhere' });

function suggest(target: SuggestTarget, candidates: readonly CandidateRun[], budgetHours: number, o: { runs?: number; simulations?: number; seed?: number } = {}): SuggestResult {
  return suggestRuns({ fit: fitted, fitLabel: 'the test fit', points: points as FitPoint[], target, candidates, budgetHours, runs: o.runs ?? 1, simulations: o.simulations ?? 6, seed: o.seed ?? 1 });
}

const width = (i: [number, number] | null): number => (i ? i[1] - i[0] : NaN);

describe('the candidates', () => {
  const target: SuggestTarget = { label: 'far', params: 2.6e6, tokens: 2.4e6, precision: { w: 5, a: 5, kv: 5 } };
  const candidates = candidatesFor(target);

  test('sizes of the ladder from the runs up to the target, at full precision and at the target\'s, none a run the fit has', () => {
    // 6x192 (2.66M) would need 16M tokens for the runs' fewest D/N (6.1): longer than any budget offered (9.6M).
    assert.deepEqual([...new Set(candidates.map((c) => c.size))], ['2x32', '2x64', '3x96', '4x128']);
    assert.deepEqual([...new Set(candidates.map((c) => c.precision))].sort(), ['fp32', 'w5a5kv5']);
    assert.ok(!candidates.some((c) => c.size === '2x64' && c.tokens === 2.4e6 && c.precision === 'fp32'), 'the fit has that run');
    for (const c of candidates) {
      assert.ok(c.cost.cpuHours > 0 && c.cost.source === 'built-in', JSON.stringify(c.cost));
      assert.equal(c.run.params, c.params);
    }
  });

  test('no budget beyond one pass of the training text, where the runs say how long that is (the law assumes data seen once)', () => {
    const all = [...new Set(candidates.map((c) => c.tokens))].sort((a, b) => a - b);
    assert.ok(all.some((d) => d > 2.4e6), `budgets ${all.join(', ')}`);
    const once = candidateRuns(points, target, { outDir: out, calibrations: [], calibrationSource: 'nowhere', tokensPerPass: 2.4e6 });
    assert.deepEqual([...new Set(once.map((c) => c.tokens))].sort((a, b) => a - b), all.filter((d) => d <= 2.4e6));
    assert.match(repeatedDataNote(5_662_720), /above one pass of the training text \(5\.66M tokens/);
  });

  test("no candidate on fewer tokens per parameter than the fit's runs: the runs say nothing of the law there", () => {
    const floor = fewestTokensPerParam(points);
    assert.ok(Math.abs(floor - 600e3 / 98_624) < 1e-9, `${floor}`);
    assert.ok(candidates.length > 0);
    for (const c of candidates) assert.ok(c.tokens / c.params >= floor * 0.999, `${c.name}: D/N ${c.tokens / c.params}`);
    // 4x128 only at the budgets long enough for it (4.8M and 9.6M for its 790K parameters).
    assert.deepEqual([...new Set(candidates.filter((c) => c.size === '4x128').map((c) => c.tokens))].sort((a, b) => a - b), [4.8e6, 9.6e6]);
  });

  test("the trainer's spec for a precision: integer parts, 16 bits and above unquantized, none for what it cannot train", () => {
    assert.equal(trainerPrecision({ w: 16, a: 16, kv: 16 }), 'fp32');
    assert.equal(trainerPrecision({ w: 4, a: 8, kv: 32 }), 'w4a8kv32');
    assert.equal(trainerPrecision({ w: 1, a: 16, kv: 16 }), undefined);
    assert.equal(trainerPrecision({ w: 4.5, a: 16, kv: 16 }), undefined);
  });
});

describe('the runs that narrow the interval most, known by construction', () => {
  test("runs at two small sizes, a target 27x larger in N at their largest budget: of runs at that budget, the largest size the budget affords, and a narrower interval", () => {
    const target: SuggestTarget = { label: 'large', params: 2.6e6, tokens: 2.4e6, precision: HIGH };
    // At the target's budget only, a run tells about N alone (a longer run would tell about D,
    // and through the tied exponents about N too: not known by construction which is worth more).
    const candidates = candidatesFor(target).filter((c) => c.tokens === target.tokens);
    // The budget stops short of the target's own size: the largest size it affords is known.
    const budget = 0.9 * Math.min(...candidates.filter((c) => c.size === '6x192').map((c) => c.cost.cpuHours));
    const largest = Math.max(...candidates.filter((c) => c.cost.cpuHours <= budget).map((c) => c.params));
    const r = suggest(target, candidates, budget);
    assert.equal(r.status, 'suggested', r.message);
    assert.equal(r.basis, 'bootstrap-scaled', 'at 16 bits like the runs, no held constant matters');
    assert.equal(r.runs[0].params, largest, `${r.runs[0].name} of ${candidates.filter((c) => c.cost.cpuHours <= budget).map((c) => c.name).join(', ')}`);
    assert.ok(width(r.intervalExpected) < width(r.intervalNow), `${r.intervalExpected} against ${r.intervalNow}`);
    assert.ok(r.narrowing && r.narrowing.fraction > 0 && r.narrowing.nats > 0);
    assert.deepEqual(r.intervalNow, r.fitInterval.prediction, "the interval now is the fit's own");
    assert.ok(r.budget.spent <= budget);
  });

  test('a target trained at 5 bits, no run below 16: 5-bit runs, the held precision constants drawn', () => {
    const target: SuggestTarget = { label: 'low', params: 98_624, tokens: 2.4e6, precision: { w: 5, a: 5, kv: 5 } };
    // Two runs: the precision stage fits nothing from one run trained low (it needs a run more than its constants).
    const r = suggest(target, candidatesFor(target), 1, { runs: 2 });
    assert.equal(r.status, 'suggested', r.message);
    assert.ok(r.runs.some((s) => s.precision === 'w5a5kv5'), r.runs.map((s) => s.name).join(', '));
    assert.equal(r.basis, 'simulated', "the fit's interval counts nothing for the precision constants it holds");
    assert.ok(r.measure.heldDrawn.includes('gammaW') && r.measure.heldDrawn.includes('nA'), r.measure.heldDrawn.join(', '));
    assert.ok(r.notes.some((n) => /counts no uncertainty for them/.test(n)), r.notes.join('\n'));
    assert.ok(width(r.intervalExpected) < width(r.intervalNow));
  });

  test('a budget smaller than any candidate: over-budget, and the cheapest named', () => {
    const target: SuggestTarget = { label: 'large', params: 2.6e6, tokens: 2.4e6, precision: HIGH };
    const r = suggest(target, candidatesFor(target), 1e-5);
    assert.equal(r.status, 'over-budget');
    assert.equal(r.success, false);
    assert.deepEqual(r.runs, []);
    assert.match(r.message, /no candidate fits in 0\.00001 CPU-hours: the cheapest takes/);
    assert.ok(r.intervalNow !== null, 'the interval now is given all the same');
  });

  test('the same seed, the same suggestion; the result says what the measure was', () => {
    const target: SuggestTarget = { label: 'mid', params: 786e3, tokens: 1.2e6, precision: HIGH };
    const candidates = candidatesFor(target).filter((c) => c.size === '3x96' || c.size === '4x128');
    const a = suggest(target, candidates, 2, { simulations: 4, seed: 7 });
    assert.deepEqual(suggest(target, candidates, 2, { simulations: 4, seed: 7 }), a);
    assert.equal(a.measure.simulations, 4);
    assert.match(a.measure.description, /same draws for every set of runs compared/);
  });
});

describe('a suggestion as a sweep', () => {
  const suggested = [
    { size: '4x128', tokens: 2.4e6, precision: 'fp32' },
    { size: '2x64', tokens: 9.6e6, precision: 'w5a5kv5' },
    { size: '4x128', tokens: 600e3, precision: 'fp32' },
  ];
  const grid = suggestionGrid(suggested, out);

  test('the grid trains exactly the suggested runs', () => {
    const jobs = expandGrid(grid);
    assert.deepEqual(jobs.map((j) => `${j.model.depth}x${j.model.width}|${j.tokens}|${j.precision}`).sort(), suggested.map((s) => `${s.size}|${s.tokens}|${s.precision}`).sort());
    assert.match(sweepCommandLine(grid), /^precision-planner sweep --sizes 4x128 --tokens 2\.4M,600k --precisions fp32 --also 'sizes=2x64 tokens=9\.6M precisions=w5a5kv5' --out /);
  });

  test('the sweep command, read back by the CLI, lists those runs and no other', async () => {
    const r = await cli('sweep', ...gridArgs(grid), '--dry-run');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^3 run\(s\) in /);
    for (const name of ['L4W128-D2.4M-fp32', 'L4W128-D600k-fp32', 'L2W64-D9.6M-w5a5kv5']) assert.match(r.out, new RegExp(`\\] ${name} `));
  });
});

describe('precision-planner suggest', () => {
  const examples = path.join(__dirname, '..', '..', 'examples');

  test('--json on the example workspace: the contract\'s runs and intervals, a status, the sweep to launch', async () => {
    const r = await cli('suggest', examples, '--compute', '1e15', '--simulations', '3', '--runs', '1', '--bootstrap', '10', '--out', out, '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.schema, 'precision-planner/suggest@1');
    assert.ok(['suggested', 'nothing-helps'].includes(j.status), j.message);
    const isInterval = (i: unknown): boolean => Array.isArray(i) && i.length === 2 && i.every((x) => typeof x === 'number') && (i as number[])[0] < (i as number[])[1];
    assert.ok(isInterval(j.intervalNow), JSON.stringify(j.intervalNow));
    assert.equal(j.target.label, 'the plan at 1.00e+15 FLOPs');
    if (j.status === 'suggested') {
      assert.ok(isInterval(j.intervalExpected));
      assert.equal(j.runs.length, 1);
      const [run] = j.runs;
      for (const key of ['params', 'tokens', 'cost']) assert.equal(typeof run[key], 'number', key);
      assert.equal(typeof run.precision, 'string');
      assert.match(run.costSource, /^(measured|built-in)$/);
      assert.match(j.sweep.command, /^precision-planner sweep --sizes \d+x\d+ --tokens \S+ --precisions \S+ --out /);
      assert.deepEqual(j.sweep.grid.sizes, [run.size]);
    }
  });

  test('usage errors: exit 2, naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['examples'], /--compute C .* or --config FILE/],
      [['examples', '--compute', '1e15', '--config', 'x.yaml'], /--compute C .* or --config FILE/],
      [['examples', '--compute', 'lots'], /--compute: "lots"/],
      [['examples', '--compute', '1e15', '--budget', '0'], /--budget: "0"/],
      [['examples', '--compute', '1e15', '--runs', '0'], /--runs/],
      [['examples', '--compute', '1e15', '--simulations', '2'], /--simulations/],
      [['examples', '--config', 'notes.txt'], /--config: "notes\.txt"/],
      [['--compute', '1e15'], /PATH/],
    ];
    for (const [argv, pattern] of cases) {
      const r = await cli('suggest', ...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, pattern);
    }
  });
});
