// The one loader for small text files (configs, manifests, summaries): size checked before
// reading, binary and UTF-16 content and Git LFS pointers reported once instead of parsed.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, DiagnosticCode, Severity } from './diagnostics';
import { BINARY_SNIFF_BYTES, binaryMessage, sniffBinary, verdictCode } from './text';
import { diagnostic } from './validate';

/** Configs are kilobytes; a file this large is not one and is not loaded whole. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;


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
    const stat = await fs.stat(file);
    if (!stat.isFile()) return fail(`${name} is not a regular file; not read`, 'unreadable');
    if (stat.size > maxBytes) return fail(`${name} is ${(stat.size / 2 ** 20).toFixed(1)} MiB, too large for this kind of file; not read`, 'unreadable');
    buffer = await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return { absent: true };
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
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(BINARY_SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return sniffBinary(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
