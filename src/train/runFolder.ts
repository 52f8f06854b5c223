// Where a run is written: one folder named after the run, directly inside the output folder.
// A run name is a single path component, so a name can never put a run anywhere else (`../x`,
// `a/b`, `/tmp/x`, `C:\x`); two runs of one sweep never share a folder, even on a file system
// that ignores case; and the extension can tell whether an output folder lies outside the
// workspace. Pure path logic (no file system access but realPathOf), unit-tested.

import { realpathSync } from 'node:fs';
import * as path from 'node:path';

/** Longest run name: most file systems cap a name at 255 bytes. */
export const MAX_RUN_NAME_BYTES = 255;

/**
 * Why `name` cannot be a run folder's name, or undefined when it can. `field` names where the
 * name came from ("--name", "run name") for the message.
 */
export function runNameProblem(name: unknown, field = 'run name'): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') return `${field} is empty`;
  const shown = JSON.stringify(name);
  if (name.includes('\0')) return `${field} ${shown} contains a NUL character`;
  if (name.includes('/') || name.includes('\\')) return `${field} ${shown} contains a path separator ("/" or "\\"); a run name is one folder name inside the output folder`;
  if (name === '.' || name === '..') return `${field} ${shown} is not a folder name`;
  if (path.posix.isAbsolute(name) || path.win32.isAbsolute(name) || /^[A-Za-z]:/.test(name)) return `${field} ${shown} is an absolute path; a run name is one folder name inside the output folder`;
  // Control characters make names no terminal or file browser shows as written.
  if ([...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return `${field} ${shown} contains a control character`;
  if (Buffer.byteLength(name, 'utf8') > MAX_RUN_NAME_BYTES) return `${field} is ${Buffer.byteLength(name, 'utf8')} bytes long; folder names are at most ${MAX_RUN_NAME_BYTES}`;
  return undefined;
}

/** Throws with runNameProblem's reason. */
export function checkRunName(name: string, field = 'run name'): void {
  const problem = runNameProblem(name, field);
  if (problem) throw new Error(problem);
}

/**
 * The run folder of `name` in `outDir`, checked to be a direct child of it (names pass
 * runNameProblem, and this holds whatever the platform's path rules say). Throws otherwise.
 */
export function runFolderOf(outDir: string, name: string): string {
  checkRunName(name);
  const out = path.resolve(outDir);
  const dir = path.resolve(out, name);
  if (path.dirname(dir) !== out || path.basename(dir) !== name) throw new Error(`run name ${JSON.stringify(name)} does not name a folder directly inside ${out}`);
  return dir;
}

/**
 * Pairs of jobs that would write one run folder: same output folder and names equal when case
 * is ignored (macOS and Windows file systems ignore it, so "L2W32" and "l2w32" are one folder
 * there). One message per collision, naming both jobs and the folder.
 */
export function folderCollisions(jobs: readonly { name: string; outDir: string }[]): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const job of jobs) {
    const key = path.join(path.resolve(job.outDir), job.name).toLowerCase();
    const first = seen.get(key);
    if (first === undefined) seen.set(key, job.name);
    else problems.push(`runs "${first}" and "${job.name}" would both write the folder ${path.join(path.resolve(job.outDir), job.name)} (run folder names must differ when case is ignored)`);
  }
  return problems;
}

/** Whether paths compare without case here (the default file systems of Windows and macOS). */
export const CASE_INSENSITIVE_PATHS = process.platform === 'win32' || process.platform === 'darwin';

/**
 * True when `target` is one of `folders` or lies inside one. Lexical: give it real paths
 * (realPathOf) to see through symbolic links.
 */
export function isInside(folders: readonly string[], target: string, ignoreCase = CASE_INSENSITIVE_PATHS): boolean {
  const norm = (p: string): string => (ignoreCase ? path.resolve(p).toLowerCase() : path.resolve(p));
  const t = norm(target);
  return folders.some((folder) => {
    const relative = path.relative(norm(folder), t);
    return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
  });
}

/**
 * The real path of `p` (links resolved) even when it does not exist yet: the real path of its
 * nearest existing ancestor, with the rest appended.
 */
export function realPathOf(p: string): string {
  let existing = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...rest.reverse());
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return path.resolve(p);
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}
