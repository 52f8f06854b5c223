// Export Report: the fit as Markdown for people, the runs as CSV for spreadsheets, the fit as
// JSON for `precision-planner --fit`. Written into a new folder; nothing existing is touched.
// Text that can carry a string from the runs' files (run ids in warnings, readers' reasons, the
// predictor's formats) goes into the Markdown through escapeMarkdown, and into the CSV through
// csvCell: a run's name is never a link, an image or a formula there.

import type { PtqReport } from '../ptq/workspace';
import { CONSTANT_NAMES, PAPER_CONSTANTS } from '../law/constants';
import type { FitResult } from '../fit/fit';
import { type Metrics, shownMetric } from '../fit/metrics';
import { heldOff } from '../fit/stages';
import type { Run } from '../runs/run';
import { lackTexts, summarizeRuns } from '../runs/summary';
import { csvLine } from './csv';
import { escapeMarkdown as md } from './markdownText';
import { EXTENSION_HINTS } from './statusText';

export function reportMarkdown(fit: FitResult | undefined, runs: readonly Run[], constantsLabel: string, ptq?: PtqReport, rejected?: string): string {
  const lines = ['# Precision Planner report', '', `Constants in use: ${md(constantsLabel)}.`, ''];
  if (rejected) lines.push(`The latest fit was not used: ${md(rejected)}.`, '');
  lines.push(`Runs found: ${runs.length} (${runs.filter((r) => r.missing.length === 0).length} complete).`, '');
  // What the others lack, grouped: a line per missing field, not per run.
  const lacking = lackTexts(summarizeRuns(runs), EXTENSION_HINTS);
  if (lacking.length > 0) lines.push('Not fitted:', '', ...lacking.map((l) => `- ${md(l)}`), '');
  if (!fit) return [...lines, 'No fit yet: run "Precision Planner: Fit Scaling Law".', ''].join('\n');
  lines.push(`Fit: ${md(fit.message)}`, '', '| stage | status | solver | gradient norm | at bound | points | detail |', '|---|---|---|---|---|---|---|');
  for (const s of fit.stages) {
    const bound = s.atBound && s.atBound.length > 0 ? [...new Set(s.atBound)].join(', ') : '—';
    const norm = typeof s.gradientNorm === 'number' ? s.gradientNorm.toExponential(1) : '—';
    const detail = s.status === 'fitted' ? [...new Set(s.fitted)].join(', ') : `${s.reason ?? ''}${s.heldAtPreset && s.heldAtPreset.length > 0 ? `; held at the preset: ${s.heldAtPreset.join(', ')}` : ''}`;
    lines.push(`| ${s.name} | ${s.status} | ${s.solver?.status ?? '—'} | ${norm} | ${bound} | ${s.points} | ${md(detail)} |`);
  }
  const ident = fit.identifiability;
  const status = fit.bootstrap?.intervalStatus ?? {};
  lines.push('', '| constant | fitted | 95% interval | paper | source |', '|---|---|---|---|---|');
  for (const n of CONSTANT_NAMES) {
    const ci = fit.intervals[n];
    const off = heldOff(fit, n);
    const why = fit.origin[n] === 'fitted' ? ident?.notIdentifiable[n] : undefined;
    const value = off ?? (why !== undefined ? `not identifiable: ${why}` : `${fit.constants[n].toPrecision(4)}${ident?.atBound[n] ? ` (${ident.atBound[n]})` : ''}`);
    const interval = off || why !== undefined ? '—' : ci ? `${ci[0].toPrecision(4)} – ${ci[1].toPrecision(4)}` : status[n]?.status === 'failed' ? `bootstrap failed: ${status[n]?.reason}` : '—';
    // The fit's own words and numbers (no text from the runs' files): written as they are.
    lines.push(`| ${n} | ${value} | ${interval} | ${PAPER_CONSTANTS[n]} | ${fit.origin[n]} |`);
  }
  for (const p of ident?.products ?? []) {
    lines.push(`| ${p.label} | ${p.value.toPrecision(4)} | ${p.interval ? `${p.interval[0].toPrecision(4)} – ${p.interval[1].toPrecision(4)}` : '—'} | ${+p.paper.toPrecision(4)} | fitted |`);
  }
  const b = fit.bootstrap;
  if (b && b.failed !== undefined) {
    lines.push('', `Bootstrap: ${b.succeeded} of ${b.replicates} replicates used (each solved from the fit's solution and ${b.gridStarts ?? 0} grid starts); ${b.failed} failed, ${b.unmoved ?? 0} never moved from their start, ${b.unconverged ?? 0} kept although a stage stopped before a stationary point.`);
  }
  const m = fit.metrics;
  lines.push('', '| points | R² | RMSE | mean abs. error |', '|---|---|---|---|');
  for (const [label, x] of [['all', m.all], ['end of training', m.train], ['after PTQ', m.ptq]] as const) {
    if (x) lines.push(metricsRow(`${label} (${x.n})`, x));
  }
  const held = m.heldOut;
  if (held && 'params' in held && held.all) lines.push(metricsRow(`held out: N = ${held.params} (${held.all.n})`, held.all));
  lines.push(...coverageMarkdown(fit));
  lines.push(...variantsMarkdown(fit));
  for (const w of fit.warnings) lines.push('', `Warning: ${md(w)}`);
  if (ptq) lines.push('', ...predictorMarkdown(ptq));
  return `${lines.join('\n')}\n`;
}

/** A metrics table row: R², RMSE and the mean relative error, or a dash and why one could not be computed. */
function metricsRow(label: string, x: Metrics): string {
  const cells = [shownMetric(x, 'r2', (v) => v.toFixed(4)), shownMetric(x, 'rmse', (v) => v.toFixed(4)), shownMetric(x, 'mape', (v) => `${(100 * v).toFixed(2)}%`)];
  return `| ${label} | ${cells.map(md).join(' | ')} |`;
}

/** Held-out coverage of the fit's two 95% intervals, and the run-to-run scale behind the second. */
export function coverageMarkdown(fit: Pick<FitResult, 'coverage' | 'residualScale'>): string[] {
  const lines: string[] = [];
  const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);
  const c = fit.coverage;
  if (c) {
    lines.push(
      '',
      `Coverage of the ${Math.round(100 * c.level)}% intervals: the confidence band of the expected loss (bootstrap of the constants; constants held at the preset contribute none) and the prediction interval for a run (adds the run-to-run scale).`,
      '',
      '| points | confidence band | prediction interval |',
      '|---|---|---|',
      `| in sample (${c.inSample.all.n}) | ${pct(c.inSample.all.confidence)} | ${pct(c.inSample.all.prediction)} |`,
    );
    if ('skipped' in c.heldOut) lines.push(`| held out: skipped, ${md(c.heldOut.skipped)} | | |`);
    else lines.push(`| held out: N = ${c.heldOut.params}, refit on ${c.heldOut.fittedSizes.length} sizes (${c.heldOut.all.n}) | ${pct(c.heldOut.all.confidence)} | ${pct(c.heldOut.all.prediction)} |`);
    if ('skipped' in c.rollout) lines.push(`| rollout: skipped, ${md(c.rollout.skipped)} | | |`);
    else for (const s of c.rollout.steps) lines.push(`| rollout: ${s.fittedSizes.length} smallest sizes → N = ${s.params} (${s.all.n}) | ${pct(s.all.confidence)} | ${pct(s.all.prediction)} |`);
  }
  const scale = fit.residualScale;
  if (scale) {
    const part = (s: typeof scale.train) => (s ? `${s.sigma.toPrecision(3)} (${s.source === 'seeds' ? 'seed replicates' : 'residuals'}, ${s.dof} dof)` : 'none');
    lines.push('', `Run-to-run scale (log-loss standard deviation): end of training ${part(scale.train)}, after PTQ ${part(scale.ptq)}.`);
  }
  return lines;
}

/** The variants of the fit compared by held-out error, the one used marked. */
export function variantsMarkdown(fit: Pick<FitResult, 'variants'>): string[] {
  const c = fit.variants;
  if (!c) return [];
  const num = (x: number | null): string => (x === null ? '—' : x.toPrecision(3));
  const how = c.choice === 'pinned' ? 'pinned by the user' : c.choice === 'held-out' ? 'chosen by held-out error' : 'the base (no other variant could be scored)';
  const lines = [
    '',
    `Variants of the fit, by held-out error (used: **${md(c.chosen)}**, ${how}${c.pinned.length > 0 && c.choice !== 'pinned' ? `; pinned: ${md(c.pinned.join(', '))}` : ''}). Score: ${md(c.rule)}.`,
    '',
    '| variant | largest out: log-loss RMSE | largest out: degradation RMSE (nats) | rollout: log-loss RMSE | rollout: degradation RMSE (nats) | score |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of c.rows) {
    const e = (x: typeof r.largestOut | typeof r.rollout): string[] => ('skipped' in x ? [`skipped: ${md(x.skipped)}`, '—'] : [num(x.train), num(x.degradation)]);
    lines.push(`| ${r.chosen ? `**${md(r.name)}** (used)` : md(r.name)} | ${[...e(r.largestOut), ...e(r.rollout)].join(' | ')} | ${r.score === null ? '—' : r.score.toFixed(3)} |`);
  }
  return lines;
}

/** The post-quantization predictor's held-out errors beside the law's, as a report section. */
export function predictorMarkdown(report: PtqReport): string[] {
  const e = report.evaluation;
  const mae = (x: number | undefined): string => (x === undefined ? '—' : x.toFixed(4));
  const lines = [
    '## Post-quantization loss: predictor (Xu et al.) and law',
    '',
    `${md(e.message)} A random forest on ${md(e.features.join(', '))}, trained on every model size but one and scored on that one; the law's column adds Eq. 9's degradation to the observed pre-PTQ loss, on the evaluations it covers (integer, one scale per channel). Errors in nats per token.`,
    '',
    '| held-out N | evaluations | forest MAE | law MAE (n) | forest MAE on those |',
    '|---|---|---|---|---|',
  ];
  for (const s of e.sizes) {
    if (s.status === 'skipped') lines.push(`| ${s.params} | ${s.n} | skipped: ${md(s.reason)} | | |`);
    else lines.push(`| ${s.params} | ${s.n} | ${mae(s.forest.mae)} | ${s.baseline?.errors ? `${mae(s.baseline.errors.mae)} (${s.baseline.errors.n})` : '—'} | ${mae(s.baseline?.forestOnSame?.mae)} |`);
  }
  const p = e.pooled;
  if (p.forest) lines.push(`| all | ${p.forest.n} | ${mae(p.forest.mae)} | ${p.baseline?.errors ? `${mae(p.baseline.errors.mae)} (${p.baseline.errors.n})` : '—'} | ${mae(p.baseline?.forestOnSame?.mae)} |`);
  return lines;
}

export function runsCsv(runs: readonly Run[]): string {
  const header = ['id', 'name', 'format', 'file', 'params', 'tokens', 'weight_bits', 'act_bits', 'kv_bits', 'val_loss', 'post_bits', 'post_loss', 'missing'];
  const rows: unknown[][] = [];
  for (const r of runs) {
    const base = [r.id, r.name, r.format, r.file, r.params, r.tokens, r.precision?.w.bits, r.precision?.a.bits, r.precision?.kv.bits];
    rows.push([...base, r.finalLoss, '', '', r.missing.join(' ')]);
    for (const q of r.ptq) rows.push([...base, '', q.bits, q.loss, '']);
  }
  return `${[header, ...rows].map(csvLine).join('\n')}\n`;
}
