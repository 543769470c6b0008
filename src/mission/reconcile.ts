// One truth for every write path (issue 10 item 1). Before `guard write`, `writeArtifact`, `guard
// restore`, `guard repair` or the hook judge a new version, the mission's guard state is brought
// up to what is on disk, as a guardian start does: every artifact that differs from its last
// good is judged, and the acceptable ones are journaled with their evidence facts (a
// `worker_completed` success line written while no guardian ran now counts). A version that
// does not pass stays what it was: not last good. Then the new version must not make `guard
// verify` report anything about its artifact: the same inspection, run as if it were on disk.
import type { WriteSource } from '../core/entries.js';
import type { Issue } from '../core/types.js';
import { inspectMission } from './inspect.js';
import { checkMission } from './mission-check.js';
import type { MissionStore } from './mission-store.js';

// Journal every acceptable on-disk version that is not last good yet. Returns what each artifact
// held when read (for verifyVetoes: the mission is scanned once per write), or undefined when
// another process changed the mission meanwhile (the caller starts over).
export async function reconcileWithDisk(store: MissionStore, by: WriteSource = 'baseline'): Promise<ReadonlyMap<string, Buffer | null> | undefined> {
  const check = await checkMission(store);
  return (await check.recordAccepted(by)) ? check.read : undefined;
}

// What `guard verify` would report about `path` once `bytes` are on disk, as issues. Features the
// verdict reopens under a permit are not reported: journaling it clears their done status.
// `read`: the artifacts as reconcileWithDisk just read them, under the same write lock.
export async function verifyVetoes(store: MissionStore, path: string, bytes: Buffer | null, reopened: readonly string[] = [], read?: ReadonlyMap<string, Buffer | null>): Promise<Issue[]> {
  const { profile, state, objects } = store;
  const inspection = await inspectMission({ missionDir: store.paths.missionDir, profile, state, objects, proposed: { path, bytes }, ...(read === undefined ? {} : { read }) });
  return inspection.disagreements
    .filter((item) => item.severity === 'error' && item.path === path && (item.feature === undefined || !reopened.includes(item.feature)))
    .map((item): Issue => ({ code: 'evidence', pointer: '', message: item.message, ...(item.feature === undefined ? {} : { item: item.feature }) }));
}
