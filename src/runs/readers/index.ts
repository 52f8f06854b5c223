// The reader registry: one line per format. Discovery offers each file to the readers in this
// order; adding a format is one new file and one line here.

import type { RunReader } from './types';
import { MANIFEST_FILE_NAME, PRECISION_PLANNER_FORMAT, readPrecisionPlannerRun } from './precisionPlanner';
import { hfTrainerReader } from './hfTrainer';
import { jsonRecordReader } from './jsonRecord';
import { lightningReader } from './lightning';
import { mlflowReader } from './mlflow';
import { sweepTableReader } from './sweepTable';
import { tensorboardReader } from './tensorboard';
import { textLogReader } from './textLog';
import { wandbReader } from './wandb';

export type { ReadContext, ReadResult, RunReader } from './types';

export const READERS: readonly RunReader[] = [
  { id: PRECISION_PLANNER_FORMAT, label: 'Precision Planner run', matches: (name) => name === MANIFEST_FILE_NAME, read: readPrecisionPlannerRun },
  hfTrainerReader,
  wandbReader,
  mlflowReader,
  lightningReader,
  tensorboardReader,
  // Plain-text stdout (train.log, slurm-*.out, *.log/*.txt): after the formats with their own
  // file names, so a W&B run's files/output.log is never read twice.
  textLogReader,
  // Before the sweep table: both take any other .json; a run record is one run with its config
  // nested (or a list of such), which the record reader claims and a table it leaves.
  jsonRecordReader,
  // Last: it claims .csv/.json/.jsonl files no other reader owns, and only keeps real tables.
  sweepTableReader,
];

/**
 * What a scan looks for, in words, for "no runs found" messages: one entry per reader above,
 * in the same order (keep the two together when a format is added).
 */
export const RUN_FILES_LOOKED_FOR =
  'run.json manifests, Hugging Face trainer_state.json, TensorBoard event files (events.out.tfevents.*), W&B run folders (wandb-summary.json), ' +
  'MLflow mlruns/ (meta.yaml), Lightning metrics.csv, nanoGPT and Megatron-LM training logs (train.log, slurm-*.out, *.log, *.txt), JSON run records (open_lm, Marin) and CSV/JSONL/JSON sweep tables (W&B CSV exports included)';
