// Goodness of fit on the loss scale users read (not log-loss): R^2 and RMSE. A metric that
// cannot be computed is null with the reason beside it, never NaN: NaN prints as "NaN" in the
// report and as null in JSON, and says nothing about why.

export type MetricName = 'r2' | 'rmse' | 'mape' | 'maxAbsError';

export interface Metrics {
  n: number;
  /** null when undefined for these points (see `unavailable`). */
  r2: number | null;
  rmse: number | null;
  /** Mean absolute error relative to the observation; null when an observation is 0. */
  mape: number | null;
  maxAbsError: number | null;
  /** Why a metric is null, by name. Absent when every metric was computed. */
  unavailable?: Partial<Record<MetricName, string>>;
  /** Pairs left out because the observation or the prediction is not a finite number. */
  nonFinite?: number;
}

/**
 * Observations whose spread is below this relative to their mean are all the same value: the
 * total sum of squares is then rounding (fifty copies of one loss gave 1e-31 and an R² of -3e23).
 */
const EQUAL = 1e-12;

/** The metrics of the finite (observed, predicted) pairs; null without any. */
export function metrics(observed: readonly number[], predicted: readonly number[]): Metrics | null {
  const obs: number[] = [];
  const pred: number[] = [];
  for (let i = 0; i < observed.length; i++) {
    if (Number.isFinite(observed[i]) && Number.isFinite(predicted[i])) {
      obs.push(observed[i]);
      pred.push(predicted[i]);
    }
  }
  const n = obs.length;
  if (n === 0) return null;
  const mean = obs.reduce((s, x) => s + x, 0) / n;
  let ssRes = 0;
  let ssTot = 0;
  let ape = 0;
  let maxAbs = 0;
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    const e = pred[i] - obs[i];
    ssRes += e * e;
    ssTot += (obs[i] - mean) ** 2;
    if (obs[i] === 0) zeros++;
    else ape += Math.abs(e / obs[i]);
    maxAbs = Math.max(maxAbs, Math.abs(e));
  }
  const unavailable: NonNullable<Metrics['unavailable']> = {};
  const value = (name: MetricName, x: number, why: string | undefined): number | null => {
    if (why === undefined && Number.isFinite(x)) return x;
    unavailable[name] = why ?? 'not a finite number (the errors overflow)';
    return null;
  };
  const out: Metrics = {
    n,
    r2: value('r2', 1 - ssRes / ssTot, n < 2 ? 'needs 2 or more points' : ssTot > n * (EQUAL * mean) ** 2 ? undefined : 'every observed value is the same: R² is undefined'),
    rmse: value('rmse', Math.sqrt(ssRes / n), undefined),
    mape: value('mape', ape / n, zeros > 0 ? `${zeros} observed value${zeros === 1 ? ' is' : 's are'} 0: the relative error is undefined` : undefined),
    maxAbsError: value('maxAbsError', maxAbs, undefined),
  };
  if (Object.keys(unavailable).length > 0) out.unavailable = unavailable;
  if (n < observed.length) out.nonFinite = observed.length - n;
  return out;
}

/** Linear-interpolated percentile of a sample (q in [0, 1]); NaNs are ignored. */
export function percentile(sample: readonly number[], q: number): number {
  const xs = sample.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const pos = q * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo);
}

/**
 * A metric as the front ends print it: its value through `format`, or a dash and why it is
 * absent. Fits saved before `unavailable` existed wrote NaN as null, without a reason.
 */
export function shownMetric(m: Pick<Metrics, MetricName | 'unavailable'>, name: MetricName, format: (x: number) => string, dash = '—'): string {
  const x = m[name];
  if (typeof x === 'number' && Number.isFinite(x)) return format(x);
  return `${dash} (${m.unavailable?.[name] ?? 'not computed'})`;
}
