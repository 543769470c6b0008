// Does a mission pass its checks as it is on disk? Used by `guard ack` (unfreeze only then),
// `guard verify` and start-up: every artifact judged against last good.
import { join } from 'node:path';
import type { WriteSource } from '../core/entries.js';
import type { ArtifactSpec } from '../core/judge.js';
import { isLastGood } from '../core/replay.js';
import { digestOf, type Issue } from '../core/types.js';
import { listMissionFiles, readOrNull } from './file-io.js';
import type { Accepted, GoodVersion, MissionStore } from './mission-store.js';

export interface MissionProblem {
  path: string;
  issues: Issue[];
}

interface PendingAccept {
  path: string;
  spec: ArtifactSpec;
  bytes: Buffer | null;
  verdict: Accepted;
  previous: GoodVersion | undefined;
  basis: string;
}

// Judge every artifact that differs from its last good; `recordAccepted` journals the good ones.
export async function checkMission(store: MissionStore) {
  const dir = store.paths.missionDir;
  const paths = new Set([...(await listMissionFiles(dir)), ...store.state.artifacts.keys()]);
  const problems: MissionProblem[] = [];
  const accepted: PendingAccept[] = [];
  /** What each artifact held when read here: a caller that inspects next need not read it again. */
  const read = new Map<string, Buffer | null>();
  for (const path of [...paths].sort()) {
    const spec = store.specOf(path);
    if (spec === undefined || spec.role === 'tracked') continue;
    const bytes = await readOrNull(join(dir, path));
    read.set(path, bytes);
    const digest = bytes === null ? null : digestOf(bytes);
    if (isLastGood(store.state, path, digest)) continue;
    const { verdict, previous, basis } = await store.judge(path, spec, bytes);
    if (verdict.kind === 'rejected') problems.push({ path, issues: verdict.issues });
    else accepted.push({ path, spec, bytes, verdict, previous, basis });
  }
  return {
    problems,
    read,
    // Journal the accepted versions; false when another process changed the mission meanwhile.
    async recordAccepted(by: WriteSource): Promise<boolean> {
      for (const item of accepted) {
        if ((await store.recordAccepted(item.path, item.spec, item.bytes, item.verdict, item.previous, by, { basis: item.basis })) === null) return false;
      }
      return true;
    },
  };
}
