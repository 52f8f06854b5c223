// What repeated refits of simulated sweeps say about each constant: whether the fit estimates it
// at all, whether the data pin it down, and how wide the refitted values spread about the truth.
// Pure: refits in, verdicts out.

import { CONSTANT_NAMES, type ConstantName, type Constants } from '../law/constants';
import type { FitResult } from '../fit/fit';
import { percentile } from '../fit/metrics';
import type { StageName } from '../fit/stages';

/** What one refit says about the constants: enough of a FitResult to judge them, and small to keep. */
export interface RefitSummary {
  ok: boolean;
  constants: Constants;
  origin: FitResult['origin'];
  /** The fit's reasons a constant is held, skipped or flat (not identifiable), by constant. */
  reasons: Partial<Record<ConstantName, string>>;
  /** Constants that ended at a bound, with the fit's words. */
  atBound: Partial<Record<ConstantName, string>>;
}

const STAGE_OF: Record<ConstantName, StageName> = {
  A: 'chinchilla', alpha: 'chinchilla', B: 'chinchilla', beta: 'chinchilla', E: 'chinchilla',
  gammaW: 'precision', nW: 'precision', gammaA: 'precision', nA: 'precision', gammaKV: 'precision', nKV: 'precision',
  CT: 'ptq', gammaD: 'ptq', gammaN: 'ptq', gammaPost: 'ptq', bPost: 'ptq', Cw: 'ptq', Ca: 'ptq', Ckv: 'ptq',
};

/** The parts of a FitResult the verdicts need. */
export function summarizeRefit(r: FitResult): RefitSummary {
  const reasons: RefitSummary['reasons'] = {};
  for (const s of r.stages) {
    for (const h of s.held) reasons[h.name] ??= h.reason;
    if (s.status !== 'fitted' && s.name !== 'joint') {
      for (const name of CONSTANT_NAMES) if (STAGE_OF[name] === s.name) reasons[name] ??= `${s.name} stage ${s.status}: ${s.reason ?? ''}`;
    }
  }
  for (const [name, why] of Object.entries(r.identifiability?.notIdentifiable ?? {}) as Array<[ConstantName, string]>) reasons[name] ??= why;
  return { ok: r.ok, constants: r.constants, origin: r.origin, reasons, atBound: { ...(r.identifiability?.atBound ?? {}) } };
}

export type VerdictStatus = 'identifiable' | 'weak' | 'not identifiable' | 'not fitted';

export interface ConstantVerdict {
  name: ConstantName;
  status: VerdictStatus;
  /** The value the simulated runs were drawn with. */
  truth: number;
  /** Refits (of all) that fitted this constant. */
  fitted: number;
  /** 5%, 50% and 95% of the refitted values (fitted refits only); null when none fitted it. */
  spread: { p5: number; median: number; p95: number } | null;
  /** (p95 - p5) / |truth|: the interval's width relative to the truth; null without a spread. */
  relativeWidth: number | null;
  /** Why it is not identifiable, or weakly; absent when identifiable. */
  reason?: string;
}

/** Share of refits above which a reason the fit gives (held, skipped, flat) is the verdict. */
export const MAJORITY = 0.5;
/** Share of refits ending on a bound that makes a constant not identifiable. */
export const AT_BOUND_SHARE = 0.25;
/** Relative width of the 5-95% spread above which an identifiable constant is only weakly so. */
export const WEAK_WIDTH = 1;
/** Relative width above which a constant is not identifiable at all (the refits span more than 4x its value). */
export const NOT_IDENTIFIABLE_WIDTH = 4;
/** Scale constants (always positive) whose refits spread over more than this factor are not identifiable. */
export const SCALE_FACTOR_LIMIT = 10;

/** Constants fitted on a log scale: positive by construction, so "covers 0" cannot happen; their spread is a factor. */
const SCALE: readonly ConstantName[] = ['A', 'B', 'E', 'CT'];
/** Offsets: their sign is no finding, only their width counts. */
const OFFSETS: readonly ConstantName[] = ['nW', 'nA', 'nKV', 'bPost'];

const mostCommon = (texts: readonly string[]): string | undefined => {
  const counts = new Map<string, number>();
  for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
};

const num = (x: number): string => String(+x.toPrecision(3));

export function verdict(name: ConstantName, truth: number, refits: readonly RefitSummary[]): ConstantVerdict {
  const fittedRefits = refits.filter((r) => r.origin[name] === 'fitted' && Number.isFinite(r.constants[name]));
  const values = fittedRefits.map((r) => r.constants[name]);
  const spread = values.length > 0 ? { p5: percentile(values, 0.05), median: percentile(values, 0.5), p95: percentile(values, 0.95) } : null;
  const relativeWidth = spread && truth !== 0 ? (spread.p95 - spread.p5) / Math.abs(truth) : null;
  const base = { name, truth, fitted: fittedRefits.length, spread, relativeWidth };
  const n = Math.max(1, refits.length);
  if (fittedRefits.length / n < MAJORITY) {
    const why = mostCommon(refits.filter((r) => r.origin[name] !== 'fitted').map((r) => r.reasons[name] ?? `held at the ${r.origin[name]} value`));
    return { ...base, status: 'not fitted', reason: why ?? 'the fit does not estimate it' };
  }
  const flat = fittedRefits.filter((r) => r.reasons[name] !== undefined);
  if (flat.length / fittedRefits.length >= MAJORITY) return { ...base, status: 'not identifiable', reason: mostCommon(flat.map((r) => r.reasons[name] as string)) };
  const bound = fittedRefits.filter((r) => r.atBound[name] !== undefined);
  if (bound.length / fittedRefits.length >= AT_BOUND_SHARE) {
    return { ...base, status: 'not identifiable', reason: `${bound.length} of ${fittedRefits.length} refits end on a bound (${mostCommon(bound.map((r) => r.atBound[name] as string))})` };
  }
  const s = spread as NonNullable<typeof spread>;
  const range = `5-95% of the refits ${num(s.p5)} to ${num(s.p95)}, truth ${num(truth)}`;
  if (SCALE.includes(name)) {
    if (s.p95 / s.p5 > SCALE_FACTOR_LIMIT) return { ...base, status: 'not identifiable', reason: `the refits spread over a factor ${num(s.p95 / s.p5)} (${range})` };
  } else if (!OFFSETS.includes(name) && s.p5 <= 0 && s.p95 >= 0) {
    return { ...base, status: 'not identifiable', reason: `the refits' spread covers 0 (${range})` };
  }
  // A spread that misses the truth by more than its own width estimates something else: a combined
  // factor, a compensating constant (a truth just outside a few refits' range is chance).
  if ((truth < s.p5 || truth > s.p95) && Math.abs(s.median - truth) > s.p95 - s.p5) return { ...base, status: 'not identifiable', reason: `biased: the truth is outside the refits' spread (${range})` };
  if (!SCALE.includes(name) && relativeWidth !== null && relativeWidth > NOT_IDENTIFIABLE_WIDTH) return { ...base, status: 'not identifiable', reason: `the refits spread over ${num(100 * relativeWidth)}% of the truth (${range})` };
  if (relativeWidth !== null && relativeWidth > WEAK_WIDTH) return { ...base, status: 'weak', reason: `wide: ${range}, ${num(100 * relativeWidth)}% of the truth` };
  return { ...base, status: 'identifiable' };
}

export function verdicts(truth: Constants, refits: readonly RefitSummary[]): Record<ConstantName, ConstantVerdict> {
  return Object.fromEntries(CONSTANT_NAMES.map((name) => [name, verdict(name, truth[name], refits)])) as Record<ConstantName, ConstantVerdict>;
}
