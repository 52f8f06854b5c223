// The real-log corpus (test/corpus/SOURCES.md): every folder scans without throwing, every run
// file truth.json names is there, and every truth run is compared. Skipped, saying so, where the
// corpus data is not on this machine (it is not committed; see SOURCES.md).
//
// Per-run expectations go in EXPECTED as the readers learn a format: the verdict each listed
// field must have (bench/corpus/compare.ts defines the verdicts; `npx tsx bench/corpus/run.ts`
// shows the current ones).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { RunField } from '../../src/runs/run';
import { type CorpusComparison, type FolderScan, type Verdict, compareToTruth, findCorpus, loadTruth, scanCorpus } from '../../bench/corpus/compare';

/** truth.json run id → the verdict each listed field must get. */
const EXPECTED: Record<string, Partial<Record<RunField, Verdict>>> = {
  // json-record: open_lm records (N from params_no_embed, the C4 validation loss) and Marin's (N from the model_config, no loss: bpb only).
  'openlm-scaling/exp_data/models/c4_original-d=96_l=8_h=4-0.25.json': { params: 'match', tokens: 'match', precision: 'match', finalLoss: 'match' },
  'openlm-scaling/exp_data/models/c4_original-open_lm_7b-1.0.json': { params: 'match', tokens: 'match', precision: 'match', finalLoss: 'match' },
  'marin-speedrun/experiments/speedrun/adamw_llama_scaling/130m/speedrun_results.json': { params: 'match', tokens: 'match', precision: 'absent-ok', finalLoss: 'absent-ok' },
  'marin-speedrun/experiments/speedrun/adamw_llama_scaling/520m/speedrun_results.json': { params: 'match', tokens: 'match', precision: 'absent-ok', finalLoss: 'absent-ok' },
};

const truth = loadTruth();
const root = findCorpus(truth, []);

const NOT_FOUND = 'corpus data not found (test/corpus/<folder>/, $PRECISION_CORPUS or ../shared/corpus/; see test/corpus/SOURCES.md)';
if (!root) it('real-log corpus', { skip: NOT_FOUND }, () => {});
else describe('real-log corpus', () => {
  let scans: FolderScan[];
  let comparison: CorpusComparison;
  before(async () => {
    scans = await scanCorpus(root, truth);
    comparison = compareToTruth(truth, scans);
  });

  it('names every folder and file that truth.json lists', () => {
    for (const folder of truth.folders) assert.ok(existsSync(path.join(root, folder)), `folder ${folder} is missing`);
    for (const run of truth.runs) {
      assert.ok(truth.folders.includes(run.folder), `${run.id}: folder ${run.folder} is not in truth.folders`);
      assert.ok(existsSync(path.join(root, run.folder, run.file)), `${run.id}: ${run.file} is missing`);
    }
  });

  it('scans every folder without a reader failing', () => {
    assert.equal(scans.length, truth.folders.length);
    for (const { folder, result } of scans) {
      const failures = result.diagnostics.filter((d) => d.message.includes('reader failed'));
      assert.deepEqual(failures, [], `${folder}: ${failures.map((d) => d.message).join('; ')}`);
    }
  });

  it('compares every truth run, each field with a verdict', () => {
    assert.equal(comparison.runs.length, truth.runs.length);
    for (const c of comparison.runs) for (const field of ['params', 'tokens', 'precision', 'finalLoss'] as const) assert.ok(c.fields[field].verdict, `${c.truth.id}: ${field}`);
  });

  it('meets the per-run expectations', () => {
    for (const [id, fields] of Object.entries(EXPECTED)) {
      const c = comparison.runs.find((r) => r.truth.id === id);
      assert.ok(c, `no truth run ${id}`);
      for (const [field, verdict] of Object.entries(fields)) assert.equal(c.fields[field as RunField].verdict, verdict, `${id}: ${field} (expected ${JSON.stringify(c.fields[field as RunField].expected)}, got ${JSON.stringify(c.fields[field as RunField].got)})`);
    }
  });
});
