// The uncertainty of a plan (LAW.md §8a): the intervals of its loss, and for each alternative the
// paired interval of its margin, alternative's loss - plan's loss under the same bootstrap
// replicate. Where that interval contains 0 the data cannot tell the two apart.

import type { Scenario } from '../law/law';
import type { Allocation, Plan } from '../law/plan';
import type { FitResult } from './fit';
import { type Interval, type LossIntervals, type ResidualScale, differenceInterval, lossIntervals } from './interval';

export interface AlternativeUncertainty {
  label: string;
  /** 95% paired interval of the margin (alternative's loss - plan's loss); null without a bootstrap. */
  marginInterval: Interval | null;
  /** False where the margin's interval contains 0; null where there is no interval to judge by. */
  distinguishable: boolean | null;
}

export interface PlanUncertainty {
  interval: LossIntervals;
  alternatives: AlternativeUncertainty[];
  /** Labels of the alternatives the data cannot tell from the plan. */
  indistinguishable: string[];
  /** What the intervals rest on, or why there are none. */
  notes: string[];
}

export type PlanIntervalSource = Pick<FitResult, 'bootstrap' | 'constants'> & { residualScale?: ResidualScale };

export const scenarioOf = (a: Pick<Allocation, 'params' | 'tokens' | 'precision' | 'post'>): Scenario => ({
  params: a.params,
  tokens: a.tokens,
  precision: a.precision,
  ...(a.post !== undefined ? { post: a.post } : {}),
});

/** Whether an interval of a difference excludes 0. */
export const excludesZero = (i: Interval): boolean => i[0] > 0 || i[1] < 0;

/** The plan's uncertainty under a fit (undefined: the paper preset, which has no bootstrap). */
export function planUncertainty(fit: PlanIntervalSource | undefined, plan: Pick<Plan, 'params' | 'tokens' | 'precision' | 'post' | 'alternatives'>): PlanUncertainty {
  const notes: string[] = [];
  const replicates = fit?.bootstrap?.samples.length ?? 0;
  if (!fit || replicates < 2) {
    notes.push(fit ? 'this fit has no bootstrap replicates: the margins have no interval' : "the paper's constants come without bootstrap replicates: the margins have no interval");
  }
  const at = scenarioOf(plan);
  const interval: LossIntervals = fit ? lossIntervals(fit, at) : { confidence: null, prediction: null };
  const alternatives = plan.alternatives.map((a): AlternativeUncertainty => {
    const marginInterval = fit && replicates >= 2 ? differenceInterval(fit, at, scenarioOf(a)) : null;
    return { label: a.label, marginInterval, distinguishable: marginInterval ? excludesZero(marginInterval) : null };
  });
  const indistinguishable = alternatives.filter((a) => a.distinguishable === false).map((a) => a.label);
  if (indistinguishable.length > 0) {
    notes.push(`indistinguishable from the plan: ${indistinguishable.join('; ')} (the 95% interval of the margin contains 0)`);
  }
  return { interval, alternatives, indistinguishable, notes };
}
