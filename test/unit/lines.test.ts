import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_MAX_LINE_BYTES, forEachLine } from '../../src/runs/lines';
import { writeStreamed } from '../support/files';


/** What forEachLine must give, by splitting the whole text at once. */
function reference(content: string, maxLineBytes: number): { lines: Array<[number, string]>; long: Array<[number, number]> } {
  const parts = content.split('\n');
  if (parts.at(-1) === '') parts.pop();
  const lines: Array<[number, string]> = [];
  const long: Array<[number, number]> = [];
  parts.forEach((raw, i) => {
    const bytes = Buffer.byteLength(raw);
    if (bytes > maxLineBytes) long.push([i + 1, bytes]);
    else lines.push([i + 1, raw.endsWith('\r') ? raw.slice(0, -1) : raw]);
  });
  return { lines, long };
}

describe('forEachLine', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'precision-lines-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const collect = async (content: string | Buffer, chunkBytes?: number) => {
    const file = path.join(dir, 'f.jsonl');
    writeFileSync(file, content);
    const lines: Array<[number, string]> = [];
    const scan = await forEachLine(file, (text, line) => lines.push([line, text]), { chunkBytes });
    return { lines, scan };
  };

  it('numbers lines from 1, drops the \\r of CRLF, and says whether the file ended with a newline', async () => {
    const a = await collect('a\r\nb\n\nc');
    assert.deepEqual(a.lines, [[1, 'a'], [2, 'b'], [3, ''], [4, 'c']]);
    const shape = ({ lines, endsWithNewline }: { lines: number; endsWithNewline: boolean }) => ({ lines, endsWithNewline });
    assert.deepEqual(shape(a.scan), { lines: 4, endsWithNewline: false });
    const b = await collect('x\n');
    assert.deepEqual(b.lines, [[1, 'x']]);
    assert.equal(b.scan.endsWithNewline, true);
    assert.deepEqual(shape((await collect('')).scan), { lines: 0, endsWithNewline: true });
  });

  it('keeps multi-byte characters and lines whole across chunk boundaries', async () => {
    const text = Array.from({ length: 200 }, (_, i) => `{"step": ${i}, "note": "λ→∞ ${'é'.repeat(i % 7)}"}`).join('\n');
    for (const chunk of [1, 3, 7, 64]) {
      const { lines } = await collect(text, chunk);
      assert.deepEqual(lines.map(([, t]) => t), text.split('\n'), `chunk ${chunk}`);
    }
  });

  it('rejects on a missing file', async () => {
    await assert.rejects(forEachLine(path.join(dir, 'missing'), () => {}), /ENOENT/);
  });

  it('a line over maxLineBytes is given to onLongLine with its length, never held whole; the lines around it are read', async () => {
    // 64 MiB and a bit on one line between ordinary records; a 1 MiB cap keeps the test quick.
    const file = path.join(dir, 'long.jsonl');
    const before = Array.from({ length: 50 }, (_, i) => `{"step": ${i}, "loss": 3}\n`).join('');
    const after = Array.from({ length: 50 }, (_, i) => `{"step": ${i + 51}, "loss": 2}\n`).join('');
    const longBytes = 64 * 2 ** 20 + 17;
    await writeStreamed(file, [before, '{"note": "', longBytes - 13, '"}\r\n', after]);
    try {
      const lines: number[] = [];
      const long: Array<[number, number]> = [];
      const scan = await forEachLine(file, (_text, line) => lines.push(line), { maxLineBytes: 2 ** 20, onLongLine: (line, bytes) => long.push([line, bytes]) });
      assert.deepEqual(long, [[51, longBytes]]);
      assert.deepEqual(lines, [...Array.from({ length: 50 }, (_, i) => i + 1), ...Array.from({ length: 50 }, (_, i) => i + 52)]);
      assert.deepEqual([scan.lines, scan.longLines, scan.bytesRead], [101, 1, statSync(file).size]);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('the default cap: a line one byte over it is reported, one at it is read, and reading goes on', async () => {
    const file = path.join(dir, 'default-cap.log');
    await writeStreamed(file, ['first\n', DEFAULT_MAX_LINE_BYTES + 1, '\n', 'middle\n', DEFAULT_MAX_LINE_BYTES, '\nlast']);
    try {
      const seen: Array<[number, number | string]> = [];
      const long: Array<[number, number]> = [];
      await forEachLine(file, (text, line) => seen.push([line, text.length > 10 ? text.length : text]), { onLongLine: (line, bytes) => long.push([line, bytes]) });
      assert.deepEqual(long, [[2, DEFAULT_MAX_LINE_BYTES + 1]]);
      assert.deepEqual(seen, [[1, 'first'], [3, 'middle'], [4, DEFAULT_MAX_LINE_BYTES], [5, 'last']]);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('gives what splitting the whole text gives, for any chunk size and cap (long lines, CRLF, multi-byte text, no final newline)', async () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const words = ['a', 'λ', '→∞', '{"k": 1}', '\r', 'é', ' '];
    for (let round = 0; round < 30; round++) {
      const lines = Array.from({ length: 1 + Math.floor(random() * 40) }, () => {
        const n = random() < 0.1 ? 200 + Math.floor(random() * 300) : Math.floor(random() * 12);
        return Array.from({ length: n }, () => words[Math.floor(random() * words.length)]).join('');
      });
      const content = lines.join(random() < 0.5 ? '\n' : '\r\n') + (random() < 0.5 ? '\n' : '');
      const file = path.join(dir, 'random.txt');
      writeFileSync(file, content);
      for (const [chunkBytes, maxLineBytes] of [[1, 64], [7, 100], [64, 10], [4096, 300], [3, 0]]) {
        const got = { lines: [] as Array<[number, string]>, long: [] as Array<[number, number]> };
        await forEachLine(file, (text, line) => got.lines.push([line, text]), { chunkBytes, maxLineBytes, onLongLine: (line, bytes) => got.long.push([line, bytes]) });
        // The reference counts a long line's "\r" as the reader does (bytes before the "\n").
        assert.deepEqual(got, reference(content, maxLineBytes), `round ${round}, chunk ${chunkBytes}, cap ${maxLineBytes}`);
      }
    }
  });

  it('goes on from an earlier read\'s complete offset: the same lines as a full read, reading only the new bytes', async () => {
    const file = path.join(dir, 'growing.jsonl');
    writeFileSync(file, 'a\nb\nhalf');
    const first: string[] = [];
    const scan = await forEachLine(file, (text) => first.push(text), { chunkBytes: 3 });
    assert.deepEqual([first, scan.complete, scan.endsWithNewline], [['a', 'b', 'half'], { offset: 4, lines: 2 }, false]);
    assert.equal(scan.tail?.toString(), 'a\nb\n');
    appendFileSync(file, '-done\nc\n');
    const rest: Array<[number, string]> = [];
    const again = await forEachLine(file, (text, line) => rest.push([line, text]), { start: scan.complete.offset, startLine: scan.complete.lines, chunkBytes: 3 });
    assert.deepEqual(rest, [[3, 'half-done'], [4, 'c']]);
    assert.deepEqual([again.bytesRead, again.complete, again.head, again.tail?.toString()], [12, { offset: 16, lines: 4 }, undefined, 'half-done\nc\n']);
  });

  it('onComplete comes after the last newline-ended line and before a final line without one', async () => {
    const file = path.join(dir, 'order.txt');
    writeFileSync(file, 'x\ny\ncut');
    const events: string[] = [];
    await forEachLine(file, (text) => events.push(text), { onComplete: (at) => events.push(`complete@${at.offset}/${at.lines}`) });
    assert.deepEqual(events, ['x', 'y', 'complete@4/2', 'cut']);
  });

  it('refuses a FIFO at once instead of waiting for a writer', { skip: process.platform === 'win32' }, async () => {
    const fifo = path.join(dir, 'fifo.jsonl');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(forEachLine(fifo, () => {}), (e: NodeJS.ErrnoException) => e.code === 'ERR_NOT_REGULAR_FILE');
    rmSync(fifo);
  });
});
