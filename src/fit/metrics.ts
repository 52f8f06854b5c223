// Goodness of fit on the loss scale users read (not log-loss): R^2 and RMSE.

export interface Metrics {
  n: number;
  r2: number;
  rmse: number;
  /** Mean absolute error relative to the observation. */
  mape: number;
  maxAbsError: number;
}

export function metrics(observed: readonly number[], predicted: readonly number[]): Metrics | null {
  const n = observed.length;
  if (n === 0) return null;
  const mean = observed.reduce((s, x) => s + x, 0) / n;
  let ssRes = 0;
  let ssTot = 0;
  let ape = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const e = predicted[i] - observed[i];
    ssRes += e * e;
    ssTot += (observed[i] - mean) ** 2;
    ape += Math.abs(e / observed[i]);
    maxAbs = Math.max(maxAbs, Math.abs(e));
  }
  return {
    n,
    r2: ssTot > 0 ? 1 - ssRes / ssTot : NaN,
    rmse: Math.sqrt(ssRes / n),
    mape: ape / n,
    maxAbsError: maxAbs,
  };
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
