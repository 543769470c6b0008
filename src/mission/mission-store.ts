// One mission's guard state opened for writing: paths, snapshot objects, the journal and its
// replayed state kept live, and the last good versions cached. The guardian and every command
// that writes share it; it reads through mission-read.ts like every other caller.
import type { EntryBody, JournalEntry, WriteSource } from '../core/entries.js';
import { judgeVersion, type ArtifactSpec, type JudgeContext, type Judgement } from '../core/judge.js';
import { applyEntries, emptyState, type MissionState } from '../core/replay.js';
import { asMissionPath, digestOf, type Digest, type Issue } from '../core/types.js';
import { errnoOf, GuardError, isGuardError, reportableError } from '../errors.js';
import { fullSizeOf, ownedCopy } from '../store/file-bytes.js';
import { planQuarantine, quarantinedBytes } from '../store/quarantine.js';
import { pinMissionRoot } from '../store/contained.js';
import { matchArtifact, orchestratorOf, type Profile } from '../profiles/profile.js';
import { Journal, namingMission } from '../store/journal.js';
import { ObjectStore } from '../store/objects.js';
import { missionStatePaths, securePrivateDirs, type MissionStatePaths } from '../store/paths.js';
import { judgeContextOf, readLastGood, type GoodVersion } from './mission-read.js';
import { recoverInterruptedWrites, trackIntents, type WriteIntent } from './write-recovery.js';

export type { GoodVersion } from './mission-read.js';

export type Accepted = Extract<Judgement, { kind: 'accepted' }>;

/** A verdict, the last good version it was reached against, and its basis (`basisOf`). */
export interface Judged {
  verdict: Judgement;
  previous: GoodVersion | undefined;
  basis: string;
}

export interface RecordOptions {
  basis?: string;
  before?: Promise<unknown>;
  /** The version on disk the write replaces (stored already), journaled as the entry's `replaced`. */
  replaced?: Digest | null;
  /** Checked under the journal lock with the basis: false journals nothing (judge again). */
  stillValid?: () => boolean;
}

export class MissionStore {
  readonly paths: MissionStatePaths;
  readonly profile: Profile;
  readonly objects: ObjectStore;
  readonly journal: Journal;
  readonly state: MissionState = emptyState();
  readonly #goodCache = new Map<string, GoodVersion>();
  readonly #specs = new Map<string, ArtifactSpec | undefined>();
  readonly #listeners: Array<(entries: JournalEntry[]) => void> = [];
  /** Per path, the shape warnings last journaled (see #warnOnce). */
  readonly #warned = new Map<string, string>();
  /** Journaled writes that may not have landed yet, by path (see write-recovery.ts). */
  readonly intents = new Map<string, WriteIntent>();
  /** Bytes this mission's quarantine holds, counted from the journal (store/quarantine.ts). */
  #quarantined = 0;

  private constructor(paths: MissionStatePaths, profile: Profile, now: () => Date) {
    this.paths = paths;
    this.profile = profile;
    this.objects = new ObjectStore(paths.objects);
    this.journal = new Journal(paths.journal, this.objects, now);
    this.journal.onEntries((entries) => {
      applyEntries(this.state, entries);
      trackIntents(this.intents, entries);
      for (const entry of entries) if (entry.kind === 'write-rejected') this.#quarantined += quarantinedBytes(entry.size, this.specOf(entry.path)?.maxBytes ?? entry.size);
      for (const listener of this.#listeners) listener(entries);
    });
  }

  // Open (and verify) a mission's journal; throws MISSION_NOT_FOUND or JOURNAL_CORRUPT.
  static async open(guardHome: string, missionDir: string, profile: Profile, now: () => Date = () => new Date()): Promise<MissionStore> {
    let paths: MissionStatePaths;
    try {
      paths = missionStatePaths(guardHome, missionDir);
    } catch {
      throw new GuardError('MISSION_NOT_FOUND', `mission dir ${missionDir} does not exist`);
    }
    pinMissionRoot(paths.missionDir, true); // the dir as it is now is the mission's, until this store's work is done
    securePrivateDirs(guardHome, paths);
    const store = new MissionStore(paths, profile, now);
    await namingMission(paths.missionDir, store.journal.open());
    await recoverInterruptedWrites(store);
    return store;
  }

  /** Receive every entry journaled from now on (own and other processes'). */
  onEntries(listener: (entries: JournalEntry[]) => void): void {
    this.#listeners.push(listener);
  }

  append(body: EntryBody): Promise<JournalEntry> {
    return this.journal.append(body);
  }

  // Matched once per path: the guardian asks on every watcher event.
  specOf(path: string): ArtifactSpec | undefined {
    if (!this.#specs.has(path)) {
      const missionPath = asMissionPath(path);
      this.#specs.set(path, missionPath === undefined ? undefined : matchArtifact(this.profile, missionPath));
    }
    return this.#specs.get(path);
  }

  // The last good version of an artifact, from the cache or the object store.
  async lastGood(path: string, spec: ArtifactSpec): Promise<GoodVersion | undefined> {
    const digest = this.state.artifacts.get(path)?.lastGood;
    if (digest === undefined || digest === null) return undefined;
    const cached = this.#goodCache.get(path);
    if (cached?.digest === digest) return cached;
    const good = await readLastGood(this.objects, this.state, path, spec);
    if (good !== undefined) this.#remember(path, spec, good);
    return good;
  }

  /**
   * Last good moved on by an append judged alone (src/guardian/appends.ts): `extend` makes the new
   * version from the cached old one (lazily: nothing is copied until someone reads it), or the old
   * copy is dropped when it is not cached.
   */
  extendGood(path: string, base: Digest, extend: (good: GoodVersion) => GoodVersion): void {
    const cached = this.#goodCache.get(path);
    if (cached?.digest === base) this.#goodCache.set(path, extend(cached));
    else this.#goodCache.delete(path);
  }

  // Keep the last good version in memory only for artifacts that legitimately change: a tracked
  // file or a write-once handoff is looked up again only when something touched it (rare), and a
  // long mission has thousands of handoffs.
  #remember(path: string, spec: ArtifactSpec, good: GoodVersion): void {
    if (spec.role === 'tracked' || spec.rules.some((rule) => rule.kind === 'write-once')) this.#goodCache.delete(path);
    else this.#goodCache.set(path, good);
  }

  // What the judge weighs beyond the two versions: unused permits and journaled evidence.
  contextFor(spec: ArtifactSpec): JudgeContext {
    return judgeContextOf(this.state, spec);
  }

  async judge(path: string, spec: ArtifactSpec, bytes: Uint8Array | null): Promise<Judged> {
    const basis = this.basisOf(path, spec);
    const previous = await this.lastGood(path, spec);
    return { verdict: withFullSize(judgeVersion(spec, previous, bytes, this.contextFor(spec)), bytes), previous, basis };
  }

  /**
   * What a verdict on `path` rests on besides its bytes: its last good version, the reopen
   * permits and, for a summary checked against evidence, the journaled evidence. Another process
   * (a guardian, `guard write`, `guard ack`) may change any of them between a judgement and its
   * journal entry, so an accepted version is journaled only while this is unchanged.
   */
  basisOf(path: string, spec: ArtifactSpec): string {
    const { artifacts, counts } = this.state;
    return [artifacts.get(path)?.lastGood ?? 'none', counts.get('reopen-permitted') ?? 0, spec.evidence === true ? (counts.get('evidence') ?? 0) : '-'].join(' ');
  }

  /**
   * Journal an accepted version: snapshot first (so the journal never names a missing object),
   * then `write-accepted`, then the evidence facts it carries. The caller writes the file after.
   * With `basis` (from `judge`) it resolves null, journaling nothing, when the verdict's basis
   * changed meanwhile: judge again. `before` is awaited between the snapshot and the entry.
   */
  async recordAccepted(path: string, spec: ArtifactSpec, bytes: Uint8Array | null, verdict: Accepted, previous: GoodVersion | undefined, by: WriteSource, options: RecordOptions = {}): Promise<JournalEntry | null> {
    const digest = bytes === null ? null : await this.objects.put(bytes, previous);
    await options.before;
    const reopened = verdict.reopened.map((feature) => {
      const permit = this.state.permits.get(feature);
      const sanctioned = verdict.sanctioned?.find((reopen) => reopen.feature === feature);
      return { feature, reason: permit?.reason ?? (sanctioned === undefined ? '' : `droid reopen: ${sanctioned.source} reported work left undone`), permit: permit?.seq ?? 0 };
    });
    const body: EntryBody = {
      kind: 'write-accepted',
      path,
      digest,
      size: bytes?.length ?? 0,
      role: spec.role,
      by,
      transitions: verdict.transitions,
      ...(reopened.length > 0 ? { reopened } : {}),
      ...(options.replaced === undefined ? {} : { replaced: options.replaced }),
    };
    const { basis, stillValid } = options;
    const entry =
      basis === undefined && stillValid === undefined
        ? await this.append(body)
        : await this.journal.appendIf(() => (basis === undefined || this.basisOf(path, spec) === basis) && (stillValid === undefined || stillValid()), body);
    if (entry === null) return null;
    if (bytes !== null && digest !== null) this.#remember(path, spec, { digest, bytes: ownedCopy(bytes), doc: verdict.doc });
    const facts = bytes === null ? [] : orchestratorOf(this.profile).evidenceFacts(path, previous?.doc, verdict.doc);
    if (facts.length > 0) await this.append({ kind: 'evidence', path, facts });
    await this.#warnOnce(path, digest, verdict.warnings);
    return entry;
  }

  /**
   * A deviation droid's readers tolerate is journaled when it appears or changes, not again for
   * every version that still carries it (a log appended to a thousand times would repeat it a
   * thousand times). Remembered per guard process: a restart journals a persisting one once.
   */
  async #warnOnce(path: string, digest: Digest | null, warnings: Issue[] | undefined): Promise<void> {
    if (warnings === undefined) {
      this.#warned.delete(path);
      return;
    }
    const key = JSON.stringify(warnings.map((issue) => [issue.code, issue.pointer, issue.message]));
    if (this.#warned.get(path) === key) return;
    await this.append({ kind: 'shape-warning', path, digest, issues: warnings });
    this.#warned.set(path, key);
  }

  // Snapshot a tracked file (no judging), size-capped by its spec.
  async recordTracked(path: string, spec: ArtifactSpec, bytes: Uint8Array | null, previous: GoodVersion | undefined): Promise<void> {
    if (bytes !== null && bytes.length > spec.maxBytes) return;
    await this.recordAccepted(path, spec, bytes, { kind: 'accepted', doc: undefined, transitions: [], reopened: [] }, previous, 'watcher');
  }

  /**
   * Store rejected bytes in quarantine (bounded: store/quarantine.ts) and journal the rejection;
   * returns the incident id. A quarantine the guard home refuses (read-only, disk full) does not
   * stop the reaction: the rejection is journaled without its bytes, the failure beside it as an
   * incident note, and the version is still restored from last good and the mission frozen.
   */
  async recordRejected(path: string, spec: ArtifactSpec, bytes: Uint8Array | null, issues: Extract<Judgement, { kind: 'rejected' }>['issues'], previous: GoodVersion | undefined, by: WriteSource): Promise<number> {
    const digest = bytes === null ? null : digestOf(bytes);
    const notes: Array<{ code: string; detail: string }> = [];
    if (bytes !== null && digest !== null) {
      const plan = planQuarantine(bytes, digest, spec.maxBytes, this.#quarantined, fullSizeOf(bytes));
      if (plan.cut !== undefined) notes.push({ code: plan.cut.code, detail: plan.cut.why });
      if (plan.keep !== null) {
        try {
          await this.objects.put(plan.keep, plan.keep.length === bytes.length ? previous : undefined);
        } catch (error) {
          const io = reportableError(error);
          if (io === undefined || isGuardError(error)) throw error;
          notes.push({ code: errnoOf(error) ?? 'EIO', detail: `the rejected version could not be kept in quarantine (${io.message}); it is still rejected, restored and the mission frozen, but its bytes are lost` });
        }
      }
    }
    const entry = await this.append({ kind: 'write-rejected', path, digest, size: bytes === null ? 0 : fullSizeOf(bytes), role: spec.role, by, issues });
    for (const note of notes) await this.append({ kind: 'mission-fault', path, code: note.code, detail: note.detail });
    return entry.seq;
  }

  /**
   * The newest version of `path` a hook approved whose bytes are stored (hooks store what they
   * approve): a valid write the guard never got to read can still be put back from it.
   */
  async newestApproved(path: string): Promise<{ digest: Digest; bytes: Buffer } | undefined> {
    const approved = this.state.hookApproved.get(path) ?? [];
    for (let i = approved.length - 1; i >= 0; i--) {
      const digest = approved[i] as Digest;
      if (await this.objects.has(digest)) return { digest, bytes: Buffer.from(await this.objects.get(digest)) };
    }
    return undefined;
  }
}

// A version read only in part (over its size limit: store/file-bytes.ts) is judged on that prefix,
// which is over the limit too; its size issue names the size of the whole file.
function withFullSize(verdict: Judgement, bytes: Uint8Array | null): Judgement {
  const full = bytes === null ? 0 : fullSizeOf(bytes);
  if (bytes === null || full === bytes.length || verdict.kind !== 'rejected') return verdict;
  const issues = verdict.issues.map((issue) => (issue.code === 'too-large' ? { ...issue, message: `${issue.message.replace(`file is ${bytes.length} bytes`, `file is ${full} bytes`)}; only its first ${bytes.length} bytes were read` } : issue));
  return { ...verdict, issues };
}
