import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pythonAssignment, pythonLiteral, stripPythonComment } from '../../src/runs/pythonConfig';

describe('Python config assignments, parsed and never run', () => {
  it('literals: numbers with underscores, strings, booleans, None, products of constants', () => {
    assert.equal(pythonLiteral('20_000'), 20000);
    assert.equal(pythonLiteral('6e-4'), 6e-4);
    assert.equal(pythonLiteral('1.'), 1);
    assert.equal(pythonLiteral("'bfloat16'"), 'bfloat16');
    assert.equal(pythonLiteral('"out-shakespeare-char"'), 'out-shakespeare-char');
    assert.equal(pythonLiteral('True'), true);
    assert.equal(pythonLiteral('None'), null);
    assert.equal(pythonLiteral('5 * 8'), 40);
  });

  it('a conditional expression between two strings is not one string (nanoGPT train.py dtype)', () => {
    assert.equal(pythonLiteral("'bfloat16' if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else 'float16'"), undefined);
    assert.equal(pythonLiteral("'a' + 'b'"), undefined);
    assert.equal(pythonLiteral("'it\\'s'"), "it\\'s");
  });

  it('assignments: trailing comments, # inside strings, annotations; indented, compared or computed ones are skipped', () => {
    assert.deepEqual(pythonAssignment("block_size = 256 # context of up to 256 previous characters"), { key: 'block_size', value: 256 });
    assert.deepEqual(pythonAssignment("wandb_run_name = 'run#3' # the name"), { key: 'wandb_run_name', value: 'run#3' });
    assert.deepEqual(pythonAssignment('max_iters: int = 5000'), { key: 'max_iters', value: 5000 });
    assert.equal(pythonAssignment('    dtype = "float16"'), undefined);
    assert.equal(pythonAssignment('x == 1'), undefined);
    assert.equal(pythonAssignment('device = "cuda" if torch.cuda.is_available() else "cpu"'), undefined);
    assert.equal(pythonAssignment('# n_layer = 12'), undefined);
    assert.equal(stripPythonComment('a = "#" # c'), 'a = "#" ');
  });
});

describe('Python assignments on hostile lines (generated)', () => {
  it('runs of spaces where an annotation or a value may be: read as the one-pattern parser read them', () => {
    const spaces = ' '.repeat(100_000);
    assert.equal(pythonAssignment(`a:${spaces}`), undefined);
    assert.equal(pythonAssignment(`a:${spaces}x`), undefined, 'no "=": no assignment');
    assert.deepEqual(pythonAssignment(`a:${spaces}int${spaces}= 5${spaces}`), { key: 'a', value: 5 });
    assert.deepEqual(pythonAssignment(`a =${spaces}5${spaces}# c`), { key: 'a', value: 5 });
    assert.equal(pythonAssignment(`a = 5${spaces}x`), undefined, 'an expression, not a literal');
    assert.equal(pythonAssignment(`a:\t=${spaces}5`), undefined, 'a tab alone is no annotation');
    assert.equal(pythonAssignment(`a ==${spaces}5`), undefined);
  });

  it('a 1 MB line: a string literal read whole, a quote left open read as nothing', () => {
    const big = 'x'.repeat(1 << 20);
    assert.deepEqual(pythonAssignment(`name = "${big}"`), { key: 'name', value: big });
    assert.equal(pythonAssignment(`name = "${big}`), undefined);
    assert.equal(pythonAssignment(`name = "${'\\"'.repeat(1 << 19)}`), undefined);
    assert.equal(pythonLiteral(`${'1 * '.repeat(1 << 18)}1`), 1);
  });
});
