// Limits on what the guard agrees to watch as one mission (issue 14, item 11): `/` or a home dir
// walked the whole filesystem to 4.8 GB. The CLI checks them before a guardian starts; the
// watcher may read the same cap.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Files one mission dir may hold before `guard watch` / `guard run` refuse it (--max-files raises it). */
export const DEFAULT_MAX_MISSION_FILES = 20_000;

// How many files are under `dir`, counting no further than `limit + 1` (symlinks are not followed).
export function countFilesUpTo(dir: string, limit: number): number {
  let count = 0;
  const stack = [dir];
  while (stack.length > 0 && count <= limit) {
    const at = stack.pop() as string;
    let entries;
    try {
      entries = readdirSync(at, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) stack.push(join(at, entry.name));
      else if (++count > limit) break;
    }
  }
  return count;
}
