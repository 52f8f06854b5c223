// The trainer under faults: killed owners, signals, two writers on one folder, stale locks and
// temporary files, hostile run names and links in run folders. Real processes, real files.
//
// The kill tests drive the real CLI bundle (dist/cli.js, which forks dist/train.js), rebuilt
// first when it is missing or older than the sources. Every process a test starts is found by
// pid (the CLI's from spawn, the trainer's from the run.lock it holds) and killed by pid in
// after() should a test fail half-way.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTinyCorpus } from '../support/corpus';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../src/cli/main';
import { scan } from '../../src/runs/discover';
import { RunningTraining } from '../../src/train/cancelAll';
import type { TrainJob } from '../../src/train/config';
import { type JobEvent, jobProblems, runJob, runSweep } from '../../src/train/engine';
import { dedupeGrid, expandGrid } from '../../src/train/grid';
import { gridFromArgs, jobFromArgs } from '../../src/train/options';
import { folderCollisions, runFolderOf, runNameProblem } from '../../src/train/runFolder';
import { LOCK_FILE, RunLockedError, acquireRunLock, isAlive, readLock } from '../../src/train/runLock';
import { RunWriter, isRunTempFile, writeJsonAtomic } from '../../src/train/writer';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const TRAINER = path.join(ROOT, 'dist', 'train.js');

let tmp: string;
let corpus: string;
/** Every process a test started or found, killed in after() if still alive. */
const started = new Set<number>();

/** Newest modification time of the sources the CLI and trainer bundles are built from. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** dist/cli.js and dist/train.js as the sources are now (`node esbuild.js`, as `npm run build`). */
function ensureBundles(): void {
  const sources = Math.max(newestSource(path.join(ROOT, 'src')), statSync(path.join(ROOT, 'esbuild.js')).mtimeMs);
  const fresh = [CLI, TRAINER].every((file) => existsSync(file) && statSync(file).mtimeMs >= sources);
  if (fresh) return;
  const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, `node esbuild.js failed: ${build.stderr}`);
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-train-faults-'));
  corpus = path.join(tmp, 'corpus');
  writeTinyCorpus(corpus);
});
after(async () => {
  for (const pid of started) {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await rm(tmp, { recursive: true, force: true });
});

const tinyJob = (name: string, outDir: string, overrides: Partial<TrainJob> = {}): TrainJob => ({
  name,
  outDir,
  model: { width: 32, depth: 1, heads: 2, context: 32 },
  precision: 'fp32',
  tokens: 4 * 32 * 6,
  batchSize: 4,
  evalTokens: 256,
  logEvery: 1,
  corpus: [corpus],
  ptq: { bits: [8], groups: [null], formats: [], gptqBits: [], probeNorms: [], calibrationTokens: 128 },
  ...overrides,
});

/** Flags for a CLI run that trains in a fraction of a second per hundred steps. */
const SMALL = ['--context', '32', '--batch', '4', '--eval-tokens', '1k', '--ptq-bits', '8', '--ptq-groups', 'channel', '--ptq-formats', 'none', '--gptq-bits', 'none', '--probe-norms', 'none'];

/** Polls `condition` until it holds; the deadline only keeps a broken test from hanging. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 60000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const readJson = (file: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};
const statusOf = (runDir: string): unknown => readJson(path.join(runDir, 'run.json'))?.status;
const metricLines = (runDir: string): string[] => {
  try {
    return readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/** In-process CLI with the I/O of a non-terminal. */
async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

/** The bundled CLI training one long run (cancelled by the test long before it ends). */
function startCli(out: string, name: string, options: { detached?: boolean } = {}): { process: ChildProcess; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, 'train', '--size', '1x32', '--tokens', '20M', '--name', name, '--corpus', corpus, '--out', out, ...SMALL], {
    detached: options.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { process: child, exit, stdout: () => stdout, stderr: () => stderr };
}

/** Waits until the run trains (run.json "running", a curve line) and returns its trainer's pid, from run.lock. */
async function trainerOf(runDir: string): Promise<number> {
  await waitFor(() => statusOf(runDir) === 'running' && metricLines(runDir).length > 0 && readLock(path.join(runDir, LOCK_FILE)) !== undefined, `${runDir} to train`);
  const pid = readLock(path.join(runDir, LOCK_FILE))!.pid;
  started.add(pid);
  return pid;
}

describe('kill tests: a trainer never outlives its owner silently', () => {
  before(ensureBundles);

  test('SIGKILL of the parent CLI: the orphaned trainer cancels its run and exits', async () => {
    const out = path.join(tmp, 'kill-parent');
    const runDir = path.join(out, 'orphan');
    const { process: parent, exit } = startCli(out, 'orphan', { detached: true });
    const trainer = await trainerOf(runDir);
    assert.notEqual(trainer, parent.pid, 'the run is written by the child, not the CLI');
    parent.kill('SIGKILL');
    assert.equal((await exit).signal, 'SIGKILL');

    await waitFor(() => !isAlive(trainer) && statusOf(runDir) === 'cancelled', 'the orphan to cancel its run and exit');
    const manifest = readJson(path.join(runDir, 'run.json'))!;
    assert.equal(manifest.cancelReason, 'the parent process went away');
    assert.ok(!Number.isNaN(Date.parse(manifest.updated as string)), 'the time it stopped');
    assert.ok((manifest.tokens as number) > 0 && (manifest.tokens as number) < 20e6, 'D is the tokens it saw');
    // Lock released, no temporary file left, the curve whole.
    assert.deepEqual(readdirSync(runDir).sort(), ['metrics.jsonl', 'run.json']);
    for (const line of metricLines(runDir)) JSON.parse(line);
  });

  test('SIGTERM of the trainer: its run says cancelled, the CLI reports it and exits 1', async () => {
    const out = path.join(tmp, 'term-child');
    const runDir = path.join(out, 'termed');
    const run = startCli(out, 'termed');
    const trainer = await trainerOf(runDir);
    process.kill(trainer, 'SIGTERM');
    const { code } = await run.exit;

    assert.equal(code, 1, run.stderr());
    assert.equal(isAlive(trainer), false);
    const manifest = readJson(path.join(runDir, 'run.json'))!;
    assert.equal(manifest.status, 'cancelled');
    assert.equal(manifest.cancelReason, 'SIGTERM received');
    assert.match(run.stdout(), /\[1\/1\] termed: cancelled, .*\(SIGTERM received\)/);
    assert.match(run.stdout(), /^0 complete, 0 already complete, 1 cancelled /m);
    assert.match(run.stderr(), new RegExp(`^cancelled: termed: SIGTERM received \\(${runDir.replace(/[\\\\.]/g, '\\$&')}\\)$`, 'm'));
    assert.deepEqual(readdirSync(runDir).sort(), ['metrics.jsonl', 'run.json']);
  });

  test('SIGHUP of the parent CLI cancels its trainer like Ctrl+C: run cancelled, exit 129', async () => {
    const out = path.join(tmp, 'hup-parent');
    const runDir = path.join(out, 'hung-up');
    const run = startCli(out, 'hung-up');
    const trainer = await trainerOf(runDir);
    run.process.kill('SIGHUP');
    const { code } = await run.exit;

    assert.equal(code, 129, run.stderr());
    assert.equal(isAlive(trainer), false);
    const manifest = readJson(path.join(runDir, 'run.json'))!;
    assert.equal(manifest.status, 'cancelled');
    assert.equal(manifest.cancelReason, 'SIGHUP received by the command that started it');
    assert.match(run.stdout(), /1 cancelled \(started, then stopped; their run\.json says so\)/);
  });
});

describe("cancelling all of an owner's training (the extension's deactivate)", () => {
  const REASON = 'VS Code closed the extension (deactivate)';

  test('every tracked sweep is cancelled and waited for: its runs say cancelled, with the reason', async () => {
    const training = new RunningTraining();
    const out = path.join(tmp, 'deactivate');
    const stepping = new Set<string>();
    const pids: number[] = [];
    const onProgress = (e: JobEvent): void => {
      if (e.type === 'spawn') {
        started.add(e.pid);
        pids.push(e.pid);
      }
      if (e.type === 'step') stepping.add(e.name);
    };
    const sweeps = ['a', 'b'].map((name) => {
      const controller = new AbortController();
      return training.track(controller, runSweep([tinyJob(name, out, { tokens: 1e9 })], { signal: controller.signal, onProgress }));
    });
    await waitFor(() => stepping.size === 2, 'two sweeps training');
    assert.equal(training.size, 2);

    assert.deepEqual(await training.cancelAll(REASON, 60000), { ended: 2, stillRunning: 0 });
    assert.equal(training.size, 0);
    for (const sweep of sweeps) assert.equal((await sweep)[0].status, 'cancelled');
    for (const pid of pids) assert.equal(isAlive(pid), false);
    for (const name of ['a', 'b']) {
      const manifest = readJson(path.join(out, name, 'run.json'))!;
      assert.equal(manifest.status, 'cancelled');
      assert.equal(manifest.cancelReason, REASON);
      assert.equal(existsSync(path.join(out, name, LOCK_FILE)), false);
    }
    assert.deepEqual(await training.cancelAll(REASON, 10), { ended: 0, stillRunning: 0 });
  });

  test('the wait is bounded: a child that cannot stop is reported still running, and closed once killed', async () => {
    const training = new RunningTraining();
    const out = path.join(tmp, 'deactivate-frozen');
    const controller = new AbortController();
    let pid = -1;
    let steps = 0;
    const sweep = training.track(
      controller,
      // A grace period longer than the wait: the engine does not kill it first.
      runSweep([tinyJob('frozen', out, { tokens: 1e9 })], {
        signal: controller.signal,
        graceMs: 10 * 60 * 1000,
        onProgress: (e) => {
          if (e.type === 'spawn') started.add((pid = e.pid));
          if (e.type === 'step') steps++;
        },
      }),
    );
    await waitFor(() => steps > 0, 'a training step');
    process.kill(pid, 'SIGSTOP');
    assert.deepEqual(await training.cancelAll(REASON, 100), { ended: 0, stillRunning: 1 });
    process.kill(pid, 'SIGKILL');
    const [outcome] = await sweep;
    assert.equal(outcome.status, 'cancelled');
    const manifest = readJson(path.join(out, 'frozen', 'run.json'))!;
    assert.equal(manifest.status, 'cancelled', 'closed by the engine for the killed child');
    assert.equal(manifest.cancelReason, `${REASON}; the trainer exited (SIGKILL) before saying so`);
    assert.equal(existsSync(path.join(out, 'frozen', LOCK_FILE)), false, "the dead child's lock is removed");
  });
});

describe('one writer per run folder', () => {
  test('a second trainer on a folder being written refuses, naming the folder and the holder; the first completes', async () => {
    const out = path.join(tmp, 'two-writers');
    const runDir = path.join(out, 'shared');
    let first = -1;
    // Frozen as soon as it holds the folder (the lock is taken before its 'start' event), so the
    // second trainer surely finds it writing.
    const firstRun = runJob(tinyJob('shared', out, { tokens: 4 * 32 * 300 }), {
      onEvent: (e: JobEvent) => {
        if (e.type === 'spawn') started.add((first = e.pid));
        if (e.type === 'start') process.kill(first, 'SIGSTOP');
      },
    });
    try {
      await waitFor(() => readLock(path.join(runDir, LOCK_FILE))?.pid === first, 'the first trainer to hold the folder');
      const second = await cli('train', '--size', '1x32', '--tokens', '2k', '--name', 'shared', '--corpus', corpus, '--out', out, ...SMALL);
      assert.equal(second.code, 1);
      assert.ok(
        second.err.some((l) => l.startsWith(`failed: shared: the run folder ${runDir} is being written by another trainer (pid ${first} on ${os.hostname()}`)),
        second.err.join('\n'),
      );
      assert.equal(readLock(path.join(runDir, LOCK_FILE))?.pid, first, 'the holder keeps its lock');
      assert.equal(statusOf(runDir), 'running', "the refused trainer leaves the first one's run alone");
    } finally {
      process.kill(first, 'SIGCONT');
    }
    const outcome = await firstRun;
    assert.equal(outcome.status, 'complete', outcome.error);
    assert.equal(statusOf(runDir), 'complete');
    // One curve: training steps 1..300 in order, then the final validation; the lock is gone.
    const steps = metricLines(runDir)
      .map((l) => JSON.parse(l) as { split: string; step: number })
      .filter((p) => p.split === 'train')
      .map((p) => p.step);
    assert.deepEqual(steps, Array.from({ length: 300 }, (_, i) => i + 1));
    assert.equal(existsSync(path.join(runDir, LOCK_FILE)), false);
  });

  test('a stale lock (its pid no longer runs) and stale temporary files are taken over and cleaned; nothing else is touched', async () => {
    const out = path.join(tmp, 'stale');
    const runDir = path.join(out, 'stale');
    await mkdir(runDir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    assert.equal(isAlive(dead), false);
    await writeFile(path.join(runDir, LOCK_FILE), JSON.stringify({ pid: dead, hostname: os.hostname(), started: '2020-01-01T00:00:00.000Z' }));
    // What 25 SIGKILLs mid-write left, and look-alikes that are not the trainer's to remove.
    const manifestLike = JSON.stringify({ schemaVersion: 1, name: 'ghost', params: 10, tokens: 10, precision: { weights: 'fp32', activations: 'fp32', kv: 'fp32' }, valLoss: 2 });
    const stale = [`run.json.${dead}.tmp`, `run.lock.${dead}.stale`];
    const kept = [`run.json.${process.pid}.tmp`, 'run.json.tmp', `notes.${dead}.tmp`, `run.json.${dead}.tmp.bak`, 'keep.dat'];
    for (const name of [...stale, ...kept]) await writeFile(path.join(runDir, name), manifestLike);
    assert.deepEqual([...stale, ...kept].map(isRunTempFile), [true, true, true, false, false, false, false]);

    // A scan while the temporary files are there reads none of them as a run.
    const during = await scan([out]);
    assert.equal(during.runs.length, 0, JSON.stringify(during.runs.map((r) => r.sources)));

    const notes: string[] = [];
    const outcome = await runJob(tinyJob('stale', out), { onEvent: (e) => e.type === 'note' && notes.push(e.message) });
    assert.equal(outcome.status, 'complete', outcome.error);
    assert.deepEqual(notes, [`took over ${path.join(runDir, LOCK_FILE)}: its holder (pid ${dead} on ${os.hostname()}, since 2020-01-01T00:00:00.000Z) no longer runs`]);
    // The live process's temporary file is kept (it may be writing it); the rest as they were.
    assert.deepEqual(readdirSync(runDir).sort(), ['metrics.jsonl', 'run.json', ...kept].sort());
    for (const name of kept) assert.equal(await readFile(path.join(runDir, name), 'utf8'), manifestLike);
    const afterRun = await scan([out]);
    assert.deepEqual(
      afterRun.runs.map((r) => r.name),
      ['stale'],
    );
  });

  test('the lock itself: exclusive, released only by its holder, refused when unreadable', async () => {
    const dir = path.join(tmp, 'lock');
    await mkdir(dir);
    const held = acquireRunLock(dir);
    assert.deepEqual(readLock(path.join(dir, LOCK_FILE)), held.holder);
    assert.equal(held.holder.pid, process.pid);
    // The holder is alive (this process): refused, with the folder and the pid.
    assert.throws(() => acquireRunLock(dir), (e: Error) => e instanceof RunLockedError && e.message.includes(dir) && e.message.includes(`pid ${process.pid}`));
    held.release();
    assert.equal(existsSync(path.join(dir, LOCK_FILE)), false);
    held.release(); // twice: nothing
    // Another host's lock cannot be checked from here: refused, saying how to clear it.
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, hostname: 'elsewhere.example', started: '' }));
    assert.throws(() => acquireRunLock(dir), /pid 1 on elsewhere\.example\), which cannot be checked from .*; if no trainer writes there, delete /);
    // A half-written lock: refused rather than guessed at.
    await writeFile(path.join(dir, LOCK_FILE), '{"pid": 12');
    assert.throws(() => acquireRunLock(dir), /has a run\.lock that is not a readable lock/);
    // A lock released after another writer took it over is not removed by the old holder.
    await rm(path.join(dir, LOCK_FILE));
    const mine = acquireRunLock(dir);
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, hostname: os.hostname(), started: 'later' }));
    mine.release();
    assert.equal(readLock(path.join(dir, LOCK_FILE))?.started, 'later');
  });

  test('a lock whose pid now belongs to another process (a reused pid) is stale and taken over', { skip: process.platform !== 'linux' && 'process start times come from /proc' }, async () => {
    const dir = path.join(tmp, 'lock-reused');
    await mkdir(dir);
    const held = acquireRunLock(dir);
    // The lock records when its holder started; this process is alive and started then: refused.
    assert.match(held.holder.processStart ?? '', /^\d+$/);
    assert.throws(() => acquireRunLock(dir), RunLockedError);
    held.release();
    // The same live pid with another start time is another process that got the dead holder's pid.
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, hostname: os.hostname(), started: '2026-01-01T00:00:00.000Z', processStart: '1' }));
    const taken = acquireRunLock(dir);
    assert.match(taken.note ?? '', new RegExp(`took over .*pid ${process.pid} on .*no longer runs`));
    assert.equal(readLock(path.join(dir, LOCK_FILE))?.processStart, held.holder.processStart);
    taken.release();
  });

  test('a sweep with 2x32,2X32 (and other spellings of one setting) makes one job per setting, with a note', async () => {
    const grid = gridFromArgs({ sizes: '2x32,2X32, 2x32 ', tokens: '20k,20000,2e4', precisions: 'fp32,FP32,int8,W8A8KV8', seeds: '1,1', out: path.join(tmp, 'dup') });
    assert.deepEqual(
      expandGrid(grid).map((j) => j.name),
      ['L2W32-D20k-fp32', 'L2W32-D20k-w8a8kv8'],
    );
    assert.deepEqual(grid.notes, [
      'size "2X32" is the same as "2x32": trained once',
      'size "2x32" is given more than once: trained once',
      'token budget 20000 is given more than once: trained once',
      'token budget 20000 is given more than once: trained once',
      'precision "FP32" is the same as "fp32": trained once',
      'precision "W8A8KV8" is the same as "int8": trained once',
      'seed 1 is given more than once: trained once',
    ]);
    // A grid built in code goes through the same rule.
    assert.equal(expandGrid({ outDir: 'o', sizes: ['2x32', '2X32', { depth: 2, width: 32 }], tokens: [1e6], precisions: ['fp32'] }).length, 1);
    assert.deepEqual(dedupeGrid({ outDir: 'o', sizes: ['4x64'], tokens: [1e6], precisions: ['fp32'] }).notes, []);

    const r = await cli('sweep', '--sizes', '2x32,2X32', '--tokens', '20k', '--precisions', 'fp32', '--corpus', corpus, '--out', path.join(tmp, 'dup'), '--parallel', '2', '--dry-run', ...SMALL);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.deepEqual(r.err, ['note: size "2X32" is the same as "2x32": trained once']);
    assert.match(r.out[0], /^1 run\(s\) in /);
  });

  test('jobs whose run folders collide (ignoring case) are refused before anything runs', async () => {
    const out = path.join(tmp, 'collide');
    // 1,000,000 and 1,001,000 tokens are two settings, one name ("D1M").
    assert.throws(() => gridFromArgs({ sizes: '2x32', tokens: '1000000,1001000', precisions: 'fp32', out }), (e: Error) => e.message.includes('runs "L2W32-D1M-fp32" and "L2W32-D1M-fp32" would both write the folder') && e.message.includes(path.join(out, 'L2W32-D1M-fp32')));
    const r = await cli('sweep', '--sizes', '2x32', '--tokens', '1000000,1001000', '--precisions', 'fp32', '--out', out);
    assert.equal(r.code, 2);
    assert.match(r.err[0], /^precision-planner sweep: runs "L2W32-D1M-fp32" and "L2W32-D1M-fp32" would both write the folder /);
    const jobs = [tinyJob('Run', out), tinyJob('run', out)];
    assert.deepEqual(folderCollisions(jobs), [`runs "Run" and "run" would both write the folder ${path.join(out, 'run')} (run folder names must differ when case is ignored)`]);
    assert.deepEqual(jobProblems([tinyJob('Run', out), tinyJob('run', path.join(tmp, 'elsewhere'))]), []);
    await assert.rejects(runSweep(jobs), /would both write the folder/);
    assert.equal(existsSync(out), false, 'nothing was written');
  });
});

describe('output containment', () => {
  test('run names that are not one folder name are refused, and nothing is written outside --out', async () => {
    for (const [name, reason] of [
      ['../x', /contains a path separator/],
      ['a/b', /contains a path separator/],
      ['a\\b', /contains a path separator/],
      ['..', /is not a folder name/],
      ['.', /is not a folder name/],
      ['nul\0byte', /contains a NUL character/],
      ['C:x', /is an absolute path/],
      ['', /is empty/],
      ['tab\there', /contains a control character/],
      ['x'.repeat(256), /is 256 bytes long/],
    ] as const) {
      assert.match(runNameProblem(name) ?? '', reason, JSON.stringify(name));
    }
    assert.equal(runNameProblem('L2W32-D1M-w4a4kv4'), undefined);
    assert.equal(runNameProblem('run with spaces, ünïcode'), undefined);
    assert.equal(runFolderOf('/o', 'a'), path.resolve('/o', 'a'));
    assert.throws(() => runFolderOf('/o', '../x'), /run name "\.\.\/x" contains a path separator/);

    const parent = path.join(tmp, 'contain');
    const out = path.join(parent, 'out');
    await mkdir(parent);
    const r = await cli('train', '--size', '1x32', '--tokens', '2k', '--name', '../x', '--corpus', corpus, '--out', out, ...SMALL);
    assert.equal(r.code, 2);
    assert.deepEqual(r.err, ['precision-planner train: name "../x" contains a path separator ("/" or "\\"); a run name is one folder name inside the output folder']);
    const s = await cli('sweep', '--sizes', '1x32', '--tokens', '2k', '--precisions', 'fp32', '--name', '/etc', '--out', out);
    assert.equal(s.code, 2);
    assert.match(s.err[0], /name "\/etc" contains a path separator/);
    // The engine refuses too, without starting a child.
    const events: JobEvent[] = [];
    const outcome = await runJob(tinyJob('../x', out), { onEvent: (e) => events.push(e) });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /run name "\.\.\/x" contains a path separator/);
    assert.deepEqual(events, []);
    assert.throws(() => jobFromArgs({ size: '1x32', tokens: '2k', name: '..' }), /^Error: name "\.\." is not a folder name$/);
    assert.deepEqual(readdirSync(parent), [], 'nothing written: not the output folder, not ../x');
  });

  test('a metrics.jsonl linked to a file outside the run folder: the trainer refuses, the file is unchanged', async () => {
    const out = path.join(tmp, 'linked');
    const runDir = path.join(out, 'linked');
    await mkdir(runDir, { recursive: true });
    const outside = path.join(tmp, 'outside.txt');
    const precious = Buffer.from('precious data\n\u0000\u00ff binary too\n', 'latin1');
    await writeFile(outside, precious);
    symlinkSync(outside, path.join(runDir, 'metrics.jsonl'));

    const outcome = await runJob(tinyJob('linked', out));
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error, `the curve ${path.join(runDir, 'metrics.jsonl')} is a symbolic link (to ${outside}); the trainer does not write through links, so remove it or choose another run name`);
    assert.deepEqual(await readFile(outside), precious);
    // Nothing written in the folder either: no manifest, the lock released, the link left as it was.
    assert.deepEqual(readdirSync(runDir), ['metrics.jsonl']);
    assert.ok(lstatSync(path.join(runDir, 'metrics.jsonl')).isSymbolicLink());
  });

  const manifest = {
    name: 'w',
    params: 10,
    embeddingParams: 1,
    tokens: 100,
    tokensPlanned: 100,
    precision: { weights: { bits: 32, type: 'fp' as const }, activations: { bits: 32, type: 'fp' as const }, kv: { bits: 32, type: 'fp' as const } },
    ptq: [],
    seed: 1,
    model: {},
    training: {},
    data: {},
    created: new Date().toISOString(),
  };

  test('a run.json or a run folder that is a link is refused; a hard-linked curve is replaced, not rewritten', async () => {
    const base = path.join(tmp, 'links');
    const outside = path.join(tmp, 'outside-dir');
    await mkdir(outside);
    await mkdir(path.join(base, 'manifest-link'), { recursive: true });
    await writeFile(path.join(outside, 'run.json'), '{"mine": true}\n');
    symlinkSync(path.join(outside, 'run.json'), path.join(base, 'manifest-link', 'run.json'));
    assert.throws(() => new RunWriter(path.join(base, 'manifest-link'), manifest), /^Error: the manifest .*manifest-link\/run\.json is a symbolic link \(to .*outside-dir\/run\.json\)/);
    assert.equal(await readFile(path.join(outside, 'run.json'), 'utf8'), '{"mine": true}\n');
    assert.equal(existsSync(path.join(base, 'manifest-link', LOCK_FILE)), false, 'the lock is released on refusal');

    symlinkSync(outside, path.join(base, 'folder-link'));
    assert.throws(() => new RunWriter(path.join(base, 'folder-link'), manifest), /^Error: the run folder .*folder-link is a symbolic link \(to .*outside-dir\); the trainer writes only into real folders/);
    assert.deepEqual(readdirSync(outside), ['run.json']);

    // A hard link shares the file: truncating it would empty the other name too.
    const hard = path.join(base, 'hard');
    await mkdir(hard);
    await writeFile(path.join(outside, 'curve-backup.jsonl'), '{"step":1}\n');
    linkSync(path.join(outside, 'curve-backup.jsonl'), path.join(hard, 'metrics.jsonl'));
    const writer = new RunWriter(hard, manifest);
    writer.log({ step: 1, split: 'train', loss: 3 });
    writer.update({ status: 'complete' });
    writer.close();
    assert.equal(await readFile(path.join(outside, 'curve-backup.jsonl'), 'utf8'), '{"step":1}\n');
    assert.equal(await readFile(path.join(hard, 'metrics.jsonl'), 'utf8'), '{"step":1,"split":"train","loss":3}\n');
    assert.deepEqual(readdirSync(hard).sort(), ['metrics.jsonl', 'run.json']);
    assert.throws(() => writer.log({ step: 2 }), /is closed/);

    // A link planted at the manifest's temporary name is replaced, never written through.
    const target = path.join(outside, 'planted.txt');
    await writeFile(target, 'planted\n');
    const file = path.join(hard, 'x.json');
    symlinkSync(target, `${file}.${process.pid}.tmp`);
    writeJsonAtomic(file, { a: 1 });
    assert.equal(await readFile(target, 'utf8'), 'planted\n');
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { a: 1 });
    assert.equal(existsSync(`${file}.${process.pid}.tmp`), false);
  });
});
