// TensorBoard event files (events.out.tfevents.*): TFRecord-framed Event protos, written by
// TensorFlow (TF 0.x on), torch.utils.tensorboard (Hugging Face's TensorBoardCallback,
// Lightning's TensorBoardLogger), tensorboardX and Keras. A folder holds the files of one run,
// or of several trainings that logged into it one after another (see tensorboardGroups.ts);
// the files of one training (a restarted job, a writer per process) are merged by step, later
// writes winning, and split subfolders belong to the folder above them (Keras' train/ and
// validation/, Estimator's eval/). Scalars come as `simple_value` or as one-element tensors
// (TF2). N, D and the precision are rarely in event files: they come from the hparams plugin,
// from tags such as num_input_tokens_seen, from Hugging Face's args and model_config text
// summaries, or from an hparams.yaml / config.yaml / config.json beside the files.
//
// Event files a Hugging Face Trainer run owns (trainer_state.json above their runs/ folder) are
// that run's: the Trainer reader reads them, this one leaves them be.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type ArchitectureCount, countParameters } from '../architecture';
import { DEFAULT_MAX_CURVE_POINTS, shareBudget, splitOf, thin } from '../curves';
import type { Diagnostic } from '../diagnostics';
import { type ConfigEntry } from '../entries';
import { type ConfigFacts, applyFacts, findConfigFacts } from '../facts';
import { jsonEntries, parseJsonWithLines } from '../jsonDoc';
import { loadSmallText } from '../load';
import { parsePrecision } from '../precision';
import type { CurvePoint, PartPrecision, Run } from '../run';
import { runId, withMissing } from '../run';
import { type HeadCheck, checkHead } from '../tfrecord';
import { describeValue, diagnostic } from '../validate';
import { yamlEntries } from '../yamlDoc';
import { type Companion, argLookup, companionOf, plainObject, quantizedWeights, sourceOf } from './hfCompanions';
import { ARGS_SUMMARY, HPARAMS_FOLDER, MODEL_CONFIG_SUMMARY, hfOwnerOf, summaryEntries } from './hfEvents';
import { type ArgLookup, countProblemCode, defaultPrecisionMessage, flosDistortions, precisionFromArgs, tokensFromFlos, trainerFlopsParams, whereSaid } from './hfTraining';
import { type Training, fileSpan, groupTrainings } from './tensorboardGroups';
import { type Member, RunScan, SPLIT_FOLDERS, TOTAL_FLOS_TAG, namespacedLoss, pickLossKeys } from './tensorboardScan';
import type { ReadContext, ReadResult, RunReader } from './types';
import { binaryMessage } from '../text';

export { canonicalTag, namespacedLoss, pickLossKeys } from './tensorboardScan';

export const TENSORBOARD_FORMAT = 'tensorboard';
const EVENT_FILE = /^events\.out\.tfevents\./;

/** Configs looked for beside the event files, then in the folder above. */
export const CONFIG_FILES = ['hparams.yaml', 'config.yaml', 'config.json'] as const;
/**
 * Model-config keys left out of what the facts engine sees: the dtype the config names is the
 * checkpoint's (a config loaded from a bf16 checkpoint says bfloat16 even when the model was
 * loaded in fp32), never the training precision; the position limits are the model's capacity,
 * not the length trained on.
 */
const NOT_TRAINING_FACTS = new Set(['torch_dtype', 'dtype', 'max_position_embeddings', 'n_positions', 'n_ctx']);
/** Files named in one message before the rest are counted. */
const LISTED_FILES = 4;

export function isEventFile(baseName: string): boolean {
  return EVENT_FILE.test(baseName);
}

// --- which files make up the run ---------------------------------------------------------------

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
      events: entries
        .filter((e) => e.isFile() && isEventFile(e.name))
        .map((e) => e.name)
        .sort(byName),
      folders: entries
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort(byName),
    };
  } catch {
    return { events: [], folders: [] };
  }
}

const isSplitFolder = (name: string): boolean => SPLIT_FOLDERS.has(name.toLowerCase());

/**
 * The run folder of an event file and every event file in it, in the order they are read: the
 * run folder's own files by name (the writers put the creation time in it), then each split or
 * hparams subfolder's. The first of them that holds records reads the folder.
 */
async function runLayout(file: string): Promise<Layout> {
  const dir = path.dirname(file);
  const base = path.basename(dir);
  const parent = path.dirname(dir);
  let runDir = dir;
  if (parent !== dir && isSplitFolder(base)) runDir = parent;
  else if (parent !== dir && HPARAMS_FOLDER.test(base) && (await listFolder(parent)).events.length > 0) runDir = parent;
  const top = await listFolder(runDir);
  const members: Member[] = top.events.map((name) => ({ file: path.join(runDir, name), split: '', top: true }));
  const dirs = [runDir];
  for (const folder of top.folders) {
    const split = isSplitFolder(folder) ? folder : HPARAMS_FOLDER.test(folder) && top.events.length > 0 ? '' : undefined;
    if (split === undefined) continue;
    const sub = path.join(runDir, folder);
    dirs.push(sub);
    for (const name of (await listFolder(sub)).events) members.push({ file: path.join(sub, name), split, top: false });
  }
  // A folder that cannot be listed still has the file that was asked for.
  if (!members.some((m) => m.file === file)) members.push({ file, split: runDir !== dir && isSplitFolder(base) ? base : '', top: runDir === dir });
  return { runDir, members, dirs };
}

/**
 * The trainings among the members: the run folder's own files grouped by tensorboardGroups,
 * each subfolder's file going with the training that was logging when it was written. A folder
 * with one file of its own is one training, read without the extra pass.
 */
async function trainingsOf(members: readonly Member[]): Promise<Array<{ members: Member[]; why?: string }>> {
  const top = members.filter((m) => m.top);
  if (top.length < 2) return [{ members: [...members] }];
  const spans = await Promise.all(top.map((m) => fileSpan(m.file)));
  const trainings: Training[] = groupTrainings(spans);
  if (trainings.length === 1) return [{ members: [...members] }];
  const byFile = new Map(members.map((m) => [m.file, m]));
  const out = trainings.map((t) => ({ members: t.spans.map((s) => byFile.get(s.file) as Member), why: t.why, start: Math.min(...t.spans.map((s) => s.start ?? Infinity)) }));
  for (const member of members.filter((m) => !m.top)) {
    const start = (await fileSpan(member.file)).start ?? -Infinity;
    const home = [...out].reverse().find((t) => t.start <= start) ?? out[0];
    home.members.push(member);
  }
  // Subfolder files are read after the run folder's own, as in the layout.
  return out.map((t) => ({ members: [...t.members.filter((m) => m.top), ...t.members.filter((m) => !m.top)], why: t.why }));
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

// --- Hugging Face's text summaries ---------------------------------------------------------------

interface HfSummaries {
  args?: Companion;
  model?: Companion;
  /** What the facts engine sees of them. */
  entries: ConfigEntry[];
}

/** The args and model_config text summaries of one training as entries, and as companions for the Trainer's own rules. */
function hfSummaries(scan: RunScan, diagnostics: Diagnostic[]): HfSummaries {
  const out: HfSummaries = { entries: [] };
  const args = scan.texts.get(ARGS_SUMMARY);
  const model = scan.texts.get(MODEL_CONFIG_SUMMARY);
  const argsEntries = args ? summaryEntries(args, diagnostics) : undefined;
  const modelEntries = model ? summaryEntries(model, diagnostics) : undefined;
  if (args && argsEntries) {
    out.args = companionOf(argsEntries, args.file, `${ARGS_SUMMARY}.`, `${ARGS_SUMMARY}.`);
    out.entries.push(...argsEntries);
  }
  if (model && modelEntries) {
    out.model = companionOf(modelEntries, model.file, `${MODEL_CONFIG_SUMMARY}.`, `${MODEL_CONFIG_SUMMARY}.`);
    out.entries.push(...modelEntries.filter((e) => !NOT_TRAINING_FACTS.has(e.key.slice(MODEL_CONFIG_SUMMARY.length + 1))));
  }
  return out;
}

/** The facts engine's word that a field was not found anywhere, made moot when the summaries give it. */
const isAbsence = (d: Diagnostic, field: string, file: string): boolean => d.field === field && d.file === file && d.line === undefined && (d.code === undefined || d.code === 'missing-field');

type Drop = (field: string) => void;

/** The training precision from the args' flags, the weights' from a quantization_config (QLoRA). */
function hfPrecision(facts: ConfigFacts, hf: HfSummaries, lookup: ArgLookup, drop: Drop, diagnostics: Diagnostic[]): void {
  const precision = hf.args ? precisionFromArgs(lookup) : undefined;
  if (precision) {
    const part: PartPrecision = precision.part;
    facts.precision = { value: { w: part, a: part, kv: part }, source: precision.source };
    drop('precision');
    if (precision.how === 'default') diagnostics.push(diagnostic(precision.source.file, undefined, 'precision', defaultPrecisionMessage(whereSaid(precision.source), precision), 'info', 'default'));
  }
  // Weights loaded quantized: the compute precision from a mixed-precision flag, else bitsandbytes' compute dtype.
  const quant = hf.model ? quantizedWeights(hf.model, diagnostics) : undefined;
  if (!hf.model || !quant?.part) return;
  const bnbAt = hf.model.values.get('quantization_config.bnb_4bit_compute_dtype');
  const bnb = typeof bnbAt?.value === 'string' ? parsePrecision(bnbAt.value) : undefined;
  const compute = (precision?.how === 'flag' ? precision.part : undefined) ?? bnb ?? precision?.part;
  if (!compute) return;
  facts.precision = { value: { w: quant.part, a: compute, kv: compute }, source: sourceOf(hf.model, 'quantization_config', { value: undefined }) };
  drop('precision');
  const name = quant.part.name ?? `${quant.part.bits}-bit`;
  const message = `${MODEL_CONFIG_SUMMARY}'s quantization_config (${quant.method}): the base weights were held in ${name} while training; weights taken as ${name}, activations and kv as ${compute.name ?? `${compute.bits}-bit`}`;
  diagnostics.push(diagnostic(hf.model.file, undefined, 'precision', message, 'info', 'derived'));
}

/** N from the model config's architecture when nothing logged a count; the count, for total_flos, either way. */
function hfParams(facts: ConfigFacts, model: Companion, drop: Drop, diagnostics: Diagnostic[]): ArchitectureCount | undefined {
  const counted = countParameters(plainObject(model));
  if (facts.params) return counted.ok ? counted.count : undefined;
  drop('params');
  if (counted.ok) {
    facts.params = { value: counted.count.params, source: sourceOf(model, 'model_type') };
    return counted.count;
  }
  const known = typeof model.values.get('model_type')?.value === 'string' && !/is not one whose parameter count is known/.test(counted.message);
  diagnostics.push(diagnostic(model.file, undefined, 'params', `N (params) is unknown: ${counted.message} (the ${MODEL_CONFIG_SUMMARY} text summary)`, 'warning', countProblemCode(counted.message, known)));
  return undefined;
}

/** D from train/total_flos over 6 x the Trainer's parameter count, unless the files show it counted something else. */
function hfTokens(facts: ConfigFacts, model: Companion, count: ArchitectureCount, flos: { value: number; file: string }, lookup: ArgLookup, drop: Drop, diagnostics: Diagnostic[]): boolean {
  const where = `${TOTAL_FLOS_TAG} in ${path.basename(flos.file)}`;
  if (!(flos.value > 0)) return false;
  const quantization = model.containers.has('quantization_config') ? sourceOf(model, 'quantization_config', { value: undefined }) : undefined;
  const distortions = flosDistortions(lookup, { quantizationConfig: quantization });
  const counted = trainerFlopsParams(plainObject(model), count);
  if (distortions.length > 0 || 'problem' in counted) {
    const why = 'problem' in counted ? counted.problem : `this is ${distortions.map((d) => d.what).join('; ')}, and that makes the Trainer's count of operations no count of tokens`;
    diagnostics.push(diagnostic(flos.file, undefined, 'tokens', `${where} is not used for D: ${why}`, 'info', 'bad-value'));
    return false;
  }
  const value = tokensFromFlos(flos.value, counted.value);
  if (!Number.isSafeInteger(value) || value <= 0) return false;
  drop('tokens');
  facts.tokens = { value, source: { file: flos.file, field: TOTAL_FLOS_TAG } };
  const message =
    `D not logged; estimated from ${where} as total_flos / (6 x ${counted.value}) ≈ ${value} tokens (N${counted.head > 0 ? ` plus the untied output matrix, ${counted.head}` : ''}, as the Trainer's num_parameters(exclude_embeddings=True) counts). ` +
    'An estimate: the Trainer counts input_ids with their padding, and FSDP, DeepSpeed ZeRO-3, 4-bit loading or adapters would change what it counts';
  diagnostics.push(diagnostic(flos.file, undefined, 'tokens', message, 'info', 'derived'));
  return true;
}

/**
 * What the Trainer's own records decide over the generic lookup: the training precision from
 * the TrainingArguments flags (bf16/fp16 set, else fp32; never a torch_dtype), N from the model
 * config's architecture when no count was logged, and D from train/total_flos over 6N when no
 * token count was. The facts engine's "not found" for a field given here is dropped.
 */
function applyHfSummaries(facts: ConfigFacts, hf: HfSummaries, scan: RunScan, factsFile: string, diagnostics: Diagnostic[]): { tokensFrom?: string } {
  const drop: Drop = (field) => {
    facts.diagnostics = facts.diagnostics.filter((d) => !isAbsence(d, field, factsFile));
  };
  const lookup = argLookup(hf.args ? [hf.args] : []);
  hfPrecision(facts, hf, lookup, drop, diagnostics);
  if (!hf.model) return {};
  const count = hfParams(facts, hf.model, drop, diagnostics);
  if (facts.tokens || !scan.totalFlos || !count) return {};
  return hfTokens(facts, hf.model, count, scan.totalFlos, lookup, drop, diagnostics) ? { tokensFrom: 'total_flos / (6 N)' } : {};
}

// --- the run -----------------------------------------------------------------------------------

function notMine(members: readonly Member[], dirs: readonly string[]): ReadResult {
  return { runs: [], diagnostics: [], notMine: true, inputs: [...members.map((m) => m.file), ...dirs] };
}

function runName(runDir: string): string {
  const base = path.basename(runDir);
  return /^version_\d+$/.test(base) ? `${path.basename(path.dirname(runDir))}/${base}` : base;
}

/** The curve split of a loss key: splitOf's, except that a held-out namespace splitOf does not know ("dev/loss") is validation. */
const curveSplit = (key: string): string => {
  const split = splitOf(key);
  return split === 'train' && namespacedLoss(key)?.split === 'held-out' ? 'val' : split;
};

function curveOf(scan: RunScan, keys: ReadonlyArray<string | undefined>, maxPoints: number): CurvePoint[] {
  const chosen = keys.filter((k): k is string => k !== undefined && scan.series.has(k));
  const groups = chosen.map((k) => scan.series.get(k)?.points() ?? []);
  const shares = shareBudget(
    groups.map((g) => g.length),
    maxPoints,
  );
  return chosen
    .flatMap((key, i) =>
      thin(groups[i], shares[i]).map((p) => {
        const point: CurvePoint = { step: p.step, split: curveSplit(key), loss: p.value };
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

const fileName = (file: string): string => path.basename(file);
const whereInside = (index: number, offset: number): string => `record ${index} at byte ${offset}`;

/** Said of a file under an event file's name whose first 12 bytes are no TFRecord header. */
const NOT_AN_EVENT_FILE = 'is not a TensorBoard event file (no valid TFRecord header: the checksum of its first record header does not match)';

export interface TensorBoardOptions {
  maxCurvePoints?: number;
}

interface TrainingRead {
  members: Member[];
  /** The training's place among several in the folder, 1-based; absent when the folder is one. */
  index?: number;
  runDir: string;
  configs: Configs;
  /** The file that names the run: its first file holding records. */
  owner: Member;
}

/** Reads one training's files into a run. */
async function readTraining(training: TrainingRead, context: ReadContext, maxPoints: number, diagnostics: Diagnostic[]): Promise<Run> {
  const { members: read, runDir, configs, owner } = training;
  const scan = new RunScan(context.aliases, maxPoints);
  for (const member of read) await scan.readFile(member);
  scan.finish(owner.file);
  diagnostics.push(...scan.diagnostics);

  // --- N, D and precision: configs beside, the hparams plugin, HF's text summaries, scalar tags ---
  const hf = hfSummaries(scan, diagnostics);
  const entries = [...configs.entries, ...scan.hparams.values(), ...hf.entries, ...scan.facts.values()];
  const eventWords = read.length === 1 ? `the event file ${fileName(owner.file)}` : `the ${read.length} event files`;
  const configNames = configs.read.map((f) => path.relative(runDir, f).split(path.sep).join('/'));
  const searched = configNames.length > 0 ? `${list(configNames)} and ${eventWords}` : `${eventWords} (no ${list(CONFIG_FILES, 'or')} beside ${read.length === 1 ? 'it' : 'them'} to take it from)`;
  const factsFile = configs.read[0] ?? owner.file;
  const facts = findConfigFacts(entries, context.aliases, { file: factsFile, where: searched });
  const hfMeta = applyHfSummaries(facts, hf, scan, factsFile, diagnostics);
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
      const message = `the last ${last.tag} (step ${last.step}, ${whereInside(last.index, last.offset)}) is ${describeValue(last.value)}: not a usable final loss (did the run diverge?); the run has no final loss`;
      diagnostics.push(diagnostic(last.file, undefined, last.tag, message, 'warning', 'bad-value'));
      reasons.finalLoss = `loss is ${describeValue(last.value)} (the last ${last.tag}, step ${last.step})`;
    }
  } else {
    const tags = [...scan.tags].slice(0, 8);
    const trainNote = train !== undefined ? `; the training loss (${scan.series.get(train)?.last?.tag ?? train}) is not taken as the final loss` : '';
    const what = scan.scalars === 0 ? 'no scalars' : `no validation loss among the scalars (looked for ${context.aliases.loss.slice(0, 5).join(', ')}, …; the tags are ${tags.join(', ')}${scan.tags.size > tags.length ? ', …' : ''})`;
    diagnostics.push(diagnostic(owner.file, undefined, 'finalLoss', `${eventWords} hold${read.length === 1 ? 's' : ''} ${what}${trainNote}; the run has no final loss`, 'warning', 'missing-field'));
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
  else if (hfMeta.tokensFrom) meta.tokensFrom = hfMeta.tokensFrom;
  if (training.index !== undefined) meta.training = training.index;

  const run: Omit<Run, 'missing'> = {
    id: runId(owner.file, context.root),
    name: training.index !== undefined ? `${runName(runDir)} #${training.index}` : runName(runDir),
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
  return withMissing(run, reasons);
}

/** The 'grouped' info for a folder read as several trainings. */
function splitMessage(runDir: string, trainings: ReadonlyArray<{ members: Member[]; why?: string }>): string {
  const whys = trainings.flatMap((t) => (t.why ? [t.why] : []));
  const shown = whys.slice(0, LISTED_FILES);
  const more = whys.length > shown.length ? `; and ${whys.length - shown.length} more` : '';
  return `the event files in ${path.basename(runDir)}/ are ${trainings.length} separate trainings, read as ${trainings.length} runs: ${shown.join('; ')}${more}`;
}

/**
 * Reads the run or runs an event file belongs to. Only the first event file of the folder (see
 * runLayout) reads it; the others are `notMine`, as are files a Hugging Face Trainer run owns. A
 * file that is not a TFRecord file at all, with no event file beside it to report it, gets a
 * warning of its own.
 */
export async function readTensorBoardRun(eventPath: string, context: ReadContext, options: TensorBoardOptions = {}): Promise<ReadResult> {
  const file = path.resolve(eventPath);
  const maxPoints = Math.max(2, options.maxCurvePoints ?? DEFAULT_MAX_CURVE_POINTS);
  const { runDir, members, dirs } = await runLayout(file);
  // The Trainer reader reads these and says so; a run of their own would count the training twice.
  const hf = await hfOwnerOf([runDir, path.dirname(file)]);
  if (hf.outputDir !== undefined) return notMine(members, [...dirs, ...hf.looked]);
  const looked = [...dirs, ...hf.looked];

  const heads = new Map<string, HeadCheck | Error>();
  for (const member of members) heads.set(member.file, await checkHead(member.file).catch((e: Error) => e));
  const own = heads.get(file);
  if (own instanceof Error) {
    const code = (own as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `${fileName(file)} not found` : `cannot read ${fileName(file)}: ${own.message}`;
    return { runs: [], diagnostics: [diagnostic(file, undefined, undefined, message, 'error', code === 'ENOENT' ? 'not-found' : 'unreadable')] };
  }
  const first = members.find((m) => heads.get(m.file) === 'records');
  if (first && first.file !== file) return notMine(members, looked);
  if (!first) {
    // Nothing here is a TFRecord file with a record in it: an empty file of a run that has only
    // just started is still a TensorBoard file (the first one speaks for the folder). Bytes of
    // some other kind under an event file's name are said to be so, each on its own file: named
    // like an event file, the user expects it read, and a silent skip hides a run.
    if (own === 'foreign') {
      return { runs: [], diagnostics: [diagnostic(file, undefined, undefined, `${fileName(file)} ${NOT_AN_EVENT_FILE}; not read`, 'warning', 'syntax')], inputs: [...members.map((m) => m.file), ...looked] };
    }
    if (own === 'lfs-pointer') {
      return { runs: [], diagnostics: [diagnostic(file, undefined, undefined, binaryMessage('lfs-pointer', fileName(file)), 'warning', 'lfs-pointer')], inputs: [...members.map((m) => m.file), ...looked] };
    }
    const firstEmpty = members.find((m) => heads.get(m.file) === 'empty' || heads.get(m.file) === 'short');
    if (firstEmpty && firstEmpty.file !== file) return notMine(members, looked);
    const message =
      own === 'empty'
        ? `${fileName(file)} is empty: the writer has not flushed anything yet (the run has just started, or stopped before its first flush)`
        : `${fileName(file)} ends inside its first record's header: the writer stopped mid-write before any record was complete`;
    return { runs: [], diagnostics: [diagnostic(file, undefined, undefined, message, 'info', own === 'empty' ? 'unfinished' : 'truncated')], inputs: [...members.map((m) => m.file), ...looked] };
  }

  const diagnostics: Diagnostic[] = [];
  const readable: Member[] = [];
  for (const member of members) {
    const head = heads.get(member.file);
    if (head === 'foreign' || head === 'lfs-pointer' || head instanceof Error) {
      const why = head instanceof Error ? `cannot be read (${head.message})` : head === 'lfs-pointer' ? 'is a Git LFS pointer (run `git lfs pull`)' : NOT_AN_EVENT_FILE;
      const code = head instanceof Error ? 'unreadable' : head === 'lfs-pointer' ? 'lfs-pointer' : 'syntax';
      diagnostics.push(diagnostic(member.file, undefined, undefined, `${fileName(member.file)} ${why}; the run is read without it`, 'warning', code));
      continue;
    }
    readable.push(member);
  }
  const trainings = await trainingsOf(readable);
  if (trainings.length > 1) diagnostics.push(diagnostic(first.file, undefined, undefined, splitMessage(runDir, trainings), 'info', 'grouped'));
  const configs = await readConfigs(runDir, diagnostics);
  const runs: Run[] = [];
  for (const [i, training] of trainings.entries()) {
    const index = trainings.length > 1 ? i + 1 : undefined;
    const owner = training.members.find((m) => heads.get(m.file) === 'records') ?? training.members[0];
    runs.push(await readTraining({ members: training.members, index, runDir, configs, owner }, context, maxPoints, diagnostics));
  }
  return { runs, diagnostics, inputs: [...members.map((m) => m.file), ...looked, ...configs.looked] };
}

export const tensorboardReader: RunReader = {
  id: TENSORBOARD_FORMAT,
  label: 'TensorBoard',
  matches: (baseName) => isEventFile(baseName),
  read: (file, context) => readTensorBoardRun(file, context),
};
