import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTinyCorpus } from '../support/corpus';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { readPrecisionPlannerRun } from '../../src/runs/readers/precisionPlanner';
import type { TrainJob } from '../../src/train/config';
import { type JobEvent, runJob, runSweep } from '../../src/train/engine';
import { compactCount, expandGrid, parseSize } from '../../src/train/grid';
import { summarizeOutcomes } from '../../src/train/options';
import { RunWriter, writeJsonAtomic } from '../../src/train/writer';

const CHILD = path.resolve(__dirname, '../../src/train/child.ts');
const TSX = pathToFileURL(require.resolve('tsx')).href;

let tmp: string;
let corpus: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-train-engine-'));
  // A small corpus loads in milliseconds (the Brown corpus takes most of a second per child).
  corpus = path.join(tmp, 'corpus');
  writeTinyCorpus(corpus);
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const tinyJob = (name: string, overrides: Partial<TrainJob> = {}): TrainJob => ({
  name,
  outDir: path.join(tmp, 'runs'),
  model: { width: 32, depth: 1, heads: 2, context: 32 },
  precision: 'w8a8kv8',
  tokens: 4 * 32 * 6,
  batchSize: 4,
  evalTokens: 256,
  logEvery: 1,
  corpus: [corpus],
  ptq: { bits: [8, 4], groups: [null, 16], formats: ['mxfp4'], gptqBits: [4], probeNorms: [0.1], probeDirections: 2, calibrationTokens: 128 },
  ...overrides,
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('writer', () => {
  test('run.json is replaced atomically and merges updates', async () => {
    const dir = path.join(tmp, 'writer');
    const writer = new RunWriter(dir, {
      name: 'w',
      params: 10,
      embeddingParams: 1,
      tokens: 100,
      tokensPlanned: 100,
      precision: { weights: { bits: 4, type: 'int' }, activations: { bits: 32, type: 'fp' }, kv: { bits: 32, type: 'fp' } },
      ptq: [],
      seed: 1,
      model: {},
      training: {},
      data: {},
      created: new Date().toISOString(),
    });
    writer.log({ step: 1, split: 'train', loss: Number.NaN });
    writer.update({ status: 'complete', valLoss: 2.5 });
    const manifest = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8'));
    assert.equal(manifest.status, 'complete');
    assert.equal(manifest.valLoss, 2.5);
    assert.equal(manifest.params, 10);
    assert.equal(await readFile(path.join(dir, 'metrics.jsonl'), 'utf8'), '{"step":1,"split":"train","loss":null}\n');
    writeJsonAtomic(path.join(dir, 'x.json'), { a: 1 });
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'x.json'), 'utf8')), { a: 1 });
  });

  test('a trainer killed with SIGKILL mid-run leaves a readable, unfinished run', async () => {
    const job = tinyJob('killed', { tokens: 1e9, evalEvery: 3, outDir: path.join(tmp, 'kill') });
    const jobFile = path.join(tmp, 'kill-job.json');
    await writeFile(jobFile, JSON.stringify(job));
    const child: ChildProcess = spawn(process.execPath, ['--import', TSX, CHILD, jobFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const runDir = path.join(job.outDir, job.name);
    await waitFor(() => (stdout.match(/"type":"eval"/g) ?? []).length >= 2, 'two validations');
    child.kill('SIGKILL');
    await exited;

    const manifest = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8'));
    assert.equal(manifest.status, 'running');
    const { runs, diagnostics } = await readPrecisionPlannerRun(path.join(runDir, 'run.json'));
    assert.equal(runs.length, 1);
    const [run] = runs;
    assert.equal(run.unfinished, true);
    assert.deepEqual(run.missing, []);
    assert.ok(run.params && run.params > 0 && run.tokens && run.tokens > 0);
    assert.ok((run.curve ?? []).filter((p) => p.split === 'val').length >= 2);
    assert.ok(!diagnostics.some((d) => d.severity === 'error'), JSON.stringify(diagnostics));
    // Each line was written whole: every line but possibly a cut last one parses.
    const lines = (await readFile(path.join(runDir, 'metrics.jsonl'), 'utf8')).split('\n').filter(Boolean);
    for (const line of lines.slice(0, -1)) JSON.parse(line);
  });
});

describe('engine', () => {
  test('one run in a child process: complete, with PTQ, read back by the run reader', async () => {
    const events: JobEvent[] = [];
    const outcome = await runJob(tinyJob('complete'), { onEvent: (e) => events.push(e) });
    assert.equal(outcome.status, 'complete', outcome.error);
    assert.ok(outcome.valLoss && outcome.valLoss > 0 && outcome.valLoss < 6);
    assert.deepEqual(
      [...new Set(events.map((e) => e.type))],
      ['spawn', 'start', 'step', 'eval', 'ptq', 'probe', 'end'],
    );
    const steps = events.filter((e) => e.type === 'step');
    assert.equal(steps.length, 6);
    assert.ok(steps.every((e) => e.type === 'step' && e.tokensPerSecond > 0 && e.etaSeconds >= 0));

    const { runs, diagnostics } = await readPrecisionPlannerRun(path.join(outcome.runDir, 'run.json'));
    assert.deepEqual(diagnostics, []);
    const [run] = runs;
    assert.equal(run.unfinished, undefined);
    assert.equal(run.finalLoss, outcome.valLoss);
    assert.equal(run.tokens, 4 * 32 * 6);
    assert.deepEqual(run.precision, { w: { bits: 8, type: 'int', name: 'int8' }, a: { bits: 8, type: 'int', name: 'int8' }, kv: { bits: 8, type: 'int', name: 'int8' } });
    assert.deepEqual(
      run.ptq.map((q) => [q.format, q.bits, q.groupSize ?? null, q.method]),
      [
        ['int', 8, null, 'rtn'],
        ['int', 4, null, 'rtn'],
        ['int', 8, 16, 'rtn'],
        ['int', 4, 16, 'rtn'],
        ['mxfp4', 4, 32, 'rtn'],
        ['int', 4, null, 'gptq'],
      ],
    );
    // Every evaluation carries the predictor's features; the probe is one point of two directions.
    assert.ok(run.ptq.every((q) => q.sqnrDb !== undefined && q.sqnrDb > 0 && q.bitsPerWeight !== undefined && q.bitsPerWeight > q.bits));
    assert.equal(run.landscape?.length, 1);
    assert.equal(run.landscape?.[0].relativeNorm, 0.1);
    assert.equal(run.curve?.length, 7); // six training steps and the final validation
    assert.ok((run.meta?.epochs as number) > 0);
  });

  test('a job that cannot start fails with its reason', async () => {
    const outcome = await runJob(tinyJob('bad', { model: { width: 30, depth: 1, heads: 4 } }));
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /not divisible by 4 heads/);
  });

  test('cancelling a sweep ends every child: runs that started say cancelled, the others never started', async () => {
    const controller = new AbortController();
    const spawned = new Map<string, number>();
    const stepping = new Set<string>();
    const positions = new Map<string, number>();
    const outDir = path.join(tmp, 'cancel');
    // "c" is the largest, so it trains first (and is numbered [1/3]); "b" waits for a free slot.
    const jobs = [tinyJob('a', { tokens: 1e9, outDir }), tinyJob('b', { tokens: 1e9, outDir }), tinyJob('c', { tokens: 1e9, outDir, model: { width: 32, depth: 2, heads: 2, context: 32 } })];
    const sweep = runSweep(jobs, {
      parallel: 2,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'spawn') spawned.set(e.name, e.pid);
        if (e.type === 'step') stepping.add(e.name);
        positions.set(e.name, e.position);
      },
    });
    await waitFor(() => stepping.size === 2, 'two children training');
    controller.abort();
    const outcomes = await sweep;
    assert.deepEqual(
      outcomes.map((o) => [o.name, o.status]),
      [
        ['a', 'cancelled'],
        ['b', 'not-started'],
        ['c', 'cancelled'],
      ],
    );
    assert.deepEqual([...spawned.keys()].sort(), ['a', 'c'], 'the third job never started');
    assert.deepEqual(Object.fromEntries(positions), { c: 0, a: 1 });
    for (const pid of spawned.values()) assert.equal(alive(pid), false, `child ${pid} is still alive`);
    for (const name of spawned.keys()) {
      const manifest = JSON.parse(await readFile(path.join(outDir, name, 'run.json'), 'utf8'));
      assert.equal(manifest.status, 'cancelled');
      assert.ok(manifest.tokens > 0 && manifest.tokens < 1e9, 'D is the tokens actually seen');
    }
    assert.equal(existsSync(path.join(outDir, 'b')), false);
    assert.equal(summarizeOutcomes(outcomes), '0 complete, 0 already complete, 2 cancelled (started, then stopped; their run.json says so), 1 not started (nothing written), 0 failed');
  });

  test('a child that ignores the cancel is killed after the grace period', async () => {
    const controller = new AbortController();
    let pid = -1;
    let steps = 0;
    // SIGSTOP freezes the child: it can neither see the cancel nor exit by itself.
    const run = runJob(tinyJob('frozen', { tokens: 1e9, outDir: path.join(tmp, 'frozen') }), {
      signal: controller.signal,
      graceMs: 300,
      onEvent: (e) => {
        if (e.type === 'spawn') pid = e.pid;
        if (e.type === 'step') steps++;
      },
    });
    await waitFor(() => steps > 0, 'a training step');
    process.kill(pid, 'SIGSTOP');
    controller.abort();
    const outcome = await run;
    assert.equal(outcome.status, 'cancelled');
    assert.equal(alive(pid), false);
    const manifest = JSON.parse(await readFile(path.join(outcome.runDir, 'run.json'), 'utf8'));
    assert.equal(manifest.status, 'cancelled', 'the engine closes the manifest the child could not');
    assert.equal(manifest.cancelReason, 'cancelled; the trainer did not stop in time and was killed');
    assert.equal(existsSync(path.join(outcome.runDir, 'run.lock')), false, "the killed child's lock goes with it");
  });
});

describe('sweep grid', () => {
  test('sizes x tokens x precisions, named after what they are', () => {
    assert.deepEqual(parseSize('4x128'), { depth: 4, width: 128 });
    assert.deepEqual(parseSize('2x96h2'), { depth: 2, width: 96, heads: 2 });
    assert.throws(() => parseSize('128'), /depth/);
    assert.equal(compactCount(1_500_000), '1.5M');
    assert.equal(compactCount(250_000), '250k');
    const jobs = expandGrid({ outDir: 'out', sizes: ['2x64', '4x128'], tokens: [1e6, 3e6], precisions: ['fp32', 'w4a4kv4', 'w:3,a:off,kv:off'], common: { batchSize: 8 } });
    assert.equal(jobs.length, 12);
    assert.equal(jobs[0].name, 'L2W64-D1M-fp32');
    assert.equal(jobs[11].name, 'L4W128-D3M-w3a32kv32');
    assert.deepEqual(jobs[11].model, { depth: 4, width: 128 });
    assert.equal(jobs[11].batchSize, 8);
  });
});
