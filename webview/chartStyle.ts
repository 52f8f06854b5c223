// How the dashboard's charts tell series apart and label log axes. No DOM here, so it is tested
// beside the host code; main.ts supplies the theme's colours.

/** Point shapes of chart.js, filled ones first. */
export const POINT_SHAPES = ['circle', 'triangle', 'rect', 'rectRot', 'star', 'crossRot', 'cross'] as const;
export type PointShape = (typeof POINT_SHAPES)[number];

/** Dash patterns for lines, one per point shape, so a line whose colour repeats still differs. */
const DASHES: number[][] = [[], [6, 4], [2, 3], [10, 3, 2, 3], [12, 6], [4, 8], [1, 6]];

export interface Look {
  /** Index into the palette's series colours. */
  colour: number;
  shape: PointShape;
  dash: number[];
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * A look for every label, no two alike: a label's name picks its preferred colour (so the same
 * format keeps its colour from one chart and one workspace to the next); when that slot is
 * taken it moves to the next free colour, and once every colour is used, to the next shape.
 * Labels are placed in sorted order, so the result depends only on the set of labels. Distinct
 * for up to colours x POINT_SHAPES.length labels; beyond that looks repeat, in order.
 */
export function looks(labels: readonly string[], colours: number): Map<string, Look> {
  const slots = colours * POINT_SHAPES.length;
  const taken = new Set<number>();
  const out = new Map<string, Look>();
  // The preferred colour in the first shape, else the next free colour there, else the next shape.
  const free = (preferred: number, placed: number): number => {
    for (let shape = 0; shape < POINT_SHAPES.length; shape++) {
      for (let step = 0; step < colours; step++) {
        const slot = shape * colours + ((preferred + step) % colours);
        if (!taken.has(slot)) return slot;
      }
    }
    return placed % slots;
  };
  for (const [placed, label] of [...new Set(labels)].sort().entries()) {
    const slot = free(hash(label) % colours, placed);
    taken.add(slot);
    const shape = Math.floor(slot / colours) % POINT_SHAPES.length;
    out.set(label, { colour: slot % colours, shape: POINT_SHAPES[shape], dash: DASHES[shape] });
  }
  return out;
}

/** Looks by position, for series that have an order but no stable name (model sizes, parts). */
export function looksInOrder(n: number, colours: number): Look[] {
  return Array.from({ length: n }, (_, i) => {
    const shape = Math.floor(i / colours) % POINT_SHAPES.length;
    return { colour: i % colours, shape: POINT_SHAPES[shape], dash: DASHES[shape] };
  });
}

const mantissa = (v: number): number => Math.round((v / 10 ** Math.floor(Math.log10(v) + 1e-9)) * 1000) / 1000;
const exponent = (v: number): number => Math.floor(Math.log10(v) + 1e-9);

/**
 * The ticks a log axis from min to max keeps, so labels do not run into each other: every
 * tick chart.js made within one decade, 1-2-5 over up to three decades, the decades over up
 * to eight, every k-th decade beyond. Falls back to a denser rule when one keeps fewer than two.
 */
export function logTickValues(values: readonly number[], min: number, max: number): number[] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const decades = min > 0 && max > min ? Math.log10(max / min) : 0;
  const rules: Array<(v: number) => boolean> = [];
  if (decades > 8) {
    const k = Math.ceil(decades / 8);
    rules.push((v) => mantissa(v) === 1 && exponent(v) % k === 0);
  }
  if (decades > 3) rules.push((v) => mantissa(v) === 1);
  if (decades >= 1) rules.push((v) => [1, 2, 5].includes(mantissa(v)));
  for (const rule of rules) {
    const kept = positive.filter(rule);
    if (kept.length >= 2) return kept;
  }
  return positive;
}

const SUFFIXES: Array<[number, string]> = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];

/** Short tick labels: 300K, 1.5M, 20B, 1e21, 0.25, 1e-4. */
export function compactNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e15 || a < 1e-3) {
    const e = Math.floor(Math.log10(a) + 1e-9);
    return `${+(v / 10 ** e).toPrecision(2)}e${e}`;
  }
  for (const [limit, s] of SUFFIXES) if (a >= limit) return `${+(v / limit).toPrecision(3)}${s}`;
  return `${+v.toPrecision(3)}`;
}
