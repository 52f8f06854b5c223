import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { PAPER_CONSTANTS } from '../../src/law/constants';
import { criticalTokens } from '../../src/law/dcrit';
import { precisionFactor, predict } from '../../src/law/law';
import { fit, type FitResult } from '../../src/fit/fit';
import { scan } from '../../src/runs/discover';
import type { Run } from '../../src/runs/run';
import { validateMessage } from '../../src/extension/dashboardMessages';
import { DCRIT_RANGE_EXTENSION, dashboardModel, defaultInputs } from '../../src/extension/dashboardModel';
import type { DashboardModel } from '../../webview/protocol';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');

describe('dashboard view model', () => {
  let runs: Run[];
  let result: FitResult;
  let model: DashboardModel;
  before(async () => {
    runs = (await scan([EXAMPLES])).runs;
    // The default variant pinned: these tests draw every stage, the joint refinement included.
    result = fit(runs, { bootstrap: 10, variant: 'default' });
    model = dashboardModel({ constants: result.constants, constantsLabel: 'workspace fit', fit: result, runs, inputs: defaultInputs(runs, 4), costModel: 'bits-linear' });
  });

  it('defaults to the median run size and tokens', () => {
    // Most example runs are the smallest size at 2.4M bytes (each part alone, the seeds).
    assert.equal(model.inputs.params, 24_736);
    assert.equal(model.inputs.tokens, 2_400_256);
    assert.equal(model.inputs.post, 4);
  });

  it('fit: one point per fitted point, held-out predictions for the largest size, constants beside the paper', () => {
    const f = model.fit;
    assert.ok(f);
    assert.equal(f.points.length, result.points.length);
    const held = f.points.filter((p) => p.heldOut !== undefined);
    assert.ok(held.length > 0 && held.every((p) => p.label.startsWith('runs/L3W96')));
    assert.ok(f.points.every((p) => p.file?.endsWith('run.json')));
    const alpha = f.constants.find((c) => c.name === 'alpha');
    assert.equal(alpha?.paper, PAPER_CONSTANTS.alpha);
    assert.ok(alpha && alpha.low !== undefined && alpha.high !== undefined && alpha.low <= alpha.value && alpha.value <= alpha.high);
    assert.deepEqual(f.stages.map((s) => s.status), ['fitted', 'fitted', 'fitted', 'fitted']);
  });

  it('precision: the factor curves are the law, and loss at the chosen N and D falls with bits', () => {
    const w = model.precision.factors.find((f) => f.part === 'weights');
    const at8 = w?.points.find((p) => p.x === 8);
    assert.equal(at8?.y, precisionFactor(result.constants, 'w', 8));
    const loss = model.precision.loss;
    const p16 = predict(result.constants, { params: 24_736, tokens: 2_400_256, precision: { w: 16, a: 16, kv: 16 } });
    assert.ok(p16.ok);
    assert.equal(loss.find((x) => x.x === 16)?.y, p16.loss);
    assert.ok((loss.find((x) => x.x === 4)?.y ?? 0) > p16.loss);
    assert.ok(model.precision.runs.length > 0 && model.precision.runs.every((r) => r.file));
  });

  it('PTQ: a line per model size with its D_crit, and the measured runs at the chosen bits', () => {
    assert.deepEqual(model.ptq.sizes.map((s) => s.params), [24_736, 98_624, 332_448]);
    const s = model.ptq.sizes[0];
    const d = criticalTokens(result.constants, 24_736, { w: 16, a: 16, kv: 16 }, 4);
    assert.ok(d.ok);
    assert.equal(s.dcrit?.x, d.tokens);
    // Every run with fp32 weights (26 less the four weight-alone runs), each evaluated at 4 bits
    // (integer, per channel).
    assert.equal(model.ptq.runs.length, 22);
  });

  it('PTQ: each D_crit marker lies on its curve, the token range widened (within bounds) to reach it', () => {
    // At 6 bits the fit's D_crit lies past 30x the largest run's tokens, where the curves used to end.
    const at6 = dashboardModel({ constants: result.constants, constantsLabel: '', fit: result, runs, inputs: { ...model.inputs, post: 6 }, costModel: 'bits-linear' });
    const largest = Math.max(...runs.map((r) => r.tokens ?? 0));
    const sizes = at6.ptq.sizes.filter((s) => s.dcrit);
    assert.ok(sizes.length > 0 && sizes.some((s) => (s.dcrit?.x ?? 0) > largest * 30));
    for (const s of sizes) {
      const d = s.dcrit as { x: number; y: number };
      assert.ok(s.points[0].x <= d.x && d.x <= (s.points.at(-1)?.x ?? 0), `D_crit ${d.x} inside ${s.points[0].x} – ${s.points.at(-1)?.x}`);
      assert.ok(s.points.some((p) => p.x === d.x && p.y === d.y), 'the marker is a point of the curve');
      assert.ok(s.points.every((p, i) => i === 0 || p.x >= s.points[i - 1].x), 'ordered by tokens');
      assert.equal(s.dcritBeyond, undefined);
    }
  });

  it('PTQ: a D_crit beyond the bounded range is not marked; the model says where it is', () => {
    // At 10 bits D_crit is thousands of times the runs' tokens: no marker off the end of the curve.
    const at10 = dashboardModel({ constants: result.constants, constantsLabel: '', fit: result, runs, inputs: { ...model.inputs, post: 10 }, costModel: 'bits-linear' });
    const largest = Math.max(...runs.map((r) => r.tokens ?? 0));
    for (const s of at10.ptq.sizes) {
      const d = criticalTokens(result.constants, s.params, { w: 16, a: 16, kv: 16 }, 10);
      assert.ok(d.ok);
      const end = s.points.at(-1)?.x ?? 0;
      assert.ok(end <= largest * 30 * DCRIT_RANGE_EXTENSION * (1 + 1e-9), 'the range stays bounded');
      if (d.tokens > end) {
        assert.equal(s.dcrit, undefined);
        assert.equal(s.dcritBeyond, d.tokens);
      } else {
        assert.equal(s.dcrit?.x, d.tokens);
      }
    }
    assert.ok(at10.ptq.sizes.some((s) => s.dcritBeyond !== undefined));
  });

  it('quantized checkpoints: every run in every format, and a frontier ordered by memory with falling loss', () => {
    const q = model.quantized;
    // 26 runs x (5 integer widths + 7 formats + 2 GPTQ widths).
    assert.equal(q.checkpoints.length, 26 * 14);
    assert.ok(q.frontier.length > 1);
    for (let i = 1; i < q.frontier.length; i++) {
      assert.ok(q.frontier[i].x > q.frontier[i - 1].x && q.frontier[i].y < q.frontier[i - 1].y, `frontier point ${i}`);
    }
    assert.ok(q.checkpoints.every((c) => c.file?.endsWith('run.json')));
    assert.equal(q.predictor, undefined, 'no predictor report was given');
  });

  it('plan: the plan and the three usual alternatives, and the iso-FLOP curve has its minimum at the plan', () => {
    assert.ok(model.plan.ok);
    assert.deepEqual(model.plan.rows.map((r) => r.label).slice(0, 1), ['plan']);
    assert.equal(model.plan.rows.length, 4);
    const lowest = Math.min(...model.plan.isoFlop.map((p) => p.y));
    assert.ok(model.plan.optimum && Math.abs(model.plan.optimum.y - lowest) < 1e-3);
    const bigger = dashboardModel({ constants: result.constants, constantsLabel: '', fit: result, runs, inputs: { ...model.inputs, compute: 1e23 }, costModel: 'bits-linear' });
    assert.ok(bigger.plan.rows[0].params > model.plan.rows[0].params);
  });

  it('without a workspace fit there is no fit panel, and the rest uses the given constants', () => {
    const paper = dashboardModel({ constants: PAPER_CONSTANTS, constantsLabel: 'paper', runs: [], inputs: defaultInputs([], 4), costModel: 'bits-linear' });
    assert.equal(paper.fit, undefined);
    assert.equal(paper.inputs.params, 1e9);
    assert.equal(paper.ptq.sizes.length, 3);
  });
});

describe('messages from the webview are validated', () => {
  const inputs = { params: 1e8, tokens: 1e9, post: 4, compute: 1e21, scenario: 'joint', planPrecision: 8, planParams: 1e9, planMemoryGB: 4 };
  const known = new Set(['/ws/run.json']);
  it('accepts well-formed messages', () => {
    assert.ok(validateMessage({ type: 'ready' }, known).ok);
    assert.ok(validateMessage({ type: 'inputs', inputs }, known).ok);
    assert.ok(validateMessage({ type: 'openRun', file: '/ws/run.json', line: 3 }, known).ok);
    assert.ok(validateMessage({ type: 'export', kind: 'csv', name: 'chart-fit', data: 'a,b\n' }, known).ok);
    assert.ok(validateMessage({ type: 'export', kind: 'png', name: 'fit', data: 'data:image/png;base64,AAAA' }, known).ok);
  });
  it('refuses everything else, with a reason', () => {
    const bad: unknown[] = [
      null,
      'ready',
      { type: 'run', command: 'rm' },
      { type: 'inputs', inputs: { ...inputs, compute: -1 } },
      { type: 'inputs', inputs: { ...inputs, scenario: 'everything' } },
      { type: 'inputs', inputs: { ...inputs, params: Number.NaN } },
      { type: 'openRun', file: '/etc/passwd' },
      { type: 'export', kind: 'exe', name: 'x', data: '' },
      { type: 'export', kind: 'csv', name: '../../.bashrc', data: 'x' },
      { type: 'export', kind: 'png', name: 'fit', data: 'javascript:alert(1)' },
    ];
    for (const m of bad) {
      const r = validateMessage(m, known);
      assert.equal(r.ok, false, JSON.stringify(m));
    }
  });
  it('a damaged saved state falls back to the defaults instead of failing', () => {
    const r = validateMessage({ type: 'ready', inputs: { params: 'lots' } }, known);
    assert.deepEqual(r, { ok: true, message: { type: 'ready' } });
  });
});

describe('dashboard view model: where its numbers stand, and what they owe', () => {
  it('the precision and PTQ panels say how far their N and D lie beyond the runs; the fit panel gives the coverage of both intervals', async () => {
    const runs = (await scan([EXAMPLES])).runs;
    const result = fit(runs, { bootstrap: 10 });
    const near = dashboardModel({ constants: result.constants, constantsLabel: 'workspace fit', fit: result, runs, inputs: defaultInputs(runs, 4), costModel: 'bits-linear' });
    assert.match(near.precision.domain ?? '', /^At N 24\.7K, D 2\.4M: inside the fitted domain/);
    // The PTQ curves reach past the runs' tokens (to mark D_crit): their far end is said.
    assert.match(near.ptq.domain ?? '', /^At the curves' far end \(N 332K, D [\d.]+[KMB]\): /);
    const far = dashboardModel({ constants: result.constants, constantsLabel: 'workspace fit', fit: result, runs, inputs: { ...defaultInputs(runs, 4), params: 1e9, tokens: 2e10 }, costModel: 'bits-linear' });
    assert.match(far.precision.domain ?? '', /^At N 1B, D 20B: extrapolation: N ×[\d,]+ beyond the largest run/);
    const coverage = near.fit?.coverage ?? [];
    assert.deepEqual(coverage.map((c) => c.label.replace(/\(.*\)/, '()')), ['in sample', 'held out ()', 'rollout ()']);
    for (const c of coverage) assert.ok(c.prediction !== null && c.prediction >= 0 && c.prediction <= 1 && c.n > 0);
  });

  it('a plan that rests on the project-default C_x (inference-aware, with the preset) shows how it moves when they do', () => {
    const inputs = { ...defaultInputs([], 4), scenario: 'inference' as const, compute: 1e21, planMemoryGB: 2 };
    const model = dashboardModel({ constants: PAPER_CONSTANTS, constantsLabel: 'paper', runs: [], inputs, costModel: 'bits-linear' });
    const notes = model.plan.provenance ?? [];
    assert.ok(notes.some((n) => /^if Cw = 0\.5, Ca = 0\.5, Ckv = 0\.5: N [\d.]+[KMB], D [\d.]+[KMB]/.test(n)), notes.join('\n'));
    assert.ok(notes.some((n) => /^if Cw = 2, Ca = 2, Ckv = 2: /.test(n)), notes.join('\n'));
  });
});
