// What the designer draws its runs from when a fit is at hand: the fit's constants where it fitted
// them (a constant it held at the preset or at neutral would make the truth say that effect is
// absent, so there the paper's value stands) and the noise the fit measured on its runs. Pure.

import { CONSTANT_NAMES, type Constants, PAPER_CONSTANTS } from '../law/constants';
import type { FitResult } from '../fit/fit';
import { percentile } from '../fit/metrics';
import type { NoiseModel } from './simulate';

export interface DesignTruth {
  truth: Constants;
  truthSource: string;
  /** The fit's run-to-run scale in nats, where it measured one; undefined: keep the defaults. */
  noise?: Partial<NoiseModel>;
  noiseSource?: string;
}

export function designTruthFromFit(fit: Pick<FitResult, 'constants' | 'origin' | 'residualScale' | 'metrics' | 'points'>, label: string): DesignTruth {
  const unfitted = CONSTANT_NAMES.filter((n) => fit.origin?.[n] !== 'fitted');
  const truth = { ...fit.constants, ...Object.fromEntries(unfitted.map((n) => [n, PAPER_CONSTANTS[n]])) } as Constants;
  const truthSource = unfitted.length > 0 ? `${label} (where it fitted nothing, the paper's: ${unfitted.join(', ')})` : label;
  // The run-to-run scale is a standard deviation of log-loss: in nats at the runs' median loss.
  const losses = fit.points.filter((p) => p.kind === 'train').map((p) => p.observed);
  const sigma = fit.residualScale?.train?.sigma;
  const train = sigma !== undefined && losses.length > 0 ? sigma * percentile(losses, 0.5) : undefined;
  const ptq = fit.metrics.degradation?.rmse ?? undefined;
  const usable = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x) && x > 0;
  const noise: Partial<NoiseModel> = { ...(usable(train) ? { train } : {}), ...(usable(ptq) ? { ptq } : {}) };
  if (Object.keys(noise).length === 0) return { truth, truthSource };
  const said = [
    noise.train !== undefined ? `run-to-run scale ${sigma!.toPrecision(2)} in log-loss at its median loss` : undefined,
    noise.ptq !== undefined ? 'its degradation RMSE' : undefined,
  ].filter(Boolean);
  return { truth, truthSource, noise, noiseSource: `measured by the fit: ${said.join(', ')}` };
}
