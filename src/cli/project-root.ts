// `guard init --scope project`: the project is the git work tree holding the current dir (a
// `.git` dir or file, as in worktrees and submodules), else the current dir itself.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function projectRoot(cwd: string): { dir: string; how: 'git root' | 'current dir' } {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return { dir, how: 'git root' };
    if (dirname(dir) === dir) return { dir: cwd, how: 'current dir' };
  }
}
