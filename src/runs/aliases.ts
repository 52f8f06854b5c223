// The names logs, sweep tables and configs use for the quantities the law needs. Matching is
// on a normalised key (lower case, letters and digits only), so "n_params", "nParams" and
// "N-Params" are one name. Users extend the table; their names are tried first.

export const ALIAS_FIELDS = [
  'name',
  'params',
  'tokens',
  'precision',
  'weightBits',
  'actBits',
  'kvBits',
  'postBits',
  'loss',
  'postLoss',
  'steps',
  'batchSize',
  'seqLen',
  'status',
] as const;
export type AliasField = (typeof ALIAS_FIELDS)[number];

export type AliasTable = Readonly<Record<AliasField, readonly string[]>>;

export const DEFAULT_ALIASES: AliasTable = Object.freeze({
  name: ['name', 'run', 'run_name', 'run_id', 'id', 'experiment'],
  // Non-embedding counts first: N is the non-embedding count, and a record stating both (open_lm's
  // params and params_no_embed) means the other one to include the embeddings.
  params: ['non_embedding_params', 'n_non_embedding_params', 'params_no_embed', 'params', 'n_params', 'num_params', 'nparams', 'model_params', 'model_size', 'num_scaling_params', 'parameters', 'N'],
  tokens: ['tokens', 'train_tokens', 'n_tokens', 'num_tokens', 'tokens_seen', 'num_input_tokens_seen', 'training_tokens', 'data_tokens', 'tokens_trained', 'total_tokens', 'D'],
  // dtype last: nanoGPT trains in it, but in a Hugging Face model config it is only the saved dtype (torch_dtype is never read).
  precision: ['precision', 'train_precision', 'training_precision', 'quant', 'dtype'],
  weightBits: ['weight_bits', 'w_bits', 'wbits', 'bits_w', 'weights_bits', 'P_w', 'pw'],
  actBits: ['act_bits', 'a_bits', 'abits', 'activation_bits', 'activations_bits', 'bits_a', 'P_a', 'pa'],
  kvBits: ['kv_bits', 'kvbits', 'kv_cache_bits', 'bits_kv', 'P_kv', 'pkv'],
  postBits: ['post_bits', 'ptq_bits', 'inference_bits', 'quant_bits', 'deploy_bits', 'P_post', 'ppost'],
  loss: ['val_loss', 'eval_loss', 'validation_loss', 'valid_loss', 'loss', 'final_loss', 'test_loss', 'val/loss', 'eval/loss'],
  postLoss: ['ptq_loss', 'post_loss', 'quantized_loss', 'post_ptq_loss', 'loss_after_ptq'],
  steps: ['steps', 'max_steps', 'train_steps', 'global_step', 'num_steps', 'max_iters', 'iters'],
  batchSize: ['batch_size', 'global_batch_size', 'train_batch_size', 'total_batch_size'],
  // The length trained on; a model's maximum (max_position_embeddings, n_ctx, n_positions) is not it.
  seqLen: ['seq_len', 'seq_length', 'sequence_length', 'block_size', 'context_length', 'max_seq_length', 'max_seq_len', 'cutoff_len', 'train_seq_len'],
  status: ['status', 'state'],
});

export function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The built-in table with the user's names added in front (tried first); unknown fields are ignored. */
export function extendAliases(user: Partial<Record<string, readonly string[]>> = {}, base: AliasTable = DEFAULT_ALIASES): AliasTable {
  const out = {} as Record<AliasField, readonly string[]>;
  for (const field of ALIAS_FIELDS) {
    const extra = user[field];
    out[field] = Array.isArray(extra) ? [...new Set([...extra.filter((x) => typeof x === 'string'), ...base[field]])] : base[field];
  }
  return Object.freeze(out);
}

/**
 * Which field each key names, for a header row or an object's keys: every field goes to the
 * key whose name comes earliest in that field's alias list (so "val_loss" beats "loss" when a
 * table has both). Returns field -> key.
 */
export function matchKeys(keys: readonly string[], aliases: AliasTable = DEFAULT_ALIASES): Partial<Record<AliasField, string>> {
  const byNorm = new Map<string, string>();
  for (const key of keys) if (!byNorm.has(normaliseKey(key))) byNorm.set(normaliseKey(key), key);
  const taken = new Set<string>();
  const out: Partial<Record<AliasField, string>> = {};
  for (const field of ALIAS_FIELDS) {
    for (const alias of aliases[field]) {
      const key = byNorm.get(normaliseKey(alias));
      if (key !== undefined && !taken.has(key)) {
        out[field] = key;
        taken.add(key);
        break;
      }
    }
  }
  return out;
}
