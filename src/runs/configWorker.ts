// Worker-thread entry: reads training configs off the extension host's thread, so a hover or a
// CodeLens on a hostile or huge config never blocks the editor. Long-lived: the host posts a
// document's text and gets back what recogniseConfig found, one request at a time (the client,
// src/extension/configWorkerClient.ts, times each request out and restarts the worker). It reads
// the text it is sent and nothing else, and never runs any of it, so untrusted workspaces get the
// same read-only analysis as before.

import { parentPort } from 'node:worker_threads';
import type { AliasTable } from './aliases';
import { type ConfigLanguage, type TrainingConfig, recogniseConfig } from './configs';

export interface ConfigWorkerRequest {
  id: number;
  text: string;
  language: ConfigLanguage;
  aliases: AliasTable;
  /** Named in the entries and diagnostics ("config" when not given, as in-process). */
  file?: string;
}

/** `ready` once loaded (a request's deadline counts from then), then one reply per request. */
export type ConfigWorkerReply = { ready: true } | { id: number; config: TrainingConfig } | { id: number; error: string };

const reply = (message: ConfigWorkerReply): void => parentPort?.postMessage(message);

parentPort?.on('message', (request: ConfigWorkerRequest) => {
  let config: TrainingConfig;
  try {
    config = recogniseConfig(request.text, request.language, request.aliases, request.file);
  } catch (error) {
    reply({ id: request.id, error: (error as Error).message });
    return;
  }
  try {
    reply({ id: request.id, config });
  } catch (error) {
    // A value the structured clone cannot carry: said, rather than leaving the request unanswered.
    reply({ id: request.id, error: `the result could not be sent: ${(error as Error).message}` });
  }
});
reply({ ready: true });
