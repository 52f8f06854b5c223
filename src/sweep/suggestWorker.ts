// Worker-thread entry: the next-run suggester off the extension host's thread (seconds of
// simulated refits). Receives the options, posts progress and the result; the caller cancels by
// terminating the worker.

import { parentPort, workerData } from 'node:worker_threads';
import { type SuggestOptions, type SuggestResult, suggestRuns } from './suggest';
import type { WorkerMessage } from './workerMessage';


const options = workerData as Omit<SuggestOptions, 'onProgress'>;
const post = (message: WorkerMessage<SuggestResult>): void => parentPort?.postMessage(message);
try {
  post({ type: 'result', result: suggestRuns({ ...options, onProgress: (done, total) => post({ type: 'progress', done, total }) }) });
} catch (error) {
  post({ type: 'error', message: (error as Error).message });
}
