// Launch a Sweep's design check: before the confirmation, the sweep designer (src/design) runs on
// the grid in a worker thread, with progress and a Cancel, so the prompt can say which constants
// the sweep would identify before any compute is spent. The runs are drawn from the workspace fit
// in use (its constants and measured noise), else from the paper's constants.

import * as os from 'node:os';
import * as path from 'node:path';
import { PAPER_CONSTANTS } from '../law/constants';
import { DEFAULT_PTQ_NOISE, DEFAULT_TRAIN_NOISE, type DesignOptions, type DesignResult } from '../design/design';
import { type DesignTruth, designTruthFromFit } from '../design/truth';
import type { FitResult } from '../fit/fit';
import type { TrainJob } from '../train/config';
import type { Calibration } from '../train/estimate';
import { log } from './log';
import { type WorkerOutcome, withWorkerProgress } from './workerProgress';

/** Refits in the prompt's check: enough to tell identifiable from not in seconds (the CLI's default is 30). */
export const LAUNCH_SIMULATIONS = 12;

export type DesignCheck = WorkerOutcome<DesignResult>;

/** `fit`: the workspace fit in use, if any: its constants and measured noise are the truth the runs are drawn from. */
export function checkSweepDesign(extensionPath: string, jobs: readonly TrainJob[], calibrations: readonly Calibration[], parallel: number, fit?: FitResult): Thenable<DesignCheck> {
  const from: DesignTruth = fit?.ok ? designTruthFromFit(fit, 'the workspace fit') : { truth: { ...PAPER_CONSTANTS }, truthSource: "the paper's constants" };
  const options: Omit<DesignOptions, 'onProgress'> = {
    truth: from.truth,
    truthSource: from.truthSource,
    noise: { train: from.noise?.train ?? DEFAULT_TRAIN_NOISE, ptq: from.noise?.ptq ?? DEFAULT_PTQ_NOISE },
    noiseSource: from.noiseSource ?? "defaults: the examples' run-to-run scale and degradation RMSE",
    simulations: LAUNCH_SIMULATIONS,
    seed: 0,
    calibrations,
    calibrationSource: 'in this workspace',
    parallel,
    cores: os.availableParallelism(),
  };
  return withWorkerProgress<DesignResult>(path.join(extensionPath, 'dist', 'designWorker.js'), { jobs, options }, 'Precision Planner: simulating what the sweep can identify', 'refit').then((check) => {
    if (check.status === 'failed') log().warn(`sweep design check failed: ${check.message}`);
    return check;
  });
}
