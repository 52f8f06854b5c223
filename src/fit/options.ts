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
  /**
   * What the joint refinement fits: 'unified' predicts every point with the whole law in log-loss
   * (a PTQ point's residual is then mostly its run's end-of-training error, and the refinement
   * trades the small degradations away to fit the loss level); 'split' (default) adds each PTQ
   * point's degradation residual (the PTQ stage's) weighted to the degradations' own scale, so a
   * 1e-3-nat degradation effect counts (stages.ts, degradationWeight).
   */
  jointObjective: 'split' | 'unified';
  /**
   * Which variant of the fit to use: 'auto' compares the default with its one-factor neighbours
   * (untied, zero-offsets, no-joint, squares) by held-out error and uses the best (variants.ts);
   * a name ("default", "no-joint", "untied+squares", ...) pins it. Options given explicitly
   * (tieExponents, offsets, joint, loss) are pinned and not varied. Needs `heldOut`.
   */
  variant: string;
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
  jointObjective: 'split',
  variant: 'auto',
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
