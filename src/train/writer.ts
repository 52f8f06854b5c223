// Writes a run in the project's format (schemas/run.schema.json): run.json, the manifest, and
// metrics.jsonl, the curve. The manifest is replaced atomically (written to a temporary file,
// synced, renamed over the old one), so a reader never sees half of it, whenever the process
// dies; it says "running" from the first moment, so a run killed mid-way reads as unfinished.
// Each metrics line goes to the file in one write as soon as it is logged: a kill loses at most
// the line being written, which the reader takes as the cut end of an unfinished run.

import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { PartPrecision } from '../runs/run';

export const MANIFEST_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';

export type RunStatus = 'running' | 'complete' | 'cancelled' | 'failed';

export interface PtqRecord {
  /** Bits of each stored element (scales not counted: see bitsPerWeight). */
  bits: number;
  type: 'int' | 'fp';
  /** "int" (integer grid), or an OCP microscaling format: "mxfp4", "mxint8", ... */
  format: string;
  method: 'rtn' | 'gptq';
  /** Weights sharing one scale: null for one per output channel; an MX format's block size. */
  groupSize: number | null;
  /** Storage per weight including the scales. */
  bitsPerWeight: number;
  /** Signal-to-quantization-noise ratio of the weights, dB. */
  sqnrDb: number;
  valLoss: number;
}

/** The loss-landscape probe: validation loss increase under random weight noise. */
export interface ProbeRecord {
  /** Noise norm over weight norm, per layer. */
  relativeNorm: number;
  /** Mean over the random directions. */
  lossIncrease: number;
  /** Standard deviation over the directions. */
  lossIncreaseStd: number;
  directions: number;
}

/** run.json as this trainer writes it; extra keys are metadata the reader shows. */
export interface Manifest {
  schemaVersion: 1;
  name: string;
  status: RunStatus;
  /** N: non-embedding parameters. */
  params: number;
  embeddingParams: number;
  /** D: tokens seen (the planned budget until the run ends or is stopped). */
  tokens: number;
  tokensPlanned: number;
  precision: { weights: PartPrecision; activations: PartPrecision; kv: PartPrecision };
  valLoss?: number;
  ptq: PtqRecord[];
  /** The loss-landscape probe of the final weights (Xu et al.). */
  landscape?: ProbeRecord[];
  epochs?: number;
  seed: number;
  model: Record<string, unknown>;
  training: Record<string, unknown>;
  data: Record<string, unknown>;
  created: string;
  updated?: string;
  /** Training throughput, evaluation excluded. */
  tokensPerSecond?: number;
  wallSeconds?: number;
  error?: string;
  /** Last validation loss of a run still going (valLoss is for the end of training only). */
  lastValLoss?: number;
  /** Group sizes left out of PTQ because they do not divide a layer's input dimension. */
  ptqSkippedGroups?: number[];
  /** The sweep the run belongs to. */
  sweep?: string;
}

/** Replaces `file` with `value` as JSON so that readers see the old or the new file, never a mix. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export class RunWriter {
  readonly dir: string;
  private manifest: Manifest;

  /** Creates (or starts over) the run directory with a "running" manifest and an empty curve. */
  constructor(dir: string, manifest: Omit<Manifest, 'status' | 'schemaVersion'>) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, METRICS_FILE), '');
    this.manifest = { schemaVersion: 1, status: 'running', ...manifest };
    this.write();
  }

  get current(): Readonly<Manifest> {
    return this.manifest;
  }

  /** Appends one line to metrics.jsonl. Non-finite numbers are written as null (JSON has no NaN). */
  log(record: Record<string, unknown>): void {
    appendFileSync(path.join(this.dir, METRICS_FILE), `${JSON.stringify(record, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
  }

  /** Merges fields into the manifest and rewrites it. */
  update(fields: Partial<Manifest>): void {
    this.manifest = { ...this.manifest, ...fields, updated: new Date().toISOString() };
    this.write();
  }

  private write(): void {
    writeJsonAtomic(path.join(this.dir, MANIFEST_FILE), this.manifest);
  }
}
