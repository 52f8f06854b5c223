import { type Constants, PAPER_CONSTANTS } from '../law/constants';
import type { LossKind } from './leastSquares';

export interface FitOptions {
  /** Tie alpha = beta, as the paper's final fit does. */
  tieExponents: boolean;
  /** Fit the per-part offsets n_x ('fit') or use the main-text form with n_x = 0 ('zero'). */
  offsets: 'fit' | 'zero';
  loss: LossKind;
  /** Huber threshold on log-loss residuals. */
  huberDelta: number;
  /** Refine all fitted constants together after the stages. */
  joint: boolean;
  /** Bootstrap replicates (resampling runs) for confidence intervals; 0 turns them off. */
  bootstrap: number;
  seed: number;
  /** Refit without the largest model size and report the error on it. */
  heldOut: boolean;
  /** Best grid starts polished by Levenberg-Marquardt in each stage. */
  polish: number;
  maxIterations: number;
  /**
   * Exponents whose sign is a finding, allowed below 0 (by default bounded at 0, and the fit
   * says when the data pull past that bound).
   */
  allowNegative: Array<'gammaN' | 'gammaD'>;
  /** Profile each stage's constants to find those the data cannot determine (flat profiles). */
  profiles: boolean;
  /** Grid starts solved in each bootstrap replicate beside the warm start (the best screened). */
  bootstrapStarts: number;
  /** Constants used where a stage cannot be fitted. */
  preset: Constants;
  /** Called between pieces of work (stages, bootstrap replicates). */
  onProgress?: (done: number, total: number, what: string) => void;
}

export const DEFAULT_FIT_OPTIONS: Readonly<FitOptions> = Object.freeze({
  tieExponents: true,
  offsets: 'fit',
  loss: 'huber',
  huberDelta: 1e-3,
  joint: true,
  bootstrap: 100,
  seed: 0,
  heldOut: true,
  polish: 8,
  maxIterations: 100,
  allowNegative: [],
  profiles: true,
  bootstrapStarts: 2,
  preset: PAPER_CONSTANTS,
});

export function resolveFitOptions(options: Partial<FitOptions> = {}): FitOptions {
  return { ...DEFAULT_FIT_OPTIONS, ...options };
}
