// Prints, as Markdown, what the example sweep shows of the paper's findings: the fp32 loss over
// N and D against n-gram models of the same text, each part's training precision alone, the PTQ
// degradation over N and D, GPTQ against round-to-nearest, and the seed replicates. Reads the
// runs as the fitter does; the n-gram models are fitted on the runs' training split and scored on
// their validation windows, so every figure is in the runs' nats per byte.
// Usage: node --import tsx scripts/example-findings.ts [examples/runs]

import { lawPtqEntries } from '../src/fit/points';
import { scan } from '../src/runs/discover';
import { formatCount } from '../src/runs/quantity';
import type { Run } from '../src/runs/run';
import { loadBrownCorpus, splitCorpus, validationWindows } from '../src/train/data';

const CONTEXT = 128;
const VALIDATION_TOKENS = 16_000;

type Done = Run & { params: number; tokens: number; finalLoss: number };
const sorted = (xs: Iterable<number>): number[] => [...new Set(xs)].sort((a, b) => a - b);
const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
const header = (cells: string[]): string[] => [row(cells), row(cells.map(() => '---'))];
const bits = (r: Run): [number, number, number] => [r.precision?.w.bits ?? 32, r.precision?.a.bits ?? 32, r.precision?.kv.bits ?? 32];
const isHigh = (r: Run): boolean => bits(r).every((b) => b >= 16);
const seedOf = (r: Run): number => (typeof r.meta?.seed === 'number' ? r.meta.seed : 1);

/**
 * Cross-entropy in nats per byte of an interpolated n-gram model with absolute discounting (0.75)
 * down to a uniform distribution over 256 bytes, on the validation windows the trainer scores
 * (each window's first byte predicts the rest, context reset per window, as the models see it).
 */
function ngramLoss(train: Uint8Array, windows: Int32Array, order: number): number {
  const discount = 0.75;
  // A context of k bytes as one number (base 256), one table per k.
  const key = (bytes: ArrayLike<number>, end: number, k: number): number => {
    let v = 0;
    for (let i = end - k; i < end; i++) v = v * 256 + bytes[i];
    return v;
  };
  const counts = Array.from({ length: order }, () => new Map<number, Map<number, number>>());
  for (let i = 0; i < train.length; i++) {
    for (let k = 0; k < order; k++) {
      if (i - k < 0) break;
      const context = key(train, i, k);
      const next = counts[k].get(context) ?? new Map<number, number>();
      next.set(train[i], (next.get(train[i]) ?? 0) + 1);
      counts[k].set(context, next);
    }
  }
  const t1 = CONTEXT + 1;
  let total = 0;
  let n = 0;
  for (let w = 0; w < windows.length / t1; w++) {
    const seq = windows.subarray(w * t1, (w + 1) * t1);
    for (let j = 1; j < t1; j++) {
      let p = 1 / 256;
      for (let k = 0; k < order && j - k >= 0; k++) {
        const next = counts[k].get(key(seq, j, k));
        if (!next) break;
        let sum = 0;
        for (const c of next.values()) sum += c;
        p = (Math.max((next.get(seq[j]) ?? 0) - discount, 0) + discount * next.size * p) / sum;
      }
      total -= Math.log(p);
      n++;
    }
  }
  return total / n;
}

async function main(): Promise<void> {
  const { runs } = await scan([process.argv[2] ?? 'examples/runs']);
  const done = runs.filter((r): r is Done => !r.unfinished && r.finalLoss !== undefined && r.params !== undefined && r.tokens !== undefined);
  const high = done.filter(isHigh);
  const sizes = sorted(high.map((r) => r.params));
  const budgets = sorted(high.map((r) => r.tokens));
  const at = (list: readonly Done[], n: number, d: number, seed = 1): Done | undefined => list.find((r) => r.params === n && r.tokens === d && seedOf(r) === seed);

  const split = splitCorpus(loadBrownCorpus());
  const windows = validationWindows(split.validation, CONTEXT, VALIDATION_TOKENS);
  const ngrams = [1, 3, 5].map((order) => [order, ngramLoss(split.train, windows, order)] as const);
  const lines = [
    `n-gram models of the same text (fitted on the training split, scored on the runs' validation windows): ${ngrams.map(([o, l]) => `${o}-gram ${l.toFixed(3)}`).join(', ')} nats per byte.`,
    '',
    'Validation loss at the end of training, fp32 (seed 1), by N and D (D/N in brackets):',
    '',
    ...header(['N', ...budgets.map((d) => `D ${formatCount(d)}`)]),
  ];
  for (const n of sizes) lines.push(row([formatCount(n), ...budgets.map((d) => { const r = at(high, n, d); return r ? `${r.finalLoss.toFixed(3)} (${Math.round(d / n)})` : '-'; })]));

  // Each part alone, against the fp32 run of the same cell.
  const alone = done.filter((r) => !isHigh(r) && bits(r).filter((b) => b < 16).length === 1);
  const cells = sorted(alone.map((r) => r.params)).flatMap((n) => sorted(alone.filter((r) => r.params === n).map((r) => r.tokens)).map((d) => [n, d] as const));
  for (const [n, d] of cells) {
    const base = high.filter((r) => r.params === n && r.tokens === d);
    const ref = base.reduce((a, r) => a + r.finalLoss, 0) / base.length;
    lines.push('', `Loss over fp32 (mean of ${base.length} seed(s), ${ref.toFixed(3)}) with one part trained low, the others in fp32, at N ${formatCount(n)}, D ${formatCount(d)}:`, '', ...header(['part', '3 bits', '4 bits', '6 bits']));
    for (const [part, index] of [['weights', 0], ['activations', 1], ['KV cache', 2]] as const) {
      const cell = (b: number): string => {
        const rs = alone.filter((r) => r.params === n && r.tokens === d && bits(r)[index] === b);
        return rs.length > 0 ? rs.map((r) => `${r.finalLoss - ref >= 0 ? '+' : ''}${(r.finalLoss - ref).toFixed(3)}`).join(', ') : '-';
      };
      lines.push(row([part, cell(3), cell(4), cell(6)]));
    }
  }

  const post = [5, 4, 3];
  lines.push('', 'Loss increase from round-to-nearest PTQ per channel of the fp32 runs (seed 1), by N and D:', '', ...header(['N', 'bits', ...budgets.map((d) => `D ${formatCount(d)}`)]));
  for (const n of sizes) {
    for (const b of post) {
      lines.push(row([formatCount(n), b, ...budgets.map((d) => { const r = at(high, n, d); const q = r && lawPtqEntries(r.ptq).find((e) => e.bits === b && e.method === 'rtn'); return r && q ? (q.loss - r.finalLoss).toFixed(4) : '-'; })]));
    }
  }

  const gptq = (b: number): string => {
    const pairs = done.flatMap((r) => {
      const rtn = r.ptq.find((q) => q.method === 'rtn' && q.type === 'int' && q.bits === b && (q.groupSize ?? null) === null);
      const g = r.ptq.find((q) => q.method === 'gptq' && q.bits === b);
      return rtn && g ? [[g.loss - r.finalLoss, rtn.loss - r.finalLoss] as const] : [];
    });
    const mean = (k: 0 | 1): number => pairs.reduce((a, p) => a + p[k], 0) / pairs.length;
    return `at ${b} bits GPTQ ${mean(0).toFixed(4)} against round-to-nearest ${mean(1).toFixed(4)} nats (GPTQ better in ${pairs.filter((p) => p[0] < p[1]).length} of ${pairs.length})`;
  };
  lines.push('', `GPTQ against round-to-nearest (per channel), mean loss increase over all runs: ${gptq(4)}; ${gptq(3)}.`);

  const replicated = done.filter((r) => seedOf(r) !== 1).flatMap((r) => {
    const first = done.find((o) => seedOf(o) === 1 && o.params === r.params && o.tokens === r.tokens && bits(o).join() === bits(r).join());
    return first ? [[r, first] as const] : [];
  });
  if (replicated.length > 0) {
    const diffs = replicated.map(([r, first]) => r.finalLoss - first.finalLoss);
    const rms = Math.sqrt(diffs.reduce((a, x) => a + x * x, 0) / diffs.length / 2);
    lines.push('', `Seed replicates: ${replicated.map(([r, first]) => `${r.name} ${r.finalLoss.toFixed(3)} against ${first.finalLoss.toFixed(3)}`).join('; ')}; the run-to-run standard deviation they imply: ${rms.toFixed(4)} nats.`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

void main();
