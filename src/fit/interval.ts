// Uncertainty of a prediction: the same scenario under every bootstrap replicate's constants.

import { predict, type Scenario } from '../law/law';
import type { FitResult } from './fit';
import { toConstants } from './gradient';
import { percentile } from './metrics';

/** 95% interval of the predicted loss, or undefined when the fit has no bootstrap samples. */
export function lossInterval(result: Pick<FitResult, 'bootstrap'>, scenario: Scenario): [number, number] | undefined {
  const samples = result.bootstrap?.samples ?? [];
  if (samples.length < 2) return undefined;
  const losses: number[] = [];
  for (const s of samples) {
    const p = predict(toConstants(s), scenario);
    if (p.ok) losses.push(p.loss);
  }
  if (losses.length < 2) return undefined;
  return [percentile(losses, 0.025), percentile(losses, 0.975)];
}
