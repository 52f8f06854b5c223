// Worker-thread entry: the extension's scans of the workspace, off the extension host's thread
// (a 250 MB trainer_state.json is seconds of JSON.parse). Long-lived, so its scan cache keeps a
// rescan of an unchanged workspace to a directory walk and some stats. One request at a time
// (the host sends the next after the answer); the host stops a scan by terminating the thread.
// The answer goes in parts, each when the host has taken in the one before (scanService.ts).

import { parentPort } from 'node:worker_threads';
import { type ScanActivity, type ScanReply, ScanService, type ScanWorkerMessage, type ScanWorkerRequest, resultParts } from './scanService';

/**
 * Progress at most this often: a cold scan of thousands of files would otherwise post a message
 * per file. The last activity is posted when the interval ends, so the file a scan is stuck on
 * (an open that never returns, a read of a huge file) is the one the host last heard of.
 */
const PROGRESS_MS = 50;

const service = new ScanService();
const post = (message: ScanWorkerMessage): void => parentPort?.postMessage(message);

function throttled(id: number): { report: (activity: ScanActivity) => void; stop: () => void } {
  let last = 0;
  let pending: ScanActivity | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (!pending) return;
    last = Date.now();
    post({ type: 'progress', id, activity: pending });
    pending = undefined;
  };
  return {
    report: (activity) => {
      pending = activity;
      if (timer) return;
      const wait = PROGRESS_MS - (Date.now() - last);
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    },
    stop: () => clearTimeout(timer),
  };
}

/** Resolves when the host says it took in the part last posted. */
let taken: (() => void) | undefined;

async function reply(id: number, message: ScanWorkerRequest & { type: 'scan' }): Promise<void> {
  const progress = throttled(id);
  let answer: ScanReply;
  try {
    answer = await service.scan(message.request, progress.report);
  } catch (error) {
    post({ type: 'error', id, message: error instanceof Error ? error.message : String(error) });
    return;
  } finally {
    progress.stop();
  }
  try {
    // Unchanged: the host has these runs from the last answer; a poll of a large workspace
    // would otherwise clone every run and curve across again, every time.
    for (const part of answer.unchanged ? [] : resultParts(answer.result)) {
      const next = new Promise<void>((resolve) => (taken = resolve));
      post({ type: 'part', id, part });
      await next;
    }
    post({ type: 'result', id, reply: { ...answer, result: { ...answer.result, runs: [], diagnostics: [] } } });
  } catch (error) {
    service.forgetLast();
    // A value a reader left in a run that structured clone refuses (a function): a bug, said as one.
    post({ type: 'error', id, message: `the scan's result could not be sent: ${(error as Error).message}` });
  }
}

parentPort?.on('message', (message: ScanWorkerRequest) => {
  if (message?.type === 'taken') taken?.();
  else if (message?.type === 'scan') void reply(message.id, message);
});
