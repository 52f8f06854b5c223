// Streams a text file line by line, synchronously within each chunk. readline's async
// iterator costs an await per line, which dominates on logs of millions of short lines;
// splitting decoded chunks with indexOf keeps the reader at JSON.parse speed.
//
// Linear in the file size whatever its lines: every byte is searched for a newline once (in
// the chunk it arrived in, never again as part of a growing partial line) and decoded once.
// Memory held is one chunk and at most `maxLineBytes` of one line: a longer line is counted,
// reported through `onLongLine` and skipped, and reading goes on with the next line.
//
// A read can start where an earlier one stopped (`start`), for logs that only grow: the scan
// keeps the reader's state at the last complete line and reads only what was appended.

import { openRegular } from './load';

/** Bytes kept from just before the last complete line's end, to tell a grown file from a rewritten one. */
export const MARK_BYTES = 4096;

export interface LineScan {
  /** Lines seen (up to the end of the file), counting a final line without a newline and long lines. */
  lines: number;
  /** The file ended with a newline (or was empty): false is where a crash cuts a record in half. */
  endsWithNewline: boolean;
  /** Lines longer than maxLineBytes: counted, given to onLongLine, never to onLine. */
  longLines: number;
  /** Bytes this call read. */
  bytesRead: number;
  /** Byte offset just after the last newline and the lines up to it: where a later read of the grown file starts. */
  complete: { offset: number; lines: number };
  /** Up to MARK_BYTES bytes ending at `complete.offset`, when this call read past a newline; absent otherwise. */
  tail?: Buffer;
  /** The file's first MARK_BYTES bytes (fewer in a shorter file), when the read started at 0. */
  head?: Buffer;
}

export interface LineOptions {
  signal?: AbortSignal;
  /** Bytes read at a time. */
  chunkBytes?: number;
  /** Longest line delivered, in bytes (without its newline); DEFAULT_MAX_LINE_BYTES when absent. */
  maxLineBytes?: number;
  /** Called, in line order, for each line longer than maxLineBytes, with its length in bytes. */
  onLongLine?: (line: number, bytes: number) => void;
  /** Byte offset to start at: the `complete.offset` of an earlier read of the same file. */
  start?: number;
  /** Lines before `start` (the earlier read's `complete.lines`), so numbering goes on. */
  startLine?: number;
  /**
   * Called once, after every newline-ended line has been delivered and before a final line
   * without one: the reader's state there is what a later read from `complete.offset` goes on from.
   */
  onComplete?: (complete: LineScan['complete']) => void;
}

/** Bytes read at a time. */
const CHUNK_BYTES = 1 << 20;

/**
 * A metrics or log record is bytes to kilobytes; a config echoed on one line tens of kilobytes.
 * 16 MiB is a thousand times that, and small enough that holding one such line is harmless.
 */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * Bound on a chunk and on a line, whatever a caller asks: V8 strings stop at 2^29 − 24 UTF-16
 * units, so decoding more bytes at once could throw RangeError instead of reading on.
 */
const MAX_BYTES = 1 << 28;

const stripCr = (text: string): string => (text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text);

/**
 * Calls `onLine(text, line)` for every line (1-based; "\r\n" and "\n" end lines, the "\r" is
 * dropped). Only regular files are opened (a FIFO or device rejects with a coded error, see
 * openRegular). Rejects on a read error or when `onLine` throws, with the lines read so far
 * already delivered and their count on the error as `linesRead`; content never makes it reject.
 */
export async function forEachLine(file: string, onLine: (text: string, line: number) => void, options: LineOptions = {}): Promise<LineScan> {
  const chunkBytes = Math.min(MAX_BYTES, Math.max(1, options.chunkBytes ?? CHUNK_BYTES));
  const maxLine = Math.min(MAX_BYTES, Math.max(0, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES));
  let position = options.start ?? 0;
  let line = options.startLine ?? 0;
  const scan: LineScan = { lines: 0, endsWithNewline: true, longLines: 0, bytesRead: 0, complete: { offset: position, lines: line } };
  // The line being read when a chunk ends: its pieces while within the cap, else only its length.
  let pieces: Buffer[] = [];
  let pieceBytes = 0;
  let longBytes = -1;
  // The bytes before the last newline seen, across chunks shorter than MARK_BYTES.
  let recent: Buffer = Buffer.alloc(0);
  const head: Buffer[] = [];
  let headBytes = position === 0 ? 0 : MARK_BYTES;

  const long = (bytes: number): void => {
    line++;
    scan.longLines++;
    options.onLongLine?.(line, bytes);
  };
  const deliver = (text: string): void => {
    line++;
    onLine(text, line);
  };
  // A partial line grows by `data`: kept while it fits the cap, else only counted.
  const extend = (data: Buffer): void => {
    if (data.length === 0) return;
    if (longBytes >= 0) longBytes += data.length;
    else if (pieceBytes + data.length > maxLine) {
      longBytes = pieceBytes + data.length;
      pieces = [];
      pieceBytes = 0;
    } else {
      pieces.push(data);
      pieceBytes += data.length;
    }
  };
  // The partial line ends with `data` (a newline follows it, or the file ends).
  const endLine = (data: Buffer): void => {
    if (longBytes >= 0 || pieceBytes + data.length > maxLine) {
      long((longBytes >= 0 ? longBytes : pieceBytes) + data.length);
    } else {
      const bytes = pieces.length === 0 ? data : Buffer.concat([...pieces, data]);
      deliver(stripCr(bytes.toString('utf8')));
    }
    pieces = [];
    pieceBytes = 0;
    longBytes = -1;
  };

  const handle = await openRegular(file);
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      // A fresh buffer per chunk: a partial line keeps views into it instead of copies.
      const chunk = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, position);
      if (bytesRead === 0) break;
      const data = chunk.subarray(0, bytesRead);
      const offset = position;
      position += bytesRead;
      scan.bytesRead += bytesRead;
      if (headBytes < MARK_BYTES) {
        const part = data.subarray(0, MARK_BYTES - headBytes);
        head.push(Buffer.from(part));
        headBytes += part.length;
      }
      scan.endsWithNewline = data[bytesRead - 1] === 10;
      const first = data.indexOf(10);
      if (first === -1) {
        extend(data);
        recent = keepRecent(recent, data);
        continue;
      }
      endLine(data.subarray(0, first));
      const last = data.lastIndexOf(10);
      if (last > first) {
        // Whole lines, decoded at once: a newline is one byte in UTF-8, so none splits a character.
        const text = data.toString('utf8', first + 1, last);
        // A line of n UTF-16 units is at most 3n bytes: only a line that long needs measuring.
        const measure = text.length * 3 > maxLine;
        let from = 0;
        for (;;) {
          const end = text.indexOf('\n', from);
          const piece = end === -1 ? text.slice(from) : text.slice(from, end);
          const bytes = measure && piece.length * 3 > maxLine ? Buffer.byteLength(piece) : 0;
          if (bytes > maxLine) long(bytes);
          else deliver(stripCr(piece));
          if (end === -1) break;
          from = end + 1;
        }
      }
      scan.complete = { offset: offset + last + 1, lines: line };
      recent = keepRecent(recent, data.subarray(0, last + 1));
      scan.tail = recent;
      recent = keepRecent(recent, data.subarray(last + 1));
      extend(data.subarray(last + 1));
    }
    options.onComplete?.(scan.complete);
    if (longBytes >= 0 || pieceBytes > 0) endLine(Buffer.alloc(0));
  } catch (error) {
    if (typeof error === 'object' && error !== null) Object.assign(error, { linesRead: line });
    throw error;
  } finally {
    await handle.close();
  }
  scan.lines = line;
  if (headBytes > 0 && (options.start ?? 0) === 0) scan.head = Buffer.concat(head);
  return scan;
}

/** The last MARK_BYTES bytes of `before` followed by `data`, copied (the chunk behind `data` is not kept). */
function keepRecent(before: Buffer, data: Buffer): Buffer {
  if (data.length >= MARK_BYTES) return Buffer.from(data.subarray(data.length - MARK_BYTES));
  if (data.length === 0) return before;
  const joined = Buffer.concat([before, data]);
  return joined.length > MARK_BYTES ? Buffer.from(joined.subarray(joined.length - MARK_BYTES)) : joined;
}
