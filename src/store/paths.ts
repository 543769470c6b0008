// Where guard state lives (DESIGN.md §4): outside the mission dir, one folder per mission.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pinMissionRoot } from './contained.js';

/** The files of one mission's guard state. */
export interface MissionStatePaths {
  missionDir: string;
  dir: string;
  journal: string;
  objects: string;
  guardianLock: string;
  projection: string;
  /** Digests of mission files by stat, so status need not re-hash unchanged files. */
  digests: string;
  sentinel: string;
}

export const SENTINEL = '.guard-frozen';

// $GUARD_HOME, else ${XDG_STATE_HOME:-$HOME/.local/state}/mission-guard; read by the CLI only.
export function defaultGuardHome(env: NodeJS.ProcessEnv, home: string): string {
  if (env.GUARD_HOME !== undefined && env.GUARD_HOME !== '') return env.GUARD_HOME;
  const state = env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== '' ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  return join(state, 'mission-guard');
}

// The state folder of a mission: <basename>-<first 12 hex of sha256(realpath)>.
export function missionStatePaths(guardHome: string, missionDir: string): MissionStatePaths {
  const real = realpathSync(missionDir);
  pinMissionRoot(real); // from now on this process never follows a symlink out of it (contained.ts)
  const id = `${basename(real)}-${createHash('sha256').update(real).digest('hex').slice(0, 12)}`;
  const dir = join(guardHome, 'missions', id);
  return {
    missionDir: real,
    dir,
    journal: join(dir, 'journal.jsonl'),
    objects: join(dir, 'objects'),
    guardianLock: join(dir, 'guardian.lock'),
    projection: join(dir, 'projection.json'),
    digests: join(dir, 'digests.json'),
    sentinel: join(real, SENTINEL),
  };
}

/**
 * The guard home and a mission's state folder, made (or tightened to) 0700: the object store and
 * the journal hold copies of mission files, which other local users must not read. Files inside
 * are created 0600 as well.
 */
export function securePrivateDirs(guardHome: string, paths: MissionStatePaths): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  for (const dir of [guardHome, join(guardHome, 'missions'), paths.dir, paths.objects]) {
    try {
      const stats = statSync(dir);
      if ((stats.mode & 0o077) !== 0 && stats.uid === process.getuid?.()) chmodSync(dir, 0o700);
    } catch {
      // not there (objects: made on the first snapshot, 0700) or not ours: left as it is
    }
  }
}
