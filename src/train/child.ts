// The child-process entry: runs one training job and reports its events.
//
// - Started by engine.ts (fork, with an IPC channel): receives {type: "start", job} and
//   {type: "cancel"}, sends every TrainEvent back. When the parent goes away (the channel
//   disconnects) the run is cancelled, so a killed parent leaves no trainer running.
// - Started by hand (`node dist/train.js job.json`): reads the job from the file and prints
//   the events as newline-delimited JSON on stdout; SIGINT/SIGTERM cancel the run.
//
// Either way a cancelled run ends cleanly: its run.json says "cancelled".

import { readFileSync } from 'node:fs';
import type { TrainJob } from './config';
import { type TrainEvent, type TrainResult, train } from './loop';

export type ParentMessage = { type: 'start'; job: TrainJob; wasmDir?: string } | { type: 'cancel' };
export type ChildMessage = TrainEvent | { type: 'result'; result: TrainResult } | { type: 'error'; message: string };

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => controller.abort());

async function run(job: TrainJob, send: (message: ChildMessage) => void, wasmDir?: string): Promise<number> {
  try {
    const result = await train(job, { signal: controller.signal, onEvent: send, wasmDir });
    send({ type: 'result', result });
    return result.status === 'failed' ? 1 : 0;
  } catch (error) {
    // Errors before the run directory exists (a bad job, a missing corpus) land here.
    send({ type: 'error', message: (error as Error).message });
    return 1;
  }
}

function finish(code: number): void {
  // Exit once the last message is out; tfjs keeps no handles that would hold the process.
  if (process.send && process.connected) process.send({ type: 'exit', code }, () => process.exit(code));
  else process.exitCode = code;
}

if (process.send) {
  process.on('disconnect', () => controller.abort());
  process.once('message', (message: ParentMessage) => {
    if (message.type !== 'start') return;
    process.on('message', (m: ParentMessage) => m.type === 'cancel' && controller.abort());
    const send = (m: ChildMessage): void => {
      if (process.connected) process.send?.(m);
    };
    void run(message.job, send, message.wasmDir).then(finish);
  });
} else {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: train <job.json>\n');
    process.exit(2);
  }
  const job = JSON.parse(readFileSync(file, 'utf8')) as TrainJob;
  void run(job, (m) => process.stdout.write(`${JSON.stringify(m)}\n`)).then(finish);
}
