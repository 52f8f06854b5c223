// Every reader against thousands of damaged versions of its fixtures: truncated (a crash
// mid-write), bit-flipped (a bad disk or a wrong encoding) and spliced (two files run
// together). Whatever the input, a reader returns runs and diagnostics; it never throws, never
// yields a NaN or a negative number, and never fails silently.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { READERS, type ReadResult, type RunReader } from '../../src/runs/readers';
import type { Run } from '../../src/runs/run';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
/** Inputs per reader; FUZZ_RUNS raises it for a longer local run. */
const RUNS_PER_READER = Number(process.env.FUZZ_RUNS ?? 1500);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : e.isFile() ? [full] : [];
  });
}

/**
 * Entry files of each reader among the fixtures, with the sibling files they come with. A file
 * several readers match (a .json) is fuzzed with each, as discovery offers it to each in turn.
 */
function entriesByReader(): Map<RunReader, string[]> {
  const out = new Map<RunReader, string[]>();
  for (const file of filesUnder(FIXTURES)) {
    for (const reader of READERS.filter((r) => r.matches(path.basename(file), file))) out.set(reader, [...(out.get(reader) ?? []), file]);
  }
  return out;
}

type Mutation = { kind: 'truncate'; at: number } | { kind: 'flip'; flips: Array<[number, number]> } | { kind: 'splice'; other: number; at: number; from: number };

const mutation = (size: number, fixtures: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: Math.max(0, size) }) }),
    fc.record({ kind: fc.constant('flip' as const), flips: fc.array(fc.tuple(fc.nat({ max: Math.max(0, size - 1) }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('splice' as const), other: fc.nat({ max: fixtures - 1 }), at: fc.nat({ max: Math.max(0, size) }), from: fc.nat({ max: 1 << 16 }) }),
  );

function apply(bytes: Buffer, m: Mutation, pool: Buffer[]): Buffer {
  if (m.kind === 'truncate') return bytes.subarray(0, m.at);
  if (m.kind === 'flip') {
    const out = Buffer.from(bytes);
    for (const [i, bit] of m.flips) if (i < out.length) out[i] ^= 1 << bit;
    return out;
  }
  const other = pool[m.other % pool.length];
  return Buffer.concat([bytes.subarray(0, m.at), other.subarray(other.length > 0 ? m.from % other.length : 0)]);
}

function checkDiagnostic(d: Diagnostic): void {
  assert.equal(typeof d.file, 'string');
  assert.ok(d.file.length > 0);
  assert.equal(typeof d.message, 'string');
  assert.ok(d.message.length > 0);
  assert.ok(['error', 'warning', 'info'].includes(d.severity), d.severity);
  if (d.line !== undefined) assert.ok(Number.isInteger(d.line) && d.line >= 1, `line ${d.line}`);
}

const positiveOrAbsent = (x: number | undefined, what: string) => assert.ok(x === undefined || (Number.isFinite(x) && x > 0), `${what}: ${x}`);

function checkRun(run: Run): void {
  assert.equal(typeof run.id, 'string');
  positiveOrAbsent(run.params, 'params');
  positiveOrAbsent(run.tokens, 'tokens');
  positiveOrAbsent(run.finalLoss, 'finalLoss');
  for (const part of run.precision ? [run.precision.w, run.precision.a, run.precision.kv] : []) positiveOrAbsent(part.bits, 'bits');
  for (const q of run.ptq) {
    positiveOrAbsent(q.loss, 'ptq loss');
    positiveOrAbsent(q.bits, 'ptq bits');
  }
  for (const p of run.curve ?? []) assert.ok(Number.isFinite(p.loss) && p.loss > 0, `curve loss ${p.loss}`);
  for (const field of run.missing) assert.equal(run[field], undefined, `${field} listed as missing but present`);
}

function checkResult(result: ReadResult): void {
  assert.ok(Array.isArray(result.runs) && Array.isArray(result.diagnostics));
  result.diagnostics.forEach(checkDiagnostic);
  result.runs.forEach(checkRun);
  // Never silent: a file of the format that yields no run, or an incomplete one, says why.
  const incomplete = result.runs.length === 0 || result.runs.some((r) => r.missing.length > 0);
  if (!result.notMine && incomplete) assert.ok(result.diagnostics.length > 0, 'no run or an incomplete run, and no diagnostic');
}

describe('fuzzing the readers', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'precision-fuzz-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  const byReader = entriesByReader();

  it('finds fixtures for every registered reader', () => {
    for (const reader of READERS) assert.ok(byReader.has(reader), `no fixture for the ${reader.id} reader`);
  });

  for (const [reader, entries] of byReader) {
    it(`${reader.id}: ${RUNS_PER_READER} damaged inputs, no throw, every failure a diagnostic`, async () => {
      // Each entry file is read from a copy of its own folder, so companion files are there;
      // the damage goes to the entry file or to one of its companions.
      const targets = entries.flatMap((entry, i) => {
        const dir = path.join(scratch, reader.id, String(i));
        cpSync(path.dirname(entry), dir, { recursive: true });
        const copy = path.join(dir, path.basename(entry));
        return readdirSync(dir, { withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => ({ entry: copy, file: path.join(dir, e.name), original: readFileSync(path.join(dir, e.name)) }))
          .sort((a, b) => Number(b.file === copy) - Number(a.file === copy));
      });
      const pool = targets.map((t) => t.original);
      const maxSize = Math.max(...pool.map((b) => b.length));
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: targets.length - 1 }), mutation(maxSize, pool.length), async (which, m) => {
          const target = targets[which];
          writeFileSync(target.file, apply(target.original, m, pool));
          let result: ReadResult;
          try {
            result = await reader.read(target.entry, { root: scratch, aliases: DEFAULT_ALIASES });
          } finally {
            writeFileSync(target.file, target.original);
          }
          checkResult(result);
        }),
        { numRuns: RUNS_PER_READER, seed: 20241105, endOnFailure: true },
      );
    });
  }
});
