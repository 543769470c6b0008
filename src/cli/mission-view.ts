// What commands that only look (status, log, plan, verify) show of a mission: the view of
// mission/mission-read.ts, a cheaper summary through the projection cache, and each artifact's
// health on disk.
import { join } from 'node:path';
import type { MissionState } from '../core/replay.js';
import type { Digest, Role } from '../core/types.js';
import { listMissionFiles } from '../mission/file-io.js';
import { listOddEntries } from '../mission/odd-entries.js';
import type { Profile } from '../profiles/profile.js';
import { matchArtifact } from '../profiles/profile.js';
import { namingMission } from '../store/journal.js';
import { DigestCache } from '../store/digest-cache.js';
import { replayWithProjection, type Progress, type StatusState } from '../store/projection.js';
import type { MissionStatePaths } from '../store/paths.js';
import { guardianOf, statePathsOf, type MissionView } from '../mission/mission-read.js';
import type { Inspection } from '../mission/inspect.js';
import { asMissionPath } from '../core/types.js';

export { viewMission, type MissionView } from '../mission/mission-read.js';

export type Health = 'good' | 'changed' | 'missing' | 'new' | 'not-a-file';

export interface ArtifactHealth {
  path: string;
  role: Role;
  health: Health;
  lastGood: Digest | null;
  current: Digest | null;
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
