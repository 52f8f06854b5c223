// The designer's verdicts in a few lines, for a confirmation prompt (Launch a Sweep): what the
// sweep can identify and how tightly, what it cannot and why. Pure; the CLI prints the full table.

import { CONSTANT_NAMES, type ConstantName } from '../law/constants';
import type { DesignResult } from './design';

/** Constants a user plans with, each on a line of its own when not identifiable; the rest (A, B, C_T, b_post, the C's) only by name. */
const HEADLINE: readonly ConstantName[] = ['alpha', 'beta', 'E', 'gammaD', 'gammaN', 'gammaPost', 'gammaW', 'nW', 'gammaA', 'nA', 'gammaKV', 'nKV'];

const width = (w: number | null): string => (w === null ? '' : ` (±${Math.round(50 * w)}%)`);

/** "Identifiable: gammaD (±5%), …", "Weak: …", then one line per headline constant it cannot identify. */
export function designSummary(r: DesignResult): string[] {
  if (r.status === 'no-runs') return ['The grid has no runs to simulate.'];
  const named = (status: string): ConstantName[] => HEADLINE.filter((n) => r.constants[n].status === status);
  const lines = [
    `By simulation (${r.simulations.requested} refits of the grid drawn from ${r.truth.source}, noise ${+r.noise.train.toPrecision(2)} nats per run; ±: half the refits' 5-95% spread, relative to the truth):`,
  ];
  const identifiable = named('identifiable');
  const weak = named('weak');
  lines.push(`Identifiable: ${identifiable.length > 0 ? identifiable.map((n) => `${n}${width(r.constants[n].relativeWidth)}`).join(', ') : 'none of the exponents'}.`);
  if (weak.length > 0) lines.push(`Weak: ${weak.map((n) => `${n}${width(r.constants[n].relativeWidth)}`).join(', ')}.`);
  for (const n of HEADLINE) {
    const v = r.constants[n];
    if (v.status === 'not identifiable' || v.status === 'not fitted') lines.push(`${n}: ${v.status} — ${v.reason ?? ''}`.replace(/ — $/, ''));
  }
  const others = CONSTANT_NAMES.filter((n) => !HEADLINE.includes(n) && r.constants[n].status !== 'identifiable' && r.constants[n].status !== 'weak');
  if (others.length > 0) lines.push(`Also not identified: ${others.join(', ')} (precision-planner design lists why).`);
  return lines;
}
