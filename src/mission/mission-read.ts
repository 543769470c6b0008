/**
 * The one way to read a mission's guard state, for every caller: the guardian, the commands that
 * write (`guard write`, ack, repair), the commands that only look (status, log, plan, verify,
 * snapshots), the hook and the library.
 *
 * - **Open**: a writer opens a `MissionStore` (mission-store.ts: locks, recovers interrupted
 *   writes, keeps the state live); a reader takes a `MissionView` here (the journal read and
 *   verified, replayed, no lock taken).
 * - **Last good**: `readLastGood`, the version the journal names, from the object store, parsed.
 * - **Judge context**: `judgeContextOf`, what a verdict weighs beyond the two versions.
 * - **Unchanged on disk?**: `isLastGood` (core/replay.ts) over the digest of the bytes on disk
 *   (file-io.ts `digestNow`, never through a symlink).
 */
import { existsSync } from 'node:fs';
import type { JournalEntry } from '../core/entries.js';
import { parseVersion, type ArtifactSpec, type JudgeContext, type LastGood } from '../core/judge.js';
import { evidenceOf, replay, type MissionState } from '../core/replay.js';
import type { Digest } from '../core/types.js';
import { GuardError } from '../errors.js';
import { ownedCopy } from '../store/file-bytes.js';
import { isAlive, readOwner, type LockOwner } from '../store/lock-owner.js';
import { namingMission, readJournal } from '../store/journal.js';
import type { ObjectStore } from '../store/objects.js';
import { missionStatePaths, type MissionStatePaths } from '../store/paths.js';

/** A last good version with its name. */
export interface GoodVersion extends LastGood {
  digest: Digest;
  bytes: Buffer;
}

/** A mission as a reader sees it: the journal verified and replayed, without any lock. */
export interface MissionView {
  paths: MissionStatePaths;
  entries: JournalEntry[];
  state: MissionState;
  /** Bytes at the end of the journal that are not a complete entry (repaired on the next write). */
  tornBytes: number;
  /** The guardian holding the mission, when one is alive. */
  guardian: LockOwner | undefined;
}

// Read and verify a mission's journal; JOURNAL_CORRUPT when the chain is broken.
export async function viewMission(guardHome: string, missionDir: string): Promise<MissionView> {
  const paths = statePathsOf(guardHome, missionDir);
  const read = await namingMission(paths.missionDir, readJournal(paths.journal));
  return { paths, entries: read.entries, state: replay(read.entries), tornBytes: read.torn?.length ?? 0, guardian: guardianOf(paths) };
}

// The state paths of a mission dir; MISSION_NOT_FOUND when it does not exist.
export function statePathsOf(guardHome: string, missionDir: string): MissionStatePaths {
  try {
    return missionStatePaths(guardHome, missionDir);
  } catch {
    throw new GuardError('MISSION_NOT_FOUND', `mission dir ${missionDir} does not exist`);
  }
}

export function guardianOf(paths: MissionStatePaths): LockOwner | undefined {
  const owner = readOwner(`${paths.guardianLock}.owner.json`);
  return owner !== undefined && existsSync(paths.guardianLock) && isAlive(owner.pid) ? owner : undefined;
}

// The last good version of an artifact as the journal names it, read from the object store and
// parsed. A mission store caches what this returns; a view reads it on each call.
export async function readLastGood(objects: ObjectStore, state: Pick<MissionState, 'artifacts'>, path: string, spec: ArtifactSpec): Promise<GoodVersion | undefined> {
  const digest = state.artifacts.get(path)?.lastGood;
  if (digest === undefined || digest === null) return undefined;
  const bytes = ownedCopy(await objects.get(digest));
  const parsed = spec.role === 'tracked' ? undefined : parseVersion(spec, undefined, bytes);
  return { digest, bytes, doc: parsed?.ok === true ? parsed.value : undefined };
}

// What the judge weighs beyond the two versions: unused permits and, for an artifact checked
// against evidence, the journaled evidence.
export function judgeContextOf(state: MissionState, spec: ArtifactSpec): JudgeContext {
  return { permits: new Set(state.permits.keys()), ...(spec.evidence === true ? { evidence: evidenceOf(state) } : {}) };
}
