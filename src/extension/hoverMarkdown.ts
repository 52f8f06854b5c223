// The hover on a training config, as Markdown: the prediction, its warnings and which constants
// said so first (a hover is read from the top, and may be cut off below), then the config as the
// law sees it, PTQ and D_crit, and what the same compute would buy at the optimum. Every text
// that can carry a string from a file or a setting (a tokenizer's name, a config key in a
// warning, a cost model's or a format's label) goes through escapeMarkdown.

import type { ConfigPrediction } from './configPrediction';
import { times } from '../fit/domain';
import { bits, count, flops, loss, tokens } from './format';
import { escapeMarkdown as md } from './markdownText';

export interface HoverOptions {
  /**
   * Leave the warnings out: on the line that carries them as diagnostics, VS Code already shows
   * them in the same hover.
   */
  omitWarnings?: boolean;
}

/** Markdown tables in hovers have no cell padding: non-breaking spaces keep the columns apart. */
const cell = (text: string): string => `&nbsp;${text}&nbsp;&nbsp;`;
const row = (cells: readonly string[]): string => `|${cells.map(cell).join('|')}|`;

/** Where the prediction stands against the fitted domain, in a line for the top of the hover. */
export function domainLine(p: Pick<ConfigPrediction, 'extrapolation'>): string {
  const e = p.extrapolation;
  if (e.extrapolated) return `**Extrapolation** — ${md(e.summary.replace(/^extrapolation: /, ''))}`;
  return `_${md(`${e.summary.charAt(0).toUpperCase()}${e.summary.slice(1)}`)}_`;
}

/** The CodeLens's words for the same: "inside the fitted domain", "extrapolated (N ×110, D ×5,000)", "not comparable". */
export function domainLens(p: Pick<ConfigPrediction, 'extrapolation'>): string {
  const e = p.extrapolation;
  const factors = [e.params > 1 ? `N ×${times(e.params)}` : '', e.tokens > 1 ? `D ×${times(e.tokens)}` : ''].filter(Boolean).join(', ');
  const where = e.inside ? 'inside the fitted domain' : e.extrapolated ? `extrapolated (${factors})` : `near the fitted domain (${factors || 'compute'})`;
  return e.comparable ? where : `${where} · not comparable (tokenizer)`;
}

/** The CodeLens above a config: its predicted (and served) loss and where it stands. */
export function lensTitle(p: ConfigPrediction): string {
  const outside = p.extrapolation.outsideLaw;
  const served = p.inference ? (p.inference.outsideLaw ? ` · served in ${p.inference.bits} bits: outside the law` : ` · ${loss(p.inference.loss)} served in ${p.inference.bits} bits`) : '';
  return `Precision Planner: ${outside ? 'no prediction (outside the law)' : `predicted loss ${loss(p.loss)}`}${served} · ${domainLens(p)}`;
}

export function hoverMarkdown(p: ConfigPrediction, constantsLabel: string, options: HoverOptions = {}): string {
  const precision = p.precision.w === p.precision.a && p.precision.a === p.precision.kv ? `${p.precision.w}-bit` : `w${p.precision.w}a${p.precision.a}kv${p.precision.kv}`;
  const range = (i: [number, number]) => `${loss(i[0])}–${loss(i[1])}`;
  const e = p.extrapolation;
  // A loss the law cannot give is not shown as a prediction.
  const outside = e.outsideLaw ? e.warnings.find((w) => /outside the law/.test(w)) : undefined;
  const lines = [outside ? `**No prediction** — ${md(outside)}` : `**Predicted loss ${loss(p.loss)}**`, ''];
  // Each interval by its name: they answer different questions (LAW.md §8a).
  const i = p.intervals;
  if (outside) {
    // no interval around a number that is not given
  } else if (i && (i.confidence || i.prediction)) {
    const said: string[] = [];
    if (i.confidence) said.push(`95% confidence band of the expected loss ${range(i.confidence)} (bootstrap of the constants${i.presetHeld ? `; ${md(i.presetHeld)}` : ''})`);
    if (i.prediction) said.push(`95% prediction interval for a run ${range(i.prediction)} (adds the run-to-run scale)`);
    lines.push(said.join('; '), '');
  } else if (p.interval) lines.push(`95% confidence band of the expected loss ${range(p.interval)} (bootstrap of the constants)`, '');
  lines.push(domainLine(p), '');
  for (const w of e.warnings) {
    if (w === e.summary || w === outside) continue;
    lines.push(w.startsWith('not comparable: ') ? `⚠ **Not comparable** — ${md(w.slice('not comparable: '.length))}` : `⚠ ${md(w)}`, '');
  }
  const beyondLaw = p.ptq.filter((q) => q.outsideLaw);
  if (beyondLaw.length > 0) lines.push(`⚠ PTQ to ${beyondLaw.map((q) => q.bits).join(', ')} bits: ${md(beyondLaw[0].outsideLaw ?? '')}`, '');
  if (!options.omitWarnings) for (const w of p.warnings) lines.push(`⚠ ${md(w)}`, '');
  lines.push(
    `_Constants: ${md(constantsLabel)}_`,
    '',
    `N ${count(p.params)} · D ${tokens(p.tokens)} · ${precision} training · N_eff/N ${p.nEffRatio.toFixed(3)} · ${flops(p.compute)} FLOPs (counted as ${md(p.computeModel.replace(/ x /g, ' × '))})`,
    '',
  );
  if (p.inference?.outsideLaw) lines.push(`Served in ${p.inference.bits} bits: no prediction — ${md(p.inference.outsideLaw)}`, '');
  else if (p.inference) {
    const served = p.inference.intervals;
    const bands = [
      served?.confidence ? `95% confidence band ${range(served.confidence)}` : '',
      served?.prediction ? `95% prediction interval for a run ${range(served.prediction)}` : '',
    ].filter((x) => x);
    lines.push(`Served in ${p.inference.bits} bits: **${loss(p.inference.loss)}** (+${p.inference.delta.toFixed(4)})${p.inference.dcrit ? `, D_crit ${tokens(p.inference.dcrit)}` : ''}${bands.length > 0 ? `; ${bands.join('; ')}` : ''}`, '');
  }
  lines.push(row(['after PTQ to', 'loss', 'degradation', 'D_crit']), '|:---|---:|---:|---:|');
  for (const q of p.ptq) {
    lines.push(q.loss !== undefined ? row([`${q.bits} bits`, loss(q.loss), `+${(q.delta ?? 0).toFixed(4)}`, q.dcrit ? tokens(q.dcrit) : '—']) : row([`${q.bits} bits`, '—', md(q.note ?? ''), '']));
  }
  lines.push('');
  if (p.optimal) {
    const better = p.optimal.margin > 1e-4;
    const m = p.optimal.marginInterval;
    const paired = m ? `; 95% interval of the difference ${m[0].toFixed(4)} to ${m[1].toFixed(4)}${p.optimal.distinguishable === false ? ': indistinguishable from this config' : ''}` : '';
    lines.push(
      better
        ? `Compute-optimal for the same compute: N ${count(p.optimal.params)}, D ${tokens(p.optimal.tokens)}, ${p.optimal.format ? `${bits(p.optimal.bits)}-bit (${md(p.optimal.format)})` : `${bits(p.optimal.bits)}-bit`} training → ${loss(p.optimal.loss)} (${p.optimal.margin.toFixed(4)} lower${paired})`
        : `This is compute-optimal for its compute (optimum ${loss(p.optimal.loss)}).`,
    );
  }
  if (p.provenance.notes.length > 0) lines.push('', '_Constants behind these numbers:_', '', ...p.provenance.notes.map((n) => `- ${md(n)}`));
  return lines.join('\n');
}
