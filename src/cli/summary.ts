// What scan and fit say about the runs read and the problems reading them: grouped (what the
// runs lack, problems by folder and kind with one example), the full lists behind --verbose.

import * as path from 'node:path';
import { type PrecisionDefaults, parsePrecisionFlags } from '../runs/defaults';
import { type Diagnostic, formatDiagnostic } from '../runs/diagnostics';
import { type LackHints, type RunsSummary, countText, groupDiagnostics, kindText, lackTexts } from '../runs/summary';
import { CliError } from './errors';

/** What to do about a field the files lack, on the command line. */
export const CLI_HINTS: LackHints = { precision: 'add --precision bf16 or a precision column' };

/** --precision NAME / GLOB=NAME, repeated; a name not in the vocabulary is a usage error naming the flag. */
export function precisionDefaults(values: readonly string[] | undefined): PrecisionDefaults | undefined {
  const parsed = parsePrecisionFlags(values);
  if (parsed.errors.length > 0) throw new CliError(parsed.errors.join('; '), 2);
  return parsed.defaults;
}

/** A path as the user would type it: relative to the working folder when inside it. */
function shown(where: string): string {
  if (where === '') return '.';
  const rel = path.relative(process.cwd(), where);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? where : rel;
}

/** "346 runs read, 0 complete:" and a line per thing lacked; nothing when every run is usable. */
export function runsLines(summary: RunsSummary): string[] {
  const lacks = lackTexts(summary, CLI_HINTS);
  return lacks.length === 0 ? [] : [`${countText(summary)}:`, ...lacks.map((l) => `  ${l}`)];
}

/**
 * The problems by folder and kind, a count and one example each (`--verbose`: every one, as
 * before). A kind met once is its one line.
 */
export function problemLines(diagnostics: readonly Diagnostic[], roots: readonly string[], verbose: boolean, title = 'problem(s) reading the runs'): string[] {
  if (diagnostics.length === 0) return [];
  if (verbose) return [`${diagnostics.length} ${title}:`, ...diagnostics.map(formatDiagnostic)];
  const groups = groupDiagnostics(diagnostics, { by: 'folder', roots });
  const grouped = groups.length < diagnostics.length;
  const lines = [`${diagnostics.length} ${title}${grouped ? `, ${groups.length} kind(s) by folder (--verbose lists each)` : ''}:`];
  for (const g of groups) {
    const example = formatDiagnostic(g.diagnostics[0]);
    if (g.diagnostics.length === 1) lines.push(`  ${example}`);
    else {
      const files = g.files > 1 ? ` in ${g.files} files` : '';
      lines.push(`  ${shown(g.where)}: ${g.diagnostics.length} × ${g.severity} ${kindText(g)}${files}, e.g.`, `    ${example}`);
    }
  }
  return lines;
}

/** The summary for --json: counts and the run ids behind them. */
export function summaryJson(summary: RunsSummary): unknown {
  return {
    read: summary.read,
    complete: summary.complete,
    unfinished: summary.unfinished.map((r) => r.id),
    lacking: summary.lacking.map((g) => ({
      field: g.field,
      count: g.runs.length,
      runs: g.runs.map((r) => r.id),
      reasons: g.reasons.map((r) => ({ ...(r.reason !== undefined ? { reason: r.reason } : {}), count: r.runs.length })),
    })),
  };
}
