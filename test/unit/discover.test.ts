import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ScanCache, scan } from '../../src/runs/discover';
import type { RunReader } from '../../src/runs/readers';
import { DIAGNOSTIC_CODES } from '../../src/runs/diagnostics';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'precision-planner');

function manifest(name: string, valLoss: number): string {
  return `${JSON.stringify({ schemaVersion: 1, name, params: 1e6, tokens: 2e7, precision: { weights: { bits: 8, type: 'int' }, activations: { bits: 8, type: 'int' }, kv: { bits: 8, type: 'int' } }, valLoss, ptq: [] }, null, 2)}\n`;
}

describe('discovery', () => {
  let ws: string;
  before(() => {
    ws = mkdtempSync(path.join(tmpdir(), 'precision-scan-'));
    cpSync(FIXTURES, path.join(ws, 'fixtures'), { recursive: true });
    for (const [dir, loss] of [['sweep/a', 3.1], ['sweep/b', 3.2], ['node_modules/pkg', 9], ['.git/x', 9], ['build/out', 3.3]] as const) {
      mkdirSync(path.join(ws, dir), { recursive: true });
      writeFileSync(path.join(ws, dir, 'run.json'), manifest(dir, loss));
    }
    writeFileSync(path.join(ws, 'notes.txt'), 'not a run\n');
  });
  after(() => rmSync(ws, { recursive: true, force: true }));

  it('finds runs in nested folders, skips node_modules and .git, sorts by id', async () => {
    const r = await scan([ws]);
    const ids = r.runs.map((x) => x.id);
    assert.ok(ids.includes('sweep/a/run.json') && ids.includes('build/out/run.json'));
    assert.ok(!ids.some((id) => id.startsWith('node_modules') || id.startsWith('.git')));
    assert.deepEqual(ids, [...ids].sort());
  });

  it('include and exclude globs', async () => {
    const only = await scan([ws], { include: ['sweep/**'] });
    assert.deepEqual(only.runs.map((x) => x.id), ['sweep/a/run.json', 'sweep/b/run.json']);
    const without = await scan([ws], { exclude: ['build/**', '**/node_modules/**'] });
    assert.ok(!without.runs.some((x) => x.id.startsWith('build/')));
    // A user's exclude list replaces the default one: .git is no longer skipped here.
    assert.ok(without.runs.some((x) => x.id.startsWith('.git/')));
  });

  it('a missing path and a file of no known format are reported, and the rest is scanned', async () => {
    const r = await scan([path.join(ws, 'nope'), path.join(ws, 'notes.txt'), path.join(ws, 'sweep')]);
    assert.equal(r.runs.length, 2);
    assert.ok(r.diagnostics.some((d) => d.file.endsWith('nope') && /no such file/.test(d.message)));
    assert.ok(r.diagnostics.some((d) => d.file.endsWith('notes.txt') && /not a run file of any known format/.test(d.message)));
  });

  it('a rescan of an unchanged workspace reads nothing again and gives the same answer', async () => {
    const cache = new ScanCache();
    const first = await scan([ws], { cache });
    assert.equal(first.cached, 0);
    const second = await scan([ws], { cache });
    assert.equal(second.cached, second.files);
    assert.deepEqual(second.runs, first.runs);
    assert.deepEqual(second.diagnostics, first.diagnostics);
  });

  it('a changed manifest, a changed companion file and a deleted run are seen on rescan', async () => {
    const cache = new ScanCache();
    await scan([ws], { cache });
    const target = path.join(ws, 'sweep', 'a', 'run.json');
    writeFileSync(target, manifest('sweep/a', 2.5));
    // Same size is possible; a new mtime must be enough.
    utimesSync(target, new Date(), new Date(Date.now() + 5000));
    const afterEdit = await scan([ws], { cache });
    assert.equal(afterEdit.runs.find((x) => x.id === 'sweep/a/run.json')?.finalLoss, 2.5);
    assert.equal(afterEdit.cached, afterEdit.files - 1);

    // metrics.jsonl is read with run.json: appending to it must refresh the run's curve.
    const metrics = path.join(ws, 'sweep', 'b', 'metrics.jsonl');
    writeFileSync(metrics, '{"step": 1, "split": "val", "loss": 4.0}\n');
    const withCurve = await scan([ws], { cache });
    assert.equal(withCurve.runs.find((x) => x.id === 'sweep/b/run.json')?.curve?.length, 1);
    appendFileSync(metrics, '{"step": 2, "split": "val", "loss": 3.9}\n');
    const longer = await scan([ws], { cache });
    assert.equal(longer.runs.find((x) => x.id === 'sweep/b/run.json')?.curve?.length, 2);

    rmSync(path.join(ws, 'build'), { recursive: true });
    const afterDelete = await scan([ws], { cache });
    assert.ok(!afterDelete.runs.some((x) => x.id.startsWith('build/')));
    // notes.txt is looked at too (a .txt can be a training log) and remembered as not a run file.
    assert.equal(cache.size, afterDelete.files + 1);
  });

  it('an aborted scan returns what it has without throwing', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await scan([ws], { signal: controller.signal });
    assert.equal(r.runs.length, 0);
  });

  it('reports progress up to the number of files', async () => {
    const seen: Array<[number, number]> = [];
    const r = await scan([path.join(ws, 'sweep')], { onProgress: (done, total) => seen.push([done, total]) });
    assert.deepEqual(seen.at(-1), [r.files, r.files]);
  });

  it('a file several readers match goes to each in turn until one claims its content; each answer is cached', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'precision-fallthrough-'));
    writeFileSync(path.join(dir, 'a.json'), '{"kind": "record"}');
    const calls: string[] = [];
    const reader = (id: string, claims: boolean): RunReader => ({
      id,
      label: id,
      matches: (name) => name.endsWith('.json'),
      read: async (file) => {
        calls.push(id);
        return claims ? { runs: [{ id, name: id, format: id, file, ptq: [], sources: {}, missing: ['params'] }], diagnostics: [] } : { runs: [], diagnostics: [], notMine: true };
      },
    });
    const readers = [reader('first', false), reader('second', true), reader('third', true)];
    const cache = new ScanCache();
    const r = await scan([dir], { readers, cache });
    assert.deepEqual(r.runs.map((x) => x.format), ['second']);
    assert.deepEqual(calls, ['first', 'second']);
    const again = await scan([dir], { readers, cache });
    assert.deepEqual([again.runs.map((x) => x.format), again.cached, calls.length], [['second'], 1, 2]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('every diagnostic of a scan of every fixture carries a code from the closed set', async () => {
    const r = await scan([path.join(__dirname, '..', 'fixtures')]);
    assert.ok(r.diagnostics.length > 100, `${r.diagnostics.length} diagnostics`);
    const codes = new Set<string>(DIAGNOSTIC_CODES);
    const uncoded = r.diagnostics.filter((d) => !codes.has(d.code));
    assert.deepEqual(uncoded, []);
  });

  it('a Git LFS pointer under any format\'s file name is said to be one, with its code, by every reader', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'precision-lfs-'));
    const pointer = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n';
    const files = ['hf/trainer_state.json', 'tb/events.out.tfevents.1714558500.gpu01.4242.0', 'lightning_logs/version_0/metrics.csv', 'wandb/run-1/files/wandb-summary.json', 'm/run.json', 't/sweep.csv', 't/record.json', 't/results.jsonl', 'logs/train.log'];
    for (const f of files) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), pointer);
    }
    const r = await scan([dir]);
    assert.deepEqual(r.runs, []);
    assert.deepEqual(
      r.diagnostics.map((d) => [path.relative(dir, d.file), d.code]).sort(),
      files.map((f) => [f, 'lfs-pointer']).sort(),
    );
    assert.ok(r.diagnostics.every((d) => /git lfs pull/.test(d.message)));
    rmSync(dir, { recursive: true, force: true });
  });
});
