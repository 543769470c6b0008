// Where guard state lives (DESIGN.md §4): outside the mission dir, one folder per mission.
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { basename, join } from 'node:path';

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
