// The hover on a training config, as Markdown: the prediction, its warnings and which constants
// said so first (a hover is read from the top, and may be cut off below), then the config as the
// law sees it, PTQ and D_crit, and what the same compute would buy at the optimum.

import type { ConfigPrediction } from './configPrediction';
import { bits, count, flops, loss, tokens } from './format';

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

export function hoverMarkdown(p: ConfigPrediction, constantsLabel: string, options: HoverOptions = {}): string {
  const precision = p.precision.w === p.precision.a && p.precision.a === p.precision.kv ? `${p.precision.w}-bit` : `w${p.precision.w}a${p.precision.a}kv${p.precision.kv}`;
  const interval = p.interval ? ` (95% interval ${loss(p.interval[0])}–${loss(p.interval[1])})` : '';
  const lines = [`**Predicted loss ${loss(p.loss)}**${interval}`, ''];
  if (!options.omitWarnings) for (const w of p.warnings) lines.push(`⚠ ${w}`, '');
  lines.push(
    `_Constants: ${constantsLabel}_`,
    '',
    `N ${count(p.params)} · D ${tokens(p.tokens)} · ${precision} training · N_eff/N ${p.nEffRatio.toFixed(3)} · ${flops(p.compute)} FLOPs (counted as ${p.computeModel.replace(/ x /g, ' × ')})`,
    '',
  );
  if (p.inference) {
    lines.push(`Served in ${p.inference.bits} bits: **${loss(p.inference.loss)}** (+${p.inference.delta.toFixed(4)})${p.inference.dcrit ? `, D_crit ${tokens(p.inference.dcrit)}` : ''}`, '');
  }
  lines.push(row(['after PTQ to', 'loss', 'degradation', 'D_crit']), '|:---|---:|---:|---:|');
  for (const q of p.ptq) {
    lines.push(q.loss !== undefined ? row([`${q.bits} bits`, loss(q.loss), `+${(q.delta ?? 0).toFixed(4)}`, q.dcrit ? tokens(q.dcrit) : '—']) : row([`${q.bits} bits`, '—', q.note ?? '', '']));
  }
  lines.push('');
  if (p.optimal) {
    const better = p.optimal.margin > 1e-4;
    lines.push(
      better
        ? `Compute-optimal for the same compute: N ${count(p.optimal.params)}, D ${tokens(p.optimal.tokens)}, ${bits(p.optimal.bits)}-bit training → ${loss(p.optimal.loss)} (${p.optimal.margin.toFixed(4)} lower)`
        : `This is compute-optimal for its compute (optimum ${loss(p.optimal.loss)}).`,
    );
  }
  return lines.join('\n');
}
