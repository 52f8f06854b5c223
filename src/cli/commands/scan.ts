import { formatDiagnostic } from '../../runs/diagnostics';
import { scan } from '../../runs/discover';
import { RUN_FILES_LOOKED_FOR } from '../../runs/readers';
import { type Run, type TrainingPrecision, incompleteText } from '../../runs/run';
import { lawPtqEntries } from '../../fit/points';
import { type Io, parse } from '../args';
import { CliError } from '../errors';
import { formatCount } from '../../runs/quantity';
import { type Cell, table } from '../table';

export const SCAN_USAGE = `precision-planner scan PATH... [--include GLOB]... [--exclude GLOB]... [--json]
  Lists the runs found under PATH (every supported log format) and every problem reading them,
  with file, line and field. --include/--exclude take globs relative to each PATH.`;

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

function row(run: Run): Cell[] {
  return [
    run.id,
    run.format,
    run.params !== undefined ? formatCount(run.params) : '?',
    run.tokens !== undefined ? formatCount(run.tokens) : '?',
    precisionLabel(run.precision),
    run.finalLoss !== undefined ? run.finalLoss : '?',
    ptqSummary(run.ptq),
    run.missing.length > 0 ? incompleteText(run) : run.unfinished ? 'unfinished' : 'ok',
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
    },
    true,
  );
  if (values.help) return io.out(SCAN_USAGE), 0;
  if (positionals.length === 0) throw new CliError('give at least one PATH to scan (a folder or a run file)', 2);
  const result = await scan(positionals, {
    include: values.include,
    exclude: values.exclude,
    onProgress: io.progress && ((done, total) => io.progress?.(`reading runs: ${done}/${total}`)),
  });
  io.progress?.('');
  if (values.json) {
    io.out(JSON.stringify({ runs: result.runs, diagnostics: result.diagnostics, files: result.files }, null, 2));
  } else {
    const complete = result.runs.filter((r) => r.missing.length === 0).length;
    const lines = [`${result.runs.length} run(s) in ${result.files} file(s), ${complete} complete; ${result.diagnostics.length} problem(s)`];
    if (result.runs.length > 0) lines.push('', table(['run', 'format', 'N', 'D', 'training', 'loss', 'PTQ', 'status'], result.runs.map(row)));
    if (result.diagnostics.length > 0) lines.push('', ...result.diagnostics.map(formatDiagnostic));
    io.out(lines.join('\n'));
  }
  if (result.runs.length === 0) throw new CliError(`no runs found under ${positionals.join(', ')} (looked for ${RUN_FILES_LOOKED_FOR})`);
  return 0;
}
