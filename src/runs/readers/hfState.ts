// trainer_state.json, streamed: the Trainer's log_history (training loss, eval_loss, tokens
// seen) and the top-level counts (global_step, max_steps, train_batch_size, total_flos).
//
// The state of a long run logging every step reaches tens of megabytes, so it is walked with
// jsonc-parser's visitor (no syntax tree), keeping only the thinned curve and the values the run
// needs. Python's json writes NaN and Infinity bare, which is not JSON: the visitor reports them
// as invalid symbols, and they are read as the non-finite numbers they are, so the loss checks
// can name them on their line while the rest of the file is read.

import * as path from 'node:path';
import { type JSONPath, type ParseErrorCode, printParseErrorCode, visit } from 'jsonc-parser';
import { MAX_SPLITS, StrideDecimator, shareBudget, thin } from '../curves';
import type { Diagnostic, DiagnosticCode, Severity } from '../diagnostics';
import type { CurvePoint } from '../run';
import { openRegular } from '../load';
import { BINARY_SNIFF_BYTES, binaryMessage, sniffBinary, verdictCode } from '../text';
import { describeValue, diagnostic, isDiagnostic, nonNegativeFinite, positiveFinite } from '../validate';

/** Far beyond any real state file (a million logged steps make ~200 MB); past it the file is not loaded. */
export const MAX_STATE_BYTES = 256 * 1024 * 1024;
/** Per-entry problems reported one by one; the rest are counted. */
const MAX_VALUE_DIAGNOSTICS = 20;
/** Keys only a trainer state has: a trainer_state.json with none of them is some other file. */
export const STATE_KEYS = ['log_history', 'global_step', 'max_steps', 'best_metric', 'best_model_checkpoint', 'is_world_process_zero', 'total_flos', 'trial_name'];

// --- JSON with lines, without a tree ---------------------------------------------------------

export interface Located {
  value: unknown;
  /** 1-based. */
  line: number;
}

export interface ScanHandlers {
  value?(path: JSONPath, value: unknown, line: number): void;
  open?(path: JSONPath, kind: 'object' | 'array', line: number): void;
  /** `complete` is false for a container the text ends inside of (a file cut short). */
  close?(path: JSONPath, kind: 'object' | 'array', complete: boolean): void;
}

export interface Scan {
  root?: 'object' | 'array' | 'value';
  errors: Array<{ line: number; message: string }>;
}

const BARE_NON_FINITE = new Set(['NaN', 'Infinity']);

/** "CloseBraceExpected" → "close brace expected". */
const errorText = (code: ParseErrorCode): string =>
  printParseErrorCode(code)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();

/**
 * Walks a JSON text, reporting values, containers and syntax errors with 1-based lines. A number
 * that runs into the end of the text may be cut short (1.2 of 1.25) and is not reported.
 */
export function scanJson(text: string, handlers: ScanHandlers): Scan {
  const scan: Scan = { errors: [] };
  const stack: Array<{ path: JSONPath; kind: 'object' | 'array' }> = [];
  let pending: JSONPath | undefined;
  let minusAt = -1;
  let swallowValueExpected = false;
  const open = (kind: 'object' | 'array') => (_offset: number, _length: number, line: number, _char: number, pathOf: () => JSONPath) => {
    const at = pathOf();
    if (stack.length === 0 && scan.root === undefined) scan.root = kind;
    stack.push({ path: at, kind });
    pending = undefined;
    handlers.open?.(at, kind, line + 1);
  };
  const close = (_offset: number, length: number) => {
    const top = stack.pop();
    if (top) handlers.close?.(top.path, top.kind, length > 0);
  };
  visit(
    text,
    {
      onObjectBegin: open('object'),
      onArrayBegin: open('array'),
      onObjectEnd: close,
      onArrayEnd: close,
      onObjectProperty: (property, _offset, _length, _line, _char, pathOf) => {
        pending = [...pathOf(), property];
      },
      onLiteralValue: (value: unknown, offset, length, line, _char, pathOf) => {
        pending = undefined;
        if (stack.length === 0 && scan.root === undefined) scan.root = 'value';
        if (offset + length >= text.length) return;
        handlers.value?.(pathOf(), value, line + 1);
      },
      onError: (code, offset, length, line) => {
        const token = text.slice(offset, offset + length);
        const name = printParseErrorCode(code);
        if (name === 'InvalidSymbol') {
          if (token === '-' && text.startsWith('Infinity', offset + 1)) {
            minusAt = offset + 1;
            return;
          }
          if (BARE_NON_FINITE.has(token)) {
            const value = token === 'NaN' ? Number.NaN : minusAt === offset ? -Infinity : Infinity;
            if (pending) handlers.value?.(pending, value, line + 1);
            pending = undefined;
            swallowValueExpected = true;
            return;
          }
        }
        if (swallowValueExpected && name === 'ValueExpected') {
          swallowValueExpected = false;
          return;
        }
        swallowValueExpected = false;
        scan.errors.push({ line: line + 1, message: errorText(code) });
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return scan;
}

// --- loading ---------------------------------------------------------------------------------

export type Loaded = { text: string } | { problem: Diagnostic } | undefined;

/** A text file read whole after checking its size and that it is text; undefined when it does not exist. */
export async function loadText(file: string, maxBytes: number, severity: Severity): Promise<Loaded> {
  const name = path.basename(file);
  const problem = (message: string, code: DiagnosticCode = 'unreadable'): Loaded => ({ problem: diagnostic(file, undefined, undefined, message, severity, code) });
  let bytes: Buffer;
  try {
    const handle = await openRegular(file);
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) return problem(`${name} is ${(size / 2 ** 20).toFixed(1)} MiB, more than the ${maxBytes / 2 ** 20} MiB read for it; not read`);
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return problem(`cannot read ${name}: ${(e as Error).message}`);
  }
  const verdict = sniffBinary(bytes.subarray(0, BINARY_SNIFF_BYTES));
  if (verdict !== 'text') return problem(binaryMessage(verdict, name), verdictCode(verdict));
  const text = bytes.toString('utf8');
  // A BOM is not JSON; blanking it keeps every offset, hence every line, where it was.
  return { text: text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text };
}

// --- trainer_state.json ----------------------------------------------------------------------

interface LocatedPoint {
  point: CurvePoint;
  order: number;
}

export interface EvalSeen {
  loss?: number;
  /** The value as written, when it was not a usable loss. */
  bad?: unknown;
  line: number;
  step: number;
}

export interface StateRead {
  scan: Scan;
  top: Map<string, Located>;
  /** Line and kind of log_history, when present. */
  logHistory?: { kind: 'object' | 'array'; line: number };
  curve: CurvePoint[];
  /** Last plain eval_loss, usable or not. */
  lastEval?: EvalSeen;
  /** Last eval_<name>_loss per evaluation set, when evaluating on several. */
  namedEvals: Map<string, EvalSeen>;
  lastTokens?: Located;
  lastStep?: number;
  entries: number;
  /** Line of a log entry the file ends inside of. */
  cutEntryLine?: number;
}

const NAMED_EVAL_LOSS = /^eval_(.+)_loss$/;

/** Collects log_history entry by entry as the visitor walks them; memory is the thinned curve. */
export function readState(text: string, file: string, maxPoints: number, diagnostics: Diagnostic[]): StateRead {
  const state: StateRead = { scan: { errors: [] }, top: new Map(), curve: [], namedEvals: new Map(), entries: 0 };
  const bySplit = new Map<string, StrideDecimator<LocatedPoint>>();
  let order = 0;
  let problems = 0;
  let droppedSplits = false;
  const report = (d: Diagnostic) => {
    problems++;
    if (problems <= MAX_VALUE_DIAGNOSTICS) diagnostics.push(d);
  };
  let entry: { index: number; line: number; fields: Map<string, Located> } | undefined;

  const addPoint = (point: CurvePoint) => {
    let decimator = bySplit.get(point.split);
    if (!decimator) {
      // Many evaluation sets are possible, but not an unbounded number of curves.
      if (bySplit.size >= MAX_SPLITS) {
        droppedSplits = true;
        return;
      }
      decimator = new StrideDecimator<LocatedPoint>(maxPoints);
      bySplit.set(point.split, decimator);
    }
    decimator.push({ point, order: order++ });
  };

  const finishEntry = (index: number, fields: Map<string, Located>) => {
    state.entries++;
    const field = (key: string) => `log_history[${index}].${key}`;
    const stepAt = fields.get('step');
    let step = state.lastStep ?? 0;
    if (stepAt) {
      const checked = nonNegativeFinite(stepAt.value, file, stepAt.line, field('step'), 'warning');
      if (isDiagnostic(checked)) report({ ...checked, message: `${checked.message}; the previous step is used` });
      else step = state.lastStep = checked;
    }
    let tokens: number | undefined;
    const tokensAt = fields.get('num_input_tokens_seen');
    if (tokensAt) {
      const checked = nonNegativeFinite(tokensAt.value, file, tokensAt.line, field('num_input_tokens_seen'), 'warning');
      if (isDiagnostic(checked)) report({ ...checked, message: `${checked.message}; ignored` });
      else {
        tokens = checked;
        if (checked > 0) state.lastTokens = { value: checked, line: tokensAt.line };
      }
    }
    for (const [key, at] of fields) {
      const named = NAMED_EVAL_LOSS.exec(key);
      const split = key === 'loss' ? 'train' : key === 'eval_loss' ? 'eval' : named ? `eval_${named[1]}` : undefined;
      if (!split) continue;
      const loss = positiveFinite(at.value, file, at.line, field(key), 'warning');
      const seen: EvalSeen = isDiagnostic(loss) ? { bad: at.value, line: at.line, step } : { loss, line: at.line, step };
      if (key === 'eval_loss') state.lastEval = seen;
      else if (named) state.namedEvals.set(named[1], seen);
      if (isDiagnostic(loss)) {
        report({ ...loss, message: `${loss.message} at step ${step}; left out of the curve` });
        continue;
      }
      const point: CurvePoint = { step, split, loss };
      if (tokens !== undefined) point.tokens = tokens;
      addPoint(point);
    }
  };

  state.scan = scanJson(text, {
    value: (at, value, line) => {
      if (at.length === 1 && typeof at[0] === 'string') {
        if (!state.top.has(at[0])) state.top.set(at[0], { value, line });
      } else if (entry && at.length === 3 && at[0] === 'log_history' && at[1] === entry.index && typeof at[2] === 'string') {
        if (!entry.fields.has(at[2])) entry.fields.set(at[2], { value, line });
      }
    },
    open: (at, kind, line) => {
      if (at.length === 1 && at[0] === 'log_history' && !state.logHistory) state.logHistory = { kind, line };
      else if (at.length === 2 && at[0] === 'log_history' && typeof at[1] === 'number' && kind === 'object') entry = { index: at[1], line, fields: new Map() };
    },
    close: (at, _kind, complete) => {
      if (!entry || at.length !== 2 || at[0] !== 'log_history' || at[1] !== entry.index) return;
      // An entry the file ends inside of may have lost its last values: it is left out whole.
      if (complete) finishEntry(entry.index, entry.fields);
      else state.cutEntryLine = entry.line;
      entry = undefined;
    },
  });

  if (problems > MAX_VALUE_DIAGNOSTICS) {
    const more = problems - MAX_VALUE_DIAGNOSTICS;
    diagnostics.push(diagnostic(file, undefined, 'log_history', `${more} more unusable log_history value${more === 1 ? '' : 's'} not listed`, 'warning', 'bad-value'));
  }
  if (droppedSplits) diagnostics.push(diagnostic(file, undefined, 'log_history', `more than ${MAX_SPLITS} loss curves (evaluation sets); the others are left out of the curve`, 'warning', 'truncated'));
  const groups = [...bySplit.values()].map((d) => d.result());
  const shares = shareBudget(
    groups.map((g) => g.length),
    maxPoints,
  );
  state.curve = groups
    .flatMap((g, i) => thin(g, shares[i]))
    .sort((a, b) => a.order - b.order)
    .map((p) => p.point);
  return state;
}

/** A top-level count of the state (global_step, max_steps, train_batch_size), checked; problems are warnings. */
export function topCount(state: StateRead, file: string, key: string, diagnostics: Diagnostic[], positive = false): Located | undefined {
  const at = state.top.get(key);
  if (!at) return undefined;
  const ok = typeof at.value === 'number' && Number.isSafeInteger(at.value) && (positive ? at.value > 0 : at.value >= 0);
  if (!ok) {
    diagnostics.push(diagnostic(file, at.line, key, `${key} must be ${positive ? 'a positive' : 'a non-negative'} integer, got ${describeValue(at.value)}; ignored`, 'warning', 'bad-value'));
    return undefined;
  }
  return at;
}

