/**
 * Recovery of a write the guard journaled but never renamed into place (issue 9 item 3): a
 * `guard write` (or restore, repair) killed between its `write-accepted` entry and its rename.
 *
 * Theory of operation:
 * - Every write made through `commitWrite` journals, on its `write-accepted` entry, the digest of
 *   the file it is about to replace (`replaced`, stored as an object first). The entry is the
 *   intent; the rename follows under the mission's write lock.
 * - When a mission is opened, each artifact whose newest entry is such an intent is compared
 *   with its file. The file holds the intent's digest: the write landed. It holds exactly the
 *   `replaced` bytes: the write never landed, and it is ROLLED FORWARD: the journaled version
 *   (an object, so it can be written) is put in place by compare-and-swap over exactly those
 *   bytes, and a `repaired` entry (action `write-recovered`) records it. Anything else on disk is
 *   a newer write, judged the usual way; so is a file holding the replaced bytes again but
 *   modified after the intent was journaled (its mtime is later).
 * - Roll forward, never back: the version was judged and journaled as last good, and a guardian
 *   or another command may already have acted on it. Rolling back would make the journal say two
 *   things about one moment; rolling forward makes the file agree with what was decided.
 * - The check runs without a lock; only a write that needs recovering takes the write lock (so a
 *   live writer finishes first and nothing is done twice), then everything is checked again.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEntry } from '../core/entries.js';
import type { Digest } from '../core/types.js';
import { withWriteLock } from '../store/write-lock.js';
import { compareAndSwap, digestNow } from './file-io.js';
import type { MissionStore } from './mission-store.js';

/** A journaled write that may not have landed: its path, digest and the digest it replaced. */
export interface WriteIntent {
  path: string;
  seq: number;
  digest: Digest;
  replaced: Digest | null;
  /** When it was journaled: a file that holds the replaced bytes but was written later is a newer write. */
  at: string;
}

// Follow the journal: the newest entry about each path, when it is a write intent.
export function trackIntents(intents: Map<string, WriteIntent>, entries: readonly JournalEntry[]): void {
  for (const entry of entries) {
    if (entry.kind === 'write-accepted') {
      if (entry.replaced !== undefined && entry.digest !== null && entry.replaced !== entry.digest) intents.set(entry.path, { path: entry.path, seq: entry.seq, digest: entry.digest, replaced: entry.replaced, at: entry.at });
      else intents.delete(entry.path);
    } else if (entry.kind === 'restored' || entry.kind === 'write-rejected' || (entry.kind === 'repaired' && entry.action === 'write-recovered' && entry.path !== undefined)) intents.delete(entry.path as string);
  }
}

// Roll forward every journaled write that never landed; returns the `repaired` entries.
export async function recoverInterruptedWrites(store: MissionStore): Promise<JournalEntry[]> {
  if (!(await anyUnlanded(store))) return [];
  return withWriteLock(store.paths, async () => {
    await store.journal.sync();
    const recovered: JournalEntry[] = [];
    for (const intent of [...store.intents.values()]) {
      const file = join(store.paths.missionDir, intent.path);
      if (!(await unlanded(file, intent))) continue;
      const bytes = await store.objects.get(intent.digest);
      const swap = await compareAndSwap(file, intent.replaced, bytes);
      if (!swap.swapped) continue; // a newer write arrived meanwhile: it is judged as usual
      recovered.push(
        await store.append({
          kind: 'repaired',
          action: 'write-recovered',
          path: intent.path,
          digest: intent.digest,
          replaced: intent.replaced,
          who: 'mission guard',
          reason: `the write journaled as #${intent.seq} was interrupted before its rename; rolled forward (the file held exactly the version it replaced)`,
        }),
      );
    }
    return recovered;
  });
}

async function anyUnlanded(store: MissionStore): Promise<boolean> {
  for (const intent of store.intents.values()) {
    if (await unlanded(join(store.paths.missionDir, intent.path), intent)) return true;
  }
  return false;
}

// The file holds exactly the bytes the write replaced, and was not written after the intent.
async function unlanded(file: string, intent: WriteIntent): Promise<boolean> {
  if (digestNow(file) !== intent.replaced) return false;
  if (intent.replaced === null) return true;
  try {
    return lstatSync(file).mtimeMs <= Date.parse(intent.at);
  } catch {
    return false;
  }
}
