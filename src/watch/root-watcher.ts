/**
 * Watcher of a missions root: reports the child dirs where a mission may have appeared, for the
 * supervisor to look at (droid makes `ROOT/<id>/`, then its marker files; `task-master init` makes
 * `ROOT/project/.taskmaster/`). Once a mission is guarded its guardian watches it, so this watches
 * only what nobody guards yet, and only one level deep.
 *
 * Theory of operation:
 * - One `fs.watch` on the root (its children appearing, vanishing, renamed in), and one on each
 *   child dir not yet settled (a "candidate"). Every mission marker is a name at the top level of
 *   the child (features.json, state.json, guard.config.json, .taskmaster/), so a candidate's own
 *   watch reports it; nothing under it is watched (a project's source tree never is).
 * - A dir is watched first, then looked at (`onChild`): a marker created before the watch is seen
 *   by the look, one created after raises an event. Nothing falls in between, so no re-look timer.
 * - The supervisor settles a child once its mission is guarded or refused: the candidate's watch
 *   is closed. Any event of the root about a child (made, removed, renamed, replaced) makes it a
 *   candidate again, watched anew, since a dir made again under the same name may reuse the inode
 *   number of the one removed; a guarded one is settled again at once. A child removed is forgotten.
 */
import { lstatSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { errnoOf } from '../errors.js';

export interface RootWatcher {
  readonly root: string;
  /** Child dirs watched until their mission is settled (tests, diagnostics). */
  readonly candidates: ReadonlySet<string>;
  /** The mission at or in the child holding `path` is guarded or refused: stop watching that child. */
  settle(path: string): void;
  close(): void;
}

/** A dir vanished or stopped being one: its removal is an event, not an error. */
const GONE = new Set(['ENOENT', 'ENOTDIR']);

// Watch `root`; returns the watcher and the child dirs present now (the caller adopts them or not).
// `onChild` gets a child dir each time something may have changed at its top level.
export function watchMissionsRoot(root: string, onChild: (child: string) => void, onError: (path: string, error: Error) => void): { watcher: RootWatcher; children: string[] } {
  /** Candidate child dirs and their watch (undefined if it could not be made). */
  const watches = new Map<string, FSWatcher | undefined>();
  const candidates = new Set<string>();
  let closed = false;

  const release = (dir: string): void => {
    watches.get(dir)?.close();
    watches.delete(dir);
    candidates.delete(dir);
  };

  const watchCandidate = (dir: string): void => {
    try {
      const watcher = watch(dir, { persistent: true }, () => {
        if (!closed && candidates.has(dir)) onChild(dir);
      });
      watcher.on('error', (error) => {
        release(dir);
        if (!GONE.has(errnoOf(error) ?? '')) onError(dir, error);
      });
      watches.set(dir, watcher);
      candidates.add(dir);
    } catch (error) {
      if (!GONE.has(errnoOf(error) ?? '')) onError(dir, error as Error);
    }
  };

  // The root's entry `name` may have changed: a dir there is watched anew (it may be another dir
  // than the one watched before, even with the same inode number) and, with `announce`, reported.
  const look = (name: string, announce: boolean): string | undefined => {
    const dir = join(root, name);
    release(dir);
    try {
      // A symlink is not followed: the guard never acts through one.
      if (!lstatSync(dir).isDirectory()) return undefined;
    } catch {
      return undefined; // gone: forgotten
    }
    watchCandidate(dir);
    if (announce) onChild(dir);
    return dir;
  };

  const listNow = (announce: boolean): string[] => {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch (error) {
      onError(root, error as Error);
      return [];
    }
    const now = new Set(names.map((name) => join(root, name)));
    for (const dir of [...candidates]) if (!now.has(dir)) release(dir);
    return names.flatMap((name) => look(name, announce) ?? []);
  };

  const rootWatcher = watch(root, { persistent: true }, (_event, name) => {
    if (closed) return;
    // No name: the kernel could not say which entry; look at them all.
    if (name === null) return void listNow(true);
    const base = name.toString();
    if (base !== '' && !base.includes(sep)) look(base, true);
  });
  rootWatcher.on('error', (error) => onError(root, error));

  const present = listNow(false);
  return {
    watcher: {
      root,
      candidates,
      settle(path) {
        const rel = relative(root, path);
        const name = rel.split(sep)[0];
        if (name === undefined || name === '' || name === '..' || isAbsolute(rel)) return;
        release(join(root, name));
      },
      close() {
        closed = true;
        rootWatcher.close();
        for (const dir of [...watches.keys()]) release(dir);
      },
    },
    children: present,
  };
}
