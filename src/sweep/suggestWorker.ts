// Worker-thread entry: the next-run suggester off the extension host's thread (seconds of
// simulated refits). Receives the options, posts progress and the result; the caller cancels by
// terminating the worker.

import { parentPort, workerData } from 'node:worker_threads';
import { type SuggestOptions, type SuggestResult, suggestRuns } from './suggest';

export type SuggestWorkerMessage = { type: 'progress'; done: number; total: number } | { type: 'result'; result: SuggestResult } | { type: 'error'; message: string };

const options = workerData as Omit<SuggestOptions, 'onProgress'>;
const post = (message: SuggestWorkerMessage): void => parentPort?.postMessage(message);
try {
  post({ type: 'result', result: suggestRuns({ ...options, onProgress: (done, total) => post({ type: 'progress', done, total }) }) });
} catch (error) {
  post({ type: 'error', message: (error as Error).message });
}
