// Problems found while reading are data, not exceptions: readers return them beside the runs
// so one bad line never hides the rest of a workspace.

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  file: string;
  /** 1-based line, when the problem has one. */
  line?: number;
  field?: string;
  message: string;
  severity: Severity;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line !== undefined ? `${d.file}:${d.line}` : d.file;
  const field = d.field ? ` [${d.field}]` : '';
  return `${where}: ${d.severity}${field}: ${d.message}`;
}
