// What a Hugging Face Trainer run's own records say about how it trained, shared by the Trainer
// reader and the TensorBoard reader (which meets the same TrainingArguments in the callback's
// args text summary): the training precision from the mixed-precision flags, and D from the
// Trainer's total_flos when nothing counted the tokens.

import * as path from 'node:path';
import type { ArchitectureCount } from '../architecture';
import { parsePrecision } from '../precision';
import type { DiagnosticCode } from '../diagnostics';
import type { PartPrecision, SourceRef } from '../run';

/** One training argument as found, with where it was written. */
export interface ArgAt {
  key: string;
  value: unknown;
  source: SourceRef;
}

/** The first source holding a key, searched in order (training_args.json, training_args.yaml, the args summary). */
export type ArgLookup = (key: string) => ArgAt | undefined;

// YAML and JSON give booleans; torch's hparams() turns them into 1 and 0.
const isTrue = (v: unknown): boolean => v === true || v === 1 || (typeof v === 'string' && /^\s*true\s*$/i.test(v));
const isFalse = (v: unknown): boolean => v === false || v === 0 || (typeof v === 'string' && /^\s*false\s*$/i.test(v));

export interface ArgsPrecision {
  /** The precision the Trainer computed in. */
  part: PartPrecision;
  source: SourceRef;
  /** 'flag': bf16/fp16/pure_bf16 set; 'default': neither set, so no mixed precision (fp32). */
  how: 'flag' | 'default';
  /** tf32 was on: fp32 weights and activations, TF32 tensor-core matmuls. */
  tf32?: ArgAt;
}

/**
 * The training precision TrainingArguments say. bf16/fp16 are mixed precision: matmuls autocast
 * to 16 bits over fp32 master weights, which is the precision the law means (what the forward
 * pass computes in); LLaMA-Factory's pure_bf16 holds the weights in bf16 too. bf16_full_eval and
 * fp16_full_eval cast the model for evaluation only and say nothing about training. With both
 * bf16 and fp16 false (a full TrainingArguments dump always has both) the Trainer trained in
 * fp32, tf32 or not: TF32 changes how fp32 matmuls round on Ampere GPUs, not the format trained
 * in. Undefined when the arguments do not say (a partial dump without the flags).
 */
export function precisionFromArgs(lookup: ArgLookup): ArgsPrecision | undefined {
  for (const [key, name] of [
    ['bf16', 'bf16'],
    ['pure_bf16', 'bf16'],
    ['fp16', 'fp16'],
  ] as const) {
    const at = lookup(key);
    if (at && isTrue(at.value)) return { part: parsePrecision(name) as PartPrecision, source: at.source, how: 'flag' };
  }
  const bf16 = lookup('bf16');
  const fp16 = lookup('fp16');
  if (!bf16 || !fp16 || !isFalse(bf16.value) || !isFalse(fp16.value)) return undefined;
  const out: ArgsPrecision = { part: parsePrecision('fp32') as PartPrecision, source: bf16.source, how: 'default' };
  const tf32 = lookup('tf32');
  if (tf32 && isTrue(tf32.value)) out.tf32 = tf32;
  return out;
}

/** Where a value was said, for messages: "training_args.json line 2", "args/text_summary in events.out.tfevents.…". */
export function whereSaid(source: SourceRef): string {
  const base = path.basename(source.file);
  const summary = /^([^.]+\/text_summary)\./.exec(source.field ?? '')?.[1];
  if (summary) return `${summary} in ${base}`;
  return `${base}${source.line !== undefined ? ` line ${source.line}` : ''}`;
}

/** What an fp32-by-default precision is said with: `where` names the bf16 flag's file and line. */
export function defaultPrecisionMessage(where: string, precision: ArgsPrecision): string {
  const tf32 = precision.tf32 ? ' (tf32 on: fp32 weights and activations, TF32 tensor-core matmuls)' : '';
  return `bf16 and fp16 are false (${where}): the Trainer ran without mixed precision, in fp32${tf32}`;
}

// --- D from total_flos -------------------------------------------------------------------------

/**
 * The parameter count the Trainer's total_flos was computed with. Trainer.floating_point_ops
 * adds, per batch, PreTrainedModel.floating_point_ops = 6 x estimate_tokens (the numel of
 * input_ids, padding included) x num_parameters(exclude_embeddings=True), summed over processes
 * by store_flos. num_parameters leaves out the weights of nn.Embedding modules only: token and
 * position embeddings go, an untied output matrix (an nn.Linear) stays, a tied one is the
 * embedding's own parameter and goes with it. So it is N plus an untied head, vocab x d.
 */
export function trainerFlopsParams(config: Record<string, unknown>, count: ArchitectureCount): { value: number; head: number } | { problem: string } {
  // As architecture.ts: GPT-2 always ties its head; the other families untie unless told.
  const tied = count.family === 'gpt2' || config.tie_word_embeddings === true;
  if (tied) return { value: count.params, head: 0 };
  const d = [config.hidden_size, config.n_embd].find((v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0);
  const vocab = config.vocab_size;
  if (d === undefined || typeof vocab !== 'number' || !Number.isSafeInteger(vocab) || vocab <= 0) {
    return { problem: 'the config has no vocab_size, so the untied output matrix the Trainer counted in total_flos is unknown' };
  }
  return { value: count.params + vocab * d, head: vocab * d };
}

/** D ≈ total_flos / (6 x the Trainer's parameter count), to the nearest token. */
export function tokensFromFlos(totalFlos: number, flopsParams: number): number {
  return Math.round(totalFlos / (6 * flopsParams));
}

/** What makes total_flos count something other than the model's full forward and backward passes. */
export interface FlosDistortion {
  what: string;
  source?: SourceRef;
}

export interface FlosEvidence {
  /** An adapter_config.json beside the run (PEFT). */
  adapterConfig?: string;
  /** config.json's quantization_config (weights loaded quantized). */
  quantizationConfig?: SourceRef;
}

const ADAPTER_TYPES = new Set(['lora', 'oft', 'dora', 'qlora', 'adalora', 'ia3', 'prefix', 'prompt']);

const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : typeof v === 'string' ? v.trim() !== '' && v.trim().toLowerCase() !== 'false' : v !== null && v !== undefined && v !== false);

/**
 * Signs in the files that total_flos does not measure D: adapters (PEFT counts the frozen base
 * and the adapters alike, and a script may count only what trains), weights loaded quantized
 * (num_parameters counts packed 4-bit storage), FSDP (flattened, sharded parameters) and
 * DeepSpeed (ZeRO-3 partitions them, leaving each process a fraction to count).
 */
export function flosDistortions(lookup: ArgLookup, evidence: FlosEvidence): FlosDistortion[] {
  const out: FlosDistortion[] = [];
  if (evidence.adapterConfig) out.push({ what: `an adapter run (${evidence.adapterConfig.split(/[\\/]/).pop()} is there)`, source: { file: evidence.adapterConfig } });
  const finetuning = lookup('finetuning_type');
  if (!evidence.adapterConfig && finetuning && typeof finetuning.value === 'string' && ADAPTER_TYPES.has(finetuning.value.toLowerCase())) {
    out.push({ what: `an adapter run (finetuning_type: ${finetuning.value})`, source: finetuning.source });
  }
  const usePeft = lookup('use_peft');
  if (!evidence.adapterConfig && usePeft && isTrue(usePeft.value)) out.push({ what: 'an adapter run (use_peft)', source: usePeft.source });
  if (evidence.quantizationConfig) out.push({ what: 'weights loaded quantized (quantization_config)', source: evidence.quantizationConfig });
  else {
    for (const key of ['quantization_bit', 'load_in_4bit', 'load_in_8bit']) {
      const at = lookup(key);
      if (at && (key === 'quantization_bit' ? typeof at.value === 'number' && at.value > 0 : isTrue(at.value))) {
        out.push({ what: `weights loaded quantized (${key}: ${String(at.value)})`, source: at.source });
        break;
      }
    }
  }
  const fsdp = lookup('fsdp');
  if (fsdp && nonEmpty(fsdp.value)) out.push({ what: 'FSDP (sharded parameters)', source: fsdp.source });
  const deepspeed = lookup('deepspeed');
  if (deepspeed && nonEmpty(deepspeed.value)) out.push({ what: 'DeepSpeed (ZeRO-3 partitions the parameters)', source: deepspeed.source });
  return out;
}

/** What kind of problem countParameters reported, from its own words. */
export function countProblemCode(message: string, modelTypeKnown: boolean): DiagnosticCode {
  if (!modelTypeKnown) return 'unsupported';
  if (/must be/.test(message)) return 'bad-value';
  if (/looks damaged|which no model has/.test(message)) return 'implausible';
  return 'missing-field';
}
