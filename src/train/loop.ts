// One training run, start to finish: data, model, AdamW with warmup and cosine decay, gradient
// clipping, validation at intervals and at the end, post-training quantization, and the run
// directory written throughout. Runs in-process; engine.ts runs it in child processes.

import { AdamW, globalNorm, learningRateAt } from './adamw';
import { initBackend, tf } from './backend';
import { type ResolvedJob, type TrainJob, resolveJob } from './config';
import { type Split, TokenSampler, loadCorpus, splitCorpus, validationWindows } from './data';
import { type Model, createModel, disposeModel, embeddingParams, loss, nonEmbeddingParams } from './model';
import { type Layer, asTensors, calibrationHessians, linearLayers, perturbedLayers, ptqPlan } from './ptq';
import { type QuantSpec, parseQuantSpec, partPrecision } from './formats';
import { type Quantizers, quantizersFor } from './quantize';
import { runFolderOf } from './runFolder';
import { type Manifest, type ProbeRecord, type PtqRecord, type RunStatus, RunWriter } from './writer';

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

/** A run while it trains (not the readers' Run): its settings, data, model and optimizer, the files it writes, and how far it is. */
interface Training {
  cfg: ResolvedJob;
  runDir: string;
  signal?: AbortSignal;
  onEvent: (event: TrainEvent) => void;
  split: Split;
  sampler: TokenSampler;
  valWindows: Int32Array;
  quant: Quantizers;
  model: Model;
  optimizer: AdamW;
  steps: number;
  warmup: number;
  plannedTokens: number;
  writer: RunWriter;
  startedAt: number;
  /** Steps taken so far, and the seconds spent training and evaluating (for throughput and the ETA). */
  step: number;
  trainSeconds: number;
  evalSeconds: number;
  evals: number;
}

/** What a run measured; kept as far as it got when it fails or is cancelled. */
interface Outcome {
  status: RunStatus;
  error?: string;
  valLoss?: number;
  ptq: PtqRecord[];
  landscape: ProbeRecord[];
}

const tokensSeen = (run: Training): number => run.step * run.cfg.batchSize * run.cfg.model.context;
const throughput = (run: Training): number => (run.trainSeconds > 0 ? tokensSeen(run) / run.trainSeconds : 0);

export async function train(job: TrainJob, options: TrainOptions = {}): Promise<TrainResult> {
  await initBackend(options.wasmDir);
  const run = startRun(resolveJob(job), options);
  const outcome: Outcome = { status: 'complete', ptq: [], landscape: [] };
  try {
    outcome.status = await runSteps(run);
    if (outcome.status === 'complete') {
      outcome.valLoss = evaluate(run);
      if (!Number.isFinite(outcome.valLoss)) throw new Error(`validation loss is ${outcome.valLoss}`);
      // Post-training quantization of the final weights, then the loss-landscape probe. A
      // cancel here keeps what was measured.
      const layers = linearLayers(run.model);
      await quantizeAndEvaluate(run, layers, outcome.ptq);
      await probe(run, layers, outcome.valLoss, outcome.landscape);
      if (run.signal?.aborted) outcome.status = 'cancelled';
    }
  } catch (e) {
    outcome.status = 'failed';
    outcome.error = (e as Error).message;
  } finally {
    run.optimizer.dispose();
    disposeModel(run.model);
  }
  return finish(run, outcome);
}

/** Data, model and optimizer set up, and the run folder's manifest written ("running"). */
function startRun(cfg: ResolvedJob, options: TrainOptions): Training {
  const { signal, onEvent = () => {} } = options;
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

  const writer = new RunWriter(runDir, manifestOf(cfg, { model, spec, steps, warmup, plannedTokens, corpusName: corpus.name, sampler, valWindows }));
  onEvent({ type: 'start', name, runDir, params: writer.current.params, steps, tokens: plannedTokens });
  for (const message of writer.notes) onEvent({ type: 'note', name, message });
  return { cfg, runDir, signal, onEvent, split, sampler, valWindows, quant, model, optimizer, steps, warmup, plannedTokens, writer, startedAt: performance.now(), step: 0, trainSeconds: 0, evalSeconds: 0, evals: 0 };
}

/** The manifest a run starts with: what it trains, how, and on what data. */
function manifestOf(
  cfg: ResolvedJob,
  setup: { model: Model; spec: QuantSpec; steps: number; warmup: number; plannedTokens: number; corpusName: string; sampler: TokenSampler; valWindows: Int32Array },
): Omit<Manifest, 'status' | 'schemaVersion'> {
  const { model, spec, steps, warmup, plannedTokens, sampler, valWindows } = setup;
  const t = cfg.model.context;
  return {
    name: cfg.name,
    params: nonEmbeddingParams(model.params),
    embeddingParams: embeddingParams(model.params),
    tokens: plannedTokens,
    tokensPlanned: plannedTokens,
    precision: { weights: partPrecision(spec.w), activations: partPrecision(spec.a), kv: partPrecision(spec.kv) },
    ptq: [],
    seed: cfg.seed,
    model: { ...cfg.model, tokenizer: 'bytes' },
    training: {
      precisionSpec: cfg.precision,
      optimizer: 'adamw',
      learningRate: cfg.learningRate,
      schedule: `linear warmup ${warmup} steps, cosine to ${cfg.minLearningRateRatio} x peak`,
      weightDecay: cfg.weightDecay,
      betas: [cfg.beta1, cfg.beta2],
      gradClip: cfg.gradClip,
      batchSize: cfg.batchSize,
      steps,
      quantization: { weights: 'per output channel', activations: 'per tensor', kv: 'per tensor', scale: 'absmax', clip: cfg.quantClip, backward: 'straight-through' },
      backend: `tfjs-core ${tf.version_core} wasm`,
    },
    data: {
      corpus: setup.corpusName,
      tokensPerPass: sampler.tokensPerPass,
      validationTokens: (valWindows.length / (t + 1)) * t,
      validationFraction: cfg.validationFraction,
      splitSeed: cfg.splitSeed,
    },
    created: new Date().toISOString(),
    ...(cfg.sweep ? { sweep: cfg.sweep } : {}),
  };
}

/** The training steps, with the periodic evaluations; "cancelled" when the signal stops them first. */
async function runSteps(run: Training): Promise<RunStatus> {
  const { cfg, steps, sampler, writer } = run;
  const { batchSize: b, model: { context: t } } = cfg;
  while (run.step < steps) {
    if (run.signal?.aborted) return 'cancelled';
    const started = performance.now();
    const learningRate = learningRateAt(run.step, steps, cfg.learningRate, run.warmup, cfg.minLearningRateRatio);
    const batch = tf.tensor2d(sampler.nextBatch(b), [b, t + 1], 'int32');
    const { loss: trainLoss, gradNorm } = trainStep(run.model, run.optimizer, batch, run.quant, learningRate, cfg.gradClip);
    batch.dispose();
    const step = ++run.step;
    run.trainSeconds += (performance.now() - started) / 1000;

    if (!Number.isFinite(trainLoss)) throw new Error(`training diverged: loss ${trainLoss} at step ${step}`);
    if (step % cfg.logEvery === 0 || step === steps || step === 1) {
      writer.log({ step, tokens: tokensSeen(run), split: 'train', loss: trainLoss, lr: learningRate, gradNorm, tokensPerSecond: throughput(run), epochs: sampler.epochs });
    }
    run.onEvent({ type: 'step', name: cfg.name, step, steps, tokens: tokensSeen(run), loss: trainLoss, learningRate, tokensPerSecond: throughput(run), etaSeconds: etaSeconds(run) });
    if (cfg.evalEvery > 0 && step % cfg.evalEvery === 0 && step < steps) {
      const valLoss = evaluate(run);
      writer.update({ tokens: tokensSeen(run), epochs: sampler.epochs, lastValLoss: valLoss, tokensPerSecond: throughput(run) });
    }
    // Lets a cancel message, a signal or the parent's disconnect be seen between steps.
    await yieldToEventLoop();
  }
  return 'complete';
}

/**
 * Seconds left: the remaining steps at the pace so far, plus every validation pass still to come
 * (periodic, final, one per PTQ variant and probe direction) at the mean time of those done, or
 * before the first, guessed from the training pace and the validation set's size.
 */
function etaSeconds(run: Training): number {
  const { cfg, steps, step, trainSeconds, evals } = run;
  const { ptq } = cfg;
  const evalsLeft = (cfg.evalEvery > 0 ? Math.floor((steps - step) / cfg.evalEvery) : 0) + 1 + ptq.bits.length * ptq.groups.length + ptq.formats.length + ptq.gptqBits.length + ptq.probeNorms.length * ptq.probeDirections;
  const secondsPerEval = evals > 0 ? run.evalSeconds / evals : (trainSeconds / step) * (run.valWindows.length / (cfg.model.context + 1) / cfg.batchSize) * 0.4;
  return (trainSeconds / step) * (steps - step) + secondsPerEval * evalsLeft;
}

/** The validation loss now, logged to metrics.jsonl and reported. */
function evaluate(run: Training): number {
  const started = performance.now();
  const value = validationLoss(run.model, run.valWindows, run.cfg.batchSize, run.quant);
  run.evalSeconds += (performance.now() - started) / 1000;
  run.evals++;
  run.writer.log({ step: run.step, tokens: tokensSeen(run), split: 'val', loss: value });
  run.onEvent({ type: 'eval', name: run.cfg.name, step: run.step, tokens: tokensSeen(run), valLoss: value });
  return value;
}

/** The validation loss with `values` in place of the linear layers' weights. */
function lossWith(run: Training, layers: readonly Layer[], values: Map<string, Float32Array>): number {
  const weights = asTensors(layers, values);
  try {
    return validationLoss(run.model, run.valWindows, run.cfg.batchSize, run.quant, weights);
  } finally {
    tf.dispose(Object.values(weights));
  }
}

/** Each PTQ variant of the final weights (ptqPlan) and its validation loss, appended to `records`. */
async function quantizeAndEvaluate(run: Training, layers: Layer[], records: PtqRecord[]): Promise<void> {
  const { cfg } = run;
  const t = cfg.model.context;
  // Only GPTQ needs the calibration batch: computed when the plan asks for it.
  const calibration = (): Map<string, Float64Array> => {
    const rows = Math.max(1, Math.ceil(cfg.ptq.calibrationTokens / t));
    const windows = new TokenSampler(run.split.train, t, cfg.seed + 1).nextBatch(rows);
    return calibrationHessians(run.model, windows, cfg.batchSize, run.quant);
  };
  const plan = ptqPlan(layers, cfg.ptq, calibration);
  if (plan.skippedGroups.length > 0) run.writer.update({ ptqSkippedGroups: plan.skippedGroups });
  for (const variant of plan.steps) {
    if (run.signal?.aborted) break;
    const q = variant.quantize();
    const value = lossWith(run, layers, q.values);
    records.push({ ...variant.record, bitsPerWeight: q.bitsPerWeight, sqnrDb: q.sqnrDb, valLoss: value });
    run.onEvent({ type: 'ptq', name: cfg.name, label: variant.label, valLoss: value, sqnrDb: q.sqnrDb });
    await yieldToEventLoop();
  }
}

/**
 * The loss-landscape probe: the mean (and spread) of the loss increase over random weight
 * perturbations of each relative norm, appended to `landscape`.
 */
async function probe(run: Training, layers: Layer[], valLoss: number, landscape: ProbeRecord[]): Promise<void> {
  const { cfg } = run;
  for (const relativeNorm of cfg.ptq.probeNorms) {
    if (run.signal?.aborted) break;
    const increases = Array.from({ length: cfg.ptq.probeDirections }, (_, k) => lossWith(run, layers, perturbedLayers(layers, relativeNorm, cfg.seed * 1000 + k)) - valLoss);
    const mean = increases.reduce((x, y) => x + y, 0) / increases.length;
    const std = Math.sqrt(increases.reduce((x, y) => x + (y - mean) ** 2, 0) / Math.max(1, increases.length - 1));
    landscape.push({ relativeNorm, lossIncrease: mean, lossIncreaseStd: std, directions: increases.length });
    run.onEvent({ type: 'probe', name: cfg.name, relativeNorm, lossIncrease: mean });
    await yieldToEventLoop();
  }
}

/** The manifest's final state written and the folder released; the result and the "end" event. */
function finish(run: Training, outcome: Outcome): TrainResult {
  const { cfg, runDir, writer } = run;
  const { status, error, valLoss, ptq, landscape } = outcome;
  // A stopped run keeps the tokens it actually saw (when it saw any): that is its D.
  const seen = tokensSeen(run);
  const cancelReason = status === 'cancelled' ? reasonOf(run.signal) : undefined;
  try {
    writer.update({
      status,
      tokens: seen > 0 ? seen : run.plannedTokens,
      epochs: seen > 0 ? run.sampler.epochs : undefined,
      ...(valLoss !== undefined ? { valLoss } : {}),
      ptq,
      ...(landscape.length > 0 ? { landscape } : {}),
      tokensPerSecond: throughput(run),
      wallSeconds: (performance.now() - run.startedAt) / 1000,
      ...(error ? { error } : {}),
      ...(cancelReason ? { cancelReason } : {}),
    });
  } finally {
    writer.close();
  }
  const result: TrainResult = { name: cfg.name, runDir, status, ptq, tokensPerSecond: throughput(run), ...(valLoss !== undefined ? { valLoss } : {}), ...(error ? { error } : {}), ...(cancelReason ? { cancelReason } : {}) };
  run.onEvent({ type: 'end', name: cfg.name, runDir, status, valLoss, tokensPerSecond: result.tokensPerSecond, error, cancelReason });
  return result;
}
