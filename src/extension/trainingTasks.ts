// Training as VS Code tasks: `precision-train` (one run) and `precision-sweep` (a grid), from
// tasks.json or from the Train a Run / Launch a Sweep commands. Each task is a CustomExecution
// whose pseudoterminal drives the engine (src/train/engine.ts): the runs train in child
// processes, never in the extension host, and the terminal streams loss, tokens/s and ETA.
// Closing the terminal or Terminate Task cancels: every child is stopped, then killed; so does
// the extension's deactivation (cancelAllTraining), which waits a bounded time for the runs to
// say "cancelled". An output folder outside the workspace folders is written only after a yes.
//
// A precision-sweep task with "executor": "slurm" submits the runs as one Slurm job array
// (src/sweep/slurmExecutor.ts) and follows it: the terminal shows each job's state and the runs'
// progress from their metrics files; closing it cancels the jobs (scancel).
//
// Workspace Trust: training runs code on the workspace's data and writes into it, and a sweep on
// Slurm submits jobs and may run the user's command, so all of it is refused in an untrusted
// workspace, here and in the commands that start it. The command template comes from the task
// (tasks.json of a trusted workspace) or the user's own settings, never a workspace's settings.

import * as vscode from 'vscode';
import { type JobOutcome, type SweepEvent, runSweep } from '../train/engine';
import { expandGrid } from '../train/grid';
import { runSlurmSweep } from '../sweep/slurmExecutor';
import { RunningTraining } from '../train/cancelAll';
import { formatSweepEvent, summarizeOutcomes } from '../train/options';
import { realPathOf } from '../train/runFolder';
import { log } from './log';
import { readSettings } from './settings';
import { type Definition, SWEEP_TASK, TRAIN_TASK, jobsForDefinition, outsideWorkspaceWarning } from './trainingDefinition';
import { notificationText } from './markdownText';

const SOURCE = 'Precision Planner';

export const UNTRUSTED_MESSAGE = 'Precision Planner: training is disabled in an untrusted workspace (Restricted Mode). Trust the workspace to train runs; reading and fitting runs work without it.';

/** The folder runs and relative paths are resolved against: the task's folder, else the first. */
function baseFolder(scope: vscode.Task['scope']): string | undefined {
  if (scope && typeof scope === 'object') return scope.uri.fsPath;
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** The sweeps the tasks are running: what deactivation cancels. */
const training = new RunningTraining();

/** How long deactivation waits for the runs to stop: the engine's grace period, and a little more. */
const DEACTIVATE_WAIT_MS = 3500;

/**
 * Cancels every training task's runs (the children stop at their next step and mark their runs
 * "cancelled"; the engine kills any that does not within its grace period) and resolves when
 * they have ended, or after `timeoutMs`: deactivation must not hang. A child still running when
 * the extension host exits loses its parent and cancels itself (child.ts).
 */
export async function cancelAllTraining(reason: string, timeoutMs = DEACTIVATE_WAIT_MS): Promise<void> {
  if (training.size === 0) return;
  const { ended, stillRunning } = await training.cancelAll(reason, timeoutMs);
  log().info(`training cancelled (${reason}): ${ended} task(s) ended${stillRunning > 0 ? `, ${stillRunning} still stopping` : ''}`);
}

const RED = (s: string): string => `\x1b[31m${s}\x1b[0m`;
const BOLD = (s: string): string => `\x1b[1m${s}\x1b[0m`;

/** The terminal of one training task: starts the runs when opened, cancels them when closed. */
class TrainingTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly done = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.done.event;
  private readonly controller = new AbortController();
  /** A step line is being rewritten in place and must be cleared before the next line. */
  private live = false;
  /** The runs were submitted to Slurm (cancelling is scancel, not a signal to children). */
  private onCluster = false;

  constructor(
    private readonly definition: Definition,
    private readonly folder: string | undefined,
    private readonly label: string,
  ) {
    // However it is cancelled (this terminal, or deactivation through `training`), it says so.
    this.controller.signal.addEventListener(
      'abort',
      () => {
        this.line(this.onCluster ? "cancelling: scancel of the job array; each run is marked once Slurm says its job has ended" : 'cancelling: each run stops after its current step and is marked cancelled');
        log().info(`${this.label}: cancelled (${String(this.controller.signal.reason)})`);
      },
      { once: true },
    );
  }

  open(): void {
    void this.run().then(
      (code) => this.done.fire(code),
      (error: Error) => {
        this.line(RED(`internal error: ${error.message}`));
        log().error(`${this.label}: ${error.stack ?? error.message}`);
        this.done.fire(1);
      },
    );
  }

  close(): void {
    this.cancel('the task was terminated or its terminal closed');
  }

  handleInput(data: string): void {
    if (data === '\x03') this.cancel("Ctrl+C in the task's terminal");
  }

  private cancel(reason: string): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  private line(text: string): void {
    this.write.fire(`${this.live ? '\r\x1b[2K' : ''}${text.replace(/\n/g, '\r\n')}\r\n`);
    this.live = false;
  }

  private status(text: string): void {
    this.write.fire(`\r\x1b[2K${text}`);
    this.live = true;
  }

  private async run(): Promise<number> {
    if (!vscode.workspace.isTrusted) {
      this.line(RED(UNTRUSTED_MESSAGE));
      log().warn(`${this.label}: refused, the workspace is not trusted`);
      return 1;
    }
    if (!this.folder) {
      this.line(RED('Precision Planner: open a folder first; runs are written into it.'));
      return 1;
    }
    let plan: ReturnType<typeof jobsForDefinition>;
    try {
      plan = jobsForDefinition(this.definition, this.folder, readSettings().training);
    } catch (error) {
      this.line(RED(`${this.definition.type} task "${this.label}": ${(error as Error).message}`));
      log().error(`${this.label}: ${(error as Error).message}`);
      return 2;
    }
    const outDir = Array.isArray(plan.jobs) ? plan.jobs[0].outDir : plan.jobs.outDir;
    if (!(await this.mayWrite(outDir))) return 1;
    if (!Array.isArray(plan.jobs)) for (const note of plan.jobs.notes ?? []) this.line(`note: ${note}`);
    const slurm = plan.executor.executor === 'slurm';
    this.onCluster = slurm;
    const trainer = plan.executor.trainer.kind === 'command' ? `your command (${plan.executor.trainer.template})` : 'the built-in trainer';
    this.line(BOLD(slurm ? `${this.label}: submitting to Slurm as one job array, ${trainer}; runs written to ${outDir}` : `${this.label}: training in child processes, runs written to ${outDir}`));
    this.line(slurm ? 'Ctrl+C or closing this terminal cancels the jobs (scancel).' : 'Ctrl+C or closing this terminal cancels.');
    log().info(`${this.label}: started (${outDir}${slurm ? ', on Slurm' : ''})`);
    const onProgress = (event: SweepEvent): void => {
      const text = formatSweepEvent(event);
      if (text === undefined) return;
      if (event.type === 'step') this.status(text);
      else if (event.type === 'queue' && (event.state === 'failed' || event.state === 'cancelled')) this.line(RED(text));
      else {
        this.line(event.type === 'end' && event.status === 'failed' ? RED(text) : text);
        if (event.type === 'start' || event.type === 'end' || event.type === 'skip') log().info(`${this.label}: ${text}`);
      }
    };
    const run = slurm ? this.onSlurm(plan, onProgress) : runSweep(plan.jobs, { signal: this.controller.signal, parallel: plan.parallel || undefined, rerun: plan.rerun, onProgress });
    let outcomes: JobOutcome[];
    try {
      outcomes = await training.track(this.controller, run);
    } catch (error) {
      // Refused before anything ran (sbatch's own message: a partition that does not exist, a limit).
      this.line(RED(`not started: ${(error as Error).message}`));
      log().error(`${this.label}: ${(error as Error).message}`);
      return 1;
    }
    const failed = outcomes.filter((o) => o.status === 'failed');
    const summary = summarizeOutcomes(outcomes);
    this.line(BOLD(summary));
    for (const f of failed) this.line(RED(`failed: ${f.name}: ${f.error ?? 'unknown error'}`));
    log().info(`${this.label}: ${summary}`);
    return this.controller.signal.aborted ? 130 : failed.length > 0 || outcomes.some((o) => o.status === 'cancelled') ? 1 : 0;
  }

  /** The sweep as one Slurm job array, followed until every job has ended (or cancelled with the terminal). */
  private async onSlurm(plan: ReturnType<typeof jobsForDefinition>, onProgress: (event: SweepEvent) => void): Promise<JobOutcome[]> {
    const jobs = Array.isArray(plan.jobs) ? plan.jobs : expandGrid(plan.jobs);
    const result = await runSlurmSweep(jobs, {
      ...plan.executor,
      parallel: plan.parallel || undefined,
      cwd: this.folder!,
      sweepName: typeof this.definition.name === 'string' ? this.definition.name : this.label,
      rerun: plan.rerun,
      ...(plan.pollSeconds !== undefined ? { pollMs: plan.pollSeconds * 1000 } : {}),
      signal: this.controller.signal,
      onProgress,
      onSubmitted: (arrayId, script) => {
        this.line(`submitted as Slurm job array ${arrayId}; job script ${script}`);
        log().info(`${this.label}: submitted as Slurm job array ${arrayId} (${script})`);
      },
    });
    return result.outcomes;
  }

  /**
   * True when the runs may be written to `outDir`: inside a workspace folder (links resolved),
   * or outside after the user said yes. Closing the terminal meanwhile counts as a no.
   */
  private async mayWrite(outDir: string): Promise<boolean> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => realPathOf(f.uri.fsPath));
    const warning = outsideWorkspaceWarning(folders, realPathOf(outDir));
    if (!warning) return true;
    log().warn(`${this.label}: ${warning}`);
    const write = 'Write There';
    const choice = await vscode.window.showWarningMessage(notificationText(`Precision Planner: ${warning}`), { modal: true, detail: `${this.label} would create run folders in ${outDir}.` }, write);
    if (choice === write && !this.controller.signal.aborted) return true;
    this.line(RED(`not started: the output folder ${outDir} lies outside the workspace, and writing there was not confirmed`));
    log().info(`${this.label}: not started (output folder outside the workspace not confirmed)`);
    return false;
  }
}

/** A runnable task for a definition (from tasks.json, the provider or a command). */
export function trainingTask(definition: Definition, scope: vscode.Task['scope'], label: string): vscode.Task {
  const task = new vscode.Task(
    definition,
    scope ?? vscode.TaskScope.Workspace,
    label,
    SOURCE,
    new vscode.CustomExecution(async (resolved) => new TrainingTerminal(resolved as Definition, baseFolder(scope), label)),
    // No problem matchers: the output is progress, not diagnostics, and without this VS Code
    // asks whether to scan it each time the task runs.
    [],
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  task.isBackground = false;
  return task;
}

/** Offers a run and a sweep with the settings' defaults; resolves tasks.json entries. */
class TrainingTaskProvider implements vscode.TaskProvider {
  constructor(private readonly type: string) {}

  provideTasks(): vscode.Task[] {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return [];
    const t = readSettings().training;
    // Definitions carry their required properties (from the settings), as tasks.json would.
    return this.type === TRAIN_TASK
      ? [trainingTask({ type: TRAIN_TASK, size: t.size, tokens: t.tokens, precision: t.precision }, folder, `train ${t.size} on ${t.tokens} tokens in ${t.precision}`)]
      : [
          trainingTask(
            { type: SWEEP_TASK, sizes: t.sweepSizes, tokens: t.sweepTokens, precisions: t.sweepPrecisions, ...(t.sweepAlso.length > 0 ? { also: t.sweepAlso } : {}) },
            folder,
            `sweep ${t.sweepSizes.join(',')} × ${t.sweepTokens.join(',')} × ${t.sweepPrecisions.join(',')}${t.sweepAlso.length > 0 ? ` + ${t.sweepAlso.length} more part(s)` : ''}`,
          ),
        ];
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    if (task.definition.type !== this.type) return undefined;
    // The same definition object, as VS Code requires of a resolved task.
    return trainingTask(task.definition as Definition, task.scope, task.name);
  }
}

export function registerTrainingTasks(): vscode.Disposable[] {
  return [vscode.tasks.registerTaskProvider(TRAIN_TASK, new TrainingTaskProvider(TRAIN_TASK)), vscode.tasks.registerTaskProvider(SWEEP_TASK, new TrainingTaskProvider(SWEEP_TASK))];
}
