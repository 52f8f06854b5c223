// Seconds of simulation off the extension host's thread: a worker that posts progress, then its
// result or an error, shown as a progress notification with a Cancel (which terminates it). The
// sweep designer's check and Suggest Next Runs both run this way.

import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { WorkerMessage } from '../sweep/workerMessage';


export type WorkerOutcome<T> = { status: 'done'; result: T } | { status: 'cancelled' } | { status: 'failed'; message: string };

/** Runs the worker `script` on `workerData` under a notification titled `title`; `step` names the unit counted ("refit"). */
export function withWorkerProgress<T>(script: string, workerData: unknown, title: string, step: string): Thenable<WorkerOutcome<T>> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const worker = new Worker(script, { workerData });
    return new Promise<WorkerOutcome<T>>((resolve) => {
      let shown = 0;
      const end = (outcome: WorkerOutcome<T>): void => {
        cancel.dispose();
        void worker.terminate();
        resolve(outcome);
      };
      const cancel = token.onCancellationRequested(() => end({ status: 'cancelled' }));
      worker.on('message', (m: WorkerMessage<T>) => {
        if (m.type === 'progress') {
          const percent = (100 * m.done) / Math.max(1, m.total);
          progress.report({ message: `${step} ${m.done} of ${m.total}`, increment: percent - shown });
          shown = percent;
        } else if (m.type === 'result') end({ status: 'done', result: m.result });
        else end({ status: 'failed', message: m.message });
      });
      worker.on('error', (error) => end({ status: 'failed', message: error.message }));
      worker.on('exit', (code) => end({ status: 'failed', message: `the worker exited (code ${code})` }));
    });
  });
}
