// The one opener of files the readers read, and the one loader for small text files (configs,
// manifests, summaries): size checked before reading, binary and UTF-16 content and Git LFS
// pointers reported once instead of parsed.

import { type Stats, constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, DiagnosticCode, Severity } from './diagnostics';
import { BINARY_SNIFF_BYTES, binaryMessage, sniffBinary, verdictCode } from './text';
import { diagnostic } from './validate';

/** Configs are kilobytes; a file this large is not one and is not loaded whole. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;


/** What a path that is not a regular file is, for messages. */
function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isDirectory()) return 'a folder';
  return 'not a file';
}

/** The error for a path that is not a regular file: readers report it as 'unreadable', like any other failed open. */
export class NotRegularFileError extends Error {
  readonly code = 'ERR_NOT_REGULAR_FILE';
  constructor(kind: string) {
    super(`not a regular file (${kind}); not read`);
    this.name = 'NotRegularFileError';
  }
}

// O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever. It changes nothing
// for a regular file. Windows has no such flag (nor FIFOs under a file name).
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Opens a file for reading only if it is a regular file: a FIFO, socket or device under a run
 * file's name (a hostile or broken workspace) is refused with NotRegularFileError instead of
 * blocking the scan or reading without end. Symlinks are followed: a loop fails with ELOOP, a
 * link to a FIFO or device is refused like the thing itself. Checked before opening (so a device
 * is never opened) and again on the open file (so one swapped in between is refused too). Every
 * reader opens files through this; the caller closes the handle.
 */
export async function openRegular(file: string): Promise<fs.FileHandle> {
  const before = await fs.stat(file);
  if (!before.isFile()) throw new NotRegularFileError(kindOf(before));
  const handle = await fs.open(file, OPEN_FLAGS);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new NotRegularFileError(kindOf(stat));
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A regular file's bytes, whole (see openRegular); the caller has checked its size. */
export async function readRegular(file: string): Promise<Buffer> {
  const handle = await openRegular(file);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** The first `bytes` bytes of a regular file and its size (see openRegular). */
export async function readRegularHead(file: string, bytes: number): Promise<{ head: Buffer; size: number }> {
  const handle = await openRegular(file);
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(bytes, size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return { head: head.subarray(0, bytesRead), size };
  } finally {
    await handle.close();
  }
}

/** `length` bytes of a regular file from `position` (fewer at its end). */
export async function readRegularAt(file: string, position: number, length: number): Promise<Buffer> {
  const handle = await openRegular(file);
  try {
    const out = Buffer.alloc(length);
    const { bytesRead } = await handle.read(out, 0, length, position);
    return out.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export interface TextLoad {
  text?: string;
  /** The file does not exist; no diagnostic was made for it. */
  absent?: boolean;
}

/**
 * Reads a small text file whole: size checked first, binary and UTF-16 content reported once
 * instead of parsed. An absent file is `{ absent: true }` with no diagnostic; the caller knows
 * whether its absence matters.
 */
export async function loadSmallText(file: string, diagnostics: Diagnostic[], options: { maxBytes?: number; severity?: Severity } = {}): Promise<TextLoad> {
  const name = path.basename(file);
  const severity = options.severity ?? 'warning';
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  const fail = (message: string, code: DiagnosticCode): TextLoad => {
    diagnostics.push(diagnostic(file, undefined, undefined, message, severity, code));
    return {};
  };
  let buffer: Buffer;
  try {
    const handle = await openRegular(file);
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) return fail(`${name} is ${(size / 2 ** 20).toFixed(1)} MiB, too large for this kind of file; not read`, 'unreadable');
      buffer = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return { absent: true };
    if (e instanceof NotRegularFileError) return fail(`${name} is ${e.message}`, 'unreadable');
    return fail(`cannot read ${name}: ${(e as Error).message}`, 'unreadable');
  }
  const verdict = sniffBinary(buffer.subarray(0, BINARY_SNIFF_BYTES));
  if (verdict !== 'text') return fail(binaryMessage(verdict, name), verdictCode(verdict));
  const text = buffer.toString('utf8');
  // Blanking a BOM (rather than cutting it) keeps every offset, hence every line, right.
  return { text: text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text };
}

/** Sniffs the head of a file that is streamed rather than loaded. */
export async function sniffFile(file: string): Promise<ReturnType<typeof sniffBinary>> {
  return sniffBinary(await readRegularAt(file, 0, BINARY_SNIFF_BYTES));
}
