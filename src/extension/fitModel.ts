// The constants everything predicts with: the workspace fit (computed in a worker thread,
// kept in workspace storage across reloads) or the paper's preset, as the user chooses.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { type Constants, PAPER_CONSTANTS } from '../law/constants';
import type { FitResult } from '../fit/fit';
import type { FitOptions } from '../fit/options';
import type { FitWorkerMessage } from '../fit/worker';
import type { PtqReport } from '../ptq/workspace';
import type { Run } from '../runs/run';
import { log } from './log';

const STATE_KEY = 'precisionPlanner.fit';

export type ConstantsSource = 'workspace' | 'paper';

interface Stored {
  result?: FitResult;
  /** The post-quantization predictor evaluated with the fit, when the runs record PTQ features. */
  ptq?: PtqReport;
  source: ConstantsSource;
  /** Which runs (and values) the result was fitted on: a rescan that changes it calls for a refit. */
  signature?: string;
}

/** A short fingerprint of the complete runs and the values the fit uses. */
export function runsSignature(runs: readonly Run[]): string {
  return runs
    .filter((r) => r.missing.length === 0)
    .map((r) => `${r.id}|${r.params}|${r.tokens}|${r.finalLoss}|${r.precision?.w.bits},${r.precision?.a.bits},${r.precision?.kv.bits}|${r.ptq.map((q) => `${q.bits}:${q.loss}`).join(',')}`)
    .sort()
    .join('\n');
}

export class FitCancelled extends Error {
  constructor() {
    super('fit cancelled');
  }
}

export class FitModel implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private state: Stored;

  constructor(
    private readonly memento: vscode.Memento,
    private readonly extensionPath: string,
  ) {
    const stored = memento.get<Stored>(STATE_KEY);
    this.state = stored && (stored.source === 'workspace' || stored.source === 'paper') ? stored : { source: 'workspace' };
  }

  get signature(): string | undefined {
    return this.state.signature;
  }

  /** The user chose the paper's constants; automatic refits leave that choice alone. */
  get prefersPaper(): boolean {
    return this.state.source === 'paper';
  }

  get result(): FitResult | undefined {
    return this.state.result;
  }

  get ptq(): PtqReport | undefined {
    return this.state.ptq;
  }

  get source(): ConstantsSource {
    return this.state.source === 'workspace' && this.state.result?.ok ? 'workspace' : 'paper';
  }

  get constants(): Constants {
    return this.source === 'workspace' && this.state.result ? this.state.result.constants : PAPER_CONSTANTS;
  }

  get label(): string {
    const r = this.state.result;
    if (this.source === 'workspace' && r) return `workspace fit (${r.data.runs} runs, R² ${r.metrics.all ? r.metrics.all.r2.toFixed(3) : '?'})`;
    return 'paper (Kumar et al. 2024, Table 2)';
  }

  async use(source: ConstantsSource): Promise<void> {
    this.state = { ...this.state, source };
    await this.memento.update(STATE_KEY, this.state);
    this.changed.fire();
  }

  private inFlight?: { key: string; result: Promise<FitResult> };

  /**
   * Fits in a worker thread; rejects with FitCancelled when the token fires. A fit of the same
   * runs with the same options already running (a background refit when the user asks) is
   * joined rather than run twice: on two cores, two fits take twice as long each.
   */
  fit(runs: readonly Run[], options: Partial<FitOptions>, progress: (message: string, increment: number) => void, token: vscode.CancellationToken): Promise<FitResult> {
    const key = `${JSON.stringify(options)}\n${runsSignature(runs)}`;
    if (this.inFlight?.key === key) return this.inFlight.result;
    const result = this.fitInWorker(runs, options, progress, token);
    const entry = { key, result };
    this.inFlight = entry;
    const clear = (): void => {
      if (this.inFlight === entry) this.inFlight = undefined;
    };
    result.then(clear, clear);
    return result;
  }

  private async fitInWorker(runs: readonly Run[], options: Partial<FitOptions>, progress: (message: string, increment: number) => void, token: vscode.CancellationToken): Promise<FitResult> {
    const started = Date.now();
    const worker = new Worker(path.join(this.extensionPath, 'dist', 'fitWorker.js'), { workerData: { runs, options } });
    let last = 0;
    let ptq: PtqReport | undefined;
    const result = await new Promise<FitResult>((resolve, reject) => {
      const cancel = token.onCancellationRequested(() => {
        void worker.terminate();
        reject(new FitCancelled());
      });
      worker.on('message', (m: FitWorkerMessage) => {
        if (m.type === 'progress') {
          const fraction = m.total > 0 ? m.done / m.total : 0;
          if (m.what === 'predictor') {
            progress('post-quantization predictor', 0);
            return;
          }
          progress(m.what === 'bootstrap' ? `bootstrap ${m.done}/${m.total}` : 'fitting stages', Math.max(0, fraction * 100 - last));
          last = fraction * 100;
        } else if (m.type === 'result') {
          cancel.dispose();
          ptq = m.ptq;
          resolve(m.result);
        } else {
          cancel.dispose();
          reject(new Error(m.message));
        }
      });
      worker.on('error', (error) => {
        cancel.dispose();
        reject(error);
      });
    }).finally(() => void worker.terminate());
    log().info(`fit: ${result.message} (${Date.now() - started} ms)`);
    this.state = { result, ...(ptq ? { ptq } : {}), source: result.ok ? 'workspace' : this.state.source, signature: runsSignature(runs) };
    await this.memento.update(STATE_KEY, this.state);
    this.changed.fire();
    return result;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
