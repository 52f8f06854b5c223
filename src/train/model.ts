// A decoder-only transformer in tfjs-core ops: token embedding (plus learned positions, or
// rotary ones in attention), `depth` pre-norm blocks of causal multi-head attention and an MLP,
// a final RMSNorm and the unembedding (tied to the token embedding or its own matrix). No
// biases, as in most current LLMs. Weights are [in, out] so a linear layer is x @ W.
//
// Fake quantization (quantize.ts) touches what Kumar et al. quantize: the weights of every
// linear layer inside the blocks, the inputs of those layers (activations), and the attention
// keys and values (the KV cache). Embeddings, norms and the unembedding stay fp32: they are not
// counted in N either.

import { tf } from './backend';
import type { Quantizers } from './quantize';
import { EMBEDDING_PARAMS, type ModelConfig, paramShapes, validateConfig } from './modelConfig';

export type { ModelConfig } from './modelConfig';

export type Params = Record<string, tf.Variable>;

/** N: parameters outside the embeddings and the unembedding, counted from the model's own weights. */
export function nonEmbeddingParams(params: Params): number {
  return Object.entries(params).reduce((n, [name, p]) => (EMBEDDING_PARAMS.has(name) ? n : n + p.size), 0);
}

export function embeddingParams(params: Params): number {
  return Object.entries(params).reduce((n, [name, p]) => (EMBEDDING_PARAMS.has(name) ? n + p.size : n), 0);
}

/**
 * GPT-2 initialisation: N(0, 0.02) for matrices, the projections back into the residual stream
 * scaled by 1/sqrt(2 depth) so the residual's variance does not grow with depth; norm gains 1.
 */
let models = 0;

export function initParams(config: ModelConfig, seed: number): Params {
  validateConfig(config);
  const params: Params = {};
  // tfjs variable names are process-wide: each model's weights get their own prefix.
  const prefix = `m${models++}/`;
  paramShapes(config).forEach(([name, shape], k) => {
    const residual = name.endsWith('.proj') || name.endsWith('.fc2');
    const std = residual ? 0.02 / Math.sqrt(2 * config.depth) : 0.02;
    const init = shape.length === 1 ? tf.ones(shape) : tf.randomNormal(shape, 0, std, 'float32', seed * 1000 + k);
    params[name] = tf.variable(init, true, prefix + name);
    init.dispose();
  });
  return params;
}

/** Constants of the forward pass that depend only on the shape: the causal mask and rotary tables. */
export interface Buffers {
  /** [T, T]: 0 on and below the diagonal, -1e9 above (added to the attention scores). */
  mask: tf.Tensor2D;
  /** Rotary tables [T, headDim] and the rotate-half matrix [headDim, headDim]. */
  cos?: tf.Tensor2D;
  sin?: tf.Tensor2D;
  rotate?: tf.Tensor2D;
}

export function makeBuffers(config: ModelConfig, length = config.context): Buffers {
  const t = length;
  const mask = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) mask[i * t + j] = -1e9;
  const buffers: Buffers = { mask: tf.tensor2d(mask, [t, t]) };
  if (config.positions === 'rotary') {
    const hd = config.width / config.heads;
    const half = hd / 2;
    const cos = new Float32Array(t * hd);
    const sin = new Float32Array(t * hd);
    for (let p = 0; p < t; p++) {
      for (let i = 0; i < half; i++) {
        const angle = p / 10000 ** ((2 * i) / hd);
        cos[p * hd + i] = cos[p * hd + i + half] = Math.cos(angle);
        sin[p * hd + i] = sin[p * hd + i + half] = Math.sin(angle);
      }
    }
    // rotate_half(x) = concat(-x2, x1) as one matmul: cheaper than slicing on small heads.
    const rotate = new Float32Array(hd * hd);
    for (let i = 0; i < half; i++) {
      rotate[(i + half) * hd + i] = -1;
      rotate[i * hd + i + half] = 1;
    }
    Object.assign(buffers, { cos: tf.tensor2d(cos, [t, hd]), sin: tf.tensor2d(sin, [t, hd]), rotate: tf.tensor2d(rotate, [hd, hd]) });
  }
  return buffers;
}

export function disposeBuffers(buffers: Buffers): void {
  for (const t of Object.values(buffers)) t?.dispose();
}

/** What a forward pass needs besides the tokens. */
export interface Model {
  config: ModelConfig;
  params: Params;
  buffers: Buffers;
}

export function createModel(config: ModelConfig, seed: number): Model {
  return { config, params: initParams(config, seed), buffers: makeBuffers(config) };
}

export function disposeModel(model: Model): void {
  for (const p of Object.values(model.params)) p.dispose();
  disposeBuffers(model.buffers);
}

export interface ForwardOptions {
  quant?: Quantizers;
  /** Weights used instead of the model's (post-training quantized copies); same names. */
  weights?: Partial<Record<string, tf.Tensor>>;
  /** Sees each linear layer's input [rows, in] as the layer gets it (GPTQ's calibration). */
  onLinearInput?: (name: string, input: tf.Tensor2D) => void;
}

const EPS = 1e-5;

/**
 * The rows of `table` [V, d] for the given ids, copied in JS both ways: the wasm backend's
 * gather takes ~14 ms for 2048 rows of 128 (a copy takes 0.3), and it has no kernel for the
 * gather's gradient, a scatter-add (UnsortedSegmentSum); a one-hot matmul costs two products.
 */
export function embed(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const rows = ids.dataSync();
  const [vocab, d] = table.shape;
  const lookup = (t: tf.Tensor) => {
    const values = t.dataSync();
    const out = new Float32Array(rows.length * d);
    for (let r = 0; r < rows.length; r++) out.set(values.subarray(rows[r] * d, rows[r] * d + d), r * d);
    return { value: tf.tensor2d(out, [rows.length, d]), gradFunc };
  };
  const gradFunc = (dy: tf.Tensor): tf.Tensor => {
    const grad = new Float32Array(vocab * d);
    const dyValues = dy.dataSync();
    for (let r = 0; r < rows.length; r++) {
      const from = r * d;
      const to = rows[r] * d;
      for (let j = 0; j < d; j++) grad[to + j] += dyValues[from + j];
    }
    return tf.tensor2d(grad, [vocab, d]);
  };
  return tf.customGrad(lookup as unknown as CustomGradientFunc)(table);
}

/**
 * Mean cross-entropy (nats) of logits [N, V] against target ids [N], with the gradient written
 * out, (softmax - onehot) / N: the backend's softmax is fast, its exp and log (which
 * tf.logSoftmax runs over every logit) are not.
 */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, vocab: number): tf.Scalar {
  const n = logits.shape[0];
  const f = (z: tf.Tensor, save: tf.GradSaveFunc) => {
    const probs = tf.softmax(z);
    const onehot = tf.oneHot(targets, vocab);
    save([probs, onehot]);
    // A floor on the target's probability caps a token's loss at 69 nats instead of infinity.
    const picked = tf.maximum(tf.sum(tf.mul(probs, onehot), -1), 1e-30);
    return {
      value: tf.neg(tf.mean(tf.log(picked))),
      gradFunc: (dy: tf.Tensor, [p, h]: tf.Tensor[]) => tf.mul(tf.sub(p, h), tf.div(dy, n)),
    };
  };
  return tf.customGrad(f as unknown as CustomGradientFunc)(logits) as tf.Scalar;
}

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

function rmsNorm(x: tf.Tensor, gain: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), EPS))), gain);
}

/** What every layer of one forward pass shares: the model, the shapes, the weights in use and the quantizers. */
interface Pass {
  model: Model;
  options: ForwardOptions;
  quant: Quantizers;
  weights: Partial<Record<string, tf.Tensor>>;
  /** Batch, sequence length, head size. */
  b: number;
  t: number;
  hd: number;
  /** The causal mask cut to the sequence length. */
  mask: tf.Tensor;
}

/** A weight as the pass uses it: the PTQ replacement if given, else the model's. */
const weight = (pass: Pass, name: string): tf.Tensor => pass.weights[name] ?? pass.model.params[name];

/** x @ W with the layer's input and weight fake-quantized. */
function linear(pass: Pass, x: tf.Tensor, name: string): tf.Tensor {
  const { quant, weights, options } = pass;
  const params = pass.model.params;
  const input = quant.act ? quant.act(x) : x;
  options.onLinearInput?.(name, input as tf.Tensor2D);
  const w = weights[name] ?? (quant.weight ? quant.weight(params[name]) : params[name]);
  return tf.matMul(input as tf.Tensor2D, w as tf.Tensor2D);
}

/** Rotary position embedding of queries or keys [B, H, T, hd]; identity with learned positions. */
function rope(pass: Pass, x: tf.Tensor): tf.Tensor {
  const { config, buffers } = pass.model;
  const { t, hd } = pass;
  if (!buffers.cos || !buffers.sin || !buffers.rotate) return x;
  const cos = t === config.context ? buffers.cos : tf.slice(buffers.cos, [0, 0], [t, hd]);
  const sin = t === config.context ? buffers.sin : tf.slice(buffers.sin, [0, 0], [t, hd]);
  const rotated = tf.reshape(tf.matMul(tf.reshape(x, [-1, hd]), buffers.rotate), x.shape);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

/** [B*T, d] -> [B, H, T, hd]. */
const splitHeads = (pass: Pass, x: tf.Tensor): tf.Tensor4D => tf.transpose(tf.reshape(x, [pass.b, pass.t, pass.model.config.heads, pass.hd]), [0, 2, 1, 3]);

/** [B, H, T, hd] -> [B*T, d]. */
const mergeHeads = (pass: Pass, x: tf.Tensor): tf.Tensor => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [pass.b * pass.t, pass.model.config.width]);

/** Causal multi-head attention of block `layer`: softmax(q k^T / sqrt(hd) + mask) v, projected back. */
function attention(pass: Pass, x: tf.Tensor, layer: string): tf.Tensor {
  const { quant, hd } = pass;
  let keys = rope(pass, splitHeads(pass, linear(pass, x, `${layer}.k`)));
  let values: tf.Tensor = splitHeads(pass, linear(pass, x, `${layer}.v`));
  if (quant.kv) [keys, values] = [quant.kv(keys), quant.kv(values)];
  const queries = rope(pass, splitHeads(pass, linear(pass, x, `${layer}.q`)));
  const scores = tf.add(tf.mul(tf.matMul(queries as tf.Tensor4D, keys as tf.Tensor4D, false, true), 1 / Math.sqrt(hd)), pass.mask);
  const attended = tf.matMul(tf.softmax(scores), values as tf.Tensor4D);
  return linear(pass, mergeHeads(pass, attended), `${layer}.proj`);
}

/**
 * The MLP of block `layer`: GELU(x W1) W2, or SwiGLU: (SiLU(x Wg) * x Wu) W2. GELU in its sigmoid
 * form x * sigmoid(1.702 x) (Hendrycks & Gimpel 2016): the backend's erf and exp run ~15x slower
 * than its sigmoid.
 */
function mlp(pass: Pass, x: tf.Tensor, layer: string): tf.Tensor {
  let hidden: tf.Tensor;
  if (pass.model.config.mlp === 'gelu') {
    const u = linear(pass, x, `${layer}.fc`);
    hidden = tf.mul(u, tf.sigmoid(tf.mul(u, 1.702)));
  } else {
    const gate = linear(pass, x, `${layer}.gate`);
    hidden = tf.mul(tf.mul(gate, tf.sigmoid(gate)), linear(pass, x, `${layer}.up`));
  }
  return linear(pass, hidden, `${layer}.fc2`);
}

/** A pre-norm block: x + attention(norm(x)), then x + mlp(norm(x)). */
function block(pass: Pass, x: tf.Tensor, layer: string): tf.Tensor {
  const afterAttention = tf.add(x, attention(pass, rmsNorm(x, weight(pass, `${layer}.norm1`)), layer));
  return tf.add(afterAttention, mlp(pass, rmsNorm(afterAttention, weight(pass, `${layer}.norm2`)), layer));
}

/** Token embeddings, plus learned positions when the model has them: [B*T, d]. */
function embedTokens(pass: Pass, tokens: tf.Tensor2D): tf.Tensor {
  const { config } = pass.model;
  const { b, t } = pass;
  const d = config.width;
  const x = embed(weight(pass, 'wte'), tf.reshape(tokens, [-1]));
  if (config.positions !== 'learned') return x;
  return tf.reshape(tf.add(tf.reshape(x, [b, t, d]), tf.slice(weight(pass, 'wpe'), [0, 0], [t, d])), [b * t, d]);
}

/** Logits [B, T, V] from the final hidden states [B*T, d]: the (tied or own) unembedding. */
function unembed(pass: Pass, x: tf.Tensor): tf.Tensor3D {
  const { config } = pass.model;
  const logits = config.tiedEmbeddings ? tf.matMul(x as tf.Tensor2D, weight(pass, 'wte') as tf.Tensor2D, false, true) : tf.matMul(x as tf.Tensor2D, weight(pass, 'head') as tf.Tensor2D);
  return tf.reshape(logits, [pass.b, pass.t, config.vocabSize]);
}

/** Logits [B, T, V] for tokens [B, T]. */
export function forward(model: Model, tokens: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
  const { config, buffers } = model;
  const { quant = {}, weights = {} } = options;
  const [b, t] = tokens.shape;
  const mask = t === config.context ? buffers.mask : tf.slice(buffers.mask, [0, 0], [t, t]);
  const pass: Pass = { model, options, quant, weights, b, t, hd: config.width / config.heads, mask };
  // Rows are (batch, position) pairs: [B*T, d] throughout, so every linear layer is one matmul.
  let x = embedTokens(pass, tokens);
  for (let i = 0; i < config.depth; i++) x = block(pass, x, `h${i}`);
  return unembed(pass, rmsNorm(x, weight(pass, 'normF')));
}

/**
 * Mean next-token cross-entropy (nats/token) over a batch of sequences [B, T+1]: the model reads
 * positions 0..T-1 and predicts 1..T.
 */
export function loss(model: Model, batch: tf.Tensor2D, options: ForwardOptions = {}): tf.Scalar {
  const [b, t1] = batch.shape;
  const t = t1 - 1;
  const inputs = tf.slice(batch, [0, 0], [b, t]);
  const targets = tf.reshape(tf.slice(batch, [0, 1], [b, t]), [-1]);
  const logits = tf.reshape(forward(model, inputs, options), [b * t, model.config.vocabSize]);
  return crossEntropy(logits, targets, model.config.vocabSize);
}
