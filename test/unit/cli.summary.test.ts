// The CLI on runs that lack a training precision: what fit and scan say (grouped, not a line per
// run or per problem), and --precision supplying it.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, cliJson } from '../support/cli';

const SWEEPS = path.join(__dirname, '..', 'fixtures', 'sweep-tables');
/** Twelve runs of a Chinchilla-style table (N, D, FLOPs, loss): no precision column. */
const NO_PRECISION = path.join(SWEEPS, 'no-precision');
const KUMAR = path.join(SWEEPS, 'kumar-notation.csv');

describe('cli: runs lacking a training precision', () => {
  let many: string;
  before(() => {
    // Thirty copies of the table, each in a folder of its own: 360 runs, 30 problems of one kind.
    many = mkdtempSync(path.join(tmpdir(), 'precision-summary-'));
    for (let i = 0; i < 30; i++) {
      mkdirSync(path.join(many, 'sweeps', `s${i}`), { recursive: true });
      copyFileSync(path.join(NO_PRECISION, 'sweep.csv'), path.join(many, 'sweeps', `s${i}`, 'results.csv'));
    }
  });
  after(() => rmSync(many, { recursive: true, force: true }));

  it('fit: says how many runs were read and what they lack, grouped, and fails', async () => {
    const r = await cli('fit', many, '--bootstrap', '0');
    assert.equal(r.code, 1);
    assert.match(r.err, /^precision-planner fit: 360 runs read, 0 complete: 360 lack a training precision: the table has no training precision column \(add --precision bf16 or a precision column\); nothing could be fitted/);
    assert.ok(r.out.split('\n').includes('360 runs read, 0 complete:'), r.out);
    assert.ok(r.out.split('\n').includes('  360 lack a training precision: the table has no training precision column (add --precision bf16 or a precision column)'), r.out);
    assert.doesNotMatch(r.out, /left out:/, 'not a line per run');
    // The 30 problems of one kind are one group: a count, the folder, one example.
    assert.match(r.out, /30 problem\(s\) reading the runs, 1 kind\(s\) by folder \(--verbose lists each\):/);
    assert.match(r.out, /sweeps: 30 × warning .*\[precision\] in 30 files, e\.g\./);
    assert.equal((r.out.match(/results\.csv:1: warning/g) ?? []).length, 1);
  });

  it('fit --verbose: every run left out and every problem', async () => {
    const r = await cli('fit', many, '--bootstrap', '0', '--verbose');
    assert.equal(r.code, 1);
    assert.equal((r.out.match(/^left out: /gm) ?? []).length, 360);
    assert.equal((r.out.match(/results\.csv:1: warning/g) ?? []).length, 30);
  });

  it('fit --precision bf16: the runs are complete and the fit succeeds', async () => {
    const r = await cli('fit', NO_PRECISION, '--precision', 'bf16', '--bootstrap', '0');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^fitted chinchilla on 12 runs/);
    assert.doesNotMatch(r.out, /lack a training precision/);
    const json = await cliJson('fit', NO_PRECISION, '--precision', 'bf16', '--bootstrap', '0', '--no-held-out');
    assert.equal(json.ok, true);
    assert.equal(json.data.runs, 12);
    assert.deepEqual([json.summary.read, json.summary.complete, json.summary.lacking.length], [12, 12, 0]);
    const said = json.diagnostics.filter((d: { code?: string }) => d.code === 'default');
    assert.deepEqual(said.map((d: { file: string; severity: string; field: string }) => [d.file, d.severity, d.field]), [[NO_PRECISION, 'info', '--precision']]);
  });

  it('fit --json without a precision: the summary names the field and the runs', async () => {
    const r = await cli('fit', NO_PRECISION, '--bootstrap', '0', '--json');
    assert.equal(r.code, 1);
    const json = JSON.parse(r.out);
    assert.equal(json.ok, false);
    assert.deepEqual(json.summary.lacking.map((g: { field: string; count: number }) => [g.field, g.count]), [['precision', 12]]);
    assert.equal(json.summary.lacking[0].runs.length, 12);
  });

  it('scan --precision: supplies it where the files are silent, records the flag as the source, never overrides', async () => {
    const json = await cliJson('scan', NO_PRECISION, KUMAR, '--precision', 'bf16');
    const table = json.runs.filter((r: { file: string }) => r.file.startsWith(NO_PRECISION));
    const kumar = json.runs.filter((r: { file: string }) => r.file === KUMAR);
    assert.equal(table.length, 12);
    assert.ok(kumar.length > 0);
    for (const r of table) {
      assert.equal(r.precision.w.name, 'bf16');
      assert.deepEqual(r.missing, []);
      assert.deepEqual(r.sources.precision, { file: 'command line', field: '--precision' });
    }
    for (const r of kumar) assert.notEqual(r.sources.precision?.field, '--precision', 'the file gives it');
    assert.equal(json.diagnostics.filter((d: { code?: string }) => d.code === 'default').length, 1);
  });

  it('scan --precision GLOB=NAME: relative to the PATH, the last match wins', async () => {
    const json = await cliJson('scan', NO_PRECISION, '--precision', 'bf16', '--precision', 'sweep.csv=w8a8');
    assert.ok(json.runs.every((r: { precision: { w: { bits: number }; a: { bits: number } } }) => r.precision.w.bits === 8 && r.precision.a.bits === 8));
    const other = await cliJson('scan', NO_PRECISION, '--precision', 'elsewhere/**=fp32');
    assert.ok(other.runs.every((r: { missing: string[] }) => r.missing.includes('precision')));
  });

  it('scan: the incomplete runs grouped by what they lack, problems by folder and kind', async () => {
    const r = await cli('scan', many);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.split('\n').includes('  360 lack a training precision: the table has no training precision column (add --precision bf16 or a precision column)'), r.out);
    assert.equal((r.out.match(/results\.csv:1: warning/g) ?? []).length, 1);
    const verbose = await cli('scan', many, '--verbose');
    assert.equal((verbose.out.match(/results\.csv:1: warning/g) ?? []).length, 30);
  });

  it('an unknown precision name is a usage error naming the flag', async () => {
    for (const command of ['scan', 'fit']) {
      const r = await cli(command, NO_PRECISION, '--precision', 'bf61');
      assert.equal(r.code, 2, command);
      assert.match(r.err, new RegExp(`^precision-planner ${command}: --precision: "bf61" is not a training precision`), r.err);
      const glob = await cli(command, NO_PRECISION, '--precision', 'old/**=fp8x');
      assert.equal(glob.code, 2);
      assert.match(glob.err, /--precision old\/\*\*=fp8x: "fp8x" is not a training precision/);
    }
  });
});
