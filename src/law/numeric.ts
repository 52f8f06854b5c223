// Small one-dimensional solvers the planners and D_crit share.

export interface ScalarMinimum {
  x: number;
  value: number;
}

const GOLDEN = (Math.sqrt(5) - 1) / 2;

/**
 * Minimise f on [lo, hi]: a uniform grid finds the basin (the planners' objectives can have
 * infeasible stretches where f is +Infinity), then golden-section search polishes it.
 * Non-finite values count as +Infinity.
 */
export function minimizeScalar(f: (x: number) => number, lo: number, hi: number, gridPoints = 64, tolerance = 1e-9): ScalarMinimum {
  const safe = (x: number): number => {
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  if (!(hi > lo)) return { x: lo, value: safe(lo) };
  const step = (hi - lo) / gridPoints;
  let best = 0;
  let bestValue = Infinity;
  for (let i = 0; i <= gridPoints; i++) {
    const v = safe(lo + i * step);
    if (v < bestValue) {
      bestValue = v;
      best = i;
    }
  }
  let a = lo + Math.max(0, best - 1) * step;
  let b = lo + Math.min(gridPoints, best + 1) * step;
  let c = b - GOLDEN * (b - a);
  let d = a + GOLDEN * (b - a);
  let fc = safe(c);
  let fd = safe(d);
  while (b - a > tolerance * (1 + Math.abs(a) + Math.abs(b))) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - GOLDEN * (b - a);
      fc = safe(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + GOLDEN * (b - a);
      fd = safe(d);
    }
  }
  const x = (a + b) / 2;
  const value = safe(x);
  const gridX = lo + best * step;
  return value <= bestValue ? { x, value } : { x: gridX, value: bestValue };
}

/** Root of an increasing function on [lo, hi] by bisection; undefined when it does not change sign there. */
export function bisectIncreasing(g: (x: number) => number, lo: number, hi: number, tolerance = 1e-12): number | undefined {
  let glo = g(lo);
  const ghi = g(hi);
  if (!(glo <= 0 && ghi >= 0)) return undefined;
  let a = lo;
  let b = hi;
  for (let i = 0; i < 200 && b - a > tolerance * (1 + Math.abs(a)); i++) {
    const m = (a + b) / 2;
    const gm = g(m);
    if (gm <= 0) {
      a = m;
      glo = gm;
    } else {
      b = m;
    }
  }
  return (a + b) / 2;
}
