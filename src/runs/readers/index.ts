// The reader registry: one line per format. Discovery asks each reader whether a file is its
// entry point; adding a format is one new file and one line here.

import type { Diagnostic } from '../diagnostics';
import type { Run } from '../run';
import { MANIFEST_FILE_NAME, PRECISION_PLANNER_FORMAT, readPrecisionPlannerRun } from './precisionPlanner';

export interface ReadResult {
  runs: Run[];
  diagnostics: Diagnostic[];
}

export interface RunReader {
  id: string;
  /** Does this file (its base name and absolute path) start a run of this format? */
  matches(baseName: string, path: string): boolean;
  read(path: string, options: { root: string }): Promise<ReadResult>;
}

export const READERS: readonly RunReader[] = [
  { id: PRECISION_PLANNER_FORMAT, matches: (name) => name === MANIFEST_FILE_NAME, read: readPrecisionPlannerRun },
];
