// A tiny text corpus for training tests: 30 files of a 14-word vocabulary in shifting orders.
// It loads in milliseconds (the Brown corpus takes most of a second per trainer process).

import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Writes the corpus into `dir` (created) and returns `dir`. */
export function writeTinyCorpus(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const words = 'the a model trains on bytes and learns which letters follow which in small steps'.split(' ');
  for (let f = 0; f < 30; f++) writeFileSync(path.join(dir, `doc${f}.txt`), `${Array.from({ length: 400 }, (_, i) => words[(i * 7 + f * 3) % words.length]).join(' ')}\n`);
  return dir;
}
