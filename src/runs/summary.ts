// Telling the user what the runs lack, in a few lines: "346 runs read, 0 complete: 245 lack a
// training precision; 80 lack D (training tokens)", not 346 lines; and the readers' problems by
// folder and kind, with a count and one example each. The CLI, the Problems panel, the Runs view,
// the status bar and the fit report all group the same way, here.

import * as path from 'node:path';
import type { Diagnostic, DiagnosticCode, Severity } from './diagnostics';
import { REQUIRED_FIELDS, type Run, type RunField, isComplete } from './run';

/** A required field as the object of "lack": "245 lack a training precision". */
export const LACK_LABELS: Readonly<Record<RunField, string>> = {
  params: 'N (parameters)',
  tokens: 'D (training tokens)',
  precision: 'a training precision',
  finalLoss: 'a final validation loss',
};

/** Runs lacking a field for one reason: the reader's (where it gave one), or none given. */
export interface ReasonGroup {
  reason?: string;
  runs: Run[];
}

/** The runs that lack one required field; a run lacking two is in two groups. */
export interface LackGroup {
  field: RunField;
  runs: Run[];
  /** By the readers' reasons, most runs first; runs without one last. */
  reasons: ReasonGroup[];
}

export interface RunsSummary {
  read: number;
  /** Runs with every field the fit needs (isComplete). */
  complete: number;
  /** Of the complete ones, those whose files say they did not finish: the fit leaves them out. */
  unfinished: Run[];
  /** Most runs first; ties in the order of REQUIRED_FIELDS. */
  lacking: LackGroup[];
}

function byCount<T extends { runs: readonly unknown[] }>(groups: T[], order: (g: T) => number): T[] {
  return groups.sort((a, b) => b.runs.length - a.runs.length || order(a) - order(b));
}

export function summarizeRuns(runs: readonly Run[]): RunsSummary {
  const lacking = new Map<RunField, { runs: Run[]; reasons: Map<string | undefined, Run[]> }>();
  let complete = 0;
  const unfinished: Run[] = [];
  for (const run of runs) {
    if (isComplete(run)) {
      complete++;
      if (run.unfinished) unfinished.push(run);
      continue;
    }
    // A run marked missing nothing but without a value (a reader's slip) still lacks it.
    const missing = run.missing.length > 0 ? run.missing : REQUIRED_FIELDS.filter((f) => run[f] === undefined);
    for (const field of new Set(missing)) {
      const group = lacking.get(field) ?? { runs: [] as Run[], reasons: new Map<string | undefined, Run[]>() };
      lacking.set(field, group);
      group.runs.push(run);
      const reason = run.reasons?.[field];
      group.reasons.set(reason, [...(group.reasons.get(reason) ?? []), run]);
    }
  }
  const groups = [...lacking.entries()].map(([field, g]): LackGroup => ({
    field,
    runs: g.runs,
    // Runs with a reason first, most common first; those the files are silent on last.
    reasons: [...g.reasons.entries()]
      .map(([reason, rs]): ReasonGroup => (reason === undefined ? { runs: rs } : { reason, runs: rs }))
      .sort((a, b) => Number(a.reason === undefined) - Number(b.reason === undefined) || b.runs.length - a.runs.length),
  }));
  return { read: runs.length, complete, unfinished, lacking: byCount(groups, (g) => REQUIRED_FIELDS.indexOf(g.field)) };
}

/** What each front end says to do about a field the files lack ("add --precision bf16 or a precision column"). */
export type LackHints = Partial<Record<RunField, string>>;

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** Reasons shown per field before "…": the rest are in the Runs view, `scan` and the fit report. */
const REASONS_SHOWN = 2;

/**
 * One group in words: "245 lack a training precision (add …)", "3 lack a final validation loss:
 * cancelled", "5 lack a final validation loss: 3 cancelled, 2 loss is NaN".
 */
export function lackText(group: LackGroup, hints: LackHints = {}): string {
  const n = group.runs.length;
  const head = `${n} ${n === 1 ? 'lacks' : 'lack'} ${LACK_LABELS[group.field]}`;
  const given = group.reasons.filter((r) => r.reason !== undefined);
  const silent = group.reasons.find((r) => r.reason === undefined);
  // What to do is said once, after why: the readers' reasons are facts about the files.
  const hint = hints[group.field] ? ` (${hints[group.field]})` : '';
  if (given.length === 0) return `${head}${hint}`;
  if (given.length === 1 && !silent) return `${head}: ${given[0].reason}${hint}`;
  const shown = given.slice(0, REASONS_SHOWN).map((r) => `${r.runs.length} ${r.reason}`);
  const others = given.slice(REASONS_SHOWN).reduce((k, r) => k + r.runs.length, 0);
  if (others > 0) shown.push(`${others} for other reasons`);
  if (silent) shown.push(`${silent.runs.length} not in their files`);
  return `${head}: ${shown.join(', ')}${hint}`;
}

/** How many runs were read and how many are complete: "346 runs read, 0 complete". */
export function countText(summary: RunsSummary): string {
  const read = plural(summary.read, 'run read', 'runs read');
  const complete = summary.read > 0 && summary.complete === summary.read ? 'all complete' : `${summary.complete} complete`;
  return `${read}, ${complete}`;
}

/** The groups in words, most runs first, plus the unfinished ones the fit also leaves out. */
export function lackTexts(summary: RunsSummary, hints: LackHints = {}): string[] {
  const lines = summary.lacking.map((g) => lackText(g, hints));
  const k = summary.unfinished.length;
  if (k > 0) lines.push(`${k} ${k === 1 ? 'is complete but did not finish' : 'are complete but did not finish'} (left out of the fit)`);
  return lines;
}

/**
 * The whole summary in one sentence: "346 runs read, 0 complete: 245 lack a training precision
 * (…); 80 lack D (training tokens)". At most `max` groups, then how many more.
 */
export function summaryText(summary: RunsSummary, hints: LackHints = {}, max = 4): string {
  const parts = lackTexts(summary, hints);
  if (parts.length === 0) return countText(summary);
  const shown = parts.slice(0, max);
  if (parts.length > max) shown.push(`and ${parts.length - max} more`);
  return `${countText(summary)}: ${shown.join('; ')}`;
}

// --- diagnostics ---------------------------------------------------------------------------

/** Diagnostics of one kind in one file or folder: the first is the example shown. */
export interface DiagnosticGroup {
  /** The file (grouped by file), or the folder all the group's files are under (grouped by folder). */
  where: string;
  /** Undefined for diagnostics without a code: those are grouped by their message text. */
  code?: DiagnosticCode;
  field?: string;
  severity: Severity;
  diagnostics: Diagnostic[];
  /** Distinct files among them. */
  files: number;
}

export interface GroupOptions {
  /**
   * 'file': one group per file and kind (the Problems panel). 'folder': per scanned folder and
   * kind, the group's folder being the deepest one holding all its files (runs in folders of
   * their own, side by side, are one group under the folder that holds them).
   */
  by: 'file' | 'folder';
  /** The scanned folders (by 'folder'); without them, all diagnostics count as one folder. */
  roots?: readonly string[];
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** The deepest folder holding every one of the paths (folders themselves or files' folders). */
function commonFolder(folders: readonly string[]): string {
  if (folders.length === 0) return '';
  let common = folders[0];
  for (const folder of folders.slice(1)) {
    while (common !== folder && !folder.startsWith(common.endsWith(path.sep) ? common : `${common}${path.sep}`)) {
      const up = path.dirname(common);
      if (up === common) return common;
      common = up;
    }
  }
  return common;
}

/** The scanned folder a file is under (the longest that holds it). */
function rootOf(file: string, roots: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const root of roots) {
    const inside = file === root || file.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`);
    if (inside && (best === undefined || root.length > best.length)) best = root;
  }
  return best;
}

/**
 * Groups diagnostics by where (file or folder) and kind: the code, the field, the severity; a
 * diagnostic without a code goes by its message text. Most severe first, then most numerous.
 */
export function groupDiagnostics(diagnostics: readonly Diagnostic[], options: GroupOptions): DiagnosticGroup[] {
  const roots = (options.roots ?? []).map((r) => path.resolve(r));
  const groups = new Map<string, { place: string; code?: DiagnosticCode; field?: string; severity: Severity; diagnostics: Diagnostic[] }>();
  for (const d of diagnostics) {
    const place = options.by === 'file' ? d.file : (rootOf(d.file, roots) ?? '');
    const kind = d.code !== undefined ? `code:${d.code}` : `message:${d.message}`;
    const key = JSON.stringify([place, kind, d.field ?? '', d.severity]);
    const group = groups.get(key) ?? { place, severity: d.severity, diagnostics: [], ...(d.code !== undefined ? { code: d.code } : {}), ...(d.field !== undefined ? { field: d.field } : {}) };
    groups.set(key, group);
    group.diagnostics.push(d);
  }
  return [...groups.values()]
    .map(({ place, diagnostics: ds, ...kind }): DiagnosticGroup => {
      const files = [...new Set(ds.map((d) => d.file))];
      const folder = options.by === 'file' ? place : commonFolder(files.map((f) => (rootOf(f, roots) === f ? f : path.dirname(f))));
      return { where: folder, ...kind, diagnostics: ds, files: files.length };
    })
    .sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.diagnostics.length - a.diagnostics.length || (a.where < b.where ? -1 : a.where > b.where ? 1 : 0));
}

/** A group's kind in a few words: "missing-field [precision]", or the start of an uncoded one's message. */
export function kindText(group: Pick<DiagnosticGroup, 'code' | 'field' | 'diagnostics'>): string {
  const field = group.field ? ` [${group.field}]` : '';
  if (group.code !== undefined) return `${group.code}${field}`;
  const message = group.diagnostics[0].message;
  return `"${message.length > 40 ? `${message.slice(0, 40).trimEnd()}…` : message}"${field}`;
}
