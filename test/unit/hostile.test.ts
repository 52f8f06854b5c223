// Hostile workspaces, generated here: FIFOs, devices and symlink loops under run files' names.
// Every scan must finish (a test timeout is the failure guard), with coded diagnostics.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ScanCache, type ScanResult, scan } from '../../src/runs/discover';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const posix = process.platform !== 'win32';
// A scan that hangs fails the test instead of the suite.
const GUARD = { timeout: 120_000 };

function mkfifo(file: string): void {
  rmSync(file, { force: true });
  mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('mkfifo', [file]);
}

const codesAt = (r: ScanResult, file: string): string[] => r.diagnostics.filter((d) => d.file === file).map((d) => d.code);

describe('hostile files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'precision-hostile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const fresh = (name: string): string => {
    const d = path.join(dir, name);
    mkdirSync(d, { recursive: true });
    return d;
  };

  describe('files that are not regular files', { skip: !posix }, () => {
    it('a FIFO under any companion name a reader opens is refused as unreadable; the scan finishes and every run is read', GUARD, async () => {
      const ws = fresh('fifo-companions');
      const copy = (from: string, to: string) => cpSync(path.join(FIXTURES, from), path.join(ws, to), { recursive: true });
      copy('precision-planner/complete-w8a8kv8', 'pp/run');
      copy('wandb/crashed-history', 'wb');
      copy('lightning/good', 'pl');
      copy('hf-trainer/complete', 'hf');
      copy('tensorboard/lightning', 'tb');
      copy('mlflow/good', 'ml');
      copy('precision-planner/complete-w8a8kv8', 'control/run');
      const pristine = await scan([ws]);

      const wandbFiles = path.join(ws, 'wb', 'wandb', 'offline-run-20200217_171051-1x2y3z4w', 'files');
      const mlRun = path.join(ws, 'ml', 'mlruns', '483719265017243512', '6f1e2d3c4b5a49788766554433221100');
      const fifos = [
        path.join(ws, 'pp', 'run', 'metrics.jsonl'),
        path.join(wandbFiles, 'wandb-history.jsonl'),
        path.join(wandbFiles, 'config.yaml'),
        path.join(wandbFiles, 'wandb-metadata.json'),
        path.join(ws, 'pl', 'lightning_logs', 'version_0', 'hparams.yaml'),
        path.join(ws, 'pl', 'lightning_logs', 'version_0', 'config.yaml'),
        path.join(ws, 'hf', 'config.json'),
        path.join(ws, 'hf', 'training_args.json'),
        path.join(ws, 'hf', 'eval_results.json'),
        path.join(ws, 'tb', 'lightning_logs', 'version_0', 'hparams.yaml'),
        path.join(mlRun, 'tags', 'mlflow.runName'),
        path.join(mlRun, 'metrics', 'val', 'extra_loss'),
      ];
      fifos.forEach(mkfifo);
      const r = await scan([ws]);
      for (const fifo of fifos) assert.deepEqual(codesAt(r, fifo), ['unreadable'], path.relative(ws, fifo));
      assert.deepEqual(r.runs.map((x) => x.id).sort(), pristine.runs.map((x) => x.id).sort());
      const control = (s: ScanResult) => s.runs.find((x) => x.id === 'control/run/run.json');
      assert.deepEqual(control(r), control(pristine));
    });

    it('a FIFO named as a run file and given by path is refused; so is one found beside readable runs', GUARD, async () => {
      const ws = fresh('fifo-entries');
      const named = ['run/run.json', 'hf/trainer_state.json', 'logs/train.log', 'tb/events.out.tfevents.1714558500.gpu01.4242.0', 'lightning_logs/version_0/metrics.csv', 'wandb/run-1/files/wandb-summary.json', 't/sweep.csv', 't/results.jsonl', 't/record.json', 'mlruns/1/abc/meta.yaml'].map((f) => path.join(ws, f));
      named.forEach(mkfifo);
      const r = await scan(named);
      assert.deepEqual(r.runs, []);
      // An MLflow meta.yaml with no metrics/ or params/ beside it is an experiment's, not a run's: named, it is no run file.
      assert.deepEqual(
        named.map((f) => [path.relative(ws, f), codesAt(r, f)]),
        named.map((f) => [path.relative(ws, f), [f.endsWith('meta.yaml') ? 'unsupported' : 'unreadable']]),
      );
      // The walk takes regular files only: the same FIFOs in a folder are not run files at all.
      cpSync(path.join(FIXTURES, 'precision-planner', 'complete-w8a8kv8'), path.join(ws, 'good'), { recursive: true });
      const walked = await scan([ws]);
      assert.deepEqual(walked.runs.map((x) => x.id), ['good/run.json']);
    });

    it('after a FIFO is deleted the next scan, with the same cache, is a normal one', GUARD, async () => {
      const ws = fresh('fifo-deleted');
      const run = path.join(ws, 'run');
      cpSync(path.join(FIXTURES, 'precision-planner', 'complete-w8a8kv8'), run, { recursive: true });
      const metrics = path.join(run, 'metrics.jsonl');
      const real = readFileSync(metrics);
      mkfifo(metrics);
      const cache = new ScanCache();
      const stuck = await scan([ws], { cache });
      assert.deepEqual(codesAt(stuck, metrics), ['unreadable']);
      rmSync(metrics);
      const without = await scan([ws], { cache });
      assert.deepEqual([without.diagnostics, without.runs[0].curve], [[], undefined]);
      writeFileSync(metrics, real);
      const back = await scan([ws], { cache });
      assert.deepEqual(back.runs, (await scan([ws])).runs);
      assert.equal(back.runs[0].curve?.length, 30);
    });

    it('symlinks: a loop and links to a FIFO or a device are unreadable, at once; a link to a regular file elsewhere is read; a symlinked run file is not walked into', GUARD, async () => {
      const ws = fresh('symlinks');
      const outside = fresh('symlinks-outside');
      const copy = (to: string) => cpSync(path.join(FIXTURES, 'precision-planner', 'complete-w8a8kv8'), path.join(ws, to), { recursive: true });
      copy('loop');
      copy('to-fifo');
      copy('to-device');
      copy('to-outside');
      const link = (target: string, at: string) => {
        rmSync(at, { force: true });
        symlinkSync(target, at);
      };
      link('metrics.jsonl', path.join(ws, 'loop', 'metrics.jsonl'));
      mkfifo(path.join(outside, 'pipe'));
      link(path.join(outside, 'pipe'), path.join(ws, 'to-fifo', 'metrics.jsonl'));
      link('/dev/zero', path.join(ws, 'to-device', 'metrics.jsonl'));
      cpSync(path.join(FIXTURES, 'precision-planner', 'complete-w8a8kv8', 'metrics.jsonl'), path.join(outside, 'metrics.jsonl'));
      link(path.join(outside, 'metrics.jsonl'), path.join(ws, 'to-outside', 'metrics.jsonl'));
      mkdirSync(path.join(ws, 'linked'));
      symlinkSync(path.join(ws, 'to-outside', 'run.json'), path.join(ws, 'linked', 'run.json'));
      const r = await scan([ws]);
      for (const name of ['loop', 'to-fifo', 'to-device']) assert.deepEqual(codesAt(r, path.join(ws, name, 'metrics.jsonl')), ['unreadable'], name);
      assert.equal(r.runs.find((x) => x.id === 'to-outside/run.json')?.curve?.length, 30);
      assert.ok(!r.runs.some((x) => x.id.startsWith('linked/')));
    });
  });
});
