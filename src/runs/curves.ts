// Loss curves as readers collect them: bounded decimation while streaming, a point budget shared
// between splits, and which logged metric names are the validation and training losses.

import { type AliasTable, normaliseKey } from './aliases';
import type { CurvePoint } from './run';

export const DEFAULT_MAX_CURVE_POINTS = 4000;
/** Beyond this many distinct splits, further ones are dropped so memory stays bounded. */
export const MAX_SPLITS = 16;

/**
 * Keeps every stride-th item, doubling the stride whenever the kept list fills, so any stream
 * is thinned to at most `max` evenly spaced items (the first and the last included) in O(max) memory.
 */
export class StrideDecimator<T> {
  private kept: T[] = [];
  private stride = 1;
  private seen = 0;
  private last: T | undefined;
  private readonly max: number;

  constructor(max: number) {
    this.max = Math.max(2, Math.floor(max));
  }

  push(item: T): void {
    if (this.seen % this.stride === 0) {
      this.kept.push(item);
      // Filling to max (not max + 1) leaves room for the last item in result().
      if (this.kept.length >= this.max) {
        this.kept = this.kept.filter((_, i) => i % 2 === 0);
        this.stride *= 2;
      }
    }
    this.last = item;
    this.seen++;
  }

  get count(): number {
    return this.seen;
  }

  result(): T[] {
    const out = this.kept.slice();
    if (this.last !== undefined && out[out.length - 1] !== this.last) out.push(this.last);
    return out;
  }
}

/** Evenly spaced subset of at most `max` items, first and last kept. */
export function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return items.slice();
  if (max <= 0) return [];
  if (max === 1) return [items[items.length - 1]];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.round((i * (items.length - 1)) / (max - 1))]);
  return out;
}

/**
 * Shares `budget` among groups of the given sizes: small groups (a few hundred validation
 * points) are kept whole, the large ones (per-step training loss) share what remains.
 */
export function shareBudget(sizes: readonly number[], budget: number): number[] {
  const shares = sizes.map(() => 0);
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[a] - sizes[b]);
  let left = budget;
  order.forEach((index, k) => {
    const fair = Math.floor(left / (order.length - k));
    shares[index] = Math.min(sizes[index], fair);
    left -= shares[index];
  });
  return shares;
}

/** Names training losses go by, best first; validation losses are found through the loss aliases. */
export const TRAIN_LOSS_NAMES: readonly string[] = ['train_loss', 'train/loss', 'training_loss', 'train_loss_step', 'train/loss_step', 'train_loss_epoch', 'loss'];

/** The split a metric name stands for: "val/loss" → "val", "eval_loss" → "eval", "loss" → "train". */
export function splitOf(key: string): string {
  const k = key.toLowerCase();
  if (k.includes('train')) return 'train';
  if (k.includes('eval')) return 'eval';
  if (k.includes('val')) return 'val';
  if (k.includes('test')) return 'test';
  return 'train';
}

/** Logged names by their normalised form, the first spelling of each kept. */
export function keysByName(keys: readonly string[]): Map<string, string> {
  const byNorm = new Map<string, string>();
  for (const key of keys) if (!byNorm.has(normaliseKey(key))) byNorm.set(normaliseKey(key), key);
  return byNorm;
}

/** The training-loss name among the keys, by TRAIN_LOSS_NAMES order, other than the validation one. */
export function trainLossKey(byNorm: ReadonlyMap<string, string>, val: string | undefined): string | undefined {
  for (const name of TRAIN_LOSS_NAMES) {
    const key = byNorm.get(normaliseKey(name));
    if (key !== undefined && key !== val) return key;
  }
  return undefined;
}

/** Which logged names hold the validation loss (the final loss) and the training loss. */
export function lossKeys(keys: readonly string[], aliases: AliasTable): { val?: string; train?: string } {
  const byNorm = keysByName(keys);
  let val: string | undefined;
  for (const alias of aliases.loss) {
    val = byNorm.get(normaliseKey(alias));
    if (val !== undefined) break;
  }
  return { val, train: trainLossKey(byNorm, val) };
}

/** Could this name be a loss either lossKeys would pick? Cheap, for deciding what to keep while streaming. */
export function lossNameFilter(aliases: AliasTable): (key: string) => boolean {
  const names = new Set([...aliases.loss, ...TRAIN_LOSS_NAMES].map(normaliseKey));
  return (key) => names.has(normaliseKey(key));
}

export interface LocatedValue {
  step: number;
  value: number;
  tokens?: number;
  /** 1-based line in `file`. */
  line: number;
  file: string;
}

/** Points of several metrics as they stream by, each thinned to a bounded curve, the last kept whole. */
export class KeyedCurves {
  private readonly series = new Map<string, StrideDecimator<LocatedValue>>();
  private readonly lastOf = new Map<string, LocatedValue>();

  constructor(private readonly maxPoints = DEFAULT_MAX_CURVE_POINTS) {}

  add(key: string, point: LocatedValue): void {
    let series = this.series.get(key);
    if (!series) {
      if (this.series.size >= MAX_SPLITS) return;
      series = new StrideDecimator<LocatedValue>(this.maxPoints);
      this.series.set(key, series);
    }
    series.push(point);
    this.lastOf.set(key, point);
  }

  /** The last finite value of a metric (NaN and ±Infinity are never added). */
  last(key: string): LocatedValue | undefined {
    return this.lastOf.get(key);
  }

  keys(): string[] {
    return [...this.series.keys()];
  }

  /** One curve of the named metrics, each under its split, in step order, within the point budget. */
  curve(keys: ReadonlyArray<string | undefined>): CurvePoint[] {
    const chosen = keys.filter((k): k is string => k !== undefined && this.series.has(k));
    const groups = chosen.map((k) => (this.series.get(k) as StrideDecimator<LocatedValue>).result());
    const shares = shareBudget(
      groups.map((g) => g.length),
      this.maxPoints,
    );
    return chosen
      .flatMap((key, i) =>
        thin(groups[i], shares[i]).map((p) => {
          const point: CurvePoint = { step: p.step, split: splitOf(key), loss: p.value };
          if (p.tokens !== undefined) point.tokens = p.tokens;
          return point;
        }),
      )
      .sort((a, b) => a.step - b.step);
  }
}
