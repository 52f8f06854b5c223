// Sweep grids as plain values: model sizes parsed from text, a grid's cross products expanded
// into jobs (each setting once), and the order a sweep trains them in. No processes here: the
// planners (sweep designer, suggestions, estimates) use it without the engine that runs jobs.

import { DEFAULTS, type TrainJob, resolveJob } from './config';
import { type ModelConfig, countNonEmbeddingParams } from './modelConfig';
import { parseQuantSpec, quantSpecName } from './formats';

/** A model size: "4x128" is 4 blocks of width 128 (heads of 32 dimensions), "4x128h2" 2 heads. */
export interface SizeSpec {
  depth: number;
  width: number;
  heads?: number;
}

export function parseSize(text: string): SizeSpec {
  const m = /^(\d+)x(\d+)(?:h(\d+))?$/i.exec(text.trim());
  if (!m) throw new Error(`size "${text}" is not <depth>x<width>[h<heads>] (for example 4x128)`);
  return { depth: Number(m[1]), width: Number(m[2]), ...(m[3] ? { heads: Number(m[3]) } : {}) };
}

/**
 * A further cross product of a sweep, trained with the main one: the runs one grid would waste
 * compute on (each part's precision varied alone at one size and budget, a second seed of a few
 * cells). A setting it leaves out is the main grid's.
 */
export interface GridPart {
  sizes?: (string | SizeSpec)[];
  tokens?: number[];
  precisions?: string[];
  seeds?: number[];
}

export interface SweepGrid {
  outDir: string;
  sizes: (string | SizeSpec)[];
  tokens: number[];
  precisions: string[];
  seeds?: number[];
  /** More cross products of the same sweep (same settings, same folder); a run in several is trained once. */
  also?: GridPart[];
  /** Settings shared by every run (batch size, learning rate, PTQ bits, corpus, ...). */
  common?: Partial<Omit<TrainJob, 'name' | 'outDir' | 'tokens' | 'precision' | 'seed' | 'model'>> & { model?: Partial<ModelConfig> };
  /** Name recorded in every run's manifest. */
  name?: string;
  /** What reading the grid changed, for the user (duplicate settings dropped: dedupeGrid). */
  notes?: string[];
}

/** A size as one text, whatever its case or spacing: "2X32 " -> "2x32". */
export const canonicalSize = (size: string | SizeSpec): string => {
  const s = typeof size === 'string' ? parseSize(size) : size;
  return `${s.depth}x${s.width}${s.heads ? `h${s.heads}` : ''}`;
};

/**
 * The grid with each setting once: sizes, precisions and seeds compared by what they mean
 * ("2x32" and "2X32", "int8" and "W8A8KV8" are one setting), tokens by value. Without this a
 * duplicate makes jobs of one name, which would write one run folder at the same time. A note
 * per duplicate dropped; the first spelling is kept.
 */
export function dedupeGrid(grid: SweepGrid): { grid: SweepGrid; notes: string[] } {
  const notes: string[] = [];
  const unique = <T>(values: readonly T[], key: (v: T) => string | number, what: string, show: (v: T) => string): T[] => {
    const first = new Map<string | number, T>();
    for (const v of values) {
      const k = key(v);
      const kept = first.get(k);
      if (kept === undefined) first.set(k, v);
      else notes.push(show(v) === show(kept) ? `${what} ${show(v)} is given more than once: trained once` : `${what} ${show(v)} is the same as ${show(kept)}: trained once`);
    }
    return [...first.values()];
  };
  const text = (v: string | number | SizeSpec): string => JSON.stringify(typeof v === 'object' ? canonicalSize(v) : v);
  const part = <P extends GridPart>(g: P): P => ({
    ...g,
    ...(g.sizes ? { sizes: unique(g.sizes, canonicalSize, 'size', text) } : {}),
    ...(g.tokens ? { tokens: unique(g.tokens, (t) => t, 'token budget', text) } : {}),
    ...(g.precisions ? { precisions: unique(g.precisions, (p) => quantSpecName(parseQuantSpec(p)), 'precision', text) } : {}),
    ...(g.seeds ? { seeds: unique(g.seeds, (s) => s, 'seed', text) } : {}),
  });
  const deduped: SweepGrid = part(grid);
  if (grid.also) deduped.also = grid.also.map(part);
  return { grid: deduped, notes };
}

/** Each part of a grid, the main one first, with what it leaves out filled from the main grid: the cross products expandGrid walks. */
export function gridParts(grid: SweepGrid): Required<GridPart>[] {
  const seeds = grid.seeds ?? [DEFAULTS.seed];
  return [grid, ...(grid.also ?? [])].map((p) => ({ sizes: p.sizes ?? grid.sizes, tokens: p.tokens ?? grid.tokens, precisions: p.precisions ?? grid.precisions, seeds: p.seeds ?? seeds }));
}

/** 2000000 -> "2M", 500000 -> "500k", 1500000 -> "1.5M". */
export function compactCount(n: number): string {
  for (const [unit, scale] of [['B', 1e9], ['M', 1e6], ['k', 1e3]] as const) {
    if (n >= scale) return `${Number((n / scale).toPrecision(3))}${unit}`;
  }
  return String(n);
}

/** The jobs of a grid, each setting once (dedupeGrid). */
export function expandGrid(input: SweepGrid): TrainJob[] {
  const { grid } = dedupeGrid(input);
  const jobs: TrainJob[] = [];
  const seen = new Set<string>();
  const parts = gridParts(grid);
  const mainSeed = parts[0].seeds[0];
  for (const { sizes, tokens: budgets, precisions, seeds } of parts) {
    for (const sizeText of sizes) {
      const size = typeof sizeText === 'string' ? parseSize(sizeText) : sizeText;
      for (const tokens of budgets) {
        for (const precision of precisions) {
          const spec = quantSpecName(parseQuantSpec(precision));
          for (const seed of seeds) {
            // A run two parts share (size, budget, precision by meaning, seed) is trained once, under the name of the first.
            const identity = `${canonicalSize(size)}|${tokens}|${spec}|${seed}`;
            if (seen.has(identity)) continue;
            seen.add(identity);
            const sizeName = `L${size.depth}W${size.width}${size.heads ? `H${size.heads}` : ''}`;
            // The seed is in the name when a part trains several, or one other than the main grid's:
            // a second seed of a cell, in a part of its own, never takes the folder of the first.
            jobs.push({
              ...grid.common,
              name: `${sizeName}-D${compactCount(tokens)}-${spec}${seeds.length > 1 || seed !== mainSeed ? `-s${seed}` : ''}`,
              outDir: grid.outDir,
              model: { ...grid.common?.model, ...size },
              tokens,
              precision,
              seed,
              ...(grid.name ? { sweep: grid.name } : {}),
            });
          }
        }
      }
    }
  }
  return jobs;
}

/** Relative cost of a job: non-embedding parameters (plus a floor for the rest) times tokens. */
export function jobCost(job: TrainJob): number {
  const model = resolveJob(job).model;
  return (countNonEmbeddingParams(model) + 2 * model.vocabSize * model.width) * job.tokens;
}

/**
 * The order a sweep trains its jobs in: indices into `jobs`, longest first (by jobCost) so the
 * parallel slots finish together; equal costs keep the grid order. What the sweep, its dry run
 * and its confirmation list all go by.
 */
export function trainingOrder(jobs: readonly TrainJob[]): number[] {
  const costs = jobs.map(jobCost);
  return jobs.map((_, i) => i).sort((a, b) => costs[b] - costs[a] || a - b);
}
