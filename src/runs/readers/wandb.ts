// Weights & Biases local run folders: wandb/run-<date>_<time>-<id>/files/ (or offline-run-…)
// with wandb-summary.json (the last value of every logged key), config.yaml (each key as
// {desc, value}), wandb-metadata.json and, from older clients, wandb-history.jsonl. The full
// history of newer clients lives only in the binary run-<id>.wandb, which is not read: there the
// run has its final values but no curve.

import * as path from 'node:path';
import type { Node as JsonNode } from 'jsonc-parser';
import { normaliseKey } from '../aliases';
import { type ConfigEntry } from '../entries';
import { applyFacts, countOf, describeNumber, findConfigFacts, findName, numberOf } from '../facts';
import { KeyedCurves, type LocatedValue, lossKeys, lossNameFilter } from '../curves';
import { jsonChild, jsonEntries, parseJsonWithLines } from '../jsonDoc';
import { loadSmallText, sniffFile } from '../load';
import { yamlEntries } from '../yamlDoc';
import type { Diagnostic } from '../diagnostics';
import { forEachLine } from '../lines';
import { type Run, runId, withMissing } from '../run';
import { binaryMessage, lineAt } from '../text';
import { diagnostic } from '../validate';
import type { ReadContext, ReadResult, RunReader } from './types';
import { MAX_LINE_DIAGNOSTICS } from './metricsJsonl';

export const WANDB_FORMAT = 'wandb';
export const WANDB_SUMMARY_FILE = 'wandb-summary.json';
const CONFIG_FILE = 'config.yaml';
const METADATA_FILE = 'wandb-metadata.json';
const HISTORY_FILE = 'wandb-history.jsonl';

/** run-20240501_101500-3kx9q2ab, offline-run-…: the start time and the run id. */
const RUN_FOLDER = /^(offline-)?run-(\d{8})_(\d{6})-([A-Za-z0-9]+)$/;
/** Summaries hold histograms and tables too, but tens of megabytes is not a summary. */
const MAX_SUMMARY_BYTES = 16 * 1024 * 1024;
/** Run states of wandb-metadata.json that say the run ended without finishing. */
const FAILED_STATES = new Set(['failed', 'crashed', 'killed']);

export function isWandbSummary(baseName: string, file: string): boolean {
  return baseName === WANDB_SUMMARY_FILE && path.basename(path.dirname(file)) === 'files';
}

/** Media, histograms and tables are objects with a "_type"; "_wandb" is the client's own bookkeeping. */
function notASetting(key: string, node: JsonNode): boolean {
  return key === '_wandb' || key.startsWith('_wandb.') || (node.type === 'object' && jsonChild(node, '_type') !== undefined);
}

interface Status {
  unfinished: boolean;
  state?: string;
  exitCode?: number;
}

/**
 * wandb-metadata.json: clients up to 0.10 recorded the final "state" and "exitcode" there; later
 * ones write "running" at the start and never update it, so only a failure is taken as a fact.
 */
async function readStatus(file: string, diagnostics: Diagnostic[]): Promise<Status> {
  const loaded = await loadSmallText(file, diagnostics);
  if (loaded.text === undefined) return { unfinished: false };
  const json = parseJsonWithLines(loaded.text, file, diagnostics);
  const status: Status = { unfinished: false };
  const stateNode = jsonChild(json.root, 'state');
  const exitNode = jsonChild(json.root, 'exitcode') ?? jsonChild(json.root, 'exitCode');
  const line = (node: JsonNode): number => lineAt(json.starts, node.offset);
  if (stateNode && typeof stateNode.value === 'string') {
    status.state = stateNode.value;
    if (FAILED_STATES.has(stateNode.value.toLowerCase())) {
      status.unfinished = true;
      diagnostics.push(diagnostic(file, line(stateNode), 'state', `the run's state is "${stateNode.value}": it did not finish, so its losses are not end-of-training losses`, 'info'));
    }
  }
  if (exitNode && typeof exitNode.value === 'number') {
    status.exitCode = exitNode.value;
    if (exitNode.value !== 0 && !status.unfinished) {
      status.unfinished = true;
      diagnostics.push(diagnostic(file, line(exitNode), 'exitcode', `the run exited with code ${exitNode.value}: it did not finish, so its losses are not end-of-training losses`, 'info'));
    }
  }
  return status;
}

/** Python's json writes NaN and Infinity bare; quoted, the rest of such a line still parses. */
const BARE_NON_FINITE = /(?<=[:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g;

function parseHistoryLine(text: string): Record<string, unknown> | undefined {
  for (const candidate of [text, text.replace(BARE_NON_FINITE, '"$1"')]) {
    try {
      const value: unknown = JSON.parse(candidate);
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      // tried again with bare NaN quoted, then given up
    }
  }
  return undefined;
}

interface History {
  curves: KeyedCurves;
  /** Last tokens-like value logged, with its line. */
  tokens?: ConfigEntry;
}

/** wandb-history.jsonl (clients before 0.10): one JSON object per logged step. */
async function readHistory(file: string, context: ReadContext, unfinished: boolean, diagnostics: Diagnostic[]): Promise<History | undefined> {
  try {
    const verdict = await sniffFile(file);
    if (verdict !== 'text') {
      diagnostics.push(diagnostic(file, undefined, undefined, binaryMessage(verdict, HISTORY_FILE), 'warning'));
      return undefined;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') diagnostics.push(diagnostic(file, undefined, undefined, `cannot read ${HISTORY_FILE}: ${(e as Error).message}`, 'warning'));
    return undefined;
  }
  const isLoss = lossNameFilter(context.aliases);
  // One-letter aliases ("D") are too ambiguous among logged metric names.
  const tokenNames = new Set(context.aliases.tokens.filter((t) => t.length > 1).map(normaliseKey));
  const history: History = { curves: new KeyedCurves() };
  let problems = 0;
  const report = (d: Diagnostic): void => {
    if (++problems <= MAX_LINE_DIAGNOSTICS) diagnostics.push(d);
  };
  let pending: { text: string; line: number } | undefined;
  let endsWithNewline = true;
  const handle = (text: string, line: number, last: boolean): void => {
    if (text.trim() === '') return;
    const record = parseHistoryLine(text);
    if (!record) {
      const cut = last && !endsWithNewline;
      report(diagnostic(file, line, undefined, cut ? 'truncated last line (crashed or still-running run?); line skipped' : 'not a JSON object; line skipped', cut && unfinished ? 'info' : 'warning'));
      return;
    }
    const step = typeof record._step === 'number' && Number.isFinite(record._step) && record._step >= 0 ? record._step : line - 1;
    let tokens: number | undefined;
    for (const [key, value] of Object.entries(record)) {
      const leaf = normaliseKey(key.split('/').pop() ?? key);
      if (tokenNames.has(leaf) && countOf(value) !== undefined) {
        tokens = countOf(value);
        history.tokens = { key, value, file, line };
      }
    }
    for (const [key, value] of Object.entries(record)) {
      if (!isLoss(key)) continue;
      const loss = numberOf(value);
      if (loss === undefined) continue;
      if (!Number.isFinite(loss) || loss <= 0) {
        report(diagnostic(file, line, key, `${key} is ${describeNumber(value)} at step ${step}; point left out of the curve`, 'warning'));
        continue;
      }
      const point: LocatedValue = { step, value: loss, line, file };
      if (tokens !== undefined) point.tokens = tokens;
      history.curves.add(key, point);
    }
  };
  try {
    const scan = await forEachLine(file, (text, line) => {
      if (pending) handle(pending.text, pending.line, false);
      pending = { text, line };
    });
    endsWithNewline = scan.endsWithNewline;
  } catch (e) {
    diagnostics.push(diagnostic(file, undefined, undefined, `reading stopped: ${(e as Error).message}`, 'warning'));
  }
  if (pending) handle(pending.text, pending.line, true);
  if (problems > MAX_LINE_DIAGNOSTICS) {
    const more = problems - MAX_LINE_DIAGNOSTICS;
    diagnostics.push(diagnostic(file, undefined, undefined, `${more} more problem line${more === 1 ? '' : 's'} not listed`, 'warning'));
  }
  return history;
}

/** "20240501", "101500" → ISO time (local time of the machine that ran it, so no zone). */
function startTime(date: string, time: string): string {
  return `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4)}`;
}

/** Reads one W&B run folder, given the path of its files/wandb-summary.json. */
export async function readWandbRun(summaryPath: string, context: ReadContext): Promise<ReadResult> {
  const file = path.resolve(summaryPath);
  const filesDir = path.dirname(file);
  const runDir = path.dirname(filesDir);
  const folder = RUN_FOLDER.exec(path.basename(runDir));
  const configFile = path.join(filesDir, CONFIG_FILE);
  const metadataFile = path.join(filesDir, METADATA_FILE);
  const historyFile = path.join(filesDir, HISTORY_FILE);
  const inputs = [configFile, metadataFile, historyFile];
  const diagnostics: Diagnostic[] = [];

  const summary = await loadSmallText(file, diagnostics, { maxBytes: MAX_SUMMARY_BYTES, severity: 'error' });
  if (summary.absent) diagnostics.push(diagnostic(file, undefined, undefined, `${WANDB_SUMMARY_FILE} not found`, 'error'));
  if (summary.text === undefined) return { runs: [], diagnostics, inputs };

  // --- summary: the final value of every key --------------------------------------------------
  let summaryEntries: ConfigEntry[] = [];
  if (summary.text.trim() === '') {
    diagnostics.push(diagnostic(file, undefined, undefined, `${WANDB_SUMMARY_FILE} is empty (the run may have just started)`, 'info'));
  } else {
    const syntax: Diagnostic[] = [];
    const json = parseJsonWithLines(summary.text, file, syntax, 'error');
    // Valid JSON that is not an object is some other file with this name.
    if (json.root && json.root.type !== 'object' && syntax.length === 0) return { runs: [], diagnostics: [], notMine: true };
    diagnostics.push(...syntax);
    if (json.root?.type === 'object') {
      summaryEntries = jsonEntries(json, file, notASetting);
    } else if (syntax.length === 0) diagnostics.push(diagnostic(file, 1, undefined, `${WANDB_SUMMARY_FILE} holds no JSON object`, 'error'));
  }

  // --- config.yaml -------------------------------------------------------------------------------
  let configEntries: ConfigEntry[] = [];
  const config = await loadSmallText(configFile, diagnostics);
  if (config.text !== undefined) {
    const parsed = yamlEntries(config.text, configFile, diagnostics, { unwrapValue: true });
    configEntries = parsed.entries.filter((e) => e.key !== 'wandb_version' && e.key !== '_wandb' && !e.key.startsWith('_wandb.'));
  }

  const status = await readStatus(metadataFile, diagnostics);
  const history = await readHistory(historyFile, context, status.unfinished, diagnostics);

  // --- N, D, precision, PTQ from config and summary ------------------------------------------------
  const searched = config.text !== undefined ? `${CONFIG_FILE} and ${WANDB_SUMMARY_FILE}` : `${WANDB_SUMMARY_FILE} (no ${CONFIG_FILE} beside it)`;
  const extra: ConfigEntry[] = history?.tokens ? [history.tokens] : [];
  const facts = findConfigFacts([...configEntries, ...summaryEntries, ...extra], context.aliases, {
    file: config.text !== undefined ? configFile : file,
    where: searched,
  });
  diagnostics.push(...facts.diagnostics);

  // --- final loss: the summary's, else the last one in the history -------------------------------
  const sources: Run['sources'] = {};
  let finalLoss: number | undefined;
  const reasons: NonNullable<Run['reasons']> = {};
  const historyKeys = history?.curves.keys() ?? [];
  const fromSummary = lossKeys(
    summaryEntries.map((e) => e.key),
    context.aliases,
  ).val;
  const keys = lossKeys(fromSummary ? [fromSummary, ...historyKeys] : historyKeys, context.aliases);
  if (fromSummary) {
    const entry = summaryEntries.find((e) => e.key === fromSummary) as ConfigEntry;
    const loss = numberOf(entry.value);
    if (loss !== undefined && Number.isFinite(loss) && loss > 0) {
      finalLoss = loss;
      sources.finalLoss = { file, line: entry.line, field: entry.key };
    } else {
      // A NaN final loss says the run diverged; an earlier loss would hide that.
      diagnostics.push(diagnostic(file, entry.line, entry.key, `${entry.key} is ${describeNumber(entry.value)}: not a usable final loss (did the run diverge?); the run has no final loss`, 'warning'));
      reasons.finalLoss = `loss is ${describeNumber(entry.value)} (${entry.key} in the summary)`;
    }
  } else {
    const last = keys.val ? history?.curves.last(keys.val) : undefined;
    if (last && keys.val) {
      finalLoss = last.value;
      sources.finalLoss = { file: last.file, line: last.line, field: keys.val };
      diagnostics.push(diagnostic(file, undefined, 'finalLoss', `no validation loss in ${WANDB_SUMMARY_FILE}; using the last ${keys.val} in ${HISTORY_FILE} (line ${last.line}, step ${last.step}): ${last.value}`, 'info'));
    } else {
      const looked = context.aliases.loss.slice(0, 4).join(', ');
      const binary = folder ? `run-${folder[4]}.wandb` : 'the run-<id>.wandb file';
      diagnostics.push(
        diagnostic(
          file,
          undefined,
          'finalLoss',
          `no validation loss in ${WANDB_SUMMARY_FILE}${history ? ` or ${HISTORY_FILE}` : ''} (looked for ${looked}, …); W&B keeps the full history only in the binary ${binary}, which is not read`,
          status.unfinished ? 'info' : 'warning',
        ),
      );
      const said = status.state !== undefined && status.unfinished ? status.state : status.exitCode ? `exited with code ${status.exitCode}` : undefined;
      reasons.finalLoss = said ?? `no validation loss in ${WANDB_SUMMARY_FILE}`;
    }
  }


  const meta: Record<string, unknown> = {};
  if (folder) {
    meta.wandbId = folder[4];
    meta.started = startTime(folder[2], folder[3]);
    if (folder[1]) meta.offline = true;
  }
  for (const [key, name] of [
    ['_step', 'step'],
    ['_runtime', 'runtimeSeconds'],
  ] as const) {
    const value = summaryEntries.find((e) => e.key === key)?.value;
    if (typeof value === 'number' && Number.isFinite(value)) meta[name] = value;
  }
  // "running" is what newer clients leave there whatever happened; it says nothing.
  if (status.state !== undefined && status.state !== 'running') meta.state = status.state;
  if (status.exitCode !== undefined) meta.exitCode = status.exitCode;
  if (facts.tokens?.product) meta.tokensFrom = 'steps × batch size × sequence length';

  const run: Omit<Run, 'missing'> = {
    id: runId(file, context.root),
    name: findName(configEntries, context.aliases) ?? path.basename(runDir),
    format: WANDB_FORMAT,
    file,
    ptq: facts.ptq,
    sources,
    meta,
  };
  applyFacts(run, facts);
  if (finalLoss !== undefined) run.finalLoss = finalLoss;
  if (history) run.curve = history.curves.curve([keys.val, keys.train]);
  if (status.unfinished) run.unfinished = true;
  return { runs: [withMissing(run, reasons)], diagnostics, inputs };
}

export const wandbReader: RunReader = {
  id: WANDB_FORMAT,
  label: 'Weights & Biases',
  matches: isWandbSummary,
  read: readWandbRun,
};
