// The status bar's words, apart from VS Code so they can be tested: the fit in use, or how many
// of the runs found are complete and that predictions use the paper constants.

import type { FitResult } from '../fit/fit';
import { type Run, incompleteText, isComplete } from '../runs/run';

export interface StatusInput {
  /** Runs found by the last scan; undefined before the first one ends. */
  runs?: readonly Run[];
  /** The workspace fit, when predictions use it. */
  fit?: FitResult;
  /** Why the latest fit was not used, if it was not. */
  rejected?: string;
}

/** Incomplete runs by why ("2 cancelled, 1 loss is NaN"), so a lower count than expected is explained. */
function incompleteSummary(runs: readonly Run[]): string {
  const why = new Map<string, number>();
  for (const r of runs) if (r.missing.length > 0) why.set(incompleteText(r), (why.get(incompleteText(r)) ?? 0) + 1);
  const reasons = [...why.entries()].sort((a, b) => b[1] - a[1]);
  return reasons.length > 0 ? ` Not fitted: ${reasons.slice(0, 3).map(([text, k]) => `${k} ${text}`).join(', ')}${reasons.length > 3 ? ', …' : ''}.` : '';
}

export function statusText(input: StatusInput): { text: string; tooltip: string } {
  const rejected = input.rejected ? `\n\nThe latest fit was not used: ${input.rejected}.` : '';
  const incomplete = incompleteSummary(input.runs ?? []);
  const all = input.fit?.metrics.all;
  if (input.fit && all) {
    return { text: `Precision: ${input.fit.data.runs} runs · R² ${all.r2.toFixed(3)}`, tooltip: `${incomplete.trim()}${incomplete ? ' ' : ''}Click for the dashboard.${rejected}` };
  }
  const found = input.runs;
  const complete = found?.filter(isComplete).length;
  const counted = found === undefined ? '…' : complete === found.length ? `${found.length} run${found.length === 1 ? '' : 's'}` : `${complete} of ${found.length} runs complete`;
  return {
    text: `Precision: ${counted} · paper constants${input.rejected ? ' (fit not used)' : ''}`,
    tooltip: `Predictions use the paper constants.${incomplete} Click to fit the workspace runs.${rejected}`,
  };
}
