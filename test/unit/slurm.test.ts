// The Slurm executor on a real Slurm: Debian's slurm-wlm as a one-node cluster on this machine
// (test/slurm/cluster.sh, started here and stopped at the end; installed by `npm test`). Every
// wait is on a state Slurm or a run folder reports, never on a fixed time.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTinyCorpus } from '../support/corpus';
import { after, before, describe, it } from 'node:test';
import { cliLines } from '../support/cli';
import { scan } from '../../src/runs/discover';
import { isComplete } from '../../src/runs/run';
import { JOBS_FOLDER, runSlurmSweep } from '../../src/sweep/slurmExecutor';
import { readPlannedRun, writePlannedRun } from '../../src/sweep/plannedRun';
import { expandGrid } from '../../src/train/grid';
import type { SweepEvent } from '../../src/train/engine';

const CLUSTER = path.join(__dirname, '..', 'slurm', 'cluster.sh');
let tmp: string;
let corpus: string;

before(async () => {
  execFileSync('bash', [CLUSTER, 'start'], { stdio: 'inherit' });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-slurm-'));
  corpus = path.join(tmp, 'corpus');
  writeTinyCorpus(corpus);
});
after(async () => {
  // Nothing of these tests left in the queue, whatever failed.
  try {
    execFileSync('scancel', ['--name=pp-slurm-test']);
  } catch {
    // No such jobs.
  }
  execFileSync('bash', [CLUSTER, 'stop'], { stdio: 'inherit' });
  await rm(tmp, { recursive: true, force: true });
});

const cli = cliLines;

const SMALL = ['--context', '32', '--batch', '4', '--eval-tokens', '1k', '--ptq-bits', '8,4', '--ptq-groups', 'channel', '--ptq-formats', 'none', '--gptq-bits', 'none', '--probe-norms', 'none'];
const SLURM = ['--executor', 'slurm', '--poll', '0.5', '--name', 'slurm-test'];

/** The array's tasks squeue still lists as queued or running. */
const activeTasks = (arrayId: string): string[] =>
  execFileSync('squeue', ['-h', '-r', '-j', arrayId, '-t', 'PENDING,RUNNING,CONFIGURING,COMPLETING', '-o', '%i'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

/** Each run's job state in its planned-run.json, in folder order. */
const readPlannedRunStates = (out: string): string[] =>
  readdirSync(out)
    .sort()
    .flatMap((name) => readPlannedRun(path.join(out, name))?.job.state ?? []);

/** The states `jobs DIR --json` reports. */
async function jobsStates(out: string): Promise<string[]> {
  const r = await cli('jobs', out, '--json');
  return (JSON.parse(r.out.join('\n')).jobs as { state: string }[]).map((j) => j.state);
}

/** Polls `check` (a state Slurm or a file reports) until it holds, for at most 60 s. */
async function waitFor(check: () => boolean | Promise<boolean>): Promise<boolean> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return check();
}

describe('slurm executor on a one-node cluster', () => {
  it('a sweep of the built-in trainer runs as one job array, is followed to the end, read back and fitted; the same sweep again submits only what is missing', async () => {
    const out = path.join(tmp, 'builtin');
    const grid = ['--sizes', '1x32,2x32', '--tokens', '20k,40k', '--precisions', 'fp32', '--corpus', corpus, '--out', out, ...SMALL];
    const first = await cli('sweep', ...grid, ...SLURM, '--parallel', '2', '--time', '10', '--cpus', '1');
    assert.equal(first.code, 0, [...first.out, ...first.err].join('\n'));
    const submitted = first.out.find((l) => l.startsWith('submitted as Slurm job array '));
    assert.ok(submitted, first.out.join('\n'));
    const arrayId = /array (\d+)/.exec(submitted)![1];
    assert.equal(first.out.at(-1), '4 complete, 0 already complete, 0 cancelled, 0 not started, 0 failed');
    // Progress came from the runs' own metrics.jsonl, and the job states from squeue.
    assert.ok(first.out.some((l) => / step \d+\/\d+ /.test(l)), first.out.join('\n'));
    assert.ok(first.out.some((l) => l.includes(`Slurm job ${arrayId}_0: running`)), first.out.join('\n'));
    // The script is beside the runs, one array with the exact command of each run.
    const scripts = readdirSync(path.join(out, JOBS_FOLDER)).filter((f) => f.endsWith('.sbatch'));
    assert.equal(scripts.length, 1);
    const script = readFileSync(path.join(out, JOBS_FOLDER, scripts[0]), 'utf8');
    assert.match(script, /^#SBATCH --time=10$/m);
    assert.match(script, /^#SBATCH --cpus-per-task=1$/m);
    assert.equal((script.match(/^ {2}\d\) # /gm) ?? []).length, 4);
    assert.match(script, /^ {4}exec node .*\/slurm-jobs\/L2W32-D40k-fp32\.job\.json ;;$/m);
    const plan = readPlannedRun(path.join(out, 'L2W32-D40k-fp32'))!;
    assert.equal(plan.job.state, 'complete');
    assert.match(plan.job.id!, new RegExp(`^${arrayId}_\\d$`));
    assert.equal(plan.params, JSON.parse(readFileSync(path.join(out, 'L2W32-D40k-fp32', 'run.json'), 'utf8')).params);

    // Again, with one more budget: only the two new runs are submitted.
    const again = await cli('sweep', ...grid.map((a) => (a === '20k,40k' ? '20k,40k,30k' : a)), ...SLURM);
    assert.equal(again.code, 0, [...again.out, ...again.err].join('\n'));
    assert.equal(again.out.at(-1), '2 complete, 4 already complete, 0 cancelled, 0 not started, 0 failed');
    const secondScript = readdirSync(path.join(out, JOBS_FOLDER)).filter((f) => f.endsWith('.sbatch') && f !== scripts[0]);
    assert.equal(secondScript.length, 1);
    assert.equal((readFileSync(path.join(out, JOBS_FOLDER, secondScript[0]), 'utf8').match(/^ {2}\d\) # /gm) ?? []).length, 2);

    // Read back: six complete runs (the job folder is never read as runs), and fitted.
    const scanned = await scan([out]);
    assert.deepEqual(scanned.runs.map((r) => r.name).sort(), ['L1W32-D20k-fp32', 'L1W32-D30k-fp32', 'L1W32-D40k-fp32', 'L2W32-D20k-fp32', 'L2W32-D30k-fp32', 'L2W32-D40k-fp32']);
    assert.ok(scanned.runs.every(isComplete));
    const fit = await cli('fit', out, '--json', '--bootstrap', '0');
    assert.equal(fit.code, 0, fit.err.join('\n'));
    const fitted = JSON.parse(fit.out.join('\n'));
    assert.equal(fitted.ok, true);
    assert.match(fitted.message, /on 6 runs/);
  });

  it("a user's own trainer (a command template) writes a Lightning metrics.csv into {out}; the readers read it back with N, D and precision from the sweep's plan", async () => {
    const out = path.join(tmp, 'user trainer');
    const trainer = path.join(tmp, 'my train.py');
    // A stand-in for a PyTorch trainer with Lightning's CSVLogger: a loss that falls with tokens.
    await writeFile(
      trainer,
      [
        'import argparse, os',
        'p = argparse.ArgumentParser()',
        "for a in ['--n_layer', '--n_embd', '--max_tokens', '--precision', '--out_dir', '--seed']: p.add_argument(a)",
        'a = p.parse_args()',
        "d = os.path.join(a.out_dir, 'lightning_logs', 'version_0')",
        'os.makedirs(d, exist_ok=True)',
        "with open(os.path.join(d, 'hparams.yaml'), 'w') as f: f.write('lr: 0.001\\n')",
        "with open(os.path.join(d, 'metrics.csv'), 'w') as f:",
        "    f.write('epoch,step,train_loss,val_loss\\n')",
        '    for s in range(1, 11): f.write(f"0,{s * 10},{4 - s * 0.1 - int(a.n_embd) / 1000},\\n")',
        '    f.write(f"0,100,,{3 - int(a.max_tokens) / 1e6 - int(a.n_embd) / 1000}\\n")',
        "print('trained', a.n_layer, a.n_embd, a.max_tokens, a.precision)",
      ].join('\n'),
    );
    const template = `python3 ${JSON.stringify(trainer)} --n_layer {layers} --n_embd {width} --max_tokens {tokens} --precision {precision} --out_dir {out} --seed {seed}`;
    const r = await cli('sweep', '--sizes', '1x32,2x64', '--tokens', '20k', '--precisions', 'fp32', '--out', out, ...SLURM, '--command', template);
    assert.equal(r.code, 0, [...r.out, ...r.err].join('\n'));
    assert.equal(r.out.at(-1), '2 complete, 0 already complete, 0 cancelled, 0 not started, 0 failed');
    const plan = readPlannedRun(path.join(out, 'L2W64-D20k-fp32'))!;
    assert.equal(plan.trainer, 'command');
    // The values are quoted: the folder name with a space stays one word.
    assert.match(plan.command, /--out_dir '[^']*user trainer\/L2W64-D20k-fp32'/);
    assert.match(readFileSync(plan.job.log!, 'utf8'), /trained 2 64 20000 fp32/);
    const scanned = await scan([out]);
    const run = scanned.runs.find((x) => x.name.includes('L2W64') || x.file.includes('L2W64'));
    assert.ok(run, JSON.stringify(scanned.runs.map((x) => x.name)));
    assert.ok(isComplete(run), JSON.stringify(run));
    assert.equal(run.params, plan.params);
    assert.equal(run.tokens, 20_000);
    assert.ok(Math.abs(run.finalLoss - (3 - 0.02 - 0.064)) < 1e-9);
  });

  it('cancelling a running sweep scancels its array: no job left in squeue, every run marked in its folder', async () => {
    const out = path.join(tmp, 'cancel');
    const jobs = expandGrid({ outDir: out, sizes: ['2x64'], tokens: [4_000_000, 3_000_000, 2_000_000], precisions: ['fp32'], common: { corpus: [corpus], model: { context: 32 }, batchSize: 4, evalTokens: 1000, ptq: { bits: [], formats: [], gptqBits: [], probeNorms: [] } } });
    const controller = new AbortController();
    const events: SweepEvent[] = [];
    let arrayId = '';
    const result = await runSlurmSweep(jobs, {
      trainer: { kind: 'built-in' },
      cwd: tmp,
      sweepName: 'slurm-test',
      parallel: 1,
      pollMs: 300,
      signal: controller.signal,
      onSubmitted: (id) => (arrayId = id),
      onProgress: (e) => {
        events.push(e);
        // Cancel once the first run is training (its metrics.jsonl has steps), the others queued.
        if (e.type === 'step' && !controller.signal.aborted) controller.abort('Ctrl+C in the test');
      },
    });
    assert.ok(arrayId);
    assert.deepEqual(activeTasks(arrayId), []);
    const byName = new Map(result.outcomes.map((o) => [o.name, o]));
    const running = jobs[0].name;
    assert.equal(byName.get(running)!.status, 'cancelled', JSON.stringify(result.outcomes));
    const manifest = JSON.parse(readFileSync(path.join(out, running, 'run.json'), 'utf8'));
    assert.equal(manifest.status, 'cancelled');
    assert.ok(!existsSync(path.join(out, running, 'run.lock')));
    for (const job of jobs) {
      const plan = readPlannedRun(path.join(out, job.name))!;
      assert.equal(plan.job.state, 'cancelled', job.name);
      assert.match(plan.job.reason!, /scancel by the sweep: Ctrl\+C in the test/);
    }
    for (const job of jobs.slice(1)) assert.equal(byName.get(job.name)!.status, 'not-started', job.name);
  });

  it('--detach returns once submitted; jobs DIR reports the states and writes them back; jobs DIR --cancel cancels and waits for the end', async () => {
    const out = path.join(tmp, 'detached');
    const r = await cli('sweep', '--sizes', '1x32', '--tokens', '20k,30k', '--precisions', 'fp32', '--out', out, ...SLURM, '--parallel', '1', '--detach', '--command', 'echo started {name}; sleep 300');
    assert.equal(r.code, 0, [...r.out, ...r.err].join('\n'));
    assert.match(r.out.join('\n'), /2 queued \(not followed: precision-planner jobs DIR reports them\)/);
    const arrayId = /array (\d+)/.exec(r.out.find((l) => l.startsWith('submitted as Slurm job array '))!)![1];
    assert.equal(activeTasks(arrayId).length, 2);
    // Wait on Slurm's own state: the first task running, the second held back by the %1 limit.
    let states: string[] = [];
    assert.ok(await waitFor(async () => (states = await jobsStates(out)).includes('running')), states.join(', '));
    assert.deepEqual([...states].sort(), ['pending', 'running']);
    assert.deepEqual(readPlannedRunStates(out).sort(), ['pending', 'running'], 'jobs writes the states back to planned-run.json');
    const cancelled = await cli('jobs', out, '--cancel');
    assert.equal(cancelled.code, 0, [...cancelled.out, ...cancelled.err].join('\n'));
    assert.deepEqual(activeTasks(arrayId), []);
    assert.deepEqual(readPlannedRunStates(out), ['cancelled', 'cancelled']);
    assert.match(cancelled.out.join('\n'), /cancelled \(scancel by the sweep: precision-planner jobs --cancel\)/);
  });

  it('relaunching submits again a run whose plan says queued but squeue no longer lists (its follower went away long ago)', async () => {
    const out = path.join(tmp, 'stale');
    const template = 'echo trained {name} > {out}/done.txt';
    const first = await cli('sweep', '--sizes', '1x32', '--tokens', '20k', '--precisions', 'fp32', '--out', out, ...SLURM, '--command', template);
    assert.equal(first.code, 0, [...first.out, ...first.err].join('\n'));
    // A plan left saying "pending" by a launch whose job the controller has long forgotten.
    const runDir = path.join(out, 'L1W32-D20k-fp32');
    const plan = readPlannedRun(runDir)!;
    writePlannedRun(runDir, { ...plan, job: { ...plan.job, state: 'pending', id: '999999_0' } });
    const again = await cli('sweep', '--sizes', '1x32', '--tokens', '20k', '--precisions', 'fp32', '--out', out, ...SLURM, '--command', template, '--rerun');
    assert.equal(again.code, 0, [...again.out, ...again.err].join('\n'));
    assert.ok(again.out.some((l) => l.startsWith('submitted as Slurm job array ')), again.out.join('\n'));
    assert.notEqual(readPlannedRun(runDir)!.job.id, '999999_0');
    assert.equal(readPlannedRun(runDir)!.job.state, 'complete');
  });

  it("a job that fails is reported with Slurm's reason and its log's last lines; a time limit is a failure for that reason", async () => {
    const out = path.join(tmp, 'failing');
    const r = await cli('sweep', '--sizes', '1x32', '--tokens', '20k', '--precisions', 'fp32', '--out', out, ...SLURM, '--command', 'echo "Traceback: CUDA out of memory in {name}" >&2; exit 3');
    assert.equal(r.code, 1);
    const failure = r.err.find((l) => l.startsWith('failed: L1W32-D20k-fp32: '));
    assert.ok(failure, r.err.join('\n'));
    assert.match(failure, /FAILED, NonZeroExitCode, exit 3/);
    assert.match(failure, /Traceback: CUDA out of memory in L1W32-D20k-fp32/);
    const plan = readPlannedRun(path.join(out, 'L1W32-D20k-fp32'))!;
    assert.equal(plan.job.state, 'failed');
    assert.equal(plan.job.executorState, 'FAILED');
    assert.match(plan.job.logTail!, /Traceback/);

    const slow = path.join(tmp, 'timeout');
    const t = await cli('sweep', '--sizes', '1x32', '--tokens', '20k', '--precisions', 'fp32', '--out', slow, ...SLURM, '--time', '1', '--command', 'echo started; sleep 600');
    assert.equal(t.code, 1);
    assert.match(t.err.join('\n'), /time limit reached \(TIMEOUT/);
    assert.equal(readPlannedRun(path.join(slow, 'L1W32-D20k-fp32'))!.job.executorState, 'TIMEOUT');
  });

  it('a job over its memory is reported out of memory (OUT_OF_MEMORY), where the cluster enforces memory limits', async (t) => {
    if (!existsSync(path.join(process.env.SLURM_TEST_DIR ?? '/tmp/precision-planner-slurm', 'enforces-memory'))) return t.skip('this machine has no cgroup v1 memory controller: the test cluster enforces no memory limit');
    const out = path.join(tmp, 'oom');
    const r = await cli('sweep', '--sizes', '1x32', '--tokens', '20k', '--precisions', 'fp32', '--out', out, ...SLURM, '--mem', '100M', '--command', `python3 -c "x = bytearray(600 * 1024 * 1024)"`);
    assert.equal(r.code, 1);
    assert.match(r.err.join('\n'), /failed: L1W32-D20k-fp32: Slurm job \d+_0: out of memory \(OUT_OF_MEMORY, OutOfMemory/);
    const plan = readPlannedRun(path.join(out, 'L1W32-D20k-fp32'))!;
    assert.equal(plan.job.executorState, 'OUT_OF_MEMORY');
    assert.match(plan.job.logTail!, /oom-kill|Killed|MemoryError/);
  });

  it('usage: a bad resource or template is refused before anything is submitted, naming the flag', async () => {
    const out = path.join(tmp, 'usage');
    const r = await cli('sweep', '--sizes', '1x32', '--tokens', '20k', '--precisions', 'fp32', '--out', out, ...SLURM, '--time', 'an hour', '--command', 'train {layerz}');
    assert.equal(r.code, 2);
    assert.match(r.err[0], /--time: "an hour" is not a Slurm time limit/);
    assert.match(r.err[0], /--command: unknown placeholder \{layerz\}/);
    assert.ok(!existsSync(out));
    const local = await cli('sweep', '--sizes', '1x32', '--tokens', '20k', '--precisions', 'fp32', '--out', out, '--partition', 'gpu');
    assert.equal(local.code, 2);
    assert.match(local.err[0], /--partition: only with the slurm executor/);
    const refused = await cli('sweep', '--sizes', '1x32', '--tokens', '20k', '--precisions', 'fp32', '--out', out, ...SLURM, '--partition', 'nosuch', '--command', 'true');
    assert.equal(refused.code, 1);
    assert.match(refused.err.join('\n'), /sbatch: .*(invalid partition|Invalid partition)/i);
  });
});
