// The extension host's side of the scan worker (scanWorker.ts): sends a request, relays its
// progress, and always answers — with the result, or with why there is none. A scan that takes
// longer than its timeout, or is cancelled, is stopped by terminating the thread (a read stuck in
// an open or a JSON.parse cannot be interrupted otherwise); a worker that dies, or was stopped,
// is started anew for the next scan, so one bad scan never blocks the ones after it.

import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { ScanResult } from '../runs/discover';
import type { ScanActivity, ScanReply, ScanRequest, ScanWorkerMessage, ScanWorkerRequest } from './scanService';

const runtimeRequire = createRequire(__filename);

/** How a scan ended. `activity` is the worker's last progress: the files it was reading. */
export type ScanOutcome =
  | ({ kind: 'done'; ms: number } & ScanReply)
  | { kind: 'timeout'; ms: number; activity: ScanActivity }
  | { kind: 'cancelled'; ms: number; activity: ScanActivity }
  | { kind: 'failed'; ms: number; message: string };

export interface ScanCall {
  /** Stop the scan after this long; none when absent, zero or not finite. */
  timeoutMs?: number;
  onProgress?: (activity: ScanActivity) => void;
}

/**
 * dist/scanWorker.js beside the running bundle (the extension is dist/extension.js); from the
 * TypeScript sources (tests, benchmarks), scanWorker.ts through tsx's require hook.
 */
export function startScanWorker(options: WorkerOptions = {}): Worker {
  if (__filename.endsWith('.ts')) {
    const code = `require(${JSON.stringify(runtimeRequire.resolve('tsx/cjs'))}); require(${JSON.stringify(path.join(__dirname, 'scanWorker.ts'))});`;
    return new Worker(code, { ...options, eval: true });
  }
  return new Worker(path.join(__dirname, 'scanWorker.js'), options);
}

const NOTHING_YET: ScanActivity = { read: 0, total: 0, reading: [] };

export class ScanClient {
  private worker: Worker | undefined;
  /** The last result the current worker sent whole: what an unchanged reply stands for. */
  private last: ScanResult | undefined;
  private nextId = 1;
  private active: { id: number; cancel: () => void } | undefined;

  constructor(private readonly start: () => Worker = () => startScanWorker()) {}

  /** A scan is under way. */
  get scanning(): boolean {
    return this.active !== undefined;
  }

  /** One scan at a time: a call while one runs answers `failed` at once (the caller queues). */
  scan(request: ScanRequest, call: ScanCall = {}): Promise<ScanOutcome> {
    const started = Date.now();
    const ms = () => Date.now() - started;
    if (this.active) return Promise.resolve({ kind: 'failed', ms: 0, message: 'a scan is already running' });
    let worker: Worker;
    try {
      worker = this.ensureWorker();
    } catch (error) {
      return Promise.resolve({ kind: 'failed', ms: ms(), message: `the scan worker did not start: ${(error as Error).message}` });
    }
    const id = this.nextId++;
    let activity = NOTHING_YET;
    const runs: ScanResult['runs'] = [];
    const diagnostics: ScanResult['diagnostics'] = [];
    return new Promise<ScanOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: ScanOutcome, stopWorker: boolean) => {
        if (this.active?.id !== id) return;
        this.active = undefined;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (stopWorker) this.stop(worker);
        resolve(outcome);
      };
      const onMessage = (message: ScanWorkerMessage) => {
        if (message.id !== id) return;
        if (message.type === 'progress') {
          activity = message.activity;
          call.onProgress?.(activity);
        } else if (message.type === 'part') {
          for (const run of message.part.runs) runs.push(run);
          for (const d of message.part.diagnostics) diagnostics.push(d);
          // From the next turn: what waits for the editor's thread (a keystroke, a hover) goes first.
          setImmediate(() => {
            if (this.active?.id === id) worker.postMessage({ type: 'taken', id } satisfies ScanWorkerRequest);
          });
        } else if (message.type === 'result') {
          const { reply } = message;
          if (reply.unchanged && !this.last) finish({ kind: 'failed', ms: ms(), message: 'the scan worker answered "unchanged" to a first scan' }, true);
          else {
            // An unchanged reply's runs are the very objects of the last: identity says nothing changed.
            const result = reply.unchanged && this.last ? { ...reply.result, runs: this.last.runs, diagnostics: this.last.diagnostics } : { ...reply.result, runs, diagnostics };
            this.last = result;
            finish({ kind: 'done', ms: ms(), ...reply, result }, false);
          }
        }
        // The worker caught it and lives on, its cache intact.
        else finish({ kind: 'failed', ms: ms(), message: message.message }, false);
      };
      const onError = (error: Error) => finish({ kind: 'failed', ms: ms(), message: `the scan worker failed: ${error.message}` }, true);
      const onExit = (code: number) => finish({ kind: 'failed', ms: ms(), message: `the scan worker stopped (exit code ${code})` }, true);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      this.active = { id, cancel: () => finish({ kind: 'cancelled', ms: ms(), activity }, true) };
      const timeoutMs = call.timeoutMs ?? 0;
      if (Number.isFinite(timeoutMs) && timeoutMs > 0) timer = setTimeout(() => finish({ kind: 'timeout', ms: ms(), activity }, true), timeoutMs);
      try {
        worker.postMessage({ type: 'scan', id, request } satisfies ScanWorkerRequest);
      } catch (error) {
        finish({ kind: 'failed', ms: ms(), message: `the scan request could not be sent: ${(error as Error).message}` }, false);
      }
    });
  }

  /** Stops the scan under way (it answers `cancelled`); false when there is none. */
  cancel(): boolean {
    if (!this.active) return false;
    this.active.cancel();
    return true;
  }

  dispose(): void {
    this.cancel();
    if (this.worker) this.stop(this.worker);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.start();
    this.last = undefined;
    // Between scans too: a worker that dies is forgotten (the next scan starts another), and an
    // 'error' without a listener would throw in the host.
    const forget = () => {
      if (this.worker === worker) this.worker = undefined;
    };
    worker.on('error', forget);
    worker.on('exit', forget);
    this.worker = worker;
    return worker;
  }

  private stop(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate().catch(() => undefined);
  }
}

/**
 * Where a stopped scan was, for a message: the folders of the files being read ("while reading
 * runs/big"), or how far it had come when nothing was open.
 */
export function stoppedWhile(activity: ScanActivity, name: (folder: string) => string): string {
  const folders = [...new Set(activity.reading.map((f) => name(path.dirname(f))))];
  if (folders.length > 0) return `while reading ${folders.slice(0, 2).join(', ')}${folders.length > 2 ? ` (and ${folders.length - 2} more folders)` : ''}`;
  if (activity.total === 0) return 'while listing the folders';
  return `after reading ${activity.read} of ${activity.total} run files`;
}
