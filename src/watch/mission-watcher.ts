/**
 * Watcher adapter: turns file system activity under a mission dir into "this path may have
 * changed" hints (DESIGN.md §7). Events are hints only; the guardian re-reads and hashes.
 *
 * Theory of operation:
 * - One `fs.watch` per directory, none per file: a directory's inotify watch reports every
 *   change to the files in it (create, write, attribute, rename, delete) with the file's name,
 *   unthrottled. A mission of 15 files in 5 directories costs 5 watches, not 20 watchers that
 *   each keep a `Stats` (measured: the guardian's RSS for 200 missions, BENCHMARKS.md).
 * - A directory is listed right after its watch is in place: a file created before the watch is
 *   listed, one created after raises an event, so nothing falls in between (no re-scan timer).
 *   A new directory's files are all hinted; the initial scan hints nothing (the baseline reads).
 * - A name whose event says it was renamed, created or deleted is looked at (`lstat`): a new
 *   directory is watched, a directory that is gone or replaced has its watches closed (and
 *   re-made for the new one). Symlinks are not followed: the guard reads no-follow too.
 * - Errors (a directory that cannot be read or watched: EACCES, ENOSPC or EMFILE from the
 *   inotify limits) go to `onError` with the directory's path; the guardian decides (src/errors.ts
 *   says whether it is fatal; a watcher error is not). The directory is remembered and `retry()`
 *   tries it again; until then its files are only seen by the guardian's periodic re-check.
 * - No timer: a watcher costs nothing while nothing happens.
 */
import { lstatSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { errnoOf } from '../errors.js';
import { isTempSibling } from '../store/atomic-write.js';

export interface MissionWatcher {
  /** Resolves once the initial scan is done and every directory is watched. */
  ready: Promise<void>;
  /** Directories that could not be watched, as mission-relative paths ('' is the mission dir). */
  readonly unwatched: ReadonlySet<string>;
  /** Try the directories that could not be watched again; each new failure goes to onError. */
  retry(): void;
  close(): Promise<void>;
}

const MAX_DEPTH = 8;

/** A directory vanished or stopped being one: not an error, its removal is reported as a hint. */
const GONE = new Set(['ENOENT', 'ENOTDIR']);

// Watch `dir` and report mission-relative POSIX paths; `onError` gets what cannot be watched.
export function watchMission(dir: string, onHint: (path: string) => void, onError: (error: Error) => void): MissionWatcher {
  const watchers = new Map<string, FSWatcher>();
  const unwatched = new Set<string>();
  let closed = false;
  const abs = (rel: string) => (rel === '' ? dir : join(dir, rel));
  const child = (rel: string, name: string) => (rel === '' ? name : `${rel}/${name}`);
  const depth = (rel: string) => (rel === '' ? 0 : rel.split('/').length);

  const failed = (rel: string, error: unknown) => {
    if (GONE.has(errnoOf(error) ?? '')) return unwatch(rel);
    unwatch(rel);
    unwatched.add(rel);
    onError(error as Error);
  };

  // Watch `rel` and every directory under it; with `announce`, hint every file found.
  const watchDir = (rel: string, announce: boolean): void => {
    if (closed || watchers.has(rel) || depth(rel) > MAX_DEPTH) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(abs(rel), { persistent: true }, (_event, name) => onEvent(rel, name));
    } catch (error) {
      return failed(rel, error);
    }
    unwatched.delete(rel);
    watchers.set(rel, watcher);
    watcher.on('error', (error) => failed(rel, error));
    let entries;
    try {
      entries = readdirSync(abs(rel), { withFileTypes: true });
    } catch (error) {
      return failed(rel, error);
    }
    for (const entry of entries) {
      if (isTempSibling(entry.name)) continue;
      const path = child(rel, entry.name);
      if (entry.isDirectory()) watchDir(path, announce);
      else if (announce) onHint(path);
    }
  };

  // Close the watches of `rel` and of every directory under it.
  const unwatch = (rel: string): void => {
    for (const [path, watcher] of watchers) {
      if (path === rel || rel === '' || path.startsWith(`${rel}/`)) {
        watcher.close();
        watchers.delete(path);
      }
    }
    for (const path of unwatched) if (path === rel || path.startsWith(`${rel}/`)) unwatched.delete(path);
  };

  const onEvent = (rel: string, name: string | Buffer | null): void => {
    if (closed) return;
    if (name === null) {
      // No name: the kernel could not say which file (it should not happen for a directory
      // watch). Every file of the directory is hinted; a hint for an unchanged file costs a read.
      return rescan(rel);
    }
    const base = name.toString();
    if (base === '' || isTempSibling(base)) return;
    const path = child(rel, base);
    let isDir = false;
    try {
      isDir = lstatSync(abs(path)).isDirectory();
    } catch {
      isDir = false; // gone
    }
    // The path itself is hinted whatever it is: a directory standing where an artifact or the
    // sentinel goes is the guardian's to notice.
    onHint(path);
    // A watched directory renamed, removed or replaced: its watch may be on an inode that is no
    // longer at this path. Watch again whatever stands there now.
    if (watchers.has(path) || unwatched.has(path)) unwatch(path);
    if (isDir) watchDir(path, true);
  };

  const rescan = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(abs(rel), { withFileTypes: true });
    } catch (error) {
      return failed(rel, error);
    }
    for (const entry of entries) if (!entry.isDirectory() && !isTempSibling(entry.name)) onHint(child(rel, entry.name));
  };

  watchDir('', false);
  return {
    ready: Promise.resolve(),
    unwatched,
    retry: () => {
      for (const rel of [...unwatched]) {
        unwatched.delete(rel);
        watchDir(rel, true);
      }
    },
    close: async () => {
      closed = true;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
