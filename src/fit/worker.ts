// Worker-thread entry: fits off the caller's thread (the extension host must stay responsive
// through a bootstrap of a hundred refits). Receives runs and options, posts progress and the
// law's result as soon as it is done. After a usable fit, the post-quantization predictor
// (Xu et al.) is evaluated on the same runs against the fitted law — several seconds of random
// forests — and posted as a second message, so the caller shows the law without waiting for it.
// The caller cancels either part by terminating the worker.

import { parentPort, workerData } from 'node:worker_threads';
import type { Constants } from '../law/constants';
import type { Run } from '../runs/run';
import { ptqSamples } from '../ptq/samples';
import { type PtqReport, evaluatePtqPredictor } from '../ptq/workspace';
import { type FitOptions } from './options';
import { fit } from './fit';

export type FitWorkerMessage =
  | { type: 'progress'; done: number; total: number; what: 'stages' | 'bootstrap' | 'coverage' | 'predictor' }
  | { type: 'result'; result: ReturnType<typeof fit>; predictor: boolean }
  | { type: 'ptq'; ptq?: PtqReport; error?: string }
  | { type: 'error'; message: string };

/** Trees per forest in the editor: a leave-one-size-out of a few hundred evaluations in seconds. */
const PREDICTOR_TREES = 50;

/** `predictorFor`: evaluate the predictor against these constants (a fit already in use), without fitting. */
const { runs, options, predictorFor } = workerData as { runs: Run[]; options: Partial<FitOptions>; predictorFor?: Constants };
const post = (message: FitWorkerMessage): void => parentPort?.postMessage(message);
try {
  let constants = predictorFor;
  if (!constants) {
    const result = fit(runs, { ...options, onProgress: (done, total, what) => post({ type: 'progress', done, total, what: what === 'bootstrap' || what === 'coverage' ? what : 'stages' }) });
    const predictor = result.ok && ptqSamples(runs).samples.length > 0;
    post({ type: 'result', result, predictor });
    if (predictor) constants = result.constants;
  }
  if (constants) {
    try {
      const ptq = evaluatePtqPredictor(runs, constants, { trees: PREDICTOR_TREES }, (done, total) => post({ type: 'progress', done, total, what: 'predictor' }));
      post({ type: 'ptq', ptq });
    } catch (error) {
      // The law's fit stands on its own; the predictor's section then says it was not evaluated.
      post({ type: 'ptq', error: (error as Error).message });
    }
  }
} catch (error) {
  post({ type: 'error', message: (error as Error).message });
}
