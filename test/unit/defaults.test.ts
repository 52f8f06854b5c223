import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  COMMAND_LINE,
  DEFAULT_PRECISION_FLAG,
  DEFAULT_PRECISION_SETTING,
  applyDefaultPrecision,
  parseDefaultPrecisionSetting,
  parsePrecisionFlags,
  ruleFor,
} from '../../src/runs/defaults';
import { scan } from '../../src/runs/discover';
import { parseTrainingPrecision } from '../../src/runs/precision';
import { type Run, withMissing } from '../../src/runs/run';

const ROOT = path.join(path.sep, 'ws');
const SETTINGS = path.join(ROOT, '.vscode', 'settings.json');
const NO_PRECISION = path.join(__dirname, '..', 'fixtures', 'sweep-tables', 'no-precision');

/** A run read from `rel` under ROOT, with a precision when given. */
function run(rel: string, precision?: string, reasons?: Run['reasons']): Run {
  const file = path.join(ROOT, ...rel.split('/'));
  return withMissing(
    { id: rel, name: rel, format: 'sweep-table', file, params: 1e6, tokens: 2e7, finalLoss: 3.1, ptq: [], sources: { finalLoss: { file, line: 2, field: 'loss' } }, ...(precision ? { precision: parseTrainingPrecision(precision) } : {}) },
    reasons,
  );
}

const setting = (value: unknown) => {
  const parsed = parseDefaultPrecisionSetting(value, SETTINGS);
  assert.deepEqual(parsed.errors, []);
  assert.ok(parsed.defaults);
  return parsed.defaults;
};

describe('default precision: the setting and the flag', () => {
  it('one name applies to every run; an object maps globs to names', () => {
    assert.deepEqual(setting('bf16').rules.map((r) => [r.glob, r.name, r.precision.w.bits]), [['**', 'bf16', 16]]);
    const rules = setting({ 'sweeps/**': 'bf16', old: 'w4a8kv4' }).rules;
    assert.deepEqual(rules.map((r) => [r.glob, r.name]), [['sweeps/**', 'bf16'], ['old', 'w4a8kv4']]);
    assert.deepEqual([rules[1].precision.w.bits, rules[1].precision.a.bits, rules[1].precision.kv.bits], [4, 8, 4]);
    assert.deepEqual(setting('bf16').source, { file: SETTINGS, field: DEFAULT_PRECISION_SETTING });
  });

  it('nothing set gives nothing, and no error', () => {
    for (const value of [undefined, null, '', {}]) assert.deepEqual(parseDefaultPrecisionSetting(value, SETTINGS), { errors: [] });
  });

  it('a name not in the vocabulary is an error naming the setting and the glob; the valid rules still apply', () => {
    const parsed = parseDefaultPrecisionSetting({ 'a/**': 'bf61', 'b/**': 'fp32', 'c/**': 16 }, SETTINGS);
    assert.equal(parsed.errors.length, 2);
    assert.ok(parsed.errors[0].startsWith(`${DEFAULT_PRECISION_SETTING} "a/**": "bf61" is not a training precision`), parsed.errors[0]);
    assert.ok(parsed.errors[1].startsWith(`${DEFAULT_PRECISION_SETTING} "c/**"`), parsed.errors[1]);
    assert.deepEqual(parsed.defaults?.rules.map((r) => r.glob), ['b/**']);
    const whole = parseDefaultPrecisionSetting('bfloat', SETTINGS);
    assert.equal(whole.defaults, undefined);
    assert.match(whole.errors[0], /^precisionPlanner\.runs\.defaultPrecision: "bfloat" is not a training precision/);
    assert.match(parseDefaultPrecisionSetting(['bf16'], SETTINGS).errors[0], /^precisionPlanner\.runs\.defaultPrecision: must be/);
  });

  it('the flag takes NAME or GLOB=NAME, repeated; its source is the command line', () => {
    const parsed = parsePrecisionFlags(['bf16', 'old/**=fp32']);
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.defaults?.rules.map((r) => [r.glob, r.name]), [['**', 'bf16'], ['old/**', 'fp32']]);
    assert.deepEqual(parsed.defaults?.source, { file: COMMAND_LINE, field: DEFAULT_PRECISION_FLAG });
    assert.deepEqual(parsePrecisionFlags(undefined), { errors: [] });
    const bad = parsePrecisionFlags(['old/**=fp8x', '=bf16']);
    assert.equal(bad.defaults, undefined);
    assert.ok(bad.errors[0].startsWith('--precision old/**=fp8x: "fp8x" is not a training precision'), bad.errors[0]);
    assert.match(bad.errors[1], /^--precision =bf16: an empty glob/);
  });

  it('globs match paths relative to the folder; a folder name covers what is under it; the last match wins', () => {
    const d = setting({ '**': 'bf16', 'sweeps': 'fp32', '**/*-int8.csv': 'int8' });
    assert.equal(ruleFor(d, 'a/run.json')?.name, 'bf16');
    assert.equal(ruleFor(d, 'sweeps/table.csv')?.name, 'fp32');
    assert.equal(ruleFor(d, 'sweeps/deep/x/run.json')?.name, 'fp32');
    assert.equal(ruleFor(d, 'sweeps/table-int8.csv')?.name, 'int8');
    assert.equal(ruleFor(d, '.hidden/run.json')?.name, 'bf16', 'dot folders match, as in runs.include');
    assert.equal(ruleFor(setting({ 'sweeps/**': 'bf16' }), 'other/table.csv'), undefined);
    assert.equal(ruleFor(setting({ 'sweeps/': 'bf16' }), 'sweeps/table.csv')?.name, 'bf16');
  });
});

describe('default precision: applied to the runs read', () => {
  it('only to runs without a precision, recording the setting as the source', () => {
    const read = [run('sweeps/a.csv'), run('sweeps/b.csv', 'int8'), run('other/c.csv')].map((r) => ({ run: r, root: ROOT }));
    const { runs, diagnostics } = applyDefaultPrecision(read, setting({ 'sweeps/**': 'bf16' }));
    const [a, b, c] = runs;
    assert.equal(a.precision?.w.name, 'bf16');
    assert.deepEqual(a.missing, []);
    assert.deepEqual(a.sources.precision, { file: SETTINGS, field: DEFAULT_PRECISION_SETTING });
    assert.deepEqual(a.sources.finalLoss, read[0].run.sources.finalLoss, 'the other sources are kept');
    assert.equal(b, read[1].run, 'a precision the file gives is never replaced');
    assert.equal(b.precision?.w.name, 'int8');
    assert.equal(c, read[2].run, 'a run no glob matches is left alone');
    assert.deepEqual(c.missing, ['precision']);
    assert.equal(read[0].run.precision, undefined, 'the run read is not changed in place');
    assert.equal(diagnostics.length, 1);
    assert.deepEqual([diagnostics[0].code, diagnostics[0].severity, diagnostics[0].file, diagnostics[0].field], ['default', 'info', ROOT, DEFAULT_PRECISION_SETTING]);
  });

  it('says it once per folder and rule, not once per run', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ run: run(`runs/r${i}/run.json`), root: ROOT }));
    const other = path.join(path.sep, 'other');
    const elsewhere = { run: { ...run('x.csv'), file: path.join(other, 'x.csv') }, root: other };
    const { runs, diagnostics } = applyDefaultPrecision([...many, elsewhere], setting({ '**': 'bf16', 'runs/r1/**': 'fp16' }));
    assert.equal(runs.filter((r) => r.precision?.w.name === 'bf16').length, 50);
    assert.equal(runs.filter((r) => r.precision?.w.name === 'fp16').length, 1);
    assert.deepEqual(diagnostics.map((d) => [d.file, d.code]).sort(), [[other, 'default'], [ROOT, 'default'], [ROOT, 'default']].sort());
    assert.match(diagnostics.find((d) => d.file === ROOT && /bf16/.test(d.message))?.message ?? '', /49 runs/);
  });

  it('whatever reason the reader gave for its absence (a table without the column): the reason goes with it', () => {
    const told = run('a.csv', undefined, { precision: 'the table has no training precision column' });
    const { runs, diagnostics } = applyDefaultPrecision([{ run: told, root: ROOT }], setting('fp32'));
    assert.deepEqual([runs[0].missing, runs[0].reasons?.precision, runs[0].precision?.w.bits], [[], undefined, 32]);
    assert.deepEqual(diagnostics.map((d) => d.code), ['default']);
  });

  it('keeps the reasons for the fields still missing', () => {
    const cancelled = withMissing({ ...run('a.csv'), finalLoss: undefined, missing: undefined } as unknown as Run, { finalLoss: 'cancelled' });
    const [out] = applyDefaultPrecision([{ run: cancelled, root: ROOT }], setting('bf16')).runs;
    assert.deepEqual(out.missing, ['finalLoss']);
    assert.deepEqual(out.reasons, { finalLoss: 'cancelled' });
  });

  it('per scanned folder when the defaults differ by folder; the same object for the same run and rule', () => {
    const r = run('a.csv');
    const d = setting('bf16');
    const byRoot = (root: string) => (root === ROOT ? d : undefined);
    const first = applyDefaultPrecision([{ run: r, root: ROOT }, { run: r, root: path.join(path.sep, 'elsewhere') }], byRoot).runs;
    assert.equal(first[0].precision?.w.name, 'bf16');
    assert.equal(first[1], r);
    // An unchanged workspace rescanned gives the very runs it gave: the extension sees no change.
    assert.equal(applyDefaultPrecision([{ run: r, root: ROOT }], d).runs[0], first[0]);
    assert.notEqual(applyDefaultPrecision([{ run: r, root: ROOT }], setting('fp16')).runs[0], first[0]);
  });

  it('scan applies it after reading: a sweep table without a precision column becomes complete', async () => {
    const without = await scan([NO_PRECISION]);
    assert.ok(without.runs.length >= 12);
    assert.ok(without.runs.every((r) => r.missing.includes('precision')));
    const flags = parsePrecisionFlags(['bf16']).defaults;
    const withDefault = await scan([NO_PRECISION], { defaultPrecision: flags });
    assert.ok(withDefault.runs.every((r) => r.missing.length === 0 && r.precision?.w.name === 'bf16'));
    assert.deepEqual(withDefault.runs[0].sources.precision, { file: COMMAND_LINE, field: DEFAULT_PRECISION_FLAG });
    const said = withDefault.diagnostics.filter((d) => d.code === 'default');
    assert.equal(said.length, 1);
    assert.deepEqual([said[0].file, said[0].severity], [NO_PRECISION, 'info']);
  });
});
