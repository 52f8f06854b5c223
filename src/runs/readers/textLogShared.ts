// What the training-log dialects (nanoGPT, Megatron-LM) share: the shape a dialect gives the
// reader, the numbers as trainers print them, the launcher prefixes around their lines, how a
// run's end is recognised, and how the facts engine is asked about the config lines a log
// printed. Kept apart from textLog.ts so the dialect modules and the reader never import each other.

import type { AliasTable } from '../aliases';
import type { Diagnostic, DiagnosticCode, Severity } from '../diagnostics';
import type { ConfigEntry } from '../entries';
import { type ConfigFacts, type Found, findConfigFacts } from '../facts';
import type { CurvePoint, PtqEval, RunField, SourceRef, TrainingPrecision } from '../run';
import { DECIMAL_NUMBER } from '../quantity';
import { diagnostic } from '../validate';

/** How a log ended, as its last lines say (a traceback, a scheduler cancelling the job). */
export interface LogEnding {
  kind: 'crash' | 'cancelled';
  line: number;
  /** In the user's terms: "a Python traceback", "Slurm cancelled the job (time limit)". */
  what: string;
}

/** One training run of a log, as a dialect read it: the four fields each with its source, and why the others are missing. */
export interface RunParts {
  params?: Found<number>;
  tokens?: Found<number>;
  precision?: Found<TrainingPrecision>;
  finalLoss?: Found<number>;
  reasons: Partial<Record<RunField, string>>;
  curve: CurvePoint[];
  ptq: PtqEval[];
  unfinished?: boolean;
  meta: Record<string, unknown>;
  diagnostics: Diagnostic[];
}

export interface FinishContext {
  aliases: AliasTable;
  /** How the file ended, if a traceback or a cancellation came after the last training line. */
  ending?: LogEnding;
}

/** The lines of one run, fed in order; `progressed` once a training step or an evaluation was seen. */
export interface DialectRun {
  readonly progressed: boolean;
  /** Line of the last training-progress line, to tell a fatal traceback from one the run survived. */
  readonly lastProgressLine: number;
  feed(text: string, line: number): void;
  finish(context: FinishContext): RunParts;
}

export type RestartVerdict = 'resume' | 'fresh';

/** One trainer's log format. */
export interface LogDialect {
  id: string;
  /** The tool, as users know it ("nanoGPT"). */
  label: string;
  /** A line only this tool's training prints: the head of a file must hold one for the file to be read. */
  signature(text: string): boolean;
  /** A line a run prints before training (its settings): after training lines, another run, or the same one restarted. */
  startsRun(text: string): boolean;
  /** After such a restart: does this line say it resumes the run before it or starts another? */
  restartVerdict(text: string): RestartVerdict | undefined;
  create(file: string): DialectRun;
}

/** Lines longer than this are data (a tokenised batch, a path list), not log lines a dialect reads. */
export const MAX_LINE_CHARS = 16 * 1024;

// torchrun --tee prefixes "[default0]:", srun --label "0: "; colour codes come from rich
// handlers writing to a file. All three are stripped so one set of patterns fits every launcher.
const LAUNCHER_PREFIX = /^(?:\[default\d+\]:|\s{0,4}\d{1,5}: )/;
// eslint-disable-next-line no-control-regex -- the escape character is what is being removed
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

export function cleanLine(text: string): string {
  const plain = text.includes('\x1b') ? text.replace(ANSI, '') : text;
  return plain.replace(LAUNCHER_PREFIX, '');
}

/**
 * A number as Python prints it in logs: "491,520", "3.2296", "3.207950E+00", "nan", "NAN",
 * "inf". NaN and ±Infinity come back as such (callers say so); undefined when it is not a number.
 */
export function logNumber(text: string): number | undefined {
  const t = text.trim().replace(/(?<=\d),(?=\d{3}(?:\D|$))/g, '');
  if (/^[-+]?nan$/i.test(t)) return NaN;
  if (/^\+?inf(inity)?$/i.test(t)) return Infinity;
  if (/^-inf(inity)?$/i.test(t)) return -Infinity;
  if (!DECIMAL_NUMBER.test(t)) return undefined;
  return Number(t);
}

/** A count that is a positive integer, as the log printed it; undefined otherwise. */
export function logCount(text: string): number | undefined {
  const n = logNumber(text);
  return n !== undefined && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

// The ends of a log that are not the trainer's: Python's traceback header, and Slurm's
// "slurmstepd: error: *** JOB 123 ON node CANCELLED AT 2024-01-01T00:00:00 DUE TO TIME LIMIT ***".
const TRACEBACK = 'Traceback (most recent call last):';
const SLURM_CANCELLED = /^slurmstepd(?:-\S+)?: error: \*\*\* (?:JOB|STEP) \S+ ON \S+ CANCELLED AT \S+(?: DUE TO ([A-Z ]+?))? \*\*\*/;

/** A line that ends a run that did not finish, or undefined. */
export function endingOf(text: string, line: number): LogEnding | undefined {
  if (text.startsWith(TRACEBACK)) return { kind: 'crash', line, what: 'a Python traceback' };
  if (text.startsWith('slurmstepd')) {
    const m = SLURM_CANCELLED.exec(text);
    if (m) return { kind: 'cancelled', line, what: `Slurm cancelling the job${m[1] ? ` (${m[1].toLowerCase()})` : ''}` };
  }
  return undefined;
}

/** A log entry, located: the config line a log printed, as the facts engine takes it. */
export function entry(key: string, value: unknown, file: string, line: number): ConfigEntry {
  return { key, value, file, line };
}

export function source(file: string, line: number | undefined, field: string): SourceRef {
  const ref: SourceRef = { file, field };
  if (line !== undefined) ref.line = line;
  return ref;
}

/** Collects a run's diagnostics and the reasons for its missing fields, one call for both. */
export class RunNotes {
  readonly diagnostics: Diagnostic[] = [];
  readonly reasons: Partial<Record<RunField, string>> = {};

  constructor(readonly file: string) {}

  add(line: number | undefined, field: string | undefined, message: string, severity: Severity, code: DiagnosticCode): void {
    this.diagnostics.push(diagnostic(this.file, line, field, message, severity, code));
  }

  private readonly pending = new Map<RunField, () => void>();

  /**
   * Why a field is missing if nothing else gives it (the log's own lines failed; the facts
   * engine may still find it): said by settle() only if the field is still missing then.
   */
  unless(field: RunField, reason: string, message: string, line?: number, severity: Severity = 'warning', code: DiagnosticCode = 'missing-field'): void {
    this.pending.set(field, () => this.missing(field, reason, message, line, severity, code));
  }

  settle(field: RunField, present: boolean): void {
    if (!present) this.pending.get(field)?.();
    this.pending.delete(field);
  }

  /** A field the run lacks: the reason shown beside the run, and a diagnostic saying what would give it. */
  missing(field: RunField, reason: string, message: string, line?: number, severity: Severity = 'warning', code: DiagnosticCode = 'missing-field'): void {
    this.reasons[field] ??= reason;
    this.add(line, field, message, severity, code);
  }
}

/**
 * The facts engine on the config lines a log printed. The log's own lines decide N and D (a
 * printed parameter count, the tokens actually seen), so the engine's notes about those, and
 * its notes on absent fields, give way to the dialect's; its warnings about values it could
 * not use are kept.
 */
export function logFacts(entries: readonly ConfigEntry[], aliases: AliasTable, file: string, where: string): ConfigFacts {
  const facts = findConfigFacts(entries, aliases, { file, where });
  const own = (d: Diagnostic): boolean =>
    d.field === 'tokens' || (d.field === 'params' && (d.line === undefined || d.code === 'derived' || d.code === 'implausible')) || (d.field === 'precision' && d.line === undefined);
  return { ...facts, diagnostics: facts.diagnostics.filter((d) => !own(d)) };
}

/** "12,345,678" for messages. */
export const grouped = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 4 });
