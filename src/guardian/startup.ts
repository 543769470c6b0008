// A guardian's start (DESIGN.md §7 "Baseline"): judge every artifact as found, finish what a
// crash interrupted, then cross-check the summary against durable truth. Invalid at start means
// frozen at start: the guard never launches an orchestrator into a mission that fails its checks.
import { inspectMission } from '../mission/inspect.js';
import { listMissionFiles, listMissionLinks } from '../mission/file-io.js';
import type { MissionStore } from '../mission/mission-store.js';
import type { Reactions } from './reactions.js';
import { syncSentinel } from './sentinel.js';

export interface StartupHost {
  store: MissionStore;
  reactions: Reactions;
  hint: (path: string) => void;
  whenIdle: () => Promise<void>;
  /** The guardian was stopped meanwhile: the start does nothing more. */
  stopped: () => boolean;
}

// Judge everything as found, then finish whatever a crash interrupted. Evidence files go after
// the rest, so evidence never journaled before is weighed by the cross-check, in one order.
export async function baseline(host: StartupHost): Promise<void> {
  const { store, reactions } = host;
  const paths = new Set([...(await listMissionFiles(store.paths.missionDir)), ...store.state.artifacts.keys()]);
  const artifacts = [...paths].filter((path) => store.specOf(path) !== undefined);
  for (const evidence of [false, true]) {
    for (const path of artifacts) if ((store.specOf(path)?.role === 'evidence') === evidence) host.hint(path);
    await host.whenIdle();
    if (host.stopped()) return;
  }
  // Symlinks where an artifact or a directory should be: each a mission fault (never followed).
  for (const link of listMissionLinks(store.paths.missionDir)) host.hint(link);
  await host.whenIdle();
  if (host.stopped()) return;
  await reactions.recover();
  if (host.stopped()) return;
  await crossCheck(host);
  if (host.stopped()) return;
  await syncSentinel(store, false);
  if (host.stopped()) return;
  await store.append({ kind: 'baseline', artifacts: artifacts.length, frozen: store.state.freeze.kind === 'frozen' });
}

// `guard verify` at start: never launch into a mission whose summary disagrees with durable
// truth. A disagreement freezes the mission (nothing is rewritten; `guard repair` fixes it).
async function crossCheck({ store, reactions }: StartupHost): Promise<void> {
  if (store.state.freeze.kind === 'frozen') return;
  const { profile, state, objects } = store;
  const inspection = await inspectMission({ missionDir: store.paths.missionDir, profile, state, objects });
  const errors = inspection.disagreements.filter((item) => item.severity === 'error');
  const first = errors[0];
  if (first === undefined) return;
  const entry = await store.append({ kind: 'cross-check-failed', disagreements: errors.map(({ path, feature, message }) => ({ path, message, ...(feature === undefined ? {} : { feature }) })) });
  const more = errors.length > 1 ? ` (+${errors.length - 1} more; guard verify lists them)` : '';
  await reactions.run(() => reactions.freeze(entry.seq, first.path, `${first.message}${more}`));
  if (reactions.pausesScheduler) await reactions.run(() => reactions.pauseScheduler(entry.seq));
}
