/**
 * The guard's own writes that pause an orchestrator's scheduler (DESIGN.md §8), as its adapter's
 * pause plan lists them (droid: `state.json` -> `paused` and a `mission_paused` progress-log
 * line; src/orchestrators/droid/pause-writes.ts), and the journaling of any version the guard writes.
 *
 * Theory of operation: each write runs in its path's queue (no check of the path in between),
 * over exactly last good, judged and journaled before it lands and read back after. When the
 * orchestrator wrote first, or in between, its version is judged before the next attempt, and
 * last good goes back to what it wrote over: the guard never removes a line it did not judge bad.
 */
import { join } from 'node:path';
import type { WriteSource } from '../core/entries.js';
import type { ArtifactSpec } from '../core/judge.js';
import { digestOf, type Digest } from '../core/types.js';
import { isGuardError, reportableError } from '../errors.js';
import type { PauseWrite } from '../orchestrators/index.js';
import { orchestratorOf } from '../profiles/profile.js';
import { isEscape } from '../store/contained.js';
import { readBytesOrNull, readCapOf } from '../store/file-bytes.js';
import { probeWriters } from '../watch/open-writers.js';
import { appendIfSize, compareAndSwap } from '../mission/file-io.js';
import type { MissionStore } from '../mission/mission-store.js';
import type { ReactionHost } from './reactions.js';

/** How often a pause write is tried again when the orchestrator wrote first. */
const PAUSE_ATTEMPTS = 5;

// Each of the adapter's pause writes, judged and journaled first; each only where it is not already so.
export async function pauseScheduler(host: ReactionHost, incident: number): Promise<void> {
  const store = host.store;
  const reason = store.state.freeze.kind === 'frozen' ? store.state.freeze.reason : 'mission frozen';
  const now = host.now();
  const done: string[] = [];
  for (const write of orchestratorOf(store.profile).pause.writes) {
    if (await unlessEscaped(host, write.path, () => pauseWrite(host, write.path, (doc, good) => write.make(doc, good, reason, now), lander(store, write)))) done.push(write.done);
  }
  if (done.length > 0) await store.append({ kind: 'scheduler-paused', incident, how: done.join('; ') });
}

// `replace`: compare-and-swap over last good, never under a writer; `append`: only after last good's bytes.
function lander(store: MissionStore, write: PauseWrite): (good: { digest: Digest; bytes: Buffer }, bytes: Buffer) => Promise<{ swapped: boolean }> {
  const abs = join(store.paths.missionDir, write.path);
  if (write.land === 'replace') return (good, bytes) => compareAndSwap(abs, good.digest, bytes, { free: () => probeWriters(abs).kind !== 'held', ...capOf(store, write.path) });
  return (good, bytes) => appendIfSize(abs, good.bytes.length, bytes.subarray(good.bytes.length)).then((swapped) => ({ swapped, found: null }));
}

// A symlink where the file should be (or a swapped mission dir): that write is not made, the
// fault goes to the guardian (an incident, or a stop for a swap), and the other pause write goes on.
async function unlessEscaped(host: ReactionHost, path: string, write: () => Promise<boolean>): Promise<boolean> {
  try {
    return await write();
  } catch (error) {
    if (!isEscape(error)) throw error;
    host.fault(error, path);
    return false;
  }
}

// One of the guard's own writes, in the path's queue: over exactly last good, judged and
// journaled first, then landed and read back. When droid wrote first (or in between), its
// version is judged before the next attempt; what droid wrote is never removed.
async function pauseWrite(host: ReactionHost, path: string, make: (doc: unknown, good: Buffer) => string | undefined, land: (good: { digest: Digest; bytes: Buffer }, bytes: Buffer) => Promise<{ swapped: boolean }>): Promise<boolean> {
  const store = host.store;
  const abs = (file: string) => join(store.paths.missionDir, file);
  const spec = store.specOf(path);
  if (spec === undefined) return false;
  for (let attempt = 1; attempt <= PAUSE_ATTEMPTS; attempt++) {
    const outcome = await host.inQueue(path, async (): Promise<'done' | 'unchanged' | 'again' | 'none'> => {
      const good = await store.lastGood(path, spec);
      if (good === undefined) return 'none';
      const onDisk = readBytesOrNull(abs(path), readCapOf(spec));
      if (onDisk === null) return 'none';
      if (digestOf(onDisk) !== good.digest) {
        await host.check(path); // droid wrote meanwhile: judge its version first
        return 'again';
      }
      const text = make(good.doc, good.bytes);
      if (text === undefined) return 'unchanged';
      const bytes = Buffer.from(text);
      if (!(await journalOwn(store, path, spec, bytes, 'freeze'))) return 'again';
      const landed = await land(good, bytes);
      const after = readBytesOrNull(abs(path), readCapOf(spec));
      if (landed.swapped && after !== null && after.equals(bytes)) return 'done';
      // Ours did not land, or droid's landed beside it: last good is again the version droid
      // wrote over, and whatever is on disk now is judged against that.
      await unjournalOwn(store, path, spec, good);
      await host.check(path);
      return landed.swapped ? 'done' : 'again';
    });
    if (outcome === 'done') return true;
    if (outcome !== 'again') return false;
  }
  return false;
}

// The read cap of an artifact's versions (see readFileVersion), as a compareAndSwap option.
function capOf(store: MissionStore, path: string): { cap?: number } {
  const spec = store.specOf(path);
  return spec === undefined ? {} : { cap: readCapOf(spec) };
}

// Journal one of the guard's own versions as accepted, before it lands.
// False when it cannot be journaled: not accepted, its basis changed, or its snapshot refused by a
// guard home that cannot be written (the caller then falls back on last good, or skips the write).
export async function journalOwn(store: MissionStore, path: string, spec: ArtifactSpec, bytes: Buffer, by: WriteSource): Promise<boolean> {
  const { verdict, previous, basis } = await store.judge(path, spec, bytes);
  if (verdict.kind !== 'accepted') return false;
  try {
    await store.objects.put(bytes, previous); // first: a store that refuses it stops here, journaling nothing
  } catch (error) {
    if (isGuardError(error) || reportableError(error) === undefined) throw error;
    return false;
  }
  return (await store.recordAccepted(path, spec, bytes, verdict, previous, by, { basis })) !== null;
}

// A journaled own version that never landed: last good goes back to the version it would have replaced.
export async function unjournalOwn(store: MissionStore, path: string, spec: ArtifactSpec, good: { digest: Digest; bytes: Buffer } | undefined): Promise<void> {
  if (good === undefined) return;
  await store.append({ kind: 'write-accepted', path, digest: good.digest, size: good.bytes.length, role: spec.role, by: 'freeze', transitions: [] });
}
