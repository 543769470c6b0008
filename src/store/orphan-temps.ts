// Temp files the guard itself left behind when it was killed mid-write (issue 9 item 8): its temp
// siblings in the mission dir and in its state folder, and the object store's temp files. Removed
// when a guardian starts. Only the guard's own names, and only when the process that made one is
// dead: droid's tool temps (`.<name>.<12 hex>.tmp`) are an agent's in-flight writes, never touched,
// and a live `guard write` or hook in another process keeps its temp files.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { guardTempOwner, removeQuietly } from './atomic-write.js';
import { isAlive } from './lock-owner.js';
import { objectTempOwner } from './objects.js';
import type { MissionStatePaths } from './paths.js';

/** An object temp from a guard that did not name its pid in it is left this long (a live writer). */
const UNNAMED_TEMP_AGE_MS = 60 * 60 * 1000;

// Remove orphaned temp files; returns what was removed.
export function removeOrphanTemps(paths: MissionStatePaths): string[] {
  const removed: string[] = [];
  const remove = (file: string) => {
    removeQuietly(file);
    removed.push(file);
  };
  walk(paths.missionDir, (file, name) => {
    const pid = guardTempOwner(name);
    if (pid !== undefined && isDead(pid)) remove(file);
  });
  for (const name of list(paths.dir)) {
    const pid = guardTempOwner(name);
    if (pid !== undefined && isDead(pid)) remove(join(paths.dir, name));
  }
  for (const sub of list(paths.objects)) {
    for (const name of list(join(paths.objects, sub))) {
      const owner = objectTempOwner(name);
      if (owner === undefined) continue;
      const file = join(paths.objects, sub, name);
      if (owner === 'unnamed' ? olderThan(file, UNNAMED_TEMP_AGE_MS) : isDead(owner)) remove(file);
    }
  }
  return removed;
}

function isDead(pid: number): boolean {
  return pid !== process.pid && !isAlive(pid);
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// Every file under `dir` (symlinks are not followed).
function walk(dir: string, visit: (file: string, name: string) => void): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const file = join(dir, entry.name);
    if (entry.isDirectory()) walk(file, visit);
    else if (entry.isFile()) visit(file, entry.name);
  }
}

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}
