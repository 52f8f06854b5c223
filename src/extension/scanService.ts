// What the scan worker does with a request, apart from the thread it runs in: scan() with a
// cache kept between requests, which files it is reading right now (a scan stopped for taking
// too long names them), and whether the result differs from the last one it gave. Plain data
// in and out: requests and results cross a postMessage (structured clone), so no functions,
// classes or Maps — the per-folder default precision travels as pairs and is made a function here.

import * as path from 'node:path';
import type { AliasTable } from '../runs/aliases';
import type { PrecisionDefaults } from '../runs/defaults';
import type { Diagnostic } from '../runs/diagnostics';
import { ScanCache, type ScanResult, scan } from '../runs/discover';
import { READERS, type RunReader } from '../runs/readers';
import type { Run } from '../runs/run';

export interface ScanRequest {
  folders: string[];
  include: string[];
  exclude: string[];
  aliases: AliasTable;
  /** precisionPlanner.runs.defaultPrecision by workspace folder (resolved path), as pairs. */
  defaults: Array<[string, PrecisionDefaults]>;
}

export interface ScanActivity {
  /** Run files done (read or served from the cache), of `total` found; 0 of 0 while the folders are listed. */
  read: number;
  total: number;
  /** Files a reader has open now, oldest first. */
  reading: string[];
}

export interface ScanReply {
  result: ScanResult;
  /** The same runs and problems as the last reply of this service: nothing downstream needs redoing. */
  unchanged: boolean;
  /** Files handed to a reader in this scan, and sweep plans read anew (the rest came from the cache). */
  reread: number;
}

/**
 * Host to worker: a scan, and the host's word that it took in a part of the reply. The host
 * sends that word from its next turn of the event loop, and the worker sends no part before it:
 * messages already queued are all taken in one turn, so parts posted back to back would block
 * the host as long as one big message.
 */
export type ScanWorkerRequest = { type: 'scan'; id: number; request: ScanRequest } | { type: 'taken'; id: number };
/**
 * Worker to host. A reply's runs and problems come first, in parts (resultParts), the reply
 * itself last with both lists empty. An unchanged reply has no parts: the runs and problems are
 * those of the last reply (the client keeps them).
 */
export type ScanWorkerMessage =
  | { type: 'progress'; id: number; activity: ScanActivity }
  | { type: 'part'; id: number; part: ResultPart }
  | { type: 'result'; id: number; reply: ScanReply }
  | { type: 'error'; id: number; message: string };

export interface ResultPart {
  runs: Run[];
  diagnostics: Diagnostic[];
}

/**
 * What one part may cost the host to take in, in microseconds of structured-clone
 * deserialization as measured here (Node 20): about 10 per run, 1 per loss-curve point, 5 per
 * problem. 20 ms: a sweep table of 140,000 rows arrives in parts the editor answers between.
 */
export const PART_BUDGET = 20_000;
const runCost = (run: Run): number => 10 + (run.curve?.length ?? 0) + 2 * run.ptq.length;
const DIAGNOSTIC_COST = 5;

/** A result's runs and problems in order, cut into parts of at most `budget` (one item over it is a part alone). */
export function resultParts(result: Pick<ScanResult, 'runs' | 'diagnostics'>, budget = PART_BUDGET): ResultPart[] {
  const parts: ResultPart[] = [];
  let part: ResultPart = { runs: [], diagnostics: [] };
  let cost = 0;
  const add = (itemCost: number, put: (p: ResultPart) => void) => {
    if (cost > 0 && cost + itemCost > budget) {
      parts.push(part);
      part = { runs: [], diagnostics: [] };
      cost = 0;
    }
    put(part);
    cost += itemCost;
  };
  for (const run of result.runs) add(runCost(run), (p) => p.runs.push(run));
  for (const d of result.diagnostics) add(DIAGNOSTIC_COST, (p) => p.diagnostics.push(d));
  if (cost > 0) parts.push(part);
  return parts;
}

export class ScanService {
  private cache = new ScanCache();
  private previous: ScanResult | undefined;
  /** The aliases the cached results were read with: readers use them, the cache key does not. */
  private aliasesKey: string | undefined;
  /** The last request, as JSON: the same request with nothing reread gives the same result. */
  private requestKey: string | undefined;

  async scan(request: ScanRequest, onActivity?: (activity: ScanActivity) => void): Promise<ScanReply> {
    const aliasesKey = JSON.stringify(request.aliases);
    if (aliasesKey !== this.aliasesKey) {
      this.cache = new ScanCache();
      this.aliasesKey = aliasesKey;
    }
    const reading: string[] = [];
    let read = 0;
    let total = 0;
    let reread = 0;
    const report = () => onActivity?.({ read, total, reading: [...reading] });
    // The registry's readers, each told when it opens and closes a file; scan() itself is unchanged.
    const readers = READERS.map((reader): RunReader => ({
      id: reader.id,
      label: reader.label,
      matches: (name, file) => reader.matches(name, file),
      read: async (file, context) => {
        reread++;
        reading.push(file);
        report();
        try {
          return await reader.read(file, context);
        } finally {
          reading.splice(reading.indexOf(file), 1);
        }
      },
    }));
    const byRoot = new Map(request.defaults.map(([root, defaults]) => [path.resolve(root), defaults]));
    const result = await scan(request.folders, {
      readers,
      cache: this.cache,
      include: request.include,
      exclude: request.exclude,
      aliases: request.aliases,
      defaultPrecision: (root) => byRoot.get(path.resolve(root)),
      onProgress: (done, found) => {
        read = done;
        total = found;
        report();
      },
    });
    // A plan rewritten by its executor (the job's state) changes runs whose files did not change.
    reread += result.plans?.read ?? 0;
    const requestKey = JSON.stringify(request);
    const unchanged = this.previous !== undefined && requestKey === this.requestKey && reread === 0 && sameScan(this.previous, result);
    this.previous = result;
    this.requestKey = requestKey;
    return { result, unchanged, reread };
  }

  /** The last reply never reached the host: the next one must not be called unchanged against it. */
  forgetLast(): void {
    this.previous = undefined;
  }
}

/**
 * Whether a scan that reread no file, for the same request as the last, found what the last one
 * found. Every run then comes from a cached read result, and the cache holds only files the last
 * scan saw, so the runs can differ only by files gone: the counts say it. The defaults and the
 * joins of duplicates make new run objects each time, so identity of runs would say "changed"
 * for every workspace with a default precision. Problems not from a cached read (a folder that
 * cannot be listed, a path gone) are compared as they are.
 */
function sameScan(a: ScanResult, b: ScanResult): boolean {
  return a.files === b.files && a.runs.length === b.runs.length && JSON.stringify(a.diagnostics) === JSON.stringify(b.diagnostics);
}
