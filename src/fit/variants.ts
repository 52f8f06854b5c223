// Which variant of the fit predicts best (LAW.md §7, issue 13 point 7): tied or untied
// exponents, offsets fitted or zero, joint refinement on or off, Huber or least squares, compared
// by held-out error. One factor at a time around the base (the defaults, or what the user pinned),
// each variant refitted without bootstrap or profiles on the k smallest model sizes to predict
// the next (the rollout, whose last step is the largest size held out). The chosen variant alone
// then gets the full fit, its bootstrap and its coverage.

import { pointTable, predictAll } from './gradient';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from './options';
import type { FitPoint } from './points';
import { fitStages } from './stages';

/** The options a variant sets. */
export type VariantFactor = 'tieExponents' | 'offsets' | 'joint' | 'loss';
export type VariantOptions = Pick<FitOptions, VariantFactor>;
export const VARIANT_FACTORS: readonly VariantFactor[] = ['tieExponents', 'offsets', 'joint', 'loss'];

/** Each factor's name when it differs from the default, and the value it then takes. */
const TOKENS: ReadonlyArray<{ factor: VariantFactor; token: string; value: VariantOptions[VariantFactor] }> = [
  { factor: 'tieExponents', token: 'untied', value: false },
  { factor: 'offsets', token: 'zero-offsets', value: 'zero' },
  { factor: 'joint', token: 'no-joint', value: false },
  { factor: 'loss', token: 'squares', value: 'squares' },
];

export const VARIANT_TOKENS: readonly string[] = TOKENS.map((t) => t.token);

/** A variant's name: its differences from the default fit joined by "+", or "default". */
export function variantName(o: VariantOptions): string {
  const tokens = TOKENS.filter((t) => o[t.factor] !== DEFAULT_FIT_OPTIONS[t.factor]).map((t) => t.token);
  return tokens.length > 0 ? tokens.join('+') : 'default';
}

/** The options a variant's name stands for ("default", or tokens joined by "+"), or why the name means nothing. */
export function parseVariant(name: string): VariantOptions | { error: string } {
  const options: VariantOptions = pick(DEFAULT_FIT_OPTIONS);
  if (name === 'default') return options;
  for (const token of name.split('+')) {
    const t = TOKENS.find((x) => x.token === token);
    if (!t) return { error: `"${token}" is not a variant: use default or ${VARIANT_TOKENS.join(', ')}, joined by "+"` };
    (options as Record<VariantFactor, unknown>)[t.factor] = t.value;
  }
  return options;
}

const pick = (o: Readonly<VariantOptions>): VariantOptions => ({ tieExponents: o.tieExponents, offsets: o.offsets, joint: o.joint, loss: o.loss });

/** The other value of a factor. */
function flipped(o: VariantOptions, factor: VariantFactor): VariantOptions {
  const next = pick(o);
  if (factor === 'tieExponents') next.tieExponents = !o.tieExponents;
  if (factor === 'offsets') next.offsets = o.offsets === 'fit' ? 'zero' : 'fit';
  if (factor === 'joint') next.joint = !o.joint;
  if (factor === 'loss') next.loss = o.loss === 'huber' ? 'squares' : 'huber';
  return next;
}

/** Held-out errors of one variant on the points it did not see. */
export interface HeldOutErrors {
  /** RMSE of log-loss on the end-of-training points (the law's loss against the observed). */
  train: number | null;
  /** RMSE, in nats, of the PTQ degradation: the law's delta_PTQ against the run's L_post - L_train. */
  degradation: number | null;
  trainPoints: number;
  ptqPoints: number;
}

export interface VariantRow {
  name: string;
  options: VariantOptions;
  /** Fitted on every size but the largest, predicting the largest. */
  largestOut: (HeldOutErrors & { params: number }) | { skipped: string };
  /** Fitted on the k smallest sizes, predicting the next, pooled over the steps (the last is the largest out). */
  rollout: (HeldOutErrors & { steps: number }) | { skipped: string };
  /** Mean over the four errors of each one's ratio to the best row's; 1 is best everywhere; null when not scored. */
  score: number | null;
  chosen: boolean;
}

export interface VariantComparison {
  /** How the rows are scored and chosen, in words. */
  rule: string;
  /** The row the others differ from by one factor: the default fit, or what the user pinned. */
  base: string;
  /** Factors the user set, not varied. */
  pinned: VariantFactor[];
  /** 'held-out': the best score; 'pinned': the user named the variant; 'base': no other row could be scored better. */
  choice: 'held-out' | 'pinned' | 'base';
  chosen: string;
  rows: VariantRow[];
}

/** Rollout steps each variant is refitted for (the last ones, on the most data): keeps the editor's refit bounded. */
export const VARIANT_ROLLOUT_STEPS = 3;
/** A variant other than the base is chosen only when its score is lower by more than this (relative). */
export const VARIANT_MARGIN = 0.01;

export const VARIANT_RULE =
  `each variant refitted (no bootstrap) on the k smallest model sizes to predict the next, for the last ${VARIANT_ROLLOUT_STEPS} steps (the last one holds the largest size out); ` +
  'errors: RMSE of log-loss on end-of-training points, RMSE of the PTQ degradation in nats; ' +
  'score: the mean, over the four errors (largest out and rollout, each on end of training and degradation), of the ratio to the best variant on that error, ' +
  `so each error counts on its own scale and a 1e-3-nat degradation error weighs as much as the loss level; the base is kept unless another scores lower by more than ${100 * VARIANT_MARGIN}%`;

interface Sq {
  train: number;
  nTrain: number;
  deg: number;
  nDeg: number;
}

function squaredErrors(refit: Float64Array, target: readonly FitPoint[]): Sq {
  const table = pointTable(target);
  const unified = predictAll(refit, table, 'unified');
  const ptq = predictAll(refit, table, 'ptq');
  const sq: Sq = { train: 0, nTrain: 0, deg: 0, nDeg: 0 };
  target.forEach((p, i) => {
    if (p.kind === 'train') {
      const e = unified[i] > 0 ? Math.log(unified[i]) - Math.log(p.loss) : NaN;
      if (Number.isFinite(e)) {
        sq.train += e * e;
        sq.nTrain++;
      }
    } else if (p.trainLoss !== undefined) {
      const e = ptq[i] - p.trainLoss - (p.loss - p.trainLoss);
      if (Number.isFinite(e)) {
        sq.deg += e * e;
        sq.nDeg++;
      }
    }
  });
  return sq;
}

const errorsOf = (s: Sq): HeldOutErrors => ({
  train: s.nTrain > 0 ? Math.sqrt(s.train / s.nTrain) : null,
  degradation: s.nDeg > 0 ? Math.sqrt(s.deg / s.nDeg) : null,
  trainPoints: s.nTrain,
  ptqPoints: s.nDeg,
});

function heldOutRow(points: readonly FitPoint[], options: FitOptions, variant: VariantOptions, sizes: readonly number[]): Omit<VariantRow, 'score' | 'chosen'> {
  const name = variantName(variant);
  const refitOptions: FitOptions = { ...options, ...variant, bootstrap: 0, profiles: false, onProgress: undefined };
  const first = Math.max(2, sizes.length - VARIANT_ROLLOUT_STEPS);
  const steps: Sq[] = [];
  for (let k = first; k < sizes.length; k++) {
    const kept = points.filter((p) => p.params <= sizes[k - 1]);
    const target = points.filter((p) => p.params === sizes[k]);
    const refit = fitStages(kept, refitOptions);
    if (refit.stages[0].status !== 'fitted' || !refit.vector.every(Number.isFinite)) {
      const skipped = `the refit on the ${k} smallest sizes could not fit the loss level: ${refit.stages[0].reason ?? 'non-finite constants'}`;
      return { name, options: variant, largestOut: { skipped }, rollout: { skipped } };
    }
    steps.push(squaredErrors(refit.vector, target));
  }
  const last = steps[steps.length - 1];
  const pooled = steps.reduce((s, x) => ({ train: s.train + x.train, nTrain: s.nTrain + x.nTrain, deg: s.deg + x.deg, nDeg: s.nDeg + x.nDeg }), { train: 0, nTrain: 0, deg: 0, nDeg: 0 });
  return { name, options: variant, largestOut: { params: sizes[sizes.length - 1], ...errorsOf(last) }, rollout: { steps: steps.length, ...errorsOf(pooled) } };
}

/** The four held-out errors of a row, in a fixed order (null where missing). */
function errorVector(row: Omit<VariantRow, 'score' | 'chosen'>): Array<number | null> {
  const of = (x: VariantRow['largestOut'] | VariantRow['rollout']) => ('skipped' in x ? [null, null] : [x.train, x.degradation]);
  return [...of(row.largestOut), ...of(row.rollout)];
}

/**
 * Scores: for each of the four errors every scored row has, the ratio to the lowest; a row's
 * score is their mean. A row with a refit that failed is not scored.
 */
export function scoreRows(rows: ReadonlyArray<Omit<VariantRow, 'score' | 'chosen'>>): Array<number | null> {
  const vectors = rows.map(errorVector);
  const scorable = vectors.map((v, i) => !('skipped' in rows[i].largestOut) && v.some((x) => x !== null));
  const terms = [0, 1, 2, 3].filter((t) => vectors.every((v, i) => !scorable[i] || (v[t] !== null && Number.isFinite(v[t] as number))));
  const best = terms.map((t) => Math.min(...vectors.filter((_, i) => scorable[i]).map((v) => v[t] as number)));
  return vectors.map((v, i) => {
    if (!scorable[i] || terms.length === 0) return null;
    const ratios = terms.map((t, j) => (best[j] > 0 ? (v[t] as number) / best[j] : 1));
    return ratios.reduce((s, x) => s + x, 0) / ratios.length;
  });
}

/**
 * Compares the base variant with each of its one-factor neighbours (factors in `pinned` are not
 * varied) and picks the best held-out predictor, unless `named` pins the choice. Null when the
 * data have fewer than 3 model sizes (no size to predict from two).
 */
export function compareVariants(points: readonly FitPoint[], options: FitOptions, pinned: readonly VariantFactor[], named?: VariantOptions): VariantComparison | null {
  const sizes = [...new Set(points.map((p) => p.params))].sort((a, b) => a - b);
  if (sizes.length < 3) return null;
  const base = named ?? pick(options);
  const candidates = [base, ...(named ? [] : VARIANT_FACTORS.filter((f) => !pinned.includes(f)).map((f) => flipped(base, f)))];
  const rows = candidates.map((variant, i) => {
    const row = heldOutRow(points, options, variant, sizes);
    options.onProgress?.(i + 1, candidates.length, 'variants');
    return row;
  });
  const scores = scoreRows(rows);
  let chosen = 0;
  let choice: VariantComparison['choice'] = named ? 'pinned' : 'base';
  if (!named) {
    const scored = scores.flatMap((s, i) => (s !== null ? [{ s, i }] : []));
    if (scored.length > 0) {
      const best = scored.reduce((a, b) => (b.s < a.s ? b : a));
      const base0 = scores[0];
      chosen = base0 === null || best.s < base0 * (1 - VARIANT_MARGIN) ? best.i : 0;
      choice = 'held-out';
    }
  }
  return {
    rule: VARIANT_RULE,
    base: rows[0].name,
    pinned: named ? [...VARIANT_FACTORS] : [...pinned],
    choice,
    chosen: rows[chosen].name,
    rows: rows.map((r, i) => ({ ...r, score: scores[i], chosen: i === chosen })),
  };
}

/**
 * The options the fit runs with: a named variant (`options.variant`) or the comparison's best,
 * with the factors `partial` sets explicitly kept as given. `warning` says when the name means
 * nothing (the variants are then compared as for 'auto').
 */
export function chooseVariant(points: readonly FitPoint[], partial: Partial<FitOptions>, resolved: FitOptions): { comparison: VariantComparison | null; options: FitOptions; warning?: string } {
  const pinned = VARIANT_FACTORS.filter((f) => partial[f] !== undefined);
  let options = resolved;
  let named: VariantOptions | undefined;
  let warning: string | undefined;
  if (resolved.variant !== 'auto') {
    const parsed = parseVariant(resolved.variant);
    if ('error' in parsed) warning = `variant "${resolved.variant}": ${parsed.error}; the variants were compared instead`;
    else {
      named = { ...parsed, ...Object.fromEntries(pinned.map((f) => [f, resolved[f]])) };
      options = { ...options, ...named };
    }
  }
  if (!options.heldOut) return { comparison: null, options, warning };
  const comparison = compareVariants(points, options, pinned, named);
  const row = comparison?.rows.find((r) => r.chosen);
  return { comparison, options: row ? { ...options, ...row.options } : options, warning };
}
