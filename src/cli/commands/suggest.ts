// `suggest`: the next runs. Fits the runs under PATH, takes a target (the plan the product
// recommends at a compute budget, or a training config), and asks the suggester (src/sweep/suggest)
// for the runs within a CPU-hour budget that most narrow the target's 95% prediction interval;
// prints them with the interval now and expected, and the `sweep` command that trains them.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fit } from '../../fit/fit';
import { intervalText } from '../../fit/interval';
import { pointsFromRuns } from '../../fit/points';
import { DEFAULT_ALIASES } from '../../runs/aliases';
import { languageOf } from '../../runs/configs';
import { scan } from '../../runs/discover';
import { formatCount } from '../../runs/quantity';
import { RUN_FILES_LOOKED_FOR } from '../../runs/readers';
import { candidateRuns, fewestTokensPerParam, repeatedDataNote, tokensPerParamNote } from '../../sweep/candidates';
import { DEFAULT_BUDGET_HOURS, DEFAULT_SUGGEST_RUNS, DEFAULT_SUGGEST_SIMULATIONS, type SuggestResult, type SuggestTarget, suggestRuns } from '../../sweep/suggest';
import { suggestionGrid, sweepCommandLine } from '../../sweep/suggestionGrid';
import { configTarget, planTarget } from '../../sweep/suggestTarget';
import type { SweepGrid } from '../../train/grid';
import { calibrationFromFile, tokensPerPassOf } from '../../train/estimate';
import { DEFAULT_OUT } from '../../train/options';
import { MANIFEST_FILE } from '../../train/writer';
import { type Io, fmt, integer, parse, precisionLabel, quantity } from '../args';
import { CliError } from '../errors';
import { precisionDefaults } from '../summary';
import { table } from '../table';

export const SUGGEST_USAGE = `precision-planner suggest PATH... (--compute C | --config FILE) [--budget HOURS] [--runs K]
                          [--simulations S] [--seed S] [--bootstrap N] [--out DIR] [--precision [GLOB=]NAME]... [--json]
  The next runs: fits the runs under PATH (as fit does, --bootstrap replicates, default 100), takes
  a target, the plan recommend gives at C FLOPs (joint) or the N, D and precision of a training
  config, and proposes up to K runs (default ${DEFAULT_SUGGEST_RUNS}) the built-in trainer can train within
  HOURS of CPU time (default ${DEFAULT_BUDGET_HOURS}; from the throughput of the complete runs under PATH, else
  built-in figures) that most narrow the 95% prediction interval of the target's loss. By
  simulation: --simulations times (default ${DEFAULT_SUGGEST_SIMULATIONS}, seeded by --seed) the runs and each
  candidate are drawn from the fitted law with the noise the fit measured and refitted; a
  candidate is worth how much it shrinks the spread of the target's prediction. Greedy: the best
  run first, then the best beside it. Prints the interval now and the one expected with the runs,
  how much narrower, and the sweep command that trains them (into --out, default the folder of
  the trainer's runs under PATH). JSON: "runs" (params, tokens, precision, cost in CPU-hours,
  size, the interval expected once it is in), "intervalNow", "intervalExpected", "status",
  "sweep" (the grid's flags and the command line).`;

function hours(value: string | undefined): number {
  if (value === undefined) return DEFAULT_BUDGET_HOURS;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--budget: "${value}" is not a positive number of CPU-hours`, 2);
  return n;
}

/** The target of --config FILE, or a CliError naming the file. */
function configFileTarget(file: string): SuggestTarget {
  if (!languageOf(file)) throw new CliError(`--config: "${file}" is not a YAML, JSON, TOML or Python config (by its name)`, 2);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`--config ${file}: ${(error as Error).message}`);
  }
  const reading = configTarget(text, file, DEFAULT_ALIASES);
  if ('problem' in reading) throw new CliError(`--config ${reading.problem}`);
  return reading.target;
}

/** Where the suggested sweep writes: the folder most of the trainer's runs under PATH are in, else the sweep's default. */
function outDirOf(manifests: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const file of manifests) counts.set(path.dirname(path.dirname(file)), (counts.get(path.dirname(path.dirname(file))) ?? 0) + 1);
  const most = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (most === undefined) return DEFAULT_OUT;
  // As the user would type it: relative to the working folder when inside it.
  const rel = path.relative(process.cwd(), most);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : most;
}

const nats = (x: number): string => fmt(x, 3);

function render(r: SuggestResult, sweep: { command: string } | null): string {
  const t = r.target;
  const lines = [
    `Target: ${t.label}: N ${formatCount(t.params)}, D ${formatCount(t.tokens)}, ${precisionLabel(t.precision)}${t.post !== undefined ? `, PTQ to ${t.post} bits` : ''}${t.loss !== null ? `, predicted loss ${fmt(t.loss)}` : ''}`,
    r.message,
  ];
  if (r.runs.length > 0) {
    lines.push(
      '',
      table(
        ['run', 'size', 'N', 'D', 'precision', 'CPU-hours', '95% interval with it'],
        r.runs.map((s) => [s.name, s.size, formatCount(s.params), formatCount(s.tokens), s.precision, s.cost.cpuHours, intervalText(s.intervalExpected)]),
        { significant: { 5: 2 } },
      ),
    );
  }
  const width = (i: [number, number]): string => nats(i[1] - i[0]);
  const how = r.basis === 'bootstrap-scaled' ? "the fit's, its bootstrap band widened by the run-to-run scale" : "the simulation's (see the note)";
  lines.push('');
  if (r.intervalNow) lines.push(`Interval now: ${intervalText(r.intervalNow)} (width ${width(r.intervalNow)} nats): where the loss of a run trained at the target should land, 95% of the time; ${how}.`);
  if (r.intervalExpected && r.narrowing) {
    lines.push(`Expected with ${r.runs.length === 1 ? 'this run' : `these ${r.runs.length} runs`}: ${intervalText(r.intervalExpected)} (width ${width(r.intervalExpected)} nats): ${Math.round(100 * r.narrowing.fraction)}% narrower, ${nats(r.narrowing.nats)} nats.`);
  }
  const m = r.measure;
  if (m.spreadNow !== null) {
    const expected = m.spreadExpected !== null ? `, ${fmt(m.spreadExpected, 2)} with the runs (${fmt(100 * (m.ratio ?? 1), 2)}%)` : '';
    lines.push(
      `How: the ${m.description}; spread ${fmt(m.spreadNow, 2)} in log-loss now${expected}, over ${m.simulations} simulations (seed ${m.seed})${r.basis === 'bootstrap-scaled' ? "; the fit's band is scaled by that ratio, the run-to-run part kept" : ''}.`,
    );
  }
  lines.push(`Truth: ${r.truth.source}; noise ${fmt(r.noise.train, 2)} nats per run, ${fmt(r.noise.ptq, 2)} per PTQ degradation (${r.noise.source}).`);
  if (r.runs.length > 0) lines.push(`CPU time: ${fmt(r.budget.spent, 2)} of ${r.budget.hours} hours, from ${r.runs[0].cost.text}.`);
  lines.push(`Candidates: ${r.candidates.total}, ${r.candidates.affordable} within the budget, ${r.candidates.simulated} simulated.`);
  for (const note of r.notes) lines.push(`note: ${note}`);
  if (sweep) lines.push('', `Launch: ${sweep.command}`, '  (here, as child processes; add --executor slurm and its resources, --partition, --time, ..., to submit it to Slurm)');
  return lines.join('\n');
}

export async function suggestCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      compute: { type: 'string', short: 'c' },
      config: { type: 'string' },
      budget: { type: 'string' },
      runs: { type: 'string' },
      simulations: { type: 'string' },
      seed: { type: 'string' },
      bootstrap: { type: 'string' },
      out: { type: 'string' },
      precision: { type: 'string', multiple: true },
    },
    true,
  );
  if (values.help) return io.out(SUGGEST_USAGE), 0;
  if (positionals.length === 0) throw new CliError('give at least one PATH with runs (a folder or a run.json)', 2);
  if ((values.compute === undefined) === (values.config === undefined)) throw new CliError('give the target: --compute C (the plan at C FLOPs) or --config FILE, one of them', 2);
  const compute = values.compute !== undefined ? quantity(values.compute, 'compute', true) : undefined;
  const budgetHours = hours(values.budget);
  const k = integer(values.runs, 'runs', DEFAULT_SUGGEST_RUNS);
  if (k < 1) throw new CliError('--runs: needs at least 1', 2);
  const simulations = integer(values.simulations, 'simulations', DEFAULT_SUGGEST_SIMULATIONS);
  if (simulations < 3) throw new CliError('--simulations: needs at least 3 (a spread of fewer says nothing)', 2);
  const seed = integer(values.seed, 'seed', 0);
  const bootstrap = integer(values.bootstrap, 'bootstrap', 100);
  const configFile = values.config;
  const fromConfig = configFile !== undefined ? configFileTarget(configFile) : undefined;

  const defaultPrecision = precisionDefaults(values.precision);
  const scanned = await scan(positionals, defaultPrecision ? { defaultPrecision } : {});
  if (scanned.runs.length === 0) throw new CliError(`no runs found under ${positionals.join(', ')} (looked for ${RUN_FILES_LOOKED_FOR})`);
  const fitted = fit(scanned.runs, { bootstrap, seed, onProgress: io.progress && ((done, total, what) => io.progress?.(`fitting: ${what} (${done}/${total})`)) });
  const { points } = pointsFromRuns(scanned.runs);
  let target = fromConfig;
  if (compute !== undefined) {
    const reading = planTarget(fitted.constants, compute);
    if ('problem' in reading) throw new CliError(`--compute: ${reading.problem}`);
    target = reading.target;
  }
  if (!target) throw new CliError('no target', 2);

  const manifests = scanned.runs.map((r) => r.file).filter((file) => path.basename(file) === MANIFEST_FILE);
  const outDir = values.out ?? outDirOf(manifests);
  const calibrations = manifests.flatMap((file) => calibrationFromFile(file) ?? []);
  const tokensPerPass = tokensPerPassOf(manifests);
  const candidates = candidateRuns(points, target, { outDir, calibrations, calibrationSource: `under ${positionals.join(', ')}`, ...(tokensPerPass ? { tokensPerPass } : {}) });
  const result = suggestRuns({
    fit: fitted,
    fitLabel: `the fit of the runs under ${positionals.join(', ')}`,
    points,
    target,
    candidates,
    budgetHours,
    runs: k,
    simulations,
    seed,
    onProgress: io.progress && ((done, total) => io.progress?.(`simulated refit ${done}/${total}`)),
  });
  io.progress?.('');
  result.notes.push(tokensPerParamNote(fewestTokensPerParam(points)));
  if (tokensPerPass) result.notes.push(repeatedDataNote(tokensPerPass));
  const grid: SweepGrid | null = result.runs.length > 0 ? suggestionGrid(result.runs, outDir) : null;
  const sweep = grid ? { grid, command: sweepCommandLine(grid) } : null;
  if (values.json) {
    const runs = result.runs.map((r) => ({ params: r.params, tokens: r.tokens, precision: r.precision, cost: r.cost.cpuHours, costSource: r.cost.source, name: r.name, size: r.size, bits: r.bits, intervalExpected: r.intervalExpected }));
    io.out(JSON.stringify({ ...result, runs, sweep }, null, 2));
  } else io.out(render(result, sweep));
  // A suggestion that could not be made is an answer (the status says why), except without a fit.
  if (result.status === 'no-fit') throw new CliError(result.message);
  return 0;
}
