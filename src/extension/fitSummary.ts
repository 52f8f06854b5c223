// What a finished fit gave the user, in one sentence for a notification: the runs, how well the
// law describes them, how well it predicts the largest size held out — not the stage names.

import type { FitResult } from '../fit/fit';
import { count } from './format';

export function fitSummary(result: FitResult): string {
  if (!result.ok) return result.message;
  const all = result.metrics.all;
  // A metric that could not be computed is left out of the sentence (the report says why).
  const parts = [`Fitted the scaling law to ${result.data.runs} runs${typeof all?.r2 === 'number' ? ` (R² ${all.r2.toFixed(3)})` : ''}`];
  const held = result.metrics.heldOut;
  if (held && 'params' in held && typeof held.all?.mape === 'number') parts.push(`the largest size (N = ${count(held.params)}) held out is predicted within ${(100 * held.all.mape).toFixed(2)}% on average`);
  const warnings = result.warnings.length > 0 ? ` ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'} in the report.` : '';
  return `${parts.join('; ')}. Hovers, the dashboard and plans now use it.${warnings}`;
}
