import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusText } from '../../src/extension/statusText';
import type { Run } from '../../src/runs/run';

const run = (id: string, missing: Run['missing'] = []): Run => ({
  id,
  name: id,
  format: 'precision-planner',
  file: `/ws/${id}/run.json`,
  ptq: [],
  sources: {},
  missing,
  ...(missing.length === 0 ? { params: 1e6, tokens: 2e7, finalLoss: 3, precision: { w: { bits: 16, type: 'fp' }, a: { bits: 16, type: 'fp' }, kv: { bits: 16, type: 'fp' } } } : {}),
} as Run);

describe('status bar text', () => {
  it('counts complete runs among those found when none can be fitted', () => {
    const runs = Array.from({ length: 7 }, (_, i) => run(`r${i}`, ['finalLoss']));
    assert.equal(statusText({ runs }).text, 'Precision: 0 of 7 runs complete · paper constants');
    assert.equal(statusText({ runs: [run('a'), run('b', ['params'])] }).text, 'Precision: 1 of 2 runs complete · paper constants');
    assert.equal(statusText({ runs: [run('a'), run('b')] }).text, 'Precision: 2 runs · paper constants');
    assert.equal(statusText({}).text, 'Precision: … · paper constants');
  });

  it('says in the tooltip why runs are not complete, by what they lack, most common first', () => {
    const runs = [run('a', ['finalLoss']), run('b', ['finalLoss']), run('c', ['params'])];
    assert.match(statusText({ runs }).tooltip, /Not fitted: 2 lack a final validation loss; 1 lacks N \(parameters\)\./);
    // Runs without a precision: what to set in VS Code.
    const noPrecision = [run('d', ['precision']), run('e', ['precision'])];
    assert.match(statusText({ runs: noPrecision }).tooltip, /Not fitted: 2 lack a training precision \(set precisionPlanner\.runs\.defaultPrecision, or add a precision column\)\./);
  });

  it('says when a fit was not used, and why in the tooltip', () => {
    const s = statusText({ runs: [run('a'), run('b')], rejected: 'the loss level could not be fitted' });
    assert.equal(s.text, 'Precision: 2 runs · paper constants (fit not used)');
    assert.match(s.tooltip, /The latest fit was not used: the loss level could not be fitted\./);
  });
});
