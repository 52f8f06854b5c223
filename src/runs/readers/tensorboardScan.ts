// The records of one training's event files: scalar series (thinned as they stream, restarts
// merged by step), the hparams plugin's values, the text summaries Hugging Face's callback
// writes, and the damage met on the way, for the TensorBoard reader.

import * as path from 'node:path';
import { type AliasTable, normaliseKey } from '../aliases';
import { StrideDecimator, TRAIN_LOSS_NAMES, keysByName, lossNameFilter, trainLossKey } from '../curves';
import type { Diagnostic, DiagnosticCode, Severity } from '../diagnostics';
import type { ConfigEntry } from '../entries';
import {
  HPARAMS_PLUGIN,
  HPARAMS_STATUS,
  SCALARS_PLUGIN,
  type SummaryValue,
  TEXT_PLUGIN,
  type TbEvent,
  decodeEvent,
  decodeHParamsPluginData,
  protoValue,
  tensorScalar,
  tensorText,
} from '../tensorboardProto';
import { HEADER_BYTES, type TfRecordItem, readTfRecordBatches } from '../tfrecord';
import { describeValue, diagnostic } from '../validate';
import { HF_SUMMARY_TAGS, type TextSummary } from './hfEvents';

/** Folders that hold one split of a run whose other splits sit beside them. */
export const SPLIT_FOLDERS = new Set(['train', 'training', 'validation', 'val', 'valid', 'eval', 'evaluation']);

/** Record-level problems listed one by one; a badly damaged file gets a count for the rest. */
const MAX_RECORD_DIAGNOSTICS = 20;
/** Bounds on what a file with very many tags or steps makes the reader hold. */
const MAX_TAGS = 50_000;
const MAX_TOKEN_STEPS = 200_000;
const MAX_HPARAMS = 10_000;
/**
 * torch's hparams() stores Python bools as numbers (bool is an int there), so Hugging Face's
 * bf16/fp16 flags arrive as 1 and 0; they are turned back into the flags the config lookup knows.
 */
const FLAG_HPARAMS = new Set(['bf16', 'fp16']);
/** What the Trainer logs at the end of training as train/total_flos (rewrite_logs puts "train/" before it). */
export const TOTAL_FLOS_TAG = 'train/total_flos';

export interface Member {
  file: string;
  /** The split folder the file is in ("validation"), or "" for files of the run folder itself. */
  split: string;
  /** The file is in the run folder itself (not a split or hparams subfolder). */
  top: boolean;
}


interface Located {
  step: number;
  value: number;
  tag: string;
  file: string;
  index: number;
  offset: number;
}

interface Sample {
  step: number;
  value: number;
}

/**
 * One scalar series, thinned as it streams. A step that does not move forward is a restart
 * (a job resumed from an earlier checkpoint, or the same step logged again): the points from
 * that step on are replaced by the new ones, as TensorBoard purges orphaned data.
 */
class Series {
  private kept: StrideDecimator<Sample>;
  private lastStep = -Infinity;
  /** The last value written, usable or not: a NaN here is a run that diverged. */
  last: Located | undefined;
  restarts = 0;

  constructor(private readonly maxPoints: number) {
    this.kept = new StrideDecimator<Sample>(maxPoints);
  }

  add(at: Located, usable: boolean): void {
    if (at.step <= this.lastStep) {
      this.restarts++;
      const keep = this.kept.result().filter((p) => p.step < at.step);
      this.kept = new StrideDecimator<Sample>(this.maxPoints);
      for (const p of keep) this.kept.push(p);
    }
    this.lastStep = at.step;
    this.last = at;
    if (usable) this.kept.push({ step: at.step, value: at.value });
  }

  points(): Sample[] {
    return this.kept.result();
  }
}

type Role = 'loss' | 'tokens' | 'fact' | 'ignore';

interface TagInfo {
  /** Name matched against the aliases (see canonicalTag). */
  key: string;
  role: Role;
  /** Name shown to the user. */
  shown: string;
}

const SPLIT_WORDS = new Set([...SPLIT_FOLDERS, 'test']);

/**
 * The name a tag is matched by: a split folder goes in front ("validation/epoch_loss" →
 * "validation/loss", Keras' epoch_ prefix dropped) and a split written last is moved first
 * ("Loss/val" → "val/Loss"), so the loss aliases (val/loss, validation_loss, ...) find them.
 */
export function canonicalTag(tag: string, split = ''): string {
  let segments = tag.split('/');
  if (split) {
    segments[segments.length - 1] = segments[segments.length - 1].replace(/^epoch_/, '');
    segments = [split, ...segments];
  }
  if (segments.length === 2 && SPLIT_WORDS.has(segments[1].toLowerCase()) && /loss/i.test(segments[0])) segments = [segments[1], segments[0]];
  return segments.join('/');
}

const FACT_FIELDS = ['params', 'postBits', 'postLoss', 'precision', 'weightBits', 'actBits', 'kvBits'] as const;

/** Namespaces that name a held-out split, best first; "test" last, as the loss aliases have it. */
const HELD_OUT = ['val', 'valid', 'validation', 'eval', 'evaluation', 'dev', 'test'];
const TRAIN_SPLITS = new Set(['train', 'training']);

/**
 * A loss tag under a split namespace that no alias names: "valid/average loss" (TF 0.x scripts
 * summarising per-epoch averages), "validation/loss", "eval/lm_loss", "train/average loss". The
 * split is the first segment, the loss the last: undefined when it is not such a tag.
 */
export function namespacedLoss(key: string): { split: 'held-out' | 'train'; rank: number } | undefined {
  const segments = key.split('/');
  if (segments.length < 2) return undefined;
  const split = segments[0].toLowerCase();
  const leaf = normaliseKey(segments[segments.length - 1]);
  if (!leaf.includes('loss')) return undefined;
  const heldOut = HELD_OUT.indexOf(split);
  if (heldOut < 0 && !TRAIN_SPLITS.has(split)) return undefined;
  // The plain loss before an average of it, both before a named part of it (eval/kl_loss).
  const kind = leaf === 'loss' ? 0 : /^(average|avg|mean|total)loss$|^loss(average|avg|mean)$/.test(leaf) ? 1 : 2;
  return { split: heldOut >= 0 ? 'held-out' : 'train', rank: kind * HELD_OUT.length + Math.max(0, heldOut) };
}

function roleFinder(aliases: AliasTable): (key: string) => Role {
  const isLoss = lossNameFilter(aliases);
  const names = (fields: readonly (keyof AliasTable)[]) => new Set(fields.flatMap((f) => aliases[f].filter((a) => a.length > 1).map(normaliseKey)));
  const tokens = names(['tokens']);
  const facts = names(FACT_FIELDS);
  const leaf = (key: string): string => normaliseKey(key.split('/').pop() ?? key);
  return (key) => {
    if (isLoss(key) || namespacedLoss(key)) return 'loss';
    const full = normaliseKey(key);
    if (tokens.has(full) || tokens.has(leaf(key))) return 'tokens';
    if (facts.has(full) || facts.has(leaf(key))) return 'fact';
    return 'ignore';
  };
}

const TRAIN_LOSS_KEYS = new Set(TRAIN_LOSS_NAMES.map(normaliseKey));

/** "loss", "train_loss", "Loss/train": what TensorBoard logs call the training loss. */
const isTrainingLoss = (key: string): boolean => TRAIN_LOSS_KEYS.has(normaliseKey(key)) || /train/i.test(key);

/** The best of the keys under a split namespace of the given kind, by rank then name. */
function bestNamespaced(keys: readonly string[], split: 'held-out' | 'train', except?: string): string | undefined {
  return keys
    .flatMap((key) => {
      const found = key !== except ? namespacedLoss(key) : undefined;
      return found?.split === split ? [{ key, rank: found.rank }] : [];
    })
    .sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))[0]?.key;
}

/**
 * The validation-loss series (the final loss) and the training-loss series among the keys.
 * A bare "loss" is the training loss in TensorBoard logs (the validation one names its split),
 * so it is never taken as the final loss. Names the aliases know come first; then a loss under
 * a held-out namespace ("valid/average loss"), the plain loss before an average of it.
 */
export function pickLossKeys(keys: readonly string[], aliases: AliasTable): { val?: string; train?: string } {
  const byNorm = keysByName(keys);
  let val: string | undefined;
  for (const alias of aliases.loss) {
    const key = byNorm.get(normaliseKey(alias));
    if (key !== undefined && !isTrainingLoss(key)) {
      val = key;
      break;
    }
  }
  val ??= bestNamespaced(keys, 'held-out');
  const train = trainLossKey(byNorm, val) ?? bestNamespaced(keys, 'train', val);
  return { val, train };
}

const where = (index: number, offset: number): string => `record ${index} (byte ${offset})`;
const whereInside = (index: number, offset: number): string => `record ${index} at byte ${offset}`;
const fileName = (file: string): string => path.basename(file);

/** Everything read from the event files of one run. */
export class RunScan {
  readonly series = new Map<string, Series>();
  private readonly tagInfo = new Map<string, TagInfo>();
  private readonly plugins = new Map<string, string>();
  readonly tokensByStep = new Map<number, number>();
  readonly facts = new Map<string, ConfigEntry>();
  readonly hparams = new Map<string, ConfigEntry>();
  /** Hugging Face's args and model_config text summaries, the last of each. */
  readonly texts = new Map<string, TextSummary>();
  /** The last train/total_flos, with the file it is in. */
  totalFlos: { value: number; file: string } | undefined;
  readonly diagnostics: Diagnostic[] = [];
  private problems = 0;
  records = 0;
  scalars = 0;
  /** Tags of scalars seen, for telling the user what the files hold. */
  readonly tags = new Set<string>();
  lastStep: number | undefined;
  fileVersion: string | undefined;
  /** Files whose last record was cut off. */
  readonly truncated = new Set<string>();
  damaged = 0;
  failed = false;
  private readonly role: (key: string) => Role;

  constructor(
    aliases: AliasTable,
    private readonly maxPoints: number,
  ) {
    this.role = roleFinder(aliases);
  }

  report(file: string, field: string | undefined, message: string, code: DiagnosticCode, severity: Severity = 'warning'): void {
    if (++this.problems <= MAX_RECORD_DIAGNOSTICS) this.diagnostics.push(diagnostic(file, undefined, field, message, severity, code));
  }

  /** Where a file's reading ended early: once per file at most, so never left out of the list. */
  private reportEnd(file: string, message: string, code: DiagnosticCode): void {
    this.diagnostics.push(diagnostic(file, undefined, undefined, message, 'warning', code));
  }

  finish(file: string): void {
    if (this.problems > MAX_RECORD_DIAGNOSTICS) {
      const more = this.problems - MAX_RECORD_DIAGNOSTICS;
      this.diagnostics.push(diagnostic(file, undefined, undefined, `${more} more problem record${more === 1 ? '' : 's'} not listed`, 'warning', 'truncated'));
    }
  }

  async readFile(member: Member): Promise<void> {
    const { file } = member;
    let at = { index: 0, offset: 0 };
    try {
      for await (const batch of readTfRecordBatches(file)) {
        for (const item of batch) {
          at = { index: item.index, offset: item.offset };
          this.onItem(member, item);
        }
      }
    } catch (e) {
      this.reportEnd(file, `reading stopped near ${whereInside(at.index, at.offset)}: ${(e as Error).message}`, 'unreadable');
    }
  }

  private onItem(member: Member, item: TfRecordItem): void {
    const { file } = member;
    const name = fileName(file);
    switch (item.kind) {
      case 'record': {
        this.records++;
        let event: TbEvent;
        try {
          event = decodeEvent(item.data);
        } catch (e) {
          this.damaged++;
          this.report(file, undefined, `${where(item.index, item.offset)}: not a valid Event message (${(e as Error).message}); record skipped`, 'syntax');
          return;
        }
        this.onEvent(member, event, item.index, item.offset);
        return;
      }
      case 'oversized':
        return;
      case 'badData':
        this.damaged++;
        this.report(file, undefined, `${where(item.index, item.offset)}: the data checksum does not match (the file is damaged there); record skipped`, 'syntax');
        return;
      case 'badLength':
        this.damaged++;
        this.reportEnd(
          file,
          `${where(item.index, item.offset)}: the length checksum does not match, so the records after it cannot be found; ${name} is read up to byte ${item.offset} (${item.index} records)`,
          'syntax',
        );
        return;
      case 'truncated': {
        this.truncated.add(file);
        const of = item.length === undefined ? `${item.available} of its ${HEADER_BYTES} header bytes` : `${item.available} of its ${HEADER_BYTES + item.length + 4} bytes`;
        this.reportEnd(
          file,
          `truncated last record at byte ${item.offset} (record ${item.index}, ${of} written): the writer stopped mid-write (crashed, killed, or still running); the ${item.index} records before it are read`,
          'truncated',
        );
        return;
      }
    }
  }

  private infoOf(split: string, tag: string): TagInfo {
    const id = `${split}\0${tag}`;
    const known = this.tagInfo.get(id);
    if (known) return known;
    const key = canonicalTag(tag, split);
    // Messages and sources name the tag as TensorBoard shows it: with its split folder.
    const info: TagInfo = { key, role: this.role(key), shown: split ? `${split}/${tag}` : tag };
    if (this.tagInfo.size < MAX_TAGS) this.tagInfo.set(id, info);
    return info;
  }

  private onEvent(member: Member, event: TbEvent, index: number, offset: number): void {
    if (event.fileVersion !== undefined) this.fileVersion ??= event.fileVersion;
    const values = event.summary?.value;
    if (!values) return;
    const step = event.step ?? 0;
    if (Number.isFinite(step) && step >= 0) this.lastStep = Math.max(this.lastStep ?? 0, step);
    for (const value of values) this.onValue(member, value, step, index, offset);
  }

  private onValue(member: Member, value: SummaryValue, step: number, index: number, offset: number): void {
    const { file, split } = member;
    const tag = value.tag ?? '';
    // TensorBoard keeps a tag's plugin from its first value: later values may omit the metadata.
    const pluginKey = `${split}\0${tag}`;
    const declared = value.metadata?.pluginData?.pluginName;
    if (declared && !this.plugins.has(pluginKey) && this.plugins.size < MAX_TAGS) this.plugins.set(pluginKey, declared);
    const plugin = declared || this.plugins.get(pluginKey);
    if (plugin === HPARAMS_PLUGIN) {
      this.onHParams(file, value.metadata?.pluginData?.content, index, offset);
      return;
    }
    if (tag === '') return;
    if (plugin === TEXT_PLUGIN) {
      if (HF_SUMMARY_TAGS.includes(tag) && value.tensor) this.onText(file, tag, value.tensor, index);
      return;
    }
    const { key, role, shown } = this.infoOf(split, tag);
    let number: number;
    if (value.simpleValue !== undefined) number = value.simpleValue;
    else if (value.tensor !== undefined && (plugin === undefined || plugin === SCALARS_PLUGIN)) {
      const scalar = tensorScalar(value.tensor);
      if ('problem' in scalar) {
        if (role !== 'ignore') this.report(file, shown, `${where(index, offset)}: ${shown} at step ${step}: ${scalar.problem}; skipped`, 'bad-value');
        return;
      }
      number = scalar.value;
    } else return;
    this.scalars++;
    if (this.tags.size < MAX_TAGS) this.tags.add(shown);
    if (shown === TOTAL_FLOS_TAG && Number.isFinite(number)) this.totalFlos = { value: number, file };
    if (role === 'ignore') return;
    if (!Number.isFinite(step) || step < 0) {
      this.report(file, shown, `${where(index, offset)}: ${shown} has step ${step}, not a step ≥ 0; skipped`, 'bad-value');
      return;
    }
    if (role === 'loss') {
      const usable = Number.isFinite(number) && number > 0;
      if (!usable) this.report(file, shown, `${where(index, offset)}: ${shown} is ${describeValue(number)} at step ${step}; left out of the curve`, 'bad-value');
      let series = this.series.get(key);
      if (!series) {
        series = new Series(this.maxPoints);
        this.series.set(key, series);
      }
      series.add({ step, value: number, tag: shown, file, index, offset }, usable);
    } else if (Number.isFinite(number)) {
      if (role === 'tokens' && number > 0 && (this.tokensByStep.size < MAX_TOKEN_STEPS || this.tokensByStep.has(step))) this.tokensByStep.set(step, number);
      // The latest value stands: a token count's last value is the run's D.
      this.facts.set(key, { key: shown, value: number, file });
    }
  }

  /** A text summary's string, kept whole (the Trainer writes each once, at the start of training). */
  private onText(file: string, tag: string, tensor: NonNullable<SummaryValue['tensor']>, index: number): void {
    const text = tensorText(tensor);
    if ('problem' in text) {
      this.report(file, tag, `${tag} (record ${index}): ${text.problem}; not read`, 'bad-value');
      return;
    }
    this.texts.set(tag, { tag, text: text.text, file, index });
  }

  private onHParams(file: string, content: Uint8Array | undefined, index: number, offset: number): void {
    if (!content || content.length === 0) return;
    let data;
    try {
      data = decodeHParamsPluginData(content);
    } catch (e) {
      this.report(file, 'hparams', `${where(index, offset)}: the hparams plugin data cannot be decoded (${(e as Error).message}); ignored`, 'syntax');
      return;
    }
    for (const [name, raw] of Object.entries(data.sessionStartInfo?.hparams ?? {})) {
      if (this.hparams.size >= MAX_HPARAMS) break;
      let value = protoValue(raw);
      if ((value === 0 || value === 1) && FLAG_HPARAMS.has(normaliseKey(name))) value = value === 1;
      if (value !== undefined && !this.hparams.has(name)) this.hparams.set(name, { key: name, value, file });
    }
    if (data.sessionEndInfo?.status === HPARAMS_STATUS.FAILURE) {
      if (!this.failed) this.diagnostics.push(diagnostic(file, undefined, 'hparams', `${where(index, offset)}: the hparams plugin records the session as failed: the run did not finish, so its losses are not end-of-training losses`, 'info', 'unfinished'));
      this.failed = true;
    }
  }
}

