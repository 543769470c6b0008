// Which mission (with guard state) a path belongs to. A dir is a guarded mission when its journal
// exists under the guard home; only existing dirs can be (the state id needs the realpath).
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { missionStatePaths } from '../store/paths.js';
import type { ShellWrite } from './shell-writes.js';

/** A path inside a guarded mission; `rel` is POSIX and '' for the mission dir itself. */
export interface GuardedPath {
  path: string;
  missionDir: string;
  rel: string;
}

/** How much of a directory a removal check looks at, so `rm -rf node_modules` stays quick. */
const WALK_LIMIT = 2000;

/** Answers "is this path guarded?" for one hook call, remembering what it looked up. */
export class MissionLocator {
  readonly #guardHome: string;
  readonly #known = new Map<string, boolean>();
  readonly #anyMission: boolean;

  constructor(guardHome: string) {
    this.#guardHome = guardHome;
    this.#anyMission = existsSync(join(guardHome, 'missions'));
  }

  // Is `dir` itself a mission dir with guard state?
  isMission(dir: string): boolean {
    if (!this.#anyMission) return false;
    let known = this.#known.get(dir);
    if (known === undefined) {
      try {
        known = existsSync(missionStatePaths(this.#guardHome, dir).journal);
      } catch {
        known = false;
      }
      this.#known.set(dir, known);
    }
    return known;
  }

  // The innermost guarded mission holding `path` (or being it), if any.
  locate(path: string): GuardedPath | undefined {
    if (!this.#anyMission) return undefined;
    for (let dir = path; ; dir = dirname(dir)) {
      if (this.isMission(dir)) return { path, missionDir: dir, rel: relative(dir, path).split(sep).join('/') };
      if (dirname(dir) === dir) return undefined;
    }
  }

  /**
   * The existing paths a shell write reaches: its glob expanded, a copy into a directory as the
   * copied names, and a removed directory as the files and guarded missions inside it.
   */
  expand(write: ShellWrite): string[] {
    if (!this.#anyMission) return [];
    const paths = expandGlob(write.path);
    return paths.flatMap((path) => {
      const directory = isDirectory(path);
      if (directory && write.sources !== undefined) return write.sources.flatMap(expandGlob).map((source) => join(path, basename(source)));
      if (directory && write.removes) return [path, ...this.#inside(path)];
      return [path];
    });
  }

  // Inside a mission: its files. Elsewhere: guarded missions two levels down (`rm -rf ~/.factory`).
  // A mission dir itself needs no listing: removing it is denied as a whole.
  #inside(dir: string): string[] {
    if (this.isMission(dir)) return [];
    const within = this.locate(dir) !== undefined;
    const found: string[] = [];
    let budget = WALK_LIMIT;
    const walk = (at: string, depth: number) => {
      for (const entry of listDir(at)) {
        if (--budget < 0) return;
        const path = join(at, entry.name);
        if (entry.isDirectory()) {
          if (!within && this.isMission(path)) found.push(path);
          else if (within || depth < 2) walk(path, depth + 1);
        } else if (within) found.push(path);
      }
    };
    walk(dir, 1);
    return found;
  }
}

// Bash leaves an unmatched glob as it is; only the last segment is expanded here.
function expandGlob(path: string): string[] {
  const name = basename(path);
  if (!/[*?[]/.test(name)) return [path];
  const pattern = globRegExp(name);
  const dir = dirname(path);
  const matches = listDir(dir)
    .filter((entry) => pattern.test(entry.name) && (name.startsWith('.') || !entry.name.startsWith('.')))
    .map((entry) => join(dir, entry.name));
  return matches.length > 0 ? matches : [path];
}

function globRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) source += '\\[';
      else {
        source += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function listDir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
