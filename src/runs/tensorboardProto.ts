// The parts of TensorBoard's protocol buffers an event-file reader needs: Event, Summary,
// TensorProto (tensorboard/compat/proto/{event,summary,tensor,tensor_shape,types}.proto) and
// the hparams plugin's data (tensorboard/plugins/hparams/plugin_data.proto). Field numbers are
// those of the .proto files; fields left out here (images, histograms, graphs) are skipped by
// the decoder as unknown fields. Built from a JSON descriptor so nothing is loaded at runtime.

import { type IConversionOptions, Root, type Type } from 'protobufjs/light';

const DESCRIPTOR = {
  nested: {
    tensorboard: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['fileVersion', 'summary', 'sessionLog'] } },
          fields: {
            wallTime: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            fileVersion: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
            sessionLog: { type: 'SessionLog', id: 7 },
          },
        },
        SessionLog: {
          fields: {
            status: { type: 'int32', id: 1 },
            checkpointPath: { type: 'string', id: 2 },
            msg: { type: 'string', id: 3 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: {
            Value: {
              oneofs: { value: { oneof: ['simpleValue', 'tensor'] } },
              fields: {
                tag: { type: 'string', id: 1 },
                simpleValue: { type: 'float', id: 2 },
                tensor: { type: 'TensorProto', id: 8 },
                metadata: { type: 'SummaryMetadata', id: 9 },
              },
            },
          },
        },
        SummaryMetadata: {
          fields: {
            pluginData: { type: 'PluginData', id: 1 },
            displayName: { type: 'string', id: 2 },
            dataClass: { type: 'int32', id: 4 },
          },
          nested: {
            PluginData: {
              fields: {
                pluginName: { type: 'string', id: 1 },
                content: { type: 'bytes', id: 2 },
              },
            },
          },
        },
        TensorProto: {
          fields: {
            dtype: { type: 'int32', id: 1 },
            tensorShape: { type: 'TensorShapeProto', id: 2 },
            tensorContent: { type: 'bytes', id: 4 },
            stringVal: { rule: 'repeated', type: 'bytes', id: 8 },
            halfVal: { rule: 'repeated', type: 'int32', id: 13, options: { packed: true } },
            floatVal: { rule: 'repeated', type: 'float', id: 5, options: { packed: true } },
            doubleVal: { rule: 'repeated', type: 'double', id: 6, options: { packed: true } },
            intVal: { rule: 'repeated', type: 'int32', id: 7, options: { packed: true } },
            int64Val: { rule: 'repeated', type: 'int64', id: 10, options: { packed: true } },
            boolVal: { rule: 'repeated', type: 'bool', id: 11, options: { packed: true } },
            uint32Val: { rule: 'repeated', type: 'uint32', id: 16, options: { packed: true } },
            uint64Val: { rule: 'repeated', type: 'uint64', id: 17, options: { packed: true } },
          },
        },
        TensorShapeProto: {
          fields: {
            dim: { rule: 'repeated', type: 'Dim', id: 2 },
            unknownRank: { type: 'bool', id: 3 },
          },
          nested: {
            Dim: {
              fields: {
                size: { type: 'int64', id: 1 },
                name: { type: 'string', id: 2 },
              },
            },
          },
        },
        hparams: {
          nested: {
            HParamsPluginData: {
              oneofs: { data: { oneof: ['sessionStartInfo', 'sessionEndInfo'] } },
              fields: {
                version: { type: 'int32', id: 1 },
                sessionStartInfo: { type: 'SessionStartInfo', id: 3 },
                sessionEndInfo: { type: 'SessionEndInfo', id: 4 },
              },
            },
            SessionStartInfo: {
              fields: {
                hparams: { keyType: 'string', type: 'Value', id: 1 },
                modelUri: { type: 'string', id: 2 },
                groupName: { type: 'string', id: 4 },
                startTimeSecs: { type: 'double', id: 5 },
              },
            },
            SessionEndInfo: {
              fields: {
                status: { type: 'int32', id: 1 },
                endTimeSecs: { type: 'double', id: 2 },
              },
            },
            // google.protobuf.Value and friends (struct.proto), under a name of their own so
            // protobufjs does not apply its well-known-type wrappers to them.
            Value: {
              oneofs: { kind: { oneof: ['nullValue', 'numberValue', 'stringValue', 'boolValue', 'structValue', 'listValue'] } },
              fields: {
                nullValue: { type: 'int32', id: 1 },
                numberValue: { type: 'double', id: 2 },
                stringValue: { type: 'string', id: 3 },
                boolValue: { type: 'bool', id: 4 },
                structValue: { type: 'Struct', id: 5 },
                listValue: { type: 'ListValue', id: 6 },
              },
            },
            Struct: { fields: { fields: { keyType: 'string', type: 'Value', id: 1 } } },
            ListValue: { fields: { values: { rule: 'repeated', type: 'Value', id: 1 } } },
          },
        },
      },
    },
  },
};

// --- decoded shapes (plain objects: only the fields present on the wire) -----------------------

export interface TensorShape {
  dim?: Array<{ size?: number; name?: string }>;
  unknownRank?: boolean;
}

export interface Tensor {
  dtype?: number;
  tensorShape?: TensorShape;
  tensorContent?: Uint8Array;
  /** DT_STRING elements: the text plugin's strings (torch's add_text, tf.summary.text). */
  stringVal?: Uint8Array[];
  halfVal?: number[];
  floatVal?: number[];
  doubleVal?: number[];
  intVal?: number[];
  int64Val?: number[];
  boolVal?: boolean[];
  uint32Val?: number[];
  uint64Val?: number[];
}

export interface SummaryMetadata {
  pluginData?: { pluginName?: string; content?: Uint8Array };
  displayName?: string;
  dataClass?: number;
}

export interface SummaryValue {
  tag?: string;
  simpleValue?: number;
  tensor?: Tensor;
  metadata?: SummaryMetadata;
}

export interface TbEvent {
  wallTime?: number;
  step?: number;
  fileVersion?: string;
  summary?: { value?: SummaryValue[] };
  sessionLog?: { status?: number; checkpointPath?: string; msg?: string };
}

export interface ProtoValue {
  nullValue?: number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: { fields?: Record<string, ProtoValue> };
  listValue?: { values?: ProtoValue[] };
}

export interface HParamsPluginData {
  version?: number;
  sessionStartInfo?: { hparams?: Record<string, ProtoValue>; modelUri?: string; groupName?: string; startTimeSecs?: number };
  sessionEndInfo?: { status?: number; endTimeSecs?: number };
}

/** SessionLog.SessionStatus. */
export const SESSION_STATUS = { START: 1, STOP: 2, CHECKPOINT: 3 } as const;
/** tensorboard.hparams.Status (api.proto). */
export const HPARAMS_STATUS = { SUCCESS: 1, FAILURE: 2, RUNNING: 3 } as const;
export const HPARAMS_PLUGIN = 'hparams';
export const SCALARS_PLUGIN = 'scalars';
export const TEXT_PLUGIN = 'text';

/** tensorflow DataType (types.proto), the numeric ones a scalar can come as. */
export const DT = {
  FLOAT: 1,
  DOUBLE: 2,
  INT32: 3,
  UINT8: 4,
  INT16: 5,
  INT8: 6,
  STRING: 7,
  INT64: 9,
  BOOL: 10,
  BFLOAT16: 14,
  UINT16: 17,
  HALF: 19,
  UINT32: 22,
  UINT64: 23,
} as const;

const root = Root.fromJSON(DESCRIPTOR);
const EventType: Type = root.lookupType('tensorboard.Event');
const HParamsType: Type = root.lookupType('tensorboard.hparams.HParamsPluginData');
// Plain objects with only the fields present, 64-bit integers as numbers (steps and counts
// beyond 2^53 lose precision, which no training run reaches).
const PLAIN: IConversionOptions = { longs: Number, defaults: false, arrays: false, objects: false, oneofs: false };

/** Decodes an Event record; throws on bytes that are not one (the caller reports and skips). */
export function decodeEvent(data: Uint8Array): TbEvent {
  return EventType.toObject(EventType.decode(data), PLAIN) as TbEvent;
}

export function decodeHParamsPluginData(data: Uint8Array): HParamsPluginData {
  return HParamsType.toObject(HParamsType.decode(data), PLAIN) as HParamsPluginData;
}

// --- scalars out of tensors --------------------------------------------------------------------

export type TensorScalar = { value: number } | { problem: string };

const DTYPE_NAMES: Record<number, string> = {
  [DT.FLOAT]: 'DT_FLOAT',
  [DT.DOUBLE]: 'DT_DOUBLE',
  [DT.INT32]: 'DT_INT32',
  [DT.UINT8]: 'DT_UINT8',
  [DT.INT16]: 'DT_INT16',
  [DT.INT8]: 'DT_INT8',
  [DT.STRING]: 'DT_STRING',
  [DT.INT64]: 'DT_INT64',
  [DT.BOOL]: 'DT_BOOL',
  [DT.BFLOAT16]: 'DT_BFLOAT16',
  [DT.UINT16]: 'DT_UINT16',
  [DT.HALF]: 'DT_HALF',
  [DT.UINT32]: 'DT_UINT32',
  [DT.UINT64]: 'DT_UINT64',
};

export function dtypeName(dtype: number | undefined): string {
  return DTYPE_NAMES[dtype ?? 0] ?? `data type ${dtype ?? 0}`;
}

/** Elements of a tensor of this shape; undefined when the rank or a dimension is unknown. */
export function elementCount(shape: TensorShape | undefined): number | undefined {
  if (shape?.unknownRank) return undefined;
  let count = 1;
  for (const dim of shape?.dim ?? []) {
    const size = dim.size ?? 0;
    if (size < 0) return undefined;
    count *= size;
  }
  return count;
}

function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function bfloat16(bits: number): number {
  const word = Buffer.alloc(4);
  word.writeUInt32LE(((bits & 0xffff) << 16) >>> 0);
  return word.readFloatLE(0);
}

interface Layout {
  /** Bytes of one element in tensor_content. */
  width: number;
  read(content: Buffer): number;
  /** The repeated field the Python writers and the version-0 protos use instead. */
  list(tensor: Tensor): number[] | undefined;
}

const LAYOUTS: Record<number, Layout> = {
  [DT.FLOAT]: { width: 4, read: (b) => b.readFloatLE(0), list: (t) => t.floatVal },
  [DT.DOUBLE]: { width: 8, read: (b) => b.readDoubleLE(0), list: (t) => t.doubleVal },
  [DT.HALF]: { width: 2, read: (b) => float16(b.readUInt16LE(0)), list: (t) => t.halfVal?.map((v) => float16(v & 0xffff)) },
  [DT.BFLOAT16]: { width: 2, read: (b) => bfloat16(b.readUInt16LE(0)), list: (t) => t.halfVal?.map(bfloat16) },
  [DT.INT32]: { width: 4, read: (b) => b.readInt32LE(0), list: (t) => t.intVal },
  [DT.INT16]: { width: 2, read: (b) => b.readInt16LE(0), list: (t) => t.intVal },
  [DT.INT8]: { width: 1, read: (b) => b.readInt8(0), list: (t) => t.intVal },
  [DT.UINT8]: { width: 1, read: (b) => b.readUInt8(0), list: (t) => t.intVal },
  [DT.UINT16]: { width: 2, read: (b) => b.readUInt16LE(0), list: (t) => t.intVal },
  [DT.INT64]: { width: 8, read: (b) => Number(b.readBigInt64LE(0)), list: (t) => t.int64Val },
  [DT.UINT32]: { width: 4, read: (b) => b.readUInt32LE(0), list: (t) => t.uint32Val },
  [DT.UINT64]: { width: 8, read: (b) => Number(b.readBigUInt64LE(0)), list: (t) => t.uint64Val },
};

/**
 * The number in a one-element numeric tensor (TF2's `tf.summary.scalar` writes rank-0 DT_FLOAT
 * tensors; other writers use DT_DOUBLE, DT_HALF or integer types), from `tensor_content`
 * (little-endian, what the C++ writer produces) or the typed repeated field (the Python helpers).
 */
export function tensorScalar(tensor: Tensor): TensorScalar {
  const layout = LAYOUTS[tensor.dtype ?? 0];
  if (!layout) return { problem: `a ${dtypeName(tensor.dtype)} tensor is not a number` };
  const count = elementCount(tensor.tensorShape);
  if (count !== 1) {
    const dims = (tensor.tensorShape?.dim ?? []).map((d) => d.size ?? 0).join(' x ');
    return { problem: `a tensor of shape [${tensor.tensorShape?.unknownRank ? '?' : dims}] is not a single number` };
  }
  const content = tensor.tensorContent;
  if (content && content.length > 0) {
    if (content.length < layout.width) return { problem: `its ${dtypeName(tensor.dtype)} tensor_content holds ${content.length} bytes, fewer than one value` };
    return { value: layout.read(Buffer.from(content.buffer, content.byteOffset, content.byteLength)) };
  }
  const list = layout.list(tensor);
  if (list && list.length > 0) return { value: Number(list[0]) };
  return { problem: `its ${dtypeName(tensor.dtype)} tensor holds no value` };
}

/** A scalar hparam value (number, string, bool) as plain data; structs and lists are left out. */
export function protoValue(value: ProtoValue | undefined): string | number | boolean | null | undefined {
  if (!value) return undefined;
  if (value.numberValue !== undefined) return value.numberValue;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.nullValue !== undefined) return null;
  return undefined;
}

/** Bounds a text summary to what a config needs; a longer one is a document, not settings. */
export const MAX_TEXT_SUMMARY_BYTES = 1 << 20;

/**
 * The text of a text-plugin tensor: DT_STRING with the string as its first element (torch's
 * add_text writes shape [1], tf.summary.text a rank-0 tensor; a table's first cell is the
 * first element too). UTF-8, as both writers encode it.
 */
export function tensorText(tensor: Tensor): { text: string } | { problem: string } {
  if (tensor.dtype !== DT.STRING) return { problem: `a ${dtypeName(tensor.dtype)} tensor is not text` };
  const first = tensor.stringVal?.[0];
  if (!first) return { problem: 'its DT_STRING tensor holds no string' };
  if (first.length > MAX_TEXT_SUMMARY_BYTES) return { problem: `its text is ${first.length} bytes, more than the ${MAX_TEXT_SUMMARY_BYTES} read` };
  return { text: Buffer.from(first.buffer, first.byteOffset, first.byteLength).toString('utf8') };
}
