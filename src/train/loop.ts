// One training run, start to finish: data, model, AdamW with warmup and cosine decay, gradient
// clipping, validation at intervals and at the end, post-training quantization, and the run
// directory written throughout. Runs in-process; engine.ts runs it in child processes.

import { AdamW, globalNorm, learningRateAt } from './adamw';
import { initBackend, tf } from './backend';
import { type ResolvedJob, type TrainJob, resolveJob } from './config';
import { TokenSampler, loadCorpus, splitCorpus, validationWindows } from './data';
import { type Model, createModel, disposeModel, embeddingParams, loss, nonEmbeddingParams } from './model';
import { asTensors, calibrationHessians, linearLayers, perturbedLayers, ptqPlan } from './ptq';
import { parseQuantSpec, partPrecision } from './formats';
import { type Quantizers, quantizersFor } from './quantize';
import { runFolderOf } from './runFolder';
import { type ProbeRecord, type PtqRecord, type RunStatus, RunWriter } from './writer';

export type TrainEvent =
  | { type: 'start'; name: string; runDir: string; params: number; steps: number; tokens: number }
  | { type: 'step'; name: string; step: number; steps: number; tokens: number; loss: number; learningRate: number; tokensPerSecond: number; etaSeconds: number }
  | { type: 'eval'; name: string; step: number; tokens: number; valLoss: number }
  | { type: 'ptq'; name: string; label: string; valLoss: number; sqnrDb: number }
  | { type: 'probe'; name: string; relativeNorm: number; lossIncrease: number }
  /** Something the user should know about the run folder (a stale lock taken over). */
  | { type: 'note'; name: string; message: string }
  | { type: 'end'; name: string; runDir: string; status: RunStatus; valLoss?: number; tokensPerSecond?: number; error?: string; cancelReason?: string };

export interface TrainOptions {
  /** Aborting cancels the run at the next step; a string reason is kept in run.json (cancelReason). */
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
  /** Folder with the tfjs-backend-wasm .wasm files (backend.ts finds them by default). */
  wasmDir?: string;
}

export interface TrainResult {
  name: string;
  runDir: string;
  status: RunStatus;
  valLoss?: number;
  ptq: PtqRecord[];
  tokensPerSecond?: number;
  error?: string;
  cancelReason?: string;
}

/** What a cancelled run's manifest says stopped it. */
const reasonOf = (signal: AbortSignal | undefined): string => (typeof signal?.reason === 'string' ? signal.reason : 'cancelled');

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Mean loss over the fixed validation windows, in batches; `weights` replace the model's (PTQ). */
function validationLoss(model: Model, windows: Int32Array, batchSize: number, quant: Quantizers, weights?: Record<string, tf.Tensor>): number {
  const t1 = model.config.context + 1;
  const rows = windows.length / t1;
  let total = 0;
  for (let start = 0; start < rows; start += batchSize) {
    const n = Math.min(batchSize, rows - start);
    const value = tf.tidy(() => loss(model, tf.tensor2d(windows.subarray(start * t1, (start + n) * t1), [n, t1], 'int32'), { quant, weights }));
    total += value.dataSync()[0] * n;
    value.dispose();
  }
  return total / rows;
}

/** One optimizer step: loss and gradients on the batch, clipping to a global norm, AdamW. */
export function trainStep(model: Model, optimizer: AdamW, batch: tf.Tensor2D, quant: Quantizers, learningRate: number, gradClip: number): { loss: number; gradNorm: number } {
  const { value, grads: byVariable } = tf.variableGrads(() => loss(model, batch, { quant }));
  const grads = Object.fromEntries(Object.entries(model.params).map(([key, p]) => [key, byVariable[p.name]]));
  const gradNorm = globalNorm(Object.values(grads));
  optimizer.step(grads, learningRate, gradClip > 0 && gradNorm > gradClip ? gradClip / gradNorm : 1);
  const lossValue = value.dataSync()[0];
  tf.dispose([value, ...Object.values(byVariable)]);
  return { loss: lossValue, gradNorm };
}

export async function train(job: TrainJob, options: TrainOptions = {}): Promise<TrainResult> {
  const { signal, onEvent = () => {} } = options;
  await initBackend(options.wasmDir);
  const cfg: ResolvedJob = resolveJob(job);
  const { name, model: modelConfig, batchSize: b } = cfg;
  const t = modelConfig.context;
  // Checked before anything is written: the run folder is one folder directly in outDir.
  const runDir = runFolderOf(cfg.outDir, name);

  // Data: the split is fixed by the split seed, the batch order by the run's seed.
  const corpus = loadCorpus(cfg.corpus, cfg.brownDir);
  const split = splitCorpus(corpus, cfg.validationFraction, cfg.splitSeed);
  const sampler = new TokenSampler(split.train, t, cfg.seed);
  const valWindows = validationWindows(split.validation, t, cfg.evalTokens);

  const spec = parseQuantSpec(cfg.precision);
  const quant = quantizersFor(spec, cfg.quantClip);
  const model = createModel(modelConfig, cfg.seed);
  const optimizer = new AdamW(model.params, cfg);
  const steps = Math.max(1, Math.ceil(cfg.tokens / (b * t)));
  const warmup = cfg.warmupSteps ?? Math.min(200, Math.max(1, Math.round(0.05 * steps)));
  const plannedTokens = steps * b * t;

  const writer = new RunWriter(runDir, {
    name,
    params: nonEmbeddingParams(model.params),
    embeddingParams: embeddingParams(model.params),
    tokens: plannedTokens,
    tokensPlanned: plannedTokens,
    precision: { weights: partPrecision(spec.w), activations: partPrecision(spec.a), kv: partPrecision(spec.kv) },
    ptq: [],
    seed: cfg.seed,
    model: { ...modelConfig, tokenizer: 'bytes' },
    training: {
      precisionSpec: cfg.precision,
      optimizer: 'adamw',
      learningRate: cfg.learningRate,
      schedule: `linear warmup ${warmup} steps, cosine to ${cfg.minLearningRateRatio} x peak`,
      weightDecay: cfg.weightDecay,
      betas: [cfg.beta1, cfg.beta2],
      gradClip: cfg.gradClip,
      batchSize: b,
      steps,
      quantization: { weights: 'per output channel', activations: 'per tensor', kv: 'per tensor', scale: 'absmax', clip: cfg.quantClip, backward: 'straight-through' },
      backend: `tfjs-core ${tf.version_core} wasm`,
    },
    data: {
      corpus: corpus.name,
      tokensPerPass: sampler.tokensPerPass,
      validationTokens: (valWindows.length / (t + 1)) * t,
      validationFraction: cfg.validationFraction,
      splitSeed: cfg.splitSeed,
    },
    created: new Date().toISOString(),
    ...(cfg.sweep ? { sweep: cfg.sweep } : {}),
  });
  onEvent({ type: 'start', name, runDir, params: writer.current.params, steps, tokens: plannedTokens });
  for (const message of writer.notes) onEvent({ type: 'note', name, message });

  const startedAt = performance.now();
  let status: RunStatus = 'complete';
  let error: string | undefined;
  let step = 0;
  let trainSeconds = 0;
  let evalSeconds = 0;
  let evals = 0;
  const tokensSeen = (): number => step * b * t;
  const throughput = (): number => (trainSeconds > 0 ? tokensSeen() / trainSeconds : 0);
  const evaluate = (): number => {
    const started = performance.now();
    const value = validationLoss(model, valWindows, b, quant);
    evalSeconds += (performance.now() - started) / 1000;
    evals++;
    writer.log({ step, tokens: tokensSeen(), split: 'val', loss: value });
    onEvent({ type: 'eval', name, step, tokens: tokensSeen(), valLoss: value });
    return value;
  };
  const evalsLeft = (): number => (cfg.evalEvery > 0 ? Math.floor((steps - step) / cfg.evalEvery) : 0) + 1 + cfg.ptq.bits.length * cfg.ptq.groups.length + cfg.ptq.formats.length + cfg.ptq.gptqBits.length + cfg.ptq.probeNorms.length * cfg.ptq.probeDirections;

  let valLoss: number | undefined;
  const ptq: PtqRecord[] = [];
  const landscape: ProbeRecord[] = [];
  try {
    for (; step < steps; ) {
      if (signal?.aborted) {
        status = 'cancelled';
        break;
      }
      const started = performance.now();
      const learningRate = learningRateAt(step, steps, cfg.learningRate, warmup, cfg.minLearningRateRatio);
      const batch = tf.tensor2d(sampler.nextBatch(b), [b, t + 1], 'int32');
      const { loss: trainLoss, gradNorm: norm } = trainStep(model, optimizer, batch, quant, learningRate, cfg.gradClip);
      batch.dispose();
      step++;
      trainSeconds += (performance.now() - started) / 1000;

      if (!Number.isFinite(trainLoss)) throw new Error(`training diverged: loss ${trainLoss} at step ${step}`);
      if (step % cfg.logEvery === 0 || step === steps || step === 1) {
        writer.log({ step, tokens: tokensSeen(), split: 'train', loss: trainLoss, lr: learningRate, gradNorm: norm, tokensPerSecond: throughput(), epochs: sampler.epochs });
      }
      const secondsPerEval = evals > 0 ? evalSeconds / evals : (trainSeconds / step) * (valWindows.length / (t + 1) / b) * 0.4;
      const etaSeconds = (trainSeconds / step) * (steps - step) + secondsPerEval * evalsLeft();
      onEvent({ type: 'step', name, step, steps, tokens: tokensSeen(), loss: trainLoss, learningRate, tokensPerSecond: throughput(), etaSeconds });
      if (cfg.evalEvery > 0 && step % cfg.evalEvery === 0 && step < steps) {
        const v = evaluate();
        writer.update({ tokens: tokensSeen(), epochs: sampler.epochs, lastValLoss: v, tokensPerSecond: throughput() });
      }
      // Lets a cancel message, a signal or the parent's disconnect be seen between steps.
      await yieldToEventLoop();
    }
    if (status === 'complete') {
      valLoss = evaluate();
      if (!Number.isFinite(valLoss)) throw new Error(`validation loss is ${valLoss}`);
      // Post-training quantization of the final weights, then the loss-landscape probe. A
      // cancel here keeps what was measured.
      const layers = linearLayers(model);
      const calibration = (): Map<string, Float64Array> => {
        const rows = Math.max(1, Math.ceil(cfg.ptq.calibrationTokens / t));
        const windows = new TokenSampler(split.train, t, cfg.seed + 1).nextBatch(rows);
        return calibrationHessians(model, windows, b, quant);
      };
      const plan = ptqPlan(layers, cfg.ptq, calibration);
      if (plan.skippedGroups.length > 0) writer.update({ ptqSkippedGroups: plan.skippedGroups });
      const lossWith = (values: Map<string, Float32Array>): number => {
        const weights = asTensors(layers, values);
        try {
          return validationLoss(model, valWindows, b, quant, weights);
        } finally {
          tf.dispose(Object.values(weights));
        }
      };
      for (const step of plan.steps) {
        if (signal?.aborted) break;
        const q = step.quantize();
        const value = lossWith(q.values);
        ptq.push({ ...step.record, bitsPerWeight: q.bitsPerWeight, sqnrDb: q.sqnrDb, valLoss: value });
        onEvent({ type: 'ptq', name, label: step.label, valLoss: value, sqnrDb: q.sqnrDb });
        await yieldToEventLoop();
      }
      for (const relativeNorm of cfg.ptq.probeNorms) {
        if (signal?.aborted) break;
        const increases = Array.from({ length: cfg.ptq.probeDirections }, (_, k) => lossWith(perturbedLayers(layers, relativeNorm, cfg.seed * 1000 + k)) - valLoss!);
        const mean = increases.reduce((x, y) => x + y, 0) / increases.length;
        const std = Math.sqrt(increases.reduce((x, y) => x + (y - mean) ** 2, 0) / Math.max(1, increases.length - 1));
        landscape.push({ relativeNorm, lossIncrease: mean, lossIncreaseStd: std, directions: increases.length });
        onEvent({ type: 'probe', name, relativeNorm, lossIncrease: mean });
        await yieldToEventLoop();
      }
      if (signal?.aborted) status = 'cancelled';
    }
  } catch (e) {
    status = 'failed';
    error = (e as Error).message;
  } finally {
    optimizer.dispose();
    disposeModel(model);
  }

  // A stopped run keeps the tokens it actually saw (when it saw any): that is its D.
  const seen = tokensSeen();
  const cancelReason = status === 'cancelled' ? reasonOf(signal) : undefined;
  try {
    writer.update({
      status,
      tokens: seen > 0 ? seen : plannedTokens,
      epochs: seen > 0 ? sampler.epochs : undefined,
      ...(valLoss !== undefined ? { valLoss } : {}),
      ptq,
      ...(landscape.length > 0 ? { landscape } : {}),
      tokensPerSecond: throughput(),
      wallSeconds: (performance.now() - startedAt) / 1000,
      ...(error ? { error } : {}),
      ...(cancelReason ? { cancelReason } : {}),
    });
  } finally {
    writer.close();
  }
  const result: TrainResult = { name, runDir, status, ptq, tokensPerSecond: throughput(), ...(valLoss !== undefined ? { valLoss } : {}), ...(error ? { error } : {}), ...(cancelReason ? { cancelReason } : {}) };
  onEvent({ type: 'end', name, runDir, status, valLoss, tokensPerSecond: result.tokensPerSecond, error, cancelReason });
  return result;
}
