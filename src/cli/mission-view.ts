// A read-only view of one mission for commands that only look (status, log, plan, verify):
// the journal replayed without taking any lock, and each artifact's health on disk.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEntry } from '../core/entries.js';
import { replay, type MissionState } from '../core/replay.js';
import { digestOf, type Digest, type Role } from '../core/types.js';
import { GuardError } from '../errors.js';
import { listMissionFiles, readOrNull } from '../guardian/file-io.js';
import type { Profile } from '../profiles/profile.js';
import { matchArtifact } from '../profiles/profile.js';
import { isAlive, readOwner, type LockOwner } from '../store/guardian-lock.js';
import { readJournal } from '../store/journal.js';
import { missionStatePaths, type MissionStatePaths } from '../store/paths.js';
import { ObjectStore } from '../store/objects.js';
import { inspectMission, type Inspection } from '../guardian/inspect.js';
import { asMissionPath } from '../core/types.js';

export interface MissionView {
  paths: MissionStatePaths;
  entries: JournalEntry[];
  state: MissionState;
  /** Bytes at the end of the journal that are not a complete entry (repaired on the next write). */
  tornBytes: number;
  guardian: LockOwner | undefined;
}

export type Health = 'good' | 'changed' | 'missing' | 'new';

export interface ArtifactHealth {
  path: string;
  role: Role;
  health: Health;
  lastGood: Digest | null;
  current: Digest | null;
}

// Read and verify a mission's journal; JOURNAL_CORRUPT when the chain is broken.
export async function viewMission(guardHome: string, missionDir: string): Promise<MissionView> {
  let paths: MissionStatePaths;
  try {
    paths = missionStatePaths(guardHome, missionDir);
  } catch {
    throw new GuardError('MISSION_NOT_FOUND', `mission dir ${missionDir} does not exist`);
  }
  const read = await readJournal(paths.journal);
  const owner = readOwner(`${paths.guardianLock}.owner.json`);
  const guardian = owner !== undefined && existsSync(paths.guardianLock) && isAlive(owner.pid) ? owner : undefined;
  return { paths, entries: read.entries, state: replay(read.entries), tornBytes: read.torn?.length ?? 0, guardian };
}

// Health of every artifact the journal knows or the mission dir holds.
export async function artifactHealth(view: MissionView, profile: Profile): Promise<ArtifactHealth[]> {
  const dir = view.paths.missionDir;
  const paths = new Set([...view.state.artifacts.keys(), ...(await listArtifacts(dir, profile))]);
  const rows: ArtifactHealth[] = [];
  for (const path of [...paths].sort()) {
    const spec = matchArtifact(profile, path as never);
    const known = view.state.artifacts.get(path);
    const bytes = await readOrNull(join(dir, path));
    const current = bytes === null ? null : digestOf(bytes);
    const lastGood = known?.lastGood ?? null;
    const health: Health = known === undefined ? 'new' : current === lastGood ? 'good' : current === null ? 'missing' : 'changed';
    rows.push({ path, role: known?.role ?? spec?.role ?? 'tracked', health, lastGood, current });
  }
  return rows;
}

async function listArtifacts(dir: string, profile: Profile): Promise<string[]> {
  return (await listMissionFiles(dir)).filter((path) => {
    const missionPath = asMissionPath(path);
    return missionPath !== undefined && matchArtifact(profile, missionPath) !== undefined;
  });
}

// Inspect a viewed mission against durable truth (plan, verify).
export function inspectView(view: MissionView, profile: Profile): Promise<Inspection> {
  return inspectMission({ missionDir: view.paths.missionDir, profile, state: view.state, objects: new ObjectStore(view.paths.objects) });
}
