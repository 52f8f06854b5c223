// A faster BatchMatMul kernel for the wasm backend. The stock kernel hands a product to XNNPACK
// only when it is one 2-D product with neither operand transposed; anything else — the gradient
// of every linear layer (x^T dy, dy W^T) and every attention product (batched over sequences
// and heads) — runs a naive loop about ten times slower (measured here: 14 vs 1.4 GFLOP/s).
//
// This kernel sends every float32 product to XNNPACK: a transposed operand is first transposed
// by the backend's own (native) Transpose kernel, and a batch is run as one 2-D product per
// slice, each slice a view of the batch's memory registered under a fresh tensor id (no copy).
// Products it does not cover (general broadcasting of batch dimensions) go to the stock kernel.
// It relies on BackendWasm internals that are stable across tfjs 4.x (dataIdMap, the tfjs
// bridge of the wasm module); tests run it against tf.matMul's results.

// tfjs-core itself, not ./backend: backend.ts imports this module once the wasm backend is set.
import * as tf from '@tensorflow/tfjs-core';

type DataId = object;

interface WasmBackend {
  wasm: {
    cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
  };
  dataIdMap: { get(dataId: DataId): { id: number; memoryOffset: number } };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: DataId): boolean;
}

type KernelArgs = { inputs: { a: tf.TensorInfo; b: tf.TensorInfo }; backend: WasmBackend; attrs: { transposeA: boolean; transposeB: boolean } };

const BYTES = 4;
const TILE = 32;
const shapeBytes = (shape: number[]): Uint8Array => new Uint8Array(new Int32Array(shape).buffer);
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

let installed = false;

/** Replaces the wasm backend's BatchMatMul kernel; call after the backend is set. */
export function installFastMatMul(): void {
  if (installed) return;
  const stock = tf.getKernel('BatchMatMul', 'wasm');
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if (!stock || !transposeKernel) throw new Error('the wasm backend has no BatchMatMul or Transpose kernel');
  let product: ((...args: unknown[]) => void) | undefined;

  const transposeKernelOf = (x: tf.TensorInfo, perm: number[], backend: WasmBackend): tf.TensorInfo =>
    transposeKernel.kernelFunc({ inputs: { x }, backend: backend as unknown as tf.KernelBackend, attrs: { perm } }) as tf.TensorInfo;

  /** x with its last two dimensions swapped. */
  const transposeLast = (x: tf.TensorInfo, backend: WasmBackend): tf.TensorInfo => {
    const [r, c] = x.shape.slice(-2);
    if (x.shape.length === 2 && r % TILE === 0 && c % TILE === 0) {
      // The native 2-D transpose writes with a stride of a whole row and is ~3x slower than
      // the same move done in 32 x 32 tiles, as a 4-D transpose of the tiled matrix.
      const tiled = { ...x, shape: [r / TILE, TILE, c / TILE, TILE] };
      const out = transposeKernelOf(tiled, [2, 3, 0, 1], backend);
      return { ...out, shape: [c, r] };
    }
    const perm = x.shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
    return transposeKernelOf(x, perm, backend);
  };

  /** A registered view of `count` floats at `offset` floats into x's memory; its id. */
  const view = (backend: WasmBackend, x: tf.TensorInfo, offset: number, count: number): number => {
    const id = backend.dataIdNextNumber++;
    backend.wasm.tfjs.registerTensor(id, count, backend.dataIdMap.get(x.dataId).memoryOffset + offset * BYTES);
    return id;
  };

  const kernelFunc = (args: KernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    const fallback = (): tf.TensorInfo => stock.kernelFunc(args as unknown as Parameters<typeof stock.kernelFunc>[0]) as tf.TensorInfo;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return fallback();
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = size(outerA);
    const batchB = size(outerB);
    const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
    if (!(sameOuter || batchA === 1 || batchB === 1)) return fallback();

    product ??= backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    if (attrs.transposeA && !attrs.transposeB && a.shape.length === 2 && b.shape.length === 2 && a.shape[1] > b.shape[1]) {
      // A^T B (a weight gradient) needs a transposed copy of A; when B is the narrower of the
      // two, (B^T A)^T moves less memory: B is transposed, then the small result.
      const flipped = kernelFunc({ inputs: { a: b, b: a }, backend, attrs: { transposeA: true, transposeB: false } });
      const out = transposeLast(flipped, backend);
      backend.disposeData(flipped.dataId);
      return out;
    }
    const temps: tf.TensorInfo[] = [];
    const left = attrs.transposeA ? transposeLast(a, backend) : a;
    const right = attrs.transposeB ? transposeLast(b, backend) : b;
    if (left !== a) temps.push(left);
    if (right !== b) temps.push(right);
    const [m, k] = left.shape.slice(-2);
    const n = right.shape[right.shape.length - 1];
    if (right.shape[right.shape.length - 2] !== k) throw new Error(`matMul: inner dimensions ${k} and ${right.shape[right.shape.length - 2]} differ`);
    const outer = batchA >= batchB ? outerA : outerB;
    const out = backend.makeOutput([...outer, m, n], 'float32');
    const idOf = (x: tf.TensorInfo): number => backend.dataIdMap.get(x.dataId).id;

    if (batchB === 1) {
      // One weight matrix for every row of every batch: a single [batch*m, k] @ [k, n] product.
      product(idOf(left), shapeBytes([1, batchA * m, k]), 3, idOf(right), shapeBytes([1, k, n]), 3, 0, 0, idOf(out));
    } else {
      const batch = Math.max(batchA, batchB);
      for (let i = 0; i < batch; i++) {
        const ids = [batchA === 1 ? idOf(left) : view(backend, left, i * m * k, m * k), view(backend, right, i * k * n, k * n), view(backend, out, i * m * n, m * n)];
        product(ids[0], shapeBytes([1, m, k]), 3, ids[1], shapeBytes([1, k, n]), 3, 0, 0, ids[2]);
        // Dropping a view's id frees nothing (the memory belongs to the batch tensor) and
        // deletes the XNNPACK operator cached for it.
        for (const id of batchA === 1 ? ids.slice(1) : ids) backend.wasm.tfjs.disposeData(id);
      }
    }
    for (const t of temps) backend.disposeData(t.dataId);
    return out;
  };

  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  installed = true;
}
