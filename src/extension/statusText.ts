// The status bar's words, apart from VS Code so they can be tested: the fit in use, or how many
// of the runs found are complete and that predictions use the paper constants.

import type { FitResult } from '../fit/fit';
import { DEFAULT_PRECISION_SETTING } from '../runs/defaults';
import { type Run, isComplete } from '../runs/run';
import { type LackHints, lackText, summarizeRuns } from '../runs/summary';

/** What to do about a field the files lack, in VS Code. */
export const EXTENSION_HINTS: LackHints = { precision: `set ${DEFAULT_PRECISION_SETTING}, or add a precision column` };

export interface StatusInput {
  /** Runs found by the last scan; undefined before the first one ends. */
  runs?: readonly Run[];
  /** The workspace fit, when predictions use it. */
  fit?: FitResult;
  /** Why the latest fit was not used, if it was not. */
  rejected?: string;
}

/** Incomplete runs by what they lack ("2 lack a final validation loss: cancelled"), so a lower count than expected is explained. */
function incompleteSummary(runs: readonly Run[]): string {
  const lacks = summarizeRuns(runs).lacking.map((group) => lackText(group, EXTENSION_HINTS));
  return lacks.length > 0 ? ` Not fitted: ${lacks.slice(0, 3).join('; ')}${lacks.length > 3 ? '; …' : ''}.` : '';
}

export function statusText(input: StatusInput): { text: string; tooltip: string } {
  const rejected = input.rejected ? `\n\nThe latest fit was not used: ${input.rejected}.` : '';
  const incomplete = incompleteSummary(input.runs ?? []);
  const all = input.fit?.metrics.all;
  if (input.fit && all) {
    return { text: `Precision: ${input.fit.data.runs} runs${typeof all.r2 === 'number' ? ` · R² ${all.r2.toFixed(3)}` : ''}`, tooltip: `${incomplete.trim()}${incomplete ? ' ' : ''}Click for the dashboard.${rejected}` };
  }
  const found = input.runs;
  const complete = found?.filter(isComplete).length;
  const counted = found === undefined ? '…' : complete === found.length ? `${found.length} run${found.length === 1 ? '' : 's'}` : `${complete} of ${found.length} runs complete`;
  return {
    text: `Precision: ${counted} · paper constants${input.rejected ? ' (fit not used)' : ''}`,
    tooltip: `Predictions use the paper constants.${incomplete} Click to fit the workspace runs.${rejected}`,
  };
}
