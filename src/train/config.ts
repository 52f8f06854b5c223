// One training run, as plain values: what the CLI, the tasks and the sweep grid fill in and the
// child process receives as JSON. Every default is here, in one place.

import type { ModelConfig } from './modelConfig';
import { VOCAB_SIZE } from './data';

export interface TrainJob {
  /** Run name; also the run directory's name under `outDir`. */
  name: string;
  /** Folder the run directory is created in. */
  outDir: string;
  model: Partial<ModelConfig> & Pick<ModelConfig, 'width' | 'depth'>;
  /** Training precision: "fp32", "w4a8kv4", "e4m3", "w:e4m3,a:int8,kv:off" (quantize.ts). */
  precision: string;
  /** D: training tokens (rounded up to whole steps). */
  tokens: number;
  batchSize?: number;
  seed?: number;
  learningRate?: number;
  /** The cosine schedule ends at learningRate * minLearningRateRatio. */
  minLearningRateRatio?: number;
  /** Warmup steps; default: 5% of the steps, at most 200. */
  warmupSteps?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  /** Gradients are scaled down to this global norm when above it; 0 turns clipping off. */
  gradClip?: number;
  /** Straight-through clipping range as a fraction of the absmax (1: no clipping, the default). */
  quantClip?: number;
  /** Validation every this many steps (and always at the end); 0: at the end only. */
  evalEvery?: number;
  /** Size of the fixed validation set. */
  evalTokens?: number;
  /** A training-loss line in metrics.jsonl every this many steps. */
  logEvery?: number;
  /** Text files or folders to train on; empty: the Brown corpus. */
  corpus?: string[];
  /** Folder of the Brown corpus files, when not the installed package. */
  brownDir?: string;
  validationFraction?: number;
  /** Seed of the train/validation split, shared by every run of a sweep. */
  splitSeed?: number;
  ptq?: {
    /** Bit-widths the final weights are rounded to (round-to-nearest, symmetric integer). */
    bits?: number[];
    /** null: one scale per output channel; a number: groups of that many weights. */
    groups?: (number | null)[];
    /** Microscaling formats, round-to-nearest ("mxfp4", "mxint8", "mxfp6-e2m3", ...). */
    formats?: string[];
    /** Bit-widths quantized with GPTQ (integer, per output channel) from a calibration batch. */
    gptqBits?: number[];
    /** Relative norms of the loss-landscape probe's random weight perturbations; empty: no probe. */
    probeNorms?: number[];
    /** Random directions per probe norm. */
    probeDirections?: number;
    /** Training tokens GPTQ's calibration Hessians are computed from. */
    calibrationTokens?: number;
  };
  /** Free-form note kept in run.json (for example the sweep it belongs to). */
  sweep?: string;
}

export type ResolvedJob = Required<Omit<TrainJob, 'model' | 'ptq' | 'warmupSteps' | 'brownDir' | 'sweep'>> & {
  model: ModelConfig;
  ptq: Required<NonNullable<TrainJob['ptq']>>;
  warmupSteps?: number;
  brownDir?: string;
  sweep?: string;
};

export const DEFAULTS = {
  batchSize: 16,
  seed: 1,
  // Small models take a large step size (nanoGPT's shakespeare-char uses 1e-3 at 10M parameters).
  // At 99K parameters on 600K bytes of Brown text (batch 16 x 128), 2e-3 ended at 2.281 nats, 6e-3
  // at 2.203, 1.2e-2 at 2.340, 2e-2 at 2.561: 5e-3, a little under the best, for the longer runs.
  learningRate: 5e-3,
  minLearningRateRatio: 0.1,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  gradClip: 1,
  quantClip: 1,
  evalEvery: 0,
  evalTokens: 32768,
  logEvery: 10,
  validationFraction: 0.05,
  splitSeed: 0,
  ptqBits: [8, 6, 5, 4, 3],
  ptqGroups: [null, 128, 32] as (number | null)[],
  // The formats Xu et al. compare, at the spec's block of 32.
  ptqFormats: ['mxint8', 'mxint4', 'mxfp8', 'mxfp6-e2m3', 'mxfp4'],
  gptqBits: [4, 3],
  // Relative norms 0.01-0.3 span the SQNRs of 8- down to 3-bit formats (40 to ~10 dB).
  probeNorms: [0.01, 0.03, 0.1, 0.3],
  probeDirections: 2,
  calibrationTokens: 4096,
} as const;

export const MODEL_DEFAULTS = {
  vocabSize: VOCAB_SIZE,
  context: 128,
  mlp: 'gelu',
  positions: 'rotary',
  tiedEmbeddings: true,
} as const;

/** Heads of 32 dimensions unless the job says otherwise (at least one). */
export const defaultHeads = (width: number): number => Math.max(1, Math.floor(width / 32));

export function resolveJob(job: TrainJob): ResolvedJob {
  const model: ModelConfig = { ...MODEL_DEFAULTS, heads: defaultHeads(job.model.width), ...job.model };
  return {
    name: job.name,
    outDir: job.outDir,
    model,
    precision: job.precision,
    tokens: job.tokens,
    batchSize: job.batchSize ?? DEFAULTS.batchSize,
    seed: job.seed ?? DEFAULTS.seed,
    learningRate: job.learningRate ?? DEFAULTS.learningRate,
    minLearningRateRatio: job.minLearningRateRatio ?? DEFAULTS.minLearningRateRatio,
    warmupSteps: job.warmupSteps,
    weightDecay: job.weightDecay ?? DEFAULTS.weightDecay,
    beta1: job.beta1 ?? DEFAULTS.beta1,
    beta2: job.beta2 ?? DEFAULTS.beta2,
    gradClip: job.gradClip ?? DEFAULTS.gradClip,
    quantClip: job.quantClip ?? DEFAULTS.quantClip,
    evalEvery: job.evalEvery ?? DEFAULTS.evalEvery,
    evalTokens: job.evalTokens ?? DEFAULTS.evalTokens,
    logEvery: job.logEvery ?? DEFAULTS.logEvery,
    corpus: job.corpus ?? [],
    brownDir: job.brownDir,
    validationFraction: job.validationFraction ?? DEFAULTS.validationFraction,
    splitSeed: job.splitSeed ?? DEFAULTS.splitSeed,
    ptq: {
      bits: job.ptq?.bits ?? [...DEFAULTS.ptqBits],
      groups: job.ptq?.groups ?? [...DEFAULTS.ptqGroups],
      formats: job.ptq?.formats ?? [...DEFAULTS.ptqFormats],
      gptqBits: job.ptq?.gptqBits ?? [...DEFAULTS.gptqBits],
      probeNorms: job.ptq?.probeNorms ?? [...DEFAULTS.probeNorms],
      probeDirections: job.ptq?.probeDirections ?? DEFAULTS.probeDirections,
      calibrationTokens: job.ptq?.calibrationTokens ?? DEFAULTS.calibrationTokens,
    },
    sweep: job.sweep,
  };
}
