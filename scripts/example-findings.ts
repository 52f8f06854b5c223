// Prints, as Markdown, what the example sweep shows about the paper's qualitative findings:
// loss against training precision at each size and token budget, and the degradation from
// post-training quantization against tokens at each size. Reads the runs as the fitter does.
// Usage: node --import tsx scripts/example-findings.ts [examples/runs]

import { lawPtqEntries } from '../src/fit/points';
import { scan } from '../src/runs/discover';
import { formatCount } from '../src/runs/quantity';
import type { Run } from '../src/runs/run';

const label = (r: Run): string => {
  const p = r.precision;
  if (!p) return '?';
  return p.w.bits >= 32 ? 'fp32' : `w${p.w.bits}a${p.a.bits}kv${p.kv.bits}`;
};
const sorted = (xs: Iterable<number>): number[] => [...new Set(xs)].sort((a, b) => a - b);
const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;

async function main(): Promise<void> {
  const { runs } = await scan([process.argv[2] ?? 'examples/runs']);
  const done = runs.filter((r) => !r.unfinished && r.finalLoss !== undefined && r.params !== undefined && r.tokens !== undefined);
  const sizes = sorted(done.map((r) => r.params!));
  const budgets = sorted(done.map((r) => r.tokens!));
  const precisions = [...new Set(done.map(label))].sort((a, b) => (b === 'fp32' ? 1 : a === 'fp32' ? -1 : Number(b.slice(1, 2)) - Number(a.slice(1, 2))));
  const find = (n: number, d: number, p: string): Run | undefined => done.find((r) => r.params === n && r.tokens === d && label(r) === p);

  const lines = ['Validation loss at the end of training, by training precision:', '', row(['N', 'D', ...precisions]), row(['---', '---', ...precisions.map(() => '---')])];
  for (const n of sizes) for (const d of budgets) lines.push(row([formatCount(n), formatCount(d), ...precisions.map((p) => find(n, d, p)?.finalLoss?.toFixed(3) ?? '-')]));

  const post = [4, 3];
  lines.push('', 'Loss increase from round-to-nearest PTQ (per channel) of the fp32 runs:', '', row(['N', ...budgets.flatMap((d) => post.map((b) => `D ${formatCount(d)}, ${b} bits`))]), row(['---', ...budgets.flatMap(() => post.map(() => '---'))]));
  for (const n of sizes) {
    lines.push(
      row([
        formatCount(n),
        ...budgets.flatMap((d) =>
          post.map((b) => {
            const r = find(n, d, 'fp32');
            const q = r && lawPtqEntries(r.ptq).find((e) => e.bits === b);
            return r && q ? (q.loss - r.finalLoss!).toFixed(4) : '-';
          }),
        ),
      ]),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

void main();
