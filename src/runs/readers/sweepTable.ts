// Sweep tables: one row per run (or per run and post-training bit-width), the way researchers
// keep results. CSV, TSV, semicolon-separated CSV, JSONL and JSON; columns are recognised through
// the alias table (src/runs/aliases.ts), which users extend in the precisionPlanner.aliases setting,
// and chosen as tableColumns.ts says (explicit non-embedding N first, units in column names,
// validation losses only). A W&B UI export (the runs table's "Export CSV") is read by
// wandbExport.ts.
//
// A row is a run, unless rows share a run name (name, run, run_id; never experiment, group or
// sweep, which hold many runs) and differ only by step (a step/iter column, else the token
// count): then the last checkpoint, the highest step, is the run and the earlier rows its loss
// curve. How rows became runs is said once per table (code "grouped").
//
// Post-training quantization (PTQ) results come in two layouts:
// - long: a post_bits column. Rows whose post bits are empty, "none" or 16 and above hold the
//   end-of-training loss; the others the loss after quantizing to that many bits (from the
//   ptq_loss column when the table has one, else from the loss column). Rows are grouped into
//   runs by name, or by N, D and training precision when the table has no name column.
// - wide: one loss column per bit-width, recognised by wideColumnPrecision: ptq4_loss,
//   ptq_int4_loss, post4_loss, quant_w4_loss, 4bit_loss, int4_loss, fp8_loss, nf4_loss,
//   loss_int4, loss_w4, loss_ptq4, loss_4bit, val_loss@4bit, eval_loss_ptq_fp4.
//
// Numbers may be written 1.3e8, 130M, 13B or "1,300,000", or bare under a column whose name gives
// the unit (params_M, "tokens (B)"). In semicolon-separated files (what Excel writes in European
// locales) a single comma inside a number is the decimal comma ("3,84", "1,3E+08"); grouping
// dots ("1.300.000") are not read there and are reported. A table with training FLOPs (C,
// flops, compute_budget) and N but no D gets D = C / (6N) (code "derived"). Values that cannot
// be what their column says (N under 10^4, D under N/1000, a loss of 20 or more) are left out
// and explained (code "implausible"), with the unit that would make them sensible.
//
// JSON: records, pandas' split/index/columns/table orients, a dict of lists and polars' column
// layout; tableJson.ts finds the rows.
//
// A Git LFS pointer where the table should be is said as such (code "lfs-pointer").

import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { visit } from 'jsonc-parser';
import { type AliasField, type AliasTable, DEFAULT_ALIASES } from '../aliases';
import { splitOf } from '../curves';
import type { Diagnostic, DiagnosticCode, Severity } from '../diagnostics';
import { parseJsonDoc } from '../jsonDoc';
import { forEachLine } from '../lines';
import { parsePrecision, parseTrainingPrecision } from '../precision';
import { DECIMAL_NUMBER, formatCount } from '../quantity';
import { type CurvePoint, type PartPrecision, type PtqEval, REQUIRED_FIELDS, type Run, type RunField, type SourceRef, type TrainingPrecision, runId, withMissing } from '../run';
import { openRegular, readRegular, readRegularAt, readRegularHead } from '../load';
import { binaryMessage, decodeUtf16, sniffBinary, verdictCode } from '../text';
import { diagnostic } from '../validate';
import { longLineDiagnostic, parseJsonLine } from './metricsJsonl';
import {
  FindingsByColumn,
  type Row,
  SWEEP_TABLE_FORMAT,
  TableDiagnostics,
  type TableLayout,
  type TableSink,
  UNFINISHED_STATUS,
  countOf,
  dropImplausible,
  isEmptyCell,
  lossOf,
  rowsText,
  shown,
  tableLayout,
} from './tableColumns';
import { jsonRows } from './tableJson';
import type { ReadContext, ReadResult, RunReader } from './types';
import { WandbExportBuilder, isWandbExportHeader, wandbExportLayout } from './wandbExport';

export { MAX_ROW_DIAGNOSTICS, SWEEP_TABLE_FORMAT, type TableLayout, tableLayout, wideColumnPrecision } from './tableColumns';

/** File names that are other readers' files, model files or tool configuration: never sweep tables. */
export const NOT_SWEEP_TABLES: ReadonlySet<string> = new Set([
  // Other readers' files.
  'run.json',
  // A sweep's plan of one run (src/sweep/plannedRun.ts): its N, D and precision are no result.
  'planned-run.json',
  'metrics.jsonl',
  'metrics.csv',
  'trainer_state.json',
  'config.json',
  'all_results.json',
  'train_results.json',
  'eval_results.json',
  'wandb-summary.json',
  'wandb-metadata.json',
  'wandb-history.jsonl',
  'wandb-events.jsonl',
  // Hugging Face model and output folders.
  'training_args.json',
  'adapter_config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'preprocessor_config.json',
  'model.safetensors.index.json',
  'pytorch_model.bin.index.json',
  // Tool and editor configuration.
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'jsconfig.json',
  'composer.json',
  'bower.json',
  'lerna.json',
  'nx.json',
  'turbo.json',
  'deno.json',
  'biome.json',
  'renovate.json',
  'cspell.json',
  '.eslintrc.json',
  '.prettierrc.json',
  'devcontainer.json',
  'settings.json',
  'launch.json',
  'tasks.json',
  'extensions.json',
]);

/** Name patterns that are never sweep tables: JSON Schemas, tsconfig variants. */
export const NOT_SWEEP_TABLE_PATTERNS: readonly RegExp[] = [/\.schema\.json$/i, /^tsconfig\..+\.json$/i];

/** Folders whose files are editor or CI configuration. */
export const NOT_SWEEP_TABLE_FOLDERS: readonly string[] = ['.vscode', '.devcontainer', '.idea', '.github'];

const TABLE_EXTENSION = /\.(csv|tsv|jsonl|ndjson|json)$/i;

export function isSweepTableCandidate(baseName: string, file: string): boolean {
  if (!TABLE_EXTENSION.test(baseName) || NOT_SWEEP_TABLES.has(baseName.toLowerCase())) return false;
  if (NOT_SWEEP_TABLE_PATTERNS.some((p) => p.test(baseName))) return false;
  return !file.split(/[\\/]/).some((part) => NOT_SWEEP_TABLE_FOLDERS.includes(part));
}

/** JSON tables are parsed whole; beyond this they are reported, not loaded. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** Bytes looked at to tell text from binary and to recognise a table before streaming it. */
const HEAD_BYTES = 64 * 1024;
/** A CSV row beyond this is an unclosed quote swallowing the file, not a row. */
const MAX_RECORD_BYTES = 1 << 20;
/** Syntax errors of a JSON table listed individually. */
const MAX_SYNTAX_DIAGNOSTICS = 3;

// ---------------------------------------------------------------------------------------------
// Cells

const PER_CHANNEL = new Set(['-1', 'per-channel', 'per_channel', 'channel']);
/** Post-bits values that mark the end-of-training row of a long-layout run. */
const NOT_QUANTIZED = new Set(['baseline', 'full', 'unquantized', 'no', 'false', 'fp', 'original']);

/** Bits of one part: 8, "int8", "bf16", "fp8_e4m3", "w4" (as post-training bits are often written). */
function partOf(value: unknown): PartPrecision | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const p = parsePrecision(value);
  if (p || typeof value === 'number') return p;
  const w = /^\s*w(\d{1,2})\s*$/i.exec(value);
  return w ? parsePrecision(Number(w[1])) : parseTrainingPrecision(value)?.w;
}

/** A step or token position: a number ≥ 0 (a checkpoint at step 0 is a row too). */
function progressOf(value: unknown, decimalComma: boolean): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  if (DECIMAL_NUMBER.test(t)) {
    const n = Number(t);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  }
  return countOf(t, decimalComma);
}

/** "bf16" when all parts agree, else "w4a8kv8". */
function precisionLabel(p: TrainingPrecision): string {
  const same = [p.a, p.kv].every((x) => x.bits === p.w.bits && x.type === p.w.type);
  if (same) return p.w.name ?? `${p.w.type}${p.w.bits}`;
  return `w${p.w.bits}a${p.a.bits}kv${p.kv.bits}`;
}

function samePrecision(x: TrainingPrecision, y: TrainingPrecision): boolean {
  return [x.w, x.a, x.kv].every((part, i) => {
    const other = [y.w, y.a, y.kv][i];
    return part.bits === other.bits && part.type === other.type;
  });
}

const sameNumber = (x: number, y: number): boolean => Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
const sameOptional = <T>(x: T | undefined, y: T | undefined, same: (a: T, b: T) => boolean): boolean => (x === undefined || y === undefined ? x === y : same(x, y));

// ---------------------------------------------------------------------------------------------
// Rows to runs

interface Located<T> {
  value: T;
  column: string;
  line: number;
}

/** What one row says, before it is merged into its run. */
interface RowValues {
  line: number;
  name?: string;
  params?: Located<number>;
  /** `flops` is the compute column D was worked out from (D = C / 6N), when it was. */
  tokens?: Located<number> & { flops?: string };
  precision?: Located<TrainingPrecision>;
  /** Post-training precision of a long-layout PTQ row; absent on end-of-training rows. */
  post?: PartPrecision;
  finalLoss?: Located<number>;
  postLoss?: Located<number>;
  wide: Array<Located<number> & { precision: PartPrecision }>;
  /** An end-of-training row whose loss cell is empty. */
  emptyLoss?: { column: string; line: number };
  /** How far the run had got at this row: its step, else its token count. */
  progress?: number;
  /** The value of the column that groups runs (experiment, sweep). */
  group?: string;
  method: string;
  groupSize: number | null;
  /** The status cell, when it says the run did not finish. */
  unfinished?: Located<string>;
  /** Parts taken as 16-bit because the table has no column for them. */
  defaulted: string[];
  problems: Diagnostic[];
  /** Fields whose cell was there but unreadable (already reported at the cell), with why. */
  rejected: Map<RunField, string>;
  /** The row cannot be placed (its post bits are unreadable). */
  unusable: boolean;
  /** The row belongs to a long-layout PTQ table: its run's rows are merged, not told apart by step. */
  long: boolean;
}

interface RunAccumulator {
  run: Omit<Run, 'missing'>;
  firstLine: number;
  emptyLoss?: { column: string; line: number };
  rejected: Map<RunField, string>;
  /** The compute column the run's D was worked out from. */
  flops?: string;
  unfinished?: Located<string>;
}

const MISSING_HINT: Record<RunField, string> = {
  params: 'parameter count (N)',
  tokens: 'token count (D)',
  precision: 'training precision',
  finalLoss: 'end-of-training loss',
};

const ABSENT_COLUMN_HINT: Record<RunField, string> = {
  params: 'no column for the parameter count (N): name one params, n_params, non_embedding_params or N',
  tokens: 'no column for the training token count (D), nor a training FLOPs column (C, flops, compute) to work it out from: name one tokens, train_tokens or D',
  precision: 'no column for the training precision: add a precision column (bf16, int8, w4a8kv4, or weight_bits/act_bits/kv_bits) or set a default precision',
  finalLoss: 'no column for the end-of-training validation loss: name one val_loss or loss',
};

/** Why a run lacks a field the table has no column for, as the run's reason. */
const ABSENT_REASON: Record<RunField, string> = {
  params: 'the table has no parameter count (N) column',
  tokens: 'the table has no token count (D) column and no training FLOPs to work it out from',
  precision: 'the table has no training precision column',
  finalLoss: 'the table has no validation loss column',
};

/** Everything one row says, each unreadable cell a problem naming its line and column. */
class RowReader {
  readonly v: RowValues;
  private readonly columns: TableLayout['columns'];

  constructor(
    private readonly row: Row,
    private readonly layout: TableLayout,
    private readonly file: string,
    private readonly decimalComma: boolean,
  ) {
    this.columns = layout.columns;
    this.v = { line: row.line, wide: [], method: 'unknown', groupSize: null, defaulted: [], problems: [], rejected: new Map(), unusable: false, long: layout.columns.postBits !== undefined };
  }

  read(): RowValues {
    const { columns, row, v, layout } = this;
    const name = this.cell(columns.name);
    if (name && (typeof name.value === 'string' || typeof name.value === 'number')) v.name = String(name.value).trim();
    else if (row.key !== undefined && !/^\d+$/.test(row.key)) v.name = row.key;
    const group = this.cell(layout.group);
    if (group && (typeof group.value === 'string' || typeof group.value === 'number')) v.group = String(group.value).trim();
    v.params = this.count('params', 'parameter count');
    v.tokens = this.count('tokens', 'token count');
    if (!v.tokens && !v.rejected.has('tokens')) this.deriveTokens();
    this.readProgress();
    this.readPrecision();
    if (!this.readPostBits()) return v;
    this.readLosses();
    const method = this.cell(layout.method);
    if (method && (typeof method.value === 'string' || typeof method.value === 'number')) v.method = String(method.value).trim();
    const size = this.cell(layout.groupSize);
    if (size) {
      const n = countOf(size.value, false);
      const text = typeof size.value === 'string' ? size.value.trim().toLowerCase() : String(size.value);
      if (n !== undefined && Number.isInteger(n)) v.groupSize = n;
      else if (!PER_CHANNEL.has(text)) this.problem(size.column, `${size.column} is ${shown(size.value)}, not a group size (like 128, or -1 for per-channel); taken as per-channel`, 'bad-value');
    }
    const status = this.cell(columns.status);
    if (status && UNFINISHED_STATUS.test(String(status.value).trim())) v.unfinished = { value: String(status.value).trim(), column: status.column, line: this.lineOf(status.column) };
    return v;
  }

  private lineOf(column: string): number {
    return this.row.cellLines?.get(column) ?? this.row.line;
  }

  private problem(column: string, message: string, code: DiagnosticCode): void {
    this.v.problems.push(diagnostic(this.file, this.lineOf(column), column, message, 'warning', code));
  }

  private cell(column: string | undefined): { column: string; value: unknown } | undefined {
    if (column === undefined) return undefined;
    const value = this.row.cells.get(column);
    return isEmptyCell(value) ? undefined : { column, value };
  }

  private count(field: 'params' | 'tokens', what: string): Located<number> | undefined {
    const c = this.cell(this.columns[field]);
    if (!c) return undefined;
    const n = countOf(c.value, this.decimalComma, this.layout.scales[field]);
    if (n !== undefined) return { value: n, column: c.column, line: this.lineOf(c.column) };
    this.problem(c.column, `${c.column} is ${shown(c.value)}, not a positive ${what} (like 1.3e8, 130M or 1,300,000); left out`, 'bad-value');
    this.v.rejected.set(field, `${c.column} on line ${this.lineOf(c.column)} is ${shown(c.value)}, not a ${what}`);
    return undefined;
  }

  /** D = C / (6N) from a training-compute column, on a row with N but no D. */
  private deriveTokens(): void {
    const { layout, v } = this;
    const c = this.cell(layout.flops);
    if (!c || !v.params) return;
    const flops = countOf(c.value, this.decimalComma, layout.scales.flops);
    if (flops === undefined) {
      this.problem(c.column, `${c.column} is ${shown(c.value)}, not a positive FLOP count (like 6e18); D not worked out from it`, 'bad-value');
      v.rejected.set('tokens', `${c.column} on line ${this.lineOf(c.column)} is ${shown(c.value)}, not a FLOP count to work D out from`);
      return;
    }
    const tokens = flops / (6 * v.params.value);
    if (!Number.isFinite(tokens) || tokens <= 0) return;
    v.tokens = { value: tokens, column: `${c.column} / (6 × ${v.params.column})`, line: this.lineOf(c.column), flops: c.column };
  }

  private readProgress(): void {
    const { layout, v } = this;
    const c = this.cell(layout.progress);
    if (c) {
      const n = progressOf(c.value, this.decimalComma);
      if (n !== undefined) v.progress = n;
      else this.problem(c.column, `${c.column} is ${shown(c.value)}, not a step; the row is not placed among its run's checkpoints`, 'bad-value');
    } else if (layout.progress === undefined && v.tokens && v.tokens.flops === undefined) v.progress = v.tokens.value;
  }

  private part(field: 'weightBits' | 'actBits' | 'kvBits'): PartPrecision | undefined | null {
    const c = this.cell(this.columns[field]);
    if (!c) return undefined;
    const p = partOf(c.value);
    if (p) return p;
    this.problem(c.column, `${c.column} is ${shown(c.value)}, not a precision (bits like 8, or a name like int8, bf16); left out`, 'bad-value');
    this.v.rejected.set('precision', `${c.column} on line ${this.lineOf(c.column)} is ${shown(c.value)}, not a precision`);
    return null;
  }

  /** A named precision ("bf16", "w4a8kv4") as the base, bit columns over it; parts nothing names are 16-bit. */
  private readPrecision(): void {
    const { columns, v } = this;
    const named = this.cell(columns.precision);
    let base: TrainingPrecision | null | undefined;
    if (named) {
      base = (typeof named.value === 'string' || typeof named.value === 'number' ? parseTrainingPrecision(named.value) : undefined) ?? null;
      if (!base) {
        this.problem(named.column, `${named.column} is ${shown(named.value)}, not a training precision (like bf16, int8, fp8_e4m3 or w4a8kv4); left out`, 'bad-value');
        v.rejected.set('precision', `${named.column} on line ${this.lineOf(named.column)} is ${shown(named.value)}, not a training precision`);
      }
    }
    const w = this.part('weightBits');
    const a = this.part('actBits');
    const kv = this.part('kvBits');
    if (base === null || w === null || a === null || kv === null) return;
    const weights = w ?? base?.w;
    if (!weights) return;
    // An empty cell in an act/kv column means unquantized, as a missing column does; only the
    // missing column is worth a note.
    if (!a && !base && columns.actBits === undefined) v.defaulted.push('activations');
    if (!kv && !base && columns.kvBits === undefined) v.defaulted.push('KV cache');
    const high: PartPrecision = { bits: 16, type: 'fp' };
    const column = w && columns.weightBits !== undefined ? columns.weightBits : (named?.column ?? 'precision');
    v.precision = { value: { w: weights, a: a ?? base?.a ?? high, kv: kv ?? base?.kv ?? high }, column, line: this.lineOf(column) };
  }

  /** False when the row cannot be placed: its post bits do not read. */
  private readPostBits(): boolean {
    const c = this.cell(this.columns.postBits);
    if (!c) return true;
    const text = typeof c.value === 'string' ? c.value.trim().toLowerCase() : undefined;
    if (text !== undefined && NOT_QUANTIZED.has(text)) return true;
    const p = partOf(c.value);
    if (p) {
      if (p.bits < 16) this.v.post = p;
      return true;
    }
    this.problem(c.column, `${c.column} is ${shown(c.value)}, not a bit-width (like 4, int4 or fp8); row left out`, 'bad-value');
    this.v.unusable = true;
    return false;
  }

  private loss(column: string, final = false): Located<number> | undefined {
    const c = this.cell(column);
    if (!c) return undefined;
    const n = lossOf(c.value, this.decimalComma);
    if (n !== undefined) return { value: n, column, line: this.lineOf(column) };
    this.problem(column, `${column} is ${shown(c.value)}, not a positive finite loss; left out`, 'bad-value');
    if (final) this.v.rejected.set('finalLoss', `${column} on line ${this.lineOf(column)} is ${shown(c.value)}, not a loss`);
    return undefined;
  }

  private readLosses(): void {
    const { columns, v } = this;
    if (v.post) {
      const postColumn = columns.postLoss ?? columns.loss;
      if (postColumn !== undefined) {
        v.postLoss = this.loss(postColumn);
        if (!v.postLoss && !this.cell(postColumn)) this.problem(postColumn, `no ${postColumn} on this ${formatBits(v.post)} post-training row; nothing read from it`, 'missing-field');
      }
      // With separate columns, a PTQ row repeats the run's end-of-training loss.
      if (columns.postLoss !== undefined && columns.loss !== undefined) v.finalLoss = this.loss(columns.loss, true);
    } else {
      const finalColumn = columns.loss ?? (columns.postBits !== undefined ? columns.postLoss : undefined);
      if (finalColumn !== undefined) {
        v.finalLoss = this.loss(finalColumn, true);
        if (!this.cell(finalColumn)) v.emptyLoss = { column: finalColumn, line: this.lineOf(finalColumn) };
      }
    }
    for (const { column, precision } of this.layout.wide) {
      const l = this.loss(column);
      if (l) v.wide.push({ ...l, precision });
    }
  }
}

/**
 * The rows that may make one run: a long-layout run's rows (by name, or by N, D and precision),
 * the rows sharing a name, or a row of its own.
 */
interface Slot {
  rows: RowValues[];
  /** The name column the rows share, for the grouping note. */
  nameColumn?: string;
}

/** What finish() did with the slots, for the one note that says how rows became runs. */
interface GroupingCounts {
  rows: number;
  /** Runs made of a long-layout run's rows. */
  merged: number;
  /** Runs made of checkpoint rows, the last the run. */
  checkpoints: number;
  /** Names shared by rows that differ in more than the step, read as separate runs. */
  shared: Array<{ name: string; lines: number[] }>;
  /** Rows left out as repeats of another row. */
  repeats: number;
  nameColumn?: string;
  progressColumn?: string;
  postBitsColumn?: string;
  groupColumn?: string;
}

/**
 * Builds runs out of rows. A row is a run, unless rows share a run name and differ only by
 * step (then the last checkpoint, the highest step, is the run and the earlier rows its loss
 * curve), or the table is a long-layout PTQ table (then a run's rows hold its PTQ results).
 */
class RunBuilder implements TableSink {
  private readonly slots: Slot[] = [];
  private readonly slotOf = new Map<string, Slot>();
  private readonly ids = new Set<string>();
  private readonly names = new Set<string>();
  /** Fields with a column in some row, and the first column found for each. */
  private readonly seen = new Map<AliasField, string>();
  private readonly layouts = new WeakSet<TableLayout>();
  private readonly defaulted = new Set<string>();
  private readonly out: TableDiagnostics;
  private readonly counts: GroupingCounts = { rows: 0, merged: 0, checkpoints: 0, shared: [], repeats: 0 };
  private derivedFrom: { flops: string; params: string } | undefined;
  private derivedRows = 0;
  private flopsColumn: string | undefined;
  private rows = 0;
  private firstLine: number | undefined;

  constructor(
    private readonly file: string,
    private readonly fileId: string,
    private readonly options: { decimalComma?: boolean; headerLine?: number; layout?: TableLayout } = {},
  ) {
    this.out = new TableDiagnostics(file);
  }

  problem(line: number | undefined, field: string | undefined, message: string, code: DiagnosticCode, severity: Severity = 'warning'): void {
    this.out.problem(line, field, message, code, severity);
  }

  /** A problem of the whole file, always listed. */
  note(line: number | undefined, field: string | undefined, message: string, code: DiagnosticCode, severity: Severity = 'warning'): void {
    this.out.note(line, field, message, code, severity);
  }

  add(row: Row): void {
    const layout = row.layout ?? this.options.layout;
    if (!layout) return;
    this.firstLine ??= row.line;
    this.rows++;
    if (!this.layouts.has(layout)) {
      this.layouts.add(layout);
      for (const [field, column] of Object.entries(layout.columns) as Array<[AliasField, string]>) if (!this.seen.has(field)) this.seen.set(field, column);
      this.counts.progressColumn ??= layout.progress;
      this.counts.groupColumn ??= layout.group;
      this.counts.nameColumn ??= layout.columns.name;
      this.counts.postBitsColumn ??= layout.columns.postBits;
      this.flopsColumn ??= layout.flops;
    }
    const v = new RowReader(row, layout, this.file, this.options.decimalComma ?? false).read();
    if (row.damaged) {
      const useful = v.finalLoss !== undefined || v.postLoss !== undefined || v.wide.length > 0;
      const first = v.problems[0];
      if (v.unusable || first || !useful) {
        const why = first ? first.message.replace(/; (row )?left out$/, '') : 'it holds no loss';
        this.problem(row.line, first?.field, `${row.damaged}; row left out (${why})`, 'truncated');
        return;
      }
      const lastColumn = [...row.cells.keys()].pop();
      const check = lastColumn !== undefined ? ` (check that its last cell, ${lastColumn} = ${shown(row.cells.get(lastColumn))}, was written whole)` : '';
      this.problem(row.line, undefined, `${row.damaged}; kept, as its cells read${check}`, 'truncated', 'info');
    } else {
      for (const p of v.problems) this.problem(p.line, p.field, p.message, p.code ?? 'bad-value', p.severity);
    }
    if (v.unusable) return;
    this.counts.rows++;
    for (const part of v.defaulted) this.defaulted.add(part);
    if (v.tokens?.flops !== undefined && v.params) {
      this.derivedFrom ??= { flops: v.tokens.flops, params: v.params.column };
      this.derivedRows++;
    }
    const key = this.slotKey(v);
    let slot = key === undefined ? undefined : this.slotOf.get(key);
    if (!slot) {
      slot = { rows: [] };
      if (v.name !== undefined && layout.columns.name !== undefined) slot.nameColumn = layout.columns.name;
      this.slots.push(slot);
      if (key !== undefined) this.slotOf.set(key, slot);
    }
    slot.rows.push(v);
  }

  /** Rows with the same key may be one run; undefined for a row that is a run of its own. */
  private slotKey(v: RowValues): string | undefined {
    if (v.name !== undefined) return `name\u0000${v.long ? 'long' : 'plain'}\u0000${v.name}`;
    if (!v.long) return undefined;
    const p = v.precision?.value;
    return `ndp\u0000${v.params?.value ?? '?'}\u0000${v.tokens?.value ?? '?'}\u0000${p ? JSON.stringify([p.w.bits, p.w.type, p.a.bits, p.a.type, p.kv.bits, p.kv.type]) : '?'}`;
  }

  private newRun(v: RowValues, name: string | undefined): RunAccumulator {
    let shownName = name ?? this.synthesizedName(v);
    // Unnamed rows with equal settings (seeds, repeats) stay apart; minified JSON has all rows on line 1.
    if (this.names.has(shownName)) shownName = this.names.has(`${shownName} (line ${v.line})`) ? `${shownName} (row ${this.ids.size + 1})` : `${shownName} (line ${v.line})`;
    this.names.add(shownName);
    const base = `${this.fileId}#${v.name ?? v.line}`;
    let id = base;
    for (let k = 2; this.ids.has(id); k++) id = `${base}.${k}`;
    this.ids.add(id);
    return { run: { id, name: shownName, format: SWEEP_TABLE_FORMAT, file: this.file, ptq: [], sources: {} }, firstLine: v.line, rejected: new Map() };
  }

  /** One row's values onto its run: the first value a run's rows give is kept, a different one later reported. */
  private apply(acc: RunAccumulator, v: RowValues): void {
    const { run } = acc;
    this.keepNumber(run, 'params', v.params, 'parameter count');
    if (this.keepNumber(run, 'tokens', v.tokens, 'token count') && v.tokens?.flops !== undefined) acc.flops = v.tokens.flops;
    this.keepNumber(run, 'finalLoss', v.finalLoss, 'end-of-training loss');
    if (v.precision) {
      if (!run.precision) [run.precision, run.sources.precision] = [v.precision.value, this.at(v.precision)];
      else if (!samePrecision(run.precision, v.precision.value)) {
        this.problem(v.precision.line, v.precision.column, `training precision ${precisionLabel(v.precision.value)} differs from ${precisionLabel(run.precision)} on line ${run.sources.precision?.line} for run "${run.name}"; the first is kept`, 'conflict');
      }
    }
    if (v.post && v.postLoss) run.ptq.push(this.ptq(v, v.post, v.postLoss));
    for (const w of v.wide) run.ptq.push(this.ptq(v, w.precision, w));
    if (v.emptyLoss && !acc.emptyLoss) acc.emptyLoss = v.emptyLoss;
    for (const [field, why] of v.rejected) if (!acc.rejected.has(field)) acc.rejected.set(field, why);
    if (v.unfinished) {
      run.unfinished = true;
      acc.unfinished ??= v.unfinished;
    }
  }

  private at(x: Located<unknown>): SourceRef {
    return { file: this.file, line: x.line, field: x.column };
  }

  /** True when the value was taken. */
  private keepNumber(run: Omit<Run, 'missing'>, field: 'params' | 'tokens' | 'finalLoss', x: Located<number> | undefined, what: string): boolean {
    if (!x) return false;
    const have = run[field];
    if (have === undefined) {
      run[field] = x.value;
      run.sources[field] = this.at(x);
      return true;
    }
    if (!sameNumber(have, x.value)) {
      this.problem(x.line, x.column, `${what} ${formatCount(x.value)} differs from ${formatCount(have)} on line ${run.sources[field]?.line} for run "${run.name}"; the first is kept`, 'conflict');
    }
    return false;
  }

  private ptq(v: RowValues, precision: PartPrecision, loss: Located<number>): PtqEval {
    return { bits: precision.bits, type: precision.type, format: precision.name ?? precision.type, method: v.method, groupSize: v.groupSize, loss: loss.value, source: this.at(loss) };
  }

  private synthesizedName(v: RowValues): string {
    const parts = [
      v.params && `N=${formatCount(v.params.value)}`,
      v.tokens && `D=${formatCount(v.tokens.value)}`,
      v.precision && precisionLabel(v.precision.value),
    ].filter((x): x is string => typeof x === 'string');
    const settings = parts.length > 0 ? parts.join(', ') : `row ${v.line}`;
    return v.group !== undefined ? `${v.group}: ${settings}` : settings;
  }

  /** Do these rows of one name differ only by step: each a checkpoint of the same run? */
  private static checkpoints(rows: readonly RowValues[]): boolean {
    const steps = rows.map((r) => r.progress);
    if (steps.some((s) => s === undefined) || new Set(steps).size !== steps.length) return false;
    const [first] = rows;
    return rows.every(
      (r) => sameOptional(r.params?.value, first.params?.value, sameNumber) && sameOptional(r.precision?.value, first.precision?.value, samePrecision),
    );
  }

  /** A row that repeats an earlier row of its name in every value: one is kept, the repeat said. */
  private withoutRepeats(rows: readonly RowValues[]): RowValues[] {
    const kept: RowValues[] = [];
    for (const v of rows) {
      const same = kept.find(
        (k) =>
          k.progress === v.progress &&
          sameOptional(k.params?.value, v.params?.value, sameNumber) &&
          sameOptional(k.tokens?.value, v.tokens?.value, sameNumber) &&
          sameOptional(k.precision?.value, v.precision?.value, samePrecision) &&
          sameOptional(k.finalLoss?.value, v.finalLoss?.value, sameNumber) &&
          k.wide.length === 0 &&
          v.wide.length === 0,
      );
      if (same) {
        this.problem(v.line, undefined, `row repeats line ${same.line} of run "${v.name}" value for value; the first is kept`, 'duplicate');
        this.counts.repeats++;
      } else kept.push(v);
    }
    return kept;
  }

  /** The runs of one slot, as the grouping rule says. */
  private runsOf(slot: Slot): RunAccumulator[] {
    const rows = slot.rows.length > 1 && !slot.rows[0].long ? this.withoutRepeats(slot.rows) : slot.rows;
    const [first] = rows;
    if (rows.length === 1 || first.long) {
      const acc = this.newRun(first, first.name);
      for (const v of rows) this.apply(acc, v);
      if (rows.length > 1) this.counts.merged++;
      return [acc];
    }
    if (RunBuilder.checkpoints(rows)) {
      const ordered = [...rows].sort((a, b) => (a.progress as number) - (b.progress as number));
      const last = ordered[ordered.length - 1];
      const acc = this.newRun(last, last.name);
      this.apply(acc, last);
      const curve = ordered.flatMap((v): CurvePoint[] => {
        if (!v.finalLoss) return [];
        const point: CurvePoint = { step: v.progress as number, split: curveSplit(v.finalLoss.column), loss: v.finalLoss.value };
        if (v.tokens && v.tokens.flops === undefined) point.tokens = v.tokens.value;
        return [point];
      });
      if (curve.length > 0) acc.run.curve = curve;
      this.counts.checkpoints++;
      return [acc];
    }
    // One name, several runs: each row keeps its line in its name.
    this.counts.shared.push({ name: first.name ?? '', lines: rows.map((r) => r.line) });
    return rows.map((v) => {
      const acc = this.newRun(v, `${v.name} (line ${v.line})`);
      this.apply(acc, v);
      return acc;
    });
  }

  finish(): { runs: Run[]; diagnostics: Diagnostic[] } {
    const runs: Run[] = [];
    const absent = new Set<RunField>();
    const findings = new FindingsByColumn();
    const columnOf = (field: RunField): string | undefined =>
      field === 'precision'
        ? (this.seen.get('weightBits') ?? this.seen.get('precision'))
        : field === 'finalLoss'
          ? (this.seen.get('loss') ?? (this.seen.has('postBits') ? this.seen.get('postLoss') : undefined))
          : field === 'tokens'
            ? (this.seen.get('tokens') ?? this.flopsColumn)
            : this.seen.get(field);
    const hasColumn = (field: RunField): boolean => columnOf(field) !== undefined;
    for (const acc of this.slots.flatMap((slot) => this.runsOf(slot))) {
      const reasons: Partial<Record<RunField, string>> = {};
      findings.add(dropImplausible(acc.run, reasons, acc.flops));
      for (const [field, why] of acc.rejected) reasons[field] ??= why;
      const run = withMissing(acc.run, reasons);
      // A value rejected at its cell was reported there; the rest are said here, once per run.
      const explained = run.missing.filter((f) => hasColumn(f) && !acc.rejected.has(f) && reasons[f] === undefined);
      for (const field of run.missing) if (!hasColumn(field)) absent.add(field);
      if (explained.length > 0) {
        const emptyLoss = explained.includes('finalLoss') ? acc.emptyLoss : undefined;
        const what = explained.map((f) => MISSING_HINT[f]).join(', no ');
        const where = emptyLoss ? ` (${emptyLoss.column} is empty on line ${emptyLoss.line})` : '';
        this.problem(emptyLoss?.line ?? acc.firstLine, emptyLoss?.column ?? columnOf(explained[0]), `run "${run.name}" has no ${what}${where}; listed as incomplete`, 'missing-field');
        run.reasons = { ...run.reasons, ...Object.fromEntries(explained.map((f) => [f, emptyCellReason(f, columnOf(f) as string, f === 'finalLoss' && emptyLoss ? emptyLoss.line : acc.firstLine)])) };
      }
      const finalRun = withAbsentReasons(run, hasColumn);
      if (acc.unfinished) {
        const u = acc.unfinished;
        this.problem(u.line, u.column, `run "${run.name}" did not finish (${u.column} is ${shown(u.value)}); it is listed but not fitted`, 'unfinished', 'info');
      }
      runs.push(finalRun);
    }
    const headerLine = this.options.headerLine ?? this.firstLine;
    for (const field of REQUIRED_FIELDS) {
      if (absent.has(field)) this.note(headerLine, field, `${ABSENT_COLUMN_HINT[field]}, or add the column's name to the precisionPlanner.aliases setting; runs listed as incomplete`, 'missing-field');
    }
    const defaulted = [...this.defaulted];
    if (defaulted.length > 0) this.note(headerLine, 'precision', `no column for the ${defaulted.join(' or ')} precision: taken as 16-bit (high precision)`, 'default', 'info');
    if (this.derivedFrom) {
      const { flops, params } = this.derivedFrom;
      this.note(headerLine, 'tokens', `no token count (D) on ${rowsText(this.derivedRows)}: D worked out as ${flops} / (6 × ${params}), training compute C ≈ 6·N·D`, 'derived', 'info');
    }
    for (const d of findings.diagnostics(this.file)) this.out.push(d);
    if (runs.length === 0) this.note(undefined, undefined, `${path.basename(this.file)} has the columns of a sweep table but no row that could be read`, 'missing-field');
    else {
      const grouping = groupingText(this.counts, runs.length);
      if (grouping !== undefined) this.note(headerLine, undefined, grouping, 'grouped', 'info');
    }
    return { runs, diagnostics: this.out.all() };
  }
}

/** The reasons for fields the table has no column for, so a run says what would complete it. */
function withAbsentReasons(run: Run, hasColumn: (field: RunField) => boolean): Run {
  const absent = run.missing.filter((f) => !hasColumn(f) && run.reasons?.[f] === undefined);
  if (absent.length === 0) return run;
  return { ...run, reasons: { ...run.reasons, ...Object.fromEntries(absent.map((f) => [f, ABSENT_REASON[f]])) } };
}

/** Why a run lacks a field its table has a column for: the cell is empty. */
function emptyCellReason(field: RunField, column: string, line: number): string {
  const fix = field === 'precision' ? ': fill it in or set a default precision' : '';
  return `no ${MISSING_HINT[field]} on line ${line} (${column} is empty there)${fix}`;
}

/** The split a final-loss column's values go under in a curve: the column is taken as a validation loss. */
function curveSplit(column: string): string {
  const split = splitOf(column);
  return split === 'train' ? 'val' : split;
}

/** How the rows became runs, in one sentence; nothing when each row simply is a run. */
function groupingText(c: GroupingCounts, runs: number): string | undefined {
  const head = `${rowsText(c.rows)} read as ${rowsText(runs, 'run')}`;
  const parts: string[] = [];
  if (c.checkpoints > 0) {
    const step = c.progressColumn ?? 'token count';
    parts.push(`rows with the same ${c.nameColumn ?? 'name'} that differ only in ${step} are one run's checkpoints (${rowsText(c.checkpoints, 'run')}): the last, highest ${step}, gives the run's values, the earlier ones its loss curve`);
  }
  if (c.merged > 0) parts.push(`a run's rows (same ${c.nameColumn ?? 'N, D and precision'}) hold its end-of-training loss and its post-training results by ${c.postBitsColumn ?? 'post bits'} (${rowsText(c.merged, 'run')})`);
  if (c.shared.length > 0) {
    const [e] = c.shared;
    parts.push(`${c.shared.length === 1 ? 'a name is' : `${c.shared.length} names are`} shared by rows that differ in more than the step ("${e.name}" on lines ${e.lines.slice(0, 3).join(', ')}${e.lines.length > 3 ? ', …' : ''}), so each such row is a run of its own`);
  }
  if (c.repeats > 0) parts.push(`${rowsText(c.repeats)} repeating another left out`);
  if (c.groupColumn !== undefined) parts.push(`${c.groupColumn} groups runs and names none`);
  return parts.length === 0 ? undefined : `${head}: ${parts.join('; ')}`;
}

function formatBits(p: PartPrecision): string {
  return p.name ?? `${p.bits}-bit`;
}

// ---------------------------------------------------------------------------------------------
// Recognising a table from the head of a file

type TableKind = 'delimited' | 'jsonl' | 'json';

function kindOf(file: string): TableKind {
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  return /\.json$/i.test(file) ? 'json' : 'delimited';
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The field separator of a delimited file: tab for .tsv, else the commonest of , ; and tab in the header. */
function delimiterOf(header: string, file: string): string {
  if (/\.tsv$/i.test(file)) return '\t';
  const counts = [',', ';', '\t'].map((d) => [d, header.split(d).length - 1] as const);
  return counts.reduce((best, c) => (c[1] > best[1] ? c : best))[0];
}

function firstLineOf(text: string): string {
  return stripBom(text).split(/\r?\n/, 1)[0] ?? '';
}

/** The first non-blank line of a JSONL head, when the head holds all of it. */
function firstJsonlLine(head: string, wholeFile: boolean): string | undefined {
  const lines = stripBom(head).split('\n');
  const i = lines.findIndex((line) => line.trim() !== '');
  return i >= 0 && (i < lines.length - 1 || wholeFile) ? lines[i] : undefined;
}

/** Property names in (the head of) a JSON text, read with a tolerant scanner. */
function jsonPropertyNames(text: string): string[] {
  const names = new Set<string>();
  visit(text, { onObjectProperty: (name) => void (names.size < 5000 && names.add(name)) }, { allowTrailingComma: true, disallowComments: false });
  return [...names];
}

/** Does the head of a file (any encoding, decoded) look like a sweep table? */
function headLooksLikeTable(kind: TableKind, head: string, file: string, wholeFile: boolean, aliases: AliasTable): boolean {
  if (kind === 'json') return tableLayout(jsonPropertyNames(head), aliases) !== undefined;
  if (kind === 'jsonl') {
    const first = firstJsonlLine(head, wholeFile);
    const value = first === undefined ? undefined : parseJsonLine(first);
    return isRecord(value) && tableLayout([...scalarCells(value).keys()], aliases) !== undefined;
  }
  const line = firstLineOf(head);
  try {
    const records = parseCsvSync(line, { delimiter: delimiterOf(line, file), relax_quotes: true, relax_column_count: true, skip_records_with_error: true }) as string[][];
    return sinkFor((records[0] ?? []).map((h) => h.trim()), aliases) !== undefined;
  } catch {
    return false;
  }
}


// ---------------------------------------------------------------------------------------------
// Delimited files

async function lastByte(file: string, size: number): Promise<number | undefined> {
  return size === 0 ? undefined : (await readRegularAt(file, size - 1, 1))[0];
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/** What reads a table with this header: a W&B export, a sweep table, or nothing (not a table). */
function sinkFor(header: readonly string[], aliases: AliasTable): ((file: string, fileId: string, options: { decimalComma: boolean; headerLine: number }) => TableSink) | undefined {
  if (isWandbExportHeader(header)) {
    const layout = wandbExportLayout(header, aliases);
    return layout ? (file, fileId, options) => new WandbExportBuilder(file, fileId, layout, aliases, options) : undefined;
  }
  const layout = tableLayout(header, aliases);
  return layout ? (file, fileId, options) => new RunBuilder(file, fileId, { ...options, layout }) : undefined;
}

async function readDelimited(file: string, context: ReadContext, aliases: AliasTable, head: string, size: number): Promise<ReadResult> {
  const delimiter = delimiterOf(firstLineOf(head), file);
  const last = await lastByte(file, size);
  const terminated = last === 10 || last === 13;
  let header: string[] | undefined;
  let builder: TableSink | undefined;
  let notMine = false;
  let lastRecordLine = 0;
  const early: Diagnostic[] = [];

  const source = (await openRegular(file)).createReadStream();
  const parser = parseCsv({
    delimiter,
    bom: true,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
  });
  // pipe() does not pass a read error on: without this the loop below would wait forever.
  source.on('error', (error: Error) => parser.destroy(error));
  source.pipe(parser);
  parser.on('skip', (error: Error & { code?: string; lines?: number }) => {
    if (!builder) {
      // A header that does not parse is not one we can recognise.
      notMine = true;
      return;
    }
    const from = lastRecordLine + 1;
    if (error.code === 'CSV_QUOTE_NOT_CLOSED' || error.code === 'CSV_MAX_RECORD_SIZE') {
      const to = error.lines !== undefined && error.lines > from ? ` through line ${error.lines}` : '';
      builder.problem(from, undefined, `a quote opened on line ${from} is never closed, so the text from there${to} reads as one cell; not read`, 'syntax');
    } else {
      builder.problem(error.lines ?? from, undefined, `not a valid row (${error.message.split(':')[0].toLowerCase()}); skipped`, 'syntax');
    }
  });

  const handleRow = (record: string[], line: number, isLast: boolean): void => {
    if (!header || !builder) return;
    const cells = new Map<string, string>();
    let filled = false;
    header.forEach((column, j) => {
      if (column === '' || cells.has(column) || j >= record.length) return;
      const text = record[j].trim();
      cells.set(column, text);
      if (text !== '') filled = true;
    });
    const extra = record.slice(header.length).filter((t) => t.trim() !== '').length;
    // Spreadsheets write rows of empty cells (";;;;") below the data.
    if (!filled && extra === 0) return;
    let damaged: string | undefined;
    if (record.length < header.length) {
      if (isLast && !terminated) damaged = `the last row stops after ${record.length} of ${header.length} cells without a newline (a crashed writer?)`;
      else builder.problem(line, undefined, `row has ${record.length} of ${header.length} cells; the missing ones are read as empty`, 'syntax');
    } else if (extra > 0) {
      builder.problem(line, undefined, `row has ${record.length} cells, the header ${header.length}; the extra cells are ignored`, 'syntax');
    }
    builder.add(damaged === undefined ? { line, cells } : { line, cells, damaged });
  };

  let pending: { record: string[]; line: number } | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<CsvRecord>) {
      if (notMine) break;
      if (!header) {
        header = record.map((h) => h.trim());
        const sink = sinkFor(header, aliases);
        if (!sink) {
          notMine = true;
          break;
        }
        builder = sink(file, runId(file, context.root), { decimalComma: delimiter === ';', headerLine: info.lines });
        lastRecordLine = info.lines;
        continue;
      }
      if (pending) handleRow(pending.record, pending.line, false);
      pending = { record, line: info.lines };
      lastRecordLine = info.lines;
    }
    if (pending && !notMine) handleRow(pending.record, pending.line, true);
  } catch (error) {
    early.push(diagnostic(file, undefined, undefined, `reading stopped: ${(error as Error).message}`, 'warning', 'unreadable'));
  } finally {
    source.destroy();
    parser.destroy();
  }
  if (notMine || !builder) return { runs: [], diagnostics: [], notMine: true };
  const built = builder.finish();
  return { runs: built.runs, diagnostics: [...early, ...built.diagnostics] };
}

// ---------------------------------------------------------------------------------------------
// JSONL

/** Layouts by key set, for JSON rows that each carry their own keys. */
class LayoutCache {
  private readonly cache = new Map<string, TableLayout | undefined>();
  constructor(private readonly aliases: AliasTable) {}

  of(keys: readonly string[]): TableLayout | undefined {
    const signature = keys.join('\u0000');
    if (!this.cache.has(signature)) this.cache.set(signature, tableLayout(keys, this.aliases, false));
    return this.cache.get(signature);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Scalar cells of a parsed object; nested objects and arrays are not cells. */
function scalarCells(value: Record<string, unknown>): Map<string, unknown> {
  const cells = new Map<string, unknown>();
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'object' || v === null) cells.set(k, v);
  return cells;
}

async function readJsonl(file: string, context: ReadContext, aliases: AliasTable): Promise<ReadResult> {
  const layouts = new LayoutCache(aliases);
  const builder = new RunBuilder(file, runId(file, context.root));
  const early: Diagnostic[] = [];
  let pending: { text: string; line: number } | undefined;
  const handle = (text: string, line: number, cut: boolean): void => {
    if (text.trim() === '') return;
    const value = parseJsonLine(line === 1 ? stripBom(text) : text);
    if (!isRecord(value)) {
      if (cut) builder.problem(line, undefined, 'the last line is cut short (a crashed writer?); left out', 'truncated');
      else if (typeof value === 'symbol') builder.problem(line, undefined, 'line is not valid JSON; skipped', 'syntax');
      else builder.problem(line, undefined, 'line is not a JSON object; skipped', 'bad-value');
      return;
    }
    const cells = scalarCells(value);
    const layout = layouts.of([...cells.keys()]);
    if (!layout) {
      builder.problem(line, undefined, 'row has none of the columns of a sweep table; skipped', 'bad-value');
      return;
    }
    builder.add({ line, cells, layout });
  };
  try {
    const scan = await forEachLine(
      file,
      (text, line) => {
        if (pending) handle(pending.text, pending.line, false);
        pending = { text, line };
      },
      {
        onLongLine: (line, bytes) => {
          if (pending) handle(pending.text, pending.line, false);
          pending = undefined;
          const { message } = longLineDiagnostic(file, line, bytes, undefined);
          builder.problem(line, undefined, message, 'truncated');
        },
      },
    );
    if (pending) handle(pending.text, pending.line, !scan.endsWithNewline);
  } catch (error) {
    early.push(diagnostic(file, undefined, undefined, `reading stopped: ${(error as Error).message}`, 'warning', 'unreadable'));
  }
  const built = builder.finish();
  return { runs: built.runs, diagnostics: [...early, ...built.diagnostics] };
}

// ---------------------------------------------------------------------------------------------
// JSON

async function readJson(file: string, context: ReadContext, aliases: AliasTable): Promise<ReadResult> {
  const raw = (await readRegular(file)).toString('utf8');
  // Blanking a BOM (rather than cutting it) keeps every offset, hence every line, right.
  const text = raw.charCodeAt(0) === 0xfeff ? ` ${raw.slice(1)}` : raw;
  const doc = parseJsonDoc(text);
  const table = jsonRows(doc, aliases);
  if (!table) return { runs: [], diagnostics: [], notMine: true };
  // One of the first rows must be a table row by itself (a row cut short or a failed run may
  // lack the loss); keys spread over rows are how nested configs look.
  if (!table.rows.slice(0, 20).some((r) => tableLayout([...r.cells.keys()], aliases))) return { runs: [], diagnostics: [], notMine: true };
  const layouts = new LayoutCache(aliases);
  const builder = new RunBuilder(file, runId(file, context.root));
  doc.errors.slice(0, MAX_SYNTAX_DIAGNOSTICS).forEach((e) => builder.note(e.line, undefined, `${e.message}; what could be read around it is kept`, 'syntax'));
  if (doc.errors.length > MAX_SYNTAX_DIAGNOSTICS) builder.note(undefined, undefined, `${doc.errors.length - MAX_SYNTAX_DIAGNOSTICS} more syntax errors not listed`, 'syntax');
  if (table.uneven) builder.note(table.rows[0]?.line, undefined, `the column lists differ in length (${table.uneven}); rows past the end of a short list lack its value`, 'bad-value');
  for (const line of table.strays) builder.problem(line, undefined, `a row that is not ${table.rowKind}; skipped`, 'bad-value');
  const errorLines = doc.errors.map((e) => e.line);
  for (const { span, ...row } of table.rows) {
    const layout = layouts.of([...row.cells.keys()]);
    if (!layout) {
      builder.problem(row.line, undefined, 'row has none of the columns of a sweep table; skipped', 'bad-value');
      continue;
    }
    const broken = errorLines.find((l) => l >= span[0] && l <= span[1]);
    builder.add(broken === undefined ? { ...row, layout } : { ...row, layout, damaged: `the row has a syntax error on line ${broken} (a cut or hand-edited file?)` });
  }
  const built = builder.finish();
  return { runs: built.runs, diagnostics: built.diagnostics };
}

// ---------------------------------------------------------------------------------------------
// Entry point

const notMine = (): ReadResult => ({ runs: [], diagnostics: [], notMine: true });

export async function readSweepTable(file: string, context: ReadContext): Promise<ReadResult> {
  const absolute = path.resolve(file);
  const name = path.basename(absolute);
  const aliases = context.aliases ?? DEFAULT_ALIASES;
  const kind = kindOf(absolute);
  const warn = (message: string, code: DiagnosticCode): ReadResult => ({ runs: [], diagnostics: [diagnostic(absolute, undefined, undefined, message, 'warning', code)] });
  try {
    const { size, head } = await readRegularHead(absolute, HEAD_BYTES);
    if (size === 0) return notMine();
    const wholeFile = head.length >= size;
    const verdict = sniffBinary(head);
    // A pointer says nothing of what it stands for; a .csv or .json in its place is worth the word.
    if (verdict === 'binary' || verdict === 'lfs-pointer') return warn(binaryMessage(verdict, name), verdictCode(verdict));
    // Reported only when the decoded text is a table, so a stray UTF-16 export stays quiet.
    if (verdict === 'utf16') return headLooksLikeTable(kind, decodeUtf16(head), absolute, wholeFile, aliases) ? warn(binaryMessage(verdict, name), 'binary') : notMine();
    const text = head.toString('utf8');
    if (kind === 'json') {
      if (size <= MAX_JSON_BYTES) return await readJson(absolute, context, aliases);
      if (!headLooksLikeTable(kind, text, absolute, wholeFile, aliases)) return notMine();
      return warn(`${name} is ${(size / 2 ** 20).toFixed(0)} MiB; JSON tables over ${MAX_JSON_BYTES / 2 ** 20} MiB are not read: write one row per line (JSONL) instead`, 'unreadable');
    }
    // A JSONL data set (prompts, documents) is told apart by its first line, not read through.
    if (kind === 'jsonl') return headLooksLikeTable(kind, text, absolute, wholeFile, aliases) ? await readJsonl(absolute, context, aliases) : notMine();
    return await readDelimited(absolute, context, aliases, text, size);
  } catch (error) {
    return warn(`cannot read ${name}: ${(error as Error).message}`, 'unreadable');
  }
}

export const sweepTableReader: RunReader = {
  id: SWEEP_TABLE_FORMAT,
  label: 'sweep table',
  matches: isSweepTableCandidate,
  read: readSweepTable,
};
