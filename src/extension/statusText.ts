// The status bar's words, apart from VS Code so they can be tested: the fit in use, or how many
// of the runs found are complete and that predictions use the paper constants.

import type { FitResult } from '../fit/fit';
import { type Run, isComplete } from '../runs/run';

export interface StatusInput {
  /** Runs found by the last scan; undefined before the first one ends. */
  runs?: readonly Run[];
  /** The workspace fit, when predictions use it. */
  fit?: FitResult;
  /** Why the latest fit was not used, if it was not. */
  rejected?: string;
}

export function statusText(input: StatusInput): { text: string; tooltip: string } {
  const rejected = input.rejected ? `\n\nThe latest fit was not used: ${input.rejected}.` : '';
  const all = input.fit?.metrics.all;
  if (input.fit && all) {
    return { text: `Precision: ${input.fit.data.runs} runs · R² ${all.r2.toFixed(3)}`, tooltip: `Click for the dashboard.${rejected}` };
  }
  const found = input.runs;
  const complete = found?.filter(isComplete).length;
  const counted = found === undefined ? '…' : complete === found.length ? `${found.length} run${found.length === 1 ? '' : 's'}` : `${complete} of ${found.length} runs complete`;
  return {
    text: `Precision: ${counted} · paper constants${input.rejected ? ' (fit not used)' : ''}`,
    tooltip: `Predictions use the paper constants. Click to fit the workspace runs.${rejected}`,
  };
}
