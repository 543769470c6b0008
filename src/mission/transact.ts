/**
 * Transactional artifact writes (PROBLEM.md item 1): judge, snapshot, journal, then temp +
 * fsync + rename + fsync dir. On reject nothing is written and the old file stays byte for byte.
 *
 * Theory of operation:
 * - Everything below runs under the mission's write lock (store/write-lock.ts), so the renames
 *   of concurrent writers happen in the order of their journal entries: the file always ends
 *   with the version of the newest entry.
 * - First the guard state is brought up to the disk (reconcile.ts): an acceptable version that
 *   nobody journaled yet (no guardian was running) becomes last good with its evidence, so the
 *   new version is judged against the same truth `guard verify` uses, and must not make verify
 *   report anything about its artifact.
 * - Whatever the write replaces is stored as an object before the entry, and the entry names it
 *   (`replaced`): nothing is overwritten unless it can be shown again (`guard show DIGEST`).
 * - The temp file is written and fsynced while the snapshot is stored; the journal entry waits
 *   for both (a temp file that cannot be written journals nothing), and the rename waits for the
 *   entry. So a guardian watching the same mission already knows the digest when the rename
 *   event arrives and does not judge it again (no double incident).
 * - The entry is appended only if what the verdict rests on (last good, permits, evidence) and
 *   the bytes on disk are unchanged under the journal lock; otherwise another process wrote in
 *   between and the version is judged again against the newer state.
 * - A crash between entry and rename leaves an intent the next open rolls forward
 *   (write-recovery.ts). Bytes identical to last good, already on disk, journal nothing.
 */
import { join } from 'node:path';
import type { JournalEntry, WriteSource } from '../core/entries.js';
import { shellQuote } from '../core/freeze.js';
import type { Judgement } from '../core/judge.js';
import { digestOf, type Digest, type Issue, type Transition } from '../core/types.js';
import { GuardError } from '../errors.js';
import { stageFile } from '../store/atomic-write.js';
import { withWriteLock } from '../store/write-lock.js';
import { digestNow, readOrNull } from './file-io.js';
import type { MissionStore } from './mission-store.js';
import { reconcileWithDisk, verifyVetoes } from './reconcile.js';

// Tracked files are snapshotted, never judged.
const TRACKED = { kind: 'accepted', doc: undefined, transitions: [], reopened: [] } as const satisfies Judgement;

/** How often a write is judged again because other writes kept landing first. */
const ATTEMPTS = 5;

export type WriteResult =
  | { kind: 'accepted'; path: string; entry: JournalEntry; transitions: Transition[]; replaced: Digest | null }
  /** The file already holds exactly these bytes and they are last good: nothing written or journaled. */
  | { kind: 'unchanged'; path: string; digest: Digest; seq: number }
  | { kind: 'rejected'; path: string; issues: Issue[] };

export interface CommitOptions {
  /** Test-only failpoint: runs right after the journal entry, before the rename. */
  afterJournal?: () => void | Promise<void>;
}

// Judge `bytes` for the artifact at `path` and, when accepted, write them atomically.
export async function commitWrite(store: MissionStore, path: string, bytes: Buffer, by: WriteSource, options: CommitOptions = {}): Promise<WriteResult> {
  const spec = store.specOf(path);
  if (spec === undefined) {
    throw new GuardError('NOT_AN_ARTIFACT', `${path} is not an artifact of profile ${store.profile.name} (${store.profile.source}); only artifacts are written through the guard`);
  }
  const file = join(store.paths.missionDir, path);
  const digest = digestOf(bytes);
  return withWriteLock(store.paths, async () => {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      await store.journal.sync();
      const read = await reconcileWithDisk(store);
      if (read === undefined) continue;
      const current = await readOrNull(file);
      const currentDigest = current === null ? null : digestOf(current);
      const known = store.state.artifacts.get(path);
      if (currentDigest === digest && known?.lastGood === digest) return { kind: 'unchanged', path, digest, seq: known.seq };
      const { verdict, previous, basis } = spec.role === 'tracked' ? { verdict: TRACKED, previous: await store.lastGood(path, spec), basis: undefined } : await store.judge(path, spec, bytes);
      if (verdict.kind === 'rejected') return { kind: 'rejected', path, issues: verdict.issues };
      const vetoes = spec.role === 'tracked' ? [] : await verifyVetoes(store, path, bytes, verdict.reopened, read);
      if (vetoes.length > 0) return { kind: 'rejected', path, issues: vetoes };
      if (current !== null) await store.objects.put(current, previous); // a no-op when it is last good
      const staging = stageFile(file, bytes).catch((error: unknown) => {
        throw new GuardError('STATE_IO', `cannot write ${file}: ${(error as Error).message}`, { cause: error });
      });
      staging.catch(() => undefined); // awaited below; a failure before that is not "unhandled"
      let entry: JournalEntry | null;
      try {
        entry = await store.recordAccepted(path, spec, bytes, verdict, previous, by, { ...(basis === undefined ? {} : { basis }), before: staging, replaced: currentDigest, stillValid: () => digestNow(file) === currentDigest });
      } catch (error) {
        await staging.then((staged) => staged.abandon(), () => undefined);
        throw error;
      }
      const staged = await staging;
      if (entry === null) {
        staged.abandon();
        continue;
      }
      await options.afterJournal?.();
      try {
        await staged.commit();
      } catch (error) {
        staged.abandon();
        throw new GuardError('STATE_IO', `${path} was journaled as accepted (#${entry.seq}) but could not be renamed into place: ${(error as Error).message}. The journal is ahead of the file; put the journaled version in place with: guard repair --mission ${shellQuote(store.paths.missionDir)} --restore ${shellQuote(path)}`, { cause: error });
      }
      return { kind: 'accepted', path, entry, transitions: verdict.transitions, replaced: currentDigest };
    }
    throw new GuardError('STATE_IO', `${path} kept changing while it was judged (${ATTEMPTS} times another write landed first); nothing was written. Try again.`);
  });
}
