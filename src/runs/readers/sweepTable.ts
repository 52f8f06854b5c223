// Sweep tables: one row per run (or per run and post-training bit-width), the way researchers
// keep results. CSV, TSV, semicolon-separated CSV, JSONL and JSON; columns are recognised through
// the alias table (src/runs/aliases.ts), which users extend in the precisionPlanner.aliases setting.
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
// Numbers may be written 1.3e8, 130M, 13B or "1,300,000". In semicolon-separated files (what
// Excel writes in European locales) a single comma inside a number is the decimal comma ("3,84",
// "1,3E+08"); grouping dots ("1.300.000") are not read there and are reported.
//
// JSON: an array of row objects; an object holding one under runs, rows, data, results or
// records (pandas' "records" and "table"); and pandas' "split", "index" and "columns" layouts.

import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { type Node, visit } from 'jsonc-parser';
import { type AliasField, type AliasTable, DEFAULT_ALIASES, matchKeys, normaliseKey } from '../aliases';
import type { Diagnostic, Severity } from '../diagnostics';
import { type JsonDoc, parseJsonDoc } from '../jsonDoc';
import { forEachLine } from '../lines';
import { parsePrecision, parseTrainingPrecision } from '../precision';
import { formatCount, parseQuantity } from '../quantity';
import { type PartPrecision, type PtqEval, type Run, type RunField, type SourceRef, type TrainingPrecision, runId, withMissing } from '../run';
import { binaryMessage, sniffBinary } from '../text';
import { describeValue } from '../validate';
import type { ReadContext, ReadResult, RunReader } from './types';
import { parseJsonLine } from './metricsJsonl';

export const SWEEP_TABLE_FORMAT = 'sweep-table';

/** File names that are other readers' files, model files or tool configuration: never sweep tables. */
export const NOT_SWEEP_TABLES: ReadonlySet<string> = new Set([
  // Other readers' files.
  'run.json',
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
/** Row and run problems listed individually per file; the rest are counted. */
export const MAX_ROW_DIAGNOSTICS = 50;
/** Syntax errors of a JSON table listed individually. */
const MAX_SYNTAX_DIAGNOSTICS = 3;

// ---------------------------------------------------------------------------------------------
// Columns

const LOSS_WORD = String.raw`(?:(?:val(?:id(?:ation)?)?|eval|test)[-_ /]?)?loss`;
const BIT_SPEC = String.raw`(?:(ptq|post|quant(?:ized)?)[-_ ]?)?(int|fp|nf|w|q)?(\d{1,2})(?:[-_ ]?(bits?|b))?`;
const LOSS_FIRST = new RegExp(String.raw`^${LOSS_WORD}(?:[-_ /]|(@))${BIT_SPEC}$`);
const SPEC_FIRST = new RegExp(String.raw`^${BIT_SPEC}[-_ /]${LOSS_WORD}$`);

/**
 * The post-training precision a wide-layout loss column holds, or undefined. The column must say
 * it is about quantization (ptq/post/quant, a number type, "bit" or "@"): "loss_4" is not enough.
 */
export function wideColumnPrecision(column: string): PartPrecision | undefined {
  const c = column.trim().toLowerCase();
  const lossFirst = LOSS_FIRST.exec(c);
  const m = lossFirst ?? SPEC_FIRST.exec(c);
  if (!m) return undefined;
  const [at, marker, type, digits, bitWord] = lossFirst ? m.slice(1) : [undefined, ...m.slice(1)];
  // "w4_loss" alone could as well be the loss of a run trained with 4-bit weights.
  const marked = marker !== undefined || bitWord !== undefined || at !== undefined || (type !== undefined && (lossFirst !== null || type !== 'w'));
  const bits = Number(digits);
  if (!marked || bits < 1 || bits >= 16) return undefined;
  if (type === 'fp' || type === 'nf') return parsePrecision(`${type}${bits}`) ?? { bits, type: 'fp', name: `${type}${bits}` };
  return { bits, type: 'int' };
}

/** Where each quantity is in a table (or in one JSON row). */
export interface TableLayout {
  columns: Partial<Record<AliasField, string>>;
  wide: ReadonlyArray<{ column: string; precision: PartPrecision }>;
  /** PTQ method ("rtn", "gptq") and group size, when the table has such columns. */
  method?: string;
  groupSize?: string;
}

const METHOD_COLUMNS = ['ptq_method', 'quant_method', 'quantization_method', 'quantizer', 'method'].map(normaliseKey);
const GROUP_SIZE_COLUMNS = ['group_size', 'groupsize', 'ptq_group_size', 'quant_group_size', 'q_group_size'].map(normaliseKey);
/** Columns that make a table a per-step training log of one run rather than a sweep. */
const LOG_STEP_COLUMNS = ['step', 'global_step', 'trainer/global_step', 'iter', 'iteration', 'epoch'].map(normaliseKey);

/**
 * The layout of a table with these column names, or undefined when it is not a sweep table: it
 * needs a loss (end-of-training, long-layout PTQ or wide PTQ columns) and N or D. With
 * `asTable` false (one JSON row of a table already recognised) any known column will do.
 */
export function tableLayout(keys: readonly string[], aliases: AliasTable = DEFAULT_ALIASES, asTable = true): TableLayout | undefined {
  const named = keys.filter((k) => typeof k === 'string' && k.trim() !== '');
  const wide = named.flatMap((column) => {
    const precision = wideColumnPrecision(column);
    return precision ? [{ column, precision }] : [];
  });
  const wideNames = new Set(wide.map((w) => w.column));
  const rest = named.filter((k) => !wideNames.has(k));
  const columns = matchKeys(rest, aliases);
  if (asTable) {
    const hasLoss = columns.loss !== undefined || wide.length > 0 || (columns.postLoss !== undefined && columns.postBits !== undefined);
    if (!hasLoss || (columns.params === undefined && columns.tokens === undefined)) return undefined;
    if (columns.params === undefined && columns.name === undefined && rest.some((k) => LOG_STEP_COLUMNS.includes(normaliseKey(k)))) return undefined;
  } else if (wide.length === 0 && Object.keys(columns).length === 0) return undefined;
  const layout: TableLayout = { columns, wide };
  const byNorm = (wanted: readonly string[]) => wanted.map((w) => rest.find((k) => normaliseKey(k) === w)).find((k) => k !== undefined);
  const method = byNorm(METHOD_COLUMNS);
  const groupSize = byNorm(GROUP_SIZE_COLUMNS);
  if (method !== undefined && !Object.values(columns).includes(method)) layout.method = method;
  if (groupSize !== undefined && !Object.values(columns).includes(groupSize)) layout.groupSize = groupSize;
  return layout;
}

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

// ---------------------------------------------------------------------------------------------
// Cells

/** Cell values that mean "nothing here". */
const EMPTY = new Set(['', 'na', 'n/a', 'none', 'null', 'nil', '-', '—', '–']);
const PER_CHANNEL = new Set(['-1', 'per-channel', 'per_channel', 'channel']);
const UNFINISHED_STATUS = /^(fail|crash|running|cancel|kill|diverg|abort|error|preempt)/i;
/** Post-bits values that mark the end-of-training row of a long-layout run. */
const NOT_QUANTIZED = new Set(['baseline', 'full', 'unquantized', 'no', 'false', 'fp', 'original']);

function isEmptyCell(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && EMPTY.has(value.trim().toLowerCase()));
}

/** A cell as a user sees it in the file. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return describeValue(value);
}

const DECIMAL_COMMA = /^[+-]?\d*,\d+(?:e[+-]?\d+)?$/i;
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

function numberText(text: string, decimalComma: boolean): string {
  const t = text.trim();
  return decimalComma && DECIMAL_COMMA.test(t) ? t.replace(',', '.') : t;
}

function countOf(value: unknown, decimalComma: boolean): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  return typeof value === 'string' ? parseQuantity(numberText(value, decimalComma)) : undefined;
}

function lossOf(value: unknown, decimalComma: boolean): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const t = numberText(value, decimalComma);
    if (PLAIN_NUMBER.test(t)) n = Number(t);
  }
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Bits of one part: 8, "int8", "bf16", "fp8_e4m3", "w4" (as post-training bits are often written). */
function partOf(value: unknown): PartPrecision | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const p = parsePrecision(value);
  if (p || typeof value === 'number') return p;
  const w = /^\s*w(\d{1,2})\s*$/i.exec(value);
  return w ? parsePrecision(Number(w[1])) : parseTrainingPrecision(value)?.w;
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

// ---------------------------------------------------------------------------------------------
// Rows to runs

/** One row: its cells by column name and the line it is on. */
interface Row {
  line: number;
  cells: ReadonlyMap<string, unknown>;
  layout: TableLayout;
  /** Lines of single cells, where a row spans lines (pretty-printed JSON). */
  cellLines?: ReadonlyMap<string, number>;
  /** Why the row may be incomplete (cut by the end of the file, next to a syntax error). */
  damaged?: string;
  /** A name from outside the cells: the key of a JSON object of rows. */
  key?: string;
}

interface Located<T> {
  value: T;
  column: string;
  line: number;
}

/** What one row says, before it is merged into its run. */
interface RowValues {
  name?: string;
  params?: Located<number>;
  tokens?: Located<number>;
  precision?: Located<TrainingPrecision>;
  /** Post-training precision of a long-layout PTQ row; absent on end-of-training rows. */
  post?: PartPrecision;
  finalLoss?: Located<number>;
  postLoss?: Located<number>;
  wide: Array<Located<number> & { precision: PartPrecision }>;
  /** An end-of-training row whose loss cell is empty. */
  emptyLoss?: { column: string; line: number };
  method: string;
  groupSize: number | null;
  unfinished: boolean;
  /** Parts taken as 16-bit because the table has no column for them. */
  defaulted: string[];
  problems: Diagnostic[];
  /** Fields whose cell was there but unreadable (already reported at the cell). */
  rejected: Set<RunField>;
  /** The row cannot be placed (its post bits are unreadable). */
  unusable: boolean;
}

interface RunAccumulator {
  run: Omit<Run, 'missing'>;
  firstLine: number;
  emptyLoss?: { column: string; line: number };
  rejected: Set<RunField>;
}

const MISSING_HINT: Record<RunField, string> = {
  params: 'parameter count (N)',
  tokens: 'token count (D)',
  precision: 'training precision',
  finalLoss: 'end-of-training loss',
};

const ABSENT_COLUMN_HINT: Record<RunField, string> = {
  params: 'no column for the parameter count (N): name one params, n_params or N',
  tokens: 'no column for the training token count (D): name one tokens, train_tokens or D',
  precision: 'no column for the training precision: name one precision (bf16, int8, w4a8kv4) or weight_bits/act_bits/kv_bits',
  finalLoss: 'no column for the end-of-training loss: name one val_loss or loss',
};

/** Everything one row says, each unreadable cell a problem naming its line and column. */
class RowReader {
  readonly v: RowValues = { wide: [], method: 'unknown', groupSize: null, unfinished: false, defaulted: [], problems: [], rejected: new Set(), unusable: false };
  private readonly columns: TableLayout['columns'];

  constructor(
    private readonly row: Row,
    private readonly file: string,
    private readonly decimalComma: boolean,
  ) {
    this.columns = row.layout.columns;
  }

  read(): RowValues {
    const { columns, row, v } = this;
    const name = this.cell(columns.name);
    if (name && (typeof name.value === 'string' || typeof name.value === 'number')) v.name = String(name.value).trim();
    else if (row.key !== undefined && !/^\d+$/.test(row.key)) v.name = row.key;
    v.params = this.count('params', 'parameter count');
    v.tokens = this.count('tokens', 'token count');
    this.readPrecision();
    if (!this.readPostBits()) return v;
    this.readLosses();
    const method = this.cell(row.layout.method);
    if (method && (typeof method.value === 'string' || typeof method.value === 'number')) v.method = String(method.value).trim();
    const group = this.cell(row.layout.groupSize);
    if (group) {
      const n = countOf(group.value, false);
      const text = typeof group.value === 'string' ? group.value.trim().toLowerCase() : String(group.value);
      if (n !== undefined && Number.isInteger(n)) v.groupSize = n;
      else if (!PER_CHANNEL.has(text)) this.problem(group.column, `${group.column} is ${shown(group.value)}, not a group size (like 128, or -1 for per-channel); taken as per-channel`);
    }
    const status = this.cell(columns.status);
    if (status && UNFINISHED_STATUS.test(String(status.value).trim())) v.unfinished = true;
    return v;
  }

  private lineOf(column: string): number {
    return this.row.cellLines?.get(column) ?? this.row.line;
  }

  private problem(column: string, message: string): void {
    this.v.problems.push({ file: this.file, line: this.lineOf(column), field: column, message, severity: 'warning' });
  }

  private cell(column: string | undefined): { column: string; value: unknown } | undefined {
    if (column === undefined) return undefined;
    const value = this.row.cells.get(column);
    return isEmptyCell(value) ? undefined : { column, value };
  }

  private count(field: 'params' | 'tokens', what: string): Located<number> | undefined {
    const c = this.cell(this.columns[field]);
    if (!c) return undefined;
    const n = countOf(c.value, this.decimalComma);
    if (n !== undefined) return { value: n, column: c.column, line: this.lineOf(c.column) };
    this.problem(c.column, `${c.column} is ${shown(c.value)}, not a positive ${what} (like 1.3e8, 130M or 1,300,000); left out`);
    this.v.rejected.add(field);
    return undefined;
  }

  private loss(column: string, final = false): Located<number> | undefined {
    const c = this.cell(column);
    if (!c) return undefined;
    const n = lossOf(c.value, this.decimalComma);
    if (n !== undefined) return { value: n, column, line: this.lineOf(column) };
    this.problem(column, `${column} is ${shown(c.value)}, not a positive finite loss; left out`);
    if (final) this.v.rejected.add('finalLoss');
    return undefined;
  }

  private part(field: 'weightBits' | 'actBits' | 'kvBits'): PartPrecision | undefined | null {
    const c = this.cell(this.columns[field]);
    if (!c) return undefined;
    const p = partOf(c.value);
    if (p) return p;
    this.problem(c.column, `${c.column} is ${shown(c.value)}, not a precision (bits like 8, or a name like int8, bf16); left out`);
    return null;
  }

  /** A named precision ("bf16", "w4a8kv4") as the base, bit columns over it; parts nothing names are 16-bit. */
  private readPrecision(): void {
    const { columns, v } = this;
    const named = this.cell(columns.precision);
    let base: TrainingPrecision | null | undefined;
    if (named) {
      base = (typeof named.value === 'string' || typeof named.value === 'number' ? parseTrainingPrecision(named.value) : undefined) ?? null;
      if (!base) this.problem(named.column, `${named.column} is ${shown(named.value)}, not a training precision (like bf16, int8, fp8_e4m3 or w4a8kv4); left out`);
    }
    const w = this.part('weightBits');
    const a = this.part('actBits');
    const kv = this.part('kvBits');
    if (base === null || w === null || a === null || kv === null) {
      v.rejected.add('precision');
      return;
    }
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
    this.problem(c.column, `${c.column} is ${shown(c.value)}, not a bit-width (like 4, int4 or fp8); row left out`);
    this.v.unusable = true;
    return false;
  }

  private readLosses(): void {
    const { columns, v } = this;
    if (v.post) {
      const postColumn = columns.postLoss ?? columns.loss;
      if (postColumn !== undefined) {
        v.postLoss = this.loss(postColumn);
        if (!v.postLoss && !this.cell(postColumn)) this.problem(postColumn, `no ${postColumn} on this ${formatBits(v.post)} post-training row; nothing read from it`);
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
    for (const { column, precision } of this.row.layout.wide) {
      const l = this.loss(column);
      if (l) v.wide.push({ ...l, precision });
    }
  }
}

/** Builds runs out of rows, reporting each unusable cell once, by line and column. */
class RunBuilder {
  private readonly groups = new Map<string, RunAccumulator>();
  private readonly ids = new Set<string>();
  private readonly names = new Set<string>();
  /** Fields with a column in some row, and the first column found for each. */
  private readonly seen = new Map<AliasField, string>();
  private readonly layouts = new WeakSet<TableLayout>();
  private readonly defaulted = new Set<string>();
  private readonly notes: Diagnostic[] = [];
  private readonly rowDiagnostics: Diagnostic[] = [];
  private rowProblems = 0;
  private rows = 0;
  private firstLine: number | undefined;

  constructor(
    private readonly file: string,
    private readonly fileId: string,
    private readonly options: { decimalComma?: boolean; headerLine?: number } = {},
  ) {}

  /** A problem of one row or run, listed up to MAX_ROW_DIAGNOSTICS per file. */
  problem(line: number | undefined, field: string | undefined, message: string, severity: Severity = 'warning'): void {
    this.rowProblems++;
    if (this.rowProblems > MAX_ROW_DIAGNOSTICS) return;
    this.rowDiagnostics.push(this.diagnostic(line, field, message, severity));
  }

  /** A problem of the whole file, always listed. */
  note(line: number | undefined, field: string | undefined, message: string, severity: Severity = 'warning'): void {
    this.notes.push(this.diagnostic(line, field, message, severity));
  }

  private diagnostic(line: number | undefined, field: string | undefined, message: string, severity: Severity): Diagnostic {
    const d: Diagnostic = { file: this.file, message, severity };
    if (line !== undefined) d.line = line;
    if (field !== undefined) d.field = field;
    return d;
  }

  add(row: Row): void {
    this.firstLine ??= row.line;
    this.rows++;
    if (!this.layouts.has(row.layout)) {
      this.layouts.add(row.layout);
      for (const [field, column] of Object.entries(row.layout.columns) as Array<[AliasField, string]>) if (!this.seen.has(field)) this.seen.set(field, column);
    }
    const v = new RowReader(row, this.file, this.options.decimalComma ?? false).read();
    if (row.damaged) {
      const useful = v.finalLoss !== undefined || v.postLoss !== undefined || v.wide.length > 0;
      const first = v.problems[0];
      if (v.unusable || first || !useful) {
        const why = first ? first.message.replace(/; (row )?left out$/, '') : 'it holds no loss';
        this.problem(row.line, first?.field, `${row.damaged}; row left out (${why})`);
        return;
      }
      const lastColumn = [...row.cells.keys()].pop();
      const check = lastColumn !== undefined ? ` (check that its last cell, ${lastColumn} = ${shown(row.cells.get(lastColumn))}, was written whole)` : '';
      this.problem(row.line, undefined, `${row.damaged}; kept, as its cells read${check}`, 'info');
    } else {
      for (const p of v.problems) this.problem(p.line, p.field, p.message, p.severity);
    }
    if (v.unusable) return;
    for (const part of v.defaulted) this.defaulted.add(part);
    const acc = this.runFor(row, v);
    const { run } = acc;
    this.keepNumber(run, 'params', v.params, 'parameter count');
    this.keepNumber(run, 'tokens', v.tokens, 'token count');
    this.keepNumber(run, 'finalLoss', v.finalLoss, 'end-of-training loss');
    if (v.precision) {
      if (!run.precision) [run.precision, run.sources.precision] = [v.precision.value, this.at(v.precision)];
      else if (!samePrecision(run.precision, v.precision.value)) {
        this.problem(v.precision.line, v.precision.column, `training precision ${precisionLabel(v.precision.value)} differs from ${precisionLabel(run.precision)} on line ${run.sources.precision?.line} for run "${run.name}"; the first is kept`);
      }
    }
    if (v.post && v.postLoss) run.ptq.push(this.ptq(v, v.post, v.postLoss));
    for (const w of v.wide) run.ptq.push(this.ptq(v, w.precision, w));
    if (v.emptyLoss && !acc.emptyLoss) acc.emptyLoss = v.emptyLoss;
    for (const field of v.rejected) acc.rejected.add(field);
    if (v.unfinished) run.unfinished = true;
  }

  private at(x: Located<unknown>): SourceRef {
    return { file: this.file, line: x.line, field: x.column };
  }

  /** The first value a run's rows give is kept; a different one later is reported. */
  private keepNumber(run: Omit<Run, 'missing'>, field: 'params' | 'tokens' | 'finalLoss', x: Located<number> | undefined, what: string): void {
    if (!x) return;
    const have = run[field];
    if (have === undefined) {
      run[field] = x.value;
      run.sources[field] = this.at(x);
    } else if (!sameNumber(have, x.value)) {
      this.problem(x.line, x.column, `${what} ${formatCount(x.value)} differs from ${formatCount(have)} on line ${run.sources[field]?.line} for run "${run.name}"; the first is kept`);
    }
  }

  private ptq(v: RowValues, precision: PartPrecision, loss: Located<number>): PtqEval {
    return { bits: precision.bits, type: precision.type, format: precision.name ?? precision.type, method: v.method, groupSize: v.groupSize, loss: loss.value, source: this.at(loss) };
  }

  /** The run a row belongs to: by name, else (long layout) by N, D and precision, else its own. */
  private runFor(row: Row, v: RowValues): RunAccumulator {
    let key: string;
    if (v.name !== undefined) key = `name\u0000${v.name}`;
    else if (row.layout.columns.postBits !== undefined) {
      const p = v.precision?.value;
      key = `ndp\u0000${v.params?.value ?? '?'}\u0000${v.tokens?.value ?? '?'}\u0000${p ? JSON.stringify([p.w.bits, p.w.type, p.a.bits, p.a.type, p.kv.bits, p.kv.type]) : '?'}`;
    } else key = `row\u0000${this.rows}`;
    const existing = this.groups.get(key);
    if (existing) return existing;
    let name = v.name ?? this.synthesizedName(v, row.line);
    // Unnamed rows with equal settings (seeds, repeats) stay apart; minified JSON has all rows on line 1.
    if (v.name === undefined && this.names.has(name)) name = this.names.has(`${name} (line ${row.line})`) ? `${name} (row ${this.rows})` : `${name} (line ${row.line})`;
    this.names.add(name);
    const base = `${this.fileId}#${v.name ?? row.line}`;
    let id = base;
    for (let k = 2; this.ids.has(id); k++) id = `${base}.${k}`;
    this.ids.add(id);
    const acc: RunAccumulator = { run: { id, name, format: SWEEP_TABLE_FORMAT, file: this.file, ptq: [], sources: {} }, firstLine: row.line, rejected: new Set() };
    this.groups.set(key, acc);
    return acc;
  }

  private synthesizedName(v: RowValues, line: number): string {
    const parts = [
      v.params && `N=${formatCount(v.params.value)}`,
      v.tokens && `D=${formatCount(v.tokens.value)}`,
      v.precision && precisionLabel(v.precision.value),
    ].filter((x): x is string => typeof x === 'string');
    return parts.length > 0 ? parts.join(', ') : `row ${line}`;
  }

  finish(): { runs: Run[]; diagnostics: Diagnostic[] } {
    const runs: Run[] = [];
    const absent = new Set<RunField>();
    const columnOf = (field: RunField): string | undefined =>
      field === 'precision'
        ? (this.seen.get('weightBits') ?? this.seen.get('precision'))
        : field === 'finalLoss'
          ? (this.seen.get('loss') ?? (this.seen.has('postBits') ? this.seen.get('postLoss') : undefined))
          : this.seen.get(field);
    const hasColumn = (field: RunField): boolean => columnOf(field) !== undefined;
    for (const acc of this.groups.values()) {
      const run = withMissing(acc.run);
      // A value rejected at its cell was reported there; the rest are said here, once per run.
      const explained = run.missing.filter((f) => hasColumn(f) && !acc.rejected.has(f));
      for (const field of run.missing) if (!hasColumn(field)) absent.add(field);
      if (explained.length > 0) {
        const emptyLoss = explained.includes('finalLoss') ? acc.emptyLoss : undefined;
        const what = explained.map((f) => MISSING_HINT[f]).join(', no ');
        const where = emptyLoss ? ` (${emptyLoss.column} is empty on line ${emptyLoss.line})` : '';
        this.problem(emptyLoss?.line ?? acc.firstLine, emptyLoss?.column ?? columnOf(explained[0]), `run "${run.name}" has no ${what}${where}; listed as incomplete`);
      }
      runs.push(run);
    }
    const headerLine = this.options.headerLine ?? this.firstLine;
    for (const field of ['params', 'tokens', 'precision', 'finalLoss'] as const) {
      if (absent.has(field)) this.note(headerLine, field, `${ABSENT_COLUMN_HINT[field]}, or add the column's name to the precisionPlanner.aliases setting; runs listed as incomplete`);
    }
    const defaulted = [...this.defaulted];
    if (defaulted.length > 0) this.note(headerLine, 'precision', `no column for the ${defaulted.join(' or ')} precision: taken as 16-bit (high precision)`, 'info');
    if (this.rowProblems > MAX_ROW_DIAGNOSTICS) this.note(undefined, undefined, `${this.rowProblems - MAX_ROW_DIAGNOSTICS} more row problems not listed`);
    if (runs.length === 0) this.note(undefined, undefined, `${path.basename(this.file)} has the columns of a sweep table but no row that could be read`);
    const diagnostics = [...this.notes, ...this.rowDiagnostics].sort((x, y) => (x.line ?? 0) - (y.line ?? 0));
    return { runs, diagnostics };
  }
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
    return tableLayout((records[0] ?? []).map((h) => h.trim()), aliases) !== undefined;
  } catch {
    return false;
  }
}

function decodeUtf16(head: Buffer): string {
  const bigEndian = head[0] === 0xfe && head[1] === 0xff;
  try {
    return new TextDecoder(bigEndian ? 'utf-16be' : 'utf-16le').decode(head.subarray(2, head.length - (head.length % 2)));
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Delimited files

async function lastByte(file: string, size: number): Promise<number | undefined> {
  if (size === 0) return undefined;
  const handle = await fs.open(file, 'r');
  try {
    const b = Buffer.alloc(1);
    await handle.read(b, 0, 1, size - 1);
    return b[0];
  } finally {
    await handle.close();
  }
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

async function readDelimited(file: string, context: ReadContext, aliases: AliasTable, head: string, size: number): Promise<ReadResult> {
  const delimiter = delimiterOf(firstLineOf(head), file);
  const last = await lastByte(file, size);
  const terminated = last === 10 || last === 13;
  let header: string[] | undefined;
  let layout: TableLayout | undefined;
  let builder: RunBuilder | undefined;
  let notMine = false;
  let lastRecordLine = 0;
  const early: Diagnostic[] = [];

  const source = createReadStream(file);
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
  source.on('error', (error) => parser.destroy(error));
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
      builder.problem(from, undefined, `a quote opened on line ${from} is never closed, so the text from there${to} reads as one cell; not read`);
    } else {
      builder.problem(error.lines ?? from, undefined, `not a valid row (${error.message.split(':')[0].toLowerCase()}); skipped`);
    }
  });

  const handleRow = (record: string[], line: number, isLast: boolean): void => {
    if (!header || !layout || !builder) return;
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
      else builder.problem(line, undefined, `row has ${record.length} of ${header.length} cells; the missing ones are read as empty`);
    } else if (extra > 0) {
      builder.problem(line, undefined, `row has ${record.length} cells, the header ${header.length}; the extra cells are ignored`);
    }
    builder.add({ line, cells, layout, damaged });
  };

  let pending: { record: string[]; line: number } | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<CsvRecord>) {
      if (notMine) break;
      if (!header) {
        header = record.map((h) => h.trim());
        layout = tableLayout(header, aliases);
        if (!layout) {
          notMine = true;
          break;
        }
        builder = new RunBuilder(file, runId(file, context.root), { decimalComma: delimiter === ';', headerLine: info.lines });
        lastRecordLine = info.lines;
        continue;
      }
      if (pending) handleRow(pending.record, pending.line, false);
      pending = { record, line: info.lines };
      lastRecordLine = info.lines;
    }
    if (pending && !notMine) handleRow(pending.record, pending.line, true);
  } catch (error) {
    early.push({ file, message: `reading stopped: ${(error as Error).message}`, severity: 'warning' });
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
      if (cut) builder.problem(line, undefined, 'the last line is cut short (a crashed writer?); left out');
      else builder.problem(line, undefined, typeof value === 'symbol' ? 'line is not valid JSON; skipped' : 'line is not a JSON object; skipped');
      return;
    }
    const cells = scalarCells(value);
    const layout = layouts.of([...cells.keys()]);
    if (!layout) {
      builder.problem(line, undefined, 'row has none of the columns of a sweep table; skipped');
      return;
    }
    builder.add({ line, cells, layout });
  };
  try {
    const scan = await forEachLine(file, (text, line) => {
      if (pending) handle(pending.text, pending.line, false);
      pending = { text, line };
    });
    if (pending) handle(pending.text, pending.line, !scan.endsWithNewline);
  } catch (error) {
    early.push({ file, message: `reading stopped: ${(error as Error).message}`, severity: 'warning' });
  }
  const built = builder.finish();
  return { runs: built.runs, diagnostics: [...early, ...built.diagnostics] };
}

// ---------------------------------------------------------------------------------------------
// JSON

const ROW_KEYS = ['runs', 'rows', 'data', 'results', 'records', 'experiments'];

interface JsonRows {
  rows: Array<Omit<Row, 'layout'> & { span: [number, number] }>;
  /** Lines of elements of the row array that are not rows. */
  strays: number[];
  /** What a row should have been, for the message about strays. */
  rowKind: string;
}

function property(node: Node): { key: string; value: Node } | undefined {
  const [k, v] = node.children ?? [];
  return k && v && typeof k.value === 'string' ? { key: k.value, value: v } : undefined;
}

function isScalar(node: Node): boolean {
  return node.type !== 'object' && node.type !== 'array';
}

/** Lines a node spans, first and last. */
function spanOf(doc: JsonDoc, node: Node): [number, number] {
  return [doc.lineOf(node), doc.lineOf({ ...node, offset: node.offset + Math.max(0, node.length - 1) })];
}

function objectRow(doc: JsonDoc, node: Node, key?: string): JsonRows['rows'][number] {
  const cells = new Map<string, unknown>();
  const cellLines = new Map<string, number>();
  for (const child of node.children ?? []) {
    const p = property(child);
    // First occurrence of a key wins, as everywhere in the readers.
    if (!p || cells.has(p.key) || !isScalar(p.value)) continue;
    cells.set(p.key, p.value.value);
    cellLines.set(p.key, doc.lineOf(p.value));
  }
  const row: JsonRows['rows'][number] = { line: doc.lineOf(node), cells, cellLines, span: spanOf(doc, node) };
  if (key !== undefined) row.key = key;
  return row;
}

function recordRows(doc: JsonDoc, array: Node): JsonRows {
  const out: JsonRows = { rows: [], strays: [], rowKind: 'an object' };
  for (const child of array.children ?? []) {
    if (child.type === 'object') out.rows.push(objectRow(doc, child));
    else out.strays.push(doc.lineOf(child));
  }
  return out;
}

/** pandas orient="split": {"columns": [...], "index": [...], "data": [[...], ...]}. */
function splitRows(doc: JsonDoc, columns: Node, data: Node, index: Node | undefined): JsonRows {
  const names = (columns.children ?? []).map((c) => (c.type === 'string' ? String(c.value) : ''));
  const keys = (index?.children ?? []).map((c) => (isScalar(c) ? String(c.value) : undefined));
  const out: JsonRows = { rows: [], strays: [], rowKind: 'an array of cells' };
  (data.children ?? []).forEach((row, i) => {
    if (row.type !== 'array') {
      out.strays.push(doc.lineOf(row));
      return;
    }
    const cells = new Map<string, unknown>();
    const cellLines = new Map<string, number>();
    (row.children ?? []).forEach((c, j) => {
      const name = names[j];
      if (!name || cells.has(name) || !isScalar(c)) return;
      cells.set(name, c.value);
      cellLines.set(name, doc.lineOf(c));
    });
    const r: JsonRows['rows'][number] = { line: doc.lineOf(row), cells, cellLines, span: spanOf(doc, row) };
    const key = keys[i];
    if (key !== undefined) r.key = key;
    out.rows.push(r);
  });
  return out;
}

/** pandas orient="columns" (to_json's default): {"column": {"row": value, ...}, ...}. */
function columnRows(doc: JsonDoc, root: Node): JsonRows {
  const rows = new Map<string, JsonRows['rows'][number]>();
  for (const child of root.children ?? []) {
    const column = property(child);
    if (!column || column.value.type !== 'object') continue;
    for (const entry of column.value.children ?? []) {
      const cell = property(entry);
      if (!cell || !isScalar(cell.value)) continue;
      const line = doc.lineOf(cell.value);
      let row = rows.get(cell.key);
      if (!row) {
        row = { line, cells: new Map(), cellLines: new Map(), key: cell.key, span: [line, line] };
        rows.set(cell.key, row);
      }
      const cells = row.cells as Map<string, unknown>;
      if (cells.has(column.key)) continue;
      cells.set(column.key, cell.value.value);
      (row.cellLines as Map<string, number>).set(column.key, line);
      row.span = [Math.min(row.span[0], line), Math.max(row.span[1], line)];
    }
  }
  return { rows: [...rows.values()], strays: [], rowKind: 'an object' };
}

/** The rows of a JSON table, or undefined when the document is not one. */
function jsonRows(doc: JsonDoc, aliases: AliasTable): JsonRows | undefined {
  const root = doc.root;
  if (!root) return undefined;
  if (root.type === 'array') return recordRows(doc, root);
  if (root.type !== 'object') return undefined;
  const props = (root.children ?? []).map(property).filter((p): p is { key: string; value: Node } => p !== undefined);
  const find = (key: string) => props.find((p) => p.key.toLowerCase() === key)?.value;
  for (const key of ROW_KEYS) {
    const value = find(key);
    if (value?.type !== 'array') continue;
    const columns = find('columns');
    if (columns?.type === 'array' && value.children?.[0]?.type === 'array') return splitRows(doc, columns, value, find('index'));
    return recordRows(doc, value);
  }
  if (props.length === 0 || !props.every((p) => p.value.type === 'object')) return undefined;
  // An object of objects: columns of rows (pandas' default) when its keys are column names,
  // else rows keyed by index or run name.
  if (tableLayout(props.map((p) => p.key), aliases)) return columnRows(doc, root);
  return { rows: props.map((p) => objectRow(doc, p.value, p.key)), strays: [], rowKind: 'an object' };
}

async function readJson(file: string, context: ReadContext, aliases: AliasTable): Promise<ReadResult> {
  const raw = await fs.readFile(file, 'utf8');
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
  doc.errors.slice(0, MAX_SYNTAX_DIAGNOSTICS).forEach((e) => builder.note(e.line, undefined, `${e.message}; what could be read around it is kept`));
  if (doc.errors.length > MAX_SYNTAX_DIAGNOSTICS) builder.note(undefined, undefined, `${doc.errors.length - MAX_SYNTAX_DIAGNOSTICS} more syntax errors not listed`);
  for (const line of table.strays) builder.problem(line, undefined, `a row that is not ${table.rowKind}; skipped`);
  const errorLines = doc.errors.map((e) => e.line);
  for (const { span, ...row } of table.rows) {
    const layout = layouts.of([...row.cells.keys()]);
    if (!layout) {
      builder.problem(row.line, undefined, 'row has none of the columns of a sweep table; skipped');
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

async function readHead(file: string): Promise<{ size: number; head: Buffer }> {
  const handle = await fs.open(file, 'r');
  try {
    const stat = await handle.stat();
    const head = Buffer.alloc(Math.min(HEAD_BYTES, stat.size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return { size: stat.size, head: head.subarray(0, bytesRead) };
  } finally {
    await handle.close();
  }
}

const notMine = (): ReadResult => ({ runs: [], diagnostics: [], notMine: true });

export async function readSweepTable(file: string, context: ReadContext): Promise<ReadResult> {
  const absolute = path.resolve(file);
  const name = path.basename(absolute);
  const aliases = context.aliases ?? DEFAULT_ALIASES;
  const kind = kindOf(absolute);
  const warn = (message: string): ReadResult => ({ runs: [], diagnostics: [{ file: absolute, message, severity: 'warning' }] });
  try {
    const { size, head } = await readHead(absolute);
    if (size === 0) return notMine();
    const wholeFile = head.length >= size;
    const verdict = sniffBinary(head);
    if (verdict === 'binary') return warn(binaryMessage(verdict, name));
    // Reported only when the decoded text is a table, so a stray UTF-16 export stays quiet.
    if (verdict === 'utf16') return headLooksLikeTable(kind, decodeUtf16(head), absolute, wholeFile, aliases) ? warn(binaryMessage(verdict, name)) : notMine();
    const text = head.toString('utf8');
    if (kind === 'json') {
      if (size <= MAX_JSON_BYTES) return await readJson(absolute, context, aliases);
      if (!headLooksLikeTable(kind, text, absolute, wholeFile, aliases)) return notMine();
      return warn(`${name} is ${(size / 2 ** 20).toFixed(0)} MiB; JSON tables over ${MAX_JSON_BYTES / 2 ** 20} MiB are not read: write one row per line (JSONL) instead`);
    }
    // A JSONL data set (prompts, documents) is told apart by its first line, not read through.
    if (kind === 'jsonl') return headLooksLikeTable(kind, text, absolute, wholeFile, aliases) ? await readJsonl(absolute, context, aliases) : notMine();
    return await readDelimited(absolute, context, aliases, text, size);
  } catch (error) {
    return warn(`cannot read ${name}: ${(error as Error).message}`);
  }
}

export const sweepTableReader: RunReader = {
  id: SWEEP_TABLE_FORMAT,
  label: 'sweep table',
  matches: isSweepTableCandidate,
  read: readSweepTable,
};
