// `fit` on a folder of Hugging Face Trainer output (a LLaMA-Factory pre-training sweep, in the
// exact layout those tools write) fits without anything edited or added: N from each config.json,
// D from num_input_tokens_seen, bf16 from training_args.yaml, the last eval_loss.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { countParameters } from '../../src/runs/architecture';
import { cliJson } from '../support/cli';
import { readFileSync } from 'node:fs';

const SWEEP = path.join(__dirname, '..', 'fixtures', 'hf-trainer', 'sweep');

describe('fit on Hugging Face runs', () => {
  it('a LLaMA-Factory sweep of 4 sizes x 3 budgets fits the Chinchilla stage as it is on disk', async () => {
    const r = await cliJson('fit', SWEEP, '--bootstrap', '0');
    assert.equal(r.ok, true, r.message);
    assert.equal(r.points.length, 12);
    for (const p of r.points) {
      const dir = path.dirname(p.file);
      const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
      const state = JSON.parse(readFileSync(p.file, 'utf8'));
      const count = countParameters(config);
      assert.ok(count.ok);
      assert.equal(p.params, count.ok ? count.count.params : NaN, p.runId);
      assert.equal(p.tokens, state.num_input_tokens_seen, p.runId);
      assert.deepEqual(p.precision, { w: 16, a: 16, kv: 16 });
      assert.equal(p.observed, state.log_history.filter((h: { eval_loss?: number }) => h.eval_loss !== undefined).at(-1).eval_loss);
    }
    const chinchilla = r.stages.find((s: { name: string }) => s.name === 'chinchilla');
    assert.equal(chinchilla.status, 'fitted');
    assert.ok(r.metrics.all.r2 > 0.99, `R² ${r.metrics.all.r2}`);
  });
});
