// MLflow's file store: mlruns/<experiment id>/<run id>/ with meta.yaml (run name, status,
// lifecycle stage), metrics/<key> (one "<timestamp> <value> <step>" line per logged value; keys
// with "/" are nested folders), params/<key> (the value, no newline) and tags/<key>. The
// experiment folder has a meta.yaml too, as do datasets and registered models: only a run's is
// read, the others are not this reader's.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { normaliseKey } from '../aliases';
import { type ConfigEntry } from '../entries';
import { applyFacts, describeNumber, findConfigFacts, numberOf } from '../facts';
import { KeyedCurves, lossKeys, lossNameFilter } from '../curves';
import { loadSmallText, sniffFile } from '../load';
import { yamlEntries } from '../yamlDoc';
import type { Diagnostic, Severity } from '../diagnostics';
import { forEachLine } from '../lines';
import { type Run, runId, withMissing } from '../run';
import { binaryMessage } from '../text';
import { describeValue, diagnostic } from '../validate';
import type { ReadContext, ReadResult, RunReader } from './types';

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
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') diagnostics.push(diagnostic(sub, undefined, undefined, `cannot read folder: ${(e as Error).message}`, 'warning'));
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
    }
  };
  await walk(dir, '', 0);
  if (truncated) diagnostics.push(diagnostic(dir, undefined, undefined, `more than ${MAX_FILES} files; the rest are not read`, 'warning'));
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
      diagnostics.push(diagnostic(file, undefined, key, binaryMessage(verdict, name), 'warning'));
      return {};
    }
  } catch (e) {
    diagnostics.push(diagnostic(file, undefined, key, `cannot read ${name}: ${(e as Error).message}`, 'warning'));
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
      if (++malformed <= MAX_LINE_DIAGNOSTICS) diagnostics.push(diagnostic(file, line, key, `expected "<timestamp> <value> <step>", got ${describeValue(text.length > 60 ? `${text.slice(0, 60)}…` : text)}; line skipped`, 'warning'));
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
    const scan = await forEachLine(file, (text, line) => {
      if (pending) handle(pending.text, pending.line);
      pending = { text, line };
    });
    endsWithNewline = scan.endsWithNewline;
  } catch (e) {
    diagnostics.push(diagnostic(file, undefined, key, `reading stopped: ${(e as Error).message}`, 'warning'));
  }
  // MLflow ends every line it writes: one without a newline was cut short, its digits maybe too.
  if (pending && !endsWithNewline) {
    diagnostics.push(diagnostic(file, pending.line, key, 'truncated last line (crashed or still-running run?); line skipped', unfinished ? 'info' : 'warning'));
  } else if (pending) handle(pending.text, pending.line);

  if (malformed > MAX_LINE_DIAGNOSTICS) {
    diagnostics.push(diagnostic(file, undefined, key, `${malformed - MAX_LINE_DIAGNOSTICS} more malformed line${malformed - MAX_LINE_DIAGNOSTICS === 1 ? '' : 's'} not listed`, 'warning'));
  }
  if (firstNonFinite) {
    const others = nonFinite > 1 ? ` and ${nonFinite - 1} more such value${nonFinite === 2 ? '' : 's'}` : '';
    diagnostics.push(diagnostic(file, firstNonFinite.line, key, `${key} is ${describeNumber(firstNonFinite.text)} on line ${firstNonFinite.line}${others}; left out of the curve`, 'warning'));
  }
  return result;
}

interface StatusRead {
  status: string;
  unfinished: boolean;
}

function readStatus(value: unknown, line: number | undefined, file: string, recovered: boolean, diagnostics: Diagnostic[]): StatusRead {
  if (value === undefined && recovered) {
    diagnostics.push(diagnostic(file, undefined, 'status', `the run's status could not be read past the syntax error; the run is treated as unfinished`, 'info'));
    return { status: 'unknown', unfinished: true };
  }
  // MLflow reads a run without a status as RUNNING.
  const name = value === undefined ? 'RUNNING' : typeof value === 'number' ? RUN_STATUS[value] : typeof value === 'string' ? value.trim().toUpperCase() : undefined;
  if (name === undefined || !STATUS_NAMES.has(name)) {
    diagnostics.push(diagnostic(file, line, 'status', `status ${describeValue(value)} is not an MLflow run status (1–5 or RUNNING, SCHEDULED, FINISHED, FAILED, KILLED); the run is treated as unfinished`, 'warning'));
    return { status: typeof value === 'string' ? value : describeValue(value), unfinished: true };
  }
  if (name !== 'FINISHED') {
    const why = value === undefined ? 'no status (MLflow reads that as RUNNING)' : `status ${name}`;
    diagnostics.push(diagnostic(file, line, 'status', `${why}: the run did not finish, so its losses are not end-of-training losses`, 'info'));
  }
  return { status: name, unfinished: name !== 'FINISHED' };
}

const nonEmpty = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined);

/** Reads one MLflow run, given the path of its meta.yaml. */
export async function readMlflowRun(metaPath: string, context: ReadContext): Promise<ReadResult> {
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
  if (loaded.absent) return { runs: [], diagnostics: [diagnostic(file, undefined, undefined, `${META_FILE} not found`, 'error')] };
  if (loaded.text === undefined) return hasRunFolders ? { runs: [], diagnostics: early, inputs } : { runs: [], diagnostics: [], notMine: true };
  const meta = yamlEntries(loaded.text, file, early, { severity: 'error' });
  const top = meta.top;
  const runUuid = nonEmpty(top.run_id) ?? nonEmpty(top.run_uuid);
  // Experiments and datasets have a meta.yaml with no run id; a registered model version's names
  // the run it came from but has no experiment_id; none has metrics/ or params/ beside it.
  if (!hasRunFolders && (!runUuid || top.experiment_id === undefined)) return { runs: [], diagnostics: [], notMine: true };
  const diagnostics: Diagnostic[] = [...early];
  if (!meta.isMapping && !meta.recovered) diagnostics.push(diagnostic(file, 1, undefined, `${META_FILE} should hold the run's fields (run_id, status, …)`, 'error'));
  const runIdText = runUuid ?? path.basename(runDir);

  const deleted = nonEmpty(top.lifecycle_stage)?.toLowerCase() === 'deleted';
  if (deleted || /[\\/]\.trash[\\/]/.test(file)) {
    const why = deleted ? 'its lifecycle_stage is "deleted"' : "it is in MLflow's .trash folder";
    diagnostics.push(diagnostic(file, meta.topLines.lifecycle_stage, 'lifecycle_stage', `run ${runIdText} was deleted in MLflow (${why}); not read`, 'info'));
    return { runs: [], diagnostics, inputs };
  }

  const { status, unfinished } = readStatus(top.status, meta.topLines.status, file, meta.recovered, diagnostics);

  // --- params and tags ----------------------------------------------------------------------------
  const entries: ConfigEntry[] = [];
  for (const { key, file: paramFile } of await listKeys(paramsDir, diagnostics)) {
    inputs.push(paramFile);
    const param = await loadSmallText(paramFile, diagnostics, { maxBytes: MAX_PARAM_BYTES });
    if (param.text !== undefined) entries.push({ key, value: param.text.replace(/\r?\n$/, ''), file: paramFile, line: 1 });
  }
  const tagName = (await loadSmallText(runNameFile, diagnostics, { maxBytes: MAX_PARAM_BYTES })).text?.trim();
  const experiment = await loadSmallText(experimentMeta, [], { maxBytes: MAX_PARAM_BYTES });
  const experimentName = experiment.text !== undefined ? nonEmpty(yamlEntries(experiment.text, experimentMeta, []).top.name) : undefined;

  // --- metrics: losses streamed into curves, the rest of interest by their latest value ------------
  const isLoss = lossNameFilter(context.aliases);
  const wanted = new Set(
    (['params', 'tokens', 'steps', 'batchSize', 'seqLen', 'postBits', 'postLoss', 'weightBits', 'actBits', 'kvBits'] as const).flatMap((f) => context.aliases[f].map(normaliseKey)),
  );
  const matters = (key: string): boolean => wanted.has(normaliseKey(key)) || wanted.has(normaliseKey(key.split('/').pop() ?? key));
  const curves = new KeyedCurves();
  const latest = new Map<string, { value: number; step: number; line: number; file: string }>();
  for (const { key, file: metricFile } of await listKeys(metricsDir, diagnostics)) {
    const loss = isLoss(key);
    if (!loss && !matters(key)) continue;
    inputs.push(metricFile);
    const read = await readMetric(key, metricFile, loss, curves, unfinished, diagnostics);
    if (read.latest) latest.set(key, { ...read.latest, file: metricFile });
    if (!loss && read.latest) entries.push({ key, value: read.latest.value, file: metricFile, line: read.latest.line });
  }

  const facts = findConfigFacts(entries, context.aliases, { file, where: "the run's params/ and metrics/" });
  diagnostics.push(...facts.diagnostics);

  // --- final loss: the latest value of the validation loss metric ----------------------------------
  const sources: Run['sources'] = {};
  let finalLoss: number | undefined;
  const keys = lossKeys([...latest.keys()].filter(isLoss), context.aliases);
  const reasons: NonNullable<Run['reasons']> = {};
  const last = keys.val !== undefined ? latest.get(keys.val) : undefined;
  if (keys.val !== undefined && last) {
    if (Number.isFinite(last.value) && last.value > 0) {
      finalLoss = last.value;
      sources.finalLoss = { file: last.file, line: last.line, field: keys.val };
    } else {
      // A diverged run's last loss is NaN: an earlier value would hide that.
      diagnostics.push(diagnostic(last.file, last.line, keys.val, `the latest ${keys.val} (step ${last.step}) is ${describeNumber(last.value)}: not a usable final loss (did the run diverge?); the run has no final loss`, 'warning'));
      reasons.finalLoss = `loss is ${describeNumber(last.value)} (the latest ${keys.val}, step ${last.step})`;
    }
  } else {
    const severity: Severity = unfinished ? 'info' : 'warning';
    diagnostics.push(diagnostic(file, undefined, 'finalLoss', `no validation loss among the run's metrics (looked for ${context.aliases.loss.slice(0, 5).join(', ')}, …)`, severity));
    reasons.finalLoss = unfinished ? `status ${status}` : 'no validation loss among the metrics';
  }

  const runMeta: Record<string, unknown> = { status, runId: runIdText };
  if (experimentName) runMeta.experiment = experimentName;
  for (const key of ['start_time', 'end_time'] as const) {
    const value = top[key];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) runMeta[key === 'start_time' ? 'started' : 'ended'] = new Date(value).toISOString();
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
