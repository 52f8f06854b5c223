// What a simulation worker posts to the extension host: progress, then its result or an error
// (the sweep designer's worker and the suggester's; the host side is extension/workerProgress.ts).

export type WorkerMessage<T> = { type: 'progress'; done: number; total: number } | { type: 'result'; result: T } | { type: 'error'; message: string };
