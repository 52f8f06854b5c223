// When the extension rescans: the watcher's events that call for a rescan (the ones the scan
// would read), checked against what scan() itself reads on a real folder; and how the periodic
// rescan backs off on a workspace whose scans are slow.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEBOUNCE_MS, POLL_MAX_MS, POLL_MIN_MS, type WatchScope, changeCallsForRescan, debounceDelay, pollDelay } from '../../src/extension/scanSchedule';
import { DEFAULT_EXCLUDE, OUTPUT_MARKER, OUTPUT_MARKER_TEXT, excludeMatcher, scan } from '../../src/runs/discover';

const RUN = JSON.stringify({ schemaVersion: 1, name: 'r', status: 'complete', params: 1e6, tokens: 2e7, precision: { weights: { bits: 16, type: 'fp' }, activations: { bits: 16, type: 'fp' }, kv: { bits: 16, type: 'fp' } }, valLoss: 3.2, ptq: [] });

describe('file changes that call for a rescan', () => {
  const root = path.join(path.sep, 'work', 'ws');
  const outputs = new Set([path.join(root, 'precision-report-1')]);
  const scope = (exclude: readonly string[] = DEFAULT_EXCLUDE, folders = [root]): WatchScope => ({ folders, excluded: excludeMatcher(exclude), isOutputFolder: (dir) => outputs.has(dir) });
  const at = (...parts: string[]) => path.join(root, ...parts);

  it('a run file of the workspace does; one in a folder the default excludes skip does not', () => {
    assert.equal(changeCallsForRescan(at('runs', 'a', 'run.json'), scope()), true);
    assert.equal(changeCallsForRescan(at('trainer_state.json'), scope()), true);
    for (const skipped of ['node_modules', '.git', '.venv', '__pycache__', '.ipynb_checkpoints']) {
      assert.equal(changeCallsForRescan(at('pkg', skipped, 'x', 'package.json'), scope()), false, skipped);
      assert.equal(changeCallsForRescan(at(skipped, 'data.json'), scope()), false, skipped);
    }
  });

  it('the user\'s exclude globs, as the walk matches them, folders and files alike', () => {
    const mine = scope(['**/archive/**', 'scratch', '**/*.tmp.json']);
    assert.equal(changeCallsForRescan(at('old', 'archive', 'r', 'run.json'), mine), false);
    assert.equal(changeCallsForRescan(at('scratch', 'r', 'metrics.jsonl'), mine), false);
    assert.equal(changeCallsForRescan(at('r', 'run.tmp.json'), mine), false);
    assert.equal(changeCallsForRescan(at('archives', 'r', 'run.json'), mine), true);
    assert.equal(changeCallsForRescan(at('r', 'scratch.json'), mine), true);
    // Without the defaults the scan walks node_modules, so its changes count; Git's folder never does.
    assert.equal(changeCallsForRescan(at('node_modules', 'r', 'run.json'), mine), true);
    assert.equal(changeCallsForRescan(at('.git', 'info', 'x.json'), mine), false);
  });

  it('the product\'s own output folders (the report\'s runs.csv) do not', () => {
    assert.equal(changeCallsForRescan(at('precision-report-1', 'runs.csv'), scope()), false);
    assert.equal(changeCallsForRescan(at('precision-report-1', 'sub', 'fit.json'), scope()), false);
    assert.equal(changeCallsForRescan(at('precision-report-2', 'runs.csv'), scope()), true);
  });

  it('a file outside every scanned folder does not; in nested folders, the innermost one\'s path is matched', () => {
    assert.equal(changeCallsForRescan(path.join(path.sep, 'work', 'other', 'run.json'), scope()), false);
    assert.equal(changeCallsForRescan(path.join(path.sep, 'work', 'wsx', 'run.json'), scope()), false);
    assert.equal(changeCallsForRescan(root, scope()), false);
    // "inner/**" is excluded relative to the outer folder; the inner folder's own files are matched from it.
    const nested = scope(['inner/**'], [root, at('inner')]);
    assert.equal(changeCallsForRescan(at('inner', 'r', 'run.json'), nested), true);
  });
});

describe('the watcher and the walk agree', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pp-watch-'));
    const write = (rel: string, text = RUN) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    };
    for (const rel of ['runs/a/run.json', 'runs/b/run.json', 'node_modules/x/run.json', 'deep/.venv/y/run.json', 'old/archive/z/run.json', 'report/run.json', 'report/sub/run.json']) write(rel);
    write(`report/${OUTPUT_MARKER}`, OUTPUT_MARKER_TEXT);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a change calls for a rescan exactly when the scan reads the file', async () => {
    const exclude = [...DEFAULT_EXCLUDE, '**/archive/**'];
    const result = await scan([dir], { exclude });
    const read = new Set(result.runs.map((r) => r.file));
    assert.deepEqual([...read].map((f) => path.relative(dir, f)).sort(), [path.join('runs', 'a', 'run.json'), path.join('runs', 'b', 'run.json')]);
    const scope: WatchScope = { folders: [dir], excluded: excludeMatcher(exclude), isOutputFolder: (d) => existsSync(path.join(d, OUTPUT_MARKER)) };
    for (const rel of ['runs/a/run.json', 'runs/b/run.json', 'node_modules/x/run.json', 'deep/.venv/y/run.json', 'old/archive/z/run.json', 'report/run.json', 'report/sub/run.json']) {
      const file = path.join(dir, rel);
      assert.equal(changeCallsForRescan(file, scope), read.has(file), rel);
    }
  });
});

describe('the background rescan backs off', () => {
  it('waits ten times what the last scan cost, within 20 s and 10 min', () => {
    assert.equal(pollDelay(0), POLL_MIN_MS);
    assert.equal(pollDelay(150), POLL_MIN_MS);
    assert.equal(pollDelay(4_000), 40_000);
    assert.equal(pollDelay(120_000), POLL_MAX_MS);
    assert.equal(POLL_MIN_MS, 20_000);
    assert.equal(POLL_MAX_MS, 600_000);
    for (const bad of [NaN, -5, Infinity]) assert.equal(pollDelay(bad), POLL_MIN_MS, String(bad));
  });

  it('a file change waits at least what a scan costs, so changes cannot keep it scanning back to back', () => {
    assert.equal(debounceDelay(0), DEBOUNCE_MS);
    assert.equal(debounceDelay(3_000), 3_000);
    assert.equal(debounceDelay(10 * 60_000), POLL_MIN_MS);
    assert.equal(debounceDelay(NaN), DEBOUNCE_MS);
  });
});
