// The TensorBoard event files a Hugging Face Trainer run writes beside its trainer_state.json, as
// the Trainer reader and the TensorBoard reader both need them: where they are, which run owns
// them, and the two text summaries TensorBoardCallback.on_train_begin writes into them.
//
// The callback logs into TrainingArguments.logging_dir, by default <output_dir>/runs/<date>_<host>/
// (add_hparams, in older versions, into a "<time.time()>" subfolder of that). At the start of
// training it writes add_text("args", args.to_json_string()) and add_text("model_config",
// model.config.to_json_string()); torch's add_text stores each under "<tag>/text_summary" as a
// DT_STRING tensor of shape [1] with the text plugin's metadata. Both texts are JSON objects:
// every TrainingArguments field (bf16, fp16, per_device_train_batch_size, ...) and the model
// config's non-default fields (model_type, hidden_size, ...).

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../diagnostics';
import type { ConfigEntry } from '../entries';
import { jsonEntries, parseJsonWithLines } from '../jsonDoc';
import { TEXT_PLUGIN, decodeEvent, tensorText } from '../tensorboardProto';
import { readTfRecordBatches } from '../tfrecord';
import { diagnostic } from '../validate';

export const ARGS_SUMMARY = 'args/text_summary';
export const MODEL_CONFIG_SUMMARY = 'model_config/text_summary';
export const HF_SUMMARY_TAGS: readonly string[] = [ARGS_SUMMARY, MODEL_CONFIG_SUMMARY];

const TRAINER_STATE = 'trainer_state.json';
const EVENT_FILE = /^events\.out\.tfevents\./;
const CHECKPOINT = /^checkpoint-\d+$/;
/** torch's add_hparams writes into a subfolder named by time.time(): "1714558500.2143218". */
export const HPARAMS_FOLDER = /^\d{9,}\.\d+$/;
/** The summaries come first (on_train_begin); past this many records they are not looked for. */
const HEAD_RECORDS = 64;

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

async function entriesOf(dir: string): Promise<Array<{ name: string; dir: boolean; file: boolean }>> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries.map((e) => ({ name: e.name, dir: e.isDirectory(), file: e.isFile() })).sort((a, b) => byName(a.name, b.name));
  } catch {
    return [];
  }
}

const isFile = (file: string): Promise<boolean> =>
  fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * Output folders whose Trainer could have written event files into `dir`: the folder itself
 * (logging_dir = output_dir), the output folder of a checkpoint-NNN folder, and the folder above
 * a `runs` folder up to three levels up (runs/, runs/<name>/ by default, runs/<name>/<time>/ for
 * add_hparams). By path alone.
 */
export function hfOutputDirCandidates(dir: string): string[] {
  const out = [dir];
  if (CHECKPOINT.test(path.basename(dir))) out.push(path.dirname(dir));
  let at = dir;
  for (let up = 0; up < 3 && path.dirname(at) !== at; up++) {
    if (path.basename(at) === 'runs') {
      out.push(path.dirname(at));
      break;
    }
    at = path.dirname(at);
  }
  return [...new Set(out)];
}

export interface HfOwner {
  /** The output folder whose Trainer run owns the event files, if one does. */
  outputDir?: string;
  /** Every path looked at, present or not, so a cache rereads when one appears or goes. */
  looked: string[];
}

/**
 * Whether event files in these folders belong to a Trainer run: a trainer_state.json in a
 * candidate output folder or in one of its checkpoint-NNN folders. Stats only, no parsing.
 */
export async function hfOwnerOf(dirs: readonly string[]): Promise<HfOwner> {
  const looked: string[] = [];
  const candidates = [...new Set(dirs.flatMap(hfOutputDirCandidates))];
  for (const dir of candidates) {
    const own = path.join(dir, TRAINER_STATE);
    looked.push(own, dir);
    if (await isFile(own)) return { outputDir: dir, looked };
    for (const entry of await entriesOf(dir)) {
      if (!entry.dir || !CHECKPOINT.test(entry.name)) continue;
      const state = path.join(dir, entry.name, TRAINER_STATE);
      looked.push(state);
      if (await isFile(state)) return { outputDir: dir, looked };
    }
  }
  return { looked };
}

/** The creation time in an event file's name ("events.out.tfevents.1714558500.host..."), in seconds. */
export function nameTime(file: string): number | undefined {
  const m = /^events\.out\.tfevents\.(\d+)/.exec(path.basename(file));
  return m ? Number(m[1]) : undefined;
}

/** Event files written first come first: by the time in the name, then by name. */
export function byWriteOrder(a: string, b: string): number {
  const ta = nameTime(a) ?? Infinity;
  const tb = nameTime(b) ?? Infinity;
  return ta !== tb ? ta - tb : byName(path.basename(a), path.basename(b));
}

export interface HfEventFiles {
  files: string[];
  /** The folders listed, for the scan cache. */
  dirs: string[];
}

/**
 * The event files a Trainer run in `outputDir` owns: in the output folder itself, in runs/ and
 * runs/<name>/ (and add_hparams' subfolders there), and in checkpoint-NNN folders. The same
 * places hfOwnerOf maps back to this output folder, so the two readers agree on every file.
 */
export async function hfEventFiles(outputDir: string): Promise<HfEventFiles> {
  const dirs: string[] = [];
  const files: string[] = [];
  const take = async (dir: string, depth: number): Promise<void> => {
    dirs.push(dir);
    for (const entry of await entriesOf(dir)) {
      const full = path.join(dir, entry.name);
      if (entry.file && EVENT_FILE.test(entry.name)) {
        if (hfOutputDirCandidates(dir).includes(outputDir)) files.push(full);
      } else if (entry.dir && depth > 0) await take(full, depth - 1);
    }
  };
  for (const entry of await entriesOf(outputDir)) {
    if (entry.file && EVENT_FILE.test(entry.name)) files.push(path.join(outputDir, entry.name));
    else if (entry.dir && entry.name === 'runs') await take(path.join(outputDir, 'runs'), 2);
    else if (entry.dir && CHECKPOINT.test(entry.name)) await take(path.join(outputDir, entry.name), 0);
  }
  dirs.unshift(outputDir);
  return { files: files.sort(byWriteOrder), dirs };
}

export interface TextSummary {
  tag: string;
  text: string;
  file: string;
  /** Record index, for messages. */
  index: number;
}

/**
 * The text summaries with the given tags at the head of an event file: the first of each tag,
 * looked for in the first records only. Problems (an unreadable file, a damaged record) are
 * returned as words; the caller decides whether they matter.
 */
export async function readTextSummaries(file: string, tags: readonly string[]): Promise<{ summaries: Map<string, TextSummary>; problem?: string }> {
  const summaries = new Map<string, TextSummary>();
  let problem: string | undefined;
  try {
    outer: for await (const batch of readTfRecordBatches(file)) {
      for (const item of batch) {
        if (item.index >= HEAD_RECORDS || summaries.size === tags.length) break outer;
        if (item.kind !== 'record') {
          if (item.kind !== 'oversized') problem ??= `record ${item.index} (byte ${item.offset}) is damaged (${item.kind})`;
          continue;
        }
        let values;
        try {
          values = decodeEvent(item.data).summary?.value ?? [];
        } catch (e) {
          problem ??= `record ${item.index} (byte ${item.offset}) is not a valid Event message (${(e as Error).message})`;
          continue;
        }
        for (const value of values) {
          const tag = value.tag ?? '';
          if (!tags.includes(tag) || summaries.has(tag) || !value.tensor) continue;
          if (value.metadata?.pluginData?.pluginName !== undefined && value.metadata.pluginData.pluginName !== TEXT_PLUGIN) continue;
          const text = tensorText(value.tensor);
          if ('text' in text) summaries.set(tag, { tag, text: text.text, file, index: item.index });
          else problem ??= `${tag} in record ${item.index}: ${text.problem}`;
        }
      }
    }
  } catch (e) {
    problem ??= `cannot be read: ${(e as Error).message}`;
  }
  return problem !== undefined ? { summaries, problem } : { summaries };
}

/**
 * A text summary's JSON object as located entries of the event file, keyed "<tag>.<key>"
 * ("args/text_summary.bf16"), without lines (a line inside the text is no line of the file).
 * Undefined, with a warning, for a text that is not a JSON object.
 */
export function summaryEntries(summary: TextSummary, diagnostics: Diagnostic[]): ConfigEntry[] | undefined {
  const problems: Diagnostic[] = [];
  const json = parseJsonWithLines(summary.text, summary.file, problems);
  if (json.root?.type !== 'object' || problems.length > 0) {
    const why = problems.length > 0 ? problems[0].message : 'not a JSON object';
    diagnostics.push(diagnostic(summary.file, undefined, summary.tag, `the ${summary.tag} text summary (record ${summary.index}) is not the JSON the Trainer writes (${why}); not read`, 'warning', 'syntax'));
    return undefined;
  }
  return jsonEntries(json, summary.file).map((entry) => ({ key: `${summary.tag}.${entry.key}`, value: entry.value, file: summary.file }));
}
