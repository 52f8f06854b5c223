import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { cli } from '../support/cli';
import { ptqSummary } from '../../src/cli/commands/scan';
import { columnDecimals, signed, table } from '../../src/cli/table';
import { formatCount, formatSigned, parseBytes, parseQuantity } from '../../src/runs/quantity';
import { PAPER_CONSTANTS } from '../../src/law/constants';
import { syntheticRuns } from '../support/synthetic';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'precision-planner');

// The CLI's JSON, read loosely: each test asserts the fields it relies on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(...argv: string[]): Promise<any> {
  const r = await cli(...argv, '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  return JSON.parse(r.out);
}

describe('quantities as people write them', () => {
  it('differences carry one sign: +0.0012, -0.0012, and none when they round to zero', () => {
    assert.equal(formatSigned(0.0012, 4), '+0.0012');
    assert.equal(formatSigned(-0.0012, 4), '-0.0012');
    assert.equal(formatSigned(-0.00001, 4), '0.0000');
    assert.equal(formatSigned(0, 4), '0.0000');
  });

  it('reads plain, exponent and suffixed counts and unit words', () => {
    assert.equal(parseQuantity('1e21'), 1e21);
    assert.equal(parseQuantity('13B'), 13e9);
    assert.equal(parseQuantity('30M'), 30e6);
    assert.equal(parseQuantity('1.5k'), 1500);
    assert.equal(parseQuantity('3e22 FLOPs'), 3e22);
    assert.equal(parseQuantity(' 2T tokens '), 2e12);
    assert.equal(parseQuantity('1,300,000'), 1.3e6);
    assert.equal(parseQuantity('12,345.5'), 12345.5);
  });
  it('rejects what is not a positive count', () => {
    for (const bad of ['', 'abc', '-5', '0', '1e400', '13X', '1,00', '10,00', 'NaN']) assert.equal(parseQuantity(bad), undefined, bad);
  });
  it('reads memory sizes in decimal and binary units', () => {
    assert.equal(parseBytes('4GB'), 4e9);
    assert.equal(parseBytes('512MiB'), 512 * 2 ** 20);
    assert.equal(parseBytes('2e9'), 2e9);
    assert.equal(parseBytes('4 parsecs'), undefined);
  });
  it('formats counts shortly', () => {
    assert.equal(formatCount(13e9), '13B');
    assert.equal(formatCount(30e6), '30M');
    assert.equal(formatCount(1.3e21), '1.30e+21');
  });
});

describe('cli: predict', () => {
  it('gives the unified law in JSON: loss = training loss + delta_PTQ, N_eff from the factors', async () => {
    const r = await json('predict', '--params', '1B', '--tokens', '20B', '--weights', '4', '--post', '3');
    assert.equal(r.params, 1e9);
    assert.equal(r.tokens, 2e10);
    assert.deepEqual(r.precision, { w: 4, a: 16, kv: 16 });
    assert.ok(Math.abs(r.loss - (r.trainLoss + r.deltaPTQ)) < 1e-12);
    assert.ok(r.deltaPTQ > 0);
    const factors = r.factors as { w: number; a: number; kv: number };
    assert.ok(Math.abs(r.nEff - 1e9 * factors.w * factors.a * factors.kv) < 1);
    // Hand check of the weights factor: 1 - exp(-P / gamma_w + n_w) with the paper's constants.
    assert.ok(Math.abs(factors.w - (1 - Math.exp(-4 / PAPER_CONSTANTS.gammaW + PAPER_CONSTANTS.nW))) < 1e-12);
    assert.equal(r.constants, 'paper');
  });
  it('accepts the same number in every notation', async () => {
    const a = await json('predict', '--params', '13B', '--tokens', '260B');
    const b = await json('predict', '--params', '1.3e10', '--tokens', '2.6e11');
    assert.equal(a.loss, b.loss);
  });
  it('accepts precision names as well as bits', async () => {
    const named = await json('predict', '--params', '1B', '--tokens', '20B', '--weights', 'int4', '--activations', 'fp8', '--kv', 'bf16');
    assert.deepEqual(named.precision, { w: 4, a: 8, kv: 16 });
  });
  it('prints a readable table without --json', async () => {
    const r = await cli('predict', '--params', '1B', '--tokens', '20B');
    assert.equal(r.code, 0);
    assert.match(r.out, /Predicted loss\s+3\.\d+/);
    assert.match(r.out, /N_eff \/ N/);
  });
  it('a precision in the unstable region is an error on stderr with exit code 1', async () => {
    const r = await cli('predict', '--params', '1B', '--tokens', '20B', '--kv', '1');
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /unstable|KV/i);
  });
  it('bad command lines exit with 2 and say what is wrong', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['predict', '--tokens', '20B'], /--params/],
      [['predict', '--params', 'lots', '--tokens', '20B'], /--params.*lots/],
      [['predict', '--params', '1B', '--tokens', '20B', '--bogus'], /bogus/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, message);
    }
  });
});

describe('cli: recommend and dcrit', () => {
  it('joint: N*, D*, P* spend the budget and beat the usual alternatives', async () => {
    const r = await json('recommend', '--compute', '1e21', '--scenario', 'joint');
    assert.ok(r.params > 0 && r.tokens > 0);
    // The plan is a realizable format; the paper's 7-bit optimum is its continuous reference.
    assert.equal(r.precision.w, 8);
    assert.deepEqual(r.format, { bits: 8, name: 'int8/fp8-e4m3' });
    assert.equal(r.continuous.label, 'continuous optimum, not a format');
    assert.ok(Math.abs(r.continuous.bits - 7) < 0.1, `P* ${r.continuous.bits}`);
    // The bits-linear cost: 6 N D P / 16 equals the budget.
    assert.ok(Math.abs((6 * r.params * r.tokens * r.precision.w) / 16 / 1e21 - 1) < 1e-6);
    const labels = r.alternatives.map((a: { label: string }) => a.label);
    assert.equal(labels.length, 3);
    for (const alt of r.alternatives) assert.ok(alt.loss >= r.loss && alt.margin >= 0, alt.label);
  });
  it('--formats: the plan chooses among the formats given, by bits or names', async () => {
    const r = await json('recommend', '--compute', '1e21', '--formats', '16,fp4');
    assert.deepEqual(r.formats.map((f: { bits: number }) => f.bits), [16, 4]);
    assert.deepEqual(r.format, { bits: 16, name: 'bf16' });
    const served = await json('recommend', '--compute', '1e21', '--scenario', 'inference', '--memory', '2GB', '--formats', 'bf16,fp8,int4');
    assert.ok([16, 8, 4].includes(served.precision.w) && [16, 8, 4].includes(served.post ?? served.precision.w));
    assert.ok(served.postFormat && served.format);
    const bad = await cli('recommend', '--compute', '1e21', '--formats', '16,fp9');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--formats: "fp9" is not a format/);
  });
  it('--cost-model reads a throughput table inline or from a file, and names the file and field of a bad one', async () => {
    const inline = await json('recommend', '--compute', '1e21', '--cost-model', '{"bf16": 1, "fp8": 2, "fp6": 3}');
    assert.equal(inline.format.name, 'fp6');
    assert.deepEqual(inline.formats.map((f: { name: string }) => f.name), ['bf16', 'fp8', 'fp6']);
    // C = 6ND / s: fp6 at speed 3 spends the budget as 2ND.
    assert.ok(Math.abs((2 * inline.params * inline.tokens) / 1e21 - 1) < 1e-9);
    const dir = mkdtempSync(path.join(tmpdir(), 'pp-cost-'));
    try {
      const file = path.join(dir, 'h100.json');
      writeFileSync(file, JSON.stringify({ bf16: 1, fp8: 2, fp6: 3 }));
      const fromFile = await json('recommend', '--compute', '1e21', '--cost-model', file);
      assert.equal(fromFile.format.name, 'fp6');
      assert.equal(fromFile.loss, inline.loss);
      const text = await cli('recommend', '--compute', '1e21', '--cost-model', file);
      assert.match(text.out, /plan .* 6-bit \(fp6\)/);
      assert.match(text.out, /Continuous optimum, not a format: \d+\.\d\d bits/);
      const bad = path.join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ bf16: 1, int4: 'fast' }));
      const r = await cli('recommend', '--compute', '1e21', '--cost-model', bad);
      assert.equal(r.code, 2);
      assert.ok(r.err.includes(`--cost-model ${bad}: field "int4": the relative speed must be a positive number (got "fast")`), r.err);
      writeFileSync(bad, '{"bf16": 1,');
      assert.match((await cli('recommend', '--compute', '1e21', '--cost-model', bad)).err, /bad\.json: not valid JSON/);
      const missing = await cli('recommend', '--compute', '1e21', '--cost-model', path.join(dir, 'none.json'));
      assert.equal(missing.code, 2);
      assert.match(missing.err, /none\.json" is neither a built-in cost model \(bits-linear, 6nd\) nor a readable JSON file \(no such file\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const inlineBad = await cli('recommend', '--compute', '1e21', '--cost-model', '{"bf16": 1, "fp9": 2}');
    assert.equal(inlineBad.code, 2);
    assert.match(inlineBad.err, /--cost-model \(inline JSON\): field "fp9": not a format/);
  });
  it('fixed-precision requires --precision and fixed-params requires --params', async () => {
    assert.equal((await cli('recommend', '--compute', '1e21', '--scenario', 'fixed-precision')).code, 2);
    assert.equal((await cli('recommend', '--compute', '1e21', '--scenario', 'fixed-params')).code, 2);
    const fixedN = await json('recommend', '--compute', '1e21', '--scenario', 'fixed-params', '--params', '1B');
    assert.equal(fixedN.params, 1e9);
  });
  it('"3e22 FLOPs" is a budget', async () => {
    const r = await json('recommend', '--compute', '3e22 FLOPs', '--scenario', 'fixed-precision', '--precision', 'bf16');
    assert.ok(Math.abs(r.compute / 3e22 - 1) < 1e-12);
    assert.equal(r.precision.w, 16);
  });
  it('dcrit: the numerical D_crit is where post-PTQ loss is lowest', async () => {
    const r = await json('dcrit', '--params', '1B', '--post', '4');
    const at = async (tokens: number) => (await json('predict', '--params', '1B', '--tokens', String(tokens), '--post', '4')).loss as number;
    const lowest = await at(r.tokens);
    assert.ok(Math.abs(lowest - r.loss) < 1e-9);
    assert.ok((await at(r.tokens * 0.8)) > lowest);
    assert.ok((await at(r.tokens * 1.25)) > lowest);
    assert.ok(Math.abs(r.closedFormTokens / r.tokens - 1) < 0.05);
  });
});

describe('cli: command-line problems name the flag', () => {
  it('a negative --compute is refused as a budget, naming the flag and the accepted forms, not as an "ambiguous" argument', async () => {
    for (const argv of [
      ['recommend', '--compute', '-1'],
      ['recommend', '-c', '-1'],
      ['recommend', '--compute=-1e21'],
    ]) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.doesNotMatch(r.err, /ambiguous/);
      assert.match(r.err, /--compute: "-1(e21)?" is not a positive number; a negative number is not a valid --compute \(give one such as 1e21.*--compute=1e21\)/);
    }
  });
  it('an option whose value is missing says which, and how to give it', async () => {
    const r = await cli('recommend', '--compute', '--json');
    assert.equal(r.code, 2);
    assert.match(r.err, /--compute needs a value, but "--json" starts with "-".*--compute=VALUE/);
    const end = await cli('recommend', '--compute');
    assert.equal(end.code, 2);
    assert.match(end.err, /--compute needs a value/);
  });
  it('the inference scenario without --memory is a command-line problem naming --memory', async () => {
    const r = await cli('recommend', '--compute', '1e21', '--scenario', 'inference');
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /--memory is required for the inference scenario/);
    assert.equal((await cli('recommend', '--compute', '1e21', '--scenario', 'inference', '--memory', '2GB')).code, 0);
  });
});

describe('cli: tables', () => {
  /** The number of decimals of each numeric cell of a column, by the column's header. */
  const decimalsOf = (text: string, header: string): Set<number> => {
    const lines = text.split('\n');
    const top = lines.findIndex((l) => l.includes(header) && /^-+( +-+)+$/.test(lines[lines.indexOf(l) + 1] ?? ''));
    const widths = lines[top + 1].split('  ').map((d) => d.length);
    const starts = widths.map((_, j) => widths.slice(0, j).reduce((a, w) => a + w + 2, 0));
    const j = widths.findIndex((w, k) => lines[top].slice(starts[k], starts[k] + w).trim() === header);
    const out = new Set<number>();
    for (const line of lines.slice(top + 2)) {
      if (!/\S/.test(line) || line.startsWith('note:') || line.startsWith('Best')) break;
      const cell = line.slice(starts[j], starts[j] + widths[j]).trim();
      if (/^[+-]?\d+(\.\d+)?$/.test(cell)) out.add(cell.split('.')[1]?.length ?? 0);
    }
    return out;
  };
  it('signed numbers print their sign once: +0.0012 and -0.0012, never +-0.0012', () => {
    const text = table(['', 'vs plan'], [['a', signed(0.0012)], ['b', signed(-0.0012)], ['c', signed(0)], ['plan', '']], { significant: { 1: 2 } });
    assert.deepEqual(text.split('\n').slice(2).map((l) => l.split(/ +/)[1] ?? ''), ['+0.0012', '-0.0012', '0.0000', '']);
    assert.doesNotMatch(text, /\+-/);
    // Below the finest decimals shown (six), a difference rounds to zero and has no sign.
    assert.deepEqual(table(['', 'x'], [['a', signed(-1e-9)]]).split('\n')[2], 'a  0.000000');
  });
  it('one number of decimals per column; integers without any', () => {
    assert.equal(columnDecimals([2.9, 2.934, 3]), 3);
    assert.equal(columnDecimals([12, 7, 0]), 0);
    assert.equal(columnDecimals([0.0012, 0.1]), 4);
    const text = table(['', 'loss', 'n'], [['a', 2.9, 12], ['b', 2.934, 7]]);
    assert.deepEqual(text.split('\n').slice(2), ['a  2.900  12', 'b  2.934   7']);
  });
  it('recommend: every numeric column has one number of decimals, margins are signed', async () => {
    for (const argv of [
      ['recommend', '--compute', '1e21'],
      ['recommend', '--compute', '1e21', '--scenario', 'inference', '--memory', '2GB'],
    ]) {
      const r = await cli(...argv);
      assert.equal(r.code, 0, r.err);
      assert.doesNotMatch(r.out, /\+-/);
      for (const header of ['D/N', 'loss', 'vs plan']) assert.equal(decimalsOf(r.out, header).size, 1, `${argv.join(' ')}: ${header}`);
      assert.ok(r.out.split('\n').some((l) => / [+-]0\.\d+$/.test(l)), 'margins carry a sign');
    }
  });
  it('scan: PTQ is summarized (integer per-channel bits, a count of the rest), losses share their decimals', async () => {
    const r = await cli('scan', EXAMPLES);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, / 8,6,5,4,3b \+9 more /);
    assert.doesNotMatch(r.out, /8,6,5,4,3,8/);
    assert.equal(decimalsOf(r.out, 'loss').size, 1);
    assert.equal(ptqSummary([]), '-');
    const mx = { bits: 4, type: 'fp' as const, format: 'mxfp4', method: 'rtn', groupSize: 32, loss: 3 };
    assert.equal(ptqSummary([mx, { ...mx, format: 'mxfp6', bits: 6 }]), '2 formats');
  });
  it('scan: an incomplete run says why in the status column, in the file\'s terms', async () => {
    const r = await cli('scan', path.join(FIXTURES, 'cancelled'), path.join(FIXTURES, 'python-nan'), path.join(FIXTURES, 'wrong-types'));
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.split('\n').some((l) => / {2}cancelled$/.test(l)), r.out);
    assert.ok(r.out.split('\n').some((l) => / {2}loss is NaN$/.test(l)), r.out);
    assert.ok(r.out.split('\n').some((l) => / {2}params is the string "1\.2e6"; tokens is -5000; missing training precision$/.test(l)), r.out);
    assert.doesNotMatch(r.out, /finalLoss/);
  });
});

describe('cli: fit', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'precision-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fits the example runs, writes the fit, and predict --fit uses it', async () => {
    const out = path.join(dir, 'fit.json');
    const r = await cli('fit', EXAMPLES, '--out', out, '--bootstrap', '5', '--json');
    assert.equal(r.code, 0, r.err);
    const printed = JSON.parse(r.out);
    const written = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(written.schema, 'precision-planner/fit@1');
    assert.deepEqual(written.constants, printed.constants);
    // Real training runs of small models: the law explains 99.3% of the variance (README).
    assert.ok(printed.metrics.all.r2 > 0.98);
    assert.equal(printed.points.length, 108);
    assert.equal(Object.keys(printed.intervals).length > 0, true);

    const withFit = await json('predict', '--params', '100M', '--tokens', '5B', '--weights', '8', '--fit', out);
    const withPaper = await json('predict', '--params', '100M', '--tokens', '5B', '--weights', '8');
    assert.notEqual(withFit.loss, withPaper.loss);
    assert.match(String(withFit.constants), /fit/);
  });
  it("nothing fittable: exit 1, why on stderr, each file's problem on its line, no preset dressed as a fit", async () => {
    const r = await cli('fit', path.join(FIXTURES, 'malformed-json'), path.join(FIXTURES, 'binary'));
    assert.equal(r.code, 1);
    assert.match(r.err, /nothing could be fitted: chinchilla: needs high-precision/);
    assert.match(r.out, /binary[/\\]run\.json: error: run\.json is not a text file/);
    assert.match(r.out, /malformed-json[/\\]run\.json:\d+: error: syntax error/);
    assert.doesNotMatch(r.out, /R\^2/);
  });
  it('a path with no runs at all: exit 1 naming it', async () => {
    const r = await cli('fit', path.join(FIXTURES, '..', 'no-such-folder'));
    assert.equal(r.code, 1);
    assert.match(r.err, /no-such-folder/);
  });
  it('an empty folder: the message names every format looked for and points to scan', async () => {
    const empty = mkdtempSync(path.join(dir, 'empty-'));
    const r = await cli('fit', empty);
    assert.equal(r.code, 1);
    assert.ok(r.err.includes(`no runs found under ${empty}`), r.err);
    for (const what of ['run.json', 'trainer_state.json', 'TensorBoard', 'W&B', 'MLflow', 'Lightning metrics.csv', 'sweep tables']) assert.ok(r.err.includes(what), what);
    assert.ok(r.err.includes(`precision-planner scan ${empty}`), r.err);
  });
  it('one complete run is not enough: the message names what is missing', async () => {
    const r = await cli('fit', FIXTURES, '--bootstrap', '0');
    assert.equal(r.code, 1);
    assert.match(r.err, /precision-planner fit: .*(run|size|point)/i);
  });
  it('the constants table says "off" for the parts the weights carry (a sweep table training all three parts at one precision)', async () => {
    // The law's own runs, weights, activations and KV cache always at one precision.
    const runs = syntheticRuns({ truth: { ...PAPER_CONSTANTS, E: 2.2, gammaW: 1.8 }, sizes: [30e6, 85e6, 220e6], tokens: [1.5e9, 6e9, 26e9], precisions: [16, 8, 6, 4].map((b) => ({ w: b, a: b, kv: b })), posts: [], noise: 0.002, seed: 5 });
    const table = mkdtempSync(path.join(dir, 'one-precision-'));
    const name = (bits: number): string => (bits === 16 ? 'bf16' : `int${bits}`);
    writeFileSync(path.join(table, 'sweep.csv'), ['params,tokens,precision,val_loss', ...runs.map((x) => `${x.params},${x.tokens},${name(x.precision!.w.bits)},${x.finalLoss}`)].join('\n') + '\n');
    const r = await cli('fit', table, '--bootstrap', '0', '--no-held-out');
    assert.equal(r.code, 0, r.err);
    const rowOf = (name: string) => r.out.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    for (const name of ['gammaA', 'nA', 'gammaKV', 'nKV']) assert.match(rowOf(name), /^\S+\s+off — one factor carries all three parts\s+-\s/, name);
    assert.doesNotMatch(r.out, /-50\.0/);
    assert.match(rowOf('gammaW'), /^gammaW\s+\d/);
  });
  it('an --out that cannot be written is an error naming the file', async () => {
    const r = await cli('fit', EXAMPLES, '--bootstrap', '0', '--no-held-out', '--out', path.join(dir, 'missing', 'fit.json'));
    assert.equal(r.code, 1);
    assert.match(r.err, /missing[/\\]fit\.json/);
  });
  it('--fit with a file that is not a fit names the file and the field', async () => {
    const r = await cli('predict', '--params', '1B', '--tokens', '20B', '--fit', path.join(FIXTURES, 'complete-w8a8kv8', 'run.json'));
    assert.equal(r.code, 1);
    assert.match(r.err, /complete-w8a8kv8[/\\]run\.json: not a fit .*field "schema"/);
  });
});
