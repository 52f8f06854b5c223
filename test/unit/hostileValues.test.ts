// Values built against the patterns that read tables, JSON lines and model records: long runs of
// the characters two quantifiers could share. Each must be read (or refused) as a short one is;
// the time each took before and after is in bench/parse/hostileValues.ts, not asserted here.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ruleFor } from '../../src/runs/defaults';
import { DECIMAL_NUMBER } from '../../src/runs/quantity';
import { isNonEmbeddingName } from '../../src/runs/readers/jsonRecordModel';
import { parseJsonLine } from '../../src/runs/readers/metricsJsonl';
import { countOf, splitUnit } from '../../src/runs/readers/tableColumns';

const GUARD = { timeout: 30_000 };

describe('hostile values', () => {
  it('a JSON line of "{"a":" and 1M spaces is no JSON; bare NaN and Infinity are still quoted', GUARD, () => {
    assert.equal(typeof parseJsonLine(`{"a":${' '.repeat(1 << 20)}`), 'symbol');
    assert.deepEqual(parseJsonLine('{"loss": 3.1, "grad_norm": NaN, "x": [NaN, -Infinity,NaN]}'), { loss: 3.1, grad_norm: 'NaN', x: ['NaN', '-Infinity', 'NaN'] });
  });

  it('a cell of "k", 100k spaces and "x" is no count; "124M" and "1.3B tokens" are', GUARD, () => {
    assert.equal(countOf(`k${' '.repeat(100_000)}x`, false), undefined);
    assert.equal(countOf('124M', false, 1e6), 124e6, 'its own suffix wins over the column scale');
    assert.equal(countOf('1.3B tokens', false), 1.3e9);
    assert.equal(countOf('130', false, 1e6), 130e6);
  });

  it('a column name of 80k separators has no unit; "params (M)" has one', GUARD, () => {
    const name = `params${' _'.repeat(40_000)}M`;
    assert.deepEqual(splitUnit(name), { base: name });
    assert.deepEqual(splitUnit('params (M)'), { base: 'params', scale: 1e6 });
  });

  it('a decimal number of 100k digits is one, with an "x" after it is not', GUARD, () => {
    assert.equal(DECIMAL_NUMBER.test('1'.repeat(100_000)), true);
    assert.equal(DECIMAL_NUMBER.test(`${'1'.repeat(100_000)}x`), false);
    assert.equal(DECIMAL_NUMBER.test(`${'1'.repeat(50_000)}.${'1'.repeat(50_000)}e-3`), true);
  });

  it('"excl" ×20,000 names no non-embedding count; exclude_embeddings and excl_embed do', GUARD, () => {
    assert.equal(isNonEmbeddingName('excl'.repeat(20_000)), false);
    assert.equal(isNonEmbeddingName(`${'excl'.repeat(20_000)}embed`), true);
    assert.equal(isNonEmbeddingName('params_exclude_embeddings'), true);
    assert.equal(isNonEmbeddingName('model.n_params_excl_embed'), true);
    assert.equal(isNonEmbeddingName('excl-embed'), false, 'not within one word');
    assert.equal(isNonEmbeddingName('params'), false);
  });

  it('a default-precision glob with 100k trailing slashes covers its folder like "sweeps/"', GUARD, () => {
    const int8 = { bits: 8, type: 'int' } as const;
    const defaults = { rules: [{ glob: `sweeps${'/'.repeat(100_000)}`, name: 'int8', precision: { w: int8, a: int8, kv: int8 } }], source: { file: 'settings.json', field: 'test' } };
    assert.equal(ruleFor(defaults, 'sweeps/a/run.json')?.name, 'int8');
    assert.equal(ruleFor(defaults, 'other/run.json'), undefined);
  });
});
