// Which event files of one folder are one training. A writer opens a new file each time a
// process starts logging, so a folder holds one file per launch: a resumed training (the later
// file carries on at a later step), several writers of one process (TF's train and valid
// writers, side by side), or separate trainings that happened to log into the same folder (a
// sweep script reusing SummaryWriter("logs"): each file starts again near step 0). The first two
// are one run; the last is as many runs as trainings.
//
// What decides, per file, from a cheap pass over its records: the writer process in its name
// (torch and TF2 name files "events.out.tfevents.<time>.<host>.<pid>.<n>", TF1 "<time>.<host>"),
// its first and last wall times, and its first and last scalar steps.

import * as path from 'node:path';
import { decodeEvent } from '../tensorboardProto';
import { readTfRecordBatches } from '../tfrecord';
import { nameTime } from './hfEvents';

export interface Span {
  file: string;
  /** The writing process as the name gives it ("gpu01.4242"; the host alone for TF1 names). */
  process?: string;
  /** Wall times of the first and last event, in seconds. */
  start?: number;
  end?: number;
  /** First and last step a scalar was logged at; undefined for a file without scalars. */
  firstStep?: number;
  lastStep?: number;
}

/**
 * The process part of an event file's name: "events.out.tfevents.1714558500.gpu01.4242.0" →
 * "gpu01.4242", the ".v2" of TF2 and the per-process counter dropped; a TF1 name's host stays whole.
 */
export function writerProcess(file: string): string | undefined {
  const m = /^events\.out\.tfevents\.\d+\.(.+)$/.exec(path.basename(file));
  if (!m) return undefined;
  const rest = m[1].replace(/\.v2$/, '');
  const counted = /^(.+\.\d+)\.\d+$/.exec(rest);
  return counted ? counted[1] : rest;
}

/** Wall time and step of an Event from its wire bytes, without decoding it; `summary` when it has one. */
export function eventHead(data: Uint8Array): { wallTime?: number; step?: number; summary: boolean } {
  const out: { wallTime?: number; step?: number; summary: boolean } = { summary: false };
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  const varint = (): number | undefined => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10 && at < view.length; i++) {
      const byte = view[at++];
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    return undefined;
  };
  while (at < view.length) {
    const key = varint();
    if (key === undefined) break;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const value = varint();
      if (value === undefined) break;
      if (field === 2) out.step = value;
    } else if (wire === 1) {
      if (at + 8 > view.length) break;
      if (field === 1) out.wallTime = view.readDoubleLE(at);
      at += 8;
    } else if (wire === 2) {
      const length = varint();
      if (length === undefined || at + length > view.length) break;
      if (field === 5) out.summary = true;
      at += length;
    } else if (wire === 5) at += 4;
    else break;
  }
  return out;
}

/** Whether a decoded event holds a scalar (a simple_value, or a tensor of the scalars plugin or none). */
function holdsScalar(data: Uint8Array): boolean {
  try {
    const values = decodeEvent(data).summary?.value ?? [];
    return values.some((v) => v.simpleValue !== undefined || (v.tensor !== undefined && (v.metadata?.pluginData?.pluginName ?? 'scalars') === 'scalars' && v.tensor.dtype !== 7));
  } catch {
    return false;
  }
}

/** One pass over a file for its span: every record's head, and a full decode only until the first scalar. */
export async function fileSpan(file: string): Promise<Span> {
  const span: Span = { file };
  const process = writerProcess(file);
  if (process !== undefined) span.process = process;
  try {
    for await (const batch of readTfRecordBatches(file)) {
      for (const item of batch) {
        if (item.kind !== 'record') continue;
        const head = eventHead(item.data);
        if (head.wallTime !== undefined && Number.isFinite(head.wallTime) && head.wallTime > 0) {
          span.start ??= head.wallTime;
          span.end = Math.max(span.end ?? head.wallTime, head.wallTime);
        }
        if (!head.summary) continue;
        const step = head.step ?? 0;
        if (span.firstStep === undefined) {
          if (holdsScalar(item.data)) span.firstStep = span.lastStep = step;
        } else span.lastStep = Math.max(span.lastStep ?? step, step);
      }
    }
  } catch {
    // What was read stands; the reading proper reports the damage.
  }
  span.start ??= nameTime(file);
  span.end ??= span.start;
  return span;
}

export interface Training {
  spans: Span[];
  /** Why this training is not the one before it; absent for the first. */
  why?: string;
}

const base = (file: string): string => path.basename(file);

/** A file that starts near step 0 again: at or before where the training began, or within its first twentieth. */
function restarts(span: Span, training: Span[]): boolean {
  const first = Math.min(...training.flatMap((s) => (s.firstStep !== undefined ? [s.firstStep] : [])));
  const last = Math.max(...training.flatMap((s) => (s.lastStep !== undefined ? [s.lastStep] : [])));
  if (span.firstStep === undefined || !Number.isFinite(first)) return false;
  return span.firstStep <= first || span.firstStep < last / 20;
}

const endOf = (training: Span[]): number => Math.max(...training.map((s) => s.end ?? -Infinity));
const overlaps = (span: Span, training: Span[]): boolean => span.start !== undefined && span.start < endOf(training);

/**
 * The trainings among the event files of one folder, in the order they were written. A file
 * joins the training before it unless it starts near step 0 again (a new training, whatever
 * wrote it) or was written by another process while that training was still logging (two
 * trainings at once). A file of the same process written while one of its trainings was
 * logging belongs to that training. Files without scalars never start a training of their own:
 * they go with the training that was logging when they were written.
 */
export function groupTrainings(spans: readonly Span[]): Training[] {
  const order = [...spans].sort((a, b) => (a.start ?? Infinity) - (b.start ?? Infinity) || (base(a.file) < base(b.file) ? -1 : base(a.file) > base(b.file) ? 1 : 0));
  const trainings: Training[] = [];
  const quiet: Span[] = [];
  for (const span of order) {
    if (span.firstStep === undefined) {
      quiet.push(span);
      continue;
    }
    const sibling = span.process !== undefined ? [...trainings].reverse().find((t) => t.spans.some((s) => s.process === span.process) && overlaps(span, t.spans)) : undefined;
    if (sibling) {
      sibling.spans.push(span);
      continue;
    }
    const last = trainings[trainings.length - 1];
    if (!last) {
      trainings.push({ spans: [span] });
      continue;
    }
    const before = last.spans.filter((s) => s.firstStep !== undefined);
    const lastStep = Math.max(...before.map((s) => s.lastStep ?? 0));
    if (restarts(span, last.spans)) {
      trainings.push({ spans: [span], why: `${base(span.file)} starts again at step ${span.firstStep} (the training before it reached step ${lastStep})` });
    } else if (overlaps(span, last.spans) && span.process !== undefined && !last.spans.some((s) => s.process === undefined || s.process === span.process)) {
      trainings.push({ spans: [span], why: `${base(span.file)} was written by another process (${span.process}) while the training before it was still logging` });
    } else last.spans.push(span);
  }
  if (trainings.length === 0) return [{ spans: order }];
  for (const span of quiet) {
    const home = [...trainings].reverse().find((t) => (t.spans[0].start ?? Infinity) <= (span.start ?? -Infinity)) ?? trainings[0];
    home.spans.push(span);
  }
  return trainings;
}
