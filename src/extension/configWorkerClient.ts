// The extension host's side of the config worker (src/runs/configWorker.ts): one long-lived
// worker thread, one request in it at a time, each with a deadline. No `vscode` here, so the unit
// tests drive it against the real worker.
//
// Per document, the newest version wins: a request waiting for the worker is dropped when a later
// version of the same document is asked for ('superseded'), and asking again for the version
// already on its way joins that request. A request past its deadline ends as 'timeout', and the
// worker, still busy with it, is terminated; a worker that dies fails the request it was running.
// Either way the next request starts a new worker. The deadline counts from when the worker is
// ready: loading it (slow while VS Code starts a dozen extensions) has a deadline of its own.

import { Worker } from 'node:worker_threads';
import type { AliasTable } from '../runs/aliases';
import type { ConfigLanguage, TrainingConfig } from '../runs/configs';
import type { ConfigWorkerReply, ConfigWorkerRequest } from '../runs/configWorker';

export type ConfigOutcome =
  | { status: 'done'; config: TrainingConfig }
  /** The analysis took longer than the deadline: no result for this version. */
  | { status: 'timeout'; ms: number }
  /** The worker died or could not read the text. */
  | { status: 'failed'; message: string }
  /** A later version of the document was asked for before this one started, or the client was disposed. */
  | { status: 'superseded' };

/** A config that takes longer than this to read gets no hover: a training config takes milliseconds. */
export const CONFIG_TIMEOUT_MS = 5_000;
/** A worker not loaded by then is stopped as if its request had timed out. */
export const CONFIG_WORKER_STARTUP_MS = 20_000;

/** The worker's heap: a config that needs more is not one, and the host's memory is spared. */
export const CONFIG_WORKER_LIMITS = { maxOldGenerationSizeMb: 1024 } as const;

/** The bundled worker (dist/configWorker.js beside dist/extension.js). */
export const startConfigWorker = (file: string) => (): Worker => new Worker(file, { resourceLimits: CONFIG_WORKER_LIMITS });

export interface ConfigWorkerClientOptions {
  /** Starts a worker; called again after a timeout or a death. */
  start: () => Worker;
  timeoutMs?: number;
  startupMs?: number;
  /** Where timeouts and deaths are said (the output channel). */
  log?: (message: string) => void;
}

interface Job {
  id: number;
  key: string;
  version: number;
  request: ConfigWorkerRequest;
  promise: Promise<ConfigOutcome>;
  resolve: (outcome: ConfigOutcome) => void;
  timer?: ReturnType<typeof setTimeout>;
}

export class ConfigWorkerClient {
  private worker?: Worker;
  /** The worker has loaded: deadlines run from the post. */
  private ready = false;
  private running?: Job;
  private readonly queue: Job[] = [];
  /** The newest request per document, waiting or running. */
  private readonly latest = new Map<string, Job>();
  private nextId = 1;
  private disposed = false;
  private readonly timeoutMs: number;
  private readonly startupMs: number;
  private readonly log: (message: string) => void;

  constructor(private readonly options: ConfigWorkerClientOptions) {
    this.timeoutMs = options.timeoutMs ?? CONFIG_TIMEOUT_MS;
    this.startupMs = options.startupMs ?? CONFIG_WORKER_STARTUP_MS;
    this.log = options.log ?? (() => undefined);
  }

  /** What `text` (version `version` of the document `key`) recognises, read in the worker. */
  analyse(key: string, version: number, text: string, language: ConfigLanguage, aliases: AliasTable, file?: string): Promise<ConfigOutcome> {
    if (this.disposed) return Promise.resolve({ status: 'superseded' });
    const latest = this.latest.get(key);
    if (latest?.version === version) return latest.promise;
    if (latest && latest !== this.running) {
      this.queue.splice(this.queue.indexOf(latest), 1);
      latest.resolve({ status: 'superseded' });
    }
    const id = this.nextId++;
    let resolve: (outcome: ConfigOutcome) => void = () => undefined;
    const promise = new Promise<ConfigOutcome>((r) => (resolve = r));
    const request: ConfigWorkerRequest = { id, text, language, aliases };
    if (file !== undefined) request.file = file;
    const job: Job = { id, key, version, request, promise, resolve };
    this.latest.set(key, job);
    this.queue.push(job);
    this.pump();
    return promise;
  }

  private pump(): void {
    if (this.running || this.disposed) return;
    const job = this.queue.shift();
    if (!job) return;
    this.running = job;
    try {
      const worker = this.ensureWorker();
      this.startClock(job, this.ready ? this.timeoutMs : this.startupMs);
      worker.postMessage(job.request);
    } catch (error) {
      this.finish(job, { status: 'failed', message: `the config worker could not be started: ${(error as Error).message}` });
    }
  }

  private startClock(job: Job, ms: number): void {
    clearTimeout(job.timer);
    job.timer = setTimeout(() => this.timedOut(job, ms), ms);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.options.start();
    this.ready = false;
    // An idle worker never keeps a process alive; a request's deadline timer does while it runs.
    worker.unref();
    worker.on('message', (reply: ConfigWorkerReply) => {
      if (this.worker !== worker) return;
      if ('ready' in reply) {
        this.ready = true;
        if (this.running) this.startClock(this.running, this.timeoutMs);
        return;
      }
      const job = this.running;
      if (!job || reply.id !== job.id) return;
      this.finish(job, 'error' in reply ? { status: 'failed', message: reply.error } : { status: 'done', config: reply.config });
    });
    worker.on('error', (error) => this.died(worker, `the config worker failed: ${error.message}`));
    worker.on('exit', (code) => this.died(worker, `the config worker stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  private finish(job: Job, outcome: ConfigOutcome): void {
    clearTimeout(job.timer);
    if (this.running === job) this.running = undefined;
    if (this.latest.get(job.key) === job) this.latest.delete(job.key);
    job.resolve(outcome);
    this.pump();
  }

  private stopWorker(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  private timedOut(job: Job, ms: number): void {
    if (this.running !== job) return;
    const what = this.ready ? `reading ${job.key} (version ${job.version}) took more than ${ms} ms: no hover or CodeLens for it` : `the config worker did not load within ${ms} ms`;
    this.log(`${what}; the config worker is restarted`);
    this.stopWorker();
    this.finish(job, { status: 'timeout', ms });
  }

  private died(worker: Worker, message: string): void {
    // Only the current worker's death matters: one stopped on purpose has been replaced already.
    if (this.worker !== worker || this.disposed) return;
    this.log(`${message}; a new one is started for the next config`);
    this.stopWorker();
    if (this.running) this.finish(this.running, { status: 'failed', message });
  }

  dispose(): void {
    this.disposed = true;
    this.stopWorker();
    const pending = [...(this.running ? [this.running] : []), ...this.queue.splice(0)];
    this.running = undefined;
    this.latest.clear();
    for (const job of pending) {
      clearTimeout(job.timer);
      job.resolve({ status: 'superseded' });
    }
  }
}
