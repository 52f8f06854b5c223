// The pure parts of the Slurm executor: quoting, command templates, the job script, reading
// squeue's output (captured from Slurm 22.05.8, test/fixtures/slurm), the executor's options.
// Quoting is checked by running the result through bash, not by comparing strings.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { placeholderValues, renderCommand, templateProblem } from '../../src/sweep/commandTemplate';
import { readExecutor } from '../../src/sweep/executorOptions';
import { shellQuote, splitWords } from '../../src/sweep/shellQuote';
import { arraySpec, jobScript, resourceProblems, sbatchDirectives } from '../../src/sweep/slurmScript';
import { describeTask, parseSqueueJson, parseSqueueText, taskIndices } from '../../src/sweep/slurmQueue';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'slurm');

/** The words bash sees in `line`: each printed on its own line by printf. */
const wordsBashSees = (line: string): string[] => execFileSync('bash', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' }).split('\0').slice(0, -1);

describe('shell quoting', () => {
  it('every value is one word to bash, whatever it holds', () => {
    const hostile = ["a b", "it's", '$(touch /tmp/pp-pwned)', '`id`', 'x;rm -rf ~', '"q"', '*', '-n', 'tab\there', 'new\nline', ''];
    for (const value of hostile) assert.deepEqual(wordsBashSees(shellQuote(value)), [value], value);
    assert.equal(shellQuote('plain/path-1.2_x'), 'plain/path-1.2_x');
  });

  it('splitWords reads a command-line fragment as a shell would, without expanding anything', () => {
    assert.deepEqual(splitWords(`--qos=high  --constraint='a100|h100' --comment="a b" x\\ y`), ['--qos=high', '--constraint=a100|h100', '--comment=a b', 'x y']);
    assert.deepEqual(splitWords('$HOME'), ['$HOME']);
    assert.throws(() => splitWords(`--comment="open`), /unclosed "/);
  });
});

describe('command templates', () => {
  const job = { name: "L2W64-D1M-fp32", outDir: '/tmp/runs', model: { depth: 2, width: 64 }, tokens: 1_000_000, precision: 'w4a8kv4', seed: 3 };

  it('fills every placeholder with the job\'s values, each quoted', () => {
    const values = placeholderValues(job, "/tmp/my runs/L2W64-D1M-fp32");
    assert.equal(values.layers, 2);
    assert.equal(values.width, 64);
    assert.equal(values.tokens, 1_000_000);
    assert.equal(values.precision, 'w4a8kv4');
    assert.deepEqual([values.wbits, values.abits, values.kvbits], [4, 8, 4]);
    assert.equal(values.seed, 3);
    const line = renderCommand('printf "%s\\n" {name} {out} {layers} {width} {tokens} {precision} {seed}', values);
    assert.equal(execFileSync('bash', ['-c', line], { encoding: 'utf8' }), ['L2W64-D1M-fp32', '/tmp/my runs/L2W64-D1M-fp32', '2', '64', '1000000', 'w4a8kv4', '3', ''].join('\n'));
  });

  it('a hostile run name is one argument, not a command', () => {
    const values = placeholderValues({ ...job, name: 'x";touch /tmp/pp-pwned;"' }, '/tmp/$(id)');
    const line = renderCommand('printf "%s|" {name} {out}', values);
    assert.equal(execFileSync('bash', ['-c', line], { encoding: 'utf8' }), 'x";touch /tmp/pp-pwned;"|/tmp/$(id)|');
  });

  it('an unknown placeholder, a line break or an empty template is refused, naming it', () => {
    assert.match(templateProblem('python train.py --layers {n_layer}')!, /unknown placeholder \{n_layer\}.*known: \{name\} \{out\}/);
    assert.match(templateProblem('python a.py\nrm -rf ~')!, /line break/);
    assert.match(templateProblem('  ')!, /empty/);
    assert.equal(templateProblem('python train.py --out_dir {out}'), undefined);
    assert.throws(() => renderCommand('x {bogus}', placeholderValues(job, '/tmp')), /\{bogus\}/);
  });
});

describe('the job script', () => {
  const runs = [
    { name: 'first', command: `printf '%s' "one:$SLURM_ARRAY_TASK_ID"` },
    { name: 'second run', command: `printf '%s' "two:$SLURM_ARRAY_TASK_ID"` },
  ];
  const script = jobScript(runs, { jobName: 'pp-test', output: '/tmp/pp logs/pp-test-%A_%a.log', resources: { partition: 'gpu', time: '2:00:00', cpus: 4, gpus: 'a100:1', mem: '16G', account: 'lab', extra: ['--qos=high', '--comment=two words'] }, cwd: '/tmp', title: 'a test sweep' });

  it('asks for the resources as #SBATCH lines (double quotes where sbatch would split)', () => {
    const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH'));
    assert.deepEqual(directives, [
      '#SBATCH --job-name=pp-test',
      '#SBATCH --output="/tmp/pp logs/pp-test-%A_%a.log"',
      '#SBATCH --partition=gpu',
      '#SBATCH --account=lab',
      '#SBATCH --time=2:00:00',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --gpus=a100:1',
      '#SBATCH --mem=16G',
      '#SBATCH --qos=high',
      '#SBATCH --comment="two words"',
    ]);
    assert.equal(arraySpec(12, 4), '0-11%4');
    assert.equal(arraySpec(3, undefined), '0-2');
    assert.throws(() => sbatchDirectives({ jobName: 'x', output: '/tmp/a"b/%A.log', resources: {} }), /double quote/);
  });

  it('is valid bash; each array index runs its own command, an unknown one fails', () => {
    execFileSync('bash', ['-n'], { input: script });
    const run = (index: string): string => execFileSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: index } });
    assert.equal(run('0'), 'one:0');
    assert.equal(run('1'), 'two:1');
    assert.throws(() => run('2'), (e: { status?: number; stderr?: Buffer }) => e.status === 2 && /no run for array index 2/.test(String(e.stderr)));
  });

  it('refuses resources Slurm would not take, naming the field', () => {
    assert.deepEqual(resourceProblems({ time: 'an hour', cpus: 0, mem: 'lots', gpus: '1 gpu', partition: 'a b', extra: ['qos=high', '--x\n#SBATCH --y'] }), [
      'slurm.partition: "a b" is not a partition name',
      'slurm.time: "an hour" is not a Slurm time limit (minutes, MM:SS, HH:MM:SS or D-HH:MM:SS)',
      'slurm.gpus: "1 gpu" is not a GPU count or type:count (for example 1 or a100:2)',
      'slurm.mem: "lots" is not a memory size (for example 4G or 16000)',
      'slurm.cpus: 0 is not a positive whole number',
      'slurm.extra: "qos=high" is not one sbatch option (for example --qos=high)',
      'slurm.extra: "--x\\n#SBATCH --y" is not one sbatch option (for example --qos=high)',
    ]);
    for (const time of ['30', '30:00', '2:00:00', '1-12', '1-12:30', '1-12:30:00']) assert.deepEqual(resourceProblems({ time }), [], time);
  });
});

describe("squeue's output", () => {
  it('JSON (Slurm 22.05, which lists every job): the array\'s tasks only, a pending range split into its indices', () => {
    const tasks = parseSqueueJson(readFileSync(path.join(FIXTURES, 'squeue-22.05.8.json'), 'utf8'), ['6']);
    const byIndex = new Map(tasks.map((t) => [t.index, t]));
    assert.deepEqual([...byIndex.keys()].sort(), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(tasks.map((t) => t.arrayId), Array(6).fill('6'));
    assert.deepEqual({ ...byIndex.get(0) }, { arrayId: '6', index: 0, state: 'complete', slurmState: 'COMPLETED', slurmReason: undefined, exitCode: '0' });
    assert.deepEqual({ ...byIndex.get(1) }, { arrayId: '6', index: 1, state: 'failed', slurmState: 'FAILED', slurmReason: 'NonZeroExitCode', exitCode: '3' });
    assert.equal(byIndex.get(2)!.state, 'running');
    assert.equal(byIndex.get(4)!.state, 'pending');
    assert.equal(byIndex.get(5)!.slurmReason, 'Resources');
    assert.equal(describeTask(byIndex.get(1)!), 'failed (FAILED, NonZeroExitCode, exit 3)');
    assert.equal(describeTask(byIndex.get(5)!), 'queued (PENDING, Resources)');
    // A cancelled task's exit is the signal that ended it.
    const cancelled = parseSqueueJson(readFileSync(path.join(FIXTURES, 'squeue-22.05.8.json'), 'utf8'), ['1']).find((t) => t.index === 2)!;
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(cancelled.exitCode, 'signal 15');
  });

  it('text (-h -r -o %i|%T|%r), where squeue has no --json', () => {
    const tasks = parseSqueueText(readFileSync(path.join(FIXTURES, 'squeue-22.05.8.txt'), 'utf8'), ['6']);
    assert.deepEqual(tasks.map((t) => `${t.index}:${t.state}`).sort(), ['0:complete', '1:failed', '2:cancelled', '3:cancelled', '4:cancelled', '5:cancelled']);
    assert.deepEqual(parseSqueueText('7_[3-5%2]|PENDING|JobArrayTaskLimit\n', ['7']).map((t) => t.index), [3, 4, 5]);
  });

  it('array task strings as sbatch writes them', () => {
    assert.deepEqual(taskIndices('4-5%3'), [4, 5]);
    assert.deepEqual(taskIndices('0-6:3'), [0, 3, 6]);
    assert.deepEqual(taskIndices('1,3-4'), [1, 3, 4]);
  });

  it('the end states name why: time limit, memory, node', () => {
    const end = (slurmState: string): string => describeTask({ arrayId: '1', index: 0, state: 'failed', slurmState, exitCode: '0' });
    assert.equal(end('TIMEOUT'), 'time limit reached (TIMEOUT)');
    assert.equal(end('OUT_OF_MEMORY'), 'out of memory (OUT_OF_MEMORY)');
    assert.equal(end('NODE_FAIL'), 'the node failed (NODE_FAIL)');
  });
});

describe('executor options', () => {
  it('reads the executor, resources and trainer, naming each bad field as the front end calls it', () => {
    const ok = readExecutor({ executor: 'slurm', partition: 'gpu', cpus: '4', sbatch: '--qos=high --exclusive', command: 'python train.py --out {out}' });
    assert.deepEqual(ok.choice, { executor: 'slurm', resources: { partition: 'gpu', cpus: 4, extra: ['--qos=high', '--exclusive'] }, trainer: { kind: 'command', template: 'python train.py --out {out}' } });
    assert.deepEqual(readExecutor({}).choice, { executor: 'local', resources: {}, trainer: { kind: 'built-in' } });
    const bad = readExecutor({ executor: 'pbs', time: 'soon', command: 'x {y}' }, (f) => `slurm.${f}`);
    assert.equal(bad.choice, undefined);
    assert.deepEqual(bad.problems.map((p) => p.split(':')[0]), ['slurm.executor', 'slurm.time', 'slurm.command']);
    assert.match(readExecutor({ partition: 'gpu' }, (f) => `--${f}`).problems[0], /^--partition: only with the slurm executor/);
  });
});

describe('the placeholders, documented where users read them', () => {
  it('the task property, the setting and the CLI usage name every placeholder, and no other', async () => {
    const { PLACEHOLDERS } = await import('../../src/sweep/commandTemplate');
    const { SWEEP_USAGE } = await import('../../src/cli/commands/train');
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const sweep = pkg.contributes.taskDefinitions.find((t: { type: string }) => t.type === 'precision-sweep');
    const settings = Object.assign({}, ...[pkg.contributes.configuration].flat().map((c: { properties: object }) => c.properties));
    const named = (text: string): string[] => [...new Set([...text.matchAll(/\{([a-z]+)\}/g)].map((m) => m[1]))].sort();
    const all = Object.keys(PLACEHOLDERS).sort();
    assert.deepEqual(named(sweep.properties.command.description), all);
    assert.deepEqual(named(settings['precisionPlanner.training.command'].markdownDescription.replace(/for example `[^`]*`/, '')), all);
    assert.deepEqual(named(SWEEP_USAGE.slice(SWEEP_USAGE.indexOf('a template filled in per run'))), all);
    assert.equal(settings['precisionPlanner.training.command'].scope, 'machine');
    assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('precisionPlanner.training.command'));
  });
});
