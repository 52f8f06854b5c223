// TensorBoard event files as the writers lay them out, encoded from the .proto field numbers
// (tensorboard/compat/proto/{event,summary,tensor}.proto): the tests' way to write one in the
// exact bytes torch's SummaryWriter writes, with just the events a test needs. Written apart from
// the reader's descriptor (src/runs/tensorboardProto.ts) on purpose: the decoder is tested against
// an encoding it did not make.

import { Root } from 'protobufjs/light';
import { frameRecord } from '../../src/runs/tfrecord';

const encoder = Root.fromJSON({
  nested: {
    Event: { fields: { wallTime: { type: 'double', id: 1 }, step: { type: 'int64', id: 2 }, fileVersion: { type: 'string', id: 3 }, summary: { type: 'Summary', id: 5 } } },
    Summary: { fields: { value: { rule: 'repeated', type: 'Value', id: 1 } } },
    Value: { fields: { tag: { type: 'string', id: 1 }, simpleValue: { type: 'float', id: 2 }, tensor: { type: 'Tensor', id: 8 }, metadata: { type: 'Meta', id: 9 } } },
    Meta: { fields: { pluginData: { type: 'Plugin', id: 1 } } },
    Plugin: { fields: { pluginName: { type: 'string', id: 1 }, content: { type: 'bytes', id: 2 } } },
    Tensor: {
      fields: {
        dtype: { type: 'int32', id: 1 },
        tensorShape: { type: 'Shape', id: 2 },
        tensorContent: { type: 'bytes', id: 4 },
        halfVal: { rule: 'repeated', type: 'int32', id: 13 },
        floatVal: { rule: 'repeated', type: 'float', id: 5 },
        doubleVal: { rule: 'repeated', type: 'double', id: 6 },
        intVal: { rule: 'repeated', type: 'int32', id: 7 },
        stringVal: { rule: 'repeated', type: 'bytes', id: 8 },
      },
    },
    Shape: { fields: { dim: { rule: 'repeated', type: 'Dim', id: 2 } } },
    Dim: { fields: { size: { type: 'int64', id: 1 } } },
  },
});
export const EventType = encoder.lookupType('Event');

export type Value = { tag: string; simpleValue?: number; tensor?: object; metadata?: object };
export const scalarEvent = (step: number, tag: string, simpleValue: number, wallTime?: number) => ({ ...(wallTime !== undefined ? { wallTime } : {}), step, summary: { value: [{ tag, simpleValue }] } });

/** An event file: the file_version record (stamped when the writer opened the file, as the writers do), then the events. */
export function eventBytes(events: object[]): Buffer {
  const opened = (events[0] as { wallTime?: number } | undefined)?.wallTime ?? 1;
  return Buffer.concat([{ wallTime: opened, fileVersion: 'brain.Event:2' }, ...events].map((e) => frameRecord(EventType.encode(EventType.fromObject(e)).finish())));
}
