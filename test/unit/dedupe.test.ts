import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinDuplicates } from '../../src/runs/dedupe';
import { PRECISION_NAMES } from '../../src/runs/precision';
import { type Run, withMissing } from '../../src/runs/run';

const bf16 = { w: PRECISION_NAMES.bf16, a: PRECISION_NAMES.bf16, kv: PRECISION_NAMES.bf16 };
const run = (file: string, format: string, fields: Partial<Run>): Run =>
  withMissing({ id: file, name: file, format, file, ptq: [], sources: {}, ...fields });

describe('joinDuplicates', () => {
  it("an HF run and the TensorBoard file its callback wrote are one run: the richer kept, the other's fields filled in with their sources", () => {
    const hf = run('/ws/out/trainer_state.json', 'hf-trainer', { params: 85e6, finalLoss: 3.287104845046997, curve: [{ step: 1000, split: 'eval', loss: 3.2871 }], sources: { params: { file: '/ws/out/config.json' } } });
    const tb = run('/ws/out/runs/Jan01_host/events.out.tfevents.1.host.1.0', 'tensorboard', { precision: bf16, finalLoss: 3.2871048, curve: [{ step: 1000, split: 'eval', loss: 3.2871048 }], sources: { precision: { file: '/ws/out/runs/Jan01_host/events.out.tfevents.1.host.1.0', field: 'args/text_summary.bf16' } } });
    const other = run('/ws/other/trainer_state.json', 'hf-trainer', { finalLoss: 3.2871048 });
    const r = joinDuplicates([hf, tb, other]);
    assert.equal(r.runs.length, 2);
    const [joined] = r.runs;
    assert.equal(joined.file, hf.file);
    assert.deepEqual(joined.precision, bf16);
    assert.equal(joined.sources.precision?.field, 'args/text_summary.bf16');
    assert.equal(joined.sources.params?.file, '/ws/out/config.json');
    assert.deepEqual(joined.missing, ['tokens']);
    assert.deepEqual(joined.meta?.alsoReadFrom, [tb.file]);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity, d.file]), [['grouped', 'info', hf.file]]);
    assert.equal(joinDuplicates([hf, tb, other]).runs[0], joined, 'the same runs join to the same object, so a rescan changes nothing');
  });

  it('not joined: a different loss, a different last step, the same format, folders far apart, no loss at all', () => {
    const base = { finalLoss: 3.1, curve: [{ step: 500, split: 'val', loss: 3.1 }] };
    const cases: Array<[Run, Run]> = [
      [run('/ws/a/metrics.csv', 'lightning', base), run('/ws/a/events.out.tfevents.1', 'tensorboard', { ...base, finalLoss: 3.2 })],
      [run('/ws/a/metrics.csv', 'lightning', base), run('/ws/a/events.out.tfevents.1', 'tensorboard', { ...base, curve: [{ step: 400, split: 'val', loss: 3.1 }] })],
      [run('/ws/a/run.json', 'precision-planner', base), run('/ws/a/b/run.json', 'precision-planner', base)],
      [run('/ws/a/metrics.csv', 'lightning', base), run('/ws/b/events.out.tfevents.1', 'tensorboard', base)],
      [run('/ws/a/metrics.csv', 'lightning', {}), run('/ws/a/events.out.tfevents.1', 'tensorboard', {})],
    ];
    for (const [a, b] of cases) assert.equal(joinDuplicates([a, b]).runs.length, 2, `${a.file} ${b.file}`);
  });

  it("a tool's default precision gives way to the one another file of the training states", () => {
    const fp32 = { w: PRECISION_NAMES.fp32, a: PRECISION_NAMES.fp32, kv: PRECISION_NAMES.fp32 };
    const csv = run('/ws/logs/version_0/metrics.csv', 'lightning', { params: 1e7, tokens: 1e9, precision: fp32, finalLoss: 3.5, meta: { precisionIsToolDefault: true } });
    const tb = run('/ws/logs/version_0/events.out.tfevents.1', 'tensorboard', { precision: bf16, finalLoss: 3.5, sources: { precision: { file: '/ws/logs/version_0/hparams.yaml', line: 3 } } });
    const [joined] = joinDuplicates([csv, tb]).runs;
    assert.deepEqual([joined.file, joined.precision, joined.sources.precision?.line, joined.meta?.precisionIsToolDefault], [csv.file, bf16, 3, false]);
  });
});
