// Coverage of the fit's 95% intervals on law-sampled sweeps with known noise, over seeds and
// noise levels: in sample, the held-out largest size, and the rollout. Heavier than the unit test
// (more seeds, full bootstrap). Run: node --import tsx bench/fit/coverage.ts [replicates] [seeds]

import { PAPER_CONSTANTS } from '../../src/law/constants';
import { fit } from '../../src/fit/fit';
import type { CoverageSet } from '../../src/fit/coverage';
import { coverageSweep } from '../../test/support/synthetic';

const truth = { ...PAPER_CONSTANTS, Cw: 1.5, Ca: 0.8, Ckv: 2 };
const replicates = Number(process.argv[2] ?? 40);
const seeds = Number(process.argv[3] ?? 4);
const pct = (x: number | null) => (x === null ? '   -  ' : `${(100 * x).toFixed(1).padStart(5)}%`);
const cells = (s: CoverageSet | { skipped: string }) => ('skipped' in s ? `skipped (${s.skipped})` : `band ${pct(s.all.confidence)}  prediction ${pct(s.all.prediction)} (train ${pct(s.train.prediction)}, ptq ${pct(s.ptq.prediction)}, n ${s.all.n})`);

for (const noise of [0.003, 0.01]) {
  for (let seed = 1; seed <= seeds; seed++) {
    const t0 = Date.now();
    const r = fit(coverageSweep(truth, noise, seed), { bootstrap: replicates, seed });
    const c = r.coverage;
    if (!c) {
      console.log(`noise ${noise} seed ${seed}: no coverage (${r.message})`);
      continue;
    }
    console.log(`noise ${noise} seed ${seed} (${((Date.now() - t0) / 1000).toFixed(1)} s): scale train ${r.residualScale?.train?.sigma.toFixed(4)} ptq ${r.residualScale?.ptq?.sigma.toFixed(4)}`);
    console.log(`  in sample  ${cells(c.inSample)}`);
    console.log(`  held out   ${cells(c.heldOut)}`);
    console.log(`  rollout    ${'pooled' in c.rollout ? cells(c.rollout.pooled) : cells(c.rollout)}`);
  }
}
