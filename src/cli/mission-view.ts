// A read-only view of one mission for commands that only look (status, log, plan, verify):
// the journal replayed without taking any lock, and each artifact's health on disk.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEntry } from '../core/entries.js';
import { replay, type MissionState } from '../core/replay.js';
import type { Digest, Role } from '../core/types.js';
import { GuardError } from '../errors.js';
import { listMissionFiles } from '../mission/file-io.js';
import { listOddEntries } from '../mission/odd-entries.js';
import type { Profile } from '../profiles/profile.js';
import { matchArtifact } from '../profiles/profile.js';
import { isAlive, readOwner, type LockOwner } from '../store/lock-owner.js';
import { namingMission, readJournal } from '../store/journal.js';
import { DigestCache } from '../store/digest-cache.js';
import { replayWithProjection, type Progress, type StatusState } from '../store/projection.js';
import { missionStatePaths, type MissionStatePaths } from '../store/paths.js';
import type { Inspection } from '../mission/inspect.js';
import { asMissionPath } from '../core/types.js';

export interface MissionView {
  paths: MissionStatePaths;
  entries: JournalEntry[];
  state: MissionState;
  /** Bytes at the end of the journal that are not a complete entry (repaired on the next write). */
  tornBytes: number;
  guardian: LockOwner | undefined;
}

export type Health = 'good' | 'changed' | 'missing' | 'new' | 'not-a-file';

export interface ArtifactHealth {
  path: string;
  role: Role;
  health: Health;
  lastGood: Digest | null;
  current: Digest | null;
}

// Read and verify a mission's journal; JOURNAL_CORRUPT when the chain is broken.
export async function viewMission(guardHome: string, missionDir: string): Promise<MissionView> {
  const paths = statePathsOf(guardHome, missionDir);
  const read = await namingMission(paths.missionDir, readJournal(paths.journal));
  return { paths, entries: read.entries, state: replay(read.entries), tornBytes: read.torn?.length ?? 0, guardian: guardianOf(paths) };
}

/** A view without the entries or the feature histories, for `guard status`. */
export type MissionSummary = Omit<MissionView, 'entries' | 'state'> & { state: StatusState };

// Like viewMission, but through the projection cache (store/projection.ts): `guard status` on a
// long journal reads the cached state and verifies only the entries after it.
// `onRebuild`: the progress of a full replay when the projection must be rebuilt.
export async function summarizeMission(guardHome: string, missionDir: string, onRebuild?: Progress): Promise<MissionSummary> {
  const paths = statePathsOf(guardHome, missionDir);
  const projection = await namingMission(paths.missionDir, replayWithProjection(paths.journal, paths.projection, { features: false, ...(onRebuild === undefined ? {} : { onRebuild }) }));
  return { paths, state: projection.state, tornBytes: projection.torn?.length ?? 0, guardian: guardianOf(paths) };
}

function statePathsOf(guardHome: string, missionDir: string): MissionStatePaths {
  try {
    return missionStatePaths(guardHome, missionDir);
  } catch {
    throw new GuardError('MISSION_NOT_FOUND', `mission dir ${missionDir} does not exist`);
  }
}

function guardianOf(paths: MissionStatePaths): LockOwner | undefined {
  const owner = readOwner(`${paths.guardianLock}.owner.json`);
  return owner !== undefined && existsSync(paths.guardianLock) && isAlive(owner.pid) ? owner : undefined;
}

// Health of every artifact the journal knows or the mission dir holds.
export async function artifactHealth(view: { paths: MissionStatePaths; state: Pick<MissionState, 'artifacts'> }, profile: Profile): Promise<ArtifactHealth[]> {
  const dir = view.paths.missionDir;
  const known = view.state.artifacts;
  const paths = new Set([...known.keys(), ...(await listMissionFiles(dir)).filter((path) => known.has(path) || isArtifact(profile, path))]);
  const digests = DigestCache.load(view.paths.digests);
  const rows: ArtifactHealth[] = [];
  for (const path of [...paths].sort()) {
    const artifact = known.get(path);
    const current = digests.digestOf(path, join(dir, path));
    const lastGood = artifact?.lastGood ?? null;
    const health: Health = artifact === undefined ? 'new' : current === lastGood ? 'good' : current === null ? 'missing' : 'changed';
    rows.push({ path, role: artifact?.role ?? matchArtifact(profile, path as never)?.role ?? 'tracked', health, lastGood, current });
  }
  await digests.save();
  // A symlink or FIFO where an artifact should be is never read through; status names it.
  for (const { path } of listOddEntries(dir)) {
    const role = isArtifact(profile, path) ? (matchArtifact(profile, path as never)?.role ?? 'tracked') : undefined;
    if (role === undefined) continue;
    const row = rows.find((item) => item.path === path);
    if (row !== undefined) row.health = 'not-a-file';
    else rows.push({ path, role, health: 'not-a-file', lastGood: known.get(path)?.lastGood ?? null, current: null });
  }
  return rows;
}

// Files the journal knows are in the set anyway; only the others need matching (thousands of
// handoffs on a long mission).
function isArtifact(profile: Profile, path: string): boolean {
  const missionPath = asMissionPath(path);
  return missionPath !== undefined && matchArtifact(profile, missionPath) !== undefined;
}

// Inspect a viewed mission against durable truth (plan, verify). Loaded on use: status does not
// inspect, and runs often.
export async function inspectView(view: MissionView, profile: Profile): Promise<Inspection> {
  const [{ inspectMission }, { ObjectStore }] = await Promise.all([import('../mission/inspect.js'), import('../store/objects.js')]);
  return inspectMission({ missionDir: view.paths.missionDir, profile, state: view.state, objects: new ObjectStore(view.paths.objects) });
}
