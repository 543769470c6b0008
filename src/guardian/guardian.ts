/**
 * The guardian of one mission dir (DESIGN.md §7): lock, baseline, watch, judge every version,
 * and hand a final rejected version to the reactions.
 *
 * Theory of operation:
 * - Every watcher event is a hint for one path. A hint queues a check of the path (checks of one
 *   path run one at a time, path-queues.ts; at most one waits behind the running one) and
 *   re-arms a trailing check shortly after, so the last version of any burst is read after the
 *   burst ends. A periodic re-check (recheck.ts) looks for what the watcher missed.
 * - A check hashes the bytes. The last good digest needs nothing; anything else is judged
 *   against last good. An accepted version is snapshotted and journaled at once.
 * - A rejected version is acted on only once it is final (src/watch/completion.ts, waited for
 *   per path by finality.ts): nobody holds the file open for writing and, for a version cut
 *   short, the path has been quiet a moment. Until then the check asks again later. Before
 *   acting it re-reads: only bytes that are still on disk are acted on.
 * - Start-up (baseline, recovery of interrupted writes, the cross-check) is startup.ts; the
 *   mission's guard state and the services every command shares are src/mission/. Errors go to
 *   faults.ts (the mission's or the guard's own); rejected versions that are not incidents (a
 *   log's valid prefix, a `guard write` landing) are not-incidents.ts.
 * - The reaction (src/guardian/reactions.ts) runs outside the check, one at a time per mission;
 *   its writes to a path run in that path's queue, so no check of the path sees a half-done one.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { JournalEntry } from '../core/entries.js';
import type { Incident } from '../core/replay.js';
import type { Digest } from '../core/types.js';
import { GuardError } from '../errors.js';
import type { Profile } from '../profiles/profile.js';
import type { FileIdentity } from '../store/file-bytes.js';
import { acquireGuardianLock, type GuardianLock } from '../store/guardian-lock.js';
import { removeOrphanTemps } from '../store/orphan-temps.js';
import { SENTINEL } from '../store/paths.js';
import type { CompletionLimits } from '../watch/completion.js';
import { watchMission, type MissionWatcher } from '../watch/mission-watcher.js';
import { AppendTails } from './appends.js';
import { PathQueues } from './path-queues.js';
import { Recheck } from './recheck.js';
import { VersionWaits } from './finality.js';
import { MissionStore } from '../mission/mission-store.js';
import { FaultRouter } from './faults.js';
import { NotIncidents } from './not-incidents.js';
import { Reactions, type Stuck } from './reactions.js';
import { syncSentinel } from './sentinel.js';
import { baseline } from './startup.js';

export interface GuardianOptions {
  missionDir: string;
  guardHome: string;
  profile: Profile;
  /** Where open-for-writing cannot be read: how long a rejected version must stay unchanged. */
  settleMs: number;
  /** How long an incomplete version must stay quiet once nobody writes it (Linux). */
  debounceMs?: number;
  /** How long a writer may keep a rejected version open before it counts as stuck. */
  stuckMs?: number;
  /** Every this often, the artifacts are stat'ed and any change the watcher missed is judged (0: off). */
  recheckMs?: number;
  /** Recorded in the journal and the lock owner: 'watch' or 'run'. */
  mode: string;
  /** Flag artifact changes that no hook approved (`unhooked-write`). */
  hooks: boolean;
  /** Every journal entry of this mission, as it is learned. */
  onEntries: (missionDir: string, entries: JournalEntry[]) => void;
  /** The guardian can no longer protect the mission (lock lost, journal unwritable). */
  onFatal: (missionDir: string, error: Error) => void;
  now?: () => Date;
  /** Failpoint for crash-safety tests: SIGKILL this process right after journaling this kind. */
  crashAfter?: string;
  /** Aborted: stop even in the middle of the start (SIGTERM during a long baseline). */
  signal?: AbortSignal;
}

/**
 * After the last event of a burst the path is read once more (a safety net: every write raises an
 * event after its bytes land, but events can coalesce). Not the settle window: completion is
 * decided by src/watch/completion.ts.
 */
const TRAILING_CHECK_MS = 50;

/** The periodic re-check's default period (GuardianOptions.recheckMs). */
export const DEFAULT_RECHECK_MS = 30_000;

// Resolves 'aborted' when `signal` aborts (never without one).
function whenAborted(signal: AbortSignal | undefined): Promise<'aborted'> {
  if (signal === undefined) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve('aborted');
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve('aborted'), { once: true }));
}

export class Guardian {
  readonly store: MissionStore;
  readonly limits: CompletionLimits;
  readonly #options: GuardianOptions;
  readonly #reactions: Reactions;
  readonly #appends: AppendTails;
  readonly #waits: VersionWaits;
  readonly #paths: PathQueues;
  readonly #queued = new Set<string>();
  /**
   * What each artifact was last read as: a new inode means it was replaced by a rename, and the
   * periodic re-check compares against it to notice a change whose events were lost.
   */
  readonly #seen = new Map<string, FileIdentity | null>();
  readonly #recheck: Recheck;
  readonly #notIncidents: NotIncidents;
  readonly #faults: FaultRouter;
  #watcher: MissionWatcher | undefined;
  #lock: GuardianLock | undefined;
  #stopped = false;

  private constructor(store: MissionStore, options: GuardianOptions) {
    this.store = store;
    this.#options = options;
    this.#appends = new AppendTails(store);
    this.#paths = new PathQueues(() => this.#reactions.pending);
    this.#recheck = new Recheck(
      {
        store,
        seen: (path) => this.#seen.get(path),
        busy: (path) => this.#paths.busy(path),
        check: (path) => this.#queueCheck(path),
        retryWatch: () => this.#watcher?.retry(),
        fault: (error) => this.#faults.fault(error, undefined),
        active: () => !this.#stopped && !this.#faults.failed,
      },
      options.recheckMs ?? DEFAULT_RECHECK_MS,
    );
    this.limits = { settleMs: options.settleMs, debounceMs: options.debounceMs ?? options.settleMs, stuckMs: options.stuckMs ?? 10_000 };
    this.#waits = new VersionWaits(store.paths.missionDir, this.limits);
    this.#reactions = new Reactions({
      store,
      limits: this.limits,
      now: options.now ?? (() => new Date()),
      inQueue: (path, task) => this.#paths.run(path, task),
      check: (path) => this.#check(path),
      hint: (path) => this.#hint(path),
      idle: () => this.#paths.settled(),
      hooks: options.hooks,
      fault: (error, path) => this.#faults.fault(error, path),
      stopping: () => this.#stopped,
    });
    this.#faults = new FaultRouter({
      store,
      incident: (path, code, detail) => this.#reactions.fault(path, code, detail),
      cleared: (path) => this.#reactions.cleared(path),
      recheckSoon: () => this.#recheck.soon(),
      fatal: (error) => this.#fail(error),
      stopped: () => this.#stopped,
    });
    this.#notIncidents = new NotIncidents(store);
  }

  get missionDir(): string {
    return this.store.paths.missionDir;
  }

  get frozen(): boolean {
    return this.store.state.freeze.kind === 'frozen';
  }

  // Lock, verify the journal, watch, baseline and recover. Throws LOCK_HELD, JOURNAL_CORRUPT...
  static async start(options: GuardianOptions): Promise<Guardian> {
    const store = await MissionStore.open(options.guardHome, options.missionDir, options.profile, options.now);
    const guardian = new Guardian(store, options);
    const fail = (error: Error) => guardian.#fail(error);
    guardian.#lock = await acquireGuardianLock(
      store.paths,
      options.mode,
      (why) => fail(new GuardError('LOCK_LOST', `lost the guardian lock of ${store.paths.missionDir}: ${why}`)),
      (why) => void store.append({ kind: 'lock-compromised', detail: why, recovered: true }).catch(fail),
      options.crashAfter,
    );
    try {
      store.onEntries((entries) => {
        options.onEntries(guardian.missionDir, entries);
        if (options.crashAfter !== undefined && entries.some((entry) => entry.kind === options.crashAfter)) process.kill(process.pid, 'SIGKILL');
      });
      removeOrphanTemps(store.paths); // under the lock: what a killed guardian left behind
      await store.journal.sync();
      await store.append({ kind: 'guard-started', pid: process.pid, host: hostname(), profile: options.profile.name, mode: options.mode });
      guardian.#watcher = watchMission(store.paths.missionDir, (path) => guardian.#hint(path), (error) => guardian.#faults.watchFailed(error));
      await guardian.#watcher.ready;
      const started = baseline({ store, reactions: guardian.#reactions, hint: (path) => guardian.#hint(path), whenIdle: () => guardian.whenIdle(), stopped: () => guardian.#stopped });
      // A stop asked for during the baseline (which may wait on a writer for up to --stuck-ms)
      // stops now: the baseline sees the guardian stopped at its next step and does nothing more.
      if ((await Promise.race([started.then(() => 'done' as const), whenAborted(options.signal)])) === 'aborted') {
        started.catch(() => undefined);
        await guardian.stop('stopped while starting');
        return guardian;
      }
      guardian.#recheck.start();
    } catch (error) {
      await guardian.#watcher?.close();
      await guardian.#lock.release();
      throw error;
    }
    return guardian;
  }

  // Stop watching, let running checks finish, journal the stop, release the lock.
  async stop(reason: string): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#recheck.stop();
    await this.#watcher?.close();
    await Promise.allSettled([this.#paths.drain(), this.#reactions.idle()]);
    await this.store.append({ kind: 'guard-stopped', pid: process.pid, reason }).catch(() => undefined);
    await this.#lock?.release();
  }

  /** Resolves when no check or reaction is running or pending (tests, baseline). */
  whenIdle(): Promise<void> {
    return this.#paths.whenIdle();
  }

  #hint(path: string): void {
    if (this.#stopped || this.#faults.failed) return;
    // Only artifacts and the sentinel: a log the agent keeps appending to must not keep the
    // guardian busy (the baseline waits until nothing is pending).
    if (path !== SENTINEL && this.store.specOf(path) === undefined) return this.#faults.linkCheck(path);
    if (!this.#waits.hinted(path)) return; // its writer is still at work: the re-probe timer looks
    this.#later(path, TRAILING_CHECK_MS);
    this.#queueCheck(path);
  }

  // (Re-)arm the next check of `path`, `delayMs` from now (a trailing check, or a re-check of a
  // version that is not final yet).
  #later(path: string, delayMs: number): void {
    this.#paths.later(path, delayMs, () => this.#queueCheck(path));
  }

  #queueCheck(path: string): void {
    if (this.#stopped || this.#faults.failed || this.#queued.has(path)) return;
    this.#queued.add(path);
    this.#paths.run(path, () => {
      this.#queued.delete(path);
      return this.#check(path);
    }).catch((error: unknown) => this.#faults.fault(error, path));
  }

  #fail(error: Error): void {
    if (this.#stopped) return;
    this.#options.onFatal(this.missionDir, error);
  }

  #abs(path: string): string {
    return join(this.missionDir, path);
  }

  async #check(path: string): Promise<void> {
    if (this.#stopped) return;
    if (path === SENTINEL) return syncSentinel(this.store, true);
    const spec = this.store.specOf(path);
    if (spec === undefined) return;
    const before = this.#waits.beforeRead(path);
    if (before.kind === 'later') return this.#later(path, before.ms);
    const { read } = before;
    const look = await this.#appends.look(path, spec, this.#abs(path)); // a log's appends alone when they extend last good
    this.#reactions.cleared(path); // it could be read: a fault of it from now on is a new one
    if (look.kind === 'appended') return void (this.#seen.set(path, look.identity), this.#forget(path), this.#reactions.accepted(path, look.digest, undefined, false));
    const { version, digest } = look;
    const bytes = version?.bytes ?? null;
    const seen = this.#seen.get(path);
    const replaced = version !== null && seen != null && seen.ino !== version.ino;
    this.#seen.set(path, version === null ? null : { ino: version.ino, size: version.size, mtimeMs: version.mtimeMs });
    if (this.#reactions.isKnown(path, digest)) return this.#forget(path);
    await this.store.journal.sync(); // a `guard write` or `guard ack` from another process?
    if (this.#reactions.isKnown(path, digest)) return this.#forget(path);

    if (spec.role === 'tracked') return this.store.recordTracked(path, spec, bytes, await this.store.lastGood(path, spec));
    const seq = this.store.state.seq;
    let judged = this.#waits.judgedAs(path, digest, seq);
    if (judged === undefined) {
      const { verdict, previous, basis } = await this.store.judge(path, spec, bytes);
      if (verdict.kind === 'accepted') {
        this.#forget(path);
        const entry = await this.store.recordAccepted(path, spec, bytes, verdict, previous, 'watcher', { basis });
        if (entry === null) return this.#queueCheck(path); // another process changed what the verdict rests on
        this.#reactions.accepted(path, digest, verdict.doc, replaced);
        return;
      }
      if (await this.#notIncidents.explain(path, spec, bytes, digest)) return this.#queueCheck(path);
      judged = this.#waits.remember(path, spec, bytes, digest, seq, verdict.issues, read);
    }
    const pending = this.#pendingIncident(path, digest);
    let stuck: Stuck | undefined;
    if (pending === undefined) {
      const finality = await this.#waits.decide(path, judged, version, bytes === null || bytes.length === 0, read);
      if (finality.kind === 'later') return this.#later(path, finality.ms);
      if (finality.kind === 'again') return this.#queueCheck(path);
      stuck = finality.stuck;
    }
    this.#forget(path);
    this.#reactions.reject({ path, spec, bytes, digest, issues: judged.issues, pending, stuck });
  }

  #forget(path: string): void {
    this.#waits.forget(path);
  }

  #pendingIncident(path: string, digest: Digest | null): Incident | undefined {
    return [...this.store.state.incidents.values()].find((incident) => incident.path === path && incident.digest === digest && incident.outcome === 'pending');
  }
}
