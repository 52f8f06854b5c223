// Live logs grow by appends while a run trains; reading a 10 GB log again for every new line
// would cost minutes per change. A reader that streams lines keeps, per file, a mark: its own
// state after the file's last complete line, the byte offset there, and the first and the last
// MARK_BYTES bytes before that offset. The scan cache holds the marks of the last read; when the
// file has changed, the reader checks the mark against the file now and, if the file only
// grew, goes on from the offset with a copy of the state. A file that was truncated, or whose
// bytes at either end of the marked part differ (rewritten, replaced), is read again from the start.
//
// The result of a resumed read is the result of a full read: the state is everything the reader
// knows after a line, and finishing (the last, maybe cut, line; counts; the curve) is done on a
// copy of it, never on the kept state.

import { createHash } from 'node:crypto';
import type { AliasTable } from './aliases';
import type { LineScan } from './lines';
import { openRegular } from './load';

/** Below this size a file is read again whole: cheaper than holding its reader's state between scans. */
export const RESUME_MIN_BYTES = 1 << 20;

export interface LineMark<S = unknown> {
  /** What the state depends on besides the bytes (the reader and its options): a mark is used only under the same key. */
  key: string;
  /** Byte offset just after the last complete line read. */
  offset: number;
  /** Lines up to `offset`. */
  lines: number;
  /** The file's first bytes (up to MARK_BYTES, fewer in a file that was shorter) and the bytes just before `offset`. */
  head: Buffer;
  tail: Buffer;
  /** The reader's state after line `lines`; copied (cloneState) before it is used. */
  state: S;
}

/** Where to go on from, when the file only grew since the mark was made. */
export interface Resume<S> {
  mark: LineMark<S>;
  /** A copy of the mark's state, the reader's to change. */
  state: S;
}

/**
 * A reader's view of the marks of its last read of one run file (the scan gives it one per
 * read): `resume` for a file the last read marked, `keep` for the marks of this read.
 */
export class ResumeSlots {
  readonly kept = new Map<string, LineMark>();
  /** Files this read went on with from a mark, and the bytes it read from them. */
  resumed = 0;
  resumedBytes = 0;

  constructor(private readonly previous: ReadonlyMap<string, LineMark> = new Map()) {}

  /** Is a file read up to `offset` big enough to be marked (its state worth copying)? */
  worthKeeping(offset: number): boolean {
    return offset >= RESUME_MIN_BYTES;
  }

  /** The state to go on from in `file`, when its mark (under `key`) still fits the file; undefined otherwise. */
  async resume<S>(file: string, key: string, shared: readonly object[] = []): Promise<Resume<S> | undefined> {
    const mark = this.previous.get(file) as LineMark<S> | undefined;
    if (!mark || mark.key !== key || !(await stillFits(file, mark))) return undefined;
    return { mark, state: cloneState(mark.state, shared) };
  }

  /**
   * Keeps the mark of a read of `file` that ended with `scan`, the state being the reader's at
   * `scan.complete` (taken in onComplete; undefined when the read did not get there). Small
   * files are not marked.
   */
  keep<S>(file: string, key: string, scan: LineScan, state: S | undefined, from?: Resume<S>): void {
    if (from) {
      this.resumed++;
      this.resumedBytes += scan.bytesRead;
    }
    if (state === undefined || !this.worthKeeping(scan.complete.offset)) return;
    const head = scan.head ?? from?.mark.head;
    // No newline since the last mark: the bytes before the offset are the mark's.
    const tail = scan.tail ?? (from && from.mark.offset === scan.complete.offset ? from.mark.tail : undefined);
    if (!head || !tail) return;
    this.kept.set(file, { key, offset: scan.complete.offset, lines: scan.complete.lines, head, tail, state });
  }
}

/** The aliases as part of a mark's key: a reader whose state depends on them goes on only under the same ones. */
export function aliasesKey(aliases: AliasTable): string {
  let key = aliasKeys.get(aliases);
  if (key === undefined) {
    key = createHash('sha1').update(JSON.stringify(aliases)).digest('base64');
    aliasKeys.set(aliases, key);
  }
  return key;
}
const aliasKeys = new WeakMap<AliasTable, string>();

/** The file still holds, at both ends of the marked part, the bytes the mark saw. */
async function stillFits(file: string, mark: LineMark): Promise<boolean> {
  try {
    const handle = await openRegular(file);
    try {
      const { size } = await handle.stat();
      if (size < mark.offset) return false;
      const same = async (bytes: Buffer, position: number): Promise<boolean> => {
        const now = Buffer.alloc(bytes.length);
        const { bytesRead } = await handle.read(now, 0, bytes.length, position);
        return bytesRead === bytes.length && now.equals(bytes);
      };
      return (await same(mark.head, 0)) && (await same(mark.tail, mark.offset - mark.tail.length));
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

/**
 * A deep copy of a reader's state: plain objects, arrays, Maps, Sets and class instances (their
 * prototype kept), with shared references shared in the copy as well. Functions, frozen objects
 * and the objects in `shared` (a reader's settings, its dialect) are not copied. Readers' state is
 * data: no closures over mutable values, no private (#) fields.
 */
export function cloneState<T>(value: T, shared: readonly object[] = []): T {
  const keep = new Set<object>(shared);
  const copies = new Map<object, unknown>();
  const copy = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (keep.has(v) || Object.isFrozen(v)) return v;
    const done = copies.get(v);
    if (done !== undefined) return done;
    if (Buffer.isBuffer(v)) {
      const out = Buffer.from(v);
      copies.set(v, out);
      return out;
    }
    if (v instanceof Map) {
      const out = new Map();
      copies.set(v, out);
      for (const [k, x] of v) out.set(copy(k), copy(x));
      return out;
    }
    if (v instanceof Set) {
      const out = new Set();
      copies.set(v, out);
      for (const x of v) out.add(copy(x));
      return out;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = new Array(v.length);
      copies.set(v, out);
      for (let i = 0; i < v.length; i++) out[i] = copy(v[i]);
      return out;
    }
    if (v instanceof Date) return new Date(v.getTime());
    if (v instanceof RegExp) return new RegExp(v.source, v.flags);
    const out = Object.create(Object.getPrototypeOf(v) as object | null) as Record<PropertyKey, unknown>;
    copies.set(v, out);
    for (const key of Reflect.ownKeys(v)) {
      const descriptor = Object.getOwnPropertyDescriptor(v, key) as PropertyDescriptor;
      if ('value' in descriptor) descriptor.value = copy(descriptor.value);
      Object.defineProperty(out, key, descriptor);
    }
    return out;
  };
  return copy(value) as T;
}
