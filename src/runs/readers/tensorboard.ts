// TensorBoard event files (events.out.tfevents.*): TFRecord-framed Event protos, written by
// TensorFlow, torch.utils.tensorboard (Hugging Face's TensorBoardCallback, Lightning's
// TensorBoardLogger), tensorboardX and Keras. A folder is one run; several event files in it
// (a restarted job, a writer per process) are merged by step, later writes winning, and split
// subfolders belong to the folder above them (Keras' train/ and validation/, Estimator's eval/).
// Scalars come as `simple_value` or as one-element tensors (TF2). N, D and the precision are
// rarely in event files: they come from the hparams plugin, from tags such as
// num_input_tokens_seen, or from an hparams.yaml / config.yaml / config.json beside the files.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type AliasTable, normaliseKey } from '../aliases';
import { type ConfigEntry } from '../entries';
import { applyFacts, findConfigFacts } from '../facts';
import { TRAIN_LOSS_NAMES, lossNameFilter, splitOf } from '../curves';
import { jsonEntries, parseJsonWithLines } from '../jsonDoc';
import { loadSmallText } from '../load';
import { yamlEntries } from '../yamlDoc';
import type { Diagnostic, Severity } from '../diagnostics';
import type { CurvePoint, Run } from '../run';
import { runId, withMissing } from '../run';
import {
  HPARAMS_PLUGIN,
  HPARAMS_STATUS,
  SCALARS_PLUGIN,
  type SummaryValue,
  type TbEvent,
  decodeEvent,
  decodeHParamsPluginData,
  protoValue,
  tensorScalar,
} from '../tensorboardProto';
import { type HeadCheck, HEADER_BYTES, type TfRecordItem, checkHead, readTfRecordBatches } from '../tfrecord';
import { describeValue, diagnostic } from '../validate';
import type { ReadContext, ReadResult, RunReader } from './types';
import { DEFAULT_MAX_CURVE_POINTS, StrideDecimator, shareBudget, thin } from '../curves';

export const TENSORBOARD_FORMAT = 'tensorboard';
const EVENT_FILE = /^events\.out\.tfevents\./;

/** Folders that hold one split of a run whose other splits sit beside them. */
const SPLIT_FOLDERS = new Set(['train', 'training', 'validation', 'val', 'valid', 'eval', 'evaluation']);
/** torch's add_hparams writes into a subfolder named by time.time(): "1714558500.2143218". */
const HPARAMS_FOLDER = /^\d{9,}\.\d+$/;
/** Configs looked for beside the event files, then in the folder above. */
export const CONFIG_FILES = ['hparams.yaml', 'config.yaml', 'config.json'] as const;

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

export function isEventFile(baseName: string): boolean {
  return EVENT_FILE.test(baseName);
}

// --- which files make up the run ---------------------------------------------------------------

interface Member {
  file: string;
  /** The split folder the file is in ("validation"), or "" for files of the run folder itself. */
  split: string;
}

interface Layout {
  runDir: string;
  members: Member[];
  /** Folders whose contents decide the members. */
  dirs: string[];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

async function listFolder(dir: string): Promise<{ events: string[]; folders: string[] }> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return {
      events: entries.filter((e) => e.isFile() && isEventFile(e.name)).map((e) => e.name).sort(byName),
      folders: entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(byName),
    };
  } catch {
    return { events: [], folders: [] };
  }
}

const isSplitFolder = (name: string): boolean => SPLIT_FOLDERS.has(name.toLowerCase());

/**
 * The run folder of an event file and every event file of that run, in the order they are read:
 * the run folder's own files by name (the writers put the creation time in it), then each split
 * or hparams subfolder's. The first of them that holds records reads the run.
 */
async function runLayout(file: string): Promise<Layout> {
  const dir = path.dirname(file);
  const base = path.basename(dir);
  const parent = path.dirname(dir);
  let runDir = dir;
  if (parent !== dir && isSplitFolder(base)) runDir = parent;
  else if (parent !== dir && HPARAMS_FOLDER.test(base) && (await listFolder(parent)).events.length > 0) runDir = parent;
  const top = await listFolder(runDir);
  const members: Member[] = top.events.map((name) => ({ file: path.join(runDir, name), split: '' }));
  const dirs = [runDir];
  for (const folder of top.folders) {
    const split = isSplitFolder(folder) ? folder : HPARAMS_FOLDER.test(folder) && top.events.length > 0 ? '' : undefined;
    if (split === undefined) continue;
    const sub = path.join(runDir, folder);
    dirs.push(sub);
    for (const name of (await listFolder(sub)).events) members.push({ file: path.join(sub, name), split });
  }
  // A folder that cannot be listed still has the file that was asked for.
  if (!members.some((m) => m.file === file)) members.push({ file, split: runDir !== dir && isSplitFolder(base) ? base : '' });
  return { runDir, members, dirs };
}

// --- the scalars of a run ----------------------------------------------------------------------

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

function roleFinder(aliases: AliasTable): (key: string) => Role {
  const isLoss = lossNameFilter(aliases);
  const names = (fields: readonly (keyof AliasTable)[]) => new Set(fields.flatMap((f) => aliases[f].filter((a) => a.length > 1).map(normaliseKey)));
  const tokens = names(['tokens']);
  const facts = names(FACT_FIELDS);
  const leaf = (key: string): string => normaliseKey(key.split('/').pop() ?? key);
  return (key) => {
    if (isLoss(key)) return 'loss';
    const full = normaliseKey(key);
    if (tokens.has(full) || tokens.has(leaf(key))) return 'tokens';
    if (facts.has(full) || facts.has(leaf(key))) return 'fact';
    return 'ignore';
  };
}

const TRAIN_LOSS_KEYS = new Set(TRAIN_LOSS_NAMES.map(normaliseKey));

/** "loss", "train_loss", "Loss/train": what TensorBoard logs call the training loss. */
const isTrainingLoss = (key: string): boolean => TRAIN_LOSS_KEYS.has(normaliseKey(key)) || /train/i.test(key);

/**
 * The validation-loss series (the final loss) and the training-loss series among the keys.
 * A bare "loss" is the training loss in TensorBoard logs (the validation one names its split),
 * so it is never taken as the final loss.
 */
export function pickLossKeys(keys: readonly string[], aliases: AliasTable): { val?: string; train?: string } {
  const byNorm = new Map<string, string>();
  for (const key of keys) if (!byNorm.has(normaliseKey(key))) byNorm.set(normaliseKey(key), key);
  let val: string | undefined;
  for (const alias of aliases.loss) {
    const key = byNorm.get(normaliseKey(alias));
    if (key !== undefined && !isTrainingLoss(key)) {
      val = key;
      break;
    }
  }
  let train: string | undefined;
  for (const name of TRAIN_LOSS_NAMES) {
    const key = byNorm.get(normaliseKey(name));
    if (key !== undefined && key !== val) {
      train = key;
      break;
    }
  }
  return { val, train };
}

const where = (index: number, offset: number): string => `record ${index} (byte ${offset})`;
const whereInside = (index: number, offset: number): string => `record ${index} at byte ${offset}`;
const fileName = (file: string): string => path.basename(file);

/** Everything read from the event files of one run. */
class RunScan {
  readonly series = new Map<string, Series>();
  private readonly tagInfo = new Map<string, TagInfo>();
  private readonly plugins = new Map<string, string>();
  readonly tokensByStep = new Map<number, number>();
  readonly facts = new Map<string, ConfigEntry>();
  readonly hparams = new Map<string, ConfigEntry>();
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

  report(file: string, field: string | undefined, message: string, severity: Severity = 'warning'): void {
    if (++this.problems <= MAX_RECORD_DIAGNOSTICS) this.diagnostics.push(diagnostic(file, undefined, field, message, severity));
  }

  /** Where a file's reading ended early: once per file at most, so never left out of the list. */
  private reportEnd(file: string, message: string): void {
    this.diagnostics.push(diagnostic(file, undefined, undefined, message, 'warning'));
  }

  finish(file: string): void {
    if (this.problems > MAX_RECORD_DIAGNOSTICS) {
      const more = this.problems - MAX_RECORD_DIAGNOSTICS;
      this.diagnostics.push(diagnostic(file, undefined, undefined, `${more} more problem record${more === 1 ? '' : 's'} not listed`, 'warning'));
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
      this.reportEnd(file, `reading stopped near ${whereInside(at.index, at.offset)}: ${(e as Error).message}`);
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
          this.report(file, undefined, `${where(item.index, item.offset)}: not a valid Event message (${(e as Error).message}); record skipped`);
          return;
        }
        this.onEvent(member, event, item.index, item.offset);
        return;
      }
      case 'oversized':
        return;
      case 'badData':
        this.damaged++;
        this.report(file, undefined, `${where(item.index, item.offset)}: the data checksum does not match (the file is damaged there); record skipped`);
        return;
      case 'badLength':
        this.damaged++;
        this.reportEnd(
          file,
          `${where(item.index, item.offset)}: the length checksum does not match, so the records after it cannot be found; ${name} is read up to byte ${item.offset} (${item.index} records)`,
        );
        return;
      case 'truncated': {
        this.truncated.add(file);
        const of = item.length === undefined ? `${item.available} of its ${HEADER_BYTES} header bytes` : `${item.available} of its ${HEADER_BYTES + item.length + 4} bytes`;
        this.reportEnd(
          file,
          `truncated last record at byte ${item.offset} (record ${item.index}, ${of} written): the writer stopped mid-write (crashed, killed, or still running); the ${item.index} records before it are read`,
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
    const { key, role, shown } = this.infoOf(split, tag);
    let number: number;
    if (value.simpleValue !== undefined) number = value.simpleValue;
    else if (value.tensor !== undefined && (plugin === undefined || plugin === SCALARS_PLUGIN)) {
      const scalar = tensorScalar(value.tensor);
      if ('problem' in scalar) {
        if (role !== 'ignore') this.report(file, shown, `${where(index, offset)}: ${shown} at step ${step}: ${scalar.problem}; skipped`);
        return;
      }
      number = scalar.value;
    } else return;
    this.scalars++;
    if (this.tags.size < MAX_TAGS) this.tags.add(shown);
    if (role === 'ignore') return;
    if (!Number.isFinite(step) || step < 0) {
      this.report(file, shown, `${where(index, offset)}: ${shown} has step ${step}, not a step ≥ 0; skipped`);
      return;
    }
    if (role === 'loss') {
      const usable = Number.isFinite(number) && number > 0;
      if (!usable) this.report(file, shown, `${where(index, offset)}: ${shown} is ${describeValue(number)} at step ${step}; left out of the curve`);
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

  private onHParams(file: string, content: Uint8Array | undefined, index: number, offset: number): void {
    if (!content || content.length === 0) return;
    let data;
    try {
      data = decodeHParamsPluginData(content);
    } catch (e) {
      this.report(file, 'hparams', `${where(index, offset)}: the hparams plugin data cannot be decoded (${(e as Error).message}); ignored`);
      return;
    }
    for (const [name, raw] of Object.entries(data.sessionStartInfo?.hparams ?? {})) {
      if (this.hparams.size >= MAX_HPARAMS) break;
      let value = protoValue(raw);
      if ((value === 0 || value === 1) && FLAG_HPARAMS.has(normaliseKey(name))) value = value === 1;
      if (value !== undefined && !this.hparams.has(name)) this.hparams.set(name, { key: name, value, file });
    }
    if (data.sessionEndInfo?.status === HPARAMS_STATUS.FAILURE) {
      if (!this.failed) this.diagnostics.push(diagnostic(file, undefined, 'hparams', `${where(index, offset)}: the hparams plugin records the session as failed: the run did not finish, so its losses are not end-of-training losses`, 'info'));
      this.failed = true;
    }
  }
}

// --- configs beside the event files ------------------------------------------------------------

interface Configs {
  entries: ConfigEntry[];
  /** Files read, for messages. */
  read: string[];
  /** Every path looked at, present or not (the scan cache rereads when one appears). */
  looked: string[];
}

async function readConfigs(runDir: string, diagnostics: Diagnostic[]): Promise<Configs> {
  const configs: Configs = { entries: [], read: [], looked: [] };
  const parent = path.dirname(runDir);
  for (const dir of parent === runDir ? [runDir] : [runDir, parent]) {
    for (const name of CONFIG_FILES) {
      const file = path.join(dir, name);
      configs.looked.push(file);
      const loaded = await loadSmallText(file, diagnostics);
      if (loaded.text === undefined) continue;
      configs.read.push(file);
      if (name.endsWith('.json')) configs.entries.push(...jsonEntries(parseJsonWithLines(loaded.text, file, diagnostics), file));
      else configs.entries.push(...yamlEntries(loaded.text, file, diagnostics).entries);
    }
    if (configs.read.length > 0) break;
  }
  return configs;
}

// --- the run -----------------------------------------------------------------------------------

function notMine(members: readonly Member[], dirs: readonly string[]): ReadResult {
  return { runs: [], diagnostics: [], notMine: true, inputs: [...members.map((m) => m.file), ...dirs] };
}

function runName(runDir: string): string {
  const base = path.basename(runDir);
  return /^version_\d+$/.test(base) ? `${path.basename(path.dirname(runDir))}/${base}` : base;
}

function curveOf(scan: RunScan, keys: ReadonlyArray<string | undefined>, maxPoints: number): CurvePoint[] {
  const chosen = keys.filter((k): k is string => k !== undefined && scan.series.has(k));
  const groups = chosen.map((k) => (scan.series.get(k) as Series).points());
  const shares = shareBudget(
    groups.map((g) => g.length),
    maxPoints,
  );
  return chosen
    .flatMap((key, i) =>
      thin(groups[i], shares[i]).map((p) => {
        const point: CurvePoint = { step: p.step, split: splitOf(key), loss: p.value };
        const tokens = scan.tokensByStep.get(p.step);
        if (tokens !== undefined) point.tokens = tokens;
        return point;
      }),
    )
    .sort((a, b) => a.step - b.step);
}

function list(names: readonly string[], last = 'and'): string {
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} ${last} ${names[names.length - 1]}` : (names[0] ?? '');
}

/** Said of a file under an event file's name whose first 12 bytes are no TFRecord header. */
const NOT_AN_EVENT_FILE = 'is not a TensorBoard event file (no valid TFRecord header: the checksum of its first record header does not match)';

export interface TensorBoardOptions {
  maxCurvePoints?: number;
}

/**
 * Reads the run an event file belongs to. Only the first event file of the run (see runLayout)
 * reads it; the others are `notMine`. A file that is not a TFRecord file at all, with no event
 * file beside it to report it, gets a warning of its own.
 */
export async function readTensorBoardRun(eventPath: string, context: ReadContext, options: TensorBoardOptions = {}): Promise<ReadResult> {
  const file = path.resolve(eventPath);
  const maxPoints = Math.max(2, options.maxCurvePoints ?? DEFAULT_MAX_CURVE_POINTS);
  const { runDir, members, dirs } = await runLayout(file);
  const heads = new Map<string, HeadCheck | Error>();
  for (const member of members) heads.set(member.file, await checkHead(member.file).catch((e: Error) => e));
  const own = heads.get(file);
  if (own instanceof Error) {
    const code = (own as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `${fileName(file)} not found` : `cannot read ${fileName(file)}: ${own.message}`;
    return { runs: [], diagnostics: [diagnostic(file, undefined, undefined, message, 'error')] };
  }
  const owner = members.find((m) => heads.get(m.file) === 'records');
  if (owner && owner.file !== file) return notMine(members, dirs);
  if (!owner) {
    // Nothing here is a TFRecord file with a record in it: an empty file of a run that has only
    // just started is still a TensorBoard file (the first one speaks for the folder). Bytes of
    // some other kind under an event file's name are said to be so, each on its own file: named
    // like an event file, the user expects it read, and a silent skip hides a run.
    if (own === 'foreign') {
      return { runs: [], diagnostics: [diagnostic(file, undefined, undefined, `${fileName(file)} ${NOT_AN_EVENT_FILE}; not read`, 'warning')], inputs: [...members.map((m) => m.file), ...dirs] };
    }
    const first = members.find((m) => heads.get(m.file) === 'empty' || heads.get(m.file) === 'short');
    if (first && first.file !== file) return notMine(members, dirs);
    const message =
      own === 'empty'
        ? `${fileName(file)} is empty: the writer has not flushed anything yet (the run has just started, or stopped before its first flush)`
        : `${fileName(file)} ends inside its first record's header: the writer stopped mid-write before any record was complete`;
    return { runs: [], diagnostics: [diagnostic(file, undefined, undefined, message, 'info')], inputs: [...members.map((m) => m.file), ...dirs] };
  }

  const diagnostics: Diagnostic[] = [];
  const scan = new RunScan(context.aliases, maxPoints);
  const read: Member[] = [];
  for (const member of members) {
    const head = heads.get(member.file);
    if (head === 'foreign' || head instanceof Error) {
      const why = head instanceof Error ? `cannot be read (${head.message})` : NOT_AN_EVENT_FILE;
      diagnostics.push(diagnostic(member.file, undefined, undefined, `${fileName(member.file)} ${why}; the run is read without it`, 'warning'));
      continue;
    }
    read.push(member);
    await scan.readFile(member);
  }
  scan.finish(owner.file);
  diagnostics.push(...scan.diagnostics);

  // --- N, D and precision: configs beside, the hparams plugin, scalar tags -----------------------
  const configs = await readConfigs(runDir, diagnostics);
  const entries = [...configs.entries, ...scan.hparams.values(), ...scan.facts.values()];
  const eventWords = read.length === 1 ? `the event file ${fileName(owner.file)}` : `the ${read.length} event files`;
  const configNames = configs.read.map((f) => path.relative(runDir, f).split(path.sep).join('/'));
  const searched = configNames.length > 0 ? `${list(configNames)} and ${eventWords}` : `${eventWords} (no ${list(CONFIG_FILES, 'or')} beside ${read.length === 1 ? 'it' : 'them'} to take it from)`;
  const facts = findConfigFacts(entries, context.aliases, { file: configs.read[0] ?? owner.file, where: searched });
  diagnostics.push(...facts.diagnostics);

  // --- the final loss: the last validation scalar ------------------------------------------------
  const keys = [...scan.series.keys()];
  const { val, train } = pickLossKeys(keys, context.aliases);
  const sources: Run['sources'] = {};
  let finalLoss: number | undefined;
  const reasons: NonNullable<Run['reasons']> = {};
  const last = val !== undefined ? scan.series.get(val)?.last : undefined;
  if (last) {
    if (Number.isFinite(last.value) && last.value > 0) {
      finalLoss = last.value;
      sources.finalLoss = { file: last.file, field: last.tag };
    } else {
      diagnostics.push(
        diagnostic(
          last.file,
          undefined,
          last.tag,
          `the last ${last.tag} (step ${last.step}, ${whereInside(last.index, last.offset)}) is ${describeValue(last.value)}: not a usable final loss (did the run diverge?); the run has no final loss`,
          'warning',
        ),
      );
      reasons.finalLoss = `loss is ${describeValue(last.value)} (the last ${last.tag}, step ${last.step})`;
    }
  } else {
    const tags = [...scan.tags].slice(0, 8);
    const trainNote = train !== undefined ? `; the training loss (${scan.series.get(train)?.last?.tag ?? train}) is not taken as the final loss` : '';
    const what = scan.scalars === 0 ? 'no scalars' : `no validation loss among the scalars (looked for ${context.aliases.loss.slice(0, 5).join(', ')}, …; the tags are ${tags.join(', ')}${scan.tags.size > tags.length ? ', …' : ''})`;
    diagnostics.push(diagnostic(owner.file, undefined, 'finalLoss', `${eventWords} hold${read.length === 1 ? 's' : ''} ${what}${trainNote}; the run has no final loss`, 'warning'));
    reasons.finalLoss = scan.scalars === 0 ? 'no scalars in the event files' : 'no validation loss among the scalars';
  }

  // A cut record in the newest file of a split is where the writer stopped; one in an older file
  // was followed by a restart.
  const newest = new Map<string, string>();
  for (const member of read) newest.set(member.split, member.file);
  const unfinished = scan.failed || [...newest.values()].some((f) => scan.truncated.has(f));

  const meta: Record<string, unknown> = { eventFiles: read.length, records: scan.records };
  const lossSteps = [val, train].flatMap((k) => (k !== undefined ? [scan.series.get(k)?.last?.step ?? 0] : []));
  const lastStep = lossSteps.length > 0 ? Math.max(...lossSteps) : scan.lastStep;
  if (lastStep !== undefined) meta.lastStep = lastStep;
  if (val !== undefined) meta.validationTag = scan.series.get(val)?.last?.tag ?? val;
  if (train !== undefined) meta.trainTag = scan.series.get(train)?.last?.tag ?? train;
  if (scan.fileVersion !== undefined) meta.fileVersion = scan.fileVersion;
  if (scan.damaged > 0) meta.damagedRecords = scan.damaged;
  const restarts = keys.reduce((n, k) => n + (scan.series.get(k)?.restarts ?? 0), 0);
  if (restarts > 0) meta.restarts = restarts;
  if (facts.tokens?.product) meta.tokensFrom = 'steps × batch size × sequence length';

  const run: Omit<Run, 'missing'> = {
    id: runId(owner.file, context.root),
    name: runName(runDir),
    format: TENSORBOARD_FORMAT,
    file: owner.file,
    ptq: facts.ptq,
    sources,
    meta,
  };
  applyFacts(run, facts);
  if (finalLoss !== undefined) run.finalLoss = finalLoss;
  if (val !== undefined || train !== undefined) run.curve = curveOf(scan, [val, train], maxPoints);
  if (unfinished) run.unfinished = true;
  return { runs: [withMissing(run, reasons)], diagnostics, inputs: [...members.map((m) => m.file), ...dirs, ...configs.looked] };
}

export const tensorboardReader: RunReader = {
  id: TENSORBOARD_FORMAT,
  label: 'TensorBoard',
  matches: (baseName) => isEventFile(baseName),
  read: (file, context) => readTensorBoardRun(file, context),
};
