// Plain aligned text tables for terminal output. Numbers are formatted here, per column, so a
// column reads at a glance: one number of decimals for all its numbers (2.9340 above 2.9012,
// not 2.934 above 2.9012), integers without any, and signed differences with their sign.

import { formatSigned } from '../runs/quantity';
import { terminalText } from './terminalText';

/** A number printed with an explicit sign: +0.0012, -0.0012 (0 has none). */
export interface Signed {
  signed: number;
}

export type Cell = string | number | Signed;

export const signed = (x: number): Signed => ({ signed: x });

/** Significant digits the largest number of a column keeps, and the fewest the smallest keeps. */
const SIGNIFICANT = 4;
const SIGNIFICANT_SMALLEST = 2;
const MAX_DECIMALS = 6;

const numberOf = (cell: Cell | undefined): number | undefined => (typeof cell === 'number' ? cell : typeof cell === 'object' ? cell.signed : undefined);

/** Decimals that keep `digits` significant digits of x. */
const decimalsFor = (x: number, digits: number): number => digits - 1 - Math.floor(Math.log10(Math.abs(x)));

/**
 * Decimals for a column of numbers: none when all are integers, else enough for the largest
 * magnitude to keep `significant` digits (4 unless a column asks for more) and the smallest
 * non-zero one 2 (at most 6 decimals).
 */
export function columnDecimals(values: readonly number[], significant = SIGNIFICANT): number {
  const finite = values.filter((x) => Number.isFinite(x));
  if (finite.every((x) => Number.isInteger(x))) return 0;
  const magnitudes = finite.filter((x) => x !== 0).map(Math.abs);
  if (magnitudes.length === 0) return 0;
  const decimals = Math.max(decimalsFor(Math.max(...magnitudes), significant), decimalsFor(Math.min(...magnitudes), SIGNIFICANT_SMALLEST));
  return Math.max(0, Math.min(MAX_DECIMALS, decimals));
}

function formatCell(cell: Cell, decimals: number): string {
  // Escaped here, not only at the output: a cell's width is that of what the terminal shows.
  if (typeof cell === 'string') return terminalText(cell);
  const x = typeof cell === 'number' ? cell : cell.signed;
  if (typeof cell === 'object') return formatSigned(x, decimals);
  if (!Number.isFinite(x)) return String(x);
  const text = Math.abs(x).toFixed(decimals);
  // A value that rounds to zero carries no sign: "-0.0000" would say it is below zero.
  return x < 0 && Number(text) !== 0 ? `-${text}` : text;
}

export interface TableOptions {
  /** Significant digits of a column's largest number, by column index, where 4 is too few. */
  significant?: Partial<Record<number, number>>;
}

export function table(header: string[], rows: Array<Array<Cell>>, options: TableOptions = {}): string {
  const decimals = header.map((_, j) => columnDecimals(rows.flatMap((r) => numberOf(r[j]) ?? []), options.significant?.[j]));
  const cells = [header, ...rows.map((r) => r.map((c, j) => formatCell(c, decimals[j] ?? 0)))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const line = (r: string[]) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
