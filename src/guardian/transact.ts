/**
 * Transactional artifact writes (PROBLEM.md item 1): judge, snapshot, journal, then temp +
 * fsync + rename + fsync dir. On reject nothing is written and the old file stays byte for byte.
 *
 * Theory of operation:
 * - The temp file is written and fsynced while the snapshot is stored; the journal entry waits
 *   for both (a temp file that cannot be written journals nothing), and the rename waits for the
 *   entry. So a guardian watching the same mission already knows the digest when the rename
 *   event arrives and does not judge it again (no double incident).
 * - The entry is appended only if what the verdict rests on (last good, permits, evidence) is
 *   unchanged under the journal lock; otherwise another process wrote in between and the version
 *   is judged again against the newer state.
 * - A crash between entry and rename leaves a journal that is ahead of the file; the next
 *   guardian start judges the old file against the new last good and restores the new version
 *   if the old one breaks a rule.
 */
import { join } from 'node:path';
import type { JournalEntry, WriteSource } from '../core/entries.js';
import { shellQuote } from '../core/freeze.js';
import type { Judgement } from '../core/judge.js';
import type { Issue, Transition } from '../core/types.js';
import { GuardError } from '../errors.js';
import { stageFile } from '../store/atomic-write.js';
import type { MissionStore } from './mission-store.js';

// Tracked files are snapshotted, never judged.
const TRACKED = { kind: 'accepted', doc: undefined, transitions: [], reopened: [] } as const satisfies Judgement;

/** How often a write is judged again because other writes kept landing first. */
const ATTEMPTS = 5;

export type WriteResult =
  | { kind: 'accepted'; path: string; entry: JournalEntry; transitions: Transition[]; unchanged: boolean }
  | { kind: 'rejected'; path: string; issues: Issue[] };

// Judge `bytes` for the artifact at `path` and, when accepted, write them atomically.
export async function commitWrite(store: MissionStore, path: string, bytes: Buffer, by: WriteSource): Promise<WriteResult> {
  const spec = store.specOf(path);
  if (spec === undefined) {
    throw new GuardError('NOT_AN_ARTIFACT', `${path} is not an artifact of profile ${store.profile.name} (${store.profile.source}); only artifacts are written through the guard`);
  }
  const file = join(store.paths.missionDir, path);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const { verdict, previous, basis } = spec.role === 'tracked' ? { verdict: TRACKED, previous: await store.lastGood(path, spec), basis: undefined } : await store.judge(path, spec, bytes);
    if (verdict.kind === 'rejected') return { kind: 'rejected', path, issues: verdict.issues };
    const staging = stageFile(file, bytes).catch((error: unknown) => {
      throw new GuardError('STATE_IO', `cannot write ${file}: ${(error as Error).message}`, { cause: error });
    });
    staging.catch(() => undefined); // awaited below; a failure before that is not "unhandled"
    let entry: JournalEntry | null;
    try {
      entry = await store.recordAccepted(path, spec, bytes, verdict, previous, by, { basis, before: staging });
    } catch (error) {
      await staging.then((staged) => staged.abandon(), () => undefined);
      throw error;
    }
    const staged = await staging;
    if (entry === null) {
      staged.abandon();
      continue;
    }
    try {
      await staged.commit();
    } catch (error) {
      staged.abandon();
      throw new GuardError('STATE_IO', `${path} was journaled as accepted (#${entry.seq}) but could not be renamed into place: ${(error as Error).message}. The journal is ahead of the file; put the journaled version in place with: guard repair --mission ${shellQuote(store.paths.missionDir)} --restore ${shellQuote(path)}`, { cause: error });
    }
    return { kind: 'accepted', path, entry, transitions: verdict.transitions, unchanged: previous?.bytes.equals(bytes) === true };
  }
  throw new GuardError('STATE_IO', `${path} kept changing while it was judged (${ATTEMPTS} times another write landed first); nothing was written. Try again.`);
}
