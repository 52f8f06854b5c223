// The plan settings, parsed without VS Code: precisionPlanner.costModel (a built-in id or a
// throughput table) and precisionPlanner.plan.formats (the realizable formats plans choose among).

import { COST_MODELS, type CostModel, DEFAULT_COST_MODEL, throughputCostModel } from '../law/cost';
import { type Format, parseFormats } from '../law/formats';

export interface PlanSettings {
  /** The cost model plans and compute figures use (bits-linear where the setting is unusable). */
  cost: CostModel;
  /** The formats plans choose among; undefined: the cost table's, else the default set. */
  formats?: Format[];
  /** What was wrong with the settings, naming the setting and the field; the defaults stand in. */
  errors: string[];
}

/**
 * costModel: "bits-linear", "6nd", or an object of relative training speeds per format
 * ({"bf16": 1, "fp8": 1.8, "int4": 3}: a speed s makes a token cost 1/s of bf16's, C = 6ND / s).
 * formats: an array of names or bits ([16, 8, 6, 4], ["bf16", "fp8", "int4"]); empty: the default.
 */
export function planSettings(raw: { costModel?: unknown; formats?: unknown }): PlanSettings {
  const errors: string[] = [];
  let cost = DEFAULT_COST_MODEL;
  const c = raw.costModel;
  if (typeof c === 'string') {
    if (Object.hasOwn(COST_MODELS, c)) cost = COST_MODELS[c];
    else errors.push(`precisionPlanner.costModel: "${c}" is not a built-in cost model (${Object.keys(COST_MODELS).join(', ')}) or a table of relative speeds; using bits-linear`);
  } else if (c !== undefined && c !== null) {
    const r = throughputCostModel(c, 'table');
    if (r.ok) cost = r.model;
    else errors.push(`precisionPlanner.costModel: ${r.message}; using bits-linear`);
  }
  let formats: Format[] | undefined;
  const f = raw.formats;
  if (Array.isArray(f) && f.length > 0) {
    const bad = f.find((x) => typeof x !== 'string' && typeof x !== 'number');
    const r = bad === undefined ? parseFormats(f as Array<string | number>) : { ok: false as const, message: `${JSON.stringify(bad)} is not a format name or bits` };
    if (r.ok) formats = r.formats;
    else errors.push(`precisionPlanner.plan.formats: ${r.message}; using the default formats`);
  } else if (f !== undefined && f !== null && !Array.isArray(f)) {
    errors.push('precisionPlanner.plan.formats: expected an array of format names or bits (e.g. [16, 8, 6, 4]); using the default formats');
  }
  return { cost, ...(formats ? { formats } : {}), errors };
}
