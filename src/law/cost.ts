// Cost models: how much training compute a (N, D, P) costs and what inference costs per token.
// Named and swappable, because users plan against their own hardware.

import { type Format, parseFormat } from './formats';
import type { Precision } from './law';

export interface CostModel {
  id: string;
  label: string;
  description: string;
  /** Training FLOPs per parameter per token at a matmul precision of `bits` (C = this * N * D). */
  flopsPerParamToken(bits: number): number;
  /** Inference cost per token, in parameter-bits (proportional to memory traffic). */
  inferenceCost(params: number, postBits: number): number;
  /** For a throughput table: the formats it prices, fastest first at each width. Plans choose among these by default. */
  formats?: readonly Format[];
  /** For a table: whether `bits` is one of its entries (elsewhere the cost is interpolated). */
  prices?(bits: number): boolean;
}

/**
 * Matmuls run at the wider of their two operands, so the cost of a training step is set by
 * the larger of the weight and activation precisions; the KV cache is a small share of FLOPs.
 */
export function matmulBits(precision: Precision): number {
  return Math.max(precision.w, precision.a);
}

const parameterBits = (params: number, postBits: number): number => params * postBits;

/** Kumar et al.'s model: C = (6/16) N D P, which is 6ND at 16 bits. */
export const BITS_LINEAR: CostModel = {
  id: 'bits-linear',
  label: '6ND x P/16',
  description: 'Training compute (6/16) N D P: cost per FLOP proportional to bits, 6ND at 16 bits (Kumar et al. 2024).',
  flopsPerParamToken: (bits) => (6 / 16) * bits,
  inferenceCost: parameterBits,
};

/** Hardware that gains nothing from low precision: C = 6ND at any precision. */
export const PRECISION_BLIND: CostModel = {
  id: '6nd',
  label: '6ND',
  description: 'Training compute 6ND whatever the precision (hardware without low-precision speed-up).',
  flopsPerParamToken: () => 6,
  inferenceCost: parameterBits,
};

/**
 * A cost model from measured throughput: `relativeCost[bits]` is the cost of a training
 * token at that precision relative to 16 bits (e.g. {16: 1, 8: 0.5, 4: 0.5} for hardware
 * whose int4 runs no faster than int8). Between table entries the cost is interpolated
 * linearly; outside, the nearest entry is used.
 */
export function tableCostModel(id: string, relativeCost: Record<number, number>, description?: string): CostModel {
  const entries = Object.entries(relativeCost)
    .map(([bits, cost]) => [Number(bits), cost] as const)
    .filter(([bits, cost]) => Number.isFinite(bits) && Number.isFinite(cost) && cost > 0)
    .sort((x, y) => x[0] - y[0]);
  if (entries.length === 0) throw new Error(`cost model "${id}": the table needs at least one positive entry`);
  const relative = (bits: number): number => {
    if (bits <= entries[0][0]) return entries[0][1];
    for (let i = 1; i < entries.length; i++) {
      const [b1, c1] = entries[i];
      if (bits <= b1) {
        const [b0, c0] = entries[i - 1];
        return c0 + ((c1 - c0) * (bits - b0)) / (b1 - b0);
      }
    }
    return entries[entries.length - 1][1];
  };
  return {
    id,
    label: id,
    description: description ?? `Training cost relative to 16 bits from a table: ${entries.map(([b, c]) => `${b}b=${c}`).join(', ')}.`,
    flopsPerParamToken: (bits) => 6 * relative(bits),
    inferenceCost: parameterBits,
  };
}

export type CostTableResult = { ok: true; model: CostModel } | { ok: false; field?: string; message: string };

/**
 * A cost model from a throughput table the user gives: relative training speed per format,
 * e.g. {"bf16": 1, "fp8": 1.8, "int4": 3}. A relative speed s means a training token at that
 * format costs 1/s of bf16's: C = 6 N D / s (6ND at s = 1). Keys are format names or bits
 * ("fp8", "int4", "8"); between the table's widths the cost is interpolated, outside it the
 * nearest entry holds. Two formats of one width (fp8 and int8) are one precision to the law,
 * so they must have the same speed. Errors name the field.
 */
export function throughputCostModel(value: unknown, id = 'table'): CostTableResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: 'a cost table is a JSON object of relative speeds per format, e.g. {"bf16": 1, "fp8": 1.8, "int4": 3}' };
  }
  const speeds = new Map<number, { speed: number; names: string[]; field: string }>();
  for (const [field, speed] of Object.entries(value)) {
    const format = parseFormat(field);
    if (!format) return { ok: false, field, message: `field "${field}": not a format (bits such as 8, or bf16, fp8, fp6, fp4, int8, int4, ...)` };
    if (typeof speed !== 'number' || !Number.isFinite(speed) || speed <= 0) {
      return { ok: false, field, message: `field "${field}": the relative speed must be a positive number (got ${JSON.stringify(speed)})` };
    }
    const same = speeds.get(format.bits);
    if (same && same.speed !== speed) {
      return {
        ok: false,
        field,
        message: `field "${field}": ${format.bits} bits already has speed ${same.speed} (field "${same.field}"); the law sees one ${format.bits}-bit precision, so give the format you would run, or the same speed`,
      };
    }
    if (same) same.names.push(format.name);
    else speeds.set(format.bits, { speed, names: [format.name], field });
  }
  if (speeds.size === 0) return { ok: false, message: 'the cost table is empty: give at least one format, e.g. {"bf16": 1}' };
  const relativeCost: Record<number, number> = {};
  for (const [bits, { speed }] of speeds) relativeCost[bits] = 1 / speed;
  const entries = [...speeds.entries()].sort((x, y) => y[0] - x[0]);
  const description = `Training cost 6ND / s from a throughput table (relative speed s per format, bf16 = 1): ${entries.map(([, e]) => `${e.names.join('/')} ${e.speed}`).join(', ')}.`;
  const model = tableCostModel(id, relativeCost, description);
  return {
    ok: true,
    model: {
      ...model,
      label: `throughput table (${entries.map(([, e]) => `${e.names[0]} x${e.speed}`).join(', ')})`,
      formats: entries.map(([bits, e]) => ({ bits, name: e.names.join('/') })),
      prices: (bits) => speeds.has(bits),
    },
  };
}

export const COST_MODELS: Readonly<Record<string, CostModel>> = Object.freeze({
  [BITS_LINEAR.id]: BITS_LINEAR,
  [PRECISION_BLIND.id]: PRECISION_BLIND,
});

export const DEFAULT_COST_MODEL = BITS_LINEAR;

export function costModelById(id: string): CostModel {
  const model = COST_MODELS[id];
  if (!model) throw new Error(`unknown cost model "${id}" (known: ${Object.keys(COST_MODELS).join(', ')})`);
  return model;
}

export function trainingCompute(model: CostModel, params: number, tokens: number, precision: Precision): number {
  return model.flopsPerParamToken(matmulBits(precision)) * params * tokens;
}
