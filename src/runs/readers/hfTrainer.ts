// Hugging Face Trainer output folders: trainer_state.json (log_history with the training loss,
// eval_loss and tokens seen; global_step, max_steps, train_batch_size, total_flos) and the files
// the Trainer, its example scripts and the tools built on it leave beside it:
//   config.json               N from the architecture; the dtype the weights were saved in and
//                             quantization_config (weights loaded quantized)
//   training_args.json        TrainingArguments.to_json_string(), when a script saved it
//   training_args.yaml        LLaMA-Factory's arguments (cutoff_len, bf16, finetuning_type, ...)
//   runs/<date>_<host>/events.out.tfevents.*
//                             TensorBoardCallback's event files, whose args and model_config
//                             text summaries hold the TrainingArguments and the model config
//   eval_results.json, all_results.json, train_results.json
//                             the evaluation after training, train_samples, total_flos
// training_args.bin is a pickle and is never opened.
//
// The output folder and each checkpoint-NNN folder under it hold a trainer_state.json. One run
// is reported per output folder: its own state when it has one (written at the end of
// training), else the checkpoint with the highest step; every other state file is "not mine".
// The event files are this run's too: the TensorBoard reader leaves them to it (hfEvents.ts).

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type AliasTable, normaliseKey } from '../aliases';
import { type ArchitectureCount, countParameters } from '../architecture';
import { DEFAULT_MAX_CURVE_POINTS } from '../curves';
import type { Diagnostic } from '../diagnostics';
import { parsePrecision } from '../precision';
import { type PartPrecision, type Run, type SourceRef, type TrainingPrecision, runId, withMissing } from '../run';
import { describeValue, diagnostic, isDiagnostic, positiveFinite } from '../validate';
import {
  type Companion,
  argLookup,
  companionName,
  quantizedWeights,
  companionOf,
  fieldOf,
  loadJsonCompanion,
  loadYamlCompanion,
  pick,
  pickAny,
  plainObject,
  sourceOf,
} from './hfCompanions';
import { ARGS_SUMMARY, HF_SUMMARY_TAGS, MODEL_CONFIG_SUMMARY, hfEventFiles, readTextSummaries, summaryEntries } from './hfEvents';
import { type EvalSeen, MAX_STATE_BYTES, STATE_KEYS, type StateRead, loadText, readState, topCount } from './hfState';
import { type ArgLookup, countProblemCode, defaultPrecisionMessage, flosDistortions, precisionFromArgs, tokensFromFlos, trainerFlopsParams, whereSaid } from './hfTraining';
import type { ReadContext, ReadResult, RunReader } from './types';

export { MAX_STATE_BYTES };
export const HF_TRAINER_FORMAT = 'hf-trainer';
export const TRAINER_STATE = 'trainer_state.json';
const CONFIG = 'config.json';
const ARGS = 'training_args.json';
const ARGS_YAML = 'training_args.yaml';
const ARGS_PICKLE = 'training_args.bin';
const ADAPTER_CONFIG = 'adapter_config.json';
/** Written after training by the Trainer's example scripts; the first holding eval_loss gives the final loss. */
const RESULTS = ['eval_results.json', 'all_results.json', 'train_results.json'] as const;
const CHECKPOINT = /^checkpoint-(\d+)$/;

/** Sequence-length keys of training scripts (run_clm's block_size, TRL's max_seq_length / max_length, LLaMA-Factory's cutoff_len, ...). */
const SEQ_KEYS = ['max_seq_length', 'block_size', 'seq_length', 'sequence_length', 'seq_len', 'max_seq_len', 'cutoff_len', 'model_max_length', 'max_length'];
/** Alias-table sequence names that are model capacity, not the length trained on. */
const NOT_TRAINING_SEQ = new Set(['maxpositionembeddings', 'nctx', 'npositions']);
/** Files named in one message before the rest are counted. */
const LISTED_FILES = 3;

const exists = (file: string): Promise<boolean> =>
  fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );

/** The step of a checkpoint-NNN folder, or undefined for any other folder. */
const checkpointStep = (dir: string): number | undefined => {
  const m = CHECKPOINT.exec(path.basename(dir));
  return m ? Number(m[1]) : undefined;
};

/**
 * A checkpoint's state stands for the run only when the output folder has no state of its own
 * and no later checkpoint has one. Returns what supersedes this file, if anything.
 */
async function supersededBy(file: string, inputs: string[]): Promise<string | undefined> {
  const dir = path.dirname(file);
  const step = checkpointStep(dir);
  if (step === undefined) return undefined;
  const outputDir = path.dirname(dir);
  const own = path.join(outputDir, TRAINER_STATE);
  inputs.push(own);
  if (await exists(own)) return own;
  const siblings = await fs.readdir(outputDir).catch(() => [] as string[]);
  const later = siblings
    .map((name) => ({ name, step: checkpointStep(name) }))
    .filter((s): s is { name: string; step: number } => s.step !== undefined && s.step > step)
    .sort((a, b) => b.step - a.step);
  for (const s of later) {
    const state = path.join(outputDir, s.name, TRAINER_STATE);
    inputs.push(state);
    if (await exists(state)) return state;
  }
  return undefined;
}

const posix = (p: string): string => p.split(path.sep).join('/');

function listed(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_FILES);
  const more = names.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}` : (shown[0] ?? '');
}

// --- the TensorBoard callback's event files ----------------------------------------------------

interface CallbackEvents {
  args?: Companion;
  modelConfig?: Companion;
}

/**
 * The event files TensorBoardCallback wrote for this run: claimed (named in `inputs`, said in a
 * 'grouped' info), and their args and model_config text summaries read from the newest file that
 * has them (a resumed run's last launch had the arguments the run ended with).
 */
async function readCallbackEvents(outputDir: string, stateFile: string, inputs: string[], diagnostics: Diagnostic[]): Promise<CallbackEvents> {
  const { files, dirs } = await hfEventFiles(outputDir);
  inputs.push(...dirs, ...files);
  const out: CallbackEvents = {};
  if (files.length === 0) return out;
  let problem: { file: string; message: string } | undefined;
  for (const file of [...files].reverse()) {
    const { summaries, problem: trouble } = await readTextSummaries(file, HF_SUMMARY_TAGS);
    const args = summaries.get(ARGS_SUMMARY);
    const model = summaries.get(MODEL_CONFIG_SUMMARY);
    if (!out.args && args) {
      const entries = summaryEntries(args, diagnostics);
      if (entries) out.args = companionOf(entries, file, `${ARGS_SUMMARY}.`, `${ARGS_SUMMARY}.`);
    }
    if (!out.modelConfig && model) {
      const entries = summaryEntries(model, diagnostics);
      if (entries) out.modelConfig = companionOf(entries, file, `${MODEL_CONFIG_SUMMARY}.`, `${MODEL_CONFIG_SUMMARY}.`);
    }
    if (trouble !== undefined && !args && !model) problem ??= { file, message: trouble };
    if (out.args && out.modelConfig) break;
  }
  const names = files.map((f) => posix(path.relative(outputDir, f)));
  const read = [out.args && 'args', out.modelConfig && 'model_config'].filter((x): x is string => typeof x === 'string');
  const what = read.length > 0 ? `; ${files.length > 1 ? 'their' : 'its'} ${read.join(' and ')} text summar${read.length > 1 ? 'ies were' : 'y was'} read for the training arguments${out.modelConfig ? ' and the model' : ''}` : '';
  diagnostics.push(
    diagnostic(
      stateFile,
      undefined,
      undefined,
      `the TensorBoard event file${files.length > 1 ? 's' : ''} ${listed(names)} (written by the Trainer's TensorBoardCallback) ${files.length > 1 ? 'are' : 'is'} part of this run, not ${files.length > 1 ? 'runs' : 'a run'} of ${files.length > 1 ? 'their' : 'its'} own${what}`,
      'info',
      'grouped',
    ),
  );
  if (!out.args && problem) {
    diagnostics.push(diagnostic(problem.file, undefined, ARGS_SUMMARY, `${path.basename(problem.file)}: ${problem.message}; its text summaries are not read`, 'warning', 'syntax'));
  }
  return out;
}

// --- precision ---------------------------------------------------------------------------------

interface PrecisionRead {
  precision?: TrainingPrecision;
  source?: SourceRef;
  quantMethod?: string;
  /** Taken from the dtype the weights were saved in, for want of training arguments. */
  fromSavedDtype?: boolean;
}

const uniform = (part: PartPrecision): TrainingPrecision => ({ w: part, a: part, kv: part });

/** The dtype config.json says the weights were saved in: only what the weights were, never how they computed. */
function savedDtype(config: Companion | undefined, diagnostics: Diagnostic[]): { part: PartPrecision; key: string } | undefined {
  if (!config) return undefined;
  const key = config.values.has('torch_dtype') ? 'torch_dtype' : 'dtype';
  const at = config.values.get(key);
  if (!at) return undefined;
  const part = typeof at.value === 'string' ? parsePrecision(at.value) : undefined;
  if (!part) diagnostics.push(diagnostic(config.file, at.line, key, `${key} ${describeValue(at.value)} is not a precision this reader knows; ignored`, 'warning', 'bad-value'));
  return part ? { part, key } : undefined;
}

const where = whereSaid;

/**
 * The training precision. The training arguments decide it: bf16/fp16 set is 16-bit compute
 * (mixed precision), neither set is fp32 (see precisionFromArgs). Weights loaded quantized
 * (quantization_config) give the weights' part, bitsandbytes computing in its compute dtype
 * unless a mixed-precision flag says otherwise. Without any training arguments the dtype the
 * weights were saved in is the only word left, and is taken with a note.
 */
function readPrecision(saved: Companion | undefined, quantFrom: Companion | undefined, lookup: ArgLookup, diagnostics: Diagnostic[]): PrecisionRead {
  const out: PrecisionRead = {};
  const dtype = savedDtype(saved, diagnostics);
  const flags = precisionFromArgs(lookup);
  const amp = flags?.how === 'flag' ? flags : undefined;
  const quant = quantFrom ? quantizedWeights(quantFrom, diagnostics) : undefined;
  if (quant && quantFrom) {
    out.quantMethod = quant.method;
    const computeAt = quantFrom.values.get('quantization_config.bnb_4bit_compute_dtype');
    const bnbCompute = typeof computeAt?.value === 'string' ? parsePrecision(computeAt.value) : undefined;
    const compute = amp?.part ?? bnbCompute ?? flags?.part ?? dtype?.part;
    const field = fieldOf(quantFrom, 'quantization_config');
    if (!quant.part) {
      const message = `quantization_config (quant_method ${JSON.stringify(quant.method)}) does not say the weights' bits in a form this reader knows; the training precision is unknown`;
      diagnostics.push(diagnostic(quantFrom.file, quant.line, field, message, 'warning', 'unsupported'));
      return out;
    }
    const name = quant.part.name ?? `${quant.part.bits}-bit`;
    diagnostics.push(
      diagnostic(
        quantFrom.file,
        quant.line,
        field,
        `quantization_config (${quant.method}): the base weights were held in ${name} while training (QLoRA-style, with higher-precision adapters); weights taken as ${quant.part.bits}-bit ${quant.part.type}` +
          (compute ? `, activations and kv as ${compute.name ?? `${compute.bits}-bit`}` : ''),
        'info',
        'derived',
      ),
    );
    if (!compute) {
      diagnostics.push(diagnostic(quantFrom.file, quant.line, 'precision', 'the compute precision is unknown (no torch_dtype, bnb_4bit_compute_dtype or bf16/fp16 in the training arguments)', 'warning', 'missing-field'));
      return out;
    }
    out.precision = { w: quant.part, a: compute, kv: compute };
    out.source = sourceOf(quantFrom, 'quantization_config', { value: undefined, line: quant.line });
    return out;
  }
  if (flags) {
    out.precision = uniform(flags.part);
    out.source = flags.source;
    if (flags.how === 'default') {
      if (dtype && dtype.part.bits < 32 && saved) {
        const message =
          `bf16 and fp16 are false (${where(flags.source)}), so the Trainer ran without mixed precision: taken as fp32; but ${CONFIG}'s ${dtype.key} says the weights were saved in ${dtype.part.name ?? `${dtype.part.bits} bits`}, ` +
          `which a model loaded in ${dtype.part.name ?? 'that dtype'} (and then trained in it, pure ${dtype.part.name ?? '16-bit'}) would show: if it was, give the precision in a run.json or sweep table`;
        diagnostics.push(diagnostic(saved.file, saved.values.get(dtype.key)?.line, 'precision', message, 'warning', 'conflict'));
      } else diagnostics.push(diagnostic(flags.source.file, flags.source.line, 'precision', defaultPrecisionMessage(where(flags.source), flags), 'info', 'default'));
    }
    return out;
  }
  if (dtype && saved) {
    out.precision = uniform(dtype.part);
    out.source = sourceOf(saved, dtype.key);
    out.fromSavedDtype = true;
  }
  return out;
}

// --- D -----------------------------------------------------------------------------------------

interface TokensRead {
  value?: number;
  source?: SourceRef;
  /** Why D could not be had, when it could not. */
  why?: string;
  how?: string;
}

const isCount = (at: { value: unknown } | undefined): at is { value: number } => !!at && typeof at.value === 'number' && Number.isSafeInteger(at.value) && at.value > 0;

/** D as steps x batch x accumulation x devices x sequence length, only from values the files state. */
function tokensFromSteps(state: StateRead, stateFile: string, args: readonly Companion[], aliases: AliasTable, diagnostics: Diagnostic[]): TokensRead {
  const steps = topCount(state, stateFile, 'global_step', [], true);
  if (args.length === 0) return { why: `no ${ARGS}, ${ARGS_YAML} or TensorBoard args summary with the batch size and sequence length` };
  const seqNames = [...new Set([...aliases.seqLen.filter((n) => !NOT_TRAINING_SEQ.has(normaliseKey(n))), ...SEQ_KEYS])];
  const seq = pickAny(args, seqNames);
  const stateBatch = topCount(state, stateFile, 'train_batch_size', [], true);
  const argsBatch = pickAny(args, ['per_device_train_batch_size']);
  const accumulation = pickAny(args, ['gradient_accumulation_steps']);
  const devices = pickAny(args, ['world_size', 'num_processes']);
  const packing = pickAny(args, ['packing']);
  const argsNames = [...new Set(args.map(companionName))].join(', ');
  if (!steps) return { why: 'trainer_state.json has no global_step' };
  if (!isCount(seq)) return { why: `${argsNames} give${args.length === 1 ? 's' : ''} no training sequence length (${SEQ_KEYS.slice(0, 3).join(', ')}, cutoff_len, ...)` };
  if (packing?.value === false) {
    return { why: `${companionName(packing.companion)} has packing: false, so sequences were not all ${seq.value} tokens long and steps x batch x ${seq.key} would overstate D` };
  }
  const batch = isCount(stateBatch)
    ? { value: stateBatch.value, where: `train_batch_size, ${TRAINER_STATE} line ${stateBatch.line}` }
    : isCount(argsBatch)
      ? { value: argsBatch.value, where: `per_device_train_batch_size, ${companionName(argsBatch.companion)}${argsBatch.line !== undefined ? ` line ${argsBatch.line}` : ''}` }
      : undefined;
  if (!batch) return { why: `no train_batch_size in trainer_state.json and no per_device_train_batch_size in ${argsNames}` };
  const accumulate = isCount(accumulation) ? accumulation.value : 1;
  const world = isCount(devices) ? devices.value : undefined;
  const value = (steps.value as number) * batch.value * accumulate * (world ?? 1) * seq.value;
  if (!Number.isSafeInteger(value)) return { why: 'steps x batch x sequence length is too large to be a token count' };
  const parts = [
    `${steps.value} steps (global_step)`,
    `${batch.value} (${batch.where})`,
    `${accumulate} (gradient_accumulation_steps${isCount(accumulation) ? '' : ' not given, 1 assumed'})`,
    world !== undefined ? `${world} (${devices?.key})` : '1 device (no world_size given: a run on n devices saw n times as many tokens)',
    `${seq.value} (${seq.key})`,
  ];
  diagnostics.push(
    diagnostic(
      seq.companion.file,
      seq.line,
      'tokens',
      `tokens computed as ${parts.join(' x ')} = ${value}, counting every sequence at full length (packed or grouped texts)`,
      world === undefined ? 'warning' : 'info',
      'derived',
    ),
  );
  return { value, source: sourceOf(seq.companion, seq.key, seq), how: 'steps × batch × accumulation × devices × sequence length' };
}

interface ParamsRead {
  value: number;
  source: SourceRef;
  meta: Record<string, unknown>;
  count: ArchitectureCount;
  config: Record<string, unknown>;
}

/** A usable total_flos: the state's (as of its step), else the results files'. */
function totalFlos(state: StateRead, stateFile: string, results: readonly Companion[]): { value: number; source: SourceRef } | { why: string } {
  const top = state.top.get('total_flos');
  const fromResults = results.map((r) => ({ r, at: r.values.get('total_flos') })).find((x) => x.at !== undefined);
  const found = top ? { value: top.value, source: { file: stateFile, line: top.line, field: 'total_flos' } } : fromResults?.at ? { value: fromResults.at.value, source: sourceOf(fromResults.r, 'total_flos') } : undefined;
  if (!found) return { why: 'there is no total_flos' };
  if (typeof found.value !== 'number' || !Number.isFinite(found.value) || found.value <= 0) {
    return { why: `total_flos is ${describeValue(found.value)} (${where(found.source)}): the model had no floating_point_ops to count with` };
  }
  return { value: found.value, source: found.source };
}

/**
 * D ≈ total_flos / (6 N_flops), N_flops being the count the Trainer multiplied by (see
 * trainerFlopsParams). Refused where the files show that total_flos counted something else.
 */
function tokensFromTotalFlos(state: StateRead, stateFile: string, results: readonly Companion[], params: ParamsRead | undefined, lookup: ArgLookup, evidence: Parameters<typeof flosDistortions>[1], diagnostics: Diagnostic[]): TokensRead {
  const flos = totalFlos(state, stateFile, results);
  if ('why' in flos) return { why: flos.why };
  if (!params) return { why: `total_flos (${where(flos.source)}) needs N, which is unknown` };
  const distortions = flosDistortions(lookup, evidence);
  if (distortions.length > 0) {
    return { why: `total_flos (${where(flos.source)}) is not used: this is ${distortions.map((d) => `${d.what}${d.source ? `, ${where(d.source)}` : ''}`).join('; ')}, and that makes the Trainer's count of operations no count of tokens` };
  }
  const counted = trainerFlopsParams(params.config, params.count);
  if ('problem' in counted) return { why: `total_flos (${where(flos.source)}) is not used: ${counted.problem}` };
  const value = tokensFromFlos(flos.value, counted.value);
  if (!Number.isSafeInteger(value) || value <= 0) return { why: `total_flos / (6 x ${counted.value}) is no token count` };
  const head = counted.head > 0 ? ` (N ${params.value} plus the untied output matrix, ${counted.head}, which num_parameters(exclude_embeddings=True) counts)` : ' (N: num_parameters(exclude_embeddings=True) leaves out the embeddings and the tied output matrix)';
  diagnostics.push(
    diagnostic(
      flos.source.file,
      flos.source.line,
      'tokens',
      `D not logged; estimated from the Trainer's total_flos as total_flos / (6 x ${counted.value}) = ${flos.value} / ${6 * counted.value} ≈ ${value} tokens${head}. ` +
        'An estimate: the Trainer counts input_ids with their padding, and FSDP, DeepSpeed ZeRO-3, 4-bit loading or adapters would change what it counts; log num_input_tokens_seen for the exact number',
      'info',
      'derived',
    ),
  );
  return { value, source: flos.source, how: 'total_flos / (6 N)' };
}

/**
 * D: the state's num_input_tokens_seen (0 is the Trainer's "not counted"), else the last count
 * logged, else a token count in the results files, else steps x batch x sequence length, else
 * the Trainer's total_flos over 6N.
 */
function readTokens(
  state: StateRead,
  file: string,
  results: readonly Companion[],
  args: readonly Companion[],
  flos: { params?: ParamsRead; lookup: ArgLookup; evidence: Parameters<typeof flosDistortions>[1] },
  aliases: AliasTable,
  diagnostics: Diagnostic[],
): TokensRead {
  const top = state.top.get('num_input_tokens_seen');
  if (top && typeof top.value === 'number' && Number.isFinite(top.value) && top.value > 0) return { value: top.value, source: { file, line: top.line, field: 'num_input_tokens_seen' } };
  if (top && top.value !== 0) {
    diagnostics.push(diagnostic(file, top.line, 'num_input_tokens_seen', `num_input_tokens_seen must be a non-negative number, got ${describeValue(top.value)}; ignored`, 'warning', 'bad-value'));
  }
  if (state.lastTokens) return { value: state.lastTokens.value as number, source: { file, line: state.lastTokens.line, field: 'num_input_tokens_seen' } };
  for (const r of results) {
    const t = pick(r, aliases.tokens);
    if (t && typeof t.value === 'number' && Number.isFinite(t.value) && t.value > 0) return { value: t.value, source: sourceOf(r, t.key, t) };
  }
  const computed = tokensFromSteps(state, file, args, aliases, diagnostics);
  if (computed.value !== undefined) return computed;
  const estimated = tokensFromTotalFlos(state, file, results, flos.params, flos.lookup, flos.evidence, diagnostics);
  if (estimated.value !== undefined) return estimated;
  const message =
    `D (tokens seen) is unknown: ${computed.why}; ${estimated.why}. Log it with TrainingArguments(include_num_input_tokens_seen=True), or save ${ARGS} with per_device_train_batch_size, ` +
    `gradient_accumulation_steps and the training sequence length (max_seq_length or block_size; max_position_embeddings is the model's limit, not the length trained on)`;
  diagnostics.push(diagnostic(file, top?.line, 'tokens', message, 'warning', 'missing-field'));
  return {};
}

// --- N and the final loss ----------------------------------------------------------------------

/**
 * N from config.json, else from the model_config text summary (for an adapter run: the base
 * model's config). Without either, says what would give it (an adapter folder names its base).
 */
function readParams(config: Companion | undefined, adapter: Companion | undefined, file: string, diagnostics: Diagnostic[]): ParamsRead | undefined {
  if (config) {
    const object = plainObject(config);
    const counted = countParameters(object);
    const modelType = config.values.get('model_type');
    if (counted.ok) {
      const { params, family, formula, embeddingParams } = counted.count;
      const meta: Record<string, unknown> = { family, paramsFormula: formula };
      if (embeddingParams !== undefined) meta.embeddingParams = embeddingParams;
      const source = sourceOf(config, 'model_type', { value: undefined, line: modelType?.line ?? (config.prefix ? undefined : 1) });
      return { value: params, source, meta, count: counted.count, config: object };
    }
    const at = counted.field ? (config.values.get(counted.field) ?? config.containers.get(counted.field)) : undefined;
    const known = typeof modelType?.value === 'string' && !/is not one whose parameter count is known/.test(counted.message);
    diagnostics.push(diagnostic(config.file, at?.line ?? modelType?.line ?? (config.prefix ? undefined : 1), 'params', `N (params) is unknown: ${counted.message}`, 'warning', countProblemCode(counted.message, known)));
    return undefined;
  }
  const base = adapter?.values.get('base_model_name_or_path')?.value;
  const why = adapter
    ? `this is an adapter (PEFT/LoRA) run${typeof base === 'string' ? ` of ${base}` : ''}: copy the base model's ${CONFIG} here`
    : `put the model's ${CONFIG} (saved with the model) beside it`;
  diagnostics.push(diagnostic(file, undefined, 'params', `no ${CONFIG} beside ${TRAINER_STATE}, so N (params) is unknown; ${why}, or give N in a run.json or sweep table`, 'warning', 'missing-field'));
  return undefined;
}

interface Found<T> {
  value: T;
  source: SourceRef;
}

/**
 * The final validation loss: the evaluation after training (eval_results.json, all_results.json)
 * when there is one, else the last eval_loss logged. Only a usable last evaluation counts: an
 * earlier one standing in for a NaN would hide that the run diverged.
 */
function readFinalLoss(state: StateRead, results: readonly Companion[], file: string, diagnostics: Diagnostic[]): Found<number> | undefined {
  const after = results.map((r) => ({ r, at: r.values.get('eval_loss') })).find((x) => x.at !== undefined);
  if (after?.at) {
    const { r, at } = after;
    const loss = positiveFinite(at.value, r.file, at.line, 'eval_loss', 'warning');
    if (isDiagnostic(loss)) {
      diagnostics.push({ ...loss, message: `${loss.message}: the evaluation after training failed (a diverged run?), so the run has no final loss` });
      return undefined;
    }
    const last = state.lastEval;
    if (last?.loss !== undefined && last.loss !== loss) {
      const message = `final loss ${loss} from ${path.basename(r.file)} (the evaluation after training); the last eval_loss in ${TRAINER_STATE} (step ${last.step}, line ${last.line}) is ${last.loss}`;
      diagnostics.push(diagnostic(r.file, at.line, 'eval_loss', message, 'info', 'conflict'));
    }
    return { value: loss, source: sourceOf(r, 'eval_loss', at) };
  }
  const found = (seen: EvalSeen, field: string): Found<number> | undefined => (seen.loss !== undefined ? { value: seen.loss, source: { file, line: seen.line, field } } : undefined);
  if (state.lastEval) {
    const last = state.lastEval;
    if (last.loss === undefined) {
      diagnostics.push(diagnostic(file, last.line, 'eval_loss', `the last eval_loss (step ${last.step}) is ${describeValue(last.bad)}; no earlier evaluation stands in for it, so the run has no final loss`, 'warning', 'bad-value'));
    }
    return found(last, 'eval_loss');
  }
  if (state.namedEvals.size === 1) {
    const [[setName, last]] = [...state.namedEvals];
    const field = `eval_${setName}_loss`;
    const message = last.loss !== undefined ? `final loss from the one evaluation set, ${field} (step ${last.step})` : `the last ${field} (step ${last.step}) is ${describeValue(last.bad)}, so the run has no final loss`;
    diagnostics.push(diagnostic(file, last.line, 'eval_loss', message, last.loss !== undefined ? 'info' : 'warning', last.loss !== undefined ? 'derived' : 'bad-value'));
    return found(last, field);
  }
  if (state.namedEvals.size > 1) {
    const names = [...state.namedEvals.keys()].map((n) => `eval_${n}_loss`).join(', ');
    diagnostics.push(diagnostic(file, state.logHistory?.line, 'eval_loss', `log_history has several evaluation sets (${names}) and no eval_loss: which one is the validation loss is not known, so the run has no final loss`, 'warning', 'missing-field'));
  } else if (state.logHistory?.kind === 'array') {
    const message = 'log_history has no eval_loss: a training loss is not a validation loss, so the run has no final loss (evaluate during training, eval_strategy="steps", to get one)';
    diagnostics.push(diagnostic(file, state.logHistory.line, 'eval_loss', message, 'warning', 'missing-field'));
  }
  return undefined;
}

// --- the run -----------------------------------------------------------------------------------

export interface HfTrainerOptions {
  /** Upper bound on the loss-curve length. */
  maxCurvePoints?: number;
}

/** A state cut short or broken where it should be a state; undefined when it is one. */
function stateProblems(state: StateRead, text: string, file: string): ReadResult | 'state' {
  const { scan } = state;
  const looksLikeState = scan.root === 'object' && (state.logHistory !== undefined || STATE_KEYS.some((key) => state.top.has(key)));
  if (looksLikeState) return 'state';
  // Valid JSON of another shape is someone else's file; broken JSON under this name is a damaged state.
  if (scan.errors.length === 0 && text.trim() !== '') return { runs: [], diagnostics: [], notMine: true };
  const first = scan.errors[0];
  const message = text.trim() === '' ? `${TRAINER_STATE} is empty` : `${TRAINER_STATE} is not valid JSON (syntax error: ${first?.message ?? 'no object'}); nothing could be read`;
  return { runs: [], diagnostics: [diagnostic(file, first?.line ?? 1, undefined, message, 'error', 'syntax')] };
}

/**
 * Reads one Hugging Face Trainer run from its trainer_state.json. A state superseded by the output
 * folder's own or by a later checkpoint's is "not mine"; otherwise one run, with `missing` naming
 * what the files did not give and a diagnostic for each, or none when the file is unreadable.
 */
export async function readHfTrainer(stateFile: string, context: ReadContext, options: HfTrainerOptions = {}): Promise<ReadResult> {
  const file = path.resolve(stateFile);
  const dir = path.dirname(file);
  const inCheckpoint = checkpointStep(dir) !== undefined;
  const outputDir = inCheckpoint ? path.dirname(dir) : dir;
  const companionDirs = inCheckpoint ? [dir, outputDir] : [dir];
  // A checkpoint's standing changes when checkpoints come and go: the output folder is an input.
  const inputs: string[] = inCheckpoint ? [outputDir] : [];
  if (await supersededBy(file, inputs)) return { runs: [], diagnostics: [], notMine: true, inputs };

  const diagnostics: Diagnostic[] = [];
  const loaded = await loadText(file, MAX_STATE_BYTES, 'error');
  if (!loaded) return { runs: [], diagnostics: [diagnostic(file, undefined, undefined, `${TRAINER_STATE} not found`, 'error', 'not-found')], inputs };
  if ('problem' in loaded) return { runs: [], diagnostics: [loaded.problem], inputs };
  const maxPoints = Math.max(2, options.maxCurvePoints ?? DEFAULT_MAX_CURVE_POINTS);
  const valueProblems: Diagnostic[] = [];
  const state = readState(loaded.text, file, maxPoints, valueProblems);
  const shape = stateProblems(state, loaded.text, file);
  if (shape !== 'state') return { ...shape, inputs };
  const { scan } = state;
  const [firstError] = scan.errors;
  if (firstError) {
    // A file cut short makes several errors at its end; the first says it.
    const more = scan.errors.length > 1 ? ` (${scan.errors.length - 1} more after it)` : '';
    diagnostics.push(diagnostic(file, firstError.line, undefined, `syntax error: ${firstError.message}${more}; the values before it are read and the run is treated as unfinished`, 'error', 'syntax'));
  }
  if (state.cutEntryLine !== undefined) {
    diagnostics.push(diagnostic(file, state.cutEntryLine, 'log_history', 'the last log_history entry is cut off (the file ends inside it); left out', 'warning', 'truncated'));
  }
  diagnostics.push(...valueProblems);
  if (!state.logHistory) diagnostics.push(diagnostic(file, 1, 'log_history', `${TRAINER_STATE} has no log_history: no losses to read`, 'error', 'missing-field'));
  else if (state.logHistory.kind !== 'array') diagnostics.push(diagnostic(file, state.logHistory.line, 'log_history', 'log_history must be an array of log entries; no losses read', 'error', 'bad-value'));

  const globalStep = topCount(state, file, 'global_step', diagnostics);
  const maxSteps = topCount(state, file, 'max_steps', diagnostics);
  const batchSize = topCount(state, file, 'train_batch_size', diagnostics, true);
  const steps = (globalStep?.value as number | undefined) ?? state.lastStep;
  const unfinished = steps !== undefined && maxSteps !== undefined && (maxSteps.value as number) > 0 && steps < (maxSteps.value as number);
  if (unfinished) {
    const at = inCheckpoint ? ` (the latest checkpoint, ${path.basename(dir)})` : '';
    diagnostics.push(diagnostic(file, globalStep?.line ?? maxSteps?.line, 'global_step', `stopped at step ${steps} of ${maxSteps?.value}${at}: the run did not finish, so its losses are not end-of-training losses`, 'info', 'unfinished'));
  }

  const run: Omit<Run, 'missing'> = { id: runId(file, context.root), name: path.basename(outputDir), format: HF_TRAINER_FORMAT, file, ptq: [], sources: {}, curve: state.curve };
  if (unfinished || scan.errors.length > 0) run.unfinished = true;
  const meta: Record<string, unknown> = { logEntries: state.entries };
  if (steps !== undefined) meta.globalStep = steps;
  if (maxSteps) meta.maxSteps = maxSteps.value;
  if (batchSize) meta.trainBatchSize = batchSize.value;
  if (inCheckpoint) meta.checkpoint = path.basename(dir);
  run.meta = meta;

  // Companions: beside the state, then (for a checkpoint) in the output folder above it.
  const first = async (name: string, load: (f: string, d: Diagnostic[]) => Promise<Companion | undefined>): Promise<Companion | undefined> => {
    for (const d of companionDirs) {
      const candidate = path.join(d, name);
      inputs.push(candidate);
      const companion = await load(candidate, diagnostics);
      if (companion) return companion;
    }
    return undefined;
  };
  const config = await first(CONFIG, loadJsonCompanion);
  const adapter = await first(ADAPTER_CONFIG, loadJsonCompanion);
  const argsJson = await first(ARGS, loadJsonCompanion);
  const argsYaml = await first(ARGS_YAML, loadYamlCompanion);
  const events = await readCallbackEvents(outputDir, file, inputs, diagnostics);
  const args = [argsJson, argsYaml, events.args].filter((c): c is Companion => c !== undefined);
  const lookup = argLookup(args);
  // Results are written into the output folder after training: they belong to this state only
  // when it is the output folder's own, or a checkpoint taken at the last step.
  const results: Companion[] = [];
  if (!inCheckpoint || !unfinished) {
    for (const name of RESULTS) {
      const candidate = path.join(outputDir, name);
      inputs.push(candidate);
      const companion = await loadJsonCompanion(candidate, diagnostics);
      if (companion) results.push(companion);
    }
  }

  // The model: config.json, else the model config the callback logged.
  const model = config ?? events.modelConfig;
  const params = readParams(model, adapter, file, diagnostics);
  // The vocabulary says which units the loss is in: runs with different tokenizers do not compare.
  const vocabSize = model?.values.get('vocab_size')?.value;
  if (typeof vocabSize === 'number' && Number.isInteger(vocabSize) && vocabSize > 0) meta.vocabSize = vocabSize;
  if (params) {
    run.params = params.value;
    run.sources.params = params.source;
    Object.assign(meta, params.meta);
  }

  // The model_config summary's torch_dtype is the loaded config's, not even the saved weights': only config.json's counts.
  const precision = readPrecision(config, model, lookup, diagnostics);
  if (precision.quantMethod) meta.quantization = precision.quantMethod;
  if (precision.precision && precision.source) {
    run.precision = precision.precision;
    run.sources.precision = precision.source;
    if (precision.fromSavedDtype && precision.precision.w.bits === 32) {
      const pickle = (await Promise.all(companionDirs.map((d) => exists(path.join(d, ARGS_PICKLE))))).some(Boolean);
      const how = `save TrainingArguments.to_json_string() as ${ARGS}, or log to TensorBoard (report_to="tensorboard"), which keeps them in runs/`;
      diagnostics.push(
        diagnostic(
          precision.source.file,
          precision.source.line,
          'precision',
          `precision read as fp32 from ${precision.source.field}, the dtype the weights were saved in; a run with --bf16/--fp16 computed in 16 bits, which only the training arguments say (${pickle ? `${ARGS_PICKLE} is a pickle and is not read: ${how}` : how})`,
          'info',
          pickle ? 'unsupported' : 'missing-field',
        ),
      );
    }
  } else if (!precision.quantMethod) {
    const what = config ? `${CONFIG} has no usable torch_dtype` : `there is no ${CONFIG} (torch_dtype)`;
    const message = `the training precision is unknown: ${what} and no ${ARGS}, ${ARGS_YAML} or TensorBoard args summary says bf16/fp16; give it in a run.json or sweep table`;
    diagnostics.push(diagnostic(config?.file ?? file, config ? 1 : undefined, 'precision', message, 'warning', 'missing-field'));
  }

  const finalLoss = readFinalLoss(state, results, file, diagnostics);
  if (finalLoss) {
    run.finalLoss = finalLoss.value;
    run.sources.finalLoss = finalLoss.source;
  }
  const quantizationConfig = model?.containers.has('quantization_config') ? sourceOf(model, 'quantization_config', { value: undefined, line: model.containers.get('quantization_config')?.line }) : undefined;
  const evidence = { adapterConfig: adapter?.file, quantizationConfig };
  const tokens = readTokens(state, file, results, args, { params, lookup, evidence }, context.aliases, diagnostics);
  if (tokens.value !== undefined && tokens.source) {
    run.tokens = tokens.value;
    run.sources.tokens = tokens.source;
    if (tokens.how) meta.tokensFrom = tokens.how;
  }
  return { runs: [withMissing(run)], diagnostics, inputs: [...new Set(inputs)] };
}

export const hfTrainerReader: RunReader = {
  id: HF_TRAINER_FORMAT,
  label: 'Hugging Face Trainer',
  matches: (name) => name === TRAINER_STATE,
  read: (file, context) => readHfTrainer(file, context),
};
