// N and D of a run record where the record states them in its own way: a Levanter model config
// (hidden_dim, num_layers, …) read under the Hugging Face names the facts engine counts from, a
// stated total parameter count (model_size) against the non-embedding count of the architecture,
// and D worked out from the training FLOPs when nothing else gives it.

import { type AliasTable, normaliseKey } from '../aliases';
import type { Diagnostic } from '../diagnostics';
import type { ConfigEntry } from '../entries';
import { type Found, countOf, describeSource, findConfigFacts, MIN_TOKENS_PER_PARAM } from '../facts';
import { diagnostic } from '../validate';

const leafOf = (key: string): string => key.split(/[./]/).pop() ?? key;
const prefixOf = (key: string): string => key.slice(0, Math.max(0, key.length - leafOf(key).length - 1));

// --- Levanter model configs ------------------------------------------------------------------------

/** Levanter's LlamaConfig fields and the Hugging Face names the architecture count reads. */
const LEVANTER_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['hidden_dim', 'hidden_size'],
  ['intermediate_dim', 'intermediate_size'],
  ['num_layers', 'num_hidden_layers'],
  ['num_heads', 'num_attention_heads'],
  ['num_kv_heads', 'num_key_value_heads'],
  ['head_dim', 'head_dim'],
  ['tie_word_embeddings', 'tie_word_embeddings'],
  ['use_bias', 'attention_bias'],
  ['use_bias', 'mlp_bias'],
];
/** Fields of Levanter configs whose blocks a Llama count does not describe: experts, extra norms, other mixers. */
const NOT_LLAMA = ['num_experts', 'n_routed_experts', 'num_local_experts', 'moe_intermediate_dim', 'use_gated_deltanet', 'hybrid_norm', 'qk_norm', 'use_qk_norm'];
/** Checkpoints whose family is counted as Llama (Mistral's dense models are Llama blocks). */
const LLAMA_CHECKPOINT = /llama|mistral(?!.*mixtral)/i;

const truthy = (v: unknown): boolean => v !== undefined && v !== null && v !== false && v !== 0 && v !== '';

/**
 * Entries under Hugging Face's names for a Levanter (Marin) Llama model config, which writes
 * hidden_dim, intermediate_dim, num_layers, num_heads and num_kv_heads and names no model type:
 * the family comes from its reference_checkpoint (meta-llama/…), or from a SwiGLU activation
 * when it names none. Each entry keeps the file and line of the field it renames. Configs with
 * experts or extra norms are left alone (their count would be wrong), saying so.
 */
export function levanterEntries(entries: readonly ConfigEntry[], diagnostics: Diagnostic[]): ConfigEntry[] {
  if (entries.some((e) => normaliseKey(leafOf(e.key)) === 'modeltype')) return [];
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const out: ConfigEntry[] = [];
  for (const width of entries.filter((e) => leafOf(e.key) === 'hidden_dim')) {
    const prefix = prefixOf(width.key);
    const at = (field: string): ConfigEntry | undefined => byKey.get(prefix ? `${prefix}.${field}` : field);
    if (!['num_layers', 'num_heads', 'intermediate_dim'].every((f) => countOf(at(f)?.value) !== undefined)) continue;
    const where = prefix || 'the record';
    const odd = NOT_LLAMA.find((f) => truthy(at(f)?.value));
    if (odd) {
      diagnostics.push(diagnostic(width.file, at(odd)?.line, at(odd)?.key, `${where} has ${odd}: not a dense Llama block, so N is not counted from it`, 'info', 'unsupported'));
      continue;
    }
    if (at('use_layer_norm_weight')?.value === false) continue;
    const checkpoint = at('reference_checkpoint');
    const activation = at('activation_function');
    const named = typeof checkpoint?.value === 'string' && LLAMA_CHECKPOINT.test(checkpoint.value);
    const swiglu = typeof activation?.value === 'string' && /^(silu|swiglu|swish)$/i.test(activation.value);
    if (!named && !((checkpoint?.value === undefined || checkpoint.value === null) && swiglu)) continue;
    const typeFrom = named ? (checkpoint as ConfigEntry) : (activation as ConfigEntry);
    const rename = (from: ConfigEntry, to: string, value: unknown = from.value): ConfigEntry => {
      const entry: ConfigEntry = { key: prefix ? `${prefix}.${to}` : to, value, file: from.file };
      if (from.line !== undefined) entry.line = from.line;
      return entry;
    };
    out.push(rename(typeFrom, 'model_type', 'llama'));
    for (const [from, to] of LEVANTER_NAMES) {
      const entry = at(from);
      if (entry && entry.value !== null) out.push(rename(entry, to));
    }
    const why = named ? `its reference_checkpoint is ${String(checkpoint?.value)}` : `its activation is ${String(activation?.value)} and it names no checkpoint`;
    diagnostics.push(
      diagnostic(width.file, width.line, prefix || undefined, `${where} read as a Levanter Llama config (${why}): hidden_dim, intermediate_dim, num_layers, num_heads, num_kv_heads counted as Hugging Face's hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads`, 'info', 'derived'),
    );
    break;
  }
  return out;
}

// --- a total parameter count against the architecture ------------------------------------------------

/** Names of non-embedding counts: what N is. */
const NON_EMBEDDING = /non_?embed|no_?embed|without_?embed/i;

/**
 * "exclude_embeddings", "excl_embed": an "excl…embed" within one word. Checked per word by hand:
 * /excl\w*_?embed/ rescans a long word from every "excl" in it, quadratic on a long key.
 */
function excludesEmbedding(name: string): boolean {
  for (const word of name.toLowerCase().split(/\W+/)) {
    const excl = word.indexOf('excl');
    if (excl !== -1 && word.indexOf('embed', excl + 4) !== -1) return true;
  }
  return false;
}

export const isNonEmbeddingName = (key: string): boolean => NON_EMBEDDING.test(leafOf(key)) || excludesEmbedding(leafOf(key));

/** Vocabulary sizes an embedding gap can stand for; outside this the gap is no embedding. */
const VOCABULARY_RANGE: readonly [number, number] = [1_000, 2_000_000];

/**
 * N when the record states a count that is not named non-embedding (model_size, params) and
 * also has an architecture the facts engine counts: the architecture's non-embedding count when
 * the stated one exceeds it by embedding-sized matrices (a multiple of the hidden size for a
 * plausible vocabulary), as Levanter's model_size and open_lm's params do. Otherwise the stated
 * count stands, and a gap that is not embeddings is said as a conflict.
 */
export function nonEmbeddingParams(stated: Found<number>, entries: readonly ConfigEntry[], aliases: AliasTable, file: string, diagnostics: Diagnostic[]): Found<number> {
  const field = stated.source.field ?? '';
  if (stated.derived || isNonEmbeddingName(field)) return stated;
  const names = new Set(aliases.params.map(normaliseKey));
  const rest = entries.filter((e) => !(names.has(normaliseKey(e.key)) || names.has(normaliseKey(leafOf(e.key)))));
  const counted = findConfigFacts(rest, aliases, { file, where: 'the record' }).params;
  if (!counted?.derived || counted.value >= stated.value) return stated;
  const gap = stated.value - counted.value;
  const width = rest.find((e) => /^(hidden_size|n_embd|d_model)$/.test(leafOf(e.key)) && countOf(e.value) !== undefined);
  const d = width ? (countOf(width.value) as number) : undefined;
  const rows = d !== undefined && Number.isInteger(gap / d) ? gap / d : undefined;
  if (rows === undefined || rows < VOCABULARY_RANGE[0] || rows > 2 * VOCABULARY_RANGE[1]) {
    diagnostics.push(
      diagnostic(stated.source.file, stated.source.line, field, `${field} is ${stated.value} but the architecture gives ${counted.value} non-embedding parameters, and the difference ${gap} is not an embedding matrix of the hidden size; ${field} is used as N`, 'warning', 'conflict'),
    );
    return stated;
  }
  diagnostics.push(
    diagnostic(
      stated.source.file,
      stated.source.line,
      field,
      `${field} = ${stated.value} counts the embeddings too: N = ${counted.value} without them, ${counted.derived.how}; the difference ${gap} = ${rows} × ${d} is the embedding and output matrices; N is the architecture's count`,
      'info',
      'derived',
    ),
  );
  return counted;
}

// --- D from the training FLOPs -------------------------------------------------------------------------

/** Total training compute in FLOPs; hardware FLOPs (what the devices could do) are not it. */
const FLOPS_KEYS = ['training_flops', 'train_flops', 'total_training_flops', 'model_flops', 'total_flops', 'flops'].map(normaliseKey);

/**
 * D = C / 6N from the training FLOPs C, the approximation the scaling laws are stated in; only
 * when nothing else gives D. The result is 'derived' and said so, with its caveat: FLOPs counted
 * with the embeddings or attention make D come out high.
 */
export function tokensFromFlops(entries: readonly ConfigEntry[], params: Found<number>, diagnostics: Diagnostic[]): Found<number> | undefined {
  for (const name of FLOPS_KEYS) {
    const entry = entries.find((e) => normaliseKey(leafOf(e.key)) === name && !/hardware|per_?(second|token|step|device)|mfu/i.test(e.key));
    const flops = entry ? countOf(entry.value) : undefined;
    if (!entry || flops === undefined) continue;
    const value = Math.round(flops / (6 * params.value));
    if (!Number.isFinite(value) || value <= 0 || value < params.value * MIN_TOKENS_PER_PARAM) continue;
    const from = { file: entry.file, field: entry.key, ...(entry.line !== undefined ? { line: entry.line } : {}) };
    diagnostics.push(
      diagnostic(
        entry.file,
        entry.line,
        'tokens',
        `tokens (D) not given; D = ${entry.key} / (6 N) = ${flops} / (6 × ${params.value}) = ${value} (from ${describeSource(from)} and N from ${describeSource(params.source)}); C ≈ 6ND is approximate, and FLOPs that count the embeddings or attention make D high`,
        'info',
        'derived',
      ),
    );
    return { value, source: { ...from, field: `${entry.key} / (6 × N)` }, derived: { how: `${entry.key} / (6 N)`, from: [from, params.source] } };
  }
  return undefined;
}
