import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, copyFile, mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ALIASES, extendAliases } from '../../src/runs/aliases';
import type { Diagnostic } from '../../src/runs/diagnostics';
import { ScanCache, scan } from '../../src/runs/discover';
import { PRECISION_NAMES } from '../../src/runs/precision';
import { READERS } from '../../src/runs/readers';
import { canonicalTag, isEventFile, namespacedLoss, pickLossKeys, readTensorBoardRun, tensorboardReader } from '../../src/runs/readers/tensorboard';
import { type Span, eventHead, fileSpan, groupTrainings, writerProcess } from '../../src/runs/readers/tensorboardGroups';
import { incompleteText, isComplete } from '../../src/runs/run';
import { DT, type Tensor, decodeEvent, protoValue, tensorScalar } from '../../src/runs/tensorboardProto';
import { frameRecord, maskedCrc32c, readTfRecords } from '../../src/runs/tfrecord';
import { EventType, type Value, eventBytes, scalarEvent } from '../support/tensorboardEvents';

const FIXTURES = path.resolve(__dirname, '../fixtures/tensorboard');
const context = { root: FIXTURES, aliases: DEFAULT_ALIASES };
const at = (rel: string): string => path.join(FIXTURES, rel);
const HF_DIR = 'hf-trainer/runs/May01_10-15-00_gpu01';
const HF = at(`${HF_DIR}/events.out.tfevents.1714558500.gpu01.4242.0`);
const HF_HPARAMS = at(`${HF_DIR}/1714558500.2143218/events.out.tfevents.1714558500.gpu01.4242.1`);
const LIGHTNING = at('lightning/lightning_logs/version_0/events.out.tfevents.1714560000.gpu01.5151.0');
const TF2_FIRST = at('tf2-tensors/gpt-25m/events.out.tfevents.1714570000.tpu-host.100.0.v2');
const TF2_SECOND = at('tf2-tensors/gpt-25m/events.out.tfevents.1714573600.tpu-host.200.0.v2');
const KERAS_TRAIN = at('keras/logs/fit/20240501-101500/train/events.out.tfevents.1714558500.ws-07.9121.0.v2');
const KERAS_VAL = at('keras/logs/fit/20240501-101500/validation/events.out.tfevents.1714558512.ws-07.9121.1.v2');
const CRASHED = at('crashed/runs/exp-small/events.out.tfevents.1714558500.gpu02.7001.0');
const CORRUPTED = at('corrupted/runs/exp-flip/events.out.tfevents.1714558500.gpu03.7002.0');
const FRAMING_LOST = at('framing-lost/runs/exp-len/events.out.tfevents.1714558500.gpu04.7003.0');
const NAN = at('nan-loss/runs/exp-lr-too-high/events.out.tfevents.1714558500.gpu05.7004.0');
const NOT_EVENTS = at('not-events/logs/events.out.tfevents.x');
const EMPTY = at('empty/runs/just-started/events.out.tfevents.1714558500.gpu06.7005.0');
const TF0 = at('tf0-ptb/logs/events.out.tfevents.1462400000.lab-box');
const SWEEP_DIR = 'sweep-seven/logs/sweep';
const SWEEP = [0, 1, 2, 3, 4, 5, 6].map((i) => at(`${SWEEP_DIR}/events.out.tfevents.${1714730000 + 1200 * i}.node3.${52000 + 17 * (i + 1)}.0`));

const f32 = Math.fround;
const brief = (d: Diagnostic) => ({ file: path.relative(FIXTURES, d.file), field: d.field, severity: d.severity });
const byField = (ds: Diagnostic[], field: string) => ds.filter((d) => d.field === field);
const BF16 = { w: PRECISION_NAMES.bf16, a: PRECISION_NAMES.bf16, kv: PRECISION_NAMES.bf16 };

// --- synthetic event files (test/support/tensorboardEvents.ts encodes them) -------------------

/** torch's add_text: "<tag>/text_summary", a DT_STRING tensor of shape [1], the text plugin's metadata. */
const textEvent = (tag: string, text: string, wallTime = 1) => ({
  wallTime,
  summary: { value: [{ tag: `${tag}/text_summary`, tensor: { dtype: 7, tensorShape: { dim: [{ size: 1 }] }, stringVal: [Buffer.from(text)] }, metadata: { pluginData: { pluginName: 'text' } } }] },
});
const valuesEvent = (step: number, value: Value[]) => ({ step, summary: { value } });

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pp-tensorboard-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function runDir(...segments: string[]): Promise<string> {
  const dir = path.join(tmp, Math.random().toString(36).slice(2), ...segments);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function writeEvents(dir: string, events: object[], name = 'events.out.tfevents.1700000000.host.1.0'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, eventBytes(events));
  return file;
}

const readTmp = (file: string, aliases = DEFAULT_ALIASES, options = {}) => readTensorBoardRun(file, { root: tmp, aliases }, options);

// --- tests -------------------------------------------------------------------------------------

describe('tensorboard reader: matching', () => {
  it('takes events.out.tfevents.* files, Keras ".v2" ones included', () => {
    assert.equal(tensorboardReader.id, 'tensorboard');
    assert.equal(tensorboardReader.label, 'TensorBoard');
    assert.ok(tensorboardReader.matches('events.out.tfevents.1714558500.gpu01.4242.0', HF));
    assert.ok(tensorboardReader.matches('events.out.tfevents.1714558500.ws-07.9121.0.v2', KERAS_TRAIN));
    assert.ok(isEventFile('events.out.tfevents.x'));
    assert.ok(!isEventFile('events.out.tfevents'));
    assert.ok(!isEventFile('my.events.out.tfevents.1'));
    assert.ok(!isEventFile('metrics.csv'));
  });
});

describe('tensorboard reader: scalar encodings', () => {
  it('simple_value (torch writer) decodes to the float32 written', async () => {
    const values: number[] = [];
    for await (const item of readTfRecords(HF)) {
      if (item.kind !== 'record') continue;
      for (const v of decodeEvent(item.data).summary?.value ?? []) if (v.tag === 'eval/loss' && v.simpleValue !== undefined) values.push(v.simpleValue);
    }
    assert.deepEqual(values, [5.8827, 4.2014, 3.6146, 3.4098, 3.3383].map(f32));
  });

  it('TF2 rank-0 tensors decode exactly: DT_FLOAT tensor_content and float_val, DT_DOUBLE double_val, DT_INT64 tensor_content', async () => {
    const seen = new Map<string, { dtype?: number; content: boolean; value: number }>();
    for await (const item of readTfRecords(TF2_FIRST)) {
      if (item.kind !== 'record') continue;
      const event = decodeEvent(item.data);
      for (const v of event.summary?.value ?? []) {
        if (!v.tensor || (event.step ?? 0) !== (v.tag === 'params' ? 0 : 100)) continue;
        const scalar = tensorScalar(v.tensor);
        if ('value' in scalar) seen.set(v.tag ?? '', { dtype: v.tensor.dtype, content: (v.tensor.tensorContent?.length ?? 0) > 0, value: scalar.value });
      }
    }
    assert.deepEqual(Object.fromEntries(seen), {
      params: { dtype: DT.INT64, content: true, value: 25165824 },
      loss: { dtype: DT.FLOAT, content: true, value: f32(5.5968) },
      tokens: { dtype: DT.DOUBLE, content: false, value: 100 * 123457 + 7 },
      val_loss: { dtype: DT.FLOAT, content: false, value: f32(5.7827) },
    });
  });

  it('half, bfloat16 and integer tensors, from typed fields or little-endian content', () => {
    const scalar = (t: Tensor) => tensorScalar(t);
    assert.deepEqual(scalar({ dtype: DT.HALF, halfVal: [0x4247] }), { value: 3.138671875 });
    assert.deepEqual(scalar({ dtype: DT.HALF, tensorContent: Buffer.from([0x00, 0x3c]) }), { value: 1 });
    assert.ok(Number.isNaN((scalar({ dtype: DT.HALF, halfVal: [0x7e00] }) as { value: number }).value));
    assert.deepEqual(scalar({ dtype: DT.BFLOAT16, tensorContent: Buffer.from([0x49, 0x40]) }), { value: 3.140625 });
    assert.deepEqual(scalar({ dtype: DT.BFLOAT16, halfVal: [0x4049] }), { value: 3.140625 });
    assert.deepEqual(scalar({ dtype: DT.INT32, intVal: [-7] }), { value: -7 });
    assert.deepEqual(scalar({ dtype: DT.UINT8, tensorContent: Buffer.from([200]) }), { value: 200 });
    assert.deepEqual(scalar({ dtype: DT.DOUBLE, tensorContent: Buffer.from(new Float64Array([0.1]).buffer) }), { value: 0.1 });
    assert.deepEqual(scalar({ dtype: DT.FLOAT, tensorShape: { dim: [{ size: 1 }, { size: 1 }] }, floatVal: [2.5] }), { value: 2.5 });
  });

  it('says why a tensor is not a scalar', () => {
    assert.deepEqual(tensorScalar({ dtype: DT.STRING }), { problem: 'a DT_STRING tensor is not a number' });
    assert.deepEqual(tensorScalar({ dtype: DT.FLOAT, tensorShape: { dim: [{ size: 3 }, { size: 3 }] }, floatVal: [1] }), { problem: 'a tensor of shape [3 x 3] is not a single number' });
    assert.deepEqual(tensorScalar({ dtype: DT.FLOAT, tensorShape: { unknownRank: true } }), { problem: 'a tensor of shape [?] is not a single number' });
    assert.deepEqual(tensorScalar({ dtype: DT.DOUBLE, tensorContent: Buffer.from([1, 2, 3]) }), { problem: 'its DT_DOUBLE tensor_content holds 3 bytes, fewer than one value' });
    assert.deepEqual(tensorScalar({ dtype: DT.FLOAT }), { problem: 'its DT_FLOAT tensor holds no value' });
  });

  it('hparams values: numbers, strings, bools and null; structs and lists left out', () => {
    assert.equal(protoValue({ numberValue: 0 }), 0);
    assert.equal(protoValue({ stringValue: 'bf16-mixed' }), 'bf16-mixed');
    assert.equal(protoValue({ boolValue: false }), false);
    assert.equal(protoValue({ nullValue: 0 }), null);
    assert.equal(protoValue({ listValue: { values: [] } }), undefined);
    assert.equal(protoValue(undefined), undefined);
  });
});

describe('tensorboard reader: fixtures', () => {
  it('Lightning TensorBoardLogger: losses from the event file, N, D and precision from hparams.yaml beside it', async () => {
    const { runs, diagnostics, inputs, notMine } = await readTensorBoardRun(LIGHTNING, context);
    assert.equal(notMine, undefined);
    const run = runs[0];
    const hparams = at('lightning/lightning_logs/version_0/hparams.yaml');
    assert.ok(isComplete(run));
    assert.equal(run.id, 'lightning/lightning_logs/version_0/events.out.tfevents.1714560000.gpu01.5151.0');
    assert.equal(run.name, 'lightning_logs/version_0');
    assert.equal(run.format, 'tensorboard');
    assert.equal(run.file, LIGHTNING);
    assert.equal(run.params, 10647552);
    assert.equal(run.tokens, 600 * 64 * 256);
    assert.deepEqual(run.precision, BF16);
    assert.equal(run.finalLoss, f32(3.3434));
    assert.deepEqual(run.sources, {
      params: { file: hparams, line: 6, field: 'n_params' },
      tokens: { file: hparams, line: 8, field: 'max_steps × batch_size × block_size' },
      precision: { file: hparams, line: 10, field: 'precision' },
      finalLoss: { file: LIGHTNING, field: 'val_loss' },
    });
    assert.deepEqual(diagnostics.map(brief), [{ file: 'lightning/lightning_logs/version_0/hparams.yaml', field: 'tokens', severity: 'info' }]);
    const curve = run.curve ?? [];
    assert.equal(curve.length, 63);
    assert.deepEqual(
      curve.filter((p) => p.split === 'val'),
      [
        { step: 199, split: 'val', loss: f32(4.2314) },
        { step: 399, split: 'val', loss: f32(3.4398) },
        { step: 599, split: 'val', loss: f32(3.3434) },
      ],
    );
    assert.deepEqual(curve[0], { step: 9, split: 'train', loss: f32(10.0809) });
    assert.deepEqual(run.meta, { eventFiles: 1, records: 128, lastStep: 599, validationTag: 'val_loss', trainTag: 'train_loss', fileVersion: 'brain.Event:2', tokensFrom: 'steps × batch size × sequence length' });
    assert.equal(run.unfinished, undefined);
    assert.ok(inputs?.includes(hparams));
    assert.ok(inputs?.includes(at('lightning/lightning_logs/config.yaml')) === false, 'the parent is only looked at without a config beside');
  });

  it("Hugging Face TensorBoardCallback without a trainer_state.json: eval/loss, N from model_config, precision from args, D from num_input_tokens_seen", async () => {
    const { runs, diagnostics } = await readTensorBoardRun(HF, context);
    const run = runs[0];
    assert.equal(run.name, 'May01_10-15-00_gpu01');
    assert.equal(run.finalLoss, f32(3.3383));
    assert.equal(run.tokens, 500 * 16 * 512);
    assert.deepEqual(run.precision, BF16);
    // GPT-2 with 6 layers of d=384 (n_inner null: 4d): 6 x (4d² + 4d + 8d² + 5d + 4d) + 2d.
    assert.equal(run.params, 6 * (12 * 384 * 384 + 13 * 384) + 2 * 384);
    assert.ok(isComplete(run));
    assert.deepEqual(run.sources, {
      finalLoss: { file: HF, field: 'eval/loss' },
      params: { file: HF, field: 'architecture (model_type, n_layer, n_embd, n_head)' },
      tokens: { file: HF, field: 'train/num_input_tokens_seen' },
      // The args text summary decides, not the hparams plugin's copy in the subfolder.
      precision: { file: HF, field: 'args/text_summary.bf16' },
    });
    assert.deepEqual(diagnostics.map((d) => [d.code, d.field, d.severity]), [['derived', 'params', 'info']]);
    const curve = run.curve ?? [];
    assert.equal(curve.length, 15);
    assert.deepEqual(curve.slice(-2), [
      { step: 500, split: 'eval', loss: f32(3.3383), tokens: 4096000 },
      { step: 500, split: 'train', loss: f32(3.2247), tokens: 4096000 },
    ]);
    assert.equal(run.meta?.eventFiles, 2);
  });

  it("the add_hparams subfolder's file belongs to the run above it", async () => {
    const r = await readTensorBoardRun(HF_HPARAMS, context);
    assert.deepEqual([r.runs, r.diagnostics, r.notMine], [[], [], true]);
    for (const input of [HF, HF_HPARAMS, at(HF_DIR), at(`${HF_DIR}/1714558500.2143218`)]) assert.ok(r.inputs?.includes(input), input);
    // Whether a Trainer run owns the folder is decided by these: a trainer_state.json appearing there changes the answer.
    assert.ok(r.inputs?.includes(at('hf-trainer/trainer_state.json')));
  });

  it('TF2 tensors over two files: a restart from step 200 replaces the steps it logged again', async () => {
    const { runs, diagnostics } = await readTensorBoardRun(TF2_FIRST, context);
    const run = runs[0];
    const config = at('tf2-tensors/gpt-25m/config.json');
    assert.ok(isComplete(run));
    assert.deepEqual(diagnostics, []);
    assert.equal(run.params, 25165824);
    assert.equal(run.tokens, 500 * 123457 + 7);
    assert.deepEqual(run.precision, BF16);
    assert.equal(run.finalLoss, f32(3.2483));
    assert.deepEqual(run.sources, {
      params: { file: TF2_FIRST, field: 'params' },
      tokens: { file: TF2_SECOND, field: 'tokens' },
      precision: { file: config, line: 3, field: 'dtype' },
      finalLoss: { file: TF2_SECOND, field: 'val_loss' },
    });
    const curve = run.curve ?? [];
    const val = curve.filter((p) => p.split === 'val');
    const train = curve.filter((p) => p.split === 'train');
    assert.deepEqual(
      val.map((p) => [p.step, p.loss]),
      [
        [100, f32(5.7827)],
        [200, f32(4.1114)],
        [300, f32(3.5246)],
        [400, f32(3.3198)],
        [500, f32(3.2483)],
      ],
    );
    assert.equal(train.length, 10 + 16);
    assert.deepEqual(
      train.filter((p) => p.step >= 180 && p.step <= 220).map((p) => [p.step, p.loss]),
      [
        [180, f32(4.1205)],
        [200, f32(3.9349)],
        [220, f32(3.7804)],
      ],
    );
    assert.equal(val[4].tokens, 61728507);
    assert.equal(run.meta?.restarts, 2);
    assert.equal(run.meta?.eventFiles, 2);
    assert.equal((await readTensorBoardRun(TF2_SECOND, context)).notMine, true);
  });

  it('Keras train/ and validation/ folders are one run; the validation epoch_loss is the final loss', async () => {
    const { runs, diagnostics } = await readTensorBoardRun(KERAS_TRAIN, context);
    const run = runs[0];
    assert.equal(run.name, '20240501-101500');
    assert.equal(run.file, KERAS_TRAIN);
    assert.equal(run.finalLoss, f32(2.28));
    assert.deepEqual(run.sources, { finalLoss: { file: KERAS_VAL, field: 'validation/epoch_loss' } });
    assert.deepEqual(run.missing, ['params', 'tokens', 'precision']);
    assert.deepEqual(
      diagnostics.map((d) => [d.field, d.severity]),
      [
        ['params', 'warning'],
        ['tokens', 'warning'],
        ['precision', 'warning'],
      ],
    );
    assert.deepEqual(
      (run.curve ?? []).map((p) => `${p.split}@${p.step}=${p.loss}`),
      [3.0, 2.9, 2.73, 2.58, 2.52, 2.32, 2.37, 2.12, 2.28, 1.98].map((v, i) => `${i % 2 ? 'train' : 'val'}@${i >> 1}=${f32(v)}`),
    );
    assert.equal(run.meta?.lastStep, 4);
    assert.equal(run.meta?.validationTag, 'validation/epoch_loss');
    assert.equal((await readTensorBoardRun(KERAS_VAL, context)).notMine, true);
  });

  it('a crashed run: the cut last record is noted with its byte offset, everything before it read', async () => {
    const { runs, diagnostics } = await readTensorBoardRun(CRASHED, context);
    const run = runs[0];
    assert.equal(run.unfinished, true);
    // val/loss was written as DT_DOUBLE tensors: the value is exact, not a float32.
    assert.equal(run.finalLoss, 3.6146);
    assert.deepEqual(run.sources.finalLoss, { file: CRASHED, field: 'val/loss' });
    const cut = diagnostics[0];
    assert.deepEqual(brief(cut), { file: 'crashed/runs/exp-small/events.out.tfevents.1714558500.gpu02.7001.0', field: undefined, severity: 'warning' });
    assert.equal(cut.line, undefined);
    assert.equal(
      cut.message,
      'truncated last record at byte 1314 (record 25, 38 of its 69 bytes written): the writer stopped mid-write (crashed, killed, or still running); the 25 records before it are read',
    );
    const val = (run.curve ?? []).filter((p) => p.split === 'val');
    assert.deepEqual(
      val.map((p) => [p.step, p.loss]),
      [
        [100, 5.8827],
        [200, 4.2014],
        [300, 3.6146],
      ],
    );
  });

  it('a corrupted record is skipped with its index and byte offset, the rest read', async () => {
    const { runs, diagnostics } = await readTensorBoardRun(CORRUPTED, context);
    const run = runs[0];
    assert.equal(diagnostics[0].message, 'record 19 (byte 956): the data checksum does not match (the file is damaged there); record skipped');
    assert.equal(diagnostics[0].severity, 'warning');
    assert.equal(run.finalLoss, f32(3.4098));
    assert.deepEqual(
      (run.curve ?? []).filter((p) => p.split === 'val').map((p) => p.step),
      [100, 200, 400],
    );
    assert.equal(run.meta?.damagedRecords, 1);
    assert.equal(run.meta?.records, 25);
    assert.equal(run.unfinished, undefined);
  });

  it('a damaged length field ends the reading there, and says so', async () => {
    const { runs, diagnostics } = await readTensorBoardRun(FRAMING_LOST, context);
    const run = runs[0];
    assert.equal(
      diagnostics[0].message,
      'record 12 (byte 615): the length checksum does not match, so the records after it cannot be found; events.out.tfevents.1714558500.gpu04.7003.0 is read up to byte 615 (12 records)',
    );
    assert.equal(run.finalLoss, f32(5.8827));
    assert.equal(run.meta?.lastStep, 180);
  });

  it('NaN, infinite and negative losses are left out and reported; a NaN last validation loss means no final loss', async () => {
    const { runs, diagnostics } = await readTensorBoardRun(NAN, context);
    const run = runs[0];
    assert.equal(run.finalLoss, undefined);
    assert.deepEqual(run.missing, ['params', 'tokens', 'precision', 'finalLoss']);
    assert.equal(incompleteText(run), 'loss is NaN (the last val/loss, step 400); missing N (parameters), D (training tokens), training precision');
    assert.ok((run.curve ?? []).every((p) => Number.isFinite(p.loss) && p.loss > 0));
    assert.deepEqual(
      diagnostics.filter((d) => d.field === 'val/loss' || d.field === 'train/loss').map((d) => d.message),
      [
        'record 19 (byte 956): val/loss is NaN at step 300; left out of the curve',
        'record 21 (byte 1052): train/loss is -1 at step 340; left out of the curve',
        'record 23 (byte 1150): train/loss is Infinity at step 380; left out of the curve',
        'record 24 (byte 1199): train/loss is Infinity at step 400; left out of the curve',
        'record 25 (byte 1248): val/loss is NaN at step 400; left out of the curve',
        'the last val/loss (step 400, record 25 at byte 1248) is NaN: not a usable final loss (did the run diverge?); the run has no final loss',
      ],
    );
  });

  it('a binary file under an event file name is reported on that file, not skipped silently', async () => {
    const result = await readTensorBoardRun(NOT_EVENTS, context);
    assert.equal(result.notMine, undefined);
    assert.deepEqual(result.runs, []);
    assert.deepEqual(result.diagnostics.map(brief), [{ file: 'not-events/logs/events.out.tfevents.x', field: undefined, severity: 'warning' }]);
    assert.match(result.diagnostics[0].message, /^events\.out\.tfevents\.x is not a TensorBoard event file \(no valid TFRecord header\b.*; not read$/);
  });

  it('random bytes under an event file name: one warning on that file, through scan too', async () => {
    const dir = await mkdtemp(path.join(tmp, 'random-'));
    const file = path.join(dir, 'events.out.tfevents.1714558500.gpu01.4242.0');
    // Bytes that are no TFRecord header (a random header's checksum matches once in 2^32).
    const bytes = randomBytes(4096);
    bytes.writeUInt32LE((maskedCrc32c(bytes.subarray(0, 8)) + 1) >>> 0, 8);
    await writeFile(file, bytes);
    const result = await readTensorBoardRun(file, context);
    assert.deepEqual(result.diagnostics.map((d) => [d.file, d.severity]), [[file, 'warning']]);
    assert.match(result.diagnostics[0].message, /not a TensorBoard event file/);
    const scanned = await scan([dir]);
    assert.deepEqual(scanned.runs, []);
    assert.deepEqual(scanned.diagnostics.map((d) => [d.file, d.severity]), [[file, 'warning']]);
  });

  it('an empty event file (nothing flushed yet) yields no run and one info', async () => {
    const { runs, diagnostics, notMine } = await readTensorBoardRun(EMPTY, context);
    assert.equal(notMine, undefined);
    assert.deepEqual(runs, []);
    assert.deepEqual(diagnostics.map(brief), [{ file: 'empty/runs/just-started/events.out.tfevents.1714558500.gpu06.7005.0', field: undefined, severity: 'info' }]);
    assert.match(diagnostics[0].message, /is empty: the writer has not flushed anything yet/);
  });

  it('every fixture event file is either read or not mine, never both, and one reader per run', async () => {
    const owners = await Promise.all([HF, HF_HPARAMS, LIGHTNING, TF2_FIRST, TF2_SECOND, KERAS_TRAIN, KERAS_VAL, CRASHED, TF0, ...SWEEP].map((f) => readTensorBoardRun(f, context)));
    assert.deepEqual(
      owners.map((r) => (r.notMine ? 0 : r.runs.length)),
      [1, 0, 1, 1, 0, 1, 0, 1, 1, 7, 0, 0, 0, 0, 0, 0],
    );
  });
});

const HF_OWNED_DIR = path.resolve(__dirname, '../fixtures/hf-trainer/with-tensorboard');
const HF_OWNED = path.join(HF_OWNED_DIR, 'runs/May02_09-30-00_gpu07/events.out.tfevents.1714642200.gpu07.31337.0');

describe('tensorboard reader: Hugging Face output folders', () => {
  it("event files under a Trainer output folder are the Trainer run's: not mine, with the state among the inputs", async () => {
    const r = await readTensorBoardRun(HF_OWNED, { root: path.dirname(HF_OWNED_DIR), aliases: DEFAULT_ALIASES });
    assert.deepEqual([r.runs, r.diagnostics, r.notMine], [[], [], true]);
    assert.ok(r.inputs?.includes(path.join(HF_OWNED_DIR, 'trainer_state.json')));
  });

  it('a scan of the output folder with every reader finds one run, the Trainer\'s, and says the event file was joined', async () => {
    const s = await scan([HF_OWNED_DIR], { readers: READERS });
    assert.deepEqual(
      s.runs.map((r) => [r.format, r.id]),
      [['hf-trainer', 'trainer_state.json']],
    );
    const grouped = s.diagnostics.filter((d) => d.code === 'grouped');
    assert.equal(grouped.length, 1);
    assert.deepEqual([grouped[0].file, grouped[0].severity], [path.join(HF_OWNED_DIR, 'trainer_state.json'), 'info']);
    assert.match(grouped[0].message, /runs\/May02_09-30-00_gpu07\/events\.out\.tfevents\.1714642200\.gpu07\.31337\.0/);
  });

  it('with the state only in a checkpoint folder, the event files are still the Trainer run\'s', async () => {
    const dir = await runDir('out');
    await cp(HF_OWNED_DIR, dir, { recursive: true });
    await mkdir(path.join(dir, 'checkpoint-400'));
    await rename(path.join(dir, 'trainer_state.json'), path.join(dir, 'checkpoint-400', 'trainer_state.json'));
    const events = path.join(dir, path.relative(HF_OWNED_DIR, HF_OWNED));
    const r = await readTmp(events);
    assert.equal(r.notMine, true);
    assert.ok(r.inputs?.includes(path.join(dir, 'checkpoint-400', 'trainer_state.json')));
  });

  it('without any trainer_state.json the event file is a run of its own: N from model_config, bf16 from args, D from train/total_flos', async () => {
    const dir = await runDir('copied-logs', 'runs', 'May02_09-30-00_gpu07');
    const events = path.join(dir, path.basename(HF_OWNED));
    await copyFile(HF_OWNED, events);
    const { runs, diagnostics } = await readTmp(events);
    const run = runs[0];
    const gpt2 = 4 * (12 * 256 * 256 + 13 * 256) + 2 * 256;
    assert.equal(run.params, gpt2);
    assert.deepEqual(run.precision, BF16);
    assert.deepEqual(run.sources.precision, { file: events, field: 'args/text_summary.bf16' });
    // total_flos / (6 N), N being the Trainer's count: GPT-2 ties its head, so N itself.
    assert.equal(run.tokens, 400 * 8 * 4 * 1024);
    assert.deepEqual(run.sources.tokens, { file: events, field: 'train/total_flos' });
    assert.equal(run.meta?.tokensFrom, 'total_flos / (6 N)');
    const d = byField(diagnostics, 'tokens');
    assert.deepEqual(
      d.map((x) => [x.severity, x.code]),
      [['info', 'derived']],
    );
    assert.match(d[0].message, /train\/total_flos in events\.out\.tfevents\.1714642200\.gpu07\.31337\.0 as total_flos \/ \(6 x 3159552\)/);
    assert.equal(run.finalLoss, f32(3.7624), 'the last eval/loss');
    assert.ok(isComplete(run));
  });

  it("args with bf16 and fp16 false are fp32 training, said as the Trainer's default; model_config's torch_dtype never decides", async () => {
    const dir = await runDir('runs', 'fp32');
    const file = await writeEvents(dir, [
      textEvent('args', JSON.stringify({ per_device_train_batch_size: 8, bf16: false, fp16: false, bf16_full_eval: true, tf32: true }, null, 2)),
      textEvent('model_config', JSON.stringify({ model_type: 'llama', hidden_size: 256, intermediate_size: 688, num_attention_heads: 4, num_hidden_layers: 4, torch_dtype: 'bfloat16', vocab_size: 32000 }, null, 2)),
      scalarEvent(100, 'eval/loss', 3.5),
    ]);
    const { runs, diagnostics } = await readTmp(file);
    assert.deepEqual(runs[0].precision?.w, PRECISION_NAMES.fp32);
    assert.deepEqual(runs[0].sources.precision, { file, field: 'args/text_summary.bf16' });
    const note = byField(diagnostics, 'precision');
    assert.deepEqual(
      note.map((x) => [x.severity, x.code]),
      [['info', 'default']],
    );
    assert.match(note[0].message, /^bf16 and fp16 are false \(args\/text_summary in events\.out\.tfevents\.1700000000\.host\.1\.0\): the Trainer ran without mixed precision, in fp32 \(tf32 on/);
    assert.equal(runs[0].params, 4 * (4 * 256 * 256 + 3 * 256 * 688 + 2 * 256) + 256);
    assert.deepEqual(runs[0].sources.params, { file, field: 'architecture (model_type, vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size)' });
  });

  it('QLoRA seen in model_config: nf4 weights, bf16 compute from the args, and train/total_flos not taken for D', async () => {
    const dir = await runDir('runs', 'qlora');
    const model = { model_type: 'llama', hidden_size: 256, intermediate_size: 688, num_attention_heads: 4, num_hidden_layers: 4, vocab_size: 32000, quantization_config: { load_in_4bit: true, bnb_4bit_quant_type: 'nf4', bnb_4bit_compute_dtype: 'float16', quant_method: 'bitsandbytes' } };
    const file = await writeEvents(dir, [
      textEvent('args', JSON.stringify({ bf16: true, fp16: false }, null, 2)),
      textEvent('model_config', JSON.stringify(model, null, 2)),
      scalarEvent(100, 'eval/loss', 3.5),
      scalarEvent(100, 'train/total_flos', 1e15),
    ]);
    const { runs, diagnostics } = await readTmp(file);
    assert.deepEqual(runs[0].precision, { w: PRECISION_NAMES.nf4, a: PRECISION_NAMES.bf16, kv: PRECISION_NAMES.bf16 });
    assert.deepEqual(runs[0].sources.precision, { file, field: 'model_config/text_summary.quantization_config' });
    assert.deepEqual(
      byField(diagnostics, 'precision').map((d) => [d.severity, d.code]),
      [['info', 'derived']],
    );
    assert.equal(runs[0].tokens, undefined);
    const refused = byField(diagnostics, 'tokens').find((d) => d.code === 'bad-value');
    assert.match(refused?.message ?? '', /train\/total_flos in .* is not used for D: this is weights loaded quantized/);
  });

  it('a loss under a dev/ namespace is a validation curve', async () => {
    const dir = await runDir('runs', 'dev');
    const file = await writeEvents(dir, [scalarEvent(10, 'dev/loss', 3.5), scalarEvent(10, 'train/loss', 3.25)]);
    const run = (await readTmp(file)).runs[0];
    assert.equal(run.finalLoss, 3.5);
    assert.deepEqual(
      run.curve?.map((p) => p.split),
      ['val', 'train'],
    );
  });

  it('a text summary that is not JSON is reported on its tag and the run read without it', async () => {
    const dir = await runDir('runs', 'bad-args');
    const file = await writeEvents(dir, [textEvent('args', '{"bf16": tru'), scalarEvent(100, 'eval/loss', 3.5)]);
    const { runs, diagnostics } = await readTmp(file);
    assert.equal(runs[0].finalLoss, 3.5);
    assert.equal(runs[0].precision, undefined);
    const bad = byField(diagnostics, 'args/text_summary');
    assert.deepEqual(
      bad.map((x) => [x.severity, x.code]),
      [['warning', 'syntax']],
    );
  });
});

describe('tensorboard reader: TensorFlow 0.x and namespaced losses', () => {
  it('a 2016 TF 0.x file: "valid/average loss" is the final loss, "train/average loss" the training curve', async () => {
    const { runs, diagnostics } = await readTensorBoardRun(TF0, context);
    const run = runs[0];
    // tf0_valid(13) in generate_plain.py: 4.9 + 1.6 exp(-13 / 2.5), to 4 places.
    assert.equal(run.finalLoss, f32(4.9088));
    assert.deepEqual(run.sources.finalLoss, { file: TF0, field: 'valid/average loss' });
    assert.equal(run.meta?.validationTag, 'valid/average loss');
    assert.equal(run.meta?.trainTag, 'train/average loss');
    assert.equal(run.meta?.lastStep, 13 * 2323);
    const curve = run.curve ?? [];
    assert.equal(curve.filter((p) => p.split === 'val').length, 13);
    assert.equal(curve.filter((p) => p.split === 'train').length, 13);
    assert.deepEqual(run.missing, ['params', 'tokens', 'precision']);
    assert.deepEqual(
      byField(diagnostics, 'finalLoss'),
      [],
    );
  });

  it('namespaced loss tags: the plain loss before an average of it, held-out splits before test, never a bare or training one', () => {
    assert.deepEqual(pickLossKeys(['valid/average loss', 'train/average loss', 'valid/perplexity'], DEFAULT_ALIASES), { val: 'valid/average loss', train: 'train/average loss' });
    assert.deepEqual(pickLossKeys(['valid/average_loss'], DEFAULT_ALIASES).val, 'valid/average_loss');
    assert.deepEqual(pickLossKeys(['validation/loss', 'train/loss'], DEFAULT_ALIASES), { val: 'validation/loss', train: 'train/loss' });
    assert.deepEqual(pickLossKeys(['eval/lm_loss', 'eval/accuracy'], DEFAULT_ALIASES).val, 'eval/lm_loss');
    assert.deepEqual(pickLossKeys(['valid/kl_loss', 'valid/average loss', 'valid/loss'], DEFAULT_ALIASES).val, 'valid/loss');
    assert.deepEqual(pickLossKeys(['test/loss_avg', 'dev/loss_avg'], DEFAULT_ALIASES).val, 'dev/loss_avg');
    assert.deepEqual(pickLossKeys(['average loss', 'valid/perplexity'], DEFAULT_ALIASES), { val: undefined, train: undefined });
    assert.deepEqual(pickLossKeys(['val_loss', 'valid/average loss'], DEFAULT_ALIASES).val, 'val_loss', 'an alias comes first');
    assert.equal(namespacedLoss('valid/average loss')?.split, 'held-out');
    assert.equal(namespacedLoss('train/average loss')?.split, 'train');
    assert.equal(namespacedLoss('weights/loss_scale')?.split, undefined);
  });

  it('a valid/ split folder holding "average loss" is read as the final loss too', async () => {
    const dir = await runDir('logs', 'ptb');
    await mkdir(path.join(dir, 'valid'));
    await writeEvents(dir, [scalarEvent(10, 'average loss', 5.5), scalarEvent(20, 'average loss', 5.0)]);
    await writeEvents(path.join(dir, 'valid'), [scalarEvent(10, 'average loss', 5.75), scalarEvent(20, 'average loss', 5.25)], 'events.out.tfevents.1700000000.host.1.1');
    const run = (await readTmp(path.join(dir, 'events.out.tfevents.1700000000.host.1.0'))).runs[0];
    assert.equal(run.finalLoss, 5.25);
    assert.deepEqual(run.sources.finalLoss?.field, 'valid/average loss');
  });
});

describe('tensorboard reader: one folder, several trainings', () => {
  it('seven trainings logged one after another into one folder are seven runs, each with its own N and final loss', async () => {
    const { runs, diagnostics } = await readTensorBoardRun(SWEEP[0], context);
    assert.deepEqual(
      runs.map((r) => r.id),
      SWEEP.map((f) => path.relative(FIXTURES, f)),
      'each run is named by its folder and file, stable as files are added',
    );
    assert.deepEqual(
      runs.map((r) => r.params),
      [3_200_000, 6_400_000, 12_800_000, 25_600_000, 51_200_000, 102_400_000, 204_800_000],
    );
    assert.deepEqual(
      runs.map((r) => r.sources.params),
      SWEEP.map((file) => ({ file, field: 'n_params' })),
    );
    // generate_plain.py: floor 3.9 - 0.12 i, plus 0.08 + 6 exp(-1000 / 210) at step 1000.
    assert.deepEqual(
      runs.map((r) => r.finalLoss),
      [1, 2, 3, 4, 5, 6, 7].map((i) => f32(Math.round((3.9 - 0.12 * i + 0.08 + 6 * Math.exp(-1000 / 210)) * 1e4) / 1e4)),
    );
    assert.deepEqual(
      runs.map((r) => [r.name, r.meta?.training, r.meta?.eventFiles]),
      [1, 2, 3, 4, 5, 6, 7].map((i) => [`sweep #${i}`, i, 1]),
    );
    const grouped = diagnostics.filter((d) => d.code === 'grouped');
    assert.equal(grouped.length, 1);
    assert.deepEqual([grouped[0].file, grouped[0].severity], [SWEEP[0], 'info']);
    assert.match(grouped[0].message, /^the event files in sweep\/ are 7 separate trainings, read as 7 runs: events\.out\.tfevents\.1714731200\.node3\.52034\.0 starts again at step 0 \(the training before it reached step 1000\)/);
    for (const other of SWEEP.slice(1)) assert.equal((await readTensorBoardRun(other, context)).notMine, true);
  });

  it('a training resumed in a new process (the later file carries on at a later step) stays one run', async () => {
    const dir = await runDir('runs', 'resumed');
    await writeEvents(dir, [scalarEvent(100, 'val_loss', 4, 1000), scalarEvent(200, 'val_loss', 3.75, 2000), scalarEvent(300, 'val_loss', 3.6, 3000)], 'events.out.tfevents.1000.node.11.0');
    await writeEvents(dir, [scalarEvent(200, 'val_loss', 3.7, 5000), scalarEvent(400, 'val_loss', 3.5, 6000)], 'events.out.tfevents.5000.node.12.0');
    const { runs, diagnostics } = await readTmp(path.join(dir, 'events.out.tfevents.1000.node.11.0'));
    assert.equal(runs.length, 1);
    assert.equal(runs[0].finalLoss, 3.5);
    assert.deepEqual(
      runs[0].curve?.map((p) => p.step),
      [100, 200, 400],
      'the steps logged again after the restart replace the earlier ones',
    );
    assert.equal(diagnostics.filter((d) => d.code === 'grouped').length, 0);
  });

  it("one process's train and valid writers, both from step 0 at the same time, are one training", async () => {
    const dir = await runDir('logs', 'two-writers');
    await writeEvents(dir, [scalarEvent(0, 'train/loss', 6, 1000), scalarEvent(100, 'train/loss', 4, 1100)], 'events.out.tfevents.1000.box.77.0');
    await writeEvents(dir, [scalarEvent(0, 'valid/loss', 6.5, 1001), scalarEvent(100, 'valid/loss', 4.5, 1101)], 'events.out.tfevents.1000.box.77.1');
    const { runs } = await readTmp(path.join(dir, 'events.out.tfevents.1000.box.77.0'));
    assert.equal(runs.length, 1);
    assert.equal(runs[0].finalLoss, 4.5);
  });

  it('one process that trained twice in a row (a notebook), each time from step 0, is two runs', async () => {
    const dir = await runDir('logs', 'notebook');
    await writeEvents(dir, [scalarEvent(0, 'val_loss', 6, 1000), scalarEvent(100, 'val_loss', 4, 1100)], 'events.out.tfevents.1000.box.77.0');
    await writeEvents(dir, [scalarEvent(0, 'val_loss', 6.2, 1200), scalarEvent(100, 'val_loss', 3.9, 1300)], 'events.out.tfevents.1200.box.77.1');
    const { runs, diagnostics } = await readTmp(path.join(dir, 'events.out.tfevents.1000.box.77.0'));
    assert.deepEqual(
      runs.map((r) => [path.basename(r.id), r.finalLoss]),
      [
        ['events.out.tfevents.1000.box.77.0', 4],
        ['events.out.tfevents.1200.box.77.1', f32(3.9)],
      ],
    );
    assert.equal(diagnostics.filter((d) => d.code === 'grouped').length, 1);
  });

  it('two processes logging into one folder at the same time are two trainings', async () => {
    const dir = await runDir('logs', 'concurrent');
    await writeEvents(dir, [scalarEvent(10, 'val_loss', 6, 1000), scalarEvent(500, 'val_loss', 4, 1500)], 'events.out.tfevents.1000.a.1.0');
    await writeEvents(dir, [scalarEvent(100, 'val_loss', 5, 1010), scalarEvent(500, 'val_loss', 3, 1490)], 'events.out.tfevents.1010.b.2.0');
    const { runs, diagnostics } = await readTmp(path.join(dir, 'events.out.tfevents.1000.a.1.0'));
    assert.deepEqual(
      runs.map((r) => r.finalLoss),
      [4, 3],
    );
    assert.match(diagnostics.find((d) => d.code === 'grouped')?.message ?? '', /written by another process \(b\.2\) while the training before it was still logging/);
  });
});

describe('tensorboard reader: grouping files into trainings', () => {
  const span = (file: string, s: Partial<Span>): Span => ({ file, ...s });

  it('the writer process comes from the file name: host and pid for torch and TF2, the host for TF1', () => {
    assert.equal(writerProcess('events.out.tfevents.1714558500.gpu01.4242.0'), 'gpu01.4242');
    assert.equal(writerProcess('events.out.tfevents.1714570000.tpu-host.100.0.v2'), 'tpu-host.100');
    assert.equal(writerProcess('events.out.tfevents.1462400000.lab-box'), 'lab-box');
    assert.equal(writerProcess('events.out.tfevents.1714558500.node.cluster.local.77.3'), 'node.cluster.local.77');
    assert.equal(writerProcess('metrics.csv'), undefined);
  });

  it('an Event head is read without decoding it', () => {
    const bytes = EventType.encode(EventType.fromObject({ wallTime: 1714558525.5, step: 50, summary: { value: [{ tag: 'x', simpleValue: 1 }] } })).finish();
    assert.deepEqual(eventHead(bytes), { wallTime: 1714558525.5, step: 50, summary: true });
    assert.deepEqual(eventHead(EventType.encode(EventType.fromObject({ wallTime: 1, fileVersion: 'brain.Event:2' })).finish()), { wallTime: 1, summary: false });
    assert.deepEqual(eventHead(Buffer.from([0x09, 1, 2])), { summary: false }, 'cut short: nothing made up');
  });

  it("a file's span skips the text summaries at step 0 for its first scalar step", async () => {
    const s = await fileSpan(HF);
    assert.deepEqual([s.process, s.start, s.firstStep, s.lastStep], ['gpu01.4242', 1714558500, 50, 500]);
  });

  it('restarts, continuations, siblings and files without scalars', () => {
    const a = span('events.out.tfevents.1.h.1.0', { process: 'h.1', start: 1, end: 100, firstStep: 0, lastStep: 1000 });
    const resumed = span('events.out.tfevents.200.h.2.0', { process: 'h.2', start: 200, end: 300, firstStep: 800, lastStep: 2000 });
    const fresh = span('events.out.tfevents.200.h.3.0', { process: 'h.3', start: 200, end: 300, firstStep: 0, lastStep: 1000 });
    const early = span('events.out.tfevents.200.h.4.0', { process: 'h.4', start: 200, end: 300, firstStep: 40, lastStep: 1000 });
    const quiet = span('events.out.tfevents.250.h.5.0', { process: 'h.5', start: 250, end: 250 });
    const files = (groups: ReturnType<typeof groupTrainings>) => groups.map((g) => g.spans.map((x) => x.file));
    assert.deepEqual(files(groupTrainings([resumed, a])), [[a.file, resumed.file]]);
    assert.deepEqual(files(groupTrainings([a, fresh])), [[a.file], [fresh.file]]);
    assert.deepEqual(files(groupTrainings([a, early])), [[a.file], [early.file]], 'within the first twentieth of where the training got to');
    assert.deepEqual(files(groupTrainings([a, fresh, quiet])), [[a.file], [fresh.file, quiet.file]]);
    assert.deepEqual(files(groupTrainings([quiet])), [[quiet.file]]);
    assert.equal(groupTrainings([a, fresh])[1].why, 'events.out.tfevents.200.h.3.0 starts again at step 0 (the training before it reached step 1000)');
  });
});

describe('tensorboard reader: tags', () => {
  it('canonical tags put the split first', () => {
    assert.equal(canonicalTag('epoch_loss', 'validation'), 'validation/loss');
    assert.equal(canonicalTag('Loss/val'), 'val/Loss');
    assert.equal(canonicalTag('loss/validation'), 'validation/loss');
    assert.equal(canonicalTag('eval/loss'), 'eval/loss');
    assert.equal(canonicalTag('weights/val'), 'weights/val');
  });

  it('a tag that names no split is a training loss, never the final loss', () => {
    assert.deepEqual(pickLossKeys(['loss'], DEFAULT_ALIASES), { val: undefined, train: 'loss' });
    assert.deepEqual(pickLossKeys(['loss', 'val_loss'], DEFAULT_ALIASES), { val: 'val_loss', train: 'loss' });
    assert.deepEqual(pickLossKeys(['train/loss', 'eval/loss'], DEFAULT_ALIASES), { val: 'eval/loss', train: 'train/loss' });
    assert.deepEqual(pickLossKeys(['val/Loss', 'train/Loss'], DEFAULT_ALIASES), { val: 'val/Loss', train: 'train/Loss' });
  });

  it('torch add_scalar("Loss/val") style tags give the final loss', async () => {
    const dir = await runDir('runs', 'exp');
    const file = await writeEvents(dir, [scalarEvent(10, 'Loss/train', 3.5), scalarEvent(10, 'Loss/val', 3.75), scalarEvent(20, 'Loss/train', 3.25), scalarEvent(20, 'Loss/val', 3.5)]);
    const run = (await readTmp(file)).runs[0];
    assert.equal(run.finalLoss, 3.5);
    assert.deepEqual(run.sources.finalLoss, { file, field: 'Loss/val' });
    assert.deepEqual(
      run.curve?.map((p) => p.split),
      ['val', 'train', 'val', 'train'],
    );
  });

  it('only a training loss: no final loss, and the diagnostic says why', async () => {
    const dir = await runDir('runs', 'train-only');
    const file = await writeEvents(dir, [scalarEvent(1, 'loss', 4), scalarEvent(2, 'loss', 3.5), scalarEvent(2, 'lr', 0.001)]);
    const { runs, diagnostics } = await readTmp(file);
    assert.equal(runs[0].finalLoss, undefined);
    const d = byField(diagnostics, 'finalLoss');
    assert.equal(d.length, 1);
    assert.equal(
      d[0].message,
      'the event file events.out.tfevents.1700000000.host.1.0 holds no validation loss among the scalars (looked for val_loss, eval_loss, validation_loss, valid_loss, loss, …; the tags are loss, lr); the training loss (loss) is not taken as the final loss; the run has no final loss',
    );
  });

  it("a user's loss alias names the validation tag", async () => {
    const dir = await runDir('runs', 'custom');
    const file = await writeEvents(dir, [scalarEvent(5, 'heldout/nll', 3.25), scalarEvent(5, 'tokens', 1e6), scalarEvent(5, 'model/n_params', 1.25e6)]);
    const plain = (await readTmp(file)).runs[0];
    assert.equal(plain.finalLoss, undefined);
    const run = (await readTmp(file, extendAliases({ loss: ['heldout/nll'] }))).runs[0];
    assert.equal(run.finalLoss, 3.25);
    assert.equal(run.tokens, 1e6);
    assert.equal(run.params, 1.25e6);
    assert.deepEqual(run.sources.params, { file, field: 'model/n_params' });
  });

  it('tensors: half precision and int scalars are read; a loss tag holding a non-scalar tensor is reported', async () => {
    const dir = await runDir('runs', 'tensors');
    const scalars = { pluginData: { pluginName: 'scalars' } };
    const file = await writeEvents(dir, [
      valuesEvent(10, [{ tag: 'val_loss', metadata: scalars, tensor: { dtype: DT.HALF, halfVal: [0x4247] } }]),
      valuesEvent(10, [{ tag: 'tokens', tensor: { dtype: DT.INT32, intVal: [81920] } }]),
      valuesEvent(20, [{ tag: 'val_loss', tensor: { dtype: DT.FLOAT, tensorShape: { dim: [{ size: 2 }] }, floatVal: [1, 2] } }]),
      valuesEvent(20, [{ tag: 'weights', metadata: { pluginData: { pluginName: 'histograms' } }, tensor: { dtype: DT.FLOAT, tensorShape: { dim: [{ size: 2 }] }, floatVal: [1, 2] } }]),
      valuesEvent(30, [{ tag: 'notes', metadata: { pluginData: { pluginName: 'text' } }, tensor: { dtype: DT.STRING } }]),
    ]);
    const { runs, diagnostics } = await readTmp(file);
    assert.equal(runs[0].finalLoss, 3.138671875);
    assert.equal(runs[0].tokens, 81920);
    assert.deepEqual(
      byField(diagnostics, 'val_loss').map((d) => d.message),
      ['record 3 (byte 133): val_loss at step 20: a tensor of shape [2] is not a single number; skipped'],
    );
  });

  it('a record with a good checksum but bytes that are no Event is skipped and reported', async () => {
    const dir = await runDir('runs', 'garbage');
    const good = eventBytes([scalarEvent(1, 'val_loss', 3)]);
    const file = path.join(dir, 'events.out.tfevents.1700000000.host.1.0');
    await writeFile(file, Buffer.concat([good, frameRecord(Buffer.from([0x0f, 0xff, 0xff]))]));
    const { runs, diagnostics } = await readTmp(file);
    assert.equal(runs[0].finalLoss, 3);
    assert.match(diagnostics[0].message, /^record 2 \(byte \d+\): not a valid Event message \(.+\); record skipped$/);
  });

  it('problems past twenty are counted, not listed', async () => {
    const dir = await runDir('runs', 'many-nan');
    const file = await writeEvents(
      dir,
      Array.from({ length: 30 }, (_, i) => scalarEvent(i, 'val_loss', NaN)),
    );
    const { diagnostics } = await readTmp(file);
    const nan = byField(diagnostics, 'val_loss');
    assert.equal(nan.filter((d) => /left out of the curve/.test(d.message)).length, 20);
    assert.ok(diagnostics.some((d) => d.message === '10 more problem records not listed'));
  });

  it('a long curve is thinned to the budget, first and last points kept', async () => {
    const dir = await runDir('runs', 'long');
    const file = await writeEvents(
      dir,
      Array.from({ length: 2000 }, (_, i) => scalarEvent(i, 'train/loss', 10 / (i + 1) + 2)),
    );
    const run = (await readTmp(file, DEFAULT_ALIASES, { maxCurvePoints: 100 })).runs[0];
    const curve = run.curve ?? [];
    assert.ok(curve.length <= 100 && curve.length >= 50, String(curve.length));
    assert.equal(curve[0].step, 0);
    assert.equal(curve[curve.length - 1].step, 1999);
  });
});

describe('tensorboard reader: folders', () => {
  it('the first file with records reads the run; empty and foreign siblings do not stop it', async () => {
    const dir = await runDir('runs', 'mixed');
    await writeFile(path.join(dir, 'events.out.tfevents.1600000000.host.1.0'), Buffer.alloc(0));
    await writeFile(path.join(dir, 'events.out.tfevents.1650000000.host.1.0'), Buffer.from('not a tfrecord file at all'));
    const real = await writeEvents(dir, [scalarEvent(1, 'val_loss', 3)]);
    assert.equal((await readTmp(path.join(dir, 'events.out.tfevents.1600000000.host.1.0'))).notMine, true);
    assert.equal((await readTmp(path.join(dir, 'events.out.tfevents.1650000000.host.1.0'))).notMine, true);
    const { runs, diagnostics } = await readTmp(real);
    assert.equal(runs[0].finalLoss, 3);
    assert.equal(runs[0].meta?.eventFiles, 2);
    assert.deepEqual(
      diagnostics.filter((d) => d.field === undefined).map((d) => [path.basename(d.file), d.message]),
      [['events.out.tfevents.1650000000.host.1.0', 'events.out.tfevents.1650000000.host.1.0 is not a TensorBoard event file (no valid TFRecord header: the checksum of its first record header does not match); the run is read without it']],
    );
  });

  it('a cut record in an older file followed by a newer one is a restart, not an unfinished run', async () => {
    const dir = await runDir('runs', 'restarted');
    const older = eventBytes([scalarEvent(1, 'val_loss', 4), scalarEvent(2, 'val_loss', 3.5)]);
    await writeFile(path.join(dir, 'events.out.tfevents.1600000000.host.1.0'), older.subarray(0, older.length - 10));
    await writeEvents(dir, [scalarEvent(2, 'val_loss', 3.4), scalarEvent(3, 'val_loss', 3.25)], 'events.out.tfevents.1600000999.host.2.0');
    const { runs, diagnostics } = await readTmp(path.join(dir, 'events.out.tfevents.1600000000.host.1.0'));
    assert.equal(runs[0].unfinished, undefined);
    assert.equal(runs[0].finalLoss, 3.25);
    assert.match(diagnostics[0].message, /^truncated last record at byte \d+/);
    assert.deepEqual(
      runs[0].curve?.map((p) => [p.step, p.loss]),
      [
        [1, 4],
        [2, f32(3.4)],
        [3, 3.25],
      ],
    );
  });

  it('takes N, D and precision from a config in the folder above when none is beside the files', async () => {
    const dir = await runDir('sweep', 'run-a');
    await writeFile(path.join(path.dirname(dir), 'config.yaml'), 'model:\n  n_params: 3.2e7\ntokens: 6.4e8\nprecision: fp32\n');
    const file = await writeEvents(dir, [scalarEvent(100, 'val_loss', 3.3)]);
    const { runs, diagnostics, inputs } = await readTmp(file);
    const config = path.join(path.dirname(dir), 'config.yaml');
    assert.ok(isComplete(runs[0]));
    assert.equal(runs[0].params, 3.2e7);
    assert.equal(runs[0].tokens, 6.4e8);
    assert.deepEqual(runs[0].sources.params, { file: config, line: 2, field: 'model.n_params' });
    assert.deepEqual(diagnostics, []);
    assert.ok(inputs?.includes(path.join(dir, 'hparams.yaml')));
    assert.ok(inputs?.includes(config));
  });

  it('a broken config beside the files is reported on its line and the run still read', async () => {
    const dir = await runDir('runs', 'bad-config');
    await writeFile(path.join(dir, 'hparams.yaml'), 'n_params: [1, 2\nprecision: bf16\n');
    const file = await writeEvents(dir, [scalarEvent(100, 'val_loss', 3.3)]);
    const { runs, diagnostics } = await readTmp(file);
    assert.equal(runs[0].finalLoss, f32(3.3));
    assert.ok(diagnostics.some((d) => path.basename(d.file) === 'hparams.yaml' && d.line !== undefined && /syntax error/.test(d.message)));
  });

  it('a file that is not there is an error, not a crash', async () => {
    const missing = path.join(tmp, 'nowhere', 'events.out.tfevents.1.h.1.0');
    const { runs, diagnostics } = await readTmp(missing);
    assert.deepEqual(runs, []);
    assert.deepEqual(
      diagnostics.map((d) => [d.severity, d.message]),
      [['error', 'events.out.tfevents.1.h.1.0 not found']],
    );
  });

  it('copies of a run read the same wherever they are', async () => {
    const dir = await runDir('elsewhere');
    const copy = path.join(dir, path.basename(CRASHED));
    await copyFile(CRASHED, copy);
    const a = (await readTensorBoardRun(CRASHED, context)).runs[0];
    const b = (await readTmp(copy)).runs[0];
    assert.deepEqual(b.curve, a.curve);
    assert.equal(b.finalLoss, a.finalLoss);
  });
});

describe('tensorboard reader: discovery', () => {
  it('a scan of the fixtures finds one run per training, and a rescan comes from the cache', async () => {
    const cache = new ScanCache();
    const first = await scan([FIXTURES], { readers: [tensorboardReader], cache });
    assert.deepEqual(
      first.runs.map((r) => r.id),
      [CORRUPTED, CRASHED, FRAMING_LOST, HF, KERAS_TRAIN, LIGHTNING, NAN, ...SWEEP, TF0, TF2_FIRST].map((f) => path.relative(FIXTURES, f)),
    );
    // Twelve files read as TensorBoard (the empty one, and the binary that is reported, too); the sibling files are not mine.
    assert.equal(first.files, 12);
    assert.ok(first.diagnostics.some((d) => d.file === NOT_EVENTS && d.severity === 'warning'), 'the binary is reported');
    const again = await scan([FIXTURES], { readers: [tensorboardReader], cache });
    // Every run file of the rescan is served from the cache.
    assert.equal(again.cached, again.files);
    assert.equal(again.files, 12);
    assert.equal(again.runs.length, 16);
  });

  it('when the file that read a run goes, the next one takes over on the rescan', async () => {
    const dir = await runDir('runs', 'takeover');
    const older = await writeEvents(dir, [scalarEvent(1, 'val_loss', 4)], 'events.out.tfevents.1600000000.host.1.0');
    const newer = await writeEvents(dir, [scalarEvent(2, 'val_loss', 3.5)], 'events.out.tfevents.1600000999.host.2.0');
    const cache = new ScanCache();
    const earlier = await scan([path.dirname(dir)], { readers: [tensorboardReader], cache });
    assert.deepEqual(
      earlier.runs.map((r) => [path.basename(r.file), r.finalLoss]),
      [[path.basename(older), 3.5]],
    );
    await unlink(older);
    const later = await scan([path.dirname(dir)], { readers: [tensorboardReader], cache });
    assert.deepEqual(
      later.runs.map((r) => [path.basename(r.file), r.finalLoss]),
      [[path.basename(newer), 3.5]],
    );
  });
});
