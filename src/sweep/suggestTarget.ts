// The target of a suggestion, read once for every front end: the plan the product recommends at a
// compute budget, or a training config's N, D and precision (bf16 for parts it gives none, and
// its served precision when below). A target that cannot be read says why, naming the file.

import type { Constants } from '../law/constants';
import type { Precision } from '../law/law';
import { plan } from '../law/plan';
import type { AliasTable } from '../runs/aliases';
import { languageOf, recogniseConfig } from '../runs/configs';
import { bitsOf } from '../fit/points';
import type { SuggestTarget } from './suggest';

export type TargetReading = { target: SuggestTarget } | { problem: string };

/** The joint plan at `compute` FLOPs under the constants. */
export function planTarget(constants: Constants, compute: number): TargetReading {
  const p = plan(constants, { scenario: 'joint', compute });
  if (!p.ok) return { problem: `no plan at ${compute.toExponential(2)} FLOPs: ${p.message}` };
  return { target: { label: `the plan at ${compute.toExponential(2)} FLOPs`, params: p.params, tokens: p.tokens, precision: p.precision } };
}

/** A config's N, D and precision; `file` names it (and says its language by its extension). */
export function configTarget(text: string, file: string, aliases: AliasTable): TargetReading {
  const language = languageOf(file);
  if (!language) return { problem: `"${file}" is not a YAML, JSON, TOML or Python config (by its name)` };
  const config = recogniseConfig(text, language, aliases, file);
  if (!config.params || !config.tokens) return { problem: `${file}: needs ${config.missing.join(' and ')}` };
  const precision: Precision = config.precision ? bitsOf({ precision: config.precision.value }) : { w: 16, a: 16, kv: 16 };
  const served = config.inference?.value.bits;
  return { target: { label: `the config ${file}`, params: config.params.value, tokens: config.tokens.value, precision, ...(served !== undefined && served < precision.w ? { post: served } : {}) } };
}
