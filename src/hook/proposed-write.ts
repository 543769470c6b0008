// The hook's judgement of a proposed artifact version, against the same truth as `guard verify`
// (issue 10 item 1): the mission's guard state is first brought up to the disk (a version droid
// wrote while no guardian ran, its `worker_completed` success line), then the version is judged,
// then refused if verify would report anything about its artifact once it landed. An approved
// version's bytes are stored (issue 9 item 5), so a valid write the watcher never got to read,
// because a bad one followed within milliseconds, can still be put back (`newestApproved`).
import type { ArtifactSpec } from '../core/judge.js';
import type { Issue } from '../core/types.js';
import type { MissionStore } from '../mission/mission-store.js';
import { reconcileWithDisk, verifyVetoes } from '../mission/reconcile.js';

/** Stores brought up to the disk in this hook call: once each, however many artifacts it touches. */
const reconciled = new WeakSet<MissionStore>();

export async function judgeProposed(store: MissionStore, path: string, spec: ArtifactSpec, bytes: Buffer | null): Promise<{ ok: true } | { ok: false; issues: Issue[] }> {
  if (!reconciled.has(store)) {
    // A concurrent writer changed the mission meanwhile: once more, then judge what is known.
    if (!(await reconcileWithDisk(store))) await reconcileWithDisk(store);
    reconciled.add(store);
  }
  const { verdict } = await store.judge(path, spec, bytes);
  if (verdict.kind === 'rejected') return { ok: false, issues: verdict.issues };
  const vetoes = await verifyVetoes(store, path, bytes, verdict.reopened);
  return vetoes.length > 0 ? { ok: false, issues: vetoes } : { ok: true };
}

// Store the bytes of an approved version before the approval is journaled with their digest.
export async function storeApproved(store: MissionStore, path: string, spec: ArtifactSpec, bytes: Buffer): Promise<void> {
  if (spec.role === 'tracked') return;
  await store.objects.put(bytes, await store.lastGood(path, spec));
}
