// The versions the journal names (snapshots) and how a user refers to one on the command line:
// a digest or unique prefix, `ARTIFACT` (its last good), `ARTIFACT@rejected`, `ARTIFACT@SEQ`,
// or `#SEQ`. Shared by `guard snapshots`, `show`, `diff` and `restore`.
import { isAbsolute, posix, relative, sep } from 'node:path';
import type { JournalEntry, WriteSource } from '../core/entries.js';
import type { MissionState } from '../core/replay.js';
import { asMissionPath, type Digest, type Issue, type Transition } from '../core/types.js';
import { GuardError } from '../errors.js';
import { ObjectStore } from '../store/objects.js';
import type { Context } from './command.js';
import { viewMission, type MissionView } from './mission-view.js';

/**
 * `replaced`: a version no entry accepted or quarantined, stored because a write replaced it.
 * `approved`: a version a hook approved (stored at approval; older guards did not store them).
 */
export type SnapshotKind = 'accepted' | 'rejected' | 'journal-cut' | 'tamper' | 'replaced' | 'approved';

/** One version of one artifact, as journaled. `digest` is null for an accepted deletion. */
export interface Snapshot {
  seq: number;
  at: string;
  path: string;
  kind: SnapshotKind;
  digest: Digest | null;
  size: number;
  by?: WriteSource;
  transitions?: Transition[];
  issues?: Issue[];
  detail?: string;
  /** The newest accepted version of its artifact. */
  lastGood: boolean;
}

/** What journal cuts are listed under: they belong to no artifact. */
export const JOURNAL_TAIL = '(journal tail)';

const MIN_PREFIX = 6;

// Every version the journal names, oldest first, with the last good of each artifact marked.
export function listSnapshots(entries: readonly JournalEntry[], state: MissionState): Snapshot[] {
  const snapshots: Snapshot[] = [];
  const named = new Set<string>();
  for (const entry of entries) {
    const base = { seq: entry.seq, at: entry.at, lastGood: false };
    if (entry.kind === 'write-accepted') snapshots.push({ ...base, path: entry.path, kind: 'accepted', digest: entry.digest, size: entry.size, by: entry.by, transitions: entry.transitions });
    else if (entry.kind === 'write-rejected') snapshots.push({ ...base, path: entry.path, kind: 'rejected', digest: entry.digest, size: entry.size, by: entry.by, issues: entry.issues });
    else if (entry.kind === 'journal-repaired' && entry.object !== null) snapshots.push({ ...base, path: JOURNAL_TAIL, kind: 'journal-cut', digest: entry.object, size: entry.cutBytes, detail: entry.reason });
    else if (entry.kind === 'tamper' && entry.digest !== null) snapshots.push({ ...base, path: entry.path, kind: 'tamper', digest: entry.digest, size: 0, detail: entry.detail });
    else if (entry.kind === 'hook-allowed' && entry.digest !== undefined && !named.has(`${entry.path}\0${entry.digest}`)) snapshots.push({ ...base, path: entry.path, kind: 'approved', digest: entry.digest, size: -1, detail: `approved by the hook (${entry.tool})` });
    const latest = snapshots.at(-1);
    if (latest?.seq === entry.seq && latest.digest !== null) named.add(`${latest.path}\0${latest.digest}`);
    // After the entry's own version (so `#SEQ` names that one), and only when nothing else names it.
    const replaced = replacedBy(entry);
    if (replaced !== undefined && !named.has(`${replaced.path}\0${replaced.digest}`)) {
      named.add(`${replaced.path}\0${replaced.digest}`);
      snapshots.push({ ...base, ...replaced, kind: 'replaced', size: -1, detail: `on disk until #${entry.seq} replaced it (never journaled as accepted)` });
    }
  }
  const marked = new Set<string>();
  for (let i = snapshots.length - 1; i >= 0; i--) {
    const snapshot = snapshots[i] as Snapshot;
    const artifact = state.artifacts.get(snapshot.path);
    if (snapshot.kind !== 'accepted' || marked.has(snapshot.path) || artifact === undefined || artifact.lastGood !== snapshot.digest) continue;
    snapshot.lastGood = true;
    marked.add(snapshot.path);
  }
  return snapshots;
}

// The version a write or repair replaced, when it names one (stored as an object before the write).
function replacedBy(entry: JournalEntry): { path: string; digest: Digest } | undefined {
  if ((entry.kind !== 'write-accepted' && entry.kind !== 'repaired') || entry.replaced === undefined || entry.replaced === null || entry.path === undefined) return undefined;
  return { path: entry.path, digest: entry.replaced };
}

// A path as typed (mission-relative, `./x`, or absolute inside the mission) as the journal names it.
export function normalizeArtifactPath(missionDir: string, text: string): string {
  const inside = isAbsolute(text) ? relative(missionDir, text).split(sep).join('/') : posix.normalize(text.replaceAll('\\', '/'));
  return inside.replace(/^\.\/+/, '');
}

// Resolve a reference to one stored version; SNAPSHOT_NOT_FOUND (exit 2) says what exists.
export function resolveSnapshot(snapshots: readonly Snapshot[], missionDir: string, ref: string): Snapshot & { digest: Digest } {
  const found = findSnapshot(snapshots, missionDir, ref.trim());
  if (found.digest === null) {
    throw notFound(`${ref} names #${found.seq}, the deletion of ${found.path}: there are no bytes to show`);
  }
  return found as Snapshot & { digest: Digest };
}

function findSnapshot(snapshots: readonly Snapshot[], missionDir: string, ref: string): Snapshot {
  if (ref === '') throw new GuardError('USAGE', 'empty snapshot reference; run guard snapshots to list them');
  if (ref.startsWith('#')) return bySeq(snapshots, ref, ref.slice(1), undefined);
  const at = ref.lastIndexOf('@');
  if (at > 0) {
    const path = artifactOf(snapshots, missionDir, ref.slice(0, at));
    const suffix = ref.slice(at + 1);
    if (suffix === 'rejected') {
      const rejected = newest(snapshots, (snapshot) => snapshot.path === path && snapshot.kind === 'rejected');
      if (rejected === undefined) throw notFound(`${path} has no rejected (quarantined) version`);
      return rejected;
    }
    return bySeq(snapshots, ref, suffix.replace(/^#/, ''), path);
  }
  if (/^[0-9a-f]+$/i.test(ref) && ref.length >= MIN_PREFIX) {
    const byDigest = byPrefix(snapshots, ref.toLowerCase());
    if (byDigest !== undefined) return byDigest;
  }
  const path = knownPath(snapshots, normalizeArtifactPath(missionDir, ref));
  if (path === undefined) {
    const hint = /^[0-9a-f]+$/i.test(ref) && ref.length < MIN_PREFIX ? ` (a digest prefix needs at least ${MIN_PREFIX} hex digits)` : '';
    throw notFound(`no snapshot or artifact "${ref}"${hint}; artifacts with versions: ${artifactsOf(snapshots)}`);
  }
  const good = newest(snapshots, (snapshot) => snapshot.path === path && snapshot.lastGood);
  if (good === undefined) throw notFound(`${path} has no last good version (refer to one by seq: ${path}@SEQ)`);
  return good;
}

// The artifact path of a reference's `ARTIFACT@...` part, checked against the journal.
export function artifactOf(snapshots: readonly Snapshot[], missionDir: string, text: string): string {
  const path = knownPath(snapshots, normalizeArtifactPath(missionDir, text));
  if (path === undefined) throw notFound(`no versions of "${text}" are journaled; artifacts with versions: ${artifactsOf(snapshots)}`);
  return path;
}

// Whether a reference names an artifact (rather than one version of it).
export function isArtifactRef(snapshots: readonly Snapshot[], missionDir: string, ref: string): boolean {
  if (ref.startsWith('#') || ref.includes('@')) return false;
  if (/^[0-9a-f]+$/i.test(ref) && ref.length >= MIN_PREFIX && snapshots.some((snapshot) => snapshot.digest?.startsWith(ref.toLowerCase()))) return false;
  return knownPath(snapshots, normalizeArtifactPath(missionDir, ref)) !== undefined;
}

function knownPath(snapshots: readonly Snapshot[], path: string): string | undefined {
  if (asMissionPath(path) === undefined && path !== JOURNAL_TAIL) return undefined;
  return snapshots.some((snapshot) => snapshot.path === path) ? path : undefined;
}

function bySeq(snapshots: readonly Snapshot[], ref: string, digits: string, path: string | undefined): Snapshot {
  if (!/^[0-9]+$/.test(digits)) {
    throw new GuardError('USAGE', `bad snapshot reference "${ref}": use a digest (prefix of at least ${MIN_PREFIX} hex digits), ARTIFACT, ARTIFACT@rejected, ARTIFACT@SEQ or #SEQ; guard snapshots lists them`);
  }
  const seq = Number(digits);
  const found = snapshots.find((snapshot) => snapshot.seq === seq && (path === undefined || snapshot.path === path));
  if (found !== undefined) return found;
  const around = snapshots.filter((snapshot) => path === undefined || snapshot.path === path).map((snapshot) => `#${snapshot.seq}`);
  throw notFound(`journal entry #${seq} is not a version${path === undefined ? '' : ` of ${path}`}; versions: ${around.slice(-12).join(', ') || 'none'}`);
}

function byPrefix(snapshots: readonly Snapshot[], prefix: string): Snapshot | undefined {
  const matches = snapshots.filter((snapshot) => snapshot.digest?.startsWith(prefix));
  const digests = [...new Set(matches.map((snapshot) => snapshot.digest))];
  if (digests.length > 1) {
    const candidates = digests.map((digest) => {
      const last = newest(matches, (snapshot) => snapshot.digest === digest) as Snapshot;
      return `${digest?.slice(0, 12)} (${last.path} #${last.seq})`;
    });
    throw notFound(`digest prefix ${prefix} is ambiguous: ${candidates.join(', ')}; give more digits`);
  }
  return matches.length === 0 ? undefined : matches[matches.length - 1];
}

function newest(snapshots: readonly Snapshot[], test: (snapshot: Snapshot) => boolean): Snapshot | undefined {
  for (let i = snapshots.length - 1; i >= 0; i--) if (test(snapshots[i] as Snapshot)) return snapshots[i];
  return undefined;
}

function artifactsOf(snapshots: readonly Snapshot[]): string {
  const paths = [...new Set(snapshots.map((snapshot) => snapshot.path))].sort();
  return paths.length === 0 ? 'none (this mission has not been guarded yet)' : paths.join(', ');
}

function notFound(message: string): GuardError {
  return new GuardError('SNAPSHOT_NOT_FOUND', `${message}. Run guard snapshots to list them.`);
}

/** A mission's journal and snapshot objects, opened read-only for browsing. */
export interface SnapshotCatalogue {
  view: MissionView;
  snapshots: Snapshot[];
  objects: ObjectStore;
}

// Read a mission's journal (no lock) and list its versions.
export async function openCatalogue(ctx: Context, missionDir: string): Promise<SnapshotCatalogue> {
  const view = await viewMission(ctx.guardHome, missionDir);
  return { view, snapshots: listSnapshots(view.entries, view.state), objects: new ObjectStore(view.paths.objects) };
}

// The exact bytes of a snapshot, re-hashed by the object store.
export async function bytesOf(catalogue: SnapshotCatalogue, snapshot: { digest: Digest }): Promise<Buffer> {
  return Buffer.from(await catalogue.objects.get(snapshot.digest));
}
