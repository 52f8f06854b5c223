import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TokenSampler, decode, encode, loadBrownCorpus, loadTextCorpus, splitCorpus, untagBrown, validationWindows } from '../../src/train/data';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-train-data-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('tokenizer and corpora', () => {
  test('bytes in, bytes out, any text', () => {
    const text = 'naïve café — 東京\n';
    const tokens = encode(text);
    assert.ok(tokens.every((t) => t >= 0 && t < 256));
    assert.equal(decode(tokens), text);
  });

  test('Brown tags are stripped and punctuation attached', () => {
    const tagged = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, and/cc 1/2/cd was/bedz ./.\n\n\tNext/ap ./.\n";
    assert.equal(untagBrown(tagged), 'The jury said "no evidence", and 1/2 was.\nNext.');
  });

  test('the Brown corpus: 500 documents of plain text', () => {
    const corpus = loadBrownCorpus();
    assert.equal(corpus.documents.length, 500);
    const text = decode(corpus.documents[0].tokens.subarray(0, 60));
    assert.match(text, /^The Fulton County Grand Jury said Friday/);
    assert.ok(!corpus.documents.some((d) => /\/(at|nn|vbd) /.test(decode(d.tokens.subarray(0, 2000)))), 'no tags left');
  });

  test('a folder of text files, binary files skipped, few files cut into pieces', async () => {
    const dir = path.join(tmp, 'texts');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'a.txt'), 'x'.repeat(20000));
    await writeFile(path.join(dir, 'sub', 'b.md'), 'y'.repeat(100));
    await writeFile(path.join(dir, 'c.bin'), Buffer.from([1, 0, 2, 0]));
    const corpus = loadTextCorpus([dir]);
    // 20000 bytes in 8 KiB pieces (3) plus the small file.
    assert.equal(corpus.documents.length, 4);
    assert.ok(corpus.documents.every((d) => !d.name.endsWith('c.bin')));
    assert.throws(() => loadTextCorpus([path.join(dir, 'c.bin')]), /no text files/);
  });
});

describe('split and sampling', () => {
  const corpus = {
    name: 'numbers',
    documents: Array.from({ length: 40 }, (_, i) => ({ name: `d${i}`, tokens: new Uint8Array(100).fill(i) })),
  };

  test('the split is by document, fixed by its seed, and independent of the run seed', () => {
    const a = splitCorpus(corpus, 0.1, 0);
    const b = splitCorpus(corpus, 0.1, 0);
    const c = splitCorpus(corpus, 0.1, 1);
    assert.deepEqual(a.validationDocuments, b.validationDocuments);
    assert.notDeepEqual(a.validationDocuments, c.validationDocuments);
    assert.equal(a.validationDocuments.length, 4);
    const held = new Set(a.validationDocuments.map((n) => Number(n.slice(1))));
    assert.ok(a.train.every((t) => !held.has(t)), 'no validation document in the training text');
    assert.equal(a.train.length + a.validation.length, 4000);
  });

  test('no token is repeated before the training text is used up; epochs are counted', () => {
    // Token i/10: a window's first token names it, and in the first pass every window
    // starts at a multiple of the context (a window's tokens are all its own but the last).
    const stream = new Uint8Array(1001).map((_, i) => Math.floor(i / 10));
    const sampler = new TokenSampler(stream, 10, 3);
    assert.equal(sampler.tokensPerPass, 1000);
    const starts = new Set<number>();
    for (let i = 0; i < 25; i++) {
      const batch = sampler.nextBatch(4);
      for (let r = 0; r < 4; r++) {
        const row = Array.from(batch.subarray(r * 11, r * 11 + 11));
        assert.deepEqual(row, [...Array(10).fill(row[0]), row[0] + 1]);
        starts.add(row[0]);
      }
    }
    assert.equal(starts.size, 100, 'one pass visits every window once');
    assert.equal(sampler.epochs, 1);
    sampler.nextBatch(50);
    assert.equal(sampler.epochs, 1.5);
  });

  test('the same seed gives the same batches', () => {
    const stream = new Uint8Array(5000).map((_, i) => (i * 7) % 256);
    const a = new TokenSampler(stream, 16, 9);
    const b = new TokenSampler(stream, 16, 9);
    const c = new TokenSampler(stream, 16, 10);
    assert.deepEqual(a.nextBatch(3), b.nextBatch(3));
    assert.notDeepEqual(a.nextBatch(3), c.nextBatch(4).subarray(0, 51));
  });

  test('validation windows are fixed and capped', () => {
    const validation = new Uint8Array(1000).map((_, i) => i % 256);
    const w = validationWindows(validation, 10, 200);
    assert.equal(w.length, 20 * 11);
    assert.deepEqual(w, validationWindows(validation, 10, 200));
    assert.equal(validationWindows(validation, 10, 1e9).length, 99 * 11);
  });
});
