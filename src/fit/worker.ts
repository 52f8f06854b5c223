// Worker-thread entry: fits off the caller's thread (the extension host must stay responsive
// through a bootstrap of a hundred refits). Receives runs and options, posts progress and
// the result; the caller cancels by terminating the worker. After a successful fit, the
// post-quantization predictor (Xu et al.) is evaluated on the same runs against the fitted law:
// a few seconds of random forests that belong off the host too.

import { parentPort, workerData } from 'node:worker_threads';
import type { Run } from '../runs/run';
import { ptqSamples } from '../ptq/samples';
import { type PtqReport, evaluatePtqPredictor } from '../ptq/workspace';
import { type FitOptions } from './options';
import { fit } from './fit';

export type FitWorkerMessage =
  | { type: 'progress'; done: number; total: number; what: string }
  | { type: 'result'; result: ReturnType<typeof fit>; ptq?: PtqReport }
  | { type: 'error'; message: string };

/** Trees per forest in the editor: a leave-one-size-out of a few hundred evaluations in seconds. */
const PREDICTOR_TREES = 50;

const { runs, options } = workerData as { runs: Run[]; options: Partial<FitOptions> };
const post = (message: FitWorkerMessage): void => parentPort?.postMessage(message);
try {
  const result = fit(runs, { ...options, onProgress: (done, total, what) => post({ type: 'progress', done, total, what }) });
  let ptq: PtqReport | undefined;
  if (result.ok && ptqSamples(runs).samples.length > 0) {
    post({ type: 'progress', done: 0, total: 1, what: 'predictor' });
    try {
      ptq = evaluatePtqPredictor(runs, result.constants, { trees: PREDICTOR_TREES });
    } catch {
      // The law's fit stands on its own; the predictor's section then says it was not evaluated.
    }
  }
  post({ type: 'result', result, ...(ptq ? { ptq } : {}) });
} catch (error) {
  post({ type: 'error', message: (error as Error).message });
}
