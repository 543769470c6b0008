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
 *   is closed. A child removed is forgotten; one made again (a new inode) is a candidate again.
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

interface Child {
  ino: number;
  /** Its mission is guarded (its guardian watches it) or refused. */
  settled: boolean;
  /** Open while it is a candidate (none if the watch could not be made). */
  watcher: FSWatcher | undefined;
}

// Watch `root`; returns the watcher and the child dirs present now (the caller adopts them or not).
// `onChild` gets a child dir each time something may have changed at its top level.
export function watchMissionsRoot(root: string, onChild: (child: string) => void, onError: (path: string, error: Error) => void): { watcher: RootWatcher; children: string[] } {
  const children = new Map<string, Child>();
  const candidates = new Set<string>();
  let closed = false;

  const release = (dir: string): void => {
    const child = children.get(dir);
    child?.watcher?.close();
    if (child !== undefined) child.watcher = undefined;
    candidates.delete(dir);
  };

  const forget = (dir: string): void => {
    release(dir);
    children.delete(dir);
  };

  // Look at the root's entry `name` as it is now; `announce`: report it when it may hold a mission.
  const look = (name: string, announce: boolean): string | undefined => {
    const dir = join(root, name);
    let ino: number;
    try {
      const stats = lstatSync(dir);
      // A symlink is not followed: the guard never acts through one.
      if (!stats.isDirectory()) return void forget(dir);
      ino = stats.ino;
    } catch {
      return void forget(dir);
    }
    const known = children.get(dir);
    if (known !== undefined && known.ino === ino) {
      if (!known.settled && announce) onChild(dir);
      return dir;
    }
    forget(dir); // new, or replaced by another dir of the same name: a candidate
    const child: Child = { ino, settled: false, watcher: undefined };
    children.set(dir, child);
    child.watcher = watchCandidate(dir);
    if (announce) onChild(dir);
    return dir;
  };

  const watchCandidate = (dir: string): FSWatcher | undefined => {
    try {
      const watcher = watch(dir, { persistent: true }, () => {
        if (!closed && candidates.has(dir)) onChild(dir);
      });
      watcher.on('error', (error) => {
        release(dir);
        if (!GONE.has(errnoOf(error) ?? '')) onError(dir, error);
      });
      candidates.add(dir);
      return watcher;
    } catch (error) {
      if (!GONE.has(errnoOf(error) ?? '')) onError(dir, error as Error);
      return undefined;
    }
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
    for (const dir of [...children.keys()]) if (!now.has(dir)) forget(dir);
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
        if (closed || name === undefined || name === '' || name === '..' || isAbsolute(rel)) return;
        const dir = join(root, name);
        const child = children.get(dir);
        if (child === undefined) return;
        child.settled = true;
        release(dir);
      },
      close() {
        closed = true;
        rootWatcher.close();
        for (const dir of [...candidates]) release(dir);
        children.clear();
      },
    },
    children: present,
  };
}
