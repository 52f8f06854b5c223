// The training an owner has under way, so that it can all be cancelled at once when the owner
// goes away (the extension's deactivate): each entry is the AbortController its sweep listens to
// and the promise that settles when the sweep's children have exited.

export interface CancelAllResult {
  /** Sweeps that ended within the wait. */
  ended: number;
  /** Sweeps still running when the wait ran out (their children, orphaned, cancel themselves). */
  stillRunning: number;
}

export class RunningTraining {
  private readonly running = new Map<Promise<unknown>, AbortController>();

  /** Keeps `work` (cancelled through `controller`) until it settles; returns it. */
  track<T>(controller: AbortController, work: Promise<T>): Promise<T> {
    this.running.set(work, controller);
    const forget = (): void => void this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  get size(): number {
    return this.running.size;
  }

  /**
   * Aborts every tracked sweep with `reason` (kept in each cancelled run's run.json) and waits
   * for them to end, at most `timeoutMs`: whoever calls this is shutting down and must not hang.
   */
  async cancelAll(reason: string, timeoutMs: number): Promise<CancelAllResult> {
    const entries = [...this.running];
    if (entries.length === 0) return { ended: 0, stillRunning: 0 };
    let ended = 0;
    for (const [, controller] of entries) if (!controller.signal.aborted) controller.abort(reason);
    const all = Promise.allSettled(entries.map(([work]) => work.finally(() => void ended++)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([all, timeout]);
    clearTimeout(timer);
    return { ended, stillRunning: entries.length - ended };
  }
}
