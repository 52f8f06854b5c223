// The cheapest change to a grid that makes a named constant identifiable: candidate additions
// (one more size at about 2x, 4x and 8x the largest, one more budget at 2x and 4x the largest,
// a part varied alone at 3, 4 and 6 bits), tried in increasing estimated CPU time, each re-simulated.

import { type ConstantName, PARTS, PART_CONSTANTS } from '../law/constants';
import { jobProblems } from '../train/engine';
import { type SweepGrid, canonicalSize, compactCount, expandGrid, parseSize } from '../train/grid';
import { type DesignOptions, estimateOf, simulateRefits } from './design';
import { type VerdictStatus, verdict } from './identify';
import { designRun, truthForGrid } from './simulate';
import { countNonEmbeddingParams } from '../train/modelConfig';
import { resolveJob } from '../train/config';

export interface Candidate {
  /** "add size 4x256", "add tokens 2.4M", "add precisions w3a32kv32, w4a32kv32, w6a32kv32 at 2x32, 1.2M tokens". */
  change: string;
  grid: SweepGrid;
}

export interface TriedChange {
  change: string;
  addedRuns: number;
  /** CPU time the change adds to the sweep. */
  addedCpuSeconds: number;
  status: VerdictStatus;
  reason?: string;
}

export interface Proposal {
  target: ConstantName;
  status: 'already-identifiable' | 'found' | 'not-found';
  /** The cheapest change that makes the target identifiable (status 'found'). */
  change?: TriedChange;
  /** Every change tried, cheapest first, up to the one found. */
  tried: TriedChange[];
  message: string;
}

const sizeParams = (size: string): number => countNonEmbeddingParams(resolveJob({ name: 's', outDir: '.', tokens: 1, precision: 'fp32', model: parseSize(size) }).model);

/** The additions tried, each a whole grid (the old one plus one setting), those the trainer would refuse left out. */
export function candidates(grid: SweepGrid, target: ConstantName): Candidate[] {
  const sizes = grid.sizes.map((s) => canonicalSize(s));
  const largest = [...sizes].sort((a, b) => sizeParams(b) - sizeParams(a))[0];
  const { depth, width } = parseSize(largest);
  const out: Candidate[] = [];
  for (const size of [`${2 * depth}x${width}`, `${depth}x${2 * width}`, `${2 * depth}x${2 * width}`]) {
    if (!sizes.includes(size)) out.push({ change: `add size ${size}`, grid: { ...grid, sizes: [...grid.sizes, size] } });
  }
  const most = Math.max(...grid.tokens);
  for (const factor of [2, 4]) out.push({ change: `add tokens ${compactCount(most * factor)}`, grid: { ...grid, tokens: [...grid.tokens, most * factor] } });
  // A part's own factor needs that part varied with the others high: at one size and budget (a
  // grid part of its own), the smallest size, where the reducible loss it scales is largest, and
  // the middle budget, not across the whole grid.
  const part = PARTS.find((p) => Object.values(PART_CONSTANTS[p]).includes(target));
  const smallest = [...sizes].sort((a, b) => sizeParams(a) - sizeParams(b))[0];
  const budgets = [...grid.tokens].sort((a, b) => a - b);
  const middle = budgets[Math.floor((budgets.length - 1) / 2)];
  // Three bit-widths at once: a part's gamma and n are two constants, and one run cannot tell them apart.
  for (const p of part ? [part] : []) {
    const specs = [3, 4, 6].map((bits) => `w${p === 'w' ? bits : 32}a${p === 'a' ? bits : 32}kv${p === 'kv' ? bits : 32}`);
    out.push({ change: `add precisions ${specs.join(', ')} at ${smallest}, ${compactCount(middle)} tokens`, grid: { ...grid, also: [...(grid.also ?? []), { sizes: [smallest], tokens: [middle], precisions: specs }] } });
  }
  return out.filter((c) => jobProblems(expandGrid(c.grid)).length === 0);
}

/** Tries the candidates cheapest first; `base` is the grid's own verdict of the target. */
export function proposeChange(grid: SweepGrid, target: ConstantName, baseStatus: VerdictStatus, o: DesignOptions): Proposal {
  if (baseStatus === 'identifiable') return { target, status: 'already-identifiable', tried: [], message: `${target} is identifiable with this grid` };
  const baseCpu = estimateOf(expandGrid(grid), o).cpuSeconds;
  const priced = candidates(grid, target)
    .map((c) => {
      const jobs = expandGrid(c.grid);
      return { ...c, jobs, addedCpuSeconds: estimateOf(jobs, o).cpuSeconds - baseCpu, addedRuns: jobs.length - expandGrid(grid).length };
    })
    .sort((a, b) => a.addedCpuSeconds - b.addedCpuSeconds);
  const tried: TriedChange[] = [];
  for (const c of priced) {
    const runs = c.jobs.map(designRun);
    const truth = truthForGrid(o.truth, runs).constants;
    const { refits } = simulateRefits(runs, truth, { ...o, onProgress: undefined });
    const v = verdict(target, truth[target], refits);
    const entry: TriedChange = { change: c.change, addedRuns: c.addedRuns, addedCpuSeconds: c.addedCpuSeconds, status: v.status, ...(v.reason ? { reason: v.reason } : {}) };
    tried.push(entry);
    o.onProgress?.(tried.length, priced.length);
    if (v.status === 'identifiable') return { target, status: 'found', change: entry, tried, message: `${c.change}: makes ${target} identifiable` };
  }
  return { target, status: 'not-found', tried, message: `none of the ${tried.length} changes tried makes ${target} identifiable` };
}
