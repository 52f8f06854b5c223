// Large files for tests, written in 1 MiB blocks so no test holds them in memory.

import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import * as path from 'node:path';

/** Writes `parts` to a file, a string as it is and a number as that many "x" bytes, in 1 MiB writes. */
export async function writeStreamed(file: string, parts: ReadonlyArray<string | number>): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const block = Buffer.alloc(1 << 20, 'x');
  for (const part of parts) {
    if (typeof part === 'string') {
      if (!out.write(part)) await once(out, 'drain');
      continue;
    }
    for (let left = part; left > 0; left -= block.length) if (!out.write(left >= block.length ? block : block.subarray(0, left))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
