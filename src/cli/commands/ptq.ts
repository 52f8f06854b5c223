// `ptq` and `pareto`: the second seed paper's predictor on the workspace's runs, and the
// memory-vs-loss frontier of the checkpoints they hold.

import { formatDiagnostic } from '../../runs/diagnostics';
import { scan } from '../../runs/discover';
import { formatBytes, formatCount, parseBytes, parseQuantity } from '../../runs/quantity';
import type { ErrorStats, SizeResult } from '../../ptq/predictor';
import { bestUnder, paretoFrontier } from '../../ptq/pareto';
import { checkpoints, ptqSamples } from '../../ptq/samples';
import { evaluatePtqPredictor, plannedCheckpoints } from '../../ptq/workspace';
import { type Io, fmt, integer, parse } from '../args';
import { loadConstants } from '../constants';
import { CliError } from '../errors';
import { type Cell, columnDecimals, table } from '../table';

export const PTQ_USAGE = `precision-planner ptq PATH... [--fit FILE | --preset paper] [--trees 100] [--seed 1] [--json]
  Fits the post-quantization loss predictor of Xu et al. (a random forest on model size, pre-PTQ
  loss, the format's SQNR, bits and block size, the method, and the loss landscape's flatness) to
  the PTQ evaluations of the runs under PATH, holding out one model size at a time, and prints its
  error beside the error of the law's degradation (Eq. 9, with the constants of --fit) on the
  same evaluations.`;

export const PARETO_USAGE = `precision-planner pareto PATH... [--memory BYTES] [--plan N@D,...] [--fit FILE | --preset paper] [--json]
  The frontier of weight memory (N x bits per weight) against loss after quantization over the
  checkpoints of the runs under PATH in every format they were quantized to (measured), and, with
  --plan 5M@5M,20M@20M, models of those sizes and token counts that were not trained (predicted:
  the law's loss before quantization, the random forest's degradation for each format);
  --memory 2MB names the best one that fits.`;

const errors = (e: ErrorStats | null | undefined): Cell[] => (e ? [e.mae, e.rmse, e.maxAbsError] : ['-', '-', '-']);

// Errors go to the table as numbers, which gives each column one number of decimals; the law's
// MAE shares a cell with its count, so its decimals are the column's, chosen here.
function sizeRows(sizes: readonly SizeResult[]): Cell[][] {
  const lawDecimals = columnDecimals(sizes.flatMap((s) => (s.status !== 'skipped' && s.baseline?.errors ? [s.baseline.errors.mae] : [])), 3);
  return sizes.map((s) => {
    if (s.status === 'skipped') return [formatCount(s.params), s.n, `skipped: ${s.reason}`, '', '', '', '', ''];
    const b = s.baseline;
    return [formatCount(s.params), s.n, ...errors(s.forest), b?.errors ? `${b.errors.mae.toFixed(lawDecimals)} (${b.errors.n})` : '-', b?.forestOnSame ? b.forestOnSame.mae : '-', b?.errors ? b.errors.maxAbsError : '-'];
  });
}

/** Three significant digits for error columns, as the prose below the table gives them. */
const ERROR_DIGITS = { 2: 3, 3: 3, 4: 3, 6: 3, 7: 3 };

export async function ptqCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, fit: { type: 'string' }, preset: { type: 'string' }, trees: { type: 'string' }, seed: { type: 'string' } },
    true,
  );
  if (values.help) return io.out(PTQ_USAGE), 0;
  if (positionals.length === 0) throw new CliError('give at least one PATH with runs', 2);
  const source = loadConstants(values.preset, values.fit);
  const trees = integer(values.trees, 'trees', 100);
  if (trees < 1) throw new CliError('--trees must be at least 1', 2);
  const { runs, diagnostics } = await scan(positionals, { onProgress: io.progress && ((done, total) => io.progress?.(`reading runs: ${done}/${total}`)) });
  io.progress?.('fitting the predictor, one model size held out at a time');
  const report = evaluatePtqPredictor(runs, source.constants, { trees, seed: integer(values.seed, 'seed', 1) });
  io.progress?.('');
  if (values.json) {
    io.out(JSON.stringify({ constants: source.label, ...report }, null, 2));
    return report.evaluation.ok ? 0 : 1;
  }
  const e = report.evaluation;
  const lines = [
    `${report.samples} PTQ evaluation(s) with SQNR; features: ${e.features.join(', ')}; law constants: ${source.label}`,
    e.message,
    '',
    table(['held-out N', 'evaluations', 'forest MAE', 'RMSE', 'max |error|', 'law MAE (n)', 'forest MAE on those', 'law max |error|'], sizeRows(e.sizes), { significant: ERROR_DIGITS }),
  ];
  const pooled = e.pooled;
  if (pooled.forest) {
    lines.push('', `all held-out evaluations: forest MAE ${fmt(pooled.forest.mae, 3)} nats (n ${pooled.forest.n})`);
    const b = pooled.baseline;
    if (b?.errors && b.forestOnSame) lines.push(`where the law applies (integer, per channel; n ${b.errors.n}): law MAE ${fmt(b.errors.mae, 3)}, forest MAE ${fmt(b.forestOnSame.mae, 3)}`);
  }
  if (report.skipped.length > 0) lines.push('', `${report.skipped.length} evaluation(s) without the predictor's features were left out (first: ${report.skipped[0].runId}: ${report.skipped[0].reason})`);
  if (diagnostics.length > 0) lines.push('', `${diagnostics.length} problem(s) reading the runs:`, ...diagnostics.slice(0, 20).map(formatDiagnostic));
  io.out(lines.join('\n'));
  if (!e.ok) throw new CliError(e.message);
  return 0;
}

/** "5M@5M,20M@2e7": planned model sizes and their training tokens. */
function parsePlan(text: string): { params: number; tokens: number }[] {
  return text.split(',').map((item) => {
    const [n, d] = item.split('@').map((x) => parseQuantity(x.trim()));
    if (n === undefined || d === undefined) throw new CliError(`--plan: "${item}" is not N@D (for example 5M@5M)`, 2);
    return { params: n, tokens: d };
  });
}

export async function paretoCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, memory: { type: 'string' }, plan: { type: 'string' }, fit: { type: 'string' }, preset: { type: 'string' } },
    true,
  );
  if (values.help) return io.out(PARETO_USAGE), 0;
  if (positionals.length === 0) throw new CliError('give at least one PATH with runs', 2);
  let budget: number | undefined;
  if (values.memory !== undefined) {
    budget = parseBytes(values.memory);
    if (budget === undefined) throw new CliError(`--memory: "${values.memory}" is not an amount of memory (examples: 2MB, 1.5GB, 4e9)`, 2);
  }
  const { runs } = await scan(positionals);
  const { samples } = ptqSamples(runs);
  if (samples.length === 0) throw new CliError(`no PTQ evaluations with bits per weight under ${positionals.join(', ')}`);
  const planned = values.plan === undefined ? [] : plannedCheckpoints(samples, loadConstants(values.preset, values.fit).constants, parsePlan(values.plan));
  const measured = checkpoints(samples).map((c) => ({ ...c, source: 'measured' }));
  const candidates = [...measured, ...planned.map((c) => ({ ...c, runId: '', source: 'predicted' }))];
  const frontier = paretoFrontier(candidates);
  const best = budget !== undefined ? bestUnder(frontier, budget) : undefined;
  if (values.json) {
    io.out(JSON.stringify({ candidates: candidates.length, frontier, ...(best ? { memory: budget, best } : {}) }, null, 2));
    return 0;
  }
  const lines = [
    `${measured.length} measured and ${planned.length} predicted checkpoint(s); ${frontier.length} on the frontier (no other is both smaller and better):`,
    '',
    table(
      ['memory', 'N', 'D', 'format', 'bits/weight', 'loss', 'source', 'run'],
      frontier.map((p) => [formatBytes(p.memoryBytes), formatCount(p.params), formatCount(p.tokens), `${p.format}${p.method === 'rtn' ? '' : ` ${p.method}`}`, p.bitsPerWeight, p.loss, p.source, p.runId || '-']),
      // Losses after quantization differ in the fourth decimal: five digits, as before.
      { significant: { 5: 5 } },
    ),
  ];
  if (best) lines.push('', best.candidate ? `best within ${formatBytes(budget!)}: ${best.candidate.label}, loss ${fmt(best.candidate.loss, 5)}, ${formatBytes(best.candidate.memoryBytes)}` : `nothing fits in ${formatBytes(budget!)}: ${best.reason}`);
  io.out(lines.join('\n'));
  return 0;
}
