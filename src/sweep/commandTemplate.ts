// The user's own trainer: a command template with placeholders, filled in per run. Each value is
// shell-quoted (shellQuote.ts) before it is put in, so a run name or path is always one word; the
// rest of the template is the user's shell syntax, run as they wrote it. Where the template comes
// from is the front ends' concern: only from the user's own settings, a trusted workspace's
// tasks.json, or the command line.

import { type TrainJob, resolveJob } from '../train/config';
import { partPrecision, parseQuantSpec, quantSpecName } from '../train/formats';
import { countNonEmbeddingParams } from '../train/modelConfig';
import { CONTROL_CHARACTER, shellQuote } from './shellQuote';

/** Every placeholder a template may use, with what it stands for (the documentation users read). */
export const PLACEHOLDERS = {
  name: 'the run name (also the run folder name)',
  out: 'the run folder, an absolute path: write the logs here',
  layers: 'transformer blocks',
  width: 'model width (d_model)',
  heads: 'attention heads',
  params: 'N, non-embedding parameters of the planned model',
  tokens: 'D, training tokens',
  precision: 'training precision as the sweep names it ("fp32", "int8", "w4a8kv4")',
  wbits: 'bits of the weights during training (32 for fp32)',
  abits: 'bits of the activations during training',
  kvbits: 'bits of the KV cache during training',
  seed: 'random seed',
  batch: 'batch size (sequences)',
  context: 'context length (tokens)',
  lr: 'peak learning rate',
} as const;

export type Placeholder = keyof typeof PLACEHOLDERS;

const PLACEHOLDER = /\{([A-Za-z_]+)\}/g;

/** What is wrong with a template, or undefined: empty, an unknown placeholder, a control character. */
export function templateProblem(template: string): string | undefined {
  if (template.trim() === '') return 'the command template is empty';
  // A newline would end the job script's line and start a command of its own.
  if (CONTROL_CHARACTER.test(template)) return 'the command template has a line break or control character; give one line (join commands with && or ;)';
  const unknown = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((name) => !(name in PLACEHOLDERS));
  if (unknown.length > 0) return `unknown placeholder${unknown.length > 1 ? 's' : ''} ${[...new Set(unknown)].map((n) => `{${n}}`).join(', ')} in the command template (known: ${Object.keys(PLACEHOLDERS).map((n) => `{${n}}`).join(' ')})`;
  return undefined;
}

/** The placeholders' values for one job; `runDir` is the run folder ({out}). */
export function placeholderValues(job: TrainJob, runDir: string): Record<Placeholder, string | number> {
  const cfg = resolveJob(job);
  const spec = parseQuantSpec(job.precision);
  return {
    name: job.name,
    out: runDir,
    layers: cfg.model.depth,
    width: cfg.model.width,
    heads: cfg.model.heads,
    params: countNonEmbeddingParams(cfg.model),
    tokens: job.tokens,
    precision: quantSpecName(spec),
    wbits: partPrecision(spec.w).bits,
    abits: partPrecision(spec.a).bits,
    kvbits: partPrecision(spec.kv).bits,
    seed: cfg.seed,
    batch: cfg.batchSize,
    context: cfg.model.context,
    lr: cfg.learningRate,
  };
}

/** The template with every placeholder replaced by its value, shell-quoted. Throws on a bad template. */
export function renderCommand(template: string, values: Record<Placeholder, string | number>): string {
  const problem = templateProblem(template);
  if (problem) throw new Error(problem);
  return template.replace(PLACEHOLDER, (_, name: Placeholder) => shellQuote(values[name]));
}
