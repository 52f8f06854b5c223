// TFRecord framing, the container of TensorBoard event files: each record is
//   uint64 length | uint32 masked CRC32C of the length bytes | data | uint32 masked CRC32C of data
// all little-endian. Files are read in chunks and records handed out one at a time, so memory is
// bounded by the largest record kept, not by the file. Damage is reported in the stream itself:
// a bad data checksum costs one record, a bad length checksum loses the framing (nothing after it
// can be found), and a file that ends inside a record is a writer that stopped mid-write.

import { promises as fs } from 'node:fs';
import * as CRC32C from 'crc-32/crc32c';
import { openRegular } from './load';
import { BINARY_SNIFF_BYTES, sniffBinary } from './text';

export const HEADER_BYTES = 12;
export const FOOTER_BYTES = 4;
const MASK_DELTA = 0xa282ead8;

/** Bytes read from the file at a time. */
const CHUNK_BYTES = 1 << 20;
/**
 * Records larger than this are skipped unread (images, graphs, embeddings): nothing a run
 * needs is that large, and a damaged file should not make the reader allocate gigabytes.
 */
export const DEFAULT_MAX_RECORD_BYTES = 8 << 20;

export function crc32c(data: Uint8Array): number {
  return CRC32C.buf(data) >>> 0;
}

/** TensorFlow stores CRCs rotated and offset, so a CRC of data that holds CRCs stays well-behaved. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function maskedCrc32c(data: Uint8Array): number {
  return maskCrc(crc32c(data));
}

/** One record framed around `data`, as TensorFlow's RecordWriter writes it. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + data.length + FOOTER_BYTES);
  out.writeUInt32LE(data.length >>> 0, 0);
  out.writeUInt32LE(Math.floor(data.length / 2 ** 32), 4);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, HEADER_BYTES);
  out.writeUInt32LE(maskedCrc32c(data), HEADER_BYTES + data.length);
  return out;
}

interface At {
  /** 0-based position of the record in the file. */
  index: number;
  /** Byte offset of the record's header. */
  offset: number;
}

export type TfRecordItem =
  /** `data` is a view into the chunk it was read with: keeping it keeps that chunk (≤ 1 MiB) alive. */
  | (At & { kind: 'record'; data: Buffer })
  /** Larger than the limit: skipped unread. */
  | (At & { kind: 'oversized'; length: number })
  /** The data's checksum does not match: the record is skipped, the next one read. */
  | (At & { kind: 'badData'; length: number })
  /** The length's checksum does not match: the framing is lost and reading stops here. */
  | (At & { kind: 'badLength' })
  /** The file ends inside this record (header or data): reading stops here. */
  | (At & { kind: 'truncated'; length?: number; available: number });

export interface TfRecordOptions {
  maxRecordBytes?: number;
  chunkBytes?: number;
}

/**
 * A window over a file, refilled as it is consumed. Each refill reads into a fresh buffer (the
 * unread tail copied over), so slices handed out earlier stay valid without a copy per record.
 */
class ChunkedFile {
  private buffer: Buffer;
  private start = 0;
  private end = 0;
  private position = 0;
  private eof = false;

  constructor(
    private readonly handle: fs.FileHandle,
    private readonly chunkBytes: number,
  ) {
    this.buffer = Buffer.alloc(0);
  }

  get available(): number {
    return this.end - this.start;
  }

  /** Makes at least `n` bytes available; false when the file ends first. */
  async fill(n: number): Promise<boolean> {
    if (this.available >= n) return true;
    if (this.eof) return false;
    const fresh = Buffer.allocUnsafe(Math.max(n, this.chunkBytes));
    this.buffer.copy(fresh, 0, this.start, this.end);
    this.buffer = fresh;
    this.end -= this.start;
    this.start = 0;
    while (this.available < n && !this.eof) {
      const { bytesRead } = await this.handle.read(this.buffer, this.end, this.buffer.length - this.end, this.position);
      if (bytesRead === 0) this.eof = true;
      this.end += bytesRead;
      this.position += bytesRead;
    }
    return this.available >= n;
  }

  peek(n: number): Buffer {
    return this.buffer.subarray(this.start, this.start + n);
  }

  consume(n: number): void {
    this.start += n;
  }

  /** Continues at an absolute offset, dropping what is buffered. */
  seek(offset: number): void {
    this.start = 0;
    this.end = 0;
    this.position = offset;
    this.eof = false;
  }
}

/**
 * The records of a TFRecord file in order, each with its index and byte offset, and the damage
 * met on the way (see TfRecordItem), handed out in batches: every record already in memory at
 * once, so a file of a million small records costs a few hundred awaits, not a million. Rejects
 * when the file cannot be opened or read; batches already yielded stand.
 */
export async function* readTfRecordBatches(file: string, options: TfRecordOptions = {}): AsyncGenerator<TfRecordItem[]> {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const handle = await openRegular(file);
  try {
    const source = new ChunkedFile(handle, Math.max(HEADER_BYTES + FOOTER_BYTES, options.chunkBytes ?? CHUNK_BYTES));
    let batch: TfRecordItem[] = [];
    // Awaits only when the window runs dry, handing over what was framed so far first.
    const need = async (n: number): Promise<boolean> => {
      if (source.available >= n) return true;
      if (batch.length > 0) return false;
      return source.fill(n);
    };
    let offset = 0;
    for (let index = 0; ; ) {
      if (!(await need(HEADER_BYTES))) {
        if (batch.length > 0) {
          yield batch;
          batch = [];
          continue;
        }
        if (source.available > 0) yield [{ kind: 'truncated', index, offset, available: source.available }];
        return;
      }
      const header = source.peek(HEADER_BYTES);
      if (maskedCrc32c(header.subarray(0, 8)) !== header.readUInt32LE(8)) {
        batch.push({ kind: 'badLength', index, offset });
        yield batch;
        return;
      }
      const length = header.readUInt32LE(4) * 2 ** 32 + header.readUInt32LE(0);
      const total = HEADER_BYTES + length + FOOTER_BYTES;
      if (length > maxRecordBytes) {
        const size = (await handle.stat()).size;
        if (offset + total > size) {
          batch.push({ kind: 'truncated', index, offset, length, available: size - offset });
          yield batch;
          return;
        }
        batch.push({ kind: 'oversized', index, offset, length });
        offset += total;
        index++;
        source.seek(offset);
        continue;
      }
      if (!(await need(total))) {
        if (batch.length > 0) {
          yield batch;
          batch = [];
          continue;
        }
        yield [{ kind: 'truncated', index, offset, length, available: source.available }];
        return;
      }
      const record = source.peek(total);
      const data = record.subarray(HEADER_BYTES, HEADER_BYTES + length);
      if (maskedCrc32c(data) === record.readUInt32LE(HEADER_BYTES + length)) batch.push({ kind: 'record', index, offset, data });
      else batch.push({ kind: 'badData', index, offset, length });
      source.consume(total);
      offset += total;
      index++;
    }
  } finally {
    await handle.close();
  }
}

/** readTfRecordBatches one item at a time. */
export async function* readTfRecords(file: string, options: TfRecordOptions = {}): AsyncGenerator<TfRecordItem> {
  for await (const batch of readTfRecordBatches(file, options)) yield* batch;
}

export type HeadCheck = 'records' | 'empty' | 'short' | 'foreign' | 'lfs-pointer';

/**
 * Whether a file starts like a TFRecord file: the first header's length checksum matches
 * (a chance of 1 in 2^32 for other bytes); a Git LFS pointer in its place is told apart.
 */
export async function checkHead(file: string): Promise<HeadCheck> {
  const handle = await openRegular(file);
  try {
    const head = Buffer.alloc(BINARY_SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, BINARY_SNIFF_BYTES, 0);
    if (bytesRead === 0) return 'empty';
    if (bytesRead < HEADER_BYTES) return 'short';
    if (maskedCrc32c(head.subarray(0, 8)) === head.readUInt32LE(8)) return 'records';
    return sniffBinary(head.subarray(0, bytesRead)) === 'lfs-pointer' ? 'lfs-pointer' : 'foreign';
  } finally {
    await handle.close();
  }
}
