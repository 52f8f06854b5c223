import assert from 'node:assert/strict';
import { createWriteStream, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { StrideDecimator, shareBudget, thin } from '../../src/runs/curves';
import { readMetricsJsonl } from '../../src/runs/readers/metricsJsonl';
import { RUN_STATUSES, readPrecisionPlannerRun } from '../../src/runs/readers/precisionPlanner';
import { parseJsonDoc } from '../../src/runs/jsonDoc';
import { REQUIRED_FIELDS, incompleteText, isComplete } from '../../src/runs/run';
import { lineAt, lineStarts, sniffBinary } from '../../src/runs/text';
import { MAX_BITS, MIN_BITS, bitsInRange, isDiagnostic, oneOf, positiveFinite } from '../../src/runs/validate';

const FIXTURES = path.resolve(__dirname, '../fixtures/precision-planner');
const SCHEMA_FILE = path.resolve(__dirname, '../../schemas/run.schema.json');
const fixture = (name: string): string => path.join(FIXTURES, name, 'run.json');

/** The parts of a diagnostic a test pins down; the message is checked separately where it matters. */
const brief = (d: Diagnostic) => ({ line: d.line, field: d.field, severity: d.severity, file: path.basename(d.file) });

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-runs-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let dirCount = 0;
/** A run directory in the temp folder with the given run.json (and metrics.jsonl) contents. */
async function writeRun(manifest: string | Buffer, metrics?: string): Promise<string> {
  const dir = path.join(tmp, `run${dirCount++}`);
  await mkdir(dir);
  await writeFile(path.join(dir, 'run.json'), manifest);
  if (metrics !== undefined) await writeFile(path.join(dir, 'metrics.jsonl'), metrics);
  return path.join(dir, 'run.json');
}

const PRECISION = {
  weights: { bits: 8, type: 'int' },
  activations: { bits: 8, type: 'int' },
  kv: { bits: 8, type: 'int' },
};
const manifest = (fields: Record<string, unknown>): string =>
  JSON.stringify({ schemaVersion: 1, status: 'complete', params: 1e6, tokens: 2e7, precision: PRECISION, valLoss: 3, ...fields }, null, 2);

describe('readPrecisionPlannerRun: fixtures', () => {
  test('a complete run: values, defaults, sources and curve', async () => {
    const file = fixture('complete-w8a8kv8');
    const { runs, diagnostics } = await readPrecisionPlannerRun(file);
    assert.deepEqual(diagnostics, []);
    assert.equal(runs.length, 1);
    const run = runs[0];
    assert.ok(isComplete(run));
    assert.equal(run.id, 'complete-w8a8kv8/run.json');
    assert.equal(run.name, 's2-d1-w8a8kv8');
    assert.equal(run.format, 'precision-planner');
    assert.equal(run.file, file);
    assert.equal(run.params, 1234567);
    assert.equal(run.tokens, 2000000);
    assert.equal(run.finalLoss, 3.21);
    assert.deepEqual(run.precision, {
      w: { bits: 8, type: 'int' },
      a: { bits: 8, type: 'int' },
      kv: { bits: 8, type: 'int', name: 'int8' },
    });
    assert.deepEqual(run.missing, []);
    assert.equal(run.unfinished, undefined);
    assert.deepEqual(run.sources, {
      params: { file, line: 5, field: 'params' },
      tokens: { file, line: 7, field: 'tokens' },
      precision: { file, line: 8, field: 'precision' },
      finalLoss: { file, line: 13, field: 'valLoss' },
    });
    assert.deepEqual(run.ptq, [
      { bits: 4, type: 'int', format: 'int', method: 'rtn', groupSize: null, loss: 3.4, source: { file, line: 15, field: 'ptq[0]' } },
      { bits: 3, type: 'int', format: 'int', method: 'gptq', groupSize: 128, loss: 3.62, source: { file, line: 16, field: 'ptq[1]' } },
      { bits: 4, type: 'fp', format: 'mxfp4', method: 'rtn', loss: 3.38, source: { file, line: 17, field: 'ptq[2]' } },
    ]);
    assert.equal(run.meta?.status, 'complete');
    assert.equal(run.meta?.embeddingParams, 16384);
    assert.equal(run.meta?.host, 'ci-runner-3');
    assert.deepEqual(run.meta?.training, { optimizer: 'adamw', lr: 0.003, batchTokens: 8000 });

    const curve = run.curve ?? [];
    assert.equal(curve.length, 30);
    assert.equal(curve.filter((p) => p.split === 'train').length, 25);
    assert.deepEqual(
      curve.filter((p) => p.split === 'val').map((p) => p.step),
      [50, 100, 150, 200, 250],
    );
    assert.deepEqual(curve[0], { step: 10, tokens: 80000, split: 'train', loss: curve[0].loss });
    assert.deepEqual(curve[curve.length - 1], { step: 250, tokens: 2000000, split: 'val', loss: 3.21 });
  });

  test('run ids are relative to the given root, with forward slashes', async () => {
    const { runs } = await readPrecisionPlannerRun(fixture('complete-w8a8kv8'), { root: path.resolve(FIXTURES, '..') });
    assert.equal(runs[0].id, 'precision-planner/complete-w8a8kv8/run.json');
  });

  test('valLoss missing: the last validation loss of metrics.jsonl, traced to its line', async () => {
    const { runs, diagnostics } = await readPrecisionPlannerRun(fixture('no-valloss'));
    const run = runs[0];
    assert.equal(run.finalLoss, 3.58);
    assert.deepEqual(run.sources.finalLoss, { file: path.join(FIXTURES, 'no-valloss', 'metrics.jsonl'), line: 8, field: 'loss' });
    assert.deepEqual(run.missing, []);
    assert.equal(run.name, 'no-valloss', 'folder name when the manifest has none');
    assert.deepEqual(diagnostics.map(brief), [{ line: 1, field: 'valLoss', severity: 'info', file: 'run.json' }]);
    assert.match(diagnostics[0].message, /last validation loss in metrics\.jsonl \(line 8, split "eval"\)/);
    // The event line, the blank line and the learning-rate-only line are not loss points, and not problems.
    assert.deepEqual(
      run.curve?.map((p) => `${p.split}@${p.step}`),
      ['train@100', 'train@200', 'eval@200', 'train@300', 'train@400', 'eval@400'],
    );
    assert.deepEqual(run.precision?.w, { bits: 16, type: 'fp', name: 'bf16' });
  });

  test('a crashed run: unfinished, bad loss lines and the cut last line reported, the rest read', async () => {
    const { runs, diagnostics } = await readPrecisionPlannerRun(fixture('crashed'));
    const run = runs[0];
    assert.equal(run.unfinished, true);
    assert.equal(run.meta?.status, 'running');
    assert.deepEqual(diagnostics.map(brief), [
      { line: 4, field: 'status', severity: 'info', file: 'run.json' },
      { line: 5, field: 'loss', severity: 'warning', file: 'metrics.jsonl' },
      { line: 7, field: 'loss', severity: 'warning', file: 'metrics.jsonl' },
      { line: 8, field: undefined, severity: 'info', file: 'metrics.jsonl' },
      { line: 1, field: 'valLoss', severity: 'info', file: 'run.json' },
    ]);
    assert.match(diagnostics[1].message, /"NaN"/, 'a bare NaN is named');
    assert.match(diagnostics[2].message, /"Infinity"/);
    assert.equal(diagnostics[3].message, 'truncated last line (crashed or still-running run?); line skipped');
    assert.match(diagnostics[4].message, /did not finish/);
    assert.deepEqual(
      run.curve?.map((p) => p.step),
      [20, 40, 40, 60, 80],
    );
    assert.ok(!run.curve?.some((p) => p.step === 120), 'the cut line stays out of the curve');
    assert.equal(run.finalLoss, 4.29);
    assert.equal(run.sources.finalLoss?.line, 6);
  });

  test('a run the trainer cancelled before its final evaluation is incomplete because "cancelled"', async () => {
    const { runs, diagnostics } = await readPrecisionPlannerRun(fixture('cancelled'));
    const run = runs[0];
    assert.deepEqual(run.missing, ['finalLoss']);
    assert.deepEqual(run.reasons, { finalLoss: 'cancelled' });
    assert.equal(incompleteText(run), 'cancelled');
    assert.equal(run.unfinished, true);
    assert.equal(run.tokens, 81920, 'D is the tokens it saw');
    assert.deepEqual(diagnostics.map(brief), [{ line: 3, field: 'status', severity: 'info', file: 'run.json' }]);
  });

  test('a run that diverged says so in the trainer\'s words, not "missing finalLoss"', async () => {
    const { runs } = await readPrecisionPlannerRun(fixture('diverged'));
    assert.deepEqual(runs[0].missing, ['finalLoss']);
    assert.equal(incompleteText(runs[0]), 'failed: training diverged: loss NaN at step 30');
  });

  test('running and failed without an error are said as their status; an unknown status is quoted', async () => {
    const text = manifest({}).replace(/,\n\s*"valLoss": 3/, '');
    for (const [status, said] of [
      ['running', 'running'],
      ['failed', 'failed'],
      ['crashed', 'status "crashed"'],
    ]) {
      const { runs } = await readPrecisionPlannerRun(await writeRun(text.replace('{\n', `{\n  "status": "${status}",\n`)));
      assert.deepEqual(runs[0].reasons, { finalLoss: said }, status);
    }
  });

  test('bare NaN and Infinity as Python\'s json.dump writes them: the run is read, each field named on its line', async () => {
    const { runs, diagnostics } = await readPrecisionPlannerRun(fixture('python-nan'));
    assert.equal(runs.length, 1);
    const run = runs[0];
    assert.ok(!diagnostics.some((d) => /syntax error/.test(d.message)), diagnostics.map((d) => d.message).join('\n'));
    assert.equal(run.params, 24736);
    assert.deepEqual(run.missing, ['finalLoss']);
    assert.deepEqual(run.reasons, { finalLoss: 'loss is NaN' });
    assert.equal(incompleteText(run), 'loss is NaN');
    const valLoss = diagnostics.find((d) => d.field === 'valLoss');
    assert.deepEqual(valLoss && brief(valLoss), { line: 59, field: 'valLoss', severity: 'error', file: 'run.json' });
    assert.match(valLoss?.message ?? '', /^valLoss is NaN\b/);
    const ptqLoss = diagnostics.find((d) => d.field === 'ptq[2].valLoss');
    assert.equal(ptqLoss?.line, 54);
    assert.match(ptqLoss?.message ?? '', /^ptq\[2\]\.valLoss is NaN.*evaluation left out/);
    const sqnr = diagnostics.find((d) => d.field === 'ptq[1].sqnrDb');
    assert.equal(sqnr?.line, 43);
    assert.match(sqnr?.message ?? '', /Infinity/);
    assert.deepEqual(
      run.ptq.map((q) => q.bits),
      [8, 6],
    );
    assert.equal(run.ptq[1].sqnrDb, undefined);
    assert.equal(run.meta?.gradNormMax, -Infinity);
    assert.equal(run.meta?.note, 'eval gave NaN, Infinity', 'NaN inside a string is left alone');
  });

  test('a cut last line in a run that claims to be complete is a warning', async () => {
    const file = await writeRun(manifest({}), readFileSync(path.join(FIXTURES, 'crashed', 'metrics.jsonl'), 'utf8'));
    const { runs, diagnostics } = await readPrecisionPlannerRun(file);
    const cut = diagnostics.find((d) => d.message.startsWith('truncated last line'));
    assert.equal(cut?.severity, 'warning');
    assert.equal(cut?.line, 8);
    assert.equal(runs[0].unfinished, undefined);
  });

  test('a last line without newline that parses is kept', async () => {
    const file = await writeRun(manifest({}), '{"step": 1, "split": "train", "loss": 4}\n{"step": 2, "split": "train", "loss": 3.5}');
    const { runs, diagnostics } = await readPrecisionPlannerRun(file);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(runs[0].curve, [
      { step: 1, split: 'train', loss: 4 },
      { step: 2, split: 'train', loss: 3.5 },
    ]);
  });

  test('a syntax error is reported on its line and what can be read still is', async () => {
    const { runs, diagnostics } = await readPrecisionPlannerRun(fixture('malformed-json'));
    assert.deepEqual(diagnostics.map(brief), [{ line: 5, field: undefined, severity: 'error', file: 'run.json' }]);
    assert.equal(diagnostics[0].message, 'syntax error: comma expected');
    assert.equal(runs.length, 1);
    assert.equal(runs[0].params, 1000000);
    assert.equal(runs[0].tokens, 5000000);
    assert.equal(runs[0].finalLoss, 3.5);
    assert.equal(runs[0].curve, undefined, 'no metrics.jsonl, no curve');
  });

  test('wrong types: each named on its line, the run kept with the fields missing', async () => {
    const { runs, diagnostics } = await readPrecisionPlannerRun(fixture('wrong-types'));
    assert.deepEqual(diagnostics.map(brief), [
      { line: 4, field: 'params', severity: 'error', file: 'run.json' },
      { line: 5, field: 'tokens', severity: 'error', file: 'run.json' },
      { line: 7, field: 'precision.weights.bits', severity: 'error', file: 'run.json' },
      { line: 8, field: 'precision.activations.type', severity: 'error', file: 'run.json' },
      { line: 14, field: 'ptq[1].groupSize', severity: 'error', file: 'run.json' },
      { line: 15, field: 'ptq[2].valLoss', severity: 'error', file: 'run.json' },
      { line: 16, field: 'ptq[3].valLoss', severity: 'error', file: 'run.json' },
      { line: 17, field: 'ptq[4].valLoss', severity: 'error', file: 'run.json' },
      { line: 19, field: 'seed', severity: 'warning', file: 'run.json' },
    ]);
    const message = (field: string) => diagnostics.find((d) => d.field === field)?.message ?? '';
    assert.match(message('params'), /^params must be a positive finite number, got the string "1\.2e6" \(write it as a number, without quotes\)/);
    assert.match(message('tokens'), /got -5000/);
    assert.match(message('precision.weights.bits'), /from 1 to 64, got 99/);
    assert.match(message('precision.activations.type'), /one of "int", "fp", got the string "float"/);
    assert.match(message('ptq[2].valLoss'), /got the string "NaN"; evaluation left out/);
    assert.match(message('ptq[3].valLoss'), /got null/);

    const run = runs[0];
    assert.deepEqual(run.missing, ['params', 'tokens', 'precision']);
    assert.equal(run.params, undefined);
    assert.equal(run.finalLoss, 3.3);
    assert.deepEqual(
      run.ptq.map((q) => [q.bits, q.loss]),
      [[4, 3.5]],
    );
    assert.equal(run.meta?.seed, undefined, 'an invalid optional value is not passed on');
  });

  test('a binary run.json is reported, not parsed', async () => {
    const { runs, diagnostics } = await readPrecisionPlannerRun(fixture('binary'));
    assert.deepEqual(runs, []);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].severity, 'error');
    assert.match(diagnostics[0].message, /not a text file/);
  });

  test('a missing run.json is a diagnostic, not an exception', async () => {
    const file = path.join(tmp, 'nowhere', 'run.json');
    const { runs, diagnostics } = await readPrecisionPlannerRun(file);
    assert.deepEqual(runs, []);
    assert.deepEqual(diagnostics, [{ file, message: 'run.json not found', severity: 'error', code: 'not-found' }]);
  });
});

describe('readPrecisionPlannerRun: edge cases', () => {
  test('PTQ features (SQNR, bits per weight) and the landscape probe are read; bad ones are warnings', async () => {
    const file = await writeRun(
      manifest({
        ptq: [
          { bits: 4, type: 'fp', format: 'mxfp4', method: 'rtn', groupSize: 32, bitsPerWeight: 4.25, sqnrDb: 18.7, valLoss: 3.2 },
          { bits: 16, type: 'int', groupSize: null, bitsPerWeight: 16.1, sqnrDb: null, valLoss: 3 },
          { bits: 4, type: 'int', sqnrDb: 'high', bitsPerWeight: -1, valLoss: 3.1 },
        ],
        landscape: [{ relativeNorm: 0.01, lossIncrease: 0.0001, lossIncreaseStd: 0, directions: 2 }, { relativeNorm: 0.3, lossIncrease: null }, { relativeNorm: -1, lossIncrease: 1 }, 7],
      }),
    );
    const { runs, diagnostics } = await readPrecisionPlannerRun(file);
    const [mx, exact, bad] = runs[0].ptq;
    assert.deepEqual([mx.format, mx.groupSize, mx.bitsPerWeight, mx.sqnrDb], ['mxfp4', 32, 4.25, 18.7]);
    assert.deepEqual([exact.sqnrDb, exact.bitsPerWeight], [undefined, 16.1]);
    assert.deepEqual([bad.sqnrDb, bad.bitsPerWeight, bad.loss], [undefined, undefined, 3.1]);
    assert.deepEqual(runs[0].landscape, [{ relativeNorm: 0.01, lossIncrease: 0.0001 }]);
    assert.deepEqual(
      diagnostics.map((d) => [d.field, d.severity]),
      [
        ['ptq[2].sqnrDb', 'warning'],
        ['ptq[2].bitsPerWeight', 'warning'],
        ['landscape[2].relativeNorm', 'warning'],
        ['landscape[3]', 'warning'],
      ],
    );
    assert.equal(runs[0].missing.length, 0);
  });

  test('valLoss null (JSON.stringify of NaN) is an error and is not replaced from metrics', async () => {
    const file = await writeRun(manifest({ valLoss: null }), '{"step": 9, "split": "val", "loss": 3.1}\n');
    const { runs, diagnostics } = await readPrecisionPlannerRun(file);
    assert.deepEqual(diagnostics.map(brief), [{ line: 20, field: 'valLoss', severity: 'error', file: 'run.json' }]);
    assert.equal(runs[0].finalLoss, undefined);
    assert.deepEqual(runs[0].missing, ['finalLoss']);
    assert.match(incompleteText(runs[0]), /^valLoss is null/);
  });

  test('a complete run with no loss anywhere names valLoss', async () => {
    const text = manifest({});
    const file = await writeRun(text.replace(/,\n\s*"valLoss": 3/, ''));
    const { runs, diagnostics } = await readPrecisionPlannerRun(file);
    assert.deepEqual(diagnostics.map(brief), [{ line: 1, field: 'valLoss', severity: 'error', file: 'run.json' }]);
    assert.match(diagnostics[0].message, /valLoss is missing \(required when status is "complete"\)/);
    assert.deepEqual(runs[0].missing, ['finalLoss']);
    assert.equal(incompleteText(runs[0]), 'no valLoss in run.json');
  });

  test('missing required fields are named on the line of their object', async () => {
    const file = await writeRun('{\n  "schemaVersion": 1,\n  "precision": {\n    "weights": {"bits": 8},\n    "kv": {"bits": 8, "type": "int"}\n  },\n  "status": "failed"\n}\n');
    const { runs, diagnostics } = await readPrecisionPlannerRun(file);
    assert.deepEqual(
      diagnostics.map((d) => [d.line, d.field, d.severity]),
      [
        [7, 'status', 'info'],
        [1, 'params', 'error'],
        [1, 'tokens', 'error'],
        [4, 'precision.weights.type', 'error'],
        [3, 'precision.activations', 'error'],
      ],
    );
    assert.deepEqual(runs[0].missing, REQUIRED_FIELDS);
    assert.equal(runs[0].unfinished, true);
    // The run's own keys and the user's terms, never the internal names (params, finalLoss).
    assert.equal(incompleteText(runs[0]), 'no params (N) in run.json; no tokens (D) in run.json; failed; missing training precision');
  });

  test('without a reader\'s reason, a missing field is named as the user knows it', () => {
    assert.equal(incompleteText({ missing: ['params', 'tokens', 'precision', 'finalLoss'] }), 'missing N (parameters), D (training tokens), training precision, final validation loss');
    assert.equal(incompleteText({ missing: ['params', 'finalLoss'], reasons: { finalLoss: 'cancelled' } }), 'cancelled; missing N (parameters)');
    assert.equal(incompleteText({ missing: [] }), '');
  });

  test('status, schemaVersion, duplicate and unknown keys are warnings', async () => {
    const text = [
      '{',
      '  "status": "done",',
      '  "params": 1000,',
      '  "params": 2000,',
      '  "tokens": 5000,',
      '  "precision": {"weights": {"bits": 8, "type": "int"}, "activations": {"bits": 8, "type": "int"},',
      '                "kv": {"bits": 8, "type": "int"}, "grads": {"bits": 8, "type": "int"}},',
      '  "valLoss": 4',
      '}',
    ].join('\n');
    const { runs, diagnostics } = await readPrecisionPlannerRun(await writeRun(text));
    assert.deepEqual(
      diagnostics.map((d) => [d.line, d.field, d.severity]),
      [
        [4, 'params', 'warning'],
        [1, 'schemaVersion', 'warning'],
        [2, 'status', 'warning'],
        [7, 'precision.grads', 'warning'],
      ],
    );
    assert.equal(runs[0].params, 1000, 'the first of duplicate keys');
    assert.equal(runs[0].unfinished, true, 'an unknown status is not taken as complete');
    assert.deepEqual(runs[0].missing, []);
  });

  test('free top-level keys become plain metadata, whatever their names', async () => {
    const text = manifest({ notes: { a: [1, { b: 2 }] } }).replace(/}\s*$/, ', "__proto__": {"polluted": true}, "notes": "second"}');
    const { runs, diagnostics } = await readPrecisionPlannerRun(await writeRun(text));
    const meta = runs[0].meta ?? {};
    assert.deepEqual(meta.notes, { a: [1, { b: 2 }] }, 'first of duplicates, as plain objects');
    assert.ok(Object.hasOwn(meta, '__proto__'));
    assert.equal((meta as { polluted?: boolean }).polluted, undefined);
    assert.deepEqual(
      diagnostics.map((d) => d.field),
      ['notes'],
    );
  });

  test('a newer schemaVersion is read with a warning', async () => {
    const { runs, diagnostics } = await readPrecisionPlannerRun(await writeRun(manifest({ schemaVersion: 2 })));
    assert.equal(diagnostics.length, 1);
    assert.match(diagnostics[0].message, /schemaVersion 2 is newer than this reader/);
    assert.deepEqual(runs[0].missing, []);
  });

  test('BOM and CRLF line endings keep line numbers right', async () => {
    const text = `\uFEFF${manifest({ tokens: 'many' }).replace(/\n/g, '\r\n')}`;
    const { diagnostics } = await readPrecisionPlannerRun(await writeRun(text));
    assert.deepEqual(
      diagnostics.map((d) => [d.line, d.field]),
      [[5, 'tokens']],
    );
  });

  test('empty, non-object and UTF-16 manifests give no run and one clear error', async () => {
    const cases: [string | Buffer, RegExp][] = [
      ['', /run\.json is empty/],
      ['[1, 2]', /must hold one JSON object, found a JSON array/],
      [Buffer.from(`\uFEFF${manifest({})}`, 'utf16le'), /UTF-16 encoded; save it as UTF-8/],
    ];
    for (const [content, message] of cases) {
      const { runs, diagnostics } = await readPrecisionPlannerRun(await writeRun(content));
      assert.deepEqual(runs, []);
      assert.equal(diagnostics.length, 1, String(message));
      assert.match(diagnostics[0].message, message);
    }
  });

  test('a file of garbage gives a bounded number of syntax errors', async () => {
    const { diagnostics } = await readPrecisionPlannerRun(await writeRun(`{${' @'.repeat(500)}}`));
    // 20 listed, one count of the rest; no "missing" reports on top, the syntax errors explain them.
    assert.equal(diagnostics.length, 21);
    assert.equal(diagnostics[20].message, '480 more syntax errors not listed');
  });
});

describe('metrics.jsonl streaming', () => {
  test('a 200k-line log is streamed into a bounded curve that keeps first, last and every validation point', async () => {
    const dir = path.join(tmp, 'long');
    await mkdir(dir);
    const metricsFile = path.join(dir, 'metrics.jsonl');
    const lines = 200_000;
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(metricsFile);
      out.on('error', reject);
      out.on('finish', resolve);
      let chunk = '';
      for (let step = 0; step < lines; step++) {
        // Every 1000th line is a validation loss: 200 in all, to be kept whole.
        const split = step % 1000 === 999 ? 'val' : 'train';
        chunk += `{"step":${step},"tokens":${step * 4096},"split":"${split}","loss":${(3 + 10 / (step + 10)).toFixed(5)},"lr":0.001}\n`;
        if (chunk.length > 1 << 16) {
          out.write(chunk);
          chunk = '';
        }
      }
      out.end(chunk);
    });
    await copyFile(path.join(FIXTURES, 'crashed', 'run.json'), path.join(dir, 'run.json'));

    const { runs, diagnostics } = await readPrecisionPlannerRun(path.join(dir, 'run.json'));
    const curve = runs[0].curve ?? [];
    assert.ok(curve.length <= 4000 && curve.length >= 1000, `curve of ${curve.length} points`);
    assert.deepEqual(curve[0].step, 0);
    assert.deepEqual(curve[curve.length - 1].step, lines - 1);
    assert.equal(curve.filter((p) => p.split === 'val').length, 200);
    assert.ok(
      curve.every((p, i) => i === 0 || p.step >= curve[i - 1].step),
      'file order',
    );
    assert.equal(runs[0].finalLoss, Number((3 + 10 / (lines - 1 + 10)).toFixed(5)));
    assert.equal(runs[0].sources.finalLoss?.line, lines);
    assert.deepEqual(
      diagnostics.map((d) => d.field),
      ['status', 'valLoss'],
    );

    const small = await readMetricsJsonl(metricsFile, { maxPoints: 300 });
    assert.ok(small && small.curve.length <= 300 && small.curve.length >= 150, `${small?.curve.length}`);
    assert.equal(small.lines, lines);
  });

  test('problem lines are listed up to a limit, then counted', async () => {
    const file = path.join(tmp, 'noisy.jsonl');
    const body = Array.from({ length: 50 }, (_, i) => (i % 2 ? `{"step": ${i}, "loss": 3}` : 'oops')).join('\n');
    await writeFile(file, `${body}\n`);
    const result = await readMetricsJsonl(file);
    assert.ok(result);
    assert.equal(result.curve.length, 25);
    assert.equal(result.diagnostics.length, 21);
    assert.deepEqual(
      result.diagnostics.slice(0, 3).map((d) => d.line),
      [1, 3, 5],
    );
    assert.equal(result.diagnostics[20].message, '5 more problem lines not listed');
  });

  test('splits beyond the limit are left out, with one warning', async () => {
    const file = path.join(tmp, 'splits.jsonl');
    await writeFile(file, Array.from({ length: 20 }, (_, i) => `{"step": ${i}, "split": "s${i}", "loss": 3}\n`).join(''));
    const result = await readMetricsJsonl(file);
    assert.equal(result?.curve.length, 16);
    assert.deepEqual(
      result?.diagnostics.map((d) => d.field),
      ['split'],
    );
    assert.match(result?.diagnostics[0].message ?? '', /more than 16 splits; points of "s16", "s17", "s18", "s19" left out/);
  });

  test('no metrics.jsonl is not a problem', async () => {
    assert.equal(await readMetricsJsonl(path.join(tmp, 'absent.jsonl')), undefined);
  });

  test('bad step, split and tokens', async () => {
    const file = path.join(tmp, 'fields.jsonl');
    await writeFile(
      file,
      [
        '{"split": "train", "loss": 3}',
        '{"step": 1, "split": 7, "loss": 3}',
        '{"step": 2, "tokens": "lots", "loss": 3}',
        '{"step": 3, "loss": 0}',
        '[1, 2]',
        '{"step": 4, "loss": 2.5, "grad_norm": NaN}',
      ].join('\n') + '\n',
    );
    const result = await readMetricsJsonl(file);
    assert.deepEqual(
      result?.diagnostics.map((d) => [d.line, d.field]),
      [
        [1, 'step'],
        [2, 'split'],
        [3, 'tokens'],
        [4, 'loss'],
        [5, undefined],
      ],
    );
    // A NaN beside a good loss (as Python's json writes it) does not cost the point.
    assert.deepEqual(result?.curve, [{ step: 4, split: 'train', loss: 2.5 }]);
  });
});

describe('curve thinning', () => {
  test('StrideDecimator keeps at most max items, evenly spaced, first and last included', () => {
    for (const [n, max] of [
      [1, 10],
      [10, 10],
      [11, 10],
      [1000, 10],
      [12345, 64],
      [5, 2],
    ]) {
      const d = new StrideDecimator<number>(max);
      for (let i = 0; i < n; i++) d.push(i);
      const kept = d.result();
      assert.ok(kept.length <= max, `${n}/${max}: ${kept.length}`);
      assert.equal(kept[0], 0);
      assert.equal(kept[kept.length - 1], n - 1);
      if (n <= max - 1) assert.equal(kept.length, n);
      assert.equal(d.count, n);
    }
  });

  test('thin and shareBudget', () => {
    assert.deepEqual(thin([0, 1, 2, 3, 4, 5, 6, 7, 8], 3), [0, 4, 8]);
    assert.deepEqual(thin([1, 2], 5), [1, 2]);
    assert.deepEqual(shareBudget([10, 5000, 200], 1000), [10, 790, 200]);
    assert.deepEqual(shareBudget([3000, 3000], 1000), [500, 500]);
  });
});

describe('helpers', () => {
  test('validators return the value or a diagnostic naming the field', () => {
    assert.equal(positiveFinite(2.5, 'f', 3, 'x'), 2.5);
    for (const bad of [0, -1, Infinity, NaN, 'NaN', null, '3', undefined]) {
      const d = positiveFinite(bad, 'f', 3, 'ptq[2].valLoss');
      assert.ok(isDiagnostic(d), String(bad));
      assert.equal(d.field, 'ptq[2].valLoss');
      assert.equal(d.line, 3);
      assert.match(d.message, typeof bad === 'number' && !Number.isFinite(bad) ? new RegExp(`^ptq\\[2\\]\\.valLoss is ${bad}$`) : /^ptq\[2\]\.valLoss must be/);
    }
    assert.equal(bitsInRange(4, 'f', 1, 'bits'), 4);
    assert.ok(isDiagnostic(bitsInRange(0, 'f', 1, 'bits')));
    assert.ok(isDiagnostic(bitsInRange(65, 'f', 1, 'bits')));
    assert.equal(oneOf('fp', ['int', 'fp'], 'f', 1, 'type'), 'fp');
    assert.equal((oneOf('FP', ['int', 'fp'], 'f', 1, 'type', 'warning') as Diagnostic).severity, 'warning');
  });

  test('the shared JSON loader reads bare NaN and ±Infinity outside strings as numbers, on their lines', () => {
    const text = '{\n  "a": NaN,\n  "b": [-Infinity, Infinity],\n  "s": "x: NaN}",\n  "NaN": 1\n}';
    const doc = parseJsonDoc(text, { strict: true });
    assert.deepEqual(doc.errors, []);
    const a = doc.at(['a']);
    assert.equal(a?.type, 'number');
    assert.ok(Number.isNaN(a?.value));
    assert.equal(a && doc.lineOf(a), 2);
    assert.deepEqual(doc.at(['b'])?.children?.map((c) => [c.type, c.value, doc.lineOf(c)]), [
      ['number', -Infinity, 3],
      ['number', Infinity, 3],
    ]);
    assert.deepEqual([doc.at(['s'])?.type, doc.at(['s'])?.value, doc.at(['NaN'])?.value], ['string', 'x: NaN}', 1]);
    // Anything else bare stays a syntax error.
    assert.match(parseJsonDoc('{"a": nan}').errors[0]?.message ?? '', /invalid symbol/);
  });

  test('offsets to lines', () => {
    const text = 'a\nbc\r\nd\re';
    const starts = lineStarts(text);
    assert.deepEqual(
      [0, 1, 2, 4, 5, 6, 7, 8].map((o) => lineAt(starts, o)),
      [1, 1, 2, 2, 2, 3, 3, 4],
    );
  });

  test('binary sniffing', () => {
    assert.equal(sniffBinary(Buffer.from('{"a": 1}')), 'text');
    assert.equal(sniffBinary(Buffer.from([0x7b, 0, 0x7d])), 'binary');
    assert.equal(sniffBinary(Buffer.from([0xff, 0xfe, 0x7b, 0])), 'utf16');
  });
});

// --- schema and reader in step ---------------------------------------------------------------

type Schema = {
  $ref?: string;
  type?: string | string[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  allOf?: { if: Schema; then: Schema }[];
  definitions?: Record<string, Schema>;
};

const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Schema;

function resolve(s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.replace('#/definitions/', '');
  return schema.definitions?.[name] ?? assert.fail(`unresolved ${s.$ref}`);
}

/** The schema's `if` clauses used here are only `properties` with `const`, per JSON Schema semantics. */
function ifHolds(condition: Schema, value: Record<string, unknown>): boolean {
  return Object.entries(condition.properties ?? {}).every(([k, s]) => !(k in value) || value[k] === s.const);
}

/** Paths of required properties absent from `value`, following properties, items, $ref and allOf/if/then. */
function missingRequired(s: Schema, value: unknown, at = ''): string[] {
  const schemaHere = resolve(s);
  if (Array.isArray(value)) return schemaHere.items ? value.flatMap((v, i) => missingRequired(schemaHere.items as Schema, v, `${at}[${i}]`)) : [];
  if (typeof value !== 'object' || value === null) return [];
  const object = value as Record<string, unknown>;
  const join = (k: string) => (at ? `${at}.${k}` : k);
  const required = [...(schemaHere.required ?? []), ...(schemaHere.allOf ?? []).flatMap((c) => (ifHolds(c.if, object) ? (c.then.required ?? []) : []))];
  return [
    ...required.filter((k) => !(k in object)).map(join),
    ...Object.entries(schemaHere.properties ?? {}).flatMap(([k, sub]) => (k in object ? missingRequired(sub, object[k], join(k)) : [])),
  ];
}

const readJson = (name: string): unknown => JSON.parse(readFileSync(fixture(name), 'utf8'));

describe('schemas/run.schema.json', () => {
  test('every fixture meant to be valid has every required property', () => {
    for (const name of ['complete-w8a8kv8', 'crashed']) {
      assert.deepEqual(missingRequired(schema, readJson(name)), [], name);
    }
  });

  test('the conditional requirement and nested requirements are seen', () => {
    assert.deepEqual(missingRequired(schema, readJson('no-valloss')), ['valLoss']);
    assert.deepEqual(missingRequired(schema, { status: 'running', precision: { weights: { bits: 8 } }, ptq: [{ bits: 4 }] }), [
      'schemaVersion',
      'params',
      'tokens',
      'precision.activations',
      'precision.kv',
      'precision.weights.type',
      'ptq[0].type',
      'ptq[0].valLoss',
    ]);
  });

  test('the schema requires what the reader reports as missing, under the manifest names', () => {
    const manifestName: Record<(typeof REQUIRED_FIELDS)[number], string> = {
      params: 'params',
      tokens: 'tokens',
      precision: 'precision',
      finalLoss: 'valLoss',
    };
    const required = new Set([...(schema.required ?? []), ...(schema.allOf ?? []).flatMap((c) => c.then.required ?? [])]);
    for (const field of REQUIRED_FIELDS) assert.ok(required.has(manifestName[field]), field);
    assert.deepEqual(schema.properties?.status.enum, [...RUN_STATUSES]);
    assert.deepEqual(schema.definitions?.numberType.enum, ['int', 'fp']);
    const bits = schema.definitions?.partPrecision.properties?.bits;
    assert.deepEqual([bits?.minimum, bits?.maximum], [MIN_BITS, MAX_BITS]);
    assert.deepEqual(schema.definitions?.partPrecision.required, ['bits', 'type']);
    assert.deepEqual(schema.definitions?.ptqEval.required, ['bits', 'type', 'valLoss']);
  });
});
