// metrics.jsonl: one JSON object per line ({"step", "tokens", "split", "loss", ...}). Logs of
// long runs reach millions of lines, so the file is streamed and the curve thinned as it goes;
// the memory held is bounded by the curve budget, not by the file.

import type { Diagnostic, Severity } from '../diagnostics';
import { DEFAULT_MAX_LINE_BYTES, forEachLine } from '../lines';
import { DEFAULT_MAX_CURVE_POINTS, MAX_SPLITS, StrideDecimator, shareBudget, thin } from '../curves';
import type { CurvePoint } from '../run';
import { sniffFile } from '../load';
import { type ResumeSlots, cloneState } from '../resume';
import { binaryMessage, verdictCode } from '../text';
import { describeValue, diagnostic, isDiagnostic, nonNegativeFinite, positiveFinite } from '../validate';

export const METRICS_FILE_NAME = 'metrics.jsonl';

/** Split names that hold validation (held-out) losses. Compared case-insensitively. */
export const VALIDATION_SPLITS: readonly string[] = ['val', 'valid', 'validation', 'eval'];

export function isValidationSplit(split: string): boolean {
  return VALIDATION_SPLITS.includes(split.toLowerCase());
}

/** Per-line problems reported individually; a broken file gets a count for the rest. */
export const MAX_LINE_DIAGNOSTICS = 20;

export interface LocatedPoint {
  point: CurvePoint;
  /** 1-based line in metrics.jsonl. */
  line: number;
}

const NOT_JSON = Symbol('not JSON');

// Python's json writes NaN and Infinity bare, which is not JSON. Reading them as strings keeps
// the rest of such a line (a NaN grad norm beside a good loss) and lets the loss check name them.
// The separator is matched, not looked behind for: a lookbehind's \s* rescans a run of spaces
// from every position in it, quadratic on a line of `{"a":` and 40k spaces.
const BARE_NON_FINITE = /([:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g;

/** `text` with bare NaN and Infinity values quoted, for a second JSON.parse. */
export const quoteBareNonFinite = (text: string): string => text.replace(BARE_NON_FINITE, '$1"$2"');

export function parseJsonLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const quoted = quoteBareNonFinite(text);
    if (quoted === text) return NOT_JSON;
    try {
      return JSON.parse(quoted);
    } catch {
      return NOT_JSON;
    }
  }
}

type LineOutcome = { point: CurvePoint } | { problem: Diagnostic } | { skip: true };

/**
 * One line of metrics.jsonl. Lines without a "loss" key (learning-rate logs, events) are not
 * loss points and are skipped quietly; a line without "split" is a training line, as the
 * trainer only names a split for evaluations when it writes other logs.
 */
export function parseMetricsLine(text: string, file: string, line: number): LineOutcome {
  if (text.trim() === '') return { skip: true };
  const value = parseJsonLine(text);
  if (value === NOT_JSON) return { problem: diagnostic(file, line, undefined, 'not valid JSON; line skipped', 'warning', 'syntax') };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: diagnostic(file, line, undefined, `expected a JSON object, got ${describeValue(value)}; line skipped`, 'warning', 'syntax') };
  }
  const record = value as Record<string, unknown>;
  if (!('loss' in record)) return { skip: true };
  const loss = positiveFinite(record.loss, file, line, 'loss', 'warning');
  if (isDiagnostic(loss)) return { problem: { ...loss, message: `${loss.message}; line skipped` } };
  const step = nonNegativeFinite(record.step, file, line, 'step', 'warning');
  if (isDiagnostic(step)) return { problem: { ...step, message: `${step.message}; line skipped` } };
  const split = record.split ?? 'train';
  if (typeof split !== 'string' || split === '') {
    return { problem: diagnostic(file, line, 'split', `split must be a non-empty string, got ${describeValue(split)}; line skipped`, 'warning', 'bad-value') };
  }
  const point: CurvePoint = { step, split, loss };
  if (record.tokens !== undefined) {
    const tokens = nonNegativeFinite(record.tokens, file, line, 'tokens', 'warning');
    // A bad token count does not make the loss wrong: keep the point, drop the count.
    if (isDiagnostic(tokens)) return { problem: tokens };
    point.tokens = tokens;
  }
  return { point };
}

/** Gathers the points of each split and hands back one thinned curve in file order. */
class CurveCollector {
  private readonly bySplit = new Map<string, StrideDecimator<LocatedPoint>>();
  private readonly maxPoints: number;
  droppedSplits = new Set<string>();
  lastValidation: LocatedPoint | undefined;

  constructor(maxPoints: number) {
    this.maxPoints = maxPoints;
  }

  /** False for a point of a split beyond MAX_SPLITS, which is left out. */
  add(located: LocatedPoint): boolean {
    const { split } = located.point;
    if (isValidationSplit(split)) this.lastValidation = located;
    let decimator = this.bySplit.get(split);
    if (!decimator) {
      if (this.bySplit.size >= MAX_SPLITS) {
        this.droppedSplits.add(split);
        return false;
      }
      decimator = new StrideDecimator<LocatedPoint>(this.maxPoints);
      this.bySplit.set(split, decimator);
    }
    decimator.push(located);
    return true;
  }

  curve(): CurvePoint[] {
    const groups = [...this.bySplit.values()].map((d) => d.result());
    const shares = shareBudget(
      groups.map((g) => g.length),
      this.maxPoints,
    );
    return groups
      .flatMap((g, i) => thin(g, shares[i]))
      .sort((a, b) => a.line - b.line)
      .map((l) => l.point);
  }
}

/** Where two writers show in one file. */
export interface WriterConflict {
  split: string;
  /** Where the second writer's steps start (the steps of the split go back there). */
  line: number;
  /** The line that takes up a sequence left behind: the other writer still writing. */
  resumedLine: number;
}

/** One writer's steps, as far as they can be told apart: where they stand and how far apart they come. */
interface Chain {
  tail: number;
  /** Smallest step from one of its lines to the next: the writer's logging interval. */
  stride?: number;
  /** Line of its first record; the split's first chain is the file's first writer. */
  start: number;
  first: boolean;
}

/** Chains followed per split: a resume starts one, and a crash loop a few more. */
const MAX_CHAINS = 4;

/**
 * Tells a run resumed from a checkpoint from two trainers appending to one file, by the steps
 * of each split in file order. Each writer's steps rise; where the steps go back, a new writer
 * (or the same one resumed) starts a new sequence. A resume leaves the sequence before it behind
 * for good: a crashed trainer writes no more. Two writers keep both going: a later line takes up
 * a sequence that is not the latest one, one logging interval after where it stood (0, 0, 10,
 * 10, … or 0, 100, 10, 110, …). Each line goes to the sequence it is closest above (the latest
 * one on a tie, so a resumed run catching up with where it crashed stays one writer); an older
 * sequence is taken up only within its own logging interval, so resuming from a checkpoint past
 * an earlier crash (0…700, 500…1200, 1000…) or from the same checkpoint again (a crash loop) are
 * resumes. The price: one writer that logs one step twice in a split reads as two.
 */
export class WriterCheck {
  private readonly splits = new Map<string, Chain[]>();
  conflict: WriterConflict | undefined;

  observe(split: string, step: number, line: number): void {
    if (this.conflict) return;
    let chains = this.splits.get(split);
    if (!chains) {
      if (this.splits.size < MAX_SPLITS) this.splits.set(split, [{ tail: step, start: line, first: true }]);
      return;
    }
    const [current] = chains;
    let best: Chain | undefined;
    let bestDelta = Infinity;
    for (const chain of chains) {
      if (chain.tail >= step) continue;
      const delta = step - chain.tail;
      // Writers of one run log at one interval: a chain of one line is judged by the latest's.
      const plausible = chain === current || delta <= (chain.stride ?? current.stride ?? -1);
      if (plausible && (delta < bestDelta || (delta === bestDelta && chain === current))) {
        best = chain;
        bestDelta = delta;
      }
    }
    if (!best) {
      chains = [{ tail: step, start: line, first: false }, ...chains].slice(0, MAX_CHAINS);
      this.splits.set(split, chains);
      return;
    }
    if (best !== current) {
      const second = [best, current].filter((c) => !c.first).map((c) => c.start);
      this.conflict = { split, line: Math.min(...second), resumedLine: line };
      return;
    }
    current.stride = Math.min(current.stride ?? bestDelta, bestDelta);
    current.tail = step;
  }
}

/** Everything the reader knows after a line: kept by the scan to go on from when the file grows (resume.ts). */
interface MetricsState {
  collector: CurveCollector;
  writers: WriterCheck;
  /** Problem lines seen, and the first MAX_LINE_DIAGNOSTICS of them. */
  problems: number;
  diagnostics: Diagnostic[];
  /** The last line, held back: only at the end is it known to be the last. */
  pending?: { text: string; line: number };
  /** Last line number seen. */
  line: number;
}

export interface MetricsOptions {
  /** Upper bound on the curve length (all splits together). */
  maxPoints?: number;
  /** The run is known not to have finished: a cut last line is expected, so it is only info. */
  unfinished?: boolean;
  /** Longest line read, in bytes; lines.ts's default when absent. */
  maxLineBytes?: number;
  /** The marks of the last read, to go on from where it stopped when the file only grew. */
  resume?: ResumeSlots;
}

export interface MetricsResult {
  curve: CurvePoint[];
  /** Last validation-split point of the whole file (not just of the thinned curve). */
  lastValidation?: LocatedPoint;
  /** Lines read, including blank and skipped ones. */
  lines: number;
  /** Two trainers appended to the file at once (see WriterCheck); a 'conflict' diagnostic says where. */
  conflict?: WriterConflict;
  diagnostics: Diagnostic[];
}

/** "3.0 MiB" for messages. */
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The diagnostic for a line over the line reader's cap: never read, so only its length is known. */
export function longLineDiagnostic(file: string, line: number, bytes: number, cap: number | undefined, severity: Severity = 'warning'): Diagnostic {
  return diagnostic(file, line, undefined, `line is ${mib(bytes)} long, more than the ${mib(cap ?? DEFAULT_MAX_LINE_BYTES)} a line is read up to; line skipped`, severity, 'truncated');
}

/**
 * Streams metrics.jsonl into a thinned loss curve. Returns undefined when the file does not
 * exist (a run without a curve is normal); every other problem is a diagnostic.
 */
export async function readMetricsJsonl(file: string, options: MetricsOptions = {}): Promise<MetricsResult | undefined> {
  const maxPoints = Math.max(2, options.maxPoints ?? DEFAULT_MAX_CURVE_POINTS);
  const key = `${METRICS_FILE_NAME} ${maxPoints} ${options.maxLineBytes ?? ''}`;
  const from = await options.resume?.resume<MetricsState>(file, key);
  const empty = (d: Diagnostic): MetricsResult => ({ curve: [], lines: 0, diagnostics: [d] });
  // A resumed file was text when marked, and its head is unchanged since.
  if (!from) {
    try {
      const verdict = await sniffFile(file);
      if (verdict !== 'text') return empty(diagnostic(file, undefined, undefined, binaryMessage(verdict, METRICS_FILE_NAME), 'warning', verdictCode(verdict)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return empty(diagnostic(file, undefined, undefined, `cannot read ${METRICS_FILE_NAME}: ${(e as Error).message}`, 'warning', 'unreadable'));
    }
  }

  const state: MetricsState = from?.state ?? { collector: new CurveCollector(maxPoints), writers: new WriterCheck(), problems: 0, diagnostics: [], line: 0 };
  const report = (d: Diagnostic): void => {
    state.problems++;
    if (state.problems <= MAX_LINE_DIAGNOSTICS) state.diagnostics.push(d);
  };
  const handle = (text: string, line: number): LineOutcome => {
    const outcome = parseMetricsLine(text, file, line);
    if ('point' in outcome && state.collector.add({ point: outcome.point, line })) state.writers.observe(outcome.point.split, outcome.point.step, line);
    return outcome;
  };
  const flush = (): void => {
    if (!state.pending) return;
    const outcome = handle(state.pending.text, state.pending.line);
    if ('problem' in outcome) report(outcome.problem);
    state.pending = undefined;
  };

  // One line of lookahead: only at the end is it known which line was the last, and a final
  // line without a newline is where a crash or a live writer cuts an object in half.
  const diagnostics: Diagnostic[] = [];
  let endsWithNewline = true;
  let kept: MetricsState | undefined;
  try {
    const scanned = await forEachLine(
      file,
      (text, line) => {
        state.line = line;
        flush();
        state.pending = { text, line };
      },
      {
        start: from?.mark.offset,
        startLine: from?.mark.lines,
        maxLineBytes: options.maxLineBytes,
        onLongLine: (line, bytes) => {
          state.line = line;
          flush();
          report(longLineDiagnostic(file, line, bytes, options.maxLineBytes));
        },
        onComplete: (at) => {
          if (options.resume?.worthKeeping(at.offset)) kept = cloneState(state);
        },
      },
    );
    endsWithNewline = scanned.endsWithNewline;
    options.resume?.keep(file, key, scanned, kept, from);
  } catch (e) {
    diagnostics.push(diagnostic(file, state.line || undefined, undefined, `reading stopped: ${(e as Error).message}`, 'warning', 'unreadable'));
  }
  if (state.pending) {
    const { pending } = state;
    const outcome = handle(pending.text, pending.line);
    if ('problem' in outcome) {
      const cut = !endsWithNewline && outcome.problem.field === undefined;
      const severity: Severity = options.unfinished ? 'info' : 'warning';
      report(cut ? diagnostic(file, pending.line, undefined, 'truncated last line (crashed or still-running run?); line skipped', severity, 'truncated') : outcome.problem);
    }
  }

  const { collector, writers } = state;
  diagnostics.unshift(...state.diagnostics);
  if (state.problems > MAX_LINE_DIAGNOSTICS) {
    const more = state.problems - MAX_LINE_DIAGNOSTICS;
    diagnostics.push(diagnostic(file, undefined, undefined, `${more} more problem line${more === 1 ? '' : 's'} not listed`, 'warning', 'truncated'));
  }
  if (collector.droppedSplits.size > 0) {
    const names = [...collector.droppedSplits].slice(0, 5).map((s) => JSON.stringify(s)).join(', ');
    diagnostics.push(diagnostic(file, undefined, 'split', `more than ${MAX_SPLITS} splits; points of ${names}${collector.droppedSplits.size > 5 ? ', …' : ''} left out of the curve`, 'warning', 'truncated'));
  }
  const result: MetricsResult = { curve: collector.curve(), lines: state.line, diagnostics };
  if (writers.conflict) {
    const { split, line, resumedLine } = writers.conflict;
    result.conflict = writers.conflict;
    diagnostics.push(
      diagnostic(
        file,
        line,
        'step',
        `two writers: the "${split}" steps go back at line ${line}, and line ${resumedLine} takes up the steps left behind — two trainers are appending to this file at once (a resume from a checkpoint leaves the steps before it behind); the run is not fitted`,
        'error',
        'conflict',
      ),
    );
  }
  if (collector.lastValidation) result.lastValidation = collector.lastValidation;
  return result;
}
