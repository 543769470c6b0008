/**
 * Watcher adapter: turns file system activity under a mission dir into "this path may have
 * changed" hints (DESIGN.md §7). Events are hints only; the guardian re-reads and hashes.
 *
 * Theory of operation: chokidar throttles `change` to one event per path per 50 ms and drops
 * the trailing ones, so on its own it misses the final version of a burst and a bad write landing
 * right after a good one. Its `raw` events are the unthrottled fs.watch events of every watched
 * file and directory, so both feed the same hint: chokidar's `all` for discovery (new files,
 * new directories, removals), `raw` for every write as it happens. The guardian adds a trailing
 * re-check after each hint, so whatever the last event was, the final bytes are judged.
 */
import { watch, type FSWatcher } from 'chokidar';
import { readdir } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { isTempSibling } from '../store/atomic-write.js';

export interface MissionWatcher {
  /** Resolves once the initial scan is done and every directory is watched. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const MAX_DEPTH = 8;

/**
 * chokidar reads a new directory before it watches it, so a file created in between is never
 * reported (seen under load: droid's validators create validation/<m>/scrutiny/ and rename
 * synthesis.json into it at once). Each new directory is listed again once it is surely watched;
 * a hint for an unchanged file costs one read and hash.
 */
const RESCAN_NEW_DIR_AFTER_MS = [100, 1000];

// Watch `dir` and report mission-relative POSIX paths; `onError` gets watcher failures.
export function watchMission(dir: string, onHint: (path: string) => void, onError: (error: Error) => void): MissionWatcher {
  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: true,
    persistent: true,
    depth: MAX_DEPTH,
    followSymlinks: false, // a symlink is reported as itself, never walked: `library -> /` must not watch the disk
    ignored: (path: string) => isTempSibling(path),
  });
  const report = (absolute: string) => {
    const path = relative(dir, absolute).split(sep).join('/');
    if (path === '' || path.startsWith('..') || isTempSibling(path)) return;
    onHint(path);
  };
  // A `change` repeats, late and throttled, a write the raw events already reported: letting it
  // re-arm the guardian's settle window would only delay the verdict.
  watcher.on('all', (event, path) => {
    if (event !== 'change') report(path);
  });
  watcher.on('raw', (_event, name, details) => {
    const watched = (details as { watchedPath?: string } | undefined)?.watchedPath;
    if (typeof watched !== 'string' || typeof name !== 'string' || name === '') return;
    // A file's own watcher reports its basename; a directory's watcher reports a child's name.
    report(basename(watched) === name ? watched : join(watched, name));
  });
  const rescans = new Set<NodeJS.Timeout>();
  watcher.on('addDir', (path) => {
    for (const delay of RESCAN_NEW_DIR_AFTER_MS) {
      const timer = setTimeout(() => {
        rescans.delete(timer);
        readdir(path, { recursive: true, withFileTypes: true }).then(
          (entries) => entries.filter((entry) => entry.isFile()).forEach((entry) => report(join(entry.parentPath, entry.name))),
          () => undefined, // gone again: its removal was reported
        );
      }, delay);
      rescans.add(timer);
    }
  });
  watcher.on('error', (error) => onError(error as Error));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  const close = () => {
    for (const timer of rescans) clearTimeout(timer);
    rescans.clear();
    return watcher.close();
  };
  return { ready, close };
}
