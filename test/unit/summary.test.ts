import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { type Run, withMissing } from '../../src/runs/run';
import { countText, groupDiagnostics, kindText, lackText, summarizeRuns, summaryText } from '../../src/runs/summary';

const P16 = { w: { bits: 16, type: 'fp' as const }, a: { bits: 16, type: 'fp' as const }, kv: { bits: 16, type: 'fp' as const } };

/** A run lacking `missing` (with the reader's reasons, if any). */
function run(id: string, missing: Array<'params' | 'tokens' | 'precision' | 'finalLoss'> = [], reasons?: Run['reasons'], unfinished = false): Run {
  const all = { params: 1e6, tokens: 2e7, precision: P16, finalLoss: 3 };
  const values = Object.fromEntries(Object.entries(all).filter(([k]) => !(missing as string[]).includes(k)));
  return withMissing({ id, name: id, format: 'sweep-table', file: `/ws/${id}`, ptq: [], sources: {}, ...values, ...(unfinished ? { unfinished } : {}) }, reasons);
}

const ROOT = path.join(path.sep, 'ws');
const at = (rel: string) => path.join(ROOT, ...rel.split('/'));
const diag = (rel: string, extra: Partial<Diagnostic> = {}): Diagnostic => ({ file: at(rel), message: 'no training precision', severity: 'warning', code: 'missing-field', field: 'precision', ...extra });

describe('what the runs lack, grouped', () => {
  it('counts runs by the field they lack, most first; a run lacking two is in both', () => {
    const runs = [
      ...Array.from({ length: 5 }, (_, i) => run(`p${i}`, ['precision'])),
      run('pt', ['precision', 'tokens']),
      run('t', ['tokens']),
      run('ok'),
      run('ok2'),
    ];
    const s = summarizeRuns(runs);
    assert.deepEqual([s.read, s.complete], [9, 2]);
    assert.deepEqual(s.lacking.map((g) => [g.field, g.runs.length]), [['precision', 6], ['tokens', 2]]);
    assert.deepEqual(s.lacking[1].runs.map((r) => r.id), ['pt', 't']);
  });

  it('ties in the order of the fields (N, D, precision, loss)', () => {
    const s = summarizeRuns([run('a', ['finalLoss']), run('b', ['params'])]);
    assert.deepEqual(s.lacking.map((g) => g.field), ['params', 'finalLoss']);
  });

  it('within a field, by the reasons the readers gave, those without one last', () => {
    const s = summarizeRuns([
      run('a', ['finalLoss'], { finalLoss: 'cancelled' }),
      run('b', ['finalLoss']),
      run('c', ['finalLoss'], { finalLoss: 'loss is NaN' }),
      run('d', ['finalLoss'], { finalLoss: 'loss is NaN' }),
    ]);
    assert.deepEqual(s.lacking[0].reasons.map((r) => [r.reason, r.runs.length]), [['loss is NaN', 2], ['cancelled', 1], [undefined, 1]]);
  });

  it('complete runs that did not finish are counted apart', () => {
    const s = summarizeRuns([run('a'), run('b', [], undefined, true)]);
    assert.deepEqual([s.complete, s.unfinished.map((r) => r.id), s.lacking.length], [2, ['b'], 0]);
    assert.match(summaryText(s), /^2 runs read, all complete: 1 is complete but did not finish/);
  });

  it('in words: one sentence, what to do after why, at most `max` groups', () => {
    const runs = [...Array.from({ length: 245 }, (_, i) => run(`p${i}`, ['precision'])), ...Array.from({ length: 80 }, (_, i) => run(`t${i}`, ['tokens']))];
    const hints = { precision: 'add --precision bf16 or a precision column' };
    assert.equal(summaryText(summarizeRuns(runs), hints), '325 runs read, 0 complete: 245 lack a training precision (add --precision bf16 or a precision column); 80 lack D (training tokens)');
    assert.match(summaryText(summarizeRuns(runs), hints, 1), /; and 1 more$/);
    assert.equal(countText(summarizeRuns([run('a', ['params'])])), '1 run read, 0 complete');
    assert.equal(lackText(summarizeRuns([run('a', ['params'])]).lacking[0]), '1 lacks N (parameters)');
    const cancelled = summarizeRuns([run('a', ['finalLoss'], { finalLoss: 'cancelled' }), run('b', ['finalLoss'], { finalLoss: 'cancelled' })]);
    assert.equal(lackText(cancelled.lacking[0], { finalLoss: 'rerun the evaluation' }), '2 lack a final validation loss: cancelled (rerun the evaluation)');
    const mixed = summarizeRuns([run('a', ['precision'], { precision: 'two precisions' }), run('b', ['precision'])]);
    assert.equal(lackText(mixed.lacking[0], hints), '2 lack a training precision: 1 two precisions, 1 not in their files (add --precision bf16 or a precision column)');
  });
});

describe('diagnostics, grouped', () => {
  it('by folder and code: runs in folders of their own, side by side, are one group under the folder holding them', () => {
    const ds = [...Array.from({ length: 30 }, (_, i) => diag(`runs/r${i}/trainer_state.json`)), diag('runs/r0/trainer_state.json', { code: 'syntax', field: undefined, message: 'syntax error', severity: 'error', line: 3 })];
    const groups = groupDiagnostics(ds, { by: 'folder', roots: [ROOT] });
    assert.deepEqual(groups.map((g) => [g.code, g.severity, g.diagnostics.length, g.files, g.where]), [
      ['syntax', 'error', 1, 1, at('runs/r0')],
      ['missing-field', 'warning', 30, 30, at('runs')],
    ]);
    assert.equal(groups[1].diagnostics[0], ds[0], 'the example is the first one');
    assert.equal(kindText(groups[1]), 'missing-field [precision]');
  });

  it('a field or a severity apart is a kind apart', () => {
    const ds = [diag('t.csv', { field: 'precision' }), diag('t.csv', { field: 'tokens' }), diag('t.csv', { field: 'tokens', severity: 'error' }), diag('t.csv', { field: 'tokens' })];
    const groups = groupDiagnostics(ds, { by: 'folder', roots: [ROOT] });
    assert.deepEqual(groups.map((g) => [g.severity, g.field, g.diagnostics.length]), [['error', 'tokens', 1], ['warning', 'tokens', 2], ['warning', 'precision', 1]]);
  });

  it('per scanned folder: two folders scanned are never one group', () => {
    const other = path.join(path.sep, 'other');
    const ds = [diag('a/x.csv'), { ...diag('a/x.csv'), file: path.join(other, 'y.csv') }];
    const groups = groupDiagnostics(ds, { by: 'folder', roots: [ROOT, other] });
    assert.deepEqual(groups.map((g) => g.where).sort(), [at('a'), other].sort());
    // Without the scanned folders, all are one folder: the one holding them all.
    assert.deepEqual(groupDiagnostics(ds, { by: 'folder' }).map((g) => g.where), [path.parse(ROOT).root]);
  });

  it('by file, for the Problems panel: one group per file and code', () => {
    const ds = [diag('t.csv', { line: 3 }), diag('t.csv', { line: 9 }), diag('u.csv'), diag('t.csv', { code: 'bad-value', field: 'loss', line: 4 })];
    const groups = groupDiagnostics(ds, { by: 'file' });
    assert.deepEqual(groups.map((g) => [g.where, g.code, g.diagnostics.length]), [
      [at('t.csv'), 'missing-field', 2],
      [at('t.csv'), 'bad-value', 1],
      [at('u.csv'), 'missing-field', 1],
    ]);
    assert.equal(groups[0].diagnostics[0].line, 3);
  });

  it('diagnostics without a code are grouped by their message text', () => {
    const ds = [diag('t.csv', { code: undefined, message: 'loss is NaN' }), diag('t.csv', { code: undefined, message: 'loss is NaN' }), diag('t.csv', { code: undefined, message: 'tokens is -1' })];
    const groups = groupDiagnostics(ds, { by: 'file' });
    assert.deepEqual(groups.map((g) => [g.code, g.diagnostics[0].message, g.diagnostics.length]), [[undefined, 'loss is NaN', 2], [undefined, 'tokens is -1', 1]]);
    assert.equal(kindText(groups[0]), '"loss is NaN" [precision]');
  });
});
