import { scan } from '../../runs/discover';
import { RUN_FILES_LOOKED_FOR } from '../../runs/readers';
import { type Run, type TrainingPrecision, incompleteText } from '../../runs/run';
import { lawPtqEntries } from '../../fit/points';
import { type Io, parse } from '../args';
import { CliError } from '../errors';
import { formatCount } from '../../runs/quantity';
import { summarizeRuns } from '../../runs/summary';
import { planNoteOf } from '../../runs/sweepPlan';
import { precisionDefaults, problemLines, runsLines, summaryJson } from '../summary';
import { type Cell, table } from '../table';

export const SCAN_USAGE = `precision-planner scan PATH... [--include GLOB]... [--exclude GLOB]... [--precision [GLOB=]NAME]... [--verbose] [--json]
  Lists the runs found under PATH (every supported log format), what the incomplete ones lack,
  and the problems reading them by folder and kind, each with an example naming file, line and
  field (--verbose lists every one). --include/--exclude take globs relative to each PATH.
  --precision gives the training precision (bf16, fp32, int8, w4a8kv4, ...) of runs whose files
  give none: all of them, or those under GLOB (relative to each PATH; the last match wins).`;

const precisionLabel = (p: TrainingPrecision | undefined): string =>
  p ? (p.w.bits === p.a.bits && p.a.bits === p.kv.bits ? (p.w.name ?? `${p.w.bits}-bit`) : `w${p.w.bits}a${p.a.bits}kv${p.kv.bits}`) : '?';

/**
 * A run's PTQ evaluations in a few characters: the bits of the integer per-channel ones (the law's,
 * "8,6,5,4,3b"), and how many others (other formats, group sizes), which `--json` lists in full.
 */
export function ptqSummary(ptq: Run['ptq']): string {
  if (ptq.length === 0) return '-';
  const bits = lawPtqEntries(ptq)
    .map((q) => q.bits)
    .sort((a, b) => b - a);
  const others = ptq.length - bits.length;
  if (bits.length === 0) return `${others} format${others === 1 ? '' : 's'}`;
  return `${bits.join(',')}b${others > 0 ? ` +${others} more` : ''}`;
}

/**
 * "ok", "unfinished", or why the run is incomplete; for a run of a sweep whose job has not ended
 * well, the job's words too ("unfinished: Slurm job 12_3 failed: OUT_OF_MEMORY, …") where the
 * reasons do not already hold them.
 */
export function statusText(run: Run): string {
  const job = planNoteOf(run)?.job;
  const says = job && job.state !== 'complete' ? job.says : undefined;
  if (run.missing.length > 0) {
    const text = incompleteText(run);
    return says !== undefined && !text.includes(says) ? `${text}; ${says}` : text;
  }
  if (run.unfinished) return says !== undefined ? `unfinished: ${says}` : 'unfinished';
  return 'ok';
}

function row(run: Run): Cell[] {
  return [
    run.id,
    run.format,
    run.params !== undefined ? formatCount(run.params) : '?',
    run.tokens !== undefined ? formatCount(run.tokens) : '?',
    precisionLabel(run.precision),
    run.finalLoss !== undefined ? run.finalLoss : '?',
    ptqSummary(run.ptq),
    statusText(run),
  ];
}

export async function scanCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      precision: { type: 'string', multiple: true },
      verbose: { type: 'boolean' },
    },
    true,
  );
  if (values.help) return io.out(SCAN_USAGE), 0;
  if (positionals.length === 0) throw new CliError('give at least one PATH to scan (a folder or a run file)', 2);
  const defaultPrecision = precisionDefaults(values.precision);
  const result = await scan(positionals, {
    include: values.include,
    exclude: values.exclude,
    ...(defaultPrecision ? { defaultPrecision } : {}),
    onProgress: io.progress && ((done, total) => io.progress?.(`reading runs: ${done}/${total}`)),
  });
  io.progress?.('');
  const summary = summarizeRuns(result.runs);
  if (values.json) {
    io.out(JSON.stringify({ runs: result.runs, diagnostics: result.diagnostics, files: result.files, summary: summaryJson(summary) }, null, 2));
  } else {
    const plans = result.plans?.files ? ` and ${result.plans.files} sweep plan(s)` : '';
    const lines = [`${result.runs.length} run(s) in ${result.files} file(s)${plans}, ${summary.complete} complete; ${result.diagnostics.length} problem(s)`];
    if (result.runs.length > 0) lines.push('', table(['run', 'format', 'N', 'D', 'training', 'loss', 'PTQ', 'status'], result.runs.map(row)));
    const lacking = runsLines(summary);
    if (lacking.length > 0) lines.push('', ...lacking);
    const problems = problemLines(result.diagnostics, positionals, values.verbose === true, 'problem(s)');
    if (problems.length > 0) lines.push('', ...problems);
    io.out(lines.join('\n'));
  }
  if (result.runs.length === 0) throw new CliError(`no runs found under ${positionals.join(', ')} (looked for ${RUN_FILES_LOOKED_FOR})`);
  return 0;
}
