// The reader registry: one line per format. Discovery offers each file to the readers in this
// order; adding a format is one new file and one line here.

import type { Diagnostic } from '../diagnostics';
import type { AliasTable } from '../aliases';
import type { Run } from '../run';
import { MANIFEST_FILE_NAME, PRECISION_PLANNER_FORMAT, readPrecisionPlannerRun } from './precisionPlanner';
import { hfTrainerReader } from './hfTrainer';
import { lightningReader } from './lightning';
import { mlflowReader } from './mlflow';
import { sweepTableReader } from './sweepTable';
import { tensorboardReader } from './tensorboard';
import { wandbReader } from './wandb';

export interface ReadContext {
  /** Run ids are paths relative to this folder. */
  root: string;
  /** Column and key aliases, the built-in ones extended by the user's. */
  aliases: AliasTable;
}

export interface ReadResult {
  runs: Run[];
  diagnostics: Diagnostic[];
  /**
   * The file's name matched but its content is not this format (a CSV that is not a sweep
   * table, a JSON that is not a run). Discovery does not count it as a run file; it reports it
   * only when the user named the file explicitly.
   */
  notMine?: boolean;
  /**
   * Files besides the entry file whose content went into the result (companions such as
   * metrics.jsonl or config.json, present or looked for): the scan cache rereads the entry
   * file when any of them changes.
   */
  inputs?: string[];
}

export interface RunReader {
  id: string;
  /** Human name of the format, for messages ("Hugging Face Trainer"). */
  label: string;
  /** Could this file (base name, absolute path) start a run of this format? Cheap: no I/O. */
  matches(baseName: string, path: string): boolean;
  read(path: string, context: ReadContext): Promise<ReadResult>;
}

export const READERS: readonly RunReader[] = [
  { id: PRECISION_PLANNER_FORMAT, label: 'Precision Planner run', matches: (name) => name === MANIFEST_FILE_NAME, read: readPrecisionPlannerRun },
  hfTrainerReader,
  wandbReader,
  mlflowReader,
  lightningReader,
  tensorboardReader,
  // Last: it claims .csv/.json/.jsonl files no other reader owns, and only keeps real tables.
  sweepTableReader,
];

/**
 * What a scan looks for, in words, for "no runs found" messages: one entry per reader above,
 * in the same order (keep the two together when a format is added).
 */
export const RUN_FILES_LOOKED_FOR =
  'run.json manifests, Hugging Face trainer_state.json, TensorBoard event files (events.out.tfevents.*), W&B run folders (wandb-summary.json), ' +
  'MLflow mlruns/ (meta.yaml), Lightning metrics.csv and CSV/JSONL sweep tables';
