import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AdamW, learningRateAt } from '../../src/train/adamw';
import { initBackend, tf } from '../../src/train/backend';
import {
  createModel,
  crossEntropy,
  embed,
  disposeModel,
  embeddingParams,
  forward,
  loss,
  nonEmbeddingParams,
} from '../../src/train/model';
import { asTensors, calibrationHessians, linearLayers, perturbedLayers, ptqPlan } from '../../src/train/ptq';
import { parseQuantSpec } from '../../src/train/formats';
import { type ModelConfig, allLinearNames, countNonEmbeddingParams } from '../../src/train/modelConfig';
import { quantizersFor } from '../../src/train/quantize';

before(() => initBackend());

const tiny = (overrides: Partial<ModelConfig> = {}): ModelConfig => ({
  vocabSize: 256,
  width: 32,
  depth: 2,
  heads: 2,
  context: 16,
  mlp: 'gelu',
  positions: 'rotary',
  tiedEmbeddings: true,
  ...overrides,
});

/** A reference product in plain JS. */
function reference(a: number[][][], b: number[][][]): number[][][] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => {
    const [ai, bi] = [a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]];
    return ai.map((row) => bi[0].map((_, j) => row.reduce((sum, v, k) => sum + v * bi[k][j], 0)));
  });
}

describe('matrix products on the wasm backend', () => {
  test('every shape and transpose the model uses matches a plain product', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[64, 32], [32, 48], false, false],
      [[64, 32], [48, 32], false, true],
      [[64, 32], [64, 48], true, false], // A^T B with B narrower: computed as (B^T A)^T
      [[64, 96], [64, 32], true, false],
      [[32, 64], [48, 32], true, true],
      [[3, 2, 16, 8], [3, 2, 8, 16], false, false], // attention, batched over sequences and heads
      [[3, 2, 16, 8], [3, 2, 16, 8], false, true],
      [[3, 2, 16, 16], [3, 2, 16, 8], true, false],
      [[5, 16, 8], [8, 4], false, false], // a batch against one matrix
      [[1, 16, 8], [3, 8, 4], false, false], // one matrix against a batch
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const a = tf.randomNormal(sa, 0, 1, 'float32', 1);
      const b = tf.randomNormal(sb, 0, 1, 'float32', 2);
      const got = tf.matMul(a, b, ta, tb);
      const as3 = (t: tf.Tensor, transpose: boolean): number[][][] => {
        const r = t.shape.slice(-2);
        const t3 = tf.reshape(t, [-1, r[0], r[1]]);
        return (transpose ? tf.transpose(t3, [0, 2, 1]) : t3).arraySync() as number[][][];
      };
      const want = reference(as3(a, ta), as3(b, tb)).flat(2);
      const values = Array.from(got.dataSync());
      assert.equal(values.length, want.length, `${sa} x ${sb}`);
      const err = Math.max(...values.map((v, i) => Math.abs(v - want[i])));
      assert.ok(err < 1e-4, `${sa} x ${sb} (${ta}, ${tb}): max error ${err}`);
    }
  });
});

describe('hand-written gradients', () => {
  const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];

  test('the embedding lookup matches a one-hot product, forward and backward', () => {
    const table = tf.randomNormal([16, 8], 0, 1, 'float32', 1);
    const ids = tf.tensor1d([3, 0, 3, 15, 7, 3], 'int32');
    const upstream = tf.randomNormal([6, 8], 0, 1, 'float32', 2);
    const ours = tf.valueAndGrad((t: tf.Tensor) => tf.sum(tf.mul(embed(t, ids), upstream)))(table);
    const plain = tf.valueAndGrad((t: tf.Tensor) => tf.sum(tf.mul(tf.matMul(tf.oneHot(ids, 16), t as tf.Tensor2D), upstream)))(table);
    assert.ok(Math.abs(ours.value.dataSync()[0] - plain.value.dataSync()[0]) < 1e-4);
    assert.ok(maxDiff(ours.grad, plain.grad) < 1e-5);
  });

  test('cross-entropy matches log-softmax, forward and backward', () => {
    const logits = tf.mul(tf.randomNormal([12, 16], 0, 1, 'float32', 3), 4);
    const targets = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 15], 'int32');
    const ours = tf.valueAndGrad((z: tf.Tensor) => crossEntropy(z, targets, 16))(logits);
    const plain = tf.valueAndGrad((z: tf.Tensor) => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(z), tf.oneHot(targets, 16)), -1))) as tf.Scalar)(logits);
    assert.ok(Math.abs(ours.value.dataSync()[0] - plain.value.dataSync()[0]) < 1e-5);
    assert.ok(maxDiff(ours.grad, plain.grad) < 1e-6);
  });
});

describe('model', () => {
  test('N counts the weights outside the embeddings, from the model itself', () => {
    for (const config of [tiny(), tiny({ mlp: 'swiglu', positions: 'learned', tiedEmbeddings: false, width: 48, heads: 3 })]) {
      const model = createModel(config, 1);
      const d = config.width;
      // q, k, v, proj; fc and fc2 (GELU, 4d) or gate, up and fc2 (SwiGLU, 8d/3 rounded up to 32: 128); two norm gains.
      const mlp = config.mlp === 'gelu' ? 2 * d * 4 * d : 3 * d * 128;
      assert.equal(nonEmbeddingParams(model.params), config.depth * (4 * d * d + mlp + 2 * d) + d);
      assert.equal(countNonEmbeddingParams(config), nonEmbeddingParams(model.params));
      const embeddings = 256 * d + (config.positions === 'learned' ? config.context * d : 0) + (config.tiedEmbeddings ? 0 : d * 256);
      assert.equal(embeddingParams(model.params), embeddings);
      disposeModel(model);
    }
  });

  test('the initial loss is about ln(256), and the model is causal', () => {
    const model = createModel(tiny(), 3);
    const batch = tf.randomUniformInt([4, 17], 0, 256, 9) as tf.Tensor2D;
    const l = loss(model, batch).dataSync()[0];
    assert.ok(Math.abs(l - Math.log(256)) < 0.1, `initial loss ${l}`);
    // Changing the last token changes no prediction before it.
    const a = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]], [1, 8], 'int32');
    const b = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 99]], [1, 8], 'int32');
    const la = forward(model, a).arraySync()[0];
    const lb = forward(model, b).arraySync()[0];
    for (let t = 0; t < 7; t++) assert.ok(Math.max(...la[t].map((v, i) => Math.abs(v - lb[t][i]))) < 1e-5, `position ${t}`);
    assert.ok(Math.max(...la[7].map((v, i) => Math.abs(v - lb[7][i]))) > 1e-4);
    disposeModel(model);
  });

  for (const [label, config, precision] of [
    ['fp32, rotary, GELU', tiny(), 'fp32'],
    ['w4a8kv4, learned positions, SwiGLU, untied', tiny({ mlp: 'swiglu', positions: 'learned', tiedEmbeddings: false }), 'w4a8kv4'],
    ['e4m3', tiny({ depth: 1 }), 'e4m3'],
  ] as const) {
    test(`a tiny model overfits one batch (${label})`, () => {
      const model = createModel(config, 5);
      const quant = quantizersFor(parseQuantSpec(precision));
      const optimizer = new AdamW(model.params, { beta1: 0.9, beta2: 0.95, weightDecay: 0 });
      const batch = tf.randomUniformInt([4, 17], 0, 256, 4) as tf.Tensor2D;
      const losses: number[] = [];
      const steps = 60;
      for (let step = 0; step < steps; step++) {
        const { value, grads } = tf.variableGrads(() => loss(model, batch, { quant }));
        optimizer.step(Object.fromEntries(Object.entries(model.params).map(([k, p]) => [k, grads[p.name]])), learningRateAt(step, steps, 2e-2, 5, 0.1));
        losses.push(value.dataSync()[0]);
        tf.dispose([value, ...Object.values(grads)]);
      }
      // Random bytes: nothing to learn but the batch itself. ln(256) = 5.5 at the start.
      assert.ok(losses[0] > 5, `first loss ${losses[0]}`);
      assert.ok(losses[steps - 1] < 0.5, `last loss ${losses[steps - 1]} (${precision})`);
      optimizer.dispose();
      disposeModel(model);
    });
  }

  test('no tensors leak across training steps', () => {
    const model = createModel(tiny(), 1);
    const optimizer = new AdamW(model.params, { beta1: 0.9, beta2: 0.95, weightDecay: 0.1 });
    const quant = quantizersFor(parseQuantSpec('w4a4kv4'));
    const batch = tf.randomUniformInt([2, 17], 0, 256, 1) as tf.Tensor2D;
    const step = (): void => {
      const { value, grads } = tf.variableGrads(() => loss(model, batch, { quant }));
      optimizer.step(Object.fromEntries(Object.entries(model.params).map(([k, p]) => [k, grads[p.name]])), 1e-3);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, before);
    optimizer.dispose();
    disposeModel(model);
  });
});

describe('post-training quantization', () => {
  const noHessians = (): Map<string, Float64Array> => {
    throw new Error('not needed');
  };
  const plan = (model: ReturnType<typeof createModel>, ptq: Partial<Parameters<typeof ptqPlan>[1]>) =>
    ptqPlan(linearLayers(model), { bits: [], groups: [null], formats: [], gptqBits: [], ...ptq }, noHessians);

  test('at 16 bits the loss does not change; at 2 bits it does', () => {
    const model = createModel(tiny({ width: 64, heads: 2 }), 2);
    const layers = linearLayers(model);
    const batch = tf.randomUniformInt([4, 17], 0, 256, 6) as tf.Tensor2D;
    const evaluate = (values?: Map<string, Float32Array>): number =>
      tf.tidy(() => loss(model, batch, { weights: values ? asTensors(layers, values) : undefined }).dataSync()[0]);
    const base = evaluate();
    const { steps, skippedGroups } = plan(model, { bits: [16, 2], groups: [null, 32, 48] });
    assert.deepEqual(skippedGroups, [48]);
    assert.deepEqual(
      steps.map((s) => s.label),
      ['int16-channel', 'int2-channel', 'int16-g32', 'int2-g32'],
    );
    for (const step of steps) {
      const q = step.quantize();
      const moved = Math.abs(evaluate(q.values) - base);
      if (step.record.bits === 16) assert.ok(moved < 1e-4, `${step.label} moved the loss by ${moved}`);
      else assert.ok(moved > 1e-3, `${step.label} moved the loss by only ${moved}`);
      assert.ok(step.record.bits === 16 ? q.sqnrDb > 80 : q.sqnrDb < 12, `${step.label}: SQNR ${q.sqnrDb} dB`);
    }
    disposeModel(model);
  });

  test('quantizes every linear layer of the blocks, and nothing else', () => {
    const model = createModel(tiny(), 2);
    const [step] = plan(model, { bits: [4] }).steps;
    const { values, bitsPerWeight } = step.quantize();
    assert.deepEqual([...values.keys()].sort(), allLinearNames(model.config).sort());
    for (const layer of linearLayers(model)) {
      const q = values.get(layer.name)!;
      for (let c = 0; c < layer.cols; c++) {
        const column = Array.from({ length: layer.rows }, (_, r) => q[r * layer.cols + c]);
        const top = Math.max(...column.map(Math.abs));
        const levels = new Set(column.map((v) => Math.round((v / top) * 7)));
        assert.ok(levels.size <= 15, `${layer.name} column ${c}: ${levels.size} levels`);
      }
    }
    // 4 bits plus one 16-bit scale per output channel of 32 or 128 inputs.
    assert.ok(bitsPerWeight > 4 && bitsPerWeight < 4 + 16 / 32 + 1e-9, `${bitsPerWeight} bits per weight`);
    disposeModel(model);
  });

  test('microscaling formats are recorded with their element type, block and storage cost', () => {
    const model = createModel(tiny(), 2);
    const [fp4, int8] = plan(model, { groups: [], formats: ['mxfp4', 'mxint8'] }).steps;
    assert.deepEqual(fp4.record, { bits: 4, type: 'fp', format: 'mxfp4', method: 'rtn', groupSize: 32 });
    assert.deepEqual(int8.record, { bits: 8, type: 'int', format: 'mxint8', method: 'rtn', groupSize: 32 });
    assert.equal(fp4.quantize().bitsPerWeight, 4.25);
    assert.ok(int8.quantize().sqnrDb > fp4.quantize().sqnrDb + 15);
    disposeModel(model);
  });

  test('GPTQ from calibration activations leaves less output error than round-to-nearest', () => {
    const model = createModel(tiny({ width: 64, heads: 2 }), 3);
    const layers = linearLayers(model);
    const windows = new Int32Array(8 * 17).map((_, i) => (i * 7919 + ((i * i) % 31)) % 256);
    const hessians = calibrationHessians(model, windows, 4, {});
    assert.deepEqual([...hessians.keys()].sort(), allLinearNames(model.config).sort());
    const steps = ptqPlan(layers, { bits: [3], groups: [null], formats: [], gptqBits: [3] }, () => hessians).steps;
    // tr(ΔᵀHΔ): the layer's output error on the calibration inputs, summed over layers.
    const outputError = (values: Map<string, Float32Array>): number =>
      layers.reduce((sum, l) => {
        const h = hessians.get(l.name)!;
        const q = values.get(l.name)!;
        for (let c = 0; c < l.cols; c++) {
          for (let i = 0; i < l.rows; i++) {
            const di = l.values[i * l.cols + c] - q[i * l.cols + c];
            for (let j = 0; j < l.rows; j++) sum += di * h[i * l.rows + j] * (l.values[j * l.cols + c] - q[j * l.cols + c]);
          }
        }
        return sum;
      }, 0);
    const [rtn, gptq] = steps.map((s) => outputError(s.quantize().values));
    assert.equal(steps[1].record.method, 'gptq');
    assert.ok(gptq < 0.9 * rtn, `GPTQ ${gptq} vs RTN ${rtn}`);
    disposeModel(model);
  });

  test('the landscape probe moves each layer by the asked relative norm, reproducibly', () => {
    const model = createModel(tiny(), 2);
    const layers = linearLayers(model);
    const norm = (xs: ArrayLike<number>): number => Math.sqrt(Array.from(xs).reduce((s, x) => s + x * x, 0));
    const a = perturbedLayers(layers, 0.05, 7);
    for (const l of layers) {
      const delta = Float32Array.from(l.values, (v, i) => a.get(l.name)![i] - v);
      assert.ok(Math.abs(norm(delta) / norm(l.values) - 0.05) < 1e-3, l.name);
    }
    assert.deepEqual(perturbedLayers(layers, 0.05, 7).get(layers[0].name), a.get(layers[0].name));
    assert.notDeepEqual(perturbedLayers(layers, 0.05, 8).get(layers[0].name), a.get(layers[0].name));
    disposeModel(model);
  });
});
