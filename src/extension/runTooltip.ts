// A run's tooltip in the Runs view, as Markdown, apart from VS Code so it can be tested: its
// name, format and file, why it is incomplete, where its precision came from, and its PTQ results.
// Every string a file gave (the name, the path, a reader's reason quoting the file, a PTQ method)
// goes through escapeMarkdown: a run named `x](https://evil.example)` shows as that text.

import { formatLabel } from '../ptq/samples';
import { DEFAULT_PRECISION_SETTING } from '../runs/defaults';
import { FIELD_LABELS, type Run } from '../runs/run';
import { loss } from './format';
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
      ? ['Incomplete, so not fitted:', '', ...run.missing.map((field) => `- ${FIELD_LABELS[field]}: ${md(run.reasons?.[field] ?? 'not in its files')}`)]
      : [run.unfinished ? 'The run did not finish.' : 'Complete.']),
    ...(run.sources.precision?.field === DEFAULT_PRECISION_SETTING
      ? ['', `Training precision ${md(precision)} from \`${DEFAULT_PRECISION_SETTING}\` (${md(run.sources.precision.file)}): its files do not say it.`]
      : []),
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
