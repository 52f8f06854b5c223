// Plain-text training logs: the stdout users save as train.log, out.txt, slurm-<jobid>.out or
// *.log. The name only makes a file a candidate; its head must hold a line only a known
// trainer prints (textLogNanoGpt.ts, textLogMegatron.ts) before the file is read, so READMEs,
// requirements.txt, pip logs and text corpora cost one bounded read and come back as not
// mine. Logs are streamed line by line (they reach gigabytes): what is held is the settings
// printed at start-up and curves thinned to a fixed budget.
//
// One file can hold several runs (a job running train.py twice); a run restarted from its own
// checkpoint (a requeued Slurm job appending to the same file) stays one run.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../diagnostics';
import { forEachLine } from '../lines';
import { NotRegularFileError, readRegularHead } from '../load';
import { aliasesKey, cloneState } from '../resume';
import { longLineDiagnostic } from './metricsJsonl';
import { type Run, runId, withMissing } from '../run';
import { BINARY_SNIFF_BYTES, binaryMessage, decodeUtf16, sniffBinary, verdictCode } from '../text';
import { diagnostic } from '../validate';
import { megatronDialect } from './textLogMegatron';
import { moddedNanoGptDialect } from './textLogModded';
import { nanoGptDialect } from './textLogNanoGpt';
import { type DialectRun, type LogDialect, type LogEnding, MAX_LINE_CHARS, type RunParts, cleanLine, endingOf } from './textLogShared';
import type { ReadContext, ReadResult, RunReader } from './types';
import { WANDB_SUMMARY_FILE } from './wandb';

export const TEXT_LOG_FORMAT = 'text-log';
export const TEXT_LOG_DIALECTS: readonly LogDialect[] = [nanoGptDialect, megatronDialect, moddedNanoGptDialect];

/** Names trainers' stdout is saved under; anything else is a .log, .out or .txt of unknown kind. */
const LOG_NAMES = /^(?:train(?:ing)?\.log|output\.log|out\.txt|log\.txt|stdout.*|slurm-[\w.-]+\.out|.*\.o\d+)$/i;
const LOG_EXTENSIONS = /\.(?:log|out|txt)$/i;

/**
 * Bytes of a generic .txt/.log/.out searched for a trainer's line: enough for nanoGPT's config
 * echo or Megatron's arguments block, and small enough that a folder of text shards costs little.
 */
const HEAD_BYTES = 64 * 1024;
/** Files named like logs get a longer look: their preamble (pip, NCCL, module loads) can be long. */
const LOG_NAME_HEAD_BYTES = 4 * 1024 * 1024;
/** Runs read from one file; further restarts are read as part of the last. */
const MAX_RUNS_PER_FILE = 64;
/** Lines of a restart held while it is unclear whether it resumes the run before it. */
const MAX_PENDING_LINES = 5000;

/** A name saying the file is a log (train.log, slurm-123.out, stdout), beyond a .log/.out/.txt extension. */
export function isLogName(baseName: string): boolean {
  return LOG_NAMES.test(baseName);
}

export function isTextLogCandidate(baseName: string): boolean {
  return LOG_EXTENSIONS.test(baseName) || LOG_NAMES.test(baseName);
}

const exists = (file: string): Promise<boolean> =>
  fs.stat(file).then(
    () => true,
    () => false,
  );


/** The dialect whose signature comes first among the head's whole lines. */
function dialectOf(text: string, complete: boolean): LogDialect | undefined {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  if (!complete) lines.pop();
  for (const raw of lines) {
    if (raw.length > MAX_LINE_CHARS) continue;
    const line = cleanLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    const dialect = TEXT_LOG_DIALECTS.find((d) => d.signature(line));
    if (dialect) return dialect;
  }
  return undefined;
}


/** A folder name for a run whose file has a generic name ("runs/gpt-small/train.log" → "gpt-small"), else the file's own name. */
function runName(file: string): string {
  const base = path.basename(file);
  if (isLogName(base) && !/^slurm-/i.test(base)) return path.basename(path.dirname(file)) || base;
  return base.replace(LOG_EXTENSIONS, '');
}

interface Segment {
  run: DialectRun;
  startLine: number;
}

/** Lines over the line reader's cap listed one by one; the rest are counted. */
const MAX_LONG_LINE_DIAGNOSTICS = 5;

/**
 * Feeds a file's lines to one dialect, starting a new run where the log starts one. It is the
 * reader's whole state after a line: the scan keeps a copy to go on from when the log grows.
 */
class LogDriver {
  readonly finished: Array<{ segment: Segment; parts: RunParts }> = [];
  readonly diagnostics: Diagnostic[] = [];
  private current: Segment;
  private pending: Array<[string, number]> | undefined;
  private ending: LogEnding | undefined;
  private tooMany = false;
  private longLines = 0;

  constructor(
    readonly dialect: LogDialect,
    private readonly file: string,
    /** This scan's: a copy kept from an earlier scan is given the new one before it goes on. */
    public context: ReadContext,
  ) {
    this.current = { run: dialect.create(file), startLine: 1 };
  }

  /** A line over the line reader's cap: not a line any trainer prints, but worth a word. */
  longLine(line: number, bytes: number): void {
    if (++this.longLines <= MAX_LONG_LINE_DIAGNOSTICS) this.diagnostics.push(longLineDiagnostic(this.file, line, bytes, undefined));
  }

  line(raw: string, line: number): void {
    if (raw.length > MAX_LINE_CHARS) return;
    const text = cleanLine(raw);
    const ending = endingOf(text, line);
    if (ending) {
      this.ending = ending;
      return;
    }
    if (this.pending) {
      this.pending.push([text, line]);
      const verdict = this.pending.length > MAX_PENDING_LINES ? 'fresh' : this.dialect.restartVerdict(text);
      if (verdict === 'fresh' && this.finished.length + 1 >= MAX_RUNS_PER_FILE) {
        if (!this.tooMany) this.diagnostics.push(diagnostic(this.file, line, undefined, `more than ${MAX_RUNS_PER_FILE} runs in one log; the later ones are read as part of run ${MAX_RUNS_PER_FILE}`, 'warning', 'truncated'));
        this.tooMany = true;
        this.replay(this.current);
      } else if (verdict === 'resume') this.replay(this.current);
      else if (verdict === 'fresh') this.startRun();
      return;
    }
    if (this.current.run.progressed && this.dialect.startsRun(text)) {
      this.pending = [[text, line]];
      return;
    }
    this.current.run.feed(text, line);
  }

  private replay(segment: Segment): void {
    const lines = this.pending ?? [];
    this.pending = undefined;
    for (const [text, line] of lines) segment.run.feed(text, line);
  }

  private startRun(): void {
    this.close();
    const startLine = this.pending?.[0][1] ?? 1;
    this.current = { run: this.dialect.create(this.file), startLine };
    this.replay(this.current);
  }

  private close(): void {
    // An ending before the restart belongs to the run it ended.
    const ending = this.ending;
    this.ending = undefined;
    this.finished.push({ segment: this.current, parts: this.current.run.finish({ aliases: this.context.aliases, ending }) });
  }

  end(): void {
    if (this.longLines > MAX_LONG_LINE_DIAGNOSTICS) {
      const more = this.longLines - MAX_LONG_LINE_DIAGNOSTICS;
      this.diagnostics.push(diagnostic(this.file, undefined, undefined, `${more} more over-long line${more === 1 ? '' : 's'} not listed`, 'warning', 'truncated'));
    }
    if (this.pending) {
      const from = this.pending[0][1];
      this.pending = undefined;
      this.diagnostics.push(diagnostic(this.file, from, undefined, `the log starts another run at line ${from} but ends before it trains; that part is not read as a run`, 'info', 'unfinished'));
    }
    this.close();
  }
}

/** Reads a plain-text training log: its head decides whether it is one, then it is streamed. */
export async function readTextLog(logPath: string, context: ReadContext): Promise<ReadResult> {
  const file = path.resolve(logPath);
  const name = path.basename(file);
  const notMine: ReadResult = { runs: [], diagnostics: [], notMine: true };
  // A W&B run folder (files/output.log beside wandb-summary.json) is the W&B reader's.
  if (await exists(path.join(path.dirname(file), WANDB_SUMMARY_FILE))) return notMine;
  const logName = isLogName(name);
  const fail = (message: string, code: 'unreadable' | 'binary' | 'lfs-pointer'): ReadResult => ({ runs: [], diagnostics: [diagnostic(file, undefined, undefined, message, 'error', code)] });

  // A log that only grew since the last scan goes on from where that one stopped; its head, hence its dialect, is unchanged.
  const key = `${TEXT_LOG_FORMAT} ${aliasesKey(context.aliases)}`;
  const from = await context.resume?.resume<LogDriver>(file, key, [context, ...TEXT_LOG_DIALECTS]);
  let driver: LogDriver;
  if (from) {
    driver = from.state;
    driver.context = context;
  } else {
    let head: Buffer;
    let size: number;
    try {
      ({ head, size } = await readRegularHead(file, logName ? LOG_NAME_HEAD_BYTES : HEAD_BYTES));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return logName ? fail(`${name} not found`, 'unreadable') : notMine;
      // A FIFO or device under a generic name (out.txt) is nobody's log; under a log's name it is worth the word.
      if (e instanceof NotRegularFileError) return logName ? fail(`${name} is ${e.message}`, 'unreadable') : notMine;
      return fail(`cannot read ${name}: ${(e as Error).message}`, 'unreadable');
    }

    const verdict = sniffBinary(head.subarray(0, BINARY_SNIFF_BYTES));
    if (verdict === 'utf16') {
      // PowerShell's `>` writes UTF-16: worth saying so when the text inside is a training log.
      return dialectOf(decodeUtf16(head), head.length === size) ? fail(binaryMessage(verdict, name), 'binary') : notMine;
    }
    // A binary or a pointer under a generic name (a.out, data.txt) is not a log anyone meant to be read.
    if (verdict !== 'text') return logName ? fail(binaryMessage(verdict, name), verdictCode(verdict)) : notMine;
    const dialect = dialectOf(head.toString('utf8'), head.length === size);
    if (!dialect) return notMine;
    driver = new LogDriver(dialect, file, context);
  }

  const diagnostics: Diagnostic[] = [];
  let kept: LogDriver | undefined;
  try {
    const scan = await forEachLine(file, (text, line) => driver.line(line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, line), {
      start: from?.mark.offset,
      startLine: from?.mark.lines,
      onLongLine: (line, bytes) => driver.longLine(line, bytes),
      onComplete: (at) => {
        if (context.resume?.worthKeeping(at.offset)) kept = cloneState(driver, [context, ...TEXT_LOG_DIALECTS]);
      },
    });
    context.resume?.keep(file, key, scan, kept, from);
  } catch (e) {
    const read = (e as { linesRead?: number }).linesRead ?? 0;
    diagnostics.push(diagnostic(file, undefined, undefined, `reading stopped after line ${read}: ${(e as Error).message}; the runs are what was read up to there`, 'warning', 'unreadable'));
  }
  driver.end();
  const { dialect } = driver;
  diagnostics.push(...driver.diagnostics);

  const id = runId(file, context.root);
  const base = runName(file);
  const many = driver.finished.length > 1;
  if (many) diagnostics.push(diagnostic(file, undefined, undefined, `the log holds ${driver.finished.length} training runs (starting at lines ${driver.finished.map((f) => f.segment.startLine).join(', ')}); each is read as a run of its own`, 'info', 'grouped'));
  const runs: Run[] = driver.finished.map(({ segment, parts }, i) => {
    diagnostics.push(...parts.diagnostics);
    const run: Omit<Run, 'missing'> = {
      id: i === 0 ? id : `${id}#${segment.startLine}`,
      name: i === 0 ? base : `${base} (line ${segment.startLine})`,
      format: TEXT_LOG_FORMAT,
      file,
      ptq: parts.ptq,
      sources: {},
      curve: parts.curve,
      meta: { ...parts.meta, dialect: dialect.id, ...(many ? { startLine: segment.startLine } : {}) },
    };
    if (parts.params) [run.params, run.sources.params] = [parts.params.value, parts.params.source];
    if (parts.tokens) [run.tokens, run.sources.tokens] = [parts.tokens.value, parts.tokens.source];
    if (parts.precision) [run.precision, run.sources.precision] = [parts.precision.value, parts.precision.source];
    if (parts.finalLoss) [run.finalLoss, run.sources.finalLoss] = [parts.finalLoss.value, parts.finalLoss.source];
    if (parts.unfinished) run.unfinished = true;
    return withMissing(run, parts.reasons);
  });
  return { runs, diagnostics };
}

export const textLogReader: RunReader = {
  id: TEXT_LOG_FORMAT,
  label: 'training log (nanoGPT, Megatron-LM)',
  matches: isTextLogCandidate,
  read: readTextLog,
};
