// MLflow's file store: mlruns/<experiment id>/<run id>/ with meta.yaml (run name, status,
// lifecycle stage), metrics/<key> (one "<timestamp> <value> <step>" line per logged value; keys
// with "/" are nested folders), params/<key> (the value, no newline) and tags/<key>. The
// experiment folder has a meta.yaml too, as do datasets and registered models: only a run's is
// read, the others are not this reader's.
//
// Params hold what the logger gave as str(value): HF's MLflowCallback logs every TrainingArguments
// field and every model config field ({**model.config.to_dict(), **args.to_dict()}, nested dicts
// as their Python display unless MLFLOW_FLATTEN_PARAMS joins their keys with "."), drops values
// longer than MLflow's MAX_PARAM_VAL_LENGTH (250 characters in the MLflow it was written for),
// logs them 100 per batch and, with MLFLOW_MAX_LOG_PARAMS, only the first so many: the model
// config first, so a cut loses TrainingArguments. Values are read back as Python wrote them
// (True, None, 2e-05, ['LlamaForCausalLM'], {'factor': 8.0}) so the facts engine sees numbers.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { normaliseKey } from '../aliases';
import { type ConfigEntry, setKey } from '../entries';
import { applyFacts, describeNumber, numberOf } from '../facts';
import { KeyedCurves, lossNameFilter } from '../curves';
import { loadSmallText, sniffFile } from '../load';
import { DECIMAL_NUMBER } from '../quantity';
import { yamlEntries } from '../yamlDoc';
import type { Diagnostic, Severity } from '../diagnostics';
import { forEachLine } from '../lines';
import { longLineDiagnostic } from './metricsJsonl';
import { type Run, runId, withMissing } from '../run';
import { binaryMessage, verdictCode } from '../text';
import { describeValue, diagnostic } from '../validate';
import type { ReadContext, ReadResult, RunReader } from './types';
import {
  factsFromSeen,
  type WorldSize,
  findWorldSize,
  isValidationLossName,
  notAtEnd,
  planNotFollowed,
  plannedCountEntries,
  seenTokenEntries,
  seenTokenRank,
  trainingOnlyReason,
  validationLossKeys,
  worldSizeAssumed,
  worldSizeEntries,
} from './trackers';

export const MLFLOW_FORMAT = 'mlflow';
export const META_FILE = 'meta.yaml';
const METRICS_DIR = 'metrics';
const PARAMS_DIR = 'params';
const RUN_NAME_TAG = path.join('tags', 'mlflow.runName');

/** MLflow's RunStatus enum as meta.yaml stores it (an integer), and its names. */
export const RUN_STATUS: Readonly<Record<number, string>> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };
const STATUS_NAMES = new Set(Object.values(RUN_STATUS));

/** A run logs tens of params and metrics; these bound what a strange folder can make the reader do. */
const MAX_FILES = 5000;
const MAX_DEPTH = 8;
/** MLflow caps param values at a few kilobytes. */
const MAX_PARAM_BYTES = 64 * 1024;
/** The greatest time a JavaScript Date holds, in ms. */
const MAX_DATE_MS = 8.64e15;
/** Per metric file, problem lines listed before they are only counted. */
const MAX_LINE_DIAGNOSTICS = 5;

export function isMlflowMeta(baseName: string, file: string): boolean {
  return baseName === META_FILE && /(?:^|[\\/])mlruns[\\/]/.test(file);
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/** Files under `dir` as MLflow keys ("val/loss" for metrics/val/loss), in name order. */
async function listKeys(dir: string, diagnostics: Diagnostic[]): Promise<Array<{ key: string; file: string }>> {
  const out: Array<{ key: string; file: string }> = [];
  let truncated = false;
  const walk = async (sub: string, prefix: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(sub, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') diagnostics.push(diagnostic(sub, undefined, undefined, `cannot read folder: ${(e as Error).message}`, 'warning', 'unreadable'));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (out.length >= MAX_FILES) {
        truncated = true;
        return;
      }
      const key = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isFile()) out.push({ key, file: path.join(sub, entry.name) });
      else if (entry.isDirectory() && depth < MAX_DEPTH) await walk(path.join(sub, entry.name), key, depth + 1);
      // MLflow writes plain files; a FIFO or device here would block or never end if read.
      else if (entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice()) {
        diagnostics.push(diagnostic(path.join(sub, entry.name), undefined, key, `${key} is not a regular file (a FIFO, socket or device); not read`, 'warning', 'unreadable'));
      }
    }
  };
  await walk(dir, '', 0);
  if (truncated) diagnostics.push(diagnostic(dir, undefined, undefined, `more than ${MAX_FILES} files; the rest are not read`, 'warning', 'truncated'));
  return out;
}

interface MetricRead {
  /** MLflow's latest value: the greatest step, then the latest timestamp. */
  latest?: { value: number; step: number; line: number };
}

/** Streams one metric file; loss metrics go into the curves, every metric keeps its latest value. */
async function readMetric(key: string, file: string, isLoss: boolean, curves: KeyedCurves, unfinished: boolean, diagnostics: Diagnostic[]): Promise<MetricRead> {
  const name = `metrics/${key}`;
  try {
    const verdict = await sniffFile(file);
    if (verdict !== 'text') {
      diagnostics.push(diagnostic(file, undefined, key, binaryMessage(verdict, name), 'warning', verdictCode(verdict)));
      return {};
    }
  } catch (e) {
    diagnostics.push(diagnostic(file, undefined, key, `cannot read ${name}: ${(e as Error).message}`, 'warning', 'unreadable'));
    return {};
  }
  const result: MetricRead = {};
  let latestTime = -Infinity;
  let malformed = 0;
  let nonFinite = 0;
  let firstNonFinite: { line: number; text: string } | undefined;
  let pending: { text: string; line: number } | undefined;

  const handle = (text: string, line: number): void => {
    if (text.trim() === '') return;
    const parts = text.trim().split(/\s+/);
    const time = Number(parts[0]);
    const value = parts.length >= 2 ? numberOf(parts[1]) : undefined;
    const step = parts.length === 3 ? Number(parts[2]) : 0;
    if ((parts.length !== 2 && parts.length !== 3) || !Number.isFinite(time) || value === undefined || !Number.isInteger(step)) {
      if (++malformed <= MAX_LINE_DIAGNOSTICS) diagnostics.push(diagnostic(file, line, key, `expected "<timestamp> <value> <step>", got ${describeValue(text.length > 60 ? `${text.slice(0, 60)}…` : text)}; line skipped`, 'warning', 'syntax'));
      return;
    }
    if (!result.latest || step > result.latest.step || (step === result.latest.step && time >= latestTime)) {
      result.latest = { value, step, line };
      latestTime = time;
    }
    if (!isLoss) return;
    if (!Number.isFinite(value) || value <= 0) {
      nonFinite++;
      firstNonFinite ??= { line, text: parts[1] };
      return;
    }
    curves.add(key, { step, value, line, file });
  };

  let endsWithNewline = true;
  try {
    const scan = await forEachLine(
      file,
      (text, line) => {
        if (pending) handle(pending.text, pending.line);
        pending = { text, line };
      },
      {
        onLongLine: (line, bytes) => {
          if (pending) handle(pending.text, pending.line);
          pending = undefined;
          if (++malformed <= MAX_LINE_DIAGNOSTICS) diagnostics.push({ ...longLineDiagnostic(file, line, bytes, undefined), field: key });
        },
      },
    );
    endsWithNewline = scan.endsWithNewline;
  } catch (e) {
    diagnostics.push(diagnostic(file, undefined, key, `reading stopped: ${(e as Error).message}`, 'warning', 'unreadable'));
  }
  // MLflow ends every line it writes: one without a newline was cut short, its digits maybe too.
  if (pending && !endsWithNewline) {
    diagnostics.push(diagnostic(file, pending.line, key, 'truncated last line (crashed or still-running run?); line skipped', unfinished ? 'info' : 'warning', 'truncated'));
  } else if (pending) handle(pending.text, pending.line);

  if (malformed > MAX_LINE_DIAGNOSTICS) {
    diagnostics.push(diagnostic(file, undefined, key, `${malformed - MAX_LINE_DIAGNOSTICS} more malformed line${malformed - MAX_LINE_DIAGNOSTICS === 1 ? '' : 's'} not listed`, 'warning', 'truncated'));
  }
  if (firstNonFinite) {
    const others = nonFinite > 1 ? ` and ${nonFinite - 1} more such value${nonFinite === 2 ? '' : 's'}` : '';
    diagnostics.push(diagnostic(file, firstNonFinite.line, key, `${key} is ${describeNumber(firstNonFinite.text)} on line ${firstNonFinite.line}${others}; left out of the curve`, 'warning', 'bad-value'));
  }
  return result;
}

interface StatusRead {
  status: string;
  unfinished: boolean;
}

function readStatus(value: unknown, line: number | undefined, file: string, recovered: boolean, diagnostics: Diagnostic[]): StatusRead {
  if (value === undefined && recovered) {
    diagnostics.push(diagnostic(file, undefined, 'status', `the run's status could not be read past the syntax error; the run is treated as unfinished`, 'info', 'unfinished'));
    return { status: 'unknown', unfinished: true };
  }
  // MLflow reads a run without a status as RUNNING.
  const name = value === undefined ? 'RUNNING' : typeof value === 'number' ? RUN_STATUS[value] : typeof value === 'string' ? value.trim().toUpperCase() : undefined;
  if (name === undefined || !STATUS_NAMES.has(name)) {
    diagnostics.push(diagnostic(file, line, 'status', `status ${describeValue(value)} is not an MLflow run status (1–5 or RUNNING, SCHEDULED, FINISHED, FAILED, KILLED); the run is treated as unfinished`, 'warning', 'bad-value'));
    return { status: typeof value === 'string' ? value : describeValue(value), unfinished: true };
  }
  if (name !== 'FINISHED') {
    const why = value === undefined ? 'no status (MLflow reads that as RUNNING)' : `status ${name}`;
    diagnostics.push(diagnostic(file, line, 'status', `${why}: the run did not finish, so its losses are not end-of-training losses`, 'info', 'unfinished'));
  }
  return { status: name, unfinished: name !== 'FINISHED' };
}

const nonEmpty = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined);

// --- params as Python wrote them ------------------------------------------------------------------

/** A display nested deeper than this is not a config value; it stays text. */
const MAX_LITERAL_DEPTH = 12;

type Parsed = { ok: true; value: unknown; end: number } | { ok: false };

/**
 * A Python literal display as repr() writes it inside str() of a list or dict: quoted strings
 * with their escapes, numbers, True/False/None, inf/nan, lists, tuples and dicts of those.
 * Anything else (sets, objects' reprs) is not parsed.
 */
function parseLiteral(text: string, at: number, depth: number): Parsed {
  const skip = (i: number): number => {
    while (i < text.length && /\s/.test(text[i])) i++;
    return i;
  };
  let i = skip(at);
  const c = text[i];
  if (c === undefined || depth > MAX_LITERAL_DEPTH) return { ok: false };
  if (c === "'" || c === '"') {
    let out = '';
    for (let j = i + 1; j < text.length; j++) {
      const ch = text[j];
      if (ch === c) return { ok: true, value: out, end: j + 1 };
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const next = text[++j];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
      if (next !== undefined && simple[next] !== undefined) out += simple[next];
      else if (next === 'x' || next === 'u' || next === 'U') {
        const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = text.slice(j + 1, j + 1 + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex) || Number.parseInt(hex, 16) > 0x10ffff) return { ok: false };
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        j += width;
      } else return { ok: false };
    }
    return { ok: false };
  }
  if (c === '[' || c === '(' || c === '{') {
    const close = c === '[' ? ']' : c === '(' ? ')' : '}';
    const dict = c === '{';
    const items: unknown[] = [];
    const object: Record<string, unknown> = {};
    i = skip(i + 1);
    while (text[i] !== close) {
      const key = parseLiteral(text, i, depth + 1);
      if (!key.ok) return { ok: false };
      i = skip(key.end);
      if (dict) {
        if (text[i] !== ':' || (typeof key.value !== 'string' && typeof key.value !== 'number' && typeof key.value !== 'boolean')) return { ok: false };
        const value = parseLiteral(text, i + 1, depth + 1);
        if (!value.ok) return { ok: false };
        setKey(object, String(key.value), value.value);
        i = skip(value.end);
      } else items.push(key.value);
      if (text[i] === ',') i = skip(i + 1);
      else if (text[i] !== close) return { ok: false };
    }
    return { ok: true, value: dict ? object : items, end: i + 1 };
  }
  const word = /^(?:True|False|None|-?inf|nan|[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)(?![\w.])/i.exec(text.slice(i));
  if (!word) return { ok: false };
  const w = word[0];
  const value = w === 'True' ? true : w === 'False' ? false : w === 'None' ? null : /inf/i.test(w) ? (w.startsWith('-') ? -Infinity : Infinity) : /nan/i.test(w) ? NaN : Number(w);
  return { ok: true, value, end: i + w.length };
}

/**
 * A param's value as the Python that logged it meant it: "True" → true, "None" → null, "2e-05" →
 * 2e-05, "['LlamaForCausalLM']" → an array, "{'factor': 8.0}" → an object; anything else is the
 * text itself (paths, names, "bf16-mixed").
 */
export function pythonValue(text: string): unknown {
  const t = text.trim();
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (t === 'None') return null;
  if (DECIMAL_NUMBER.test(t)) {
    const n = Number(t);
    // Digits past double precision are an id, not a number.
    return Number.isFinite(n) && (!/^[-+]?\d+$/.test(t) || Number.isSafeInteger(n)) ? n : text;
  }
  if (/^[[({]/.test(t)) {
    const parsed = parseLiteral(t, 0, 0);
    if (parsed.ok && parsed.end === t.length) return parsed.value;
  }
  return text;
}

/** A param as entries: a dict display becomes one entry per value ("rope_scaling.factor"), as the YAML walker nests keys. */
export function paramEntries(key: string, text: string, file: string): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  const walk = (value: unknown, name: string, depth: number): void => {
    if (out.length >= MAX_ENTRIES_PER_PARAM) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (depth < MAX_LITERAL_DEPTH) for (const [k, v] of Object.entries(value)) walk(v, `${name}.${k}`, depth + 1);
      return;
    }
    // Lists of dicts are not config values the engine reads, as in the YAML walker.
    if (Array.isArray(value) && value.some((v) => v !== null && typeof v === 'object')) return;
    out.push({ key: name, value, file, line: 1 });
  };
  walk(pythonValue(text), key, 0);
  return out;
}

/** A dict display of a config holds tens of values; this bounds what one param can become. */
const MAX_ENTRIES_PER_PARAM = 500;

/** Reads params/, each value as the Python that logged it meant it. */
export async function readMlflowParams(paramsDir: string, diagnostics: Diagnostic[], inputs: string[] = []): Promise<ConfigEntry[]> {
  const entries: ConfigEntry[] = [];
  for (const { key, file: paramFile } of await listKeys(paramsDir, diagnostics)) {
    inputs.push(paramFile);
    const param = await loadSmallText(paramFile, diagnostics, { maxBytes: MAX_PARAM_BYTES });
    // MLflow writes the value with no newline; one added by hand is not part of it.
    if (param.text !== undefined) entries.push(...paramEntries(key, param.text.replace(/\r?\n$/, ''), paramFile));
  }
  return entries;
}

// --- params from HF's MLflowCallback ------------------------------------------------------------

/** TrainingArguments fields every transformers version logs, in the order to_dict() gives them. */
const TRAINING_ARGUMENTS_CORE = ['output_dir', 'per_device_train_batch_size', 'gradient_accumulation_steps', 'max_steps', 'bf16', 'fp16'];

const topKeys = (entries: readonly ConfigEntry[]): Set<string> => new Set(entries.map((e) => e.key));

/** The params are HF Trainer's: its metrics' steps are optimizer steps (state.global_step), its "loss" the training loss. */
function isHfTrainer(keys: ReadonlySet<string>): boolean {
  return keys.has('output_dir') && keys.has('per_device_train_batch_size');
}

/**
 * A word when the params hold a model config and the start of TrainingArguments but not all of it:
 * MLFLOW_MAX_LOG_PARAMS (or a store's own cap) cut the list, and what the fit needs from the rest
 * (bf16/fp16, batch size, steps) is not there.
 */
function cutParams(keys: ReadonlySet<string>, paramsDir: string): Diagnostic | undefined {
  if (!keys.has('model_type') || !keys.has('output_dir')) return undefined;
  const lacking = TRAINING_ARGUMENTS_CORE.filter((k) => !keys.has(k));
  if (lacking.length === 0) return undefined;
  return diagnostic(
    paramsDir,
    undefined,
    lacking[0],
    `the params hold the model config and the start of TrainingArguments but not ${lacking.join(', ')}: the list was cut (MLFLOW_MAX_LOG_PARAMS?), so what those fields say of the precision, batch and steps is not known`,
    'info',
    'truncated',
  );
}

interface Latest {
  value: number;
  step: number;
  line: number;
  file: string;
}

/** An MLflow run's folder, read: what the run's N, D, precision and final loss are decided from. */
export interface MlflowRunFiles {
  file: string;
  inputs: string[];
  diagnostics: Diagnostic[];
  top: Record<string, unknown>;
  runIdText: string;
  status: string;
  unfinished: boolean;
  /** params/, as Python meant the values. */
  params: ConfigEntry[];
  /** The params are HF Trainer's (TrainingArguments are among them). */
  hf: boolean;
  curves: KeyedCurves;
  /** Every metric read, by its latest value. */
  latest: Map<string, Latest>;
  /** The latest values of the metrics that may name N, D or PTQ results, as entries. */
  metricEntries: ConfigEntry[];
  /** The metric logged at the greatest step. */
  lastMetric?: Latest;
  tagName?: string;
  experimentName?: string;
  world?: WorldSize;
  /** What the facts engine is given: params, metrics, HF's last step as global_step, the world size. */
  factEntries: ConfigEntry[];
}

/** Reads an MLflow run's folder, given the path of its meta.yaml; a ReadResult when there is no run to decide. */
export async function loadMlflowRun(metaPath: string, context: ReadContext): Promise<MlflowRunFiles | { result: ReadResult }> {
  const file = path.resolve(metaPath);
  const runDir = path.dirname(file);
  const metricsDir = path.join(runDir, METRICS_DIR);
  const paramsDir = path.join(runDir, PARAMS_DIR);
  const runNameFile = path.join(runDir, RUN_NAME_TAG);
  const experimentMeta = path.join(path.dirname(runDir), META_FILE);
  const inputs = [metricsDir, paramsDir, runNameFile, experimentMeta];
  const hasRunFolders = (await isDirectory(metricsDir)) || (await isDirectory(paramsDir));

  // --- meta.yaml: is this a run at all? -------------------------------------------------------------
  const early: Diagnostic[] = [];
  const loaded = await loadSmallText(file, early, { severity: 'error' });
  if (loaded.absent) return { result: { runs: [], diagnostics: [diagnostic(file, undefined, undefined, `${META_FILE} not found`, 'error', 'not-found')] } };
  if (loaded.text === undefined) return { result: hasRunFolders ? { runs: [], diagnostics: early, inputs } : { runs: [], diagnostics: [], notMine: true } };
  const meta = yamlEntries(loaded.text, file, early, { severity: 'error' });
  const top = meta.top;
  const runUuid = nonEmpty(top.run_id) ?? nonEmpty(top.run_uuid);
  // Experiments and datasets have a meta.yaml with no run id; a registered model version's names
  // the run it came from but has no experiment_id; none has metrics/ or params/ beside it.
  if (!hasRunFolders && (!runUuid || top.experiment_id === undefined)) return { result: { runs: [], diagnostics: [], notMine: true } };
  const diagnostics: Diagnostic[] = [...early];
  if (!meta.isMapping && !meta.recovered) diagnostics.push(diagnostic(file, 1, undefined, `${META_FILE} should hold the run's fields (run_id, status, …)`, 'error', 'syntax'));
  const runIdText = runUuid ?? path.basename(runDir);

  const deleted = nonEmpty(top.lifecycle_stage)?.toLowerCase() === 'deleted';
  if (deleted || /[\\/]\.trash[\\/]/.test(file)) {
    const why = deleted ? 'its lifecycle_stage is "deleted"' : "it is in MLflow's .trash folder";
    diagnostics.push(diagnostic(file, meta.topLines.lifecycle_stage, 'lifecycle_stage', `run ${runIdText} was deleted in MLflow (${why}); not read`, 'info', 'unsupported'));
    return { result: { runs: [], diagnostics, inputs } };
  }

  const { status, unfinished } = readStatus(top.status, meta.topLines.status, file, meta.recovered, diagnostics);

  // --- params and tags ----------------------------------------------------------------------------
  const params = await readMlflowParams(paramsDir, diagnostics, inputs);
  const paramKeys = topKeys(params);
  const hf = isHfTrainer(paramKeys);
  const cut = cutParams(paramKeys, paramsDir);
  if (cut) diagnostics.push(cut);
  const tagName = (await loadSmallText(runNameFile, diagnostics, { maxBytes: MAX_PARAM_BYTES })).text?.trim();
  const experiment = await loadSmallText(experimentMeta, [], { maxBytes: MAX_PARAM_BYTES });
  const experimentName = experiment.text !== undefined ? nonEmpty(yamlEntries(experiment.text, experimentMeta, []).top.name) : undefined;

  // --- metrics: losses streamed into curves, the rest of interest by their latest value ------------
  const isLoss = lossNameFilter(context.aliases);
  const wanted = new Set(
    (['params', 'tokens', 'steps', 'batchSize', 'seqLen', 'postBits', 'postLoss', 'weightBits', 'actBits', 'kvBits'] as const).flatMap((f) => context.aliases[f].map(normaliseKey)),
  );
  const isSeen = seenTokenRank(context.aliases);
  const matters = (key: string): boolean => wanted.has(normaliseKey(key)) || wanted.has(normaliseKey(key.split('/').pop() ?? key)) || isSeen(key) >= 0;
  const curves = new KeyedCurves();
  const latest = new Map<string, Latest>();
  const metricEntries: ConfigEntry[] = [];
  for (const { key, file: metricFile } of await listKeys(metricsDir, diagnostics)) {
    const loss = isLoss(key);
    if (!loss && !matters(key)) continue;
    inputs.push(metricFile);
    const read = await readMetric(key, metricFile, loss, curves, unfinished, diagnostics);
    if (read.latest) latest.set(key, { ...read.latest, file: metricFile });
    if (!loss && read.latest) metricEntries.push({ key, value: read.latest.value, file: metricFile, line: read.latest.line });
  }
  const lastMetric = [...latest.values()].reduce<Latest | undefined>((a, b) => (!a || b.step > a.step ? b : a), undefined);
  // HF logs every metric at state.global_step, the training's optimizer steps: the last of them is
  // how far the run got, which D needs when TrainingArguments plan epochs (max_steps -1).
  const progress: ConfigEntry[] = hf && lastMetric && lastMetric.step > 0 ? [{ key: 'global_step', value: lastMetric.step, file: lastMetric.file, line: lastMetric.line }] : [];

  const world = findWorldSize(params);
  const entries = [...params, ...metricEntries, ...progress];
  const run: MlflowRunFiles = {
    file,
    inputs,
    diagnostics,
    top,
    runIdText,
    status,
    unfinished,
    params,
    hf,
    curves,
    latest,
    metricEntries,
    factEntries: [...entries, ...worldSizeEntries(world, entries)],
  };
  if (lastMetric) run.lastMetric = lastMetric;
  if (tagName) run.tagName = tagName;
  if (experimentName) run.experimentName = experimentName;
  if (world) run.world = world;
  return run;
}

/** Reads one MLflow run, given the path of its meta.yaml. */
export async function readMlflowRun(metaPath: string, context: ReadContext): Promise<ReadResult> {
  const loaded = await loadMlflowRun(metaPath, context);
  if ('result' in loaded) return loaded.result;
  const { file, inputs, diagnostics, top, runIdText, status, unfinished, params, hf, curves, latest, metricEntries, lastMetric, tagName, experimentName, world } = loaded;

  // --- N, D, precision, PTQ; D from what the run saw --------------------------------------------------
  const { facts, tokensReason } = factsFromSeen({
    entries: loaded.factEntries,
    planned: plannedCountEntries(params, context.aliases),
    plannedFiles: new Set(params.map((e) => e.file)),
    seen: seenTokenEntries(metricEntries, context.aliases),
    notFollowed: planNotFollowed(unfinished ? `status ${status}` : undefined, undefined, undefined),
    loggedIn: 'the metrics',
    aliases: context.aliases,
    facts: { file, where: "the run's params/ and metrics/" },
  });
  diagnostics.push(...facts.diagnostics);
  const assumed = worldSizeAssumed(facts, world, file);
  if (assumed) diagnostics.push(assumed);
  const reasons: NonNullable<Run['reasons']> = {};
  if (tokensReason !== undefined) reasons.tokens = tokensReason;

  // --- final loss: the latest value of the validation loss metric, if it is from the end of training ---
  const sources: Run['sources'] = {};
  let finalLoss: number | undefined;
  const lossNames = [...latest.keys()].filter(lossNameFilter(context.aliases));
  const keys = validationLossKeys(lossNames, context.aliases);
  // HF's "train_loss" is the run's average training loss, logged once at the end; "loss" is the curve.
  if (hf && lossNames.includes('loss') && keys.val !== 'loss') keys.train = 'loss';
  const last = keys.val !== undefined ? latest.get(keys.val) : undefined;
  if (keys.val !== undefined && last) {
    const why = notAtEnd(last.step, lastMetric?.step, keys.val);
    if (!Number.isFinite(last.value) || last.value <= 0) {
      // A diverged run's last loss is NaN: an earlier value would hide that.
      diagnostics.push(diagnostic(last.file, last.line, keys.val, `the latest ${keys.val} (step ${last.step}) is ${describeNumber(last.value)}: not a usable final loss (did the run diverge?); the run has no final loss`, 'warning', 'bad-value'));
      reasons.finalLoss = `loss is ${describeNumber(last.value)} (the latest ${keys.val}, step ${last.step})`;
    } else if (why) {
      diagnostics.push(diagnostic(last.file, last.line, keys.val, `${why}; the run has no final loss`, 'warning', 'missing-field'));
      reasons.finalLoss = why;
    } else {
      finalLoss = last.value;
      sources.finalLoss = { file: last.file, line: last.line, field: keys.val };
    }
  } else {
    const severity: Severity = unfinished ? 'info' : 'warning';
    const looked = context.aliases.loss.filter((a) => isValidationLossName(a, context.aliases)).slice(0, 5);
    const trainOnly = keys.train !== undefined ? ` (only a training loss, ${keys.train})` : '';
    diagnostics.push(diagnostic(file, undefined, 'finalLoss', `no validation loss among the run's metrics${trainOnly} (looked for ${looked.join(', ')}, …)`, severity, 'missing-field'));
    reasons.finalLoss = unfinished ? `status ${status}` : keys.train !== undefined ? trainingOnlyReason(keys.train) : 'no validation loss among the metrics';
  }

  const runMeta: Record<string, unknown> = { status, runId: runIdText };
  if (experimentName) runMeta.experiment = experimentName;
  for (const key of ['start_time', 'end_time'] as const) {
    const value = top[key];
    // Past 8.64e15 ms a Date is invalid and toISOString throws: a damaged time is left out.
    if (typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_DATE_MS) runMeta[key === 'start_time' ? 'started' : 'ended'] = new Date(value).toISOString();
  }
  if (facts.tokens?.product) runMeta.tokensFrom = 'steps × batch size × sequence length';

  const run: Omit<Run, 'missing'> = {
    id: runId(file, context.root),
    name: nonEmpty(top.run_name) ?? (tagName || undefined) ?? runIdText,
    format: MLFLOW_FORMAT,
    file,
    ptq: facts.ptq,
    sources,
    meta: runMeta,
  };
  applyFacts(run, facts);
  if (finalLoss !== undefined) run.finalLoss = finalLoss;
  if (keys.val !== undefined || keys.train !== undefined) run.curve = curves.curve([keys.val, keys.train]);
  if (unfinished) run.unfinished = true;
  return { runs: [withMissing(run, reasons)], diagnostics, inputs };
}

export const mlflowReader: RunReader = {
  id: MLFLOW_FORMAT,
  label: 'MLflow',
  matches: isMlflowMeta,
  read: readMlflowRun,
};
