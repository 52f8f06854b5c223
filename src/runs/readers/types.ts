// What a reader is and what it returns, apart from the registry so that readers and the registry
// never import each other.

import type { AliasTable } from '../aliases';
import type { Diagnostic } from '../diagnostics';
import type { ResumeSlots } from '../resume';
import type { Run } from '../run';

export interface ReadContext {
  /** Run ids are paths relative to this folder. */
  root: string;
  /** Column and key aliases, the built-in ones extended by the user's. */
  aliases: AliasTable;
  /**
   * The marks of this reader's last read of the same run file (given when the scan has a cache):
   * a reader that streams a growing log goes on from where that read stopped (resume.ts).
   */
  resume?: ResumeSlots;
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
