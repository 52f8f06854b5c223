// When the extension rescans the workspace: which file changes call for a rescan, and how long
// the background rescans wait. Pure decisions, so the rules are tested without an editor.

import * as path from 'node:path';

/** A burst of writes (a sweep writing its run folders) is one rescan. */
export const DEBOUNCE_MS = 750;
/**
 * File watchers can drop events (inotify limits, remote file systems): a periodic rescan backs
 * them up. An unchanged workspace costs a directory walk and some stats (the scan cache), which
 * on a large workspace is seconds, so the period grows with what the last scan cost.
 */
export const POLL_MIN_MS = 20_000;
export const POLL_MAX_MS = 10 * 60_000;
/** The background poll spends at most a tenth of the time scanning. */
export const POLL_FACTOR = 10;

/** How long after a scan that took `lastScanMs` the next background rescan waits. */
export function pollDelay(lastScanMs: number): number {
  const cost = Number.isFinite(lastScanMs) && lastScanMs > 0 ? lastScanMs : 0;
  return Math.min(POLL_MAX_MS, Math.max(POLL_MIN_MS, POLL_FACTOR * cost));
}

/**
 * How long a file change waits for more before it rescans: at least the scan's own cost, so a
 * trainer writing every second does not keep a large workspace scanning back to back.
 */
export function debounceDelay(lastScanMs: number): number {
  return Math.min(POLL_MIN_MS, Math.max(DEBOUNCE_MS, Number.isFinite(lastScanMs) ? lastScanMs : 0));
}

/**
 * The files whose changes the extension's watcher reports (a VS Code glob): the text run files,
 * and the sweeps' planned-run.json, rewritten by the executor as a job is queued, runs and ends,
 * with no run file changing. Event files and binary logs are left to the periodic rescan.
 */
export const WATCHED_FILES = '**/*.{json,jsonl,csv,tsv,yaml,yml}';

export interface WatchScope {
  /** The scanned workspace folders (absolute). */
  folders: readonly string[];
  /** precisionPlanner.runs.exclude as the scan uses it, a path relative to its folder in (discover.ts excludeMatcher, made once per settings read). */
  excluded: (rel: string) => boolean;
  /** Whether a folder holds the product's output marker (discover.ts OUTPUT_MARKER): the scan never enters it. */
  isOutputFolder: (dir: string) => boolean;
}

/** Git's own folder churns on every commit and never holds runs, whatever the user's exclude says. */
const ALWAYS_IGNORED = '.git';

/**
 * Whether a change to `file` can change what the scan finds: not when the scan never reads it —
 * outside every scanned folder, in a folder (or matching a glob) of the exclude setting, inside
 * a folder of the product's own output — the same rules as the walk (discover.ts), applied to
 * the file and each folder above it.
 */
export function changeCallsForRescan(file: string, scope: WatchScope): boolean {
  const absolute = path.resolve(file);
  const root = scope.folders
    .map((f) => path.resolve(f))
    .filter((f) => absolute === f || absolute.startsWith(f.endsWith(path.sep) ? f : f + path.sep))
    .sort((a, b) => b.length - a.length)[0];
  if (root === undefined || root === absolute) return false;
  const parts = path.relative(root, absolute).split(path.sep);
  if (parts.includes(ALWAYS_IGNORED)) return false;
  let dir = root;
  for (let i = 0; i < parts.length; i++) {
    // The walk looks for the marker in every folder it lists, the scanned folder first.
    if (scope.isOutputFolder(dir)) return false;
    if (scope.excluded(parts.slice(0, i + 1).join('/'))) return false;
    dir = path.join(dir, parts[i]);
  }
  return true;
}
