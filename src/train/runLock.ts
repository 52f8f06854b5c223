// One writer per run folder: run.lock, created exclusively by the trainer that writes the run and
// removed when the run ends (complete, cancelled or failed). A second trainer pointed at the same
// folder refuses, naming the holder, instead of interleaving its curve with the first one's. A
// lock whose holder is gone (killed with SIGKILL, a crash, a reboot) is taken over with a note:
// the holder is checked by pid, on this host only; a lock from another host cannot be checked
// from here and is refused, with how to clear it.

import { closeSync, constants, linkSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = 'run.lock';

/** What run.lock holds. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO time the holder took the lock. */
  started: string;
  /**
   * When the holder's process started, in clock ticks since boot (Linux /proc/<pid>/stat): a
   * pid reused by an unrelated process (after the holder died, or a reboot) has another.
   */
  processStart?: string;
}

/** A lock this process holds. */
export interface HeldLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Set when a stale lock was taken over: what was replaced, for the user. */
  readonly note?: string;
  /** Removes run.lock if it is still this process's; safe to call more than once. */
  release(): void;
}

/**
 * Whether a process with this pid runs on this host (EPERM: it runs, as another user). A zombie
 * (exited, not yet reaped: an orphan whose new parent does not reap, as in some containers)
 * has ended, though signal 0 still reaches it; Linux tells them apart in /proc.
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** The fields of /proc/<pid>/stat from the state on (the 3rd field), or undefined off Linux or when it is gone. */
function procStat(pid: number): string[] | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (name) S ...": the name may hold parentheses and spaces; the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function isZombie(pid: number): boolean {
  const state = procStat(pid)?.[0];
  return state === 'Z' || state === 'X';
}

/** A process's start time (the 22nd field of /proc/<pid>/stat), where the system says it. */
export const processStart = (pid: number): string | undefined => procStat(pid)?.[19];

/** Is the lock's holder still running: its pid alive and, where recorded, started when the holder did. */
export function holderAlive(holder: LockHolder): boolean {
  if (!isAlive(holder.pid)) return false;
  const now = holder.processStart === undefined ? undefined : processStart(holder.pid);
  return now === undefined || now === holder.processStart;
}

/** The holder recorded in a lock file; undefined when it is missing, unreadable or not a lock. */
export function readLock(file: string): LockHolder | undefined {
  try {
    if (!lstatSync(file).isFile()) return undefined;
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (!Number.isInteger(value.pid) || typeof value.hostname !== 'string') return undefined;
    return { pid: value.pid!, hostname: value.hostname, started: typeof value.started === 'string' ? value.started : '', ...(typeof value.processStart === 'string' ? { processStart: value.processStart } : {}) };
  } catch {
    return undefined;
  }
}

const sameHolder = (a: LockHolder | undefined, b: LockHolder): boolean => a !== undefined && a.pid === b.pid && a.hostname === b.hostname && a.started === b.started;

const describe = (h: LockHolder): string => `pid ${h.pid} on ${h.hostname}${h.started ? `, since ${h.started}` : ''}`;

/** Thrown when the folder has a live writer (or a lock that cannot be judged). */
export class RunLockedError extends Error {}

/**
 * Takes run.lock in `dir` (which must exist) for this process, or throws RunLockedError naming
 * the folder and the holder. A stale lock (its pid no longer runs here) is taken over.
 */
export function acquireRunLock(dir: string): HeldLock {
  const file = path.join(dir, LOCK_FILE);
  const start = processStart(process.pid);
  const me: LockHolder = { pid: process.pid, hostname: os.hostname(), started: new Date().toISOString(), ...(start !== undefined ? { processStart: start } : {}) };
  let note: string | undefined;
  // Twice at most: once more after removing a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      // O_EXCL: fails when the file exists, a symbolic link included (which it never follows).
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new RunLockedError(`cannot create the lock file ${file}: ${(error as Error).message}`);
      const holder = readLock(file);
      const clear = `if no trainer writes there, delete ${file}`;
      if (!holder) throw new RunLockedError(`the run folder ${dir} has a ${LOCK_FILE} that is not a readable lock (another trainer may be starting there); ${clear}`);
      if (holder.hostname !== me.hostname) throw new RunLockedError(`the run folder ${dir} is being written by another trainer (${describe(holder)}), which cannot be checked from ${me.hostname}; ${clear}`);
      if (holderAlive(holder)) throw new RunLockedError(`the run folder ${dir} is being written by another trainer (${describe(holder)}); wait for it to end or stop it, or give this run another name`);
      if (attempt > 0 || !removeIfStill(file, holder)) throw new RunLockedError(`the run folder ${dir} was taken by another trainer while this one started; give this run another name`);
      note = `took over ${file}: its holder (${describe(holder)}) no longer runs`;
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
    } finally {
      closeSync(fd);
    }
    return {
      file,
      holder: me,
      note,
      release: () => {
        if (sameHolder(readLock(file), me)) removeIfStill(file, me);
      },
    };
  }
  throw new RunLockedError(`the run folder ${dir} could not be locked`);
}

/**
 * Removes the lock of `dir` when it names `pid` on this host and that process has ended: what
 * the engine does for a child that died holding it. True when removed.
 */
export function removeLockOf(dir: string, pid: number): boolean {
  const file = path.join(dir, LOCK_FILE);
  const holder = readLock(file);
  if (!holder || holder.pid !== pid || holder.hostname !== os.hostname() || isAlive(pid)) return false;
  return removeIfStill(file, holder);
}

/**
 * Removes the lock of `dir` left by a writer that `ended` says is gone, on whatever host: a
 * scheduler's job that has ended (Slurm killed it at its time or memory limit, or scancel did)
 * cannot hold it any more, though no pid check from here can tell. Only a lock taken before
 * `endedAt` goes. True when removed.
 */
export function removeLockOfEndedJob(dir: string, endedAt: Date): boolean {
  const file = path.join(dir, LOCK_FILE);
  const holder = readLock(file);
  if (!holder || !(Date.parse(holder.started) <= endedAt.getTime())) return false;
  return removeIfStill(file, holder);
}

/** True when run.lock in `dir` names `pid` on this host. */
export function lockedBy(dir: string, pid: number): boolean {
  const holder = readLock(path.join(dir, LOCK_FILE));
  return holder !== undefined && holder.pid === pid && holder.hostname === os.hostname();
}

/**
 * Removes the lock file if it still names `holder`. Moved aside first (a rename is atomic), so
 * that a lock another trainer created in the meantime is put back rather than deleted.
 */
function removeIfStill(file: string, holder: LockHolder): boolean {
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch {
    return false;
  }
  if (sameHolder(readLock(aside), holder)) {
    unlinkQuietly(aside);
    return true;
  }
  // Not the one judged: another trainer's fresh lock. Back in place, unless a third took the name.
  try {
    linkSync(aside, file);
  } catch {
    // Left aside: the folder is locked by whoever holds run.lock now.
  }
  unlinkQuietly(aside);
  return false;
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already; a leftover is cleaned with the run folder's stale temporary files.
  }
}
