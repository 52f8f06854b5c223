// The sweep's planned-run.json read back: the values a user's trainer leaves out of its logs
// (TensorBoard with only a loss curve, Lightning's CSVLogger, a results CSV) come from the plan,
// said as the plan's; a job that is queued, failed or was cancelled shows the executor's reason;
// the plan is never a run of its own but as the stand-in of a folder nothing could be read from.
// Every fixture is written in a temp folder in the shape its tool writes, the plan by the sweep's
// own writer.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import picomatch from 'picomatch';
import { statusText } from '../../src/cli/commands/scan';
import { runTooltipMarkdown } from '../../src/extension/runTooltip';
import { WATCHED_FILES, changeCallsForRescan } from '../../src/extension/scanSchedule';
import { ScanService } from '../../src/extension/scanService';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import { DEFAULT_EXCLUDE, ScanCache, type ScanResult, excludeMatcher, scan } from '../../src/runs/discover';
import { jobText, logTailText } from '../../src/runs/jobText';
import { READERS } from '../../src/runs/readers';
import { jsonRecordReader } from '../../src/runs/readers/jsonRecord';
import { sweepTableReader } from '../../src/runs/readers/sweepTable';
import { type Run, incompleteText, isComplete } from '../../src/runs/run';
import { PLANNED_RUN_FORMAT, planNoteOf } from '../../src/runs/sweepPlan';
import { PLANNED_RUN_FILE, PLANNED_RUN_SCHEMA, type PlannedJob, type PlannedRun, checkPlannedRun, writePlannedRun } from '../../src/sweep/plannedRun';
import { eventBytes, scalarEvent } from '../support/tensorboardEvents';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const INT4 = { bits: 4, type: 'int' as const };

/** A plan as the sweep writes it for one run of a user's training command on Slurm. */
function plan(name: string, job: PlannedJob, over: Partial<PlannedRun> = {}): PlannedRun {
  return {
    schema: PLANNED_RUN_SCHEMA,
    name,
    sweep: 'sweep-1201',
    params: 21_000_000,
    tokens: 420_000_000,
    precision: { name: 'int4', weights: INT4, activations: INT4, kv: INT4 },
    model: { layers: 4, width: 256, heads: 4, vocabSize: 50257, context: 1024 },
    seed: 1,
    trainer: 'command',
    command: `python train.py --out /scratch/sweep-1201/${name} --params 21000000 --tokens 420000000 --precision int4`,
    job,
    created: '2026-12-01T10:00:00.000Z',
    ...over,
  };
}

const done = (id: string): PlannedJob => ({ state: 'complete', executor: 'slurm', id, executorState: 'COMPLETED', exitCode: '0:0' });
const running = (id: string): PlannedJob => ({ state: 'running', executor: 'slurm', id, executorState: 'RUNNING' });
const OOM_TAIL = [
  'step 1200 | loss 3.912 | 41.2k tok/s',
  '\u001b[31mtorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\u001b[0m',
  'srun: error: gpu-node-07: task 0: Out Of Memory',
  'slurmstepd: error: Detected 1 oom_kill event in StepId=12.3. Some of the step tasks have been OOM Killed.',
  '',
].join('\n');
const oom = (id: string): PlannedJob => ({ state: 'failed', executor: 'slurm', id, executorState: 'OUT_OF_MEMORY', exitCode: '0:9', log: `/scratch/sweep-1201/slurm-${id}.out`, logTail: OOM_TAIL });
const OOM_SAYS = 'Slurm job 12_3 failed: OUT_OF_MEMORY, exit 0:9; log: …torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB / srun: error: gpu-node-07: task 0: Out Of Memory / slurmstepd: error: Detected 1 oom_kill event in StepId=12.3. Some of the step tasks have been OOM Killed.';

/** torch's SummaryWriter(log_dir=f"{out}/tb") of a loop that logs only add_scalar("loss", …). */
function writeTensorBoard(out: string, tag = 'loss'): string {
  const dir = path.join(out, 'tb');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'events.out.tfevents.1733047200.gpu-node-07.48213.0');
  writeFileSync(file, eventBytes([100, 200, 300, 400].map((step, i) => scalarEvent(step, tag, 4.5 - 0.25 * i, 1733047200 + 60 * (i + 1)))));
  return file;
}

/** Lightning's CSVLogger: hparams.yaml of the module's save_hyperparameters(), metrics.csv with sorted columns and CRLF rows. */
function writeLightning(out: string, rows = ['0,49,3.61,', '0,99,3.42,', '0,99,,3.47', '1,149,3.30,', '1,199,3.21,', '1,199,,3.26']): string {
  const dir = path.join(out, 'lightning_logs', 'version_0');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'hparams.yaml'), 'lr: 0.0006\nbatch_size: 32\nwarmup_steps: 100\n');
  const file = path.join(dir, 'metrics.csv');
  writeFileSync(file, ['epoch,step,train_loss,val_loss', ...rows].map((r) => `${r}\r\n`).join(''));
  return file;
}

/** The line of a key in the plan as written (the writer's two-space JSON). */
const lineOfKey = (dir: string, key: string): number => readFileSync(path.join(dir, PLANNED_RUN_FILE), 'utf8').split('\n').findIndex((l) => l.startsWith(`  "${key}":`)) + 1;

const byFormat = (result: ScanResult, format: string): Run[] => result.runs.filter((r) => r.format === format);
function only<T>(items: T[]): T {
  assert.equal(items.length, 1, JSON.stringify(items, (key, value: unknown) => (key === 'curve' ? undefined : value)));
  return items[0];
}

let tmp: string;
before(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'pp-planned-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh sweep folder; `runs` are the run folders made in it, each with the given plan. */
function sweep(runs: Record<string, PlannedJob>): { root: string; out: (name: string) => string } {
  const root = mkdtempSync(path.join(tmp, 'sweep-'));
  for (const [name, job] of Object.entries(runs)) {
    mkdirSync(path.join(root, name), { recursive: true });
    writePlannedRun(path.join(root, name), plan(name, job));
  }
  return { root, out: (name) => path.join(root, name) };
}

describe('a run read under its sweep plan: values its logs leave out come from the plan', () => {
  it('a TensorBoard curve with only a loss scalar takes N, D and the precision from the plan, each sourced to its line as planned', async () => {
    const { root, out } = sweep({ r1: done('12_1') });
    const events = writeTensorBoard(out('r1'));
    const result = await scan([root]);
    const run = only(byFormat(result, 'tensorboard'));
    assert.equal(run.file, events);
    assert.equal(run.params, 21_000_000);
    assert.equal(run.tokens, 420_000_000);
    assert.deepEqual(run.precision, { w: { ...INT4, name: 'int4' }, a: { ...INT4, name: 'int4' }, kv: { ...INT4, name: 'int4' } });
    const planFile = path.join(out('r1'), PLANNED_RUN_FILE);
    for (const field of ['params', 'tokens', 'precision'] as const) {
      assert.deepEqual(run.sources[field], { file: planFile, line: lineOfKey(out('r1'), field), field: `${field} (planned by the sweep)` });
    }
    // Its own problem stays its own: a training loss is not a final validation loss.
    assert.deepEqual(run.missing, ['finalLoss']);
    assert.match(run.reasons?.finalLoss ?? '', /no validation loss/);
    assert.equal(run.unfinished, undefined);
    // The reader's "params not found in the event file" is answered by the plan: one note says so instead.
    assert.deepEqual(result.diagnostics.filter((d) => d.file === events && d.code === 'missing-field').map((d) => d.field), ['finalLoss']);
    const note = result.diagnostics.filter((d) => d.code === 'planned');
    assert.equal(note.length, 1);
    assert.equal(note[0].severity, 'info');
    assert.match(note[0].message, /N for 1 run, D for 1, training precision for 1 \(r1\/tb\/events\.out\.tfevents\.1733047200\.gpu-node-07\.48213\.0\)/);
    // No run of the plan's own: the folder's run is the event file's.
    assert.equal(byFormat(result, PLANNED_RUN_FORMAT).length, 0);
    assert.deepEqual(result.plans, { files: 1, read: 1 });
  });

  it('a TensorBoard validation curve of a job that ended well is a complete run', async () => {
    const { root } = sweep({ r1: done('12_1') });
    writeTensorBoard(path.join(root, 'r1'), 'val_loss');
    const run = only((await scan([root])).runs);
    assert.ok(isComplete(run), incompleteText(run));
    assert.equal(run.finalLoss, Math.fround(3.75));
    assert.equal(statusText(run), 'ok');
  });

  it("Lightning's metrics.csv: the planned precision replaces Lightning's 32-true default, and N and D come from the plan", async () => {
    const { root, out } = sweep({ r2: done('12_2') });
    const csv = writeLightning(out('r2'));
    const result = await scan([root]);
    const run = only(result.runs);
    assert.equal(run.format, 'lightning');
    assert.ok(isComplete(run), incompleteText(run));
    assert.equal(run.precision?.w.bits, 4);
    assert.equal(run.sources.precision?.field, 'precision (planned by the sweep)');
    assert.equal(run.meta?.precisionIsToolDefault, undefined);
    assert.equal(run.finalLoss, 3.26);
    assert.equal(run.sources.finalLoss?.file, csv);
    // "taking Lightning's default precision" no longer holds: it is not said.
    assert.deepEqual(result.diagnostics.filter((d) => d.file === csv), []);
  });

  it("a log that gives N keeps its own: a user's results CSV with its parameter count", async () => {
    const { root, out } = sweep({ r3: done('12_3') });
    const csv = path.join(out('r3'), 'results.csv');
    writeFileSync(csv, 'run,params,val_loss\nL4W256-int4,21345280,3.412\n');
    const run = only((await scan([root])).runs);
    assert.equal(run.format, 'sweep-table');
    assert.equal(run.params, 21_345_280);
    assert.equal(run.sources.params?.file, csv);
    assert.equal(run.tokens, 420_000_000);
    assert.equal(run.sources.tokens?.field, 'tokens (planned by the sweep)');
    assert.ok(isComplete(run), incompleteText(run));
  });

  it('the nearest plan up the tree is the run\'s, and none above the scanned folder', async () => {
    const { root, out } = sweep({ outer: done('12_1') });
    mkdirSync(path.join(out('outer'), 'inner'));
    writePlannedRun(path.join(out('outer'), 'inner'), plan('inner', done('12_2'), { params: 5_000_000 }));
    writeTensorBoard(path.join(out('outer'), 'inner'));
    const run = only((await scan([root])).runs.filter((r) => r.format === 'tensorboard'));
    assert.equal(run.params, 5_000_000);
    // The outer plan has no run under it but its nested one's: it stands for a run of its own.
    assert.equal(only(byFormat(await scan([root]), PLANNED_RUN_FORMAT)).name, 'outer');
    // Scanning the event file's folder alone: the plans are above it, not the scan's.
    const alone = only((await scan([path.join(out('outer'), 'inner', 'tb')])).runs);
    assert.equal(alone.params, undefined);
    assert.equal(planNoteOf(alone), undefined);
  });

  it('a run file named on the command line finds the plan of its run folder', async () => {
    const { out } = sweep({ r1: done('12_1') });
    const events = writeTensorBoard(out('r1'));
    const result = await scan([events]);
    assert.equal(only(result.runs).params, 21_000_000);
  });
});

describe('a run whose job has not ended well', () => {
  it('still running: unfinished, and its D is not the planned D (the reason says what was planned)', async () => {
    const { root, out } = sweep({ r2: running('12_2') });
    writeLightning(out('r2'), ['0,49,3.61,', '0,99,3.42,', '0,99,,3.47']);
    const run = only((await scan([root])).runs);
    assert.equal(run.unfinished, true);
    assert.equal(run.params, 21_000_000);
    assert.equal(run.tokens, undefined);
    assert.deepEqual(run.missing, ['tokens']);
    assert.equal(run.reasons?.tokens, 'the run has not finished; the sweep planned D=420M');
    assert.equal(statusText(run), 'the run has not finished; the sweep planned D=420M; running on Slurm (job 12_2)');
  });

  it('failed: the job\'s words are why it has no final loss, and why it did not finish', async () => {
    const { root, out } = sweep({ r3: oom('12_3') });
    writeTensorBoard(out('r3'));
    const run = only((await scan([root])).runs);
    assert.equal(run.format, 'tensorboard');
    assert.equal(run.unfinished, true);
    assert.deepEqual(run.missing, ['tokens', 'finalLoss']);
    assert.equal(run.reasons?.finalLoss, OOM_SAYS);
    assert.equal(incompleteText(run), OOM_SAYS);
  });

  it('failed after logging validation losses: kept out of the fit as unfinished, the job saying why', async () => {
    const { root, out } = sweep({ r3: oom('12_3') });
    writeTensorBoard(out('r3'), 'val_loss');
    const run = only((await scan([root])).runs);
    assert.equal(run.finalLoss, Math.fround(3.75));
    assert.equal(run.unfinished, true);
    assert.equal(run.reasons?.tokens, 'the run did not finish; the sweep planned D=420M');
    assert.equal(statusText(run), `the run did not finish; the sweep planned D=420M; ${OOM_SAYS}`);
  });

  it('a run.json still "running" (the OOM killer\'s kill -9) whose job failed reads as failed, with the job\'s reason', async () => {
    const { root, out } = sweep({ r4: oom('12_3') });
    cpSync(path.join(FIXTURES, 'precision-planner', 'cancelled'), out('r4'), { recursive: true });
    const manifest = path.join(out('r4'), 'run.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"status": "cancelled"', '"status": "running"'));
    const result = await scan([root]);
    const run = only(result.runs);
    assert.equal(run.format, 'precision-planner');
    assert.equal(run.meta?.status, 'failed');
    assert.equal(run.unfinished, true);
    assert.equal(run.reasons?.finalLoss, OOM_SAYS);
    // run.json gives N, D and the precision: the plan's differ and are not taken.
    assert.equal(run.params, 24736);
    assert.equal(run.sources.params?.file, manifest);
    const said = result.diagnostics.filter((d) => d.file === manifest && d.code === 'unfinished' && d.field === 'status');
    assert.ok(said.some((d) => d.message.includes('read as failed')), JSON.stringify(said));
  });

  it('a run.json that says "complete" stays complete whatever the job did after', async () => {
    const { root, out } = sweep({ r5: oom('12_5') });
    cpSync(path.join(FIXTURES, 'precision-planner', 'complete-w8a8kv8'), out('r5'), { recursive: true });
    const run = only((await scan([root])).runs);
    assert.ok(isComplete(run) && !run.unfinished, incompleteText(run));
  });
});

describe('a plan with no run read under it is one incomplete run, with the job\'s reason', () => {
  const cases: Array<[string, PlannedJob, string]> = [
    ['pending', { state: 'pending', executor: 'slurm', id: '12_3', executorState: 'PENDING', reason: 'Resources' }, 'queued on Slurm (job 12_3, PENDING: Resources)'],
    ['failed', oom('12_3'), OOM_SAYS],
    ['cancelled', { state: 'cancelled', executor: 'slurm', id: '12_3', executorState: 'CANCELLED', reason: 'scancel by the sweep' }, 'cancelled (scancel by the sweep)'],
    ['planned', { state: 'planned', executor: 'slurm' }, 'planned, not submitted'],
  ];
  for (const [state, job, says] of cases) {
    it(`${state}: "${says.slice(0, 60)}"`, async () => {
      const { root, out } = sweep({ [`run-${state}`]: job });
      const result = await scan([root]);
      const run = only(result.runs);
      assert.equal(run.format, PLANNED_RUN_FORMAT);
      assert.equal(run.name, `run-${state}`);
      assert.equal(run.file, path.join(out(`run-${state}`), PLANNED_RUN_FILE));
      assert.equal(run.id, `run-${state}/${PLANNED_RUN_FILE}`);
      assert.equal(run.unfinished, true);
      assert.equal(run.finalLoss, undefined);
      assert.equal(run.reasons?.finalLoss, says);
      assert.equal(incompleteText(run), says);
      assert.equal(statusText(run), says);
      // N and the precision as planned (the Runs view groups it by its size); no D was trained on.
      assert.equal(run.params, 21_000_000);
      assert.equal(run.tokens, undefined);
      assert.equal(planNoteOf(run)?.tokens, 420_000_000);
      assert.deepEqual(result.diagnostics, []);
    });
  }

  it('a job that completed but left nothing readable says so', async () => {
    const { root } = sweep({ r: done('12_9') });
    assert.equal(only((await scan([root])).runs).reasons?.finalLoss, "Slurm job 12_9 completed (exit 0:0), but nothing in the run's folder could be read as a run");
  });
});

describe('planned-run.json is never read as a run by a reader', () => {
  it('no reader takes the name, though it is a .json with params, tokens and precision keys', () => {
    const file = path.join(tmp, 'x', PLANNED_RUN_FILE);
    assert.deepEqual(READERS.filter((r) => r.matches(PLANNED_RUN_FILE, file)).map((r) => r.id), []);
  });

  it('handed anyway to the readers that take any other .json, it is no run of theirs: it holds no loss', async () => {
    const { out } = sweep({ r: done('12_1') });
    const file = path.join(out('r'), PLANNED_RUN_FILE);
    for (const reader of [jsonRecordReader, sweepTableReader]) {
      assert.ok(reader.matches('plan.json', path.join(out('r'), 'plan.json')), `${reader.id} takes other .json files`);
      const read = await reader.read(file, { root: out('r'), aliases: DEFAULT_ALIASES });
      assert.deepEqual(read.runs, [], reader.id);
    }
  });

  it('in a scan it is a plan: beside a run it adds none, and named on the command line it is its run\'s stand-in', async () => {
    const { root, out } = sweep({ r: done('12_1'), s: done('12_2') });
    writeTensorBoard(out('r'), 'val_loss');
    assert.deepEqual((await scan([root])).runs.map((r) => [r.id, r.format]), [
      ['r/tb/events.out.tfevents.1733047200.gpu-node-07.48213.0', 'tensorboard'],
      [`s/${PLANNED_RUN_FILE}`, PLANNED_RUN_FORMAT],
    ]);
    const named = await scan([path.join(out('s'), PLANNED_RUN_FILE)]);
    assert.equal(only(named.runs).format, PLANNED_RUN_FORMAT);
    assert.deepEqual(named.diagnostics, []);
  });
});

describe('a malformed planned-run.json', () => {
  it('is a diagnostic naming the file; the run under it is read without it, and the other plans are used', async () => {
    const { root, out } = sweep({ good: done('12_1') });
    mkdirSync(path.join(root, 'broken'));
    const broken = path.join(root, 'broken', PLANNED_RUN_FILE);
    writeFileSync(broken, '{\n  "schema": "precision-planner/planned-run@1",\n  "name": "broken",\n  "params": 21000000,\n');
    writeTensorBoard(path.join(root, 'broken'), 'val_loss');
    writeTensorBoard(out('good'), 'val_loss');
    const result = await scan([root]);
    const syntax = result.diagnostics.filter((d) => d.file === broken);
    assert.ok(syntax.length > 0 && syntax.every((d) => d.code === 'syntax' && d.severity === 'warning'), JSON.stringify(syntax));
    const runs = byFormat(result, 'tensorboard');
    assert.equal(runs.length, 2);
    assert.equal(runs.find((r) => r.file.includes(`${path.sep}broken${path.sep}`))?.params, undefined);
    assert.equal(runs.find((r) => r.file.includes(`${path.sep}good${path.sep}`))?.params, 21_000_000);
    assert.equal(byFormat(result, PLANNED_RUN_FORMAT).length, 0);
  });

  it('a bad value is named on its line, and what checks out is still used', async () => {
    const { root, out } = sweep({});
    mkdirSync(out('r'));
    writeFileSync(path.join(out('r'), PLANNED_RUN_FILE), `${JSON.stringify({ ...plan('r', oom('12_3')), params: '21M' }, null, 2)}\n`);
    const result = await scan([root]);
    const bad = only(result.diagnostics.filter((d) => d.code === 'bad-value'));
    assert.equal(bad.field, 'params');
    assert.equal(bad.line, lineOfKey(out('r'), 'params'));
    assert.match(bad.message, /params must be a positive finite number, got the string "21M"/);
    const run = only(result.runs);
    assert.equal(run.params, undefined);
    assert.equal(run.precision?.w.bits, 4);
    assert.equal(run.reasons?.finalLoss, OOM_SAYS);
  });

  it('a plan of another schema is not used, and says so', () => {
    const checked = checkPlannedRun({ ...plan('r', done('1')), schema: 'precision-planner/planned-run@2' });
    assert.equal(checked.plan, undefined);
    assert.deepEqual(checked.problems.map((p) => p.code), ['unsupported']);
    assert.deepEqual(checkPlannedRun([]).problems.map((p) => p.code), ['syntax']);
    const noJob = checkPlannedRun({ ...plan('r', done('1')), job: { state: 'BOOT_FAIL', executor: 'slurm' } });
    assert.equal(noJob.plan?.job, undefined);
    assert.equal(noJob.plan?.params, 21_000_000);
    assert.deepEqual(noJob.problems.map((p) => [p.path.join('.'), p.code]), [['job.state', 'bad-value']]);
    // Words the executor does not know yet may be empty or null; an exit code may be a number.
    const early = checkPlannedRun({ ...plan('r', done('1')), job: { state: 'failed', executor: 'local', id: '', reason: null, exitCode: 137 } });
    assert.deepEqual(early.problems, []);
    assert.deepEqual(early.plan?.job, { state: 'failed', executor: 'local', exitCode: '137' });
  });
});

describe('the live read-back: a plan rewritten by its executor is seen by the next scan', () => {
  it('the scan cache rereads the plan alone, and the extension\'s scan service calls the result changed', async () => {
    const { root, out } = sweep({ r: { state: 'pending', executor: 'slurm', id: '12_3', executorState: 'PENDING', reason: 'Priority' } });
    writeTensorBoard(out('r'), 'val_loss');
    const cache = new ScanCache();
    const first = await scan([root], { cache });
    assert.equal(only(first.runs).reasons?.tokens, 'the run has not finished; the sweep planned D=420M');
    const again = await scan([root], { cache });
    assert.equal(again.runs[0], first.runs[0], 'the same run object for an unchanged workspace');
    assert.deepEqual(again.plans, { files: 1, read: 0 });
    writePlannedRun(out('r'), plan('r', done('12_3')));
    // A rewrite within the file system's time resolution still differs in size or mtime.
    utimesSync(path.join(out('r'), PLANNED_RUN_FILE), new Date(), new Date(Date.now() + 5000));
    const later = await scan([root], { cache });
    assert.deepEqual(later.plans, { files: 1, read: 1 });
    assert.equal(later.cached, 1, 'the event file came from the cache');
    assert.ok(isComplete(only(later.runs)), incompleteText(only(later.runs)));

    const service = new ScanService();
    const request = { folders: [root], include: [], exclude: [...DEFAULT_EXCLUDE], aliases: DEFAULT_ALIASES, defaults: [] };
    await service.scan(request);
    assert.equal((await service.scan(request)).unchanged, true);
    writePlannedRun(out('r'), plan('r', oom('12_3')));
    utimesSync(path.join(out('r'), PLANNED_RUN_FILE), new Date(), new Date(Date.now() + 10_000));
    const reply = await service.scan(request);
    assert.equal(reply.unchanged, false);
    assert.equal(only(reply.result.runs).unfinished, true);
  });

  it("the extension's watcher reports planned-run.json changes, and they call for a rescan", () => {
    const root = path.join(path.sep, 'work', 'ws');
    const file = path.join(root, 'sweeps', 'sweep-1201', 'r3', PLANNED_RUN_FILE);
    assert.ok(picomatch(WATCHED_FILES)(path.relative(root, file).split(path.sep).join('/')));
    assert.equal(changeCallsForRescan(file, { folders: [root], excluded: excludeMatcher(), isOutputFolder: () => false }), true);
  });
});

describe('how the plan reads in the Runs view tooltip and the CLI', () => {
  it('the tooltip says what the sweep planned, which values came from it, and where the job is', async () => {
    const { root } = sweep({ r1: done('12_1') });
    writeTensorBoard(path.join(root, 'r1'), 'val_loss');
    const md = runTooltipMarkdown(only((await scan([root])).runs), 'int4');
    assert.match(md, /Planned by the sweep sweep-1201: N 21M, D 420M, training precision int4 \(.*planned-run\.json\)\./);
    assert.match(md, /From the plan, as the run's files do not say them: N \(parameters\), D \(training tokens\), training precision\./);
    assert.match(md, /Sweep job: Slurm job 12_1 completed \(exit 0:0\)\./);
  });

  it("the plan's own run: its reasons say the job once, and nothing is said to come from the plan", async () => {
    const { root } = sweep({ r3: oom('12_3') });
    const md = runTooltipMarkdown(only((await scan([root])).runs), 'int4');
    assert.match(md, /- D \(training tokens\), final validation loss: Slurm job 12_3 failed: OUT_OF_MEMORY, exit 0:9; log: …/);
    assert.match(md, /Planned by the sweep sweep-1201: N 21M, D 420M, training precision int4\.$/);
    assert.doesNotMatch(md, /From the plan/);
    assert.doesNotMatch(md, /Sweep job:/);
  });
});

describe('a job in words', () => {
  it('the executor\'s words, without saying one twice', () => {
    assert.equal(jobText({ state: 'pending', executor: 'local' }), 'queued to run locally');
    assert.equal(jobText({ state: 'pending', executor: 'slurm' }), 'queued on Slurm (job id not known yet)');
    assert.equal(jobText({ state: 'running', executor: 'local' }), 'running locally');
    assert.equal(jobText({ state: 'failed', executor: 'local', id: '4242', exitCode: '1' }), 'local job 4242 failed: exit 1');
    assert.equal(jobText({ state: 'failed', executor: 'slurm', id: '7_1', executorState: 'TIMEOUT', reason: 'timeout' }), 'Slurm job 7_1 failed: TIMEOUT');
    assert.equal(jobText({ state: 'cancelled', executor: 'slurm', id: '7_1', executorState: 'CANCELLED' }), 'cancelled (Slurm job 7_1, CANCELLED)');
    assert.equal(jobText({ state: 'cancelled', executor: 'local' }), 'cancelled');
  });

  it('a log tail: its last lines on one line, colour codes gone, the end kept when long', () => {
    assert.equal(logTailText('\n\n'), undefined);
    assert.equal(logTailText('a\r\nb\n\n\u001b[1mc\u001b[0m\n'), '…a / b / c');
    const long = logTailText(`${'x'.repeat(500)}\nTraceback: the end`);
    assert.ok(long !== undefined && long.length === 241 && long.endsWith('Traceback: the end'), long);
  });
});
