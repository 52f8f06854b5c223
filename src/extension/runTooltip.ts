// A run's tooltip in the Runs view, as Markdown, apart from VS Code so it can be tested: its
// name, format and file, why it is incomplete, where its precision came from, what the sweep
// planned for it and where the sweep's job is, and its PTQ results.
// Every string a file gave (the name, the path, a reader's reason quoting the file, a PTQ method)
// goes through escapeMarkdown: a run named `x](https://evil.example)` shows as that text.

import { formatLabel } from '../ptq/samples';
import { DEFAULT_PRECISION_SETTING } from '../runs/defaults';
import { FIELD_LABELS, REQUIRED_FIELDS, type Run } from '../runs/run';
import { isPlannedSource, planNoteOf } from '../runs/sweepPlan';
import { count, loss, tokens } from './format';
import { escapeMarkdown as md } from './markdownText';

/** `precision` is the Runs view's label of the run's training precision ("bf16", "w4a16kv16"). */
export function runTooltipMarkdown(run: Run, precision: string): string {
  const incomplete = run.missing.length > 0;
  return [
    `**${md(run.name)}** (${md(run.format)})`,
    '',
    md(run.file),
    '',
    ...(incomplete
      ? ['Incomplete, so not fitted:', '', ...missingLines(run)]
      : [run.unfinished ? 'The run did not finish.' : 'Complete.']),
    ...(run.sources.precision?.field === DEFAULT_PRECISION_SETTING
      ? ['', `Training precision ${md(precision)} from \`${DEFAULT_PRECISION_SETTING}\` (${md(run.sources.precision.file)}): its files do not say it.`]
      : []),
    ...planLines(run),
    ...(run.ptq.length > 0
      ? [
        '',
        '| after PTQ | loss | SQNR |',
        '|---|---|---|',
        ...run.ptq.map((q) => `| ${md(`${formatLabel(q)}${q.method === 'rtn' ? '' : ` ${q.method}`}`)} | ${loss(q.loss)} | ${q.sqnrDb !== undefined ? `${q.sqnrDb.toFixed(1)} dB` : '—'} |`),
      ]
      : []),
  ].join('\n');
}

/** A line per reason, naming the fields missing for it: a queued job is why D and the loss are both missing, said once. */
function missingLines(run: Run): string[] {
  const byReason = new Map<string, string[]>();
  for (const field of run.missing) {
    const reason = run.reasons?.[field] ?? 'not in its files';
    byReason.set(reason, [...(byReason.get(reason) ?? []), FIELD_LABELS[field]]);
  }
  return [...byReason].map(([reason, fields]) => `- ${fields.join(', ')}: ${md(reason)}`);
}

/**
 * What the sweep planned for the run (planned-run.json), which of its values the run took from
 * the plan, and where the sweep's job is, unless a reason above already said it.
 */
function planLines(run: Run): string[] {
  const note = planNoteOf(run);
  if (!note) return [];
  const planned = [
    note.params !== undefined ? `N ${count(note.params)}` : undefined,
    note.tokens !== undefined ? `D ${tokens(note.tokens)}` : undefined,
    note.precision !== undefined ? `training precision ${note.precision}` : undefined,
  ].filter((part): part is string => part !== undefined);
  // The plan's own run shows the plan's file already.
  const where = run.file === note.file ? '' : ` (${note.file})`;
  const lines = ['', `Planned by the sweep${note.sweep !== undefined ? ` ${note.sweep}` : ''}: ${planned.length > 0 ? planned.join(', ') : 'nothing readable'}${where}.`];
  // The plan's own run has nothing but the plan: saying its values came from it says nothing.
  const taken = run.file === note.file ? [] : REQUIRED_FIELDS.filter((field) => isPlannedSource(run.sources[field]));
  if (taken.length > 0) lines.push('', `From the plan, as the run's files do not say them: ${taken.map((field) => FIELD_LABELS[field]).join(', ')}.`);
  const said = Object.values(run.reasons ?? {});
  if (note.job && !said.includes(note.job.says)) lines.push('', `Sweep job: ${note.job.says}.`);
  return lines.map(md);
}
