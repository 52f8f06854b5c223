// Problems found while reading are data, not exceptions: readers return them beside the runs
// so one bad line never hides the rest of a workspace.

export type Severity = 'error' | 'warning' | 'info';

/**
 * What kind of problem a diagnostic reports, from a closed set: grouping ("245 runs lack a
 * training precision"), the Problems panel and tests go by the code, never by the wording.
 */
export const DIAGNOSTIC_CODES = [
  /** A file or companion the reader needs is not there. */
  'not-found',
  /** The file exists but cannot be read (permissions, not a regular file, too large). */
  'unreadable',
  /** Not text: NUL bytes, or UTF-16. */
  'binary',
  /** A Git LFS pointer where the file should be. */
  'lfs-pointer',
  /** The text does not parse (JSON, YAML, CSV, protobuf, TFRecord framing). */
  'syntax',
  /** A value is there but unusable: wrong type, NaN, out of range. */
  'bad-value',
  /** A field the fit needs is absent from every file of the run. */
  'missing-field',
  /** A value parses but cannot be right (50 parameters, D below N/1000). */
  'implausible',
  /** The same key, row or run given twice; one is kept. */
  'duplicate',
  /** Files or values disagree (two precisions, a planned and a seen token count). */
  'conflict',
  /** A value was not read but worked out (D = steps × batch × length, N from the architecture). */
  'derived',
  /** A value came from a default: the user's per-folder setting or a tool's documented default. */
  'default',
  /** A value came from the sweep's plan of the run (planned-run.json), the run's own files not giving it. */
  'planned',
  /** The run did not finish (crashed, cancelled, still running). */
  'unfinished',
  /** Files were joined into one run or split into several. */
  'grouped',
  /** Only part of the file was read (size or count bounds). */
  'truncated',
  /** The file is of a kind or version the reader does not read. */
  'unsupported',
] as const;

export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

export interface Diagnostic {
  file: string;
  /** 1-based line, when the problem has one. */
  line?: number;
  field?: string;
  message: string;
  severity: Severity;
  code: DiagnosticCode;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line !== undefined ? `${d.file}:${d.line}` : d.file;
  const field = d.field ? ` [${d.field}]` : '';
  return `${where}: ${d.severity}${field}: ${d.message}`;
}
