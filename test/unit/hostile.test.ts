// Hostile workspaces, generated here: FIFOs, devices and symlink loops under run files' names,
// lines of tens of megabytes, two trainers appending to one log, logs that grow between scans.
// Every scan must finish (a test timeout is the failure guard), with coded diagnostics.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ScanCache, type ScanResult, isLockFile, scan } from '../../src/runs/discover';
import { READERS } from '../../src/runs/readers';
import { readMetricsJsonl } from '../../src/runs/readers/metricsJsonl';
import { DEFAULT_MAX_LINE_BYTES } from '../../src/runs/lines';
import { RESUME_MIN_BYTES } from '../../src/runs/resume';
import { isComplete } from '../../src/runs/run';
import { writeStreamed } from '../support/files';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const posix = process.platform !== 'win32';
// A scan that hangs fails the test instead of the suite.
const GUARD = { timeout: 120_000 };

function manifest(name: string, valLoss = 3.2): string {
  const part = { bits: 8, type: 'int' };
  return `${JSON.stringify({ schemaVersion: 1, name, status: 'complete', params: 1e6, tokens: 2e7, precision: { weights: part, activations: part, kv: part }, valLoss, ptq: [] }, null, 2)}\n`;
}

const record = (step: number, split = 'train', loss = 3 + 1 / (1 + step)): string => `${JSON.stringify({ step, tokens: step * 4096, split, loss: Number(loss.toFixed(5)) })}\n`;

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

  describe('lock files', () => {
    it('run.lock in a run folder is never taken for a run file, whatever it holds', GUARD, async () => {
      const ws = fresh('lock');
      cpSync(path.join(FIXTURES, 'precision-planner', 'complete-w8a8kv8'), path.join(ws, 'run'), { recursive: true });
      writeFileSync(path.join(ws, 'run', 'run.lock'), `${JSON.stringify({ pid: 4242, host: 'gpu01', started: '2025-01-31T12:00:00Z', name: 'x', params: 1e6, tokens: 2e7, valLoss: 3 })}\n`);
      mkdirSync(path.join(ws, 'text'));
      writeFileSync(path.join(ws, 'text', 'run.lock'), 'step 400: train loss 3.3296, val loss 3.3687\n');
      const r = await scan([ws]);
      assert.deepEqual(r.runs.map((x) => x.id), ['run/run.json']);
      assert.ok(!r.diagnostics.some((d) => d.file.endsWith('.lock')));
      for (const name of ['run.lock', 'RUN.LOCK', 'metrics.jsonl.lock']) {
        assert.ok(isLockFile(name));
        // Even a reader whose name pattern took it is not offered one by the walk.
        assert.deepEqual(READERS.filter((reader) => reader.matches(name, path.join(ws, 'run', name))).map((reader) => reader.id), [], name);
      }
    });
  });

  describe('long lines', () => {
    it('a 64 MiB line in metrics.jsonl, with a small cap: the line is named, the points around it are read', GUARD, async () => {
      const file = path.join(fresh('long-small-cap'), 'metrics.jsonl');
      await writeStreamed(file, [record(0), record(10), '{"step": 20, "split": "train", "loss": 3, "blob": "', 64 * 2 ** 20, '"}\n', record(30), record(40, 'val')]);
      const m = await readMetricsJsonl(file, { maxLineBytes: 2 ** 20 });
      assert.deepEqual(m?.curve.map((p) => p.step), [0, 10, 30, 40]);
      assert.deepEqual(m?.diagnostics.map((d) => [d.line, d.code]), [[3, 'truncated']]);
      assert.equal(m?.lastValidation?.line, 5);
      rmSync(file);
    });

    it('a line just over the default cap in every line-streamed format is reported by file and line, and reading goes on after it', GUARD, async () => {
      const ws = fresh('long-default-cap');
      const over = DEFAULT_MAX_LINE_BYTES + 1;
      // Each file: its own lines, the long one, then the lines that decide the run's final loss.
      const pp = path.join(ws, 'pp', 'metrics.jsonl');
      mkdirSync(path.join(ws, 'pp'));
      writeFileSync(path.join(ws, 'pp', 'run.json'), manifest('pp').replace(/"valLoss": [\d.]+,/, ''));
      await writeStreamed(pp, [record(0), '{"note": "', over - 12, '"}\n', record(10, 'val', 2.75)]);

      const wandbFiles = path.join(ws, 'wb', 'wandb', 'offline-run-20200217_171051-1x2y3z4w', 'files');
      cpSync(path.join(FIXTURES, 'wandb', 'crashed-history', 'wandb', 'offline-run-20200217_171051-1x2y3z4w', 'files'), wandbFiles, { recursive: true });
      const history = path.join(wandbFiles, 'wandb-history.jsonl');
      await writeStreamed(history, [readFileSync(history, 'utf8'), '{"blob": "', over - 11, '"}\n', '{"val_loss": 2.5, "_step": 99}\n']);

      const mlRun = path.join(ws, 'ml', 'mlruns', '483719265017243512', '6f1e2d3c4b5a49788766554433221100');
      cpSync(path.join(FIXTURES, 'mlflow', 'good'), path.join(ws, 'ml'), { recursive: true });
      const valLoss = path.join(mlRun, 'metrics', 'val', 'loss');
      await writeStreamed(valLoss, [readFileSync(valLoss, 'utf8'), over, '\n', '1717000999000 2.25 999999\n']);

      const table = path.join(ws, 'tables', 'results.jsonl');
      await writeStreamed(table, ['{"name": "j1", "num_params": 30000000, "tokens": 1500000000, "precision": "bf16", "val_loss": 3.84}\n', '{"name": "', over - 11, '"}\n', '{"name": "j2", "num_params": 60000000, "tokens": 3000000000, "precision": "bf16", "val_loss": 3.5}\n']);

      const log = path.join(ws, 'log', 'train.log');
      const original = readFileSync(path.join(FIXTURES, 'text-log', 'nanogpt-shakespeare-char', 'train.log'), 'utf8').split('\n');
      const cut = original.findIndex((l) => l.startsWith('iter 0:'));
      await writeStreamed(log, [`${original.slice(0, cut).join('\n')}\n`, over, '\n', `${original.slice(cut).join('\n')}`]);

      const r = await scan([ws]);
      const at = (file: string) => r.diagnostics.filter((d) => d.file === file && d.code === 'truncated' && /long/.test(d.message)).map((d) => d.line);
      assert.deepEqual(at(pp), [2]);
      assert.deepEqual(at(history), [readFileSync(path.join(FIXTURES, 'wandb', 'crashed-history', 'wandb', 'offline-run-20200217_171051-1x2y3z4w', 'files', 'wandb-history.jsonl'), 'utf8').split('\n').length]);
      assert.equal(at(valLoss).length, 1);
      assert.deepEqual(at(table), [2]);
      assert.deepEqual(at(log), [cut + 1]);
      const run = (prefix: string) => r.runs.filter((x) => x.id.startsWith(prefix));
      assert.equal(run('pp/')[0].finalLoss, 2.75);
      assert.ok(run('wb/')[0].curve?.some((p) => p.loss === 2.5));
      assert.equal(run('ml/')[0].curve?.at(-1)?.loss, 2.25);
      assert.deepEqual(run('tables/').map((x) => x.name), ['j1', 'j2']);
      assert.deepEqual(run('log/').map((x) => x.curve?.length), (await scan([path.join(FIXTURES, 'text-log', 'nanogpt-shakespeare-char')])).runs.map((x) => x.curve?.length));
      rmSync(ws, { recursive: true, force: true });
    });
  });

  describe('two writers in one run folder', () => {
    /** A run folder whose metrics.jsonl holds these (split, step) records in this order. */
    const runWith = (name: string, records: ReadonlyArray<[string, number]>): string => {
      const run = fresh(path.join('writers', name));
      writeFileSync(path.join(run, 'run.json'), manifest(name));
      writeFileSync(path.join(run, 'metrics.jsonl'), records.map(([split, step]) => record(step, split)).join(''));
      return path.join(run, 'metrics.jsonl');
    };
    const steps = (from: number, to: number, every = 10, split = 'train'): Array<[string, number]> => {
      const out: Array<[string, number]> = [];
      for (let s = from; s <= to; s += every) out.push([split, s]);
      return out;
    };
    /** Two writers' records, taking `burst` lines from each in turn (what O_APPEND writes of two processes look like). */
    const interleave = (a: ReadonlyArray<[string, number]>, b: ReadonlyArray<[string, number]>, burst = 1): Array<[string, number]> => {
      const out: Array<[string, number]> = [];
      for (let i = 0; i < Math.max(a.length, b.length); i += burst) out.push(...a.slice(i, i + burst), ...b.slice(i, i + burst));
      return out;
    };
    /** A trainer's own records: train every 10 steps, val every 100. */
    const trainer = (from: number, to: number): Array<[string, number]> => steps(from, to).flatMap((r): Array<[string, number]> => (r[1] % 100 === 0 ? [r, ['val', r[1]]] : [r]));

    it('interleaved writers are a conflict naming the file and the line where the second writer shows; the run is not fitted', GUARD, async () => {
      const cases: Array<[string, Array<[string, number]>, number]> = [
        // Two trainers started together: 0, 0, 10, 10, … — the second writer's first line is line 2.
        ['lockstep', interleave(trainer(0, 1000), trainer(0, 1000)), 2],
        // 0, 100, 10, 110, …: writers at different steps.
        ['offset', interleave(steps(0, 500), steps(100, 600)), 3],
        // A second trainer starts over in a folder where one is at step 500, both then write.
        ['late', [...steps(0, 500), ...interleave(steps(0, 300), steps(510, 810))], 52],
        // Writes of several lines at a time from each.
        ['bursts', interleave(steps(0, 2000), steps(0, 2000), 8), 9],
      ];
      const files = cases.map(([name, records]) => runWith(name, records));
      try {
        const r = await scan([path.join(dir, 'writers')]);
        cases.forEach(([name, , line], i) => {
          const conflicts = r.diagnostics.filter((d) => d.code === 'conflict');
          assert.deepEqual(conflicts.filter((d) => d.file === files[i]).map((d) => d.line), [line], name);
          const run = r.runs.find((x) => x.id === `${name}/run.json`);
          assert.ok(run && !isComplete(run) && run.missing.includes('finalLoss') && run.reasons?.finalLoss, name);
        });
      } finally {
        rmSync(path.join(dir, 'writers'), { recursive: true, force: true });
      }
    });

    it('a run resumed from a checkpoint, once or many times, is one writer: no conflict, the run is fitted', GUARD, async () => {
      const cases: Array<[string, Array<[string, number]>]> = [
        // Crashed at 700, resumed from the checkpoint at 500: back once, then on past 700.
        ['resumed-once', [...trainer(0, 700), ...trainer(500, 1500)]],
        // A crash loop: back to the same checkpoint each time.
        ['crash-loop', [...trainer(0, 700), ...trainer(500, 690), ...trainer(500, 650), ...trainer(500, 1200)]],
        // Preempted twice, each time resumed from the latest checkpoint, past the earlier crash.
        ['preempted', [...trainer(0, 700), ...trainer(500, 1200), ...trainer(1000, 2000)]],
        // Resumed at exactly the last logged step, which is logged again.
        ['same-step', [...trainer(0, 700), ...trainer(700, 1000)]],
        // Resumed from a checkpoint after the last logged line: no step goes back at all.
        ['no-overlap', [...trainer(0, 700), ...trainer(710, 1000)]],
      ];
      for (const [name, records] of cases) runWith(name, records);
      try {
        const r = await scan([path.join(dir, 'writers')]);
        assert.deepEqual(r.diagnostics.filter((d) => d.code === 'conflict'), []);
        assert.deepEqual(r.runs.map((x) => [x.name, isComplete(x)]).sort(), cases.map(([name]) => [name, true]).sort());
      } finally {
        rmSync(path.join(dir, 'writers'), { recursive: true, force: true });
      }
    });
  });

  describe('live logs read on from where the last scan stopped', () => {
    /** Lines of `make(i)` for i in [from, to), joined. */
    const lines = (from: number, to: number, make: (i: number) => string): string => Array.from({ length: to - from }, (_, k) => make(from + k)).join('');
    const same = async (ws: string, got: ScanResult) => {
      const full = await scan([ws]);
      assert.deepEqual(got.runs, full.runs);
      assert.deepEqual(got.diagnostics, full.diagnostics);
    };

    it('metrics.jsonl: appends are read from the last complete line, and the result is a full read\'s; a rewrite or a cut is read again whole', GUARD, async () => {
      const ws = fresh('live-metrics');
      const run = path.join(ws, 'run');
      mkdirSync(run);
      writeFileSync(path.join(run, 'run.json'), manifest('live').replace(/"valLoss": [\d.]+,/, ''));
      const metrics = path.join(run, 'metrics.jsonl');
      const make = (i: number) => record(i * 10, i % 10 === 9 ? 'val' : 'train');
      writeFileSync(metrics, lines(0, 30_000, make));
      assert.ok(statSync(metrics).size > RESUME_MIN_BYTES);
      const cache = new ScanCache();
      const first = await scan([ws], { cache });
      assert.deepEqual(first.resumed, { files: 0, bytes: 0 });

      const appended = lines(30_000, 30_500, make);
      appendFileSync(metrics, appended);
      const grown = await scan([ws], { cache });
      assert.deepEqual(grown.resumed, { files: 1, bytes: Buffer.byteLength(appended) });
      await same(ws, grown);
      assert.equal(grown.runs[0].finalLoss, JSON.parse(make(30_499)).loss);

      // A writer caught mid-line: the cut line is reported; it is read again once finished.
      appendFileSync(metrics, '{"step": 305000, "split": "val", "lo');
      const cut = await scan([ws], { cache });
      assert.deepEqual(cut.resumed, { files: 1, bytes: 36 });
      await same(ws, cut);
      assert.ok(cut.diagnostics.some((d) => d.code === 'truncated' && d.line === 30_501));
      appendFileSync(metrics, 'ss": 2.5}\n');
      const done = await scan([ws], { cache });
      assert.deepEqual(done.resumed, { files: 1, bytes: 36 + 10 });
      await same(ws, done);
      assert.equal(done.runs[0].finalLoss, 2.5);

      // A second writer showing up in the appended part is seen, as in a full read.
      appendFileSync(metrics, lines(0, 40, (i) => record(305_000 + 10 * (i >> 1) + (i & 1 ? -5000 : 0))));
      const twice = await scan([ws], { cache });
      assert.equal(twice.resumed?.files, 1);
      await same(ws, twice);
      assert.ok(twice.diagnostics.some((d) => d.code === 'conflict'));

      // Rewritten (the same length, other bytes at the start): read again whole.
      const text = readFileSync(metrics, 'utf8');
      assert.ok(text.startsWith('{"step":0,"tokens":0,"split":"train","loss":4}'));
      writeFileSync(metrics, text.replace('"loss":4}', '"loss":5}'));
      const rewritten = await scan([ws], { cache });
      assert.deepEqual(rewritten.resumed, { files: 0, bytes: 0 });
      await same(ws, rewritten);
      // Cut back (a new run in the same folder): read again whole.
      truncateSync(metrics, statSync(metrics).size - 100_000);
      const shorter = await scan([ws], { cache });
      assert.deepEqual(shorter.resumed, { files: 0, bytes: 0 });
      await same(ws, shorter);
    });

    it('a nanoGPT log and a W&B history grow the same way', GUARD, async () => {
      const ws = fresh('live-logs');
      const logDir = path.join(ws, 'log');
      mkdirSync(logDir);
      const log = path.join(logDir, 'train.log');
      const original = readFileSync(path.join(FIXTURES, 'text-log', 'nanogpt-shakespeare-char', 'train.log'), 'utf8').split('\n');
      const preamble = `${original.slice(0, original.findIndex((l) => l.startsWith('step 0:'))).join('\n')}\n`;
      const iter = (i: number) => (i % 250 === 0 ? `step ${i}: train loss ${(4 - i / 1e5).toFixed(4)}, val loss ${(4.1 - i / 1e5).toFixed(4)}\n` : `iter ${i}: loss ${(4 - i / 1e5).toFixed(4)}, time 12.30ms, mfu 1.20%\n`);
      writeFileSync(log, preamble + lines(0, 40_000, iter));

      const files = path.join(ws, 'wb', 'wandb', 'offline-run-20200217_171051-1x2y3z4w', 'files');
      cpSync(path.join(FIXTURES, 'wandb', 'crashed-history', 'wandb', 'offline-run-20200217_171051-1x2y3z4w', 'files'), files, { recursive: true });
      const history = path.join(files, 'wandb-history.jsonl');
      const row = (i: number) => `${JSON.stringify(i % 50 === 0 ? { val_loss: 5 - i / 1e5, _step: i } : { train_loss: 5 - i / 1e5, lr: 0.001, _step: i })}\n`;
      writeFileSync(history, lines(0, 30_000, row));

      const cache = new ScanCache();
      await scan([ws], { cache });
      const more = [lines(40_000, 40_600, iter), lines(30_000, 30_400, row)];
      appendFileSync(log, more[0]);
      appendFileSync(history, more[1]);
      const grown = await scan([ws], { cache });
      assert.deepEqual(grown.resumed, { files: 2, bytes: Buffer.byteLength(more[0]) + Buffer.byteLength(more[1]) });
      await same(ws, grown);
      assert.equal(grown.runs.find((x) => x.format === 'text-log')?.finalLoss, Number((4.1 - 40_500 / 1e5).toFixed(4)));
    });
  });
});

describe('values no model can have', () => {
  let ws: string;
  before(() => {
    ws = mkdtempSync(path.join(tmpdir(), 'pp-implausible-'));
  });
  after(() => rmSync(ws, { recursive: true, force: true }));

  it('a loss of 5e-324 or 1e308 is a warning at the value, the run stays listed, plausible runs say nothing', GUARD, async () => {
    for (const [name, loss] of [['tiny', 5e-324], ['huge', 1e308], ['fine', 3.2]] as const) {
      mkdirSync(path.join(ws, name), { recursive: true });
      writeFileSync(path.join(ws, name, 'run.json'), manifest(name, loss));
    }
    const result = await scan([ws]);
    assert.equal(result.runs.length, 3);
    const faults = result.diagnostics.filter((d) => d.code === 'implausible');
    assert.deepEqual(
      faults.map((d) => [path.relative(ws, d.file), d.field, d.severity]),
      [
        [path.join('huge', 'run.json'), 'valLoss', 'warning'],
        [path.join('tiny', 'run.json'), 'valLoss', 'warning'],
      ],
    );
    assert.ok(faults.every((d) => d.line !== undefined && d.line > 1));
    assert.ok(faults.some((d) => d.message.includes('5e-324')));
  });
});
