// The final validation loss of a run record: every evaluation loss the record holds (scalar keys
// such as val_loss or eval/<set>/loss, and the entries of a results list, one per evaluation set
// or per evaluation step), then the one on the training distribution where the record says which
// that is. Training losses and bits-per-byte metrics are never taken for it.

import type { Node } from 'jsonc-parser';
import { type AliasTable, normaliseKey } from '../aliases';
import type { Diagnostic } from '../diagnostics';
import type { ConfigEntry } from '../entries';
import { MAX_DEPTH } from '../entries';
import { describeNumber, numberOf } from '../facts';
import type { SourceRef } from '../run';
import { lineAt } from '../text';
import { diagnostic } from '../validate';
import { propertiesOf } from './jsonRecordShape';

export interface LossCandidate {
  value: unknown;
  source: SourceRef;
  /** What names the evaluation set: the entry's own dataset fields and the keys leading to the loss. */
  set: string;
  /** Step, iteration or epoch of the evaluation, when its entry says. */
  step?: number;
  /** Position in the file, for "the last" and "the first". */
  order: number;
}

export interface RecordMetrics {
  losses: LossCandidate[];
  /** Bits-per-byte (and per-character) metrics: not losses in nats per token. */
  bitsPerByte: SourceRef[];
  /** Training losses: never the final validation loss. */
  train: SourceRef[];
}

/** Leaf names that are bits per byte or per character. */
const BPB_LEAVES = new Set(['bpb', 'bitsperbyte', 'bpc', 'bitsperchar', 'bitspercharacter']);
/** Leaf names that are a loss only where an enclosing key says it is an evaluation ("results", "eval/…"). */
const GENERIC_LOSS_LEAVES = new Set(['loss', 'finalloss', 'avgloss', 'meanloss']);
/** Megatron's "lm loss" is what it trains on; evaluation prints it under "validation loss". */
const TRAIN_LOSS_LEAVES = new Set(['trainloss', 'trainingloss', 'lmloss']);
/** Keys of a results entry that name its evaluation set. */
const SET_FIELDS = ['eval_set', 'eval_dataset', 'eval_data', 'val_data', 'valid_data', 'validation_data', 'test_data', 'dataset', 'dataset_name', 'data', 'split', 'task', 'subset', 'benchmark', 'name'].map(normaliseKey);
/** Keys of a results entry that say when it was evaluated. */
const STEP_FIELDS = ['step', 'global_step', 'steps', 'iteration', 'iter', 'train_step', 'epoch'].map(normaliseKey);

const segmentsOf = (key: string): string[] => key.split('/').filter((s) => s !== '');
/** Words of a key that say what is under it is an evaluation: "eval", "c4_val", "validation_set", "results". */
const EVAL_WORDS = new Set(['eval', 'evals', 'evaluation', 'evaluations', 'val', 'valid', 'validation', 'test', 'heldout', 'results']);
export const isEvalSegment = (segment: string): boolean => segment.toLowerCase().split(/[^a-z0-9]+/).some((w) => EVAL_WORDS.has(w));
/** The keys above a value: "run_info.eval/paloma/c4_en/bpb" → run_info, eval, paloma, c4_en. */
export const sectionsOf = (key: string): string[] => key.split(/[./]/).slice(0, -1);
const isTrainSegment = (segment: string): boolean => normaliseKey(segment).includes('train');

/** Field path as the user would look for it: results[1].loss, eval/paloma/c4_en/loss. */
function fieldOf(path: ReadonlyArray<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * Every loss-like metric of a run object. `explicit` are the loss aliases that name an
 * evaluation by themselves (val_loss, eval_loss, the user's own); a bare "loss" counts only
 * under an evaluation key or in a results list.
 */
export function recordMetrics(run: Node, starts: readonly number[], file: string, aliases: AliasTable): RecordMetrics {
  const explicit = new Set(aliases.loss.map(normaliseKey).filter((k) => !GENERIC_LOSS_LEAVES.has(k) && !k.includes('train')));
  const out: RecordMetrics = { losses: [], bitsPerByte: [], train: [] };
  let order = 0;
  let visits = 0;
  const walk = (node: Node, path: Array<string | number>, words: string[], set: string[], depth: number): void => {
    if (depth > MAX_DEPTH || ++visits > 100_000) return;
    if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => {
        if (child.type !== 'object') return;
        // A results list: each entry names its own set and, for a series, its step.
        const own = ownSet(child);
        walk(child, [...path, i], words, own ? [...set, own] : set, depth + 1);
      });
      return;
    }
    for (const { key, keyNode, value } of propertiesOf(node)) {
      const keyWords = [...words, ...segmentsOf(key)];
      if (value.type === 'object' || value.type === 'array') {
        walk(value, [...path, key], keyWords, set, depth + 1);
        continue;
      }
      const leaf = normaliseKey(keyWords[keyWords.length - 1] ?? key);
      const number = numberOf(value.value);
      if (number === undefined && value.value !== null) continue;
      const source: SourceRef = { file, line: lineAt(starts, keyNode.offset), field: fieldOf([...path, key]) };
      const inTrain = keyWords.some(isTrainSegment);
      if (BPB_LEAVES.has(leaf)) out.bitsPerByte.push(source);
      else if (TRAIN_LOSS_LEAVES.has(leaf) || (inTrain && (explicit.has(leaf) || GENERIC_LOSS_LEAVES.has(leaf)))) out.train.push(source);
      else if (explicit.has(leaf) || (GENERIC_LOSS_LEAVES.has(leaf) && (keyWords.slice(0, -1).some(isEvalSegment) || path.some((p) => typeof p === 'number')))) {
        const candidate: LossCandidate = { value: value.value, source, set: [...set, ...keyWords.slice(0, -1)].join(' / '), order: order++ };
        const step = stepOf(node);
        if (step !== undefined) candidate.step = step;
        out.losses.push(candidate);
      }
    }
  };
  walk(run, [], [], [], 0);
  return out;
}

/** The set an entry of a results list names (val_data, dataset, split, …), as text. */
function ownSet(entry: Node): string | undefined {
  const props = propertiesOf(entry);
  for (const field of SET_FIELDS) {
    const value = props.find((p) => normaliseKey(p.key) === field)?.value;
    if (!value) continue;
    if (value.type === 'string' && String(value.value).trim() !== '') return String(value.value).trim();
    if (value.type === 'array') {
      const texts = (value.children ?? []).filter((c) => c.type === 'string').map((c) => String(c.value).trim());
      if (texts.length > 0) return texts.join(', ');
    }
  }
  return undefined;
}

function stepOf(entry: Node): number | undefined {
  const props = propertiesOf(entry);
  for (const field of STEP_FIELDS) {
    const value = props.find((p) => normaliseKey(p.key) === field)?.value;
    if (value?.type === 'number' && Number.isFinite(value.value)) return value.value as number;
  }
  return undefined;
}

// --- which evaluation ------------------------------------------------------------------------------

/** Keys whose value names the data a run trained on. */
const DATASET_KEYS = new Set(
  ['dataset', 'datasets', 'dataset_name', 'dataset_path', 'dataset_manifest', 'train_data', 'train_dataset', 'training_data', 'train_file', 'train_files', 'data_path', 'train_data_path', 'tokenized_dataset', 'data', 'data_dir', 'corpus', 'data_mix', 'data_mixture'].map(normaliseKey),
);
/** Words that say nothing about which data a set is: splits, file parts, storage schemes. */
const STOP_WORDS = new Set([
  'train', 'training', 'val', 'valid', 'validation', 'eval', 'evaluation', 'evals', 'test', 'data', 'dataset', 'datasets', 'shard', 'shards', 'split',
  'tar', 'gz', 'json', 'jsonl', 'txt', 'parquet', 'arrow', 'bin', 'idx', 'npy', 'manifest', 's3', 'gs', 'http', 'https', 'www', 'com', 'loss', 'results', 'set',
]);

/** The words of a name that can tell one data set from another: "training/eval_data/c4_val/shard-0.tar" → c4. */
export function setWords(text: string): string[] {
  return [...new Set(text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 2 && !/^\d+$/.test(w) && !STOP_WORDS.has(w)))];
}

/** What the run trained on, as its config says (dataset_name, a --dataset-manifest argument, …); evaluation keys left out. */
export function trainingData(entries: readonly ConfigEntry[]): ConfigEntry[] {
  return entries.filter((e) => {
    const leaf = normaliseKey(e.key.split(/[./]/).pop() ?? '');
    if (!DATASET_KEYS.has(leaf) || sectionsOf(e.key).some(isEvalSegment)) return false;
    return typeof e.value === 'string' || (Array.isArray(e.value) && e.value.some((v) => typeof v === 'string'));
  });
}

export interface LossChoice {
  chosen?: LossCandidate;
  /** The set chosen, in words, for the run's meta. */
  set?: string;
  diagnostics: Diagnostic[];
}

/** The last evaluation of a set: the highest step when the entries say, else the last in the file. */
function lastOf(group: readonly LossCandidate[]): LossCandidate {
  const stepped = group.filter((c) => c.step !== undefined);
  if (stepped.length > 0) return stepped.reduce((a, b) => ((b.step as number) >= (a.step as number) ? b : a));
  return group[group.length - 1];
}

/** The part of a set's name that sets it apart ("c4_val" of "training/eval_data/c4_val/shard-….tar"). */
function setLabel(set: string, words: readonly string[]): string {
  if (set === '') return 'no set named';
  const parts = set.split(/[\s/,]+/).filter((p) => setWords(p).some((w) => words.includes(w)));
  return parts.length > 0 ? [...new Set(parts)].join('/') : set;
}

/**
 * The final validation loss among the candidates: per evaluation set its last evaluation; of
 * several sets the one whose name matches the training data (the in-distribution held-out loss
 * the law is fitted on), else the one with no set named (a plain val_loss), else the first.
 * Every choice among several is said in an info diagnostic.
 */
export function chooseLoss(candidates: readonly LossCandidate[], training: readonly ConfigEntry[], file: string): LossChoice {
  if (candidates.length === 0) return { diagnostics: [] };
  const groups = new Map<string, LossCandidate[]>();
  for (const c of candidates) groups.set(c.set, [...(groups.get(c.set) ?? []), c]);
  const finals = [...groups.values()].map(lastOf);
  if (finals.length === 1) return { chosen: finals[0], set: finals[0].set || undefined, diagnostics: [] };

  const wordsOf = new Map(finals.map((c) => [c, setWords(c.set)]));
  // Words every set shares (a common folder) tell none apart.
  const shared = [...(wordsOf.get(finals[0]) ?? [])].filter((w) => finals.every((c) => wordsOf.get(c)?.includes(w)));
  for (const [c, words] of wordsOf) wordsOf.set(c, words.filter((w) => !shared.includes(w)));
  const trainingWords = new Set(training.flatMap((e) => setWords(Array.isArray(e.value) ? e.value.filter((v) => typeof v === 'string').join(' ') : String(e.value))));
  const score = (c: LossCandidate): number => {
    const words = wordsOf.get(c) ?? [];
    return words.length === 0 ? 0 : words.filter((w) => trainingWords.has(w)).length / words.length;
  };
  const label = (c: LossCandidate): string => setLabel(c.set, wordsOf.get(c) ?? []);
  const at = (c: LossCandidate): string => `${c.source.field}, line ${c.source.line}`;
  const sets = finals.map(label);
  const listed = `${finals.length} evaluation losses (${sets.slice(0, 8).join(', ')}${sets.length > 8 ? ', …' : ''})`;
  const say = (chosen: LossCandidate, why: string): LossChoice => ({
    chosen,
    set: label(chosen),
    diagnostics: [diagnostic(file, chosen.source.line, chosen.source.field, `${listed}; the final loss is ${describeNumber(chosen.value)} on ${label(chosen)} (${at(chosen)}): ${why}`, 'info', 'conflict')],
  });

  const data = training.map((e) => `${e.key} ${Array.isArray(e.value) ? e.value.join(', ') : String(e.value)}`).join('; ');
  const best = Math.max(...finals.map(score));
  if (best > 0) {
    const top = finals.filter((c) => score(c) === best);
    const tie = top.length > 1 ? `; ${top.slice(1).map(label).join(', ')} match${top.length === 2 ? 'es' : ''} as well, the first is taken` : '';
    return say(top[0], `its name matches the training data (${data})${tie}`);
  }
  const unnamed = finals.filter((c) => (wordsOf.get(c) ?? []).length === 0);
  if (unnamed.length === 1) return say(unnamed[0], 'the one evaluation that names no particular set, taken as the held-out split of the training data');
  const why = training.length > 0 ? `none of the sets is recognisably the training data (${data})` : 'the record does not say what the run trained on';
  return say(finals[0], `${why}, so the first listed is taken`);
}
