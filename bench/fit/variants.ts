// bench/fit/variants: the fit's variants compared by held-out error (issue 13 point 7), on the
// example workspace and on law-sampled sweeps, and the joint refinement's two objectives.
// Usage: node --import tsx bench/fit/variants.ts [--json]
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PAPER_CONSTANTS, type Constants } from '../../src/law/constants';
import { type FitPoint, pointsFromRuns } from '../../src/fit/points';
import { resolveFitOptions } from '../../src/fit/options';
import { type VariantComparison, compareVariants } from '../../src/fit/variants';
import { coverageSweep } from '../../test/support/synthetic';
import { scan } from '../../src/runs/discover';

const fmt = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? '-' : x.toPrecision(d));

function table(c: VariantComparison): string[] {
  const lines = ['| variant | largest out: log-loss RMSE | largest out: degradation RMSE (nats) | rollout: log-loss RMSE | rollout: degradation RMSE (nats) | score |', '|---|---|---|---|---|---|'];
  for (const r of c.rows) {
    const e = (x: typeof r.largestOut | typeof r.rollout) => ('skipped' in x ? ['skipped', 'skipped'] : [fmt(x.train), fmt(x.degradation)]);
    lines.push(`| ${r.name}${r.chosen ? ' (chosen)' : ''} | ${[...e(r.largestOut), ...e(r.rollout)].join(' | ')} | ${fmt(r.score, 4)} |`);
  }
  return lines;
}

async function main() {
  const json = process.argv.includes('--json');
  const examples = pointsFromRuns((await scan([path.join(__dirname, '../../examples')])).runs).points;
  const tied: Constants = { ...PAPER_CONSTANTS, Cw: 1.5, Ca: 0.8, Ckv: 2 };
  const untied: Constants = { ...tied, alpha: 0.3, A: 140, beta: 0.6, B: 190000 };
  const sets: Array<[string, FitPoint[]]> = [
    ['examples/', examples],
    ['law-sampled, tied (alpha = beta), noise 0.003', pointsFromRuns(coverageSweep(tied, 0.003, 1, 5)).points],
    ['law-sampled, untied (alpha 0.3, beta 0.6), noise 0.003', pointsFromRuns(coverageSweep(untied, 0.003, 2, 5)).points],
  ];
  const out: Record<string, unknown> = {};
  for (const [label, points] of sets) {
    for (const jointObjective of ['split', 'unified'] as const) {
      const t0 = performance.now();
      const c = compareVariants(points, resolveFitOptions({ jointObjective }), []);
      const seconds = (performance.now() - t0) / 1000;
      if (!c) continue;
      out[`${label} / joint ${jointObjective}`] = c;
      if (!json) console.log([`### ${label}: joint objective ${jointObjective} (${seconds.toFixed(1)} s)`, '', ...table(c), ''].join('\n'));
    }
  }
  if (json) console.log(JSON.stringify(out, null, 2));
}

void main();
