// The extension's scan worker, for real: the worker thread the extension starts (here from the
// sources, through tsx), the files it reads generated in a temp folder. What it answers must be
// what a scan in the host gave; a scan that is cancelled, runs past its timeout or kills its
// worker must answer at once with where it was, and never hold up the scan after it.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ScanClient, type ScanOutcome, startScanWorker, stoppedWhile } from '../../src/extension/scanClient';
import { type ScanRequest, resultParts } from '../../src/extension/scanService';
import type { Diagnostic } from '../../src/runs/diagnostics';
import type { Run } from '../../src/runs/run';
import { DEFAULT_ALIASES, extendAliases } from '../../src/runs/aliases';
import { DEFAULT_PRECISION_SETTING, parseDefaultPrecisionSetting } from '../../src/runs/defaults';
import { DEFAULT_EXCLUDE, scan } from '../../src/runs/discover';
import { writeTrainerState } from '../support/hfState';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

const request = (folders: string[], extra: Partial<ScanRequest> = {}): ScanRequest => ({ folders, include: [], exclude: [...DEFAULT_EXCLUDE], aliases: DEFAULT_ALIASES, defaults: [], ...extra });

function done(outcome: ScanOutcome): Extract<ScanOutcome, { kind: 'done' }> {
  assert.equal(outcome.kind, 'done', outcome.kind === 'failed' ? outcome.message : outcome.kind);
  return outcome as Extract<ScanOutcome, { kind: 'done' }>;
}

describe('the scan worker', { timeout: 240_000 }, () => {
  const client = new ScanClient();
  let tmp: string;
  /** A folder holding one run whose trainer_state.json takes seconds to read. */
  let big: string;
  let bigState: string;
  /** A folder of two small runs. */
  let small: string;

  before(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'pp-scanworker-'));
    big = path.join(tmp, 'big');
    bigState = await writeTrainerState(path.join(big, 'llama-3m'), 40e6);
    small = path.join(tmp, 'small');
    for (const run of ['complete-w8a8kv8', 'cancelled']) cpSync(path.join(FIXTURES, 'precision-planner', run), path.join(small, run), { recursive: true });
  });

  after(() => {
    client.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('answers what a scan in this thread finds (every run survives the structured clone), and a rescan of the unchanged folders from its cache', async () => {
    const folders = ['hf-trainer', 'precision-planner', 'sweep-tables', 'wandb', 'tensorboard', 'lightning', 'mlflow', 'text-log', 'json-record'].map((f) => path.join(FIXTURES, f));
    const here = await scan(folders, { exclude: DEFAULT_EXCLUDE, aliases: DEFAULT_ALIASES });
    assert.ok(here.runs.length > 50 && here.diagnostics.length > 10, `${here.runs.length} runs, ${here.diagnostics.length} problems`);
    const first = done(await client.scan(request(folders)));
    // Deep and strict: prototypes too, so no run came back as something else.
    assert.deepStrictEqual(first.result, here);
    assert.equal(first.unchanged, false);
    assert.ok(first.reread >= here.files);
    const again = done(await client.scan(request(folders)));
    assert.deepStrictEqual(again.result.runs, here.runs);
    // Not sent again: the client hands back the runs it has.
    assert.equal(again.result.runs, first.result.runs);
    assert.equal(again.result.cached, again.result.files);
    assert.equal(again.reread, 0);
    assert.equal(again.unchanged, true);
  });

  it('a result of thousands of runs comes back in parts, whole and in order', async () => {
    const dir = path.join(tmp, 'sweep');
    mkdirSync(dir);
    const rows = Array.from({ length: 6000 }, (_, i) => `r${i},${1e7 * (1 + (i % 17))},${2e8 * (1 + (i % 5))},${['bf16', 'int8', 'fp8'][i % 3]},${(3 + (i % 101) / 100).toFixed(3)}`);
    writeFileSync(path.join(dir, 'sweep.csv'), `run,params,tokens,precision,val_loss\n${rows.join('\n')}\n`);
    const here = await scan([dir], { exclude: DEFAULT_EXCLUDE, aliases: DEFAULT_ALIASES });
    assert.equal(here.runs.length, 6000);
    assert.ok(resultParts(here).length >= 3, `${resultParts(here).length} parts`);
    assert.deepStrictEqual(done(await client.scan(request([dir]))).result, here);
  });

  it('a sweep table of 150,000 rows is read whole, here and through the worker (the scan once overflowed the stack gathering them)', async () => {
    const dir = path.join(tmp, 'sweep-150k');
    mkdirSync(dir);
    const rows = Array.from({ length: 150_000 }, (_, i) => `r${i},${1e7 + 1000 * i},${2e8 * (1 + (i % 5))},bf16,${(3 + i * 1e-5).toFixed(5)}`);
    writeFileSync(path.join(dir, 'sweep.csv'), `run,params,tokens,precision,val_loss\n${rows.join('\n')}\n`);
    // This thread's stack is the smaller (a worker's is 4 MB): the overflow showed here.
    assert.equal((await scan([dir], { exclude: DEFAULT_EXCLUDE })).runs.length, 150_000);
    const { result } = done(await client.scan(request([dir])));
    assert.equal(result.runs.length, 150_000);
    assert.deepEqual(result.diagnostics, []);
    const names = new Set(result.runs.map((run) => run.name));
    assert.ok(names.has('r0') && names.has('r149999') && names.size === 150_000);
    rmSync(dir, { recursive: true });
  });

  it('cuts a result into parts within the budget, nothing lost or reordered', () => {
    const run = (id: string, points: number): Run => ({ id, name: id, format: 'x', file: `/w/${id}`, ptq: [], sources: {}, missing: [], curve: Array.from({ length: points }, (_, step) => ({ step, split: 'val', loss: 3 })) });
    const runs = [run('a', 0), run('b', 50), run('c', 500), run('d', 0), run('e', 0)];
    const diagnostics = Array.from({ length: 7 }, (_, i): Diagnostic => ({ file: `/w/${i}`, message: 'm', severity: 'warning', code: 'unreadable' }));
    const parts = resultParts({ runs, diagnostics }, 100);
    assert.deepEqual(parts.flatMap((p) => p.runs.map((r) => r.id)), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(parts.flatMap((p) => p.diagnostics), diagnostics);
    // a (10) + b (60) fit; c (510) is over the budget alone; d, e and the problems share what is left.
    assert.deepEqual(parts.map((p) => [p.runs.map((r) => r.id).join(''), p.diagnostics.length]), [['ab', 0], ['c', 0], ['de', 7]]);
    assert.deepEqual(resultParts({ runs: [], diagnostics: [] }), []);
  });

  it('says a scan that reread a changed file, or ran with other settings, is not unchanged', async () => {
    const dir = path.join(tmp, 'changing');
    cpSync(path.join(FIXTURES, 'precision-planner', 'complete-w8a8kv8'), path.join(dir, 'run'), { recursive: true });
    const first = done(await client.scan(request([dir])));
    assert.equal(first.unchanged, false);
    assert.equal(done(await client.scan(request([dir]))).unchanged, true);
    const manifest = path.join(dir, 'run', 'run.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"valLoss": 3.21', '"valLoss": 3.25'));
    // A later mtime whatever the file system's resolution: the cache keys on size and mtime.
    utimesSync(manifest, new Date(), new Date(Date.now() + 5_000));
    const changed = done(await client.scan(request([dir])));
    assert.equal(changed.reread, 1);
    assert.equal(changed.unchanged, false);
    assert.equal(changed.result.runs[0].finalLoss, 3.25);
    assert.equal(done(await client.scan(request([dir]))).unchanged, true);
    // The user's names for the fields change what the readers make of the same files: all reread.
    const renamed = done(await client.scan(request([dir], { aliases: extendAliases({ loss: ['heldout_nll'] }) })));
    assert.equal(renamed.reread, first.reread);
    assert.equal(renamed.unchanged, false);
  });

  it('applies the default precision table it is sent, per folder, and still knows an unchanged rescan', async () => {
    const dir = path.join(tmp, 'no-precision');
    cpSync(path.join(FIXTURES, 'sweep-tables', 'no-precision'), dir, { recursive: true });
    const parsed = parseDefaultPrecisionSetting('bf16', path.join(dir, '.vscode', 'settings.json'));
    assert.ok(parsed.defaults);
    const withDefaults = request([dir], { defaults: [[dir, parsed.defaults]] });
    const first = done(await client.scan(withDefaults));
    assert.ok(first.result.runs.length > 0);
    for (const run of first.result.runs) {
      assert.equal(run.precision?.w.bits, 16);
      assert.equal(run.sources.precision?.field, DEFAULT_PRECISION_SETTING);
    }
    assert.ok(first.result.diagnostics.some((d) => d.code === 'default'));
    // Defaulted runs are new objects every scan: the answer rests on what was reread, not on identity.
    assert.equal(done(await client.scan(withDefaults)).unchanged, true);
    const without = done(await client.scan(request([dir])));
    assert.equal(without.unchanged, false);
    assert.ok(without.result.runs.every((run) => run.precision === undefined));
  });

  it('a cancelled scan answers at once with the file it was reading, and the next scan starts a new worker', async () => {
    assert.equal(done(await client.scan(request([small]))).reread, 2);
    assert.equal(done(await client.scan(request([small]))).reread, 0);
    let heard = false;
    const outcome = await client.scan(request([big]), {
      onProgress: (activity) => {
        // Cancelled the moment the worker says it opened the big state: its read takes seconds.
        if (!heard && activity.reading.includes(bigState)) {
          heard = true;
          assert.equal(client.cancel(), true);
        }
      },
    });
    assert.equal(outcome.kind, 'cancelled');
    assert.ok(outcome.kind === 'cancelled' && outcome.activity.reading.includes(bigState));
    assert.equal(client.scanning, false);
    assert.equal(client.cancel(), false);
    // A new worker, a new cache: the small runs are read again, and found as before.
    const next = done(await client.scan(request([small])));
    assert.equal(next.reread, 2);
    assert.equal(next.result.runs.length, 2);
  });

  it('a scan past its timeout is stopped, naming the folder it was reading, and the next one completes', async () => {
    // Reading 40 MB of log history takes seconds. Where a timeout finds the worker depends on the
    // machine's load (still walking, or already in the big file), so the timeout doubles from a
    // quarter of a second until one finds it reading the big file: each try must be a timeout.
    let outcome: Awaited<ReturnType<typeof client.scan>> | undefined;
    for (let timeoutMs = 250; timeoutMs <= 16_000; timeoutMs *= 2) {
      outcome = await client.scan(request([big, small]), { timeoutMs });
      assert.equal(outcome.kind, 'timeout');
      if (outcome.kind === 'timeout' && outcome.activity.reading.includes(bigState)) break;
    }
    assert.ok(outcome?.kind === 'timeout');
    assert.ok(outcome.activity.reading.includes(bigState), JSON.stringify(outcome.activity));
    assert.equal(stoppedWhile(outcome.activity, (folder) => path.relative(tmp, folder)), `while reading ${path.join('big', 'llama-3m')}`);
    const next = done(await client.scan(request([small]), { timeoutMs: 120_000 }));
    assert.equal(next.result.runs.length, 2);
  });

  it('a worker that dies mid-scan is reported, and the next scan gets a new one', async () => {
    let started = 0;
    // The real worker, in a thread that exits (as a crash would) once its scan has begun.
    const crashing = () => {
      const tsx = require.resolve('tsx/cjs');
      const entry = path.join(__dirname, '..', '..', 'src', 'extension', 'scanWorker.ts');
      return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)}); require('node:worker_threads').parentPort.once('message', () => process.exit(7));`, { eval: true });
    };
    const dying = new ScanClient(() => (started++ === 0 ? crashing() : startScanWorker()));
    try {
      const outcome = await dying.scan(request([small]));
      assert.equal(outcome.kind, 'failed');
      assert.match(outcome.kind === 'failed' ? outcome.message : '', /exit code 7/);
      assert.equal(dying.scanning, false);
      const next = done(await dying.scan(request([small])));
      assert.equal(next.result.runs.length, 2);
      assert.equal(started, 2);
    } finally {
      dying.dispose();
    }
  });

  it('says where a stopped scan was: the folders open, else how far it had come', () => {
    const name = (f: string) => f;
    assert.equal(stoppedWhile({ read: 0, total: 0, reading: [] }, name), 'while listing the folders');
    assert.equal(stoppedWhile({ read: 3, total: 9, reading: [] }, name), 'after reading 3 of 9 run files');
    assert.equal(stoppedWhile({ read: 3, total: 9, reading: ['/w/a/run.json', '/w/a/metrics.jsonl', '/w/b/x.json', '/w/c/y.json', '/w/d/z.json'] }, name), 'while reading /w/a, /w/b (and 2 more folders)');
  });
});
