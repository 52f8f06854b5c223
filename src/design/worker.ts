// Worker-thread entry: the sweep designer off the extension host's thread (Launch a Sweep's
// confirmation simulates a dozen refits of the grid, seconds of work). Receives the jobs and the
// options, posts progress and the result; the caller cancels by terminating the worker.

import { parentPort, workerData } from 'node:worker_threads';
import type { TrainJob } from '../train/config';
import { type DesignOptions, type DesignResult, designSweep } from './design';
import type { WorkerMessage } from '../sweep/workerMessage';


const { jobs, options } = workerData as { jobs: TrainJob[]; options: Omit<DesignOptions, 'onProgress'> };
const post = (message: WorkerMessage<DesignResult>): void => parentPort?.postMessage(message);
try {
  post({ type: 'result', result: designSweep(jobs, { ...options, onProgress: (done, total) => post({ type: 'progress', done, total }) }) });
} catch (error) {
  post({ type: 'error', message: (error as Error).message });
}
