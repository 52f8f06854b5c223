// Weights & Biases local run folders: wandb/run-<date>_<time>-<id>/files/ (or offline-run-…)
// with wandb-summary.json (the last value of every logged key), config.yaml (each key as
// {desc, value}), wandb-metadata.json and, from older clients, wandb-history.jsonl. The full
// history of newer clients lives only in the binary run-<id>.wandb, which is not read: there the
// run has its final values but no curve.

import * as path from 'node:path';
import type { Node as JsonNode } from 'jsonc-parser';
import { type ConfigEntry } from '../entries';
import { applyFacts, countOf, describeNumber, findName, numberOf } from '../facts';
import { KeyedCurves, type LocatedValue, lossNameFilter } from '../curves';
import { jsonChild, jsonEntries, parseJsonWithLines } from '../jsonDoc';
import { loadSmallText, sniffFile } from '../load';
import { aliasesKey, cloneState } from '../resume';
import { yamlEntries } from '../yamlDoc';
import type { Diagnostic } from '../diagnostics';
import { forEachLine } from '../lines';
import { type Run, type SourceRef, runId, withMissing } from '../run';
import { binaryMessage, lineAt, verdictCode } from '../text';
import { diagnostic } from '../validate';
import type { ReadContext, ReadResult, RunReader } from './types';
import { MAX_LINE_DIAGNOSTICS, longLineDiagnostic, quoteBareNonFinite } from './metricsJsonl';
import {
  WORLD_SIZE_KEY,
  type WorldSize,
  argumentEntries,
  factsFromSeen,
  findWorldSize,
  isValidationLossName,
  notAtEnd,
  planNotFollowed,
  plannedCountEntries,
  plannedSteps,
  progressEntry,
  seenTokenEntries,
  seenTokenRank,
  trainingOnlyReason,
  validationLossKeys,
  worldSizeAssumed,
  worldSizeEntries,
} from './trackers';

export const WANDB_FORMAT = 'wandb';
export const WANDB_SUMMARY_FILE = 'wandb-summary.json';
const CONFIG_FILE = 'config.yaml';
const METADATA_FILE = 'wandb-metadata.json';
/** Command-line flags that set the training precision (HF TrainingArguments, Lightning, Accelerate). */
const PRECISION_FLAGS = new Set(['bf16', 'fp16', 'precision', 'mixed_precision', 'trainer.precision']);
const HISTORY_FILE = 'wandb-history.jsonl';

/** run-20240501_101500-3kx9q2ab, offline-run-…: the start time and the run id. */
const RUN_FOLDER = /^(offline-)?run-(\d{8})_(\d{6})-([A-Za-z0-9]+)$/;
/** Summaries hold histograms and tables too, but tens of megabytes is not a summary. */
const MAX_SUMMARY_BYTES = 16 * 1024 * 1024;
/** Run states of wandb-metadata.json that say the run ended without finishing. */
const FAILED_STATES = new Set(['failed', 'crashed', 'killed']);
/** A command line longer than this is not read for its world size. */
const MAX_ARGS = 2000;

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

/** What wandb-metadata.json says of the run: how it ended (old clients), its command line, the machine's GPUs. */
interface Metadata {
  status: Status;
  /** The command line's arguments (sys.argv[1:]), each on its line. */
  args: Array<{ text: string; line: number }>;
  /** GPUs on the machine of the process that logged (nvml's count, not the run's world size). */
  gpuCount?: { value: number; line: number };
}

/**
 * wandb-metadata.json: clients up to 0.10 recorded the final "state" and "exitcode" there; later
 * ones write "running" at the start and never update it, so only a failure is taken as a fact.
 */
async function readMetadata(file: string, diagnostics: Diagnostic[]): Promise<Metadata> {
  const metadata: Metadata = { status: { unfinished: false }, args: [] };
  const loaded = await loadSmallText(file, diagnostics);
  if (loaded.text === undefined) return metadata;
  const json = parseJsonWithLines(loaded.text, file, diagnostics);
  const status = metadata.status;
  const stateNode = jsonChild(json.root, 'state');
  const exitNode = jsonChild(json.root, 'exitcode') ?? jsonChild(json.root, 'exitCode');
  const line = (node: JsonNode): number => lineAt(json.starts, node.offset);
  if (stateNode && typeof stateNode.value === 'string') {
    status.state = stateNode.value;
    if (FAILED_STATES.has(stateNode.value.toLowerCase())) {
      status.unfinished = true;
      diagnostics.push(diagnostic(file, line(stateNode), 'state', `the run's state is "${stateNode.value}": it did not finish, so its losses are not end-of-training losses`, 'info', 'unfinished'));
    }
  }
  if (exitNode && typeof exitNode.value === 'number') {
    status.exitCode = exitNode.value;
    if (exitNode.value !== 0 && !status.unfinished) {
      status.unfinished = true;
      diagnostics.push(diagnostic(file, line(exitNode), 'exitcode', `the run exited with code ${exitNode.value}: it did not finish, so its losses are not end-of-training losses`, 'info', 'unfinished'));
    }
  }
  const args = jsonChild(json.root, 'args');
  if (args?.type === 'array') {
    for (const item of (args.children ?? []).slice(0, MAX_ARGS)) if (typeof item.value === 'string') metadata.args.push({ text: item.value, line: line(item) });
  }
  const gpus = jsonChild(json.root, 'gpu_count');
  if (gpus && typeof gpus.value === 'number' && Number.isInteger(gpus.value) && gpus.value >= 0) metadata.gpuCount = { value: gpus.value, line: line(gpus) };
  return metadata;
}

/** Words about the run's end, for reasons: "failed", "exited with code 1". */
function statusWords(status: Status): string | undefined {
  if (!status.unfinished) return undefined;
  if (status.state !== undefined && FAILED_STATES.has(status.state.toLowerCase())) return `state ${status.state}`;
  return status.exitCode !== undefined ? `exited with code ${status.exitCode}` : undefined;
}

/**
 * The world size: a key of the config (devices, world_size, …), else the command line's
 * (--nproc_per_node, --devices, --trainer.devices). The machine's gpu_count is not the run's: a
 * run on 4 of a node's 8 GPUs has gpu_count 8. Only a machine with a single GPU says 1.
 */
function wandbWorldSize(config: readonly ConfigEntry[], metadata: Metadata, metadataFile: string): WorldSize | undefined {
  const fromConfig = findWorldSize(config);
  if (fromConfig && 'value' in fromConfig) return fromConfig;
  const fromArgs = findWorldSize(argumentEntries(metadata.args, metadataFile));
  if (fromArgs && 'value' in fromArgs) return fromArgs;
  const gpus = metadata.gpuCount;
  if (gpus?.value === 1) return { value: 1, entry: { key: WORLD_SIZE_KEY, value: 1, file: metadataFile, line: gpus.line }, from: 'gpu_count 1' };
  return fromConfig ?? fromArgs;
}

function parseHistoryLine(text: string): Record<string, unknown> | undefined {
  for (const candidate of [text, quoteBareNonFinite(text)]) {
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
  /** Last seen-tokens value logged, with its line. */
  tokens?: ConfigEntry;
  /** The greatest _step of any row: where the run's logging got to. */
  lastStep?: number;
}

/** What readHistory knows after a line: kept by the scan to go on from when the history grows (resume.ts). */
interface HistoryState {
  history: History;
  problems: number;
  /** The first MAX_LINE_DIAGNOSTICS problem lines. */
  diagnostics: Diagnostic[];
  /** The last line, held back: only at the end is it known to be the last. */
  pending?: { text: string; line: number };
}

/** wandb-history.jsonl (clients before 0.10): one JSON object per logged step. */
async function readHistory(file: string, context: ReadContext, unfinished: boolean, diagnostics: Diagnostic[]): Promise<History | undefined> {
  const key = `${HISTORY_FILE} ${aliasesKey(context.aliases)}`;
  const from = await context.resume?.resume<HistoryState>(file, key);
  if (!from) {
    try {
      const verdict = await sniffFile(file);
      if (verdict !== 'text') {
        diagnostics.push(diagnostic(file, undefined, undefined, binaryMessage(verdict, HISTORY_FILE), 'warning', verdictCode(verdict)));
        return undefined;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') diagnostics.push(diagnostic(file, undefined, undefined, `cannot read ${HISTORY_FILE}: ${(e as Error).message}`, 'warning', 'unreadable'));
      return undefined;
    }
  }
  const isLoss = lossNameFilter(context.aliases);
  const tokenRank = seenTokenRank(context.aliases);
  const state: HistoryState = from?.state ?? { history: { curves: new KeyedCurves() }, problems: 0, diagnostics: [] };
  const { history } = state;
  const report = (d: Diagnostic): void => {
    if (++state.problems <= MAX_LINE_DIAGNOSTICS) state.diagnostics.push(d);
  };
  let endsWithNewline = true;
  const handle = (text: string, line: number, last: boolean): void => {
    if (text.trim() === '') return;
    const record = parseHistoryLine(text);
    if (!record) {
      const cut = last && !endsWithNewline;
      report(diagnostic(file, line, undefined, cut ? 'truncated last line (crashed or still-running run?); line skipped' : 'not a JSON object; line skipped', cut && unfinished ? 'info' : 'warning', cut ? 'truncated' : 'syntax'));
      return;
    }
    const step = typeof record._step === 'number' && Number.isFinite(record._step) && record._step >= 0 ? record._step : line - 1;
    history.lastStep = Math.max(history.lastStep ?? 0, step);
    let tokens: number | undefined;
    let bestRank = Infinity;
    for (const [key, value] of Object.entries(record)) {
      const rank = tokenRank(key);
      if (rank >= 0 && rank < bestRank && countOf(value) !== undefined) {
        bestRank = rank;
        tokens = countOf(value);
        history.tokens = { key, value, file, line };
      }
    }
    for (const [key, value] of Object.entries(record)) {
      if (!isLoss(key)) continue;
      const loss = numberOf(value);
      if (loss === undefined) continue;
      if (!Number.isFinite(loss) || loss <= 0) {
        report(diagnostic(file, line, key, `${key} is ${describeNumber(value)} at step ${step}; point left out of the curve`, 'warning', 'bad-value'));
        continue;
      }
      const point: LocatedValue = { step, value: loss, line, file };
      if (tokens !== undefined) point.tokens = tokens;
      history.curves.add(key, point);
    }
  };
  const flush = (): void => {
    if (state.pending) handle(state.pending.text, state.pending.line, false);
    state.pending = undefined;
  };
  let stopped: Diagnostic | undefined;
  let kept: HistoryState | undefined;
  try {
    const scan = await forEachLine(
      file,
      (text, line) => {
        flush();
        state.pending = { text, line };
      },
      {
        start: from?.mark.offset,
        startLine: from?.mark.lines,
        onLongLine: (line, bytes) => {
          flush();
          report(longLineDiagnostic(file, line, bytes, undefined));
        },
        onComplete: (at) => {
          if (context.resume?.worthKeeping(at.offset)) kept = cloneState(state);
        },
      },
    );
    endsWithNewline = scan.endsWithNewline;
    context.resume?.keep(file, key, scan, kept, from);
  } catch (e) {
    stopped = diagnostic(file, undefined, undefined, `reading stopped: ${(e as Error).message}`, 'warning', 'unreadable');
  }
  if (state.pending) handle(state.pending.text, state.pending.line, true);
  diagnostics.push(...state.diagnostics);
  if (stopped) diagnostics.push(stopped);
  if (state.problems > MAX_LINE_DIAGNOSTICS) {
    const more = state.problems - MAX_LINE_DIAGNOSTICS;
    diagnostics.push(diagnostic(file, undefined, undefined, `${more} more problem line${more === 1 ? '' : 's'} not listed`, 'warning', 'truncated'));
  }
  return history;
}

/** "20240501", "101500" → ISO time (local time of the machine that ran it, so no zone). */
function startTime(date: string, time: string): string {
  return `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4)}`;
}

/** A W&B run folder's files, read and parsed: what the run's N, D, precision and final loss are decided from. */
export interface WandbRunFiles {
  file: string;
  runDir: string;
  configFile: string;
  metadataFile: string;
  historyFile: string;
  inputs: string[];
  diagnostics: Diagnostic[];
  /** run-<date>_<time>-<id> parts, when the folder is named so. */
  folder?: RegExpExecArray;
  summaryEntries: ConfigEntry[];
  configEntries: ConfigEntry[];
  hasConfig: boolean;
  metadata: Metadata;
  history?: History;
  world?: WorldSize;
  /** What the facts engine is given: config, summary, the history's last seen-tokens count, the world size. */
  factEntries: ConfigEntry[];
}

/** Reads a W&B run folder's files, given the path of its files/wandb-summary.json; a ReadResult when there is no run to decide. */
export async function loadWandbRun(summaryPath: string, context: ReadContext): Promise<WandbRunFiles | { result: ReadResult }> {
  const file = path.resolve(summaryPath);
  const filesDir = path.dirname(file);
  const runDir = path.dirname(filesDir);
  const folder = RUN_FOLDER.exec(path.basename(runDir)) ?? undefined;
  const configFile = path.join(filesDir, CONFIG_FILE);
  const metadataFile = path.join(filesDir, METADATA_FILE);
  const historyFile = path.join(filesDir, HISTORY_FILE);
  const inputs = [configFile, metadataFile, historyFile];
  const diagnostics: Diagnostic[] = [];

  const summary = await loadSmallText(file, diagnostics, { maxBytes: MAX_SUMMARY_BYTES, severity: 'error' });
  if (summary.absent) diagnostics.push(diagnostic(file, undefined, undefined, `${WANDB_SUMMARY_FILE} not found`, 'error', 'not-found'));
  if (summary.text === undefined) return { result: { runs: [], diagnostics, inputs } };

  // --- summary: the final value of every key --------------------------------------------------
  let summaryEntries: ConfigEntry[] = [];
  if (summary.text.trim() === '') {
    diagnostics.push(diagnostic(file, undefined, undefined, `${WANDB_SUMMARY_FILE} is empty (the run may have just started)`, 'info', 'unfinished'));
  } else {
    const syntax: Diagnostic[] = [];
    const json = parseJsonWithLines(summary.text, file, syntax, 'error');
    // Valid JSON that is not an object is some other file with this name.
    if (json.root && json.root.type !== 'object' && syntax.length === 0) return { result: { runs: [], diagnostics: [], notMine: true } };
    diagnostics.push(...syntax);
    if (json.root?.type === 'object') {
      summaryEntries = jsonEntries(json, file, notASetting);
    } else if (syntax.length === 0) diagnostics.push(diagnostic(file, 1, undefined, `${WANDB_SUMMARY_FILE} holds no JSON object`, 'error', 'syntax'));
  }

  // --- config.yaml: everything wandb.config was given (HF's WandbCallback: the model config and TrainingArguments) ---
  let configEntries: ConfigEntry[] = [];
  const config = await loadSmallText(configFile, diagnostics);
  if (config.text !== undefined) {
    const parsed = yamlEntries(config.text, configFile, diagnostics, { unwrapValue: true });
    configEntries = parsed.entries.filter((e) => e.key !== 'wandb_version' && e.key !== '_wandb' && !e.key.startsWith('_wandb.'));
  }

  const metadata = await readMetadata(metadataFile, diagnostics);
  const history = await readHistory(historyFile, context, metadata.status.unfinished, diagnostics);
  const world = wandbWorldSize(configEntries, metadata, metadataFile);
  const logged = [...configEntries, ...summaryEntries, ...(history?.tokens ? [history.tokens] : [])];
  const run: WandbRunFiles = {
    file,
    runDir,
    configFile,
    metadataFile,
    historyFile,
    inputs,
    diagnostics,
    summaryEntries,
    configEntries,
    hasConfig: config.text !== undefined,
    metadata,
    // The command line's precision flags last: older callbacks logged no TrainingArguments, and
    // `--bf16 True` is then the only word on precision (its steps and batches are the plan, which
    // the summary's progress decides over, so they stay out).
    factEntries: [...logged, ...worldSizeEntries(world, logged), ...argumentEntries(metadata.args, metadataFile).filter((e) => PRECISION_FLAGS.has(e.key))],
  };
  if (folder) run.folder = folder;
  if (history) run.history = history;
  if (world) run.world = world;
  return run;
}

/** Reads one W&B run folder, given the path of its files/wandb-summary.json. */
export async function readWandbRun(summaryPath: string, context: ReadContext): Promise<ReadResult> {
  const loaded = await loadWandbRun(summaryPath, context);
  if ('result' in loaded) return loaded.result;
  const { file, runDir, folder, configFile, metadataFile, summaryEntries, configEntries, metadata, history, world, diagnostics, inputs } = loaded;
  const status = metadata.status;
  const reasons: NonNullable<Run['reasons']> = {};

  // --- N, D, precision, PTQ from config and summary; D from what the run saw -----------------------
  const searched = loaded.hasConfig ? `${CONFIG_FILE} and ${WANDB_SUMMARY_FILE}` : `${WANDB_SUMMARY_FILE} (no ${CONFIG_FILE} beside it)`;
  const progress = progressEntry(summaryEntries);
  const { facts, tokensReason } = factsFromSeen({
    entries: loaded.factEntries,
    planned: plannedCountEntries(configEntries, context.aliases),
    plannedFiles: new Set([configFile]),
    seen: seenTokenEntries([...summaryEntries, ...(history?.tokens ? [history.tokens] : [])], context.aliases),
    notFollowed: planNotFollowed(statusWords(status), progress, plannedSteps(configEntries, context.aliases)),
    loggedIn: WANDB_SUMMARY_FILE,
    aliases: context.aliases,
    facts: { file: loaded.hasConfig ? configFile : file, where: searched },
  });
  diagnostics.push(...facts.diagnostics);
  if (tokensReason !== undefined) reasons.tokens = tokensReason;
  const gpus = metadata.gpuCount;
  const hint = gpus && gpus.value > 1 ? `; ${METADATA_FILE} lists ${gpus.value} GPUs on the machine (gpu_count), which need not be how many the run used` : '';
  const assumed = worldSizeAssumed(facts, world, metadataFile, hint);
  if (assumed) diagnostics.push(assumed);

  // --- final loss: the summary's validation loss, else the last one in the history, if it is from the end of training ---
  const sources: Run['sources'] = {};
  let finalLoss: number | undefined;
  const historyKeys = history?.curves.keys() ?? [];
  const summaryKeys = summaryEntries.map((e) => e.key);
  const fromSummary = validationLossKeys(summaryKeys, context.aliases).val;
  const keys = validationLossKeys([...(fromSummary ? [fromSummary] : []), ...summaryKeys.filter((k) => k !== fromSummary), ...historyKeys], context.aliases);
  const curveKeys = validationLossKeys(fromSummary ? [fromSummary, ...historyKeys] : historyKeys, context.aliases);
  const lastStep = Math.max(history?.lastStep ?? -1, numberOf(summaryEntries.find((e) => e.key === '_step')?.value) ?? -1);
  /** Why a validation loss is not from the end of training, by what the summary and history say. */
  const notFinal = (key: string): string | undefined => {
    // W&B's summary keeps a key's last value, not its step: a step counter of 0 says everything was logged before training.
    if (progress && progress.value === 0) return `the only ${key} comes from step 0, before any training (${progress.key} is 0 in the summary)`;
    return notAtEnd(history?.curves.last(key)?.step, lastStep >= 0 ? lastStep : undefined, key);
  };
  const useLoss = (value: number, source: SourceRef, key: string, line: number | undefined): void => {
    const why = notFinal(key);
    if (why) {
      diagnostics.push(diagnostic(source.file, line, key, `${why}; the run has no final loss`, 'warning', 'missing-field'));
      reasons.finalLoss = why;
      return;
    }
    finalLoss = value;
    sources.finalLoss = source;
  };
  if (fromSummary) {
    const entry = summaryEntries.find((e) => e.key === fromSummary) as ConfigEntry;
    const loss = numberOf(entry.value);
    if (loss !== undefined && Number.isFinite(loss) && loss > 0) {
      useLoss(loss, { file, line: entry.line, field: entry.key }, entry.key, entry.line);
    } else {
      // A NaN final loss says the run diverged; an earlier loss would hide that.
      diagnostics.push(diagnostic(file, entry.line, entry.key, `${entry.key} is ${describeNumber(entry.value)}: not a usable final loss (did the run diverge?); the run has no final loss`, 'warning', 'bad-value'));
      reasons.finalLoss = `loss is ${describeNumber(entry.value)} (${entry.key} in the summary)`;
    }
  } else {
    const last = curveKeys.val ? history?.curves.last(curveKeys.val) : undefined;
    if (last && curveKeys.val) {
      const before = diagnostics.length;
      useLoss(last.value, { file: last.file, line: last.line, field: curveKeys.val }, curveKeys.val, last.line);
      if (finalLoss !== undefined && diagnostics.length === before) {
        diagnostics.push(diagnostic(file, undefined, 'finalLoss', `no validation loss in ${WANDB_SUMMARY_FILE}; using the last ${curveKeys.val} in ${HISTORY_FILE} (line ${last.line}, step ${last.step}): ${last.value}`, 'info', 'derived'));
      }
    } else {
      const looked = validationNames(context.aliases);
      const binary = folder ? `run-${folder[4]}.wandb` : 'the run-<id>.wandb file';
      const trainOnly = keys.train !== undefined ? ` (only a training loss, ${keys.train})` : '';
      diagnostics.push(
        diagnostic(
          file,
          undefined,
          'finalLoss',
          `no validation loss in ${WANDB_SUMMARY_FILE}${history ? ` or ${HISTORY_FILE}` : ''}${trainOnly} (looked for ${looked}, …); W&B keeps the full history only in the binary ${binary}, which is not read`,
          status.unfinished ? 'info' : 'warning',
          'missing-field',
        ),
      );
      const said = status.state !== undefined && status.unfinished ? status.state : status.exitCode ? `exited with code ${status.exitCode}` : undefined;
      reasons.finalLoss = said ?? (keys.train !== undefined ? trainingOnlyReason(keys.train) : `no validation loss in ${WANDB_SUMMARY_FILE}`);
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
  if (history) run.curve = history.curves.curve([curveKeys.val, curveKeys.train]);
  if (status.unfinished) run.unfinished = true;
  return { runs: [withMissing(run, reasons)], diagnostics, inputs };
}

/** The first validation-loss aliases, for "looked for …" messages. */
const validationNames = (aliases: ReadContext['aliases']): string =>
  aliases.loss
    .filter((a) => isValidationLossName(a, aliases))
    .slice(0, 4)
    .join(', ');

export const wandbReader: RunReader = {
  id: WANDB_FORMAT,
  label: 'Weights & Biases',
  matches: isWandbSummary,
  read: readWandbRun,
};
