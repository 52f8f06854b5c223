// The one shape every log reader produces and the fitter consumes.

import * as path from 'node:path';

export type NumberType = 'int' | 'fp';

/** Precision of one part of the network during training. */
export interface PartPrecision {
  bits: number;
  type: NumberType;
  /** Name as the source wrote it, when it had one ("bf16", "e4m3", "int8"). */
  name?: string;
}

/** Training precision of weights, activations and the attention KV cache. */
export interface TrainingPrecision {
  w: PartPrecision;
  a: PartPrecision;
  kv: PartPrecision;
}

/** Where a value came from, so every number can be traced to a file and line. */
export interface SourceRef {
  file: string;
  /** 1-based line. */
  line?: number;
  field?: string;
}

/** One post-training quantization evaluation of a run's final weights. */
export interface PtqEval {
  bits: number;
  type: NumberType;
  /** Data format beyond bits and type ("int", "mxfp4", "nf4"); defaults to the type. */
  format: string;
  /** "rtn", "gptq", ... */
  method: string;
  /** Weights sharing one scale: null or absent for per-channel. */
  groupSize?: number | null;
  /** Validation loss after quantizing the weights. */
  loss: number;
  /** Signal-to-quantization-noise ratio of the quantized weights, dB. */
  sqnrDb?: number;
  /** Storage per weight including scales. */
  bitsPerWeight?: number;
  source?: SourceRef;
}

/** One point of a loss-landscape probe: the loss increase under random weight noise. */
export interface ProbePoint {
  /** Noise norm over weight norm. */
  relativeNorm: number;
  /** Mean loss increase over the random directions. */
  lossIncrease: number;
}

/** One point of a loss curve. */
export interface CurvePoint {
  step: number;
  tokens?: number;
  split: string;
  loss: number;
}

export type RunField = 'params' | 'tokens' | 'precision' | 'finalLoss';

export interface Run {
  /** Stable identifier: the run's main file path relative to the scan root, or a table row reference. */
  id: string;
  name: string;
  /** Reader that produced it ("precision-planner", "hf-trainer", ...). */
  format: string;
  /** The file a user would open to see this run. */
  file: string;
  /** Non-embedding parameter count N. */
  params?: number;
  /** Training tokens seen D. */
  tokens?: number;
  precision?: TrainingPrecision;
  /** Final validation loss (nats/token). */
  finalLoss?: number;
  ptq: PtqEval[];
  /** Loss increase of the final weights under random noise (Xu et al.'s flatness). */
  landscape?: ProbePoint[];
  curve?: CurvePoint[];
  sources: Partial<Record<RunField, SourceRef>>;
  /** Fields the fitter needs that the files did not give; empty for a complete run. */
  missing: RunField[];
  /**
   * Why a missing field is missing, in the user's terms, where the reader knows ("cancelled",
   * "loss is NaN"); fields without one are named by FIELD_LABELS. Shown, never parsed.
   */
  reasons?: Partial<Record<RunField, string>>;
  /** The run did not finish (crashed, cancelled or still running), as its files say. */
  unfinished?: boolean;
  /** Anything else the reader found worth showing. */
  meta?: Record<string, unknown>;
}

export interface CompleteRun extends Run {
  params: number;
  tokens: number;
  precision: TrainingPrecision;
  finalLoss: number;
}

export function isComplete(run: Run): run is CompleteRun {
  return (
    run.missing.length === 0 &&
    run.params !== undefined &&
    run.tokens !== undefined &&
    run.precision !== undefined &&
    run.finalLoss !== undefined
  );
}

/** Fields the fitter needs, in the order they are reported as missing. */
export const REQUIRED_FIELDS: readonly RunField[] = ['params', 'tokens', 'precision', 'finalLoss'];

/** The required fields as a user knows them (the internal names mean nothing in their files). */
export const FIELD_LABELS: Readonly<Record<RunField, string>> = {
  params: 'N (parameters)',
  tokens: 'D (training tokens)',
  precision: 'training precision',
  finalLoss: 'final validation loss',
};

/**
 * Why a run is incomplete, in one line: the readers' reasons ("cancelled", "loss is NaN"), then
 * the fields missing for no reason given ("missing N (parameters), D (training tokens)").
 * Empty for a run with nothing missing.
 */
export function incompleteText(run: Pick<Run, 'missing' | 'reasons'>): string {
  const reasons: string[] = [];
  const unexplained: string[] = [];
  for (const field of run.missing) {
    const reason = run.reasons?.[field];
    if (reason === undefined) unexplained.push(FIELD_LABELS[field]);
    else if (!reasons.includes(reason)) reasons.push(reason);
  }
  if (unexplained.length > 0) reasons.push(`missing ${unexplained.join(', ')}`);
  return reasons.join('; ');
}

export function missingFields(run: Omit<Run, 'missing'>): RunField[] {
  return REQUIRED_FIELDS.filter((field) => run[field] === undefined);
}

/**
 * A run with `missing` filled in from the fields it has, and the reader's reasons for those that
 * are missing (reasons for fields the run has are dropped).
 */
export function withMissing(run: Omit<Run, 'missing'>, reasons: Run['reasons'] = {}): Run {
  const missing = missingFields(run);
  const explained = Object.fromEntries(missing.flatMap((field) => (reasons[field] !== undefined ? [[field, reasons[field]]] : [])));
  return Object.keys(explained).length > 0 ? { ...run, missing, reasons: explained } : { ...run, missing };
}

/** Run ids are stable across machines: the file relative to the scan root, with forward slashes. */
export function runId(file: string, root: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
