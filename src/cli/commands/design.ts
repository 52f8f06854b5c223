// `design`: before a sweep is trained, how long it takes and which constants of the law its runs
// could identify (src/design). Takes the grid with the same flags as `sweep`.

import * as os from 'node:os';
import { CONSTANT_NAMES, type ConstantName } from '../../law/constants';
import { expandGrid } from '../../train/grid';
import { aboutDuration, calibrationFromFile, manifestFiles } from '../../train/estimate';
import { proposeChange } from '../../design/propose';
import { DEFAULT_PTQ_NOISE, DEFAULT_SIMULATIONS, DEFAULT_TRAIN_NOISE, type DesignOptions, type DesignResult, designSweep } from '../../design/design';
import { designTruthFromFit } from '../../design/truth';
import { type Io, fmt, integer, parse } from '../args';
import { loadConstants } from '../constants';
import { CliError } from '../errors';
import { table } from '../table';
import { COMMON_USAGE, GRID_OPTIONS, gridFromFlags } from './train';

export const DESIGN_USAGE = `precision-planner design --sizes LxW,... --tokens D,... --precisions SPEC,... [--seeds S,...] [--also "..."]...
        [--preset paper | --fit FILE] [--noise NATS] [--ptq-noise NATS] [--simulations N] [--seed S] [--parallel K]
        [--make-identifiable CONSTANT]
        ${COMMON_USAGE}
  Before any compute is spent: the CPU time of the sweep \`sweep\` would train with these flags
  (from the throughput of complete runs in --out, else built-in figures), and by simulation which
  constants of the law its runs could identify. Runs are drawn from the law (the paper's
  constants, or a fit's with --fit, the paper's where it fitted nothing) with run-to-run noise
  (--noise on a run's loss, --ptq-noise on a PTQ degradation, in nats; with --fit, what the fit
  measured; else ${DEFAULT_TRAIN_NOISE} and ${DEFAULT_PTQ_NOISE}, the example workspace's) and refitted
  --simulations times (default ${DEFAULT_SIMULATIONS}, seeded by --seed, no bootstrap); each constant is
  identifiable, weak (a wide spread), not identifiable (the spread covers 0, a bound, a flat
  profile, misses the truth) or not fitted (the stage is skipped or holds it), with the
  refits' 5-95% spread and why. --make-identifiable gammaN tries one more size (about 2x, 4x, 8x
  the largest), one more budget (2x, 4x the largest) or, for a part's constant, that part varied
  alone at 3, 4 and 6 bits at the smallest size and the middle budget, cheapest in CPU time
  first, and names the first that makes the constant identifiable.`;

function positive(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`--${flag}: "${value}" is not a non-negative number of nats`, 2);
  return n;
}

const pct = (x: number | null): string => (x === null ? '-' : `${Math.round(100 * x)}%`);

function render(r: DesignResult): string {
  const g = r.grid;
  const hours = (s: number) => aboutDuration(s);
  const lines = [
    r.message,
    `grid: ${g.runs} runs, N ${g.params.map((n) => fmt(n, 3)).join(', ')} (span ${fmt(g.paramsSpan, 2)}x), D ${g.tokens.map((d) => fmt(d, 3)).join(', ')} (span ${fmt(g.tokensSpan, 2)}x), D/N ${fmt(g.tokensPerParam[0], 2)}-${fmt(g.tokensPerParam[1], 2)}, PTQ bits ${g.post.join(',') || 'none'}, ${g.replicated} seed-replicated runs`,
    `time: ${hours(r.estimate.cpuSeconds)} of CPU time, ${hours(r.estimate.wallSeconds)} on ${r.estimate.cores} cores at ${r.estimate.slots} at once (from ${r.estimate.source})`,
    `truth: ${r.truth.source}${r.truth.note ? ` (${r.truth.note})` : ''}; noise ${fmt(r.noise.train, 2)} nats per run, ${fmt(r.noise.ptq, 2)} nats per PTQ degradation (${r.noise.source})`,
    '',
    table(
      ['constant', 'status', 'truth', '5%', 'median', '95%', 'width', 'refits'],
      CONSTANT_NAMES.map((name) => {
        const v = r.constants[name];
        const s = v.spread;
        return [name, v.status, fmt(v.truth, 3), s ? fmt(s.p5, 3) : '-', s ? fmt(s.median, 3) : '-', s ? fmt(s.p95, 3) : '-', pct(v.relativeWidth), `${v.fitted}/${r.simulations.requested}`];
      }),
    ),
    '',
  ];
  for (const name of CONSTANT_NAMES) {
    const v = r.constants[name];
    if (v.status !== 'identifiable' && v.reason) lines.push(`${name}: ${v.status} — ${v.reason}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  const p = r.proposal;
  if (p) {
    lines.push('', `make ${p.target} identifiable: ${p.message}`);
    if (p.tried.length > 0) {
      lines.push(
        table(
          ['change', 'runs added', 'CPU time added', `${p.target} then`],
          p.tried.map((t) => [t.change, t.addedRuns, aboutDuration(t.addedCpuSeconds), t.status]),
        ),
      );
    }
  }
  return lines.join('\n');
}

export function designCommand(argv: string[], io: Io): number {
  const { values } = parse(argv, {
    ...GRID_OPTIONS,
    preset: { type: 'string' },
    fit: { type: 'string' },
    noise: { type: 'string' },
    'ptq-noise': { type: 'string' },
    simulations: { type: 'string' },
    seed: { type: 'string' },
    'make-identifiable': { type: 'string' },
  });
  if (values.help) return io.out(DESIGN_USAGE), 0;
  const grid = gridFromFlags(values);
  const parallel = values.parallel === undefined ? os.availableParallelism() : Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1) throw new CliError(`--parallel: "${values.parallel}" is not a positive whole number`, 2);
  const simulations = integer(values.simulations, 'simulations', DEFAULT_SIMULATIONS);
  if (simulations < 1) throw new CliError('--simulations: needs at least 1', 2);
  const target = values['make-identifiable'];
  if (target !== undefined && !(CONSTANT_NAMES as readonly string[]).includes(target)) {
    throw new CliError(`--make-identifiable: "${target}" is not a constant of the law (${CONSTANT_NAMES.join(', ')})`, 2);
  }
  const loaded = loadConstants(values.preset, values.fit);
  const from = loaded.fit ? designTruthFromFit(loaded.fit, loaded.label) : { truth: loaded.constants, truthSource: loaded.label };
  // Noise: as given, else what the fit measured, else the examples'.
  const given = [values.noise !== undefined ? '--noise' : undefined, values['ptq-noise'] !== undefined ? '--ptq-noise' : undefined].filter(Boolean);
  const otherwise = from.noiseSource ?? "defaults: the examples' run-to-run scale (0.0073 in log-loss) and degradation RMSE";
  const noiseSource = given.length === 2 ? 'given' : given.length === 1 ? `${given[0]} given; the other ${otherwise}` : otherwise;
  const options: DesignOptions = {
    truth: from.truth,
    truthSource: from.truthSource,
    noise: {
      train: positive(values.noise, 'noise', from.noise?.train ?? DEFAULT_TRAIN_NOISE),
      ptq: positive(values['ptq-noise'], 'ptq-noise', from.noise?.ptq ?? DEFAULT_PTQ_NOISE),
    },
    noiseSource,
    simulations,
    seed: integer(values.seed, 'seed', 0),
    calibrations: manifestFiles([grid.outDir]).flatMap((file) => calibrationFromFile(file) ?? []),
    calibrationSource: `in ${grid.outDir}`,
    parallel,
    cores: os.availableParallelism(),
    onProgress: (done, total) => io.progress?.(`simulated sweep ${done}/${total}`),
  };
  const result = designSweep(expandGrid(grid), options);
  if (target !== undefined) {
    const name = target as ConstantName;
    result.proposal = proposeChange(grid, name, result.constants[name].status, { ...options, onProgress: (done, total) => io.progress?.(`change ${done}/${total} re-simulated`) });
  }
  io.progress?.('');
  io.out(values.json ? JSON.stringify(result, null, 2) : render(result));
  return 0;
}
