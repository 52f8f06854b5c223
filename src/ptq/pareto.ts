// Memory footprint against predicted loss: which (model size, format) pairs are worth serving
// (Xu et al. 2024 draw this frontier of size vs bit-width). A candidate is on the frontier
// when no other candidate is at most as large and at most as lossy, and strictly better in one.

export interface ParetoCandidate {
  label: string;
  /** N, non-embedding parameters. */
  params: number;
  format: string;
  /** Effective bits per weight, scale overhead included. */
  bitsPerWeight: number;
  /** Predicted post-PTQ loss. */
  loss: number;
  /** Interval of the predicted loss, carried through untouched. */
  interval?: [number, number];
}

export type ParetoPoint<C extends ParetoCandidate = ParetoCandidate> = C & { memoryBytes: number };

/**
 * Bytes of the quantized weights: N * bits per weight / 8. N is the non-embedding count (the
 * law's N), so embeddings, activations and the KV cache are not counted: compare candidates
 * with each other, not with a device's memory, unless those are added.
 */
export function memoryBytes(c: Pick<ParetoCandidate, 'params' | 'bitsPerWeight'>): number {
  return (c.params * c.bitsPerWeight) / 8;
}

/**
 * The non-dominated candidates, sorted by memory (then loss, then label). Lower memory and
 * lower loss are better. Candidates with exactly the same memory and loss do not dominate each
 * other and are all kept. Candidates with a non-finite loss or memory (a predictor that could
 * not predict them) or non-positive memory are left out.
 */
export function paretoFrontier<C extends ParetoCandidate>(candidates: readonly C[]): ParetoPoint<C>[] {
  const points = candidates
    .map((c) => ({ ...c, memoryBytes: memoryBytes(c) }))
    .filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.memoryBytes) && p.memoryBytes > 0)
    .sort(byMemoryThenLoss);
  const frontier: ParetoPoint<C>[] = [];
  for (const p of points) {
    const last = frontier[frontier.length - 1];
    // Sorted by memory, so p is dominated exactly when the best loss so far (the last kept
    // point's) is at most p's, unless that point is p's exact twin.
    if (!last || p.loss < last.loss || (p.loss === last.loss && p.memoryBytes === last.memoryBytes)) frontier.push(p);
  }
  return frontier;
}

function byMemoryThenLoss(a: ParetoPoint, b: ParetoPoint): number {
  return a.memoryBytes - b.memoryBytes || a.loss - b.loss || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
}

export type BestUnder<C extends ParetoCandidate> =
  | { candidate: ParetoPoint<C>; reason?: undefined }
  | { candidate: undefined; reason: string };

/**
 * The lowest-loss point that fits in `bytes` (ties: the smaller one, then the first), or
 * undefined with the reason. Works on any list of points, not only a frontier.
 */
export function bestUnder<C extends ParetoCandidate>(frontier: readonly ParetoPoint<C>[], bytes: number): BestUnder<C> {
  if (!(bytes > 0) || Number.isNaN(bytes)) return { candidate: undefined, reason: `memory budget must be a positive number of bytes, got ${bytes}` };
  if (frontier.length === 0) return { candidate: undefined, reason: 'no candidates' };
  let best: ParetoPoint<C> | undefined;
  for (const p of frontier) {
    if (!(p.memoryBytes <= bytes) || !Number.isFinite(p.loss)) continue;
    if (!best || p.loss < best.loss || (p.loss === best.loss && p.memoryBytes < best.memoryBytes)) best = p;
  }
  if (best) return { candidate: best };
  const smallest = Math.min(...frontier.map((p) => p.memoryBytes));
  return { candidate: undefined, reason: `nothing fits in ${bytes} bytes; the smallest candidate needs ${smallest} bytes` };
}
