/**
 * Transactional artifact writes (PROBLEM.md item 1): judge, snapshot, journal, then temp +
 * fsync + rename + fsync dir. On reject nothing is written and the old file stays byte for byte.
 *
 * Theory of operation: the journal entry lands before the rename (the temp file is written
 * meanwhile; the rename waits for the entry), so a guardian watching the same mission already
 * knows the digest when the rename event arrives and does not judge it again (no double
 * incident). A crash between the two leaves a journal that is ahead of the file; the next
 * guardian start judges the old file against the new last good and restores the new version if
 * the old one breaks a rule.
 */
import { join } from 'node:path';
import type { JournalEntry, WriteSource } from '../core/entries.js';
import type { Judgement } from '../core/judge.js';
import type { Issue, Transition } from '../core/types.js';
import { GuardError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import type { MissionStore } from './mission-store.js';

// Tracked files are snapshotted, never judged.
const TRACKED = { kind: 'accepted', doc: undefined, transitions: [], reopened: [] } as const satisfies Judgement;

export type WriteResult =
  | { kind: 'accepted'; path: string; entry: JournalEntry; transitions: Transition[]; unchanged: boolean }
  | { kind: 'rejected'; path: string; issues: Issue[] };

// Judge `bytes` for the artifact at `path` and, when accepted, write them atomically.
export async function commitWrite(store: MissionStore, path: string, bytes: Buffer, by: WriteSource): Promise<WriteResult> {
  const spec = store.specOf(path);
  if (spec === undefined) {
    throw new GuardError('NOT_AN_ARTIFACT', `${path} is not an artifact of profile ${store.profile.name} (${store.profile.source}); only artifacts are written through the guard`);
  }
  const { verdict, previous } = spec.role === 'tracked' ? { verdict: TRACKED, previous: await store.lastGood(path, spec) } : await store.judge(path, spec, bytes);
  if (verdict.kind === 'rejected') return { kind: 'rejected', path, issues: verdict.issues };
  // The temp file is written and fsynced while the snapshot and the entry are; only the rename
  // waits for the entry, so the journal is still ahead of the file.
  const journaled = store.recordAccepted(path, spec, bytes, verdict, previous, by);
  const written = writeFileAtomic(join(store.paths.missionDir, path), bytes, { beforeRename: () => journaled.then(() => true, () => false) });
  const [entry] = await Promise.all([journaled, written]);
  return { kind: 'accepted', path, entry, transitions: verdict.transitions, unchanged: previous?.bytes.equals(bytes) === true };
}
