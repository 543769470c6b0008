/**
 * Mission files are opened without ever following a symlink out of the mission (issue "hostile
 * missions" item 3). An agent can put a symlink where an artifact or one of its directories
 * should be, or swap the whole mission dir for one; the guard must then neither read the target
 * (and copy it into its own store) nor write, append to or delete it.
 *
 * Theory of operation:
 * - Every mission dir the process opens is pinned once, by its real path and its device and
 *   inode (`pinMissionRoot`, from missionStatePaths). A file under a pinned root is "contained".
 * - A contained open uses O_NOFOLLOW (a symlink as the last component fails with ELOOP), then
 *   asks the kernel where the descriptor really points (/proc/self/fd). That must be the path
 *   itself: any symlink among the directories in between, or a directory renamed meanwhile, shows
 *   as another path. Then the root must still be the directory pinned (not a symlink, not another
 *   directory renamed into its place). The check follows the open, so there is no window between
 *   check and use for a read; bytes are read only from a descriptor that passed.
 * - Renames and unlinks act on paths, so right before each the chain of directories is checked
 *   again with lstat (`assertContained`). The window left is microseconds, and what lands in it
 *   is a rename inside the mission's old inode, never a write through a symlink.
 * - Where /proc is missing (not Linux), the lstat chain is checked before the open instead.
 */
import { closeSync, constants, lstatSync, openSync, readlinkSync, statSync, unlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
import { errnoOf } from '../errors.js';

/** A symlink, or a swapped mission dir, on the way to a mission file. */
export class EscapeError extends Error {
  /** errno-style, so that a mission fault is reported like any refused system call. */
  readonly code: 'ELOOP' | 'ESWAPPED';
  readonly syscall = 'open';
  /** The component that is a symlink (or the mission dir that was swapped). */
  readonly path: string;

  constructor(code: 'ELOOP' | 'ESWAPPED', path: string, message: string) {
    super(message);
    this.code = code;
    this.path = path;
  }
}

interface Root {
  dev: number;
  ino: number;
}

const roots = new Map<string, Root>();

// Remember `realDir` (a real path) as a mission root: its device and inode from now on are the
// mission's. Pinned once (a dir swapped later is detected, not re-pinned), unless `again`: a
// mission store opened anew (a guardian's start, a command) takes the dir as it is now.
export function pinMissionRoot(realDir: string, again = false): void {
  if (roots.has(realDir) && !again) return;
  const stats = lstatSync(realDir);
  if (stats.isDirectory()) roots.set(realDir, { dev: stats.dev, ino: stats.ino });
}

// The pinned mission root that holds `file`, if any.
function rootOf(file: string): string | undefined {
  let best: string | undefined;
  for (const root of roots.keys()) if (file.startsWith(`${root}${sep}`) && (best === undefined || root.length > best.length)) best = root;
  return best;
}

/** Whether the mission dir at `root` is still the one pinned (a plain directory, same inode). */
export function rootIntact(root: string): boolean {
  const pinned = roots.get(root);
  if (pinned === undefined) return true;
  try {
    const stats = lstatSync(root);
    return stats.isDirectory() && !stats.isSymbolicLink() && stats.dev === pinned.dev && stats.ino === pinned.ino;
  } catch {
    return false;
  }
}

// Throw ESWAPPED when the mission dir `root` is no longer the one pinned.
export function assertRootIntact(root: string): void {
  if (!rootIntact(root)) throw swapped(root);
}

function swapped(root: string): EscapeError {
  return new EscapeError('ESWAPPED', root, `the mission dir ${root} was replaced (renamed, or swapped for a symlink) after the guard started; the guard does not act on what stands there now`);
}

function symlinkAt(component: string): EscapeError {
  return new EscapeError('ELOOP', component, `${component} is a symlink; the guard never follows a symlink in a mission dir`);
}

// Throw when the mission dir of `file` was swapped, or a directory between it and `file` (or
// `file` itself, unless `leafMayBeLink`) is a symlink. No-op for a file outside pinned roots.
export function assertContained(file: string, leafMayBeLink = false): void {
  const root = rootOf(file);
  if (root === undefined) return;
  if (!rootIntact(root)) throw swapped(root);
  const parts = file.slice(root.length + 1).split(sep);
  let at = root;
  for (let i = 0; i < parts.length; i++) {
    at = join(at, parts[i] as string);
    let stats;
    try {
      stats = lstatSync(at);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return; // nothing further exists: nothing to follow
      throw error;
    }
    if (stats.isSymbolicLink() && !(leafMayBeLink && i === parts.length - 1)) throw symlinkAt(at);
  }
}

const hasProc = (() => {
  try {
    readlinkSync('/proc/self/fd/0');
    return true;
  } catch (error) {
    return errnoOf(error) !== 'ENOENT';
  }
})();

/** How often an open is tried again when the file was renamed between open and check. */
const REOPEN_ATTEMPTS = 3;

/**
 * Open `file` never following a symlink: O_NOFOLLOW always, and for a file under a pinned mission
 * root the descriptor's real path and the root's identity are checked before it is returned.
 * Throws EscapeError (code ELOOP or ESWAPPED) for a symlink or a swapped mission dir; other
 * errors as openSync does. `mode` for O_CREAT.
 */
export function openContained(file: string, flags: number, mode?: number): number {
  const root = rootOf(file);
  // Before creating anything: never a new file in a symlink's target, not even for a moment.
  if (root !== undefined && (!hasProc || (flags & constants.O_CREAT) !== 0)) assertContained(file);
  for (let attempt = 1; ; attempt++) {
    let fd: number;
    try {
      fd = mode === undefined ? openSync(file, flags | constants.O_NOFOLLOW) : openSync(file, flags | constants.O_NOFOLLOW, mode);
    } catch (error) {
      if (errnoOf(error) === 'ELOOP' && isSymlink(file)) throw symlinkAt(file);
      if (root !== undefined && errnoOf(error) === 'ENOENT') assertContained(file); // absent, or absent in a symlink's target?
      throw error;
    }
    if (root === undefined || !hasProc) return fd;
    let real: string;
    try {
      real = readlinkSync(`/proc/self/fd/${fd}`).replace(/ \(deleted\)$/, '');
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    if (real === file && rootIntact(root)) return fd;
    closeSync(fd);
    if ((flags & constants.O_CREAT) !== 0 && (flags & constants.O_EXCL) !== 0) removeCreated(real);
    assertContained(file); // throws when a symlink or a swap explains it
    if (attempt >= REOPEN_ATTEMPTS) throw new EscapeError('ELOOP', file, `${file} kept moving while the guard opened it (it resolved to ${real}); not followed`);
  }
}

// A file this open created somewhere it must not be: removed again (it is ours, and empty).
function removeCreated(real: string): void {
  try {
    unlinkSync(real);
  } catch {
    // gone already
  }
}

function isSymlink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The mission-relative name of an escape's path, for messages and incidents. */
export function escapeName(error: EscapeError, missionDir: string): string {
  return error.path === missionDir ? '.' : error.path.startsWith(`${missionDir}${sep}`) ? error.path.slice(missionDir.length + 1) : error.path;
}

export function isEscape(error: unknown): error is EscapeError {
  return error instanceof EscapeError;
}

// An EscapeError when `file` is a symlink to a directory (artifacts could be written behind it,
// where the guard does not look); undefined for anything else. Costs one lstat.
export function symlinkedDir(file: string): EscapeError | undefined {
  try {
    if (!lstatSync(file).isSymbolicLink() || !statSync(file).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  return symlinkAt(file);
}
