// The child-process entry: runs one training job and reports its events.
//
// - Started by engine.ts (fork, with an IPC channel): receives {type: "start", job} and
//   {type: "cancel"}, sends every TrainEvent back. When the parent goes away (the channel
//   disconnects, or a message cannot be sent) the run is cancelled: a parent killed with
//   SIGKILL leaves no trainer running, and the run's run.json says "cancelled".
// - Started by hand or by a Slurm job (`node dist/train.js job.json`): reads the job from the
//   file and prints the events as newline-delimited JSON on stdout (steps every few seconds).
//
// Either way SIGINT, SIGTERM and SIGHUP cancel the run (seen at the next step boundary: a tfjs
// step is synchronous), its run.json says "cancelled" with the reason and the time, and the
// process exits with 128 + the signal's number. A signal before the run starts exits at once.

import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import type { TrainJob } from './config';
import { type TrainEvent, type TrainResult, train } from './loop';

export type ParentMessage = { type: 'start'; job: TrainJob; wasmDir?: string } | { type: 'cancel'; reason?: string };
export type ChildMessage = TrainEvent | { type: 'result'; result: TrainResult } | { type: 'error'; message: string };

const PARENT_GONE = 'the parent process went away';
/** Started by hand: at most one step line this often (ms). */
const STEP_LINE_MS = 5000;

const controller = new AbortController();
let running = false;
/** The signal that cancelled the run, for the exit code. */
let stoppedBy: NodeJS.Signals | undefined;

const cancel = (reason: string): void => {
  if (!controller.signal.aborted) controller.abort(reason);
};

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    const code = 128 + (os.constants.signals[signal] ?? 0);
    if (!running) process.exit(code);
    stoppedBy ??= signal;
    cancel(`${signal} received`);
  });
}
// Output to a parent that is gone fails (EPIPE): never a crash, the run goes on to cancel.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

async function run(job: TrainJob, send: (message: ChildMessage) => void, wasmDir?: string): Promise<number> {
  running = true;
  try {
    const result = await train(job, { signal: controller.signal, onEvent: send, wasmDir });
    send({ type: 'result', result });
    if (stoppedBy) return 128 + (os.constants.signals[stoppedBy] ?? 0);
    return result.status === 'failed' ? 1 : 0;
  } catch (error) {
    // Errors before the run directory exists (a bad job, a missing corpus, a locked folder) land here.
    send({ type: 'error', message: (error as Error).message });
    return 1;
  }
}

if (process.send) {
  // No parent to report to: cancel, then exit once the manifest says so (finish, below).
  process.on('disconnect', () => cancel(PARENT_GONE));
  // A send that fails asynchronously without a callback is emitted here; uncaught, it would crash.
  process.on('error', () => cancel(PARENT_GONE));
  const send = (m: ChildMessage | { type: 'exit'; code: number }, then?: () => void): void => {
    const gone = (): void => {
      cancel(PARENT_GONE);
      then?.();
    };
    if (!process.connected) return gone();
    // A message that cannot be sent is one the parent never gets: it is gone, or as good as.
    try {
      process.send!(m, undefined, undefined, (error: Error | null) => (error ? gone() : then?.()));
    } catch {
      gone();
    }
  };
  const finish = (code: number): void => {
    // Exit once the last message is out (or cannot be); tfjs keeps no handles that would hold the process.
    send({ type: 'exit', code }, () => process.exit(code));
  };
  process.once('message', (message: ParentMessage) => {
    if (message.type !== 'start') return;
    process.on('message', (m: ParentMessage) => m.type === 'cancel' && cancel(m.reason ?? 'cancelled'));
    void run(message.job, send, message.wasmDir).then(finish);
  });
} else {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: train <job.json>\n');
    process.exit(2);
  }
  const job = JSON.parse(readFileSync(file, 'utf8')) as TrainJob;
  // A job's log (a Slurm job's output file) is for people: a step line every few seconds, the
  // rest as it comes. The whole curve is in metrics.jsonl.
  let lastStep = 0;
  const print = (m: ChildMessage): void => {
    if (m.type === 'step' && m.step !== m.steps && Date.now() - lastStep < STEP_LINE_MS) return;
    if (m.type === 'step') lastStep = Date.now();
    process.stdout.write(`${JSON.stringify(m)}\n`);
  };
  void run(job, print).then((code) => {
    process.exitCode = code;
  });
}
