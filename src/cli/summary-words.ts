// `guard plan` / `guard status` in the orchestrator's words, for one whose adapter reads its
// summary file itself (Task Master: tags, tasks, statuses), from the summary's last good version.
import type { MissionState } from '../core/replay.js';
import { asMissionPath, type Digest } from '../core/types.js';
import { readLastGood } from '../mission/mission-read.js';
import { matchArtifact, orchestratorOf, type Profile } from '../profiles/profile.js';
import type { ItemGroup, Orchestrator } from '../orchestrators/index.js';
import type { MissionStatePaths } from '../store/paths.js';

/** The summary's groups as of its last good version (the durable truth, not the file on disk). */
export interface SummaryGroups {
  path: string;
  digest: Digest;
  groups: ItemGroup[];
  /** Per group: status -> count, in first-seen order; and the items still to do, in file order. */
  counts: Array<{ group: string; total: number; statuses: Record<string, number>; todo: ItemGroup['items'] }>;
}

// Undefined when the adapter has no reader, or the journal has no good version of the summary yet.
export async function readSummaryGroups(profile: Profile, view: { paths: MissionStatePaths; state: Pick<MissionState, 'artifacts'> }): Promise<SummaryGroups | undefined> {
  const reader = orchestratorOf(profile).summary;
  if (reader === undefined) return undefined;
  const path = asMissionPath(reader.path);
  const spec = path === undefined ? undefined : matchArtifact(profile, path);
  const digest = view.state.artifacts.get(reader.path)?.lastGood;
  if (spec === undefined || digest === undefined || digest === null) return undefined;
  const { ObjectStore } = await import('../store/objects.js'); // only for an orchestrator with a reader: status stays light
  let good;
  try {
    good = await readLastGood(new ObjectStore(view.paths.objects), view.state, reader.path, spec);
  } catch {
    return undefined; // a missing or damaged object is for guard verify to report; this view then shows nothing
  }
  if (good?.doc === undefined) return undefined;
  const groups = reader.read(good.doc);
  if (groups === undefined) return undefined;
  const finished = new Set(reader.finished);
  const counts = groups.map((group) => {
    const statuses: Record<string, number> = {};
    for (const item of group.items) statuses[item.status] = (statuses[item.status] ?? 0) + 1;
    return { group: group.name, total: group.items.length, statuses, todo: group.items.filter((item) => !finished.has(item.status)) };
  });
  return { path: reader.path, digest, groups, counts };
}

// One line per group: `tag master: 12 tasks (5 done, 1 in-progress, 6 pending)`.
export function groupLines(orchestrator: Orchestrator, summary: SummaryGroups): string[] {
  const { vocabulary } = orchestrator;
  const word = vocabulary.group?.one ?? 'group';
  return summary.counts.map(({ group, total, statuses }) => {
    const parts = Object.entries(statuses).map(([status, count]) => `${count} ${status}`);
    return `${word} ${group}: ${total} ${total === 1 ? vocabulary.item : vocabulary.items}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
  });
}
