// W&B UI exports: the CSV the W&B runs table's "Export CSV" button writes (named like
// wandb_export_2025-03-14T09_12_44.512-07_00.csv). One row per run. The first columns are the
// run's own: "Name", "State" (finished, crashed, failed, running, killed), "Notes" ("-" when
// none), "User", "Tags", "Created" (ISO time), "Runtime" (seconds), "Sweep" (a sweep id; sweep
// views add "Agent" after "Name"); then the visible config columns, dotted
// ("model.hidden_dim", "trainer.train_batch_size"), then the summary columns, slash paths as
// logged ("eval/paloma/macro_loss", "throughput/total_tokens", "parameter_count", "train/loss",
// "_step"). Every cell is quoted; an empty one is "".
//
// Each row's config and summary cells are located config entries (file, the row's line, the
// column as key) for the one facts engine (src/runs/facts.ts), which finds N, D (or steps ×
// batch × length) and the training precision through the aliases. The loss is a validation or
// evaluation loss column (tableColumns.ts lossColumns, evaluation names only): a row's first
// such cell that is filled; "train/loss" or a bare "loss" never. A row whose State is crashed,
// failed, killed or running is an unfinished run.

import * as path from 'node:path';
import { type AliasTable } from '../aliases';
import type { Diagnostic, DiagnosticCode, Severity } from '../diagnostics';
import type { ConfigEntry } from '../entries';
import { EntryIndex, applyFacts, findConfigFacts } from '../facts';
import { DECIMAL_NUMBER } from '../quantity';
import { type Run, type RunField, withMissing } from '../run';
import {
  FindingsByColumn,
  type Row,
  SWEEP_TABLE_FORMAT,
  TableDiagnostics,
  type TableSink,
  UNFINISHED_STATUS,
  countOf,
  dropImplausible,
  flopColumnScale,
  isEmptyCell,
  lossColumns,
  lossOf,
  rowsText,
  shown,
} from './tableColumns';

/** The run's own columns, W&B's rather than the user's: never config or metrics. */
const RUN_COLUMNS: ReadonlySet<string> = new Set([
  'Name',
  'Agent',
  'State',
  'Notes',
  'User',
  'Tags',
  'Created',
  'Runtime',
  'Sweep',
  'ID',
  'Group',
  'Job Type',
  'Hostname',
  'Updated',
  'Start Time',
  'End Time',
  'Heartbeat',
  'Commit',
  'GitHub',
  'Command',
  'Description',
  'GPU Count',
  'GPU Type',
]);
const TELLTALE_COLUMNS = ['Notes', 'User', 'Tags', 'Created', 'Runtime', 'Sweep'];

/** Is this the header of a W&B runs-table export: Name first, State among the next columns, and W&B's own columns? */
export function isWandbExportHeader(header: readonly string[]): boolean {
  if (header[0] !== 'Name' || !header.slice(1, 4).includes('State')) return false;
  return TELLTALE_COLUMNS.filter((c) => header.includes(c)).length >= 2;
}

/** Which columns of a W&B export hold what. */
export interface WandbExportLayout {
  header: readonly string[];
  /** Validation or evaluation loss columns, best first. */
  losses: string[];
  /** Training compute, for D = C / (6N) on rows without D. */
  flops?: string;
  /** A training loss column, to say it was not taken. */
  trainLoss?: string;
}

/**
 * The layout of a W&B export, or undefined when it has nothing to fit: it needs an evaluation
 * loss and something that gives N or D (a parameter count, a token count, steps).
 */
export function wandbExportLayout(header: readonly string[], aliases: AliasTable): WandbExportLayout | undefined {
  const own = header.filter((h) => h !== '' && !RUN_COLUMNS.has(h));
  const losses = lossColumns(own, aliases, true);
  const index = new EntryIndex(own.map((key) => ({ key, value: null, file: '' })));
  const sized = [aliases.params, aliases.tokens, aliases.steps].some((names) => index.find(names).length > 0);
  if (losses.length === 0 || !sized) return undefined;
  const layout: WandbExportLayout = { header, losses };
  const flops = own.find((h) => flopColumnScale(h) !== undefined);
  if (flops !== undefined) layout.flops = flops;
  const trainLoss = own.find((h) => /(^|[/_.])train(ing)?[/_.]?loss$/i.test(h));
  if (trainLoss !== undefined) layout.trainLoss = trainLoss;
  return layout;
}

/** A cell as the config value it was before W&B wrote it as text. */
function typed(text: string): unknown {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  return DECIMAL_NUMBER.test(t) ? Number(t) : t;
}

const ABSENT: Record<RunField, { reason: string; note: string }> = {
  params: {
    reason: 'no column of this row gives N',
    note: 'no column gives the parameter count N: add parameter_count (or a column named like params or n_params) to the exported columns, or the model config (n_layer, hidden_size, …)',
  },
  tokens: {
    reason: 'no column of this row gives D',
    note: 'no column gives the training tokens D: add throughput/total_tokens (or tokens, train_tokens) to the exported columns, or steps, batch size and sequence length',
  },
  precision: {
    reason: 'no column of this row gives the training precision',
    note: 'no column gives the training precision: add a precision column (precision, dtype, bf16, mixed_precision) to the exported columns or set a default precision',
  },
  finalLoss: { reason: 'the row has no validation loss', note: 'no validation loss on these rows' },
};

/** Builds one run per row of a W&B export. */
export class WandbExportBuilder implements TableSink {
  private readonly out: TableDiagnostics;
  private readonly runs: Run[] = [];
  private readonly ids = new Set<string>();
  private readonly names = new Set<string>();
  private readonly findings = new FindingsByColumn();
  /** Notes of the facts engine said once per table ("D computed as …"), with how many rows had one. */
  private readonly onceNotes = new Map<string, { d: Diagnostic; count: number }>();
  private readonly lacking = new Map<RunField, number>();
  private derivedRows = 0;
  private rows = 0;

  constructor(
    private readonly file: string,
    private readonly fileId: string,
    private readonly layout: WandbExportLayout,
    private readonly aliases: AliasTable,
    private readonly options: { headerLine?: number } = {},
  ) {
    this.out = new TableDiagnostics(file);
  }

  problem(line: number | undefined, field: string | undefined, message: string, code: DiagnosticCode, severity: Severity = 'warning'): void {
    this.out.problem(line, field, message, code, severity);
  }

  add(row: Row): void {
    const { file } = this;
    const cell = (column: string): string | undefined => {
      const value = row.cells.get(column);
      return isEmptyCell(value) ? undefined : String(value).trim();
    };
    const entries: ConfigEntry[] = [];
    for (const [column, value] of row.cells) {
      if (RUN_COLUMNS.has(column) || isEmptyCell(value)) continue;
      entries.push({ key: column, value: typed(String(value)), file, line: row.line });
    }
    const facts = findConfigFacts(entries, this.aliases, { file, where: `the row on line ${row.line}`, checkPlausible: false });
    const lossColumn = this.layout.losses.find((c) => cell(c) !== undefined);
    const lossText = lossColumn === undefined ? undefined : cell(lossColumn);
    const loss = lossText === undefined ? undefined : lossOf(lossText, false);
    if (row.damaged && loss === undefined) {
      this.problem(row.line, undefined, `${row.damaged}; row left out`, 'truncated');
      return;
    }
    this.rows++;
    if (row.damaged) this.problem(row.line, undefined, `${row.damaged}; kept, as its cells read`, 'truncated', 'info');
    this.keepFactsDiagnostics(facts.diagnostics);

    const reasons: Partial<Record<RunField, string>> = {};
    const run = this.newRun(cell('Name'), row.line);
    applyFacts(run, facts);
    run.ptq.push(...facts.ptq);
    let flops: string | undefined;
    if (run.tokens === undefined && run.params !== undefined && this.layout.flops !== undefined) flops = this.deriveTokens(run, row, cell(this.layout.flops));
    if (loss !== undefined && lossColumn !== undefined) {
      run.finalLoss = loss;
      run.sources.finalLoss = { file, line: row.line, field: lossColumn };
    } else if (lossColumn !== undefined) {
      this.problem(row.line, lossColumn, `${lossColumn} is ${shown(lossText)}, not a positive finite loss; left out`, 'bad-value');
      reasons.finalLoss = `${lossColumn} on line ${row.line} is ${shown(lossText)}, not a loss`;
    }
    this.findings.add(dropImplausible(run, reasons, flops));

    const state = cell('State');
    if (state !== undefined && UNFINISHED_STATUS.test(state)) {
      run.unfinished = true;
      this.problem(row.line, 'State', `run "${run.name}" did not finish (State is ${shown(state)}); it is listed but not fitted`, 'unfinished', 'info');
    }
    const meta: Record<string, unknown> = {};
    for (const column of ['State', 'Sweep', 'Created']) if (cell(column) !== undefined) meta[column.toLowerCase()] = cell(column);
    if (Object.keys(meta).length > 0) run.meta = { wandb: meta };

    const done = withMissing(run, reasons);
    for (const field of done.missing) {
      if (done.reasons?.[field] !== undefined) continue;
      this.lacking.set(field, (this.lacking.get(field) ?? 0) + 1);
      done.reasons = { ...done.reasons, [field]: ABSENT[field].reason };
    }
    this.runs.push(done);
  }

  private newRun(name: string | undefined, line: number): Omit<Run, 'missing'> {
    let shownName = name ?? `row ${line}`;
    // W&B display names are not unique; ids and names must be.
    if (this.names.has(shownName)) shownName = `${shownName} (line ${line})`;
    this.names.add(shownName);
    const base = `${this.fileId}#${name ?? line}`;
    let id = base;
    for (let k = 2; this.ids.has(id); k++) id = `${base}.${k}`;
    this.ids.add(id);
    return { id, name: shownName, format: SWEEP_TABLE_FORMAT, file: this.file, ptq: [], sources: {} };
  }

  /** D = C / (6N) from the compute column; the column's name, when D was worked out. */
  private deriveTokens(run: Omit<Run, 'missing'>, row: Row, text: string | undefined): string | undefined {
    const column = this.layout.flops as string;
    if (text === undefined || run.params === undefined) return undefined;
    const flops = countOf(text, false, flopColumnScale(column));
    if (flops === undefined) {
      this.problem(row.line, column, `${column} is ${shown(text)}, not a positive FLOP count; D not worked out from it`, 'bad-value');
      return undefined;
    }
    const tokens = flops / (6 * run.params);
    if (!Number.isFinite(tokens) || tokens <= 0) return undefined;
    run.tokens = tokens;
    run.sources.tokens = { file: this.file, line: row.line, field: `${column} / (6 × ${run.sources.params?.field ?? 'N'})` };
    this.derivedRows++;
    return column;
  }

  /**
   * The facts engine's diagnostics about this row's values go on as row problems; its notes
   * about fields it found nowhere (no line) are said once per table instead, and its
   * informational notes ("D computed as …") once per kind.
   */
  private keepFactsDiagnostics(diagnostics: readonly Diagnostic[]): void {
    for (const d of diagnostics) {
      if (d.line === undefined) continue;
      if (d.severity === 'info') {
        const key = `${d.field ?? ''}\u0000${d.code ?? ''}`;
        const seen = this.onceNotes.get(key);
        if (seen) seen.count++;
        else this.onceNotes.set(key, { d, count: 1 });
        continue;
      }
      this.problem(d.line, d.field, d.message, d.code ?? 'bad-value', d.severity);
    }
  }

  finish(): { runs: Run[]; diagnostics: Diagnostic[] } {
    const line = this.options.headerLine;
    for (const { d, count } of this.onceNotes.values()) {
      const more = count > 1 ? ` (the first of ${rowsText(count)} where it was)` : '';
      this.out.push({ ...d, message: `${d.message}${more}`, code: d.code ?? 'derived' });
    }
    if (this.derivedRows > 0) {
      this.out.note(line, 'tokens', `no token count (D) on ${rowsText(this.derivedRows)}: D worked out as ${this.layout.flops} / (6 × N), training compute C ≈ 6·N·D`, 'derived', 'info');
    }
    for (const [field, count] of this.lacking) {
      const { note } = ABSENT[field];
      const train = field === 'finalLoss' && this.layout.trainLoss !== undefined ? `; ${this.layout.trainLoss} is a training loss and is not used` : '';
      this.out.note(line, field, `${note}${train}; ${rowsText(count, 'run')} listed as incomplete`, 'missing-field');
    }
    for (const d of this.findings.diagnostics(this.file)) this.out.push(d);
    if (this.runs.length === 0) this.out.note(undefined, undefined, `${path.basename(this.file)} is a W&B export but no row could be read`, 'missing-field');
    return { runs: this.runs, diagnostics: this.out.all() };
  }
}
