// A suggestion as a sweep: the grid that trains exactly the suggested runs (no cross product adds
// one that was not suggested) and the `precision-planner sweep` command line that launches it, on
// whichever executor the sweep is given. Pure.

import { type GridPart, type SizeSpec, type SweepGrid, canonicalSize, compactCount } from '../train/grid';
import { shellQuote } from './shellQuote';

/** What a suggested run needs to be trained. */
export type SuggestedSetting = { size: string; tokens: number; precision: string };

/**
 * Runs of one size and precision share a grid part (their token budgets crossed with one size and
 * one precision is exactly them); the first part is the main grid, the others `also` parts.
 */
export function suggestionGrid(runs: readonly SuggestedSetting[], outDir: string, name?: string): SweepGrid {
  const parts = new Map<string, Required<Pick<GridPart, 'sizes' | 'tokens' | 'precisions'>>>();
  for (const r of runs) {
    const key = `${r.size}|${r.precision}`;
    const part = parts.get(key) ?? { sizes: [r.size], tokens: [], precisions: [r.precision] };
    if (!part.tokens.includes(r.tokens)) part.tokens.push(r.tokens);
    parts.set(key, part);
  }
  const [main, ...also] = [...parts.values()];
  if (!main) throw new Error('a suggestion with no runs has no sweep');
  return { outDir, ...main, ...(also.length > 0 ? { also } : {}), ...(name !== undefined ? { name } : {}) };
}

/** A grid setting's values as its flag takes them: token budgets as 2.4M, sizes as 4x128. */
const listOf = (key: keyof GridPart, xs: readonly (string | number | SizeSpec)[]): string =>
  xs.map((x) => (typeof x === 'object' ? canonicalSize(x) : key === 'tokens' ? compactCount(x as number) : String(x))).join(',');

/** The flags `sweep` (and `design`) take for the grid, one word an element. */
export function gridArgs(grid: SweepGrid): string[] {
  const args = ['--sizes', listOf('sizes', grid.sizes), '--tokens', listOf('tokens', grid.tokens), '--precisions', listOf('precisions', grid.precisions)];
  if (grid.seeds) args.push('--seeds', listOf('seeds', grid.seeds));
  for (const part of grid.also ?? []) {
    const words = (['sizes', 'tokens', 'precisions', 'seeds'] as const).flatMap((key) => {
      const values = part[key];
      return values ? [`${key}=${listOf(key, values)}`] : [];
    });
    args.push('--also', words.join(' '));
  }
  args.push('--out', grid.outDir);
  if (grid.name !== undefined) args.push('--name', grid.name);
  return args;
}

/** `precision-planner sweep ...` for the grid, ready to paste into a shell (local; `--executor slurm` and its resources added run it on Slurm). */
export function sweepCommandLine(grid: SweepGrid, executorArgs: readonly string[] = []): string {
  return ['precision-planner', 'sweep', ...gridArgs(grid), ...executorArgs].map(shellQuote).join(' ');
}
