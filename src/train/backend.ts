// TensorFlow.js for the trainer: tfjs-core with the WebAssembly backend. tfjs-node cannot be
// installed here (its install downloads libtensorflow), and the plain-JS cpu backend is ~30x
// slower than wasm on matmuls. tfjs-core alone registers no gradients, so they are imported.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

// Resolved when the code runs, from node_modules: a bundler leaves these lookups alone.
const runtimeRequire = createRequire(__filename);

export { tf };

/** The file the backend loads in Node (SIMD is available in every Node the extension supports). */
const PROBE_FILE = 'tfjs-backend-wasm-simd.wasm';

/** Environment variable naming the folder that holds the tfjs-backend-wasm .wasm files. */
export const WASM_DIR_ENV = 'PRECISION_PLANNER_WASM_DIR';

/**
 * Where the .wasm files are: the given folder, the environment variable, the folder of this
 * code when it runs as a bundle (dist/train.js with the .wasm files copied beside it), else the
 * installed package.
 */
export function resolveWasmDir(explicit?: string): string {
  const candidates = [explicit, process.env[WASM_DIR_ENV], __dirname];
  for (const dir of candidates) if (dir && existsSync(path.join(dir, PROBE_FILE))) return dir;
  if (explicit) throw new Error(`no ${PROBE_FILE} in ${explicit}`);
  return path.join(path.dirname(runtimeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

let ready: Promise<void> | undefined;

/** Sets the wasm backend once per process; later calls wait for the first. */
export function initBackend(wasmDir?: string): Promise<void> {
  ready ??= (async () => {
    // The backend reads the .wasm with fs in Node; a prefix ending in a separator is what it expects.
    setWasmPaths(`${resolveWasmDir(wasmDir)}${path.sep}`);
    if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js wasm backend did not start');
    await tf.ready();
    // Imported late: the module reads kernels of the backend that is now registered.
    const { installFastMatMul } = await import('./fastMatMul');
    installFastMatMul();
  })();
  return ready;
}
