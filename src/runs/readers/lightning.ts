// PyTorch Lightning's CSVLogger: <save_dir>/<name>/version_<n>/metrics.csv (a column for
// "epoch", "step" and every logged metric; each row fills only the metrics logged at that step)
// with hparams.yaml beside it (the module's save_hyperparameters()), and config.yaml when the run
// was started from LightningCLI (where trainer.precision, trainer.devices and trainer.num_nodes
// live). The CSV carries no run status. A metric logged in training_step under a bare name
// ("loss") is the training loss; only held-out names (val_loss, val/loss, test_loss, …) are
// final losses. Where no file gives the precision, the Trainer's documented default, "32-true",
// is taken and said so.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse';
import { normaliseKey } from '../aliases';
import { type ConfigEntry } from '../entries';
import { EntryIndex, applyFacts, describeNumber, numberOf, parseConfigPrecision } from '../facts';
import { KeyedCurves, type LocatedValue } from '../curves';
import { loadSmallText, openRegular, readRegularAt, sniffFile } from '../load';
import { yamlEntries } from '../yamlDoc';
import type { Diagnostic } from '../diagnostics';
import { type Run, type TrainingPrecision, runId, withMissing } from '../run';
import { TOOL_DEFAULT_PRECISION } from '../defaults';
import { binaryMessage, verdictCode } from '../text';
import { diagnostic } from '../validate';
import type { ReadContext, ReadResult, RunReader } from './types';
import { MAX_LINE_DIAGNOSTICS } from './metricsJsonl';
import {
  LIGHTNING_DEFAULT_PRECISION,
  type WorldSize,
  factsFromSeen,
  findWorldSize,
  isValidationLossName,
  notAtEnd,
  planNotFollowed,
  plannedCountEntries,
  plannedSteps,
  precisionWritten,
  seenTokenEntries,
  trainingOnlyReason,
  validationLossKeys,
  worldSizeAssumed,
  worldSizeEntries,
} from './trackers';

export const LIGHTNING_FORMAT = 'lightning';
export const METRICS_CSV = 'metrics.csv';
const HPARAMS_FILE = 'hparams.yaml';
const CLI_CONFIG_FILE = 'config.yaml';

export function isLightningMetrics(baseName: string, file: string): boolean {
  return baseName === METRICS_CSV && (/^version_/.test(path.basename(path.dirname(file))) || /(?:^|[\\/])lightning_logs[\\/]/.test(file));
}

/** Lightning names a metric logged both per step and per epoch "<name>_step" and "<name>_epoch". */
const EPOCH_SUFFIX = /_epoch$/;

interface Columns {
  step: number;
  epoch: number;
  val?: string;
  train?: string;
  /** Indices of val and train. */
  valIndex: number;
  trainIndex: number;
  tokens?: number;
  /** Columns whose last value may name N, D or a PTQ result. */
  facts: number[];
}

function findColumns(header: readonly string[], context: ReadContext): Columns {
  const index = (name: string): number => header.indexOf(name);
  // "val_loss_epoch" stands in for "val_loss" when only the suffixed form was logged.
  const names = [...header];
  for (const name of header) {
    const bare = name.replace(EPOCH_SUFFIX, '');
    if (bare !== name && !header.includes(bare)) names.push(bare);
  }
  const val = validationLossKeys(names, context.aliases).val;
  // The per-step training loss makes the denser curve, so the suffixed names are not merged for it.
  const train = validationLossKeys(
    header.filter((name) => name !== val && `${name}` !== `${val}_epoch`),
    context.aliases,
  ).train;
  const column = (key: string | undefined): string | undefined => (key === undefined || header.includes(key) ? key : `${key}_epoch`);
  const tokenNames = new Set(context.aliases.tokens.filter((t) => t.length > 1).map(normaliseKey));
  const wanted = new Set(
    (['params', 'tokens', 'postBits', 'postLoss'] as const).flatMap((f) => context.aliases[f].filter((t) => t.length > 1).map(normaliseKey)),
  );
  const leaf = (name: string): string => normaliseKey(name.split('/').pop() ?? name);
  const tokens = header.findIndex((name) => tokenNames.has(normaliseKey(name)) || tokenNames.has(leaf(name)));
  const valColumn = column(val);
  const columns: Columns = {
    step: index('step'),
    epoch: index('epoch'),
    valIndex: valColumn === undefined ? -1 : index(valColumn),
    trainIndex: train === undefined ? -1 : index(train),
    facts: header.flatMap((name, i) => (wanted.has(normaliseKey(name)) || wanted.has(leaf(name)) ? [i] : [])),
  };
  if (valColumn !== undefined) columns.val = valColumn;
  if (train !== undefined) columns.train = train;
  if (tokens >= 0) columns.tokens = tokens;
  return columns;
}

async function endsWithNewline(file: string, size: number): Promise<boolean> {
  if (size === 0) return true;
  const [last] = await readRegularAt(file, size - 1, 1);
  return last === 10 || last === 13;
}

interface CsvRead {
  header?: string[];
  columns?: Columns;
  curves: KeyedCurves;
  /** The last value written in the validation loss column, finite or not. */
  lastVal?: { value: number; text: string; step: number; line: number };
  lastStep?: number;
  lastEpoch?: number;
  rows: number;
  /** Last values of the columns that may hold N, D or PTQ results. */
  entries: ConfigEntry[];
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

async function readCsv(file: string, context: ReadContext, diagnostics: Diagnostic[]): Promise<CsvRead> {
  const result: CsvRead = { curves: new KeyedCurves(), rows: 0, entries: [] };
  const opened = await openRegular(file);
  let terminated: boolean;
  try {
    terminated = await endsWithNewline(file, (await opened.stat()).size);
  } catch (e) {
    await opened.close();
    throw e;
  }
  let problems = 0;
  const rowDiagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic): void => {
    if (++problems <= MAX_LINE_DIAGNOSTICS) rowDiagnostics.push(d);
  };
  const source = opened.createReadStream();
  const parser = source.pipe(parse({ info: true, relax_column_count: true, skip_records_with_error: true, skip_empty_lines: true, bom: true }));
  // pipe() does not pass a read error on: without this the loop below would wait forever.
  source.on('error', (error) => parser.destroy(error));
  parser.on('skip', (error: Error & { lines?: number }) => {
    report(diagnostic(file, error.lines, undefined, `not a valid CSV row (${error.message.split(':')[0].toLowerCase()}); skipped`, 'warning', 'syntax'));
  });
  const lastFact = new Map<number, ConfigEntry>();
  // One record of lookahead: only at the end is it known which row was the last.
  let pending: CsvRecord | undefined;
  const handle = (row: CsvRecord, last: boolean): void => {
    const { record } = row;
    const line = row.info.lines;
    if (!result.header) {
      result.header = record.map((name) => name.trim());
      result.columns = findColumns(result.header, context);
      return;
    }
    const header = result.header;
    const columns = result.columns as Columns;
    // Lightning ends every row it writes: a last row without a newline was cut mid-write.
    if (last && !terminated) {
      report(diagnostic(file, line, undefined, 'truncated last row (crashed or still-running run?); row skipped', 'warning', 'truncated'));
      return;
    }
    if (record.length !== header.length) {
      report(diagnostic(file, line, undefined, `row has ${record.length} fields, the header ${header.length}; row skipped`, 'warning', 'syntax'));
      return;
    }
    if (columns.step < 0) return;
    const step = numberOf(record[columns.step]);
    if (step === undefined || !Number.isFinite(step) || step < 0) {
      report(diagnostic(file, line, 'step', `step must be a number ≥ 0, got ${describeNumber(record[columns.step])}; row skipped`, 'warning', 'bad-value'));
      return;
    }
    result.rows++;
    result.lastStep = step;
    const epoch = columns.epoch >= 0 ? numberOf(record[columns.epoch]) : undefined;
    if (epoch !== undefined && Number.isFinite(epoch)) result.lastEpoch = epoch;
    const tokens = columns.tokens !== undefined ? numberOf(record[columns.tokens]) : undefined;
    for (const [key, at] of [
      [columns.val, columns.valIndex],
      [columns.train, columns.trainIndex],
    ] as const) {
      if (key === undefined || at < 0) continue;
      const text = record[at].trim();
      if (text === '') continue;
      const value = numberOf(text);
      if (value === undefined || !Number.isFinite(value) || value <= 0) {
        report(diagnostic(file, line, key, `${key} is ${describeNumber(text)} at step ${step}; left out of the curve`, 'warning', 'bad-value'));
      } else {
        const point: LocatedValue = { step, value, line, file };
        if (tokens !== undefined && Number.isFinite(tokens) && tokens > 0) point.tokens = tokens;
        result.curves.add(key, point);
      }
      if (key === columns.val) result.lastVal = { value: value ?? NaN, text, step, line };
    }
    for (const i of columns.facts) {
      const text = record[i].trim();
      if (text !== '') lastFact.set(i, { key: header[i], value: text, file, line });
    }
  };
  try {
    for await (const row of parser as AsyncIterable<CsvRecord>) {
      if (pending) handle(pending, false);
      pending = row;
    }
  } catch (e) {
    diagnostics.push(diagnostic(file, undefined, undefined, `reading stopped: ${(e as Error).message}`, 'warning', 'unreadable'));
  }
  if (pending) handle(pending, true);
  // Parse errors arrive a row ahead of the rows handled (one is held back to spot the last).
  rowDiagnostics.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  diagnostics.push(...rowDiagnostics);
  if (problems > MAX_LINE_DIAGNOSTICS) {
    const more = problems - MAX_LINE_DIAGNOSTICS;
    diagnostics.push(diagnostic(file, undefined, undefined, `${more} more problem row${more === 1 ? '' : 's'} not listed`, 'warning', 'truncated'));
  }
  result.entries = [...lastFact.values()];
  return result;
}

/** Lightning's default precision, as a training precision. */
const DEFAULT_PRECISION = parseConfigPrecision(LIGHTNING_DEFAULT_PRECISION) as TrainingPrecision;
/** The run's source for a precision no file gave. */
export const DEFAULT_PRECISION_SOURCE = `Lightning's default precision ${LIGHTNING_DEFAULT_PRECISION}`;

/** A version folder's files, read: what the run's N, D, precision and final loss are decided from. */
export interface LightningRunFiles {
  file: string;
  dir: string;
  hparamsFile: string;
  cliConfigFile: string;
  inputs: string[];
  diagnostics: Diagnostic[];
  csv: CsvRead;
  hasHparams: boolean;
  hasCliConfig: boolean;
  /** hparams.yaml and LightningCLI's config.yaml. */
  configEntries: ConfigEntry[];
  world?: WorldSize;
  /** What the facts engine is given: the configs, the last values of the CSV's N/D/PTQ columns, the world size. */
  factEntries: ConfigEntry[];
}

/** Reads a version folder's files, given the path of its metrics.csv; a ReadResult when there is no run to decide. */
export async function loadLightningRun(csvPath: string, context: ReadContext): Promise<LightningRunFiles | { result: ReadResult }> {
  const file = path.resolve(csvPath);
  const dir = path.dirname(file);
  const hparamsFile = path.join(dir, HPARAMS_FILE);
  const cliConfigFile = path.join(dir, CLI_CONFIG_FILE);
  const inputs = [hparamsFile, cliConfigFile];
  const diagnostics: Diagnostic[] = [];

  let verdict;
  try {
    if (!(await fs.stat(file)).isFile()) return { result: { runs: [], diagnostics: [diagnostic(file, undefined, undefined, `${METRICS_CSV} is not a regular file`, 'error', 'unreadable')] } };
    verdict = await sniffFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const absent = code === 'ENOENT';
    return { result: { runs: [], diagnostics: [diagnostic(file, undefined, undefined, absent ? `${METRICS_CSV} not found` : `cannot read ${METRICS_CSV}: ${(e as Error).message}`, 'error', absent ? 'not-found' : 'unreadable')] } };
  }
  if (verdict !== 'text') return { result: { runs: [], diagnostics: [diagnostic(file, undefined, undefined, binaryMessage(verdict, METRICS_CSV), 'error', verdictCode(verdict))], inputs } };

  const hparams = await loadSmallText(hparamsFile, diagnostics);
  const csvDiagnostics: Diagnostic[] = [];
  let csv: CsvRead;
  try {
    csv = await readCsv(file, context, csvDiagnostics);
  } catch (e) {
    return { result: { runs: [], diagnostics: [diagnostic(file, undefined, undefined, `cannot read ${METRICS_CSV}: ${(e as Error).message}`, 'error', 'unreadable')], inputs } };
  }
  // CSVLogger always writes a "step" column; a metrics.csv without one (and no hparams.yaml to
  // say otherwise) is some other table.
  if (csv.header && csv.columns?.step === -1 && hparams.absent) return { result: { runs: [], diagnostics: [], notMine: true } };
  diagnostics.push(...csvDiagnostics);
  if (!csv.header) diagnostics.push(diagnostic(file, undefined, undefined, `${METRICS_CSV} is empty (nothing logged yet)`, 'info', 'unfinished'));
  else if (csv.columns?.step === -1) diagnostics.push(diagnostic(file, 1, 'step', `${METRICS_CSV} has no "step" column, which Lightning's CSVLogger always writes; losses not read`, 'error', 'missing-field'));

  // --- hparams.yaml, and LightningCLI's config.yaml -------------------------------------------------
  const configEntries: ConfigEntry[] = [];
  if (hparams.text !== undefined) configEntries.push(...yamlEntries(hparams.text, hparamsFile, diagnostics).entries);
  const cli = await loadSmallText(cliConfigFile, diagnostics);
  if (cli.text !== undefined) configEntries.push(...yamlEntries(cli.text, cliConfigFile, diagnostics).entries);
  // Trainer(devices=2, num_nodes=…): the batch of each device times their number.
  const world = findWorldSize(configEntries);
  const logged = [...configEntries, ...csv.entries];
  const run: LightningRunFiles = {
    file,
    dir,
    hparamsFile,
    cliConfigFile,
    inputs,
    diagnostics,
    csv,
    hasHparams: hparams.text !== undefined,
    hasCliConfig: cli.text !== undefined,
    configEntries,
    factEntries: [...logged, ...worldSizeEntries(world, logged)],
  };
  if (world) run.world = world;
  return run;
}

/** Reads one Lightning CSVLogger version folder, given the path of its metrics.csv. */
export async function readLightningRun(csvPath: string, context: ReadContext): Promise<ReadResult> {
  const loaded = await loadLightningRun(csvPath, context);
  if ('result' in loaded) return loaded.result;
  const { file, dir, hparamsFile, cliConfigFile, csv, configEntries, world, diagnostics, inputs } = loaded;
  const reasons: NonNullable<Run['reasons']> = {};

  // --- N, D, precision, PTQ; D from what the run saw --------------------------------------------------
  const files = [loaded.hasHparams && HPARAMS_FILE, loaded.hasCliConfig && CLI_CONFIG_FILE, METRICS_CSV].filter((f): f is string => typeof f === 'string');
  const searched = files.length > 1 ? `${files.slice(0, -1).join(', ')} and ${files[files.length - 1]}` : files[0];
  const factsFile = loaded.hasHparams ? hparamsFile : file;
  const progress: ConfigEntry | undefined = csv.lastStep !== undefined ? { key: 'step', value: csv.lastStep, file } : undefined;
  const { facts, tokensReason } = factsFromSeen({
    entries: loaded.factEntries,
    planned: plannedCountEntries(configEntries, context.aliases),
    plannedFiles: new Set([hparamsFile, cliConfigFile]),
    seen: seenTokenEntries(csv.entries, context.aliases),
    notFollowed: planNotFollowed(undefined, progress, plannedSteps(configEntries, context.aliases)),
    loggedIn: METRICS_CSV,
    aliases: context.aliases,
    facts: { file: factsFile, where: loaded.hasHparams || loaded.hasCliConfig ? searched : `${searched} (no ${HPARAMS_FILE} beside it)` },
  });
  if (tokensReason !== undefined) reasons.tokens = tokensReason;

  // The Trainer's default precision, where no file gives one: said, not silently assumed.
  let precisionDefault: Diagnostic | undefined;
  if (!facts.precision && !precisionWritten(configEntries, context.aliases)) {
    const at = new EntryIndex(configEntries.filter((e) => e.file === cliConfigFile)).find(['trainer.precision'])[0];
    const source = { file: at?.file ?? file, field: DEFAULT_PRECISION_SOURCE, ...(at?.line !== undefined ? { line: at.line } : {}) };
    facts.precision = { value: DEFAULT_PRECISION, source };
    facts.diagnostics = facts.diagnostics.filter((d) => !(d.field === 'precision' && d.line === undefined));
    const said = at ? `${at.key} is ${at.value === null ? 'null' : 'not set'} in ${CLI_CONFIG_FILE}` : `no file of the run gives the precision (${searched})`;
    precisionDefault = diagnostic(
      source.file,
      source.line,
      'precision',
      `${said}: taking Lightning's default precision, ${LIGHTNING_DEFAULT_PRECISION} (fp32 weights, activations and KV), unless a default precision is set for the folder; if the Trainer was given another, log it`,
      'info',
      'default',
    );
  }
  diagnostics.push(...facts.diagnostics);
  if (precisionDefault) diagnostics.push(precisionDefault);
  const assumed = worldSizeAssumed(facts, world, factsFile);
  if (assumed) diagnostics.push(assumed);

  // --- final loss: the last value in the validation loss column, if it is from the end of training ---
  const sources: Run['sources'] = {};
  let finalLoss: number | undefined;
  const { columns, lastVal } = csv;
  if (columns?.val !== undefined && lastVal) {
    const why = notAtEnd(lastVal.step, csv.lastStep, columns.val);
    if (!Number.isFinite(lastVal.value) || lastVal.value <= 0) {
      // A diverged run's last loss is NaN: an earlier value would hide that.
      diagnostics.push(diagnostic(file, lastVal.line, columns.val, `the last ${columns.val} (step ${lastVal.step}) is ${describeNumber(lastVal.text)}: not a usable final loss (did the run diverge?); the run has no final loss`, 'warning', 'bad-value'));
      reasons.finalLoss = `loss is ${describeNumber(lastVal.text)} (the last ${columns.val}, step ${lastVal.step})`;
    } else if (why) {
      diagnostics.push(diagnostic(file, lastVal.line, columns.val, `${why}; the run has no final loss`, 'warning', 'missing-field'));
      reasons.finalLoss = why;
    } else {
      finalLoss = lastVal.value;
      sources.finalLoss = { file, line: lastVal.line, field: columns.val };
    }
  } else if (csv.header && columns?.step !== -1) {
    const looked = context.aliases.loss.filter((a) => isValidationLossName(a, context.aliases)).slice(0, 5).join(', ');
    const trainOnly = columns?.train !== undefined ? `only a training loss column (${columns.train}) and ` : '';
    const why =
      columns?.val === undefined
        ? `${trainOnly}no validation loss column (looked for ${looked}, …; the columns are ${csv.header.slice(0, 8).join(', ')}${csv.header.length > 8 ? ', …' : ''})`
        : `the ${columns.val} column has no values`;
    diagnostics.push(diagnostic(file, 1, 'finalLoss', `${METRICS_CSV} has ${why}; the run has no final loss`, 'warning', 'missing-field'));
    if (columns?.val === undefined && columns?.train !== undefined) reasons.finalLoss = trainingOnlyReason(columns.train);
  }

  const meta: Record<string, unknown> = { rows: csv.rows };
  if (csv.lastStep !== undefined) meta.lastStep = csv.lastStep;
  if (csv.lastEpoch !== undefined) meta.lastEpoch = csv.lastEpoch;
  if (facts.tokens?.product) meta.tokensFrom = 'steps × batch size × sequence length';

  const run: Omit<Run, 'missing'> = {
    id: runId(file, context.root),
    name: `${path.basename(path.dirname(dir))}/${path.basename(dir)}`,
    format: LIGHTNING_FORMAT,
    file,
    ptq: facts.ptq,
    sources,
    meta,
  };
  applyFacts(run, facts);
  // The user's default precision for the folder takes the place of Lightning's.
  if (precisionDefault) meta[TOOL_DEFAULT_PRECISION] = true;
  if (finalLoss !== undefined) run.finalLoss = finalLoss;
  if (columns && (columns.val !== undefined || columns.train !== undefined)) run.curve = csv.curves.curve([columns.val, columns.train]);
  return { runs: [withMissing(run, reasons)], diagnostics, inputs };
}

export const lightningReader: RunReader = {
  id: LIGHTNING_FORMAT,
  label: 'Lightning CSVLogger',
  matches: isLightningMetrics,
  read: readLightningRun,
};
