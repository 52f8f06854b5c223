// The constants everything predicts with: the workspace fit (computed in a worker thread,
// kept in workspace storage across reloads) or the paper's preset, as the user chooses.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { type Constants, PAPER_CONSTANTS, PAPER_DOMAIN } from '../law/constants';
import type { LawDomain } from '../law/domain';
import { domainOfFit } from '../fit/domain';
import type { FitResult } from '../fit/fit';
import type { FitOptions } from '../fit/options';
import type { FitWorkerMessage } from '../fit/worker';
import type { PtqReport } from '../ptq/workspace';
import { runsSignature } from '../fit/points';
import type { Run } from '../runs/run';
import { log } from './log';
import { COMMANDS } from './commandIds';

const STATE_KEY = COMMANDS.fit;

export type ConstantsSource = 'workspace' | 'paper';

interface Stored {
  /** The fit predictions use when the source is 'workspace'. */
  result?: FitResult;
  /** The post-quantization predictor evaluated after that fit, when the runs record PTQ features. */
  ptq?: PtqReport;
  source: ConstantsSource;
  /** Which runs (and values) were last fitted: a rescan that changes it calls for a refit. */
  signature?: string;
  /** The last fit that was not used (the constants above were kept), and why. */
  rejected?: { message: string };
  /**
   * The fit in use has PTQ features to evaluate the predictor on, and it has not been done:
   * the window closed (or the predictor was cancelled) after the law was adopted.
   */
  predictorPending?: boolean;
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

  /** The last fit that was not adopted, and why; cleared by the next adopted fit. */
  get rejected(): Stored['rejected'] {
    return this.state.rejected;
  }

  /** Resolves when the post-quantization predictor of the latest fit is done (or was cancelled). */
  get predictor(): Promise<void> | undefined {
    return this.pendingPredictor;
  }

  private pendingPredictor?: Promise<void>;

  get source(): ConstantsSource {
    return this.state.source === 'workspace' && this.state.result?.ok ? 'workspace' : 'paper';
  }

  get constants(): Constants {
    return this.source === 'workspace' && this.state.result ? this.state.result.constants : PAPER_CONSTANTS;
  }

  /** What the constants in use were fitted on: the workspace fit's runs, or the paper's. */
  get domain(): LawDomain {
    return this.source === 'workspace' && this.state.result ? domainOfFit(this.state.result) : PAPER_DOMAIN;
  }

  get label(): string {
    const r = this.state.result;
    if (this.source === 'workspace' && r) return `workspace fit (${r.data.runs} runs, R² ${typeof r.metrics.all?.r2 === 'number' ? r.metrics.all.r2.toFixed(3) : '?'})`;
    return 'paper (Kumar et al. 2024, Table 2)';
  }

  /** The label as a phrase for sentences: "Predictions keep using the paper constants (…)". */
  get inUse(): string {
    return this.source === 'workspace' ? `the ${this.label}` : 'the paper constants (Kumar et al. 2024, Table 2)';
  }

  async use(source: ConstantsSource): Promise<void> {
    this.state = { ...this.state, source };
    await this.memento.update(STATE_KEY, this.state);
    this.changed.fire();
  }

  /** The predictor of the fit in use is still owed (see Stored.predictorPending). */
  get predictorPending(): boolean {
    return this.source === 'workspace' && this.state.predictorPending === true && this.pendingPredictor === undefined;
  }

  /** Evaluates the predictor of the fit in use, without refitting the law. */
  async resumePredictor(runs: readonly Run[], progress: (message: string, increment: number) => void, token: vscode.CancellationToken): Promise<void> {
    const result = this.state.result;
    if (!this.predictorPending || !result) return;
    log().info('fit: evaluating the post-quantization predictor of the fit in use');
    await this.fitInWorker(runs, {}, progress, token, result);
    await this.pendingPredictor;
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

  /**
   * The law's result resolves as soon as the worker posts it; the predictor goes on in the same
   * worker (see `predictor`), reporting through the same progress callback, until it is done or
   * the token fires. Progress increments add up to 100: 70 for the law, 30 for the predictor.
   */
  private fitInWorker(
    runs: readonly Run[],
    options: Partial<FitOptions>,
    progress: (message: string, increment: number) => void,
    token: vscode.CancellationToken,
    /** The fit in use, whose predictor alone is to be evaluated (see resumePredictor). */
    resume?: FitResult,
  ): Promise<FitResult> {
    const started = Date.now();
    const worker = new Worker(path.join(this.extensionPath, 'dist', 'fitWorker.js'), { workerData: { runs, options, ...(resume ? { predictorFor: resume.constants } : {}) } });
    let shown = resume ? 70 : 0;
    const advance = (message: string, percent: number) => {
      progress(message, Math.max(0, percent - shown));
      shown = Math.max(shown, percent);
    };
    let finishPredictor: () => void = () => undefined;
    const predictor = new Promise<void>((resolve) => (finishPredictor = resolve));
    this.pendingPredictor = predictor;
    let law: FitResult | undefined = resume;
    return new Promise<FitResult>((resolve, reject) => {
      if (resume) resolve(resume);
      const end = () => {
        cancel.dispose();
        void worker.terminate();
        finishPredictor();
        if (this.pendingPredictor === predictor) this.pendingPredictor = undefined;
      };
      const cancel = token.onCancellationRequested(() => {
        if (law) log().info('fit: post-quantization predictor cancelled; the law\'s fit is kept');
        else reject(new FitCancelled());
        end();
      });
      worker.on('message', (m: FitWorkerMessage) => {
        if (m.type === 'progress') {
          const fraction = m.total > 0 ? m.done / m.total : 0;
          if (m.what === 'predictor') advance(`post-quantization predictor: ${m.done} of ${m.total} model sizes held out`, 70 + 30 * fraction);
          else if (m.what === 'coverage') advance(`coverage of the intervals: held-out refit ${m.done} of ${m.total}`, 70);
          else advance(m.what === 'bootstrap' ? `bootstrap ${m.done}/${m.total}` : 'fitting stages', 70 * fraction);
        } else if (m.type === 'result') {
          law = m.result;
          log().info(`fit: ${m.result.message} (${Date.now() - started} ms)`);
          void this.adopt(m.result, runs, m.predictor).then(() => resolve(m.result), reject);
          if (m.predictor) advance('post-quantization predictor', 70);
          else end();
        } else if (m.type === 'ptq') {
          if (m.error) log().warn(`fit: the post-quantization predictor failed: ${m.error}`);
          else log().info(`fit: post-quantization predictor evaluated (${Date.now() - started} ms after the fit started)`);
          if (m.ptq && law) void this.attachPredictor(m.ptq, law);
          end();
        } else {
          reject(new Error(m.message));
          end();
        }
      });
      worker.on('error', (error) => {
        if (law) log().warn(`fit: the post-quantization predictor stopped: ${error.message}`);
        else reject(error);
        end();
      });
      worker.on('exit', () => {
        if (!law) reject(new Error('the fit worker stopped without a result'));
        end();
      });
    });
  }

  /**
   * A usable fit becomes the constants in use; one that is not keeps the previous constants and
   * says why (`rejected`). Either way its runs are remembered, so the same data are not refitted.
   */
  private async adopt(result: FitResult, runs: readonly Run[], predictor: boolean): Promise<void> {
    const signature = runsSignature(runs);
    this.state = result.ok ? { result, source: 'workspace', signature, predictorPending: predictor } : { ...this.state, signature, rejected: { message: result.message } };
    await this.memento.update(STATE_KEY, this.state);
    this.changed.fire();
  }

  /** The predictor's report joins the fit it was evaluated with, if that fit is still the one in use. */
  private async attachPredictor(ptq: PtqReport, fitted: FitResult): Promise<void> {
    if (this.state.result !== fitted) return;
    this.state = { ...this.state, ptq, predictorPending: false };
    await this.memento.update(STATE_KEY, this.state);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
