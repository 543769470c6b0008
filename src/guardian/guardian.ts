/**
 * The guardian of one mission dir (DESIGN.md §7): lock, baseline, watch, judge every version,
 * and react to a rejected write.
 *
 * Theory of operation:
 * - Every watcher event is a hint for one path. A hint runs a check at once (checks of one path
 *   never overlap; a hint during a check re-runs it afterwards) and re-arms a trailing check
 *   `settleMs` later. So the last version of any burst is always read after the burst ends.
 * - A check hashes the bytes. The last good digest needs nothing; anything else is judged
 *   against last good. An accepted version is snapshotted and journaled at once. A rejected
 *   version is only acted on once the path has been quiet for `settleMs` (droid truncates, then
 *   writes): until then the trailing check will look again.
 * - A rejection runs, in order: quarantine the bytes, journal `write-rejected`, journal `frozen`
 *   and write the sentinel, compare-and-swap restore of last good (never over a newer write),
 *   journal the outcome, pause droid's scheduler. Each step is journaled before the next, so a
 *   crash anywhere is finished by `recover()` on the next start.
 * - The guard's own writes (restores, pauses, `guard write`) are journaled before they land, so
 *   the check that follows sees the last good digest and does nothing.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { endsWithGuardPause, pausedLogLine, pausedStateText, sentinelText, type Frozen } from '../core/freeze.js';
import type { ArtifactSpec } from '../core/judge.js';
import { openIncidents, type Incident } from '../core/replay.js';
import { digestOf, type Digest, type Issue } from '../core/types.js';
import { GuardError } from '../errors.js';
import type { Profile } from '../profiles/profile.js';
import { acquireGuardianLock, type GuardianLock } from '../store/guardian-lock.js';
import { removeOrphanTemps } from '../store/orphan-temps.js';
import { SENTINEL } from '../store/paths.js';
import { watchMission, type MissionWatcher } from '../watch/mission-watcher.js';
import { appendIfSize, compareAndSwap, listMissionFiles, readOrNull } from './file-io.js';
import { inspectMission } from './inspect.js';
import { MissionStore } from './mission-store.js';
import type { JournalEntry } from '../core/entries.js';

export interface GuardianOptions {
  missionDir: string;
  guardHome: string;
  profile: Profile;
  /** How long an invalid file must stay unchanged before it is rejected. */
  settleMs: number;
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
}

/** Node may fire a timer up to a millisecond early; a check that finds the path not yet quiet re-arms. */
const TRAILING_MARGIN_MS = 1;

/** A version the guard is about to write over a file that holds `good`. */
interface NextVersion {
  spec: ArtifactSpec;
  good: { digest: Digest; bytes: Buffer };
  bytes: Buffer;
}

export class Guardian {
  readonly store: MissionStore;
  readonly #options: GuardianOptions;
  readonly #now: () => Date;
  readonly #lastHint = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #dirty = new Set<string>();
  /** Bad versions already handled and still on disk (no last good to restore): judged once. */
  readonly #rejectedOnDisk = new Map<string, Digest | null>();
  /** The issues of a bad version waiting to settle, judged at journal `seq`: not judged twice. */
  readonly #unsettled = new Map<string, { digest: Digest | null; seq: number; issues: Issue[] }>();
  #reactions: Promise<unknown> = Promise.resolve();
  #idleWaiters: Array<() => void> = [];
  #watcher: MissionWatcher | undefined;
  #lock: GuardianLock | undefined;
  #stopped = false;

  private constructor(store: MissionStore, options: GuardianOptions) {
    this.store = store;
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
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
      guardian.#watcher = watchMission(store.paths.missionDir, (path) => guardian.#hint(path), fail);
      await guardian.#watcher.ready;
      await guardian.#baseline();
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
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await this.#watcher?.close();
    await Promise.allSettled([...this.#running.values(), this.#reactions]);
    await this.store.append({ kind: 'guard-stopped', pid: process.pid, reason }).catch(() => undefined);
    await this.#lock?.release();
  }

  /** Resolves when no check is running and no trailing check is pending (tests, baseline). */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #isIdle(): boolean {
    return this.#running.size === 0 && this.#timers.size === 0;
  }

  #settled(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #hint(path: string): void {
    if (this.#stopped) return;
    // Only artifacts and the sentinel: a log the agent keeps appending to must not keep the
    // guardian busy (the baseline waits until nothing is pending).
    if (path !== SENTINEL && this.store.specOf(path) === undefined) return;
    this.#lastHint.set(path, performance.now());
    this.#trailing(path, this.#options.settleMs);
    this.#run(path);
  }

  // (Re-)arm the trailing check of `path`, `delayMs` from now.
  #trailing(path: string, delayMs: number): void {
    clearTimeout(this.#timers.get(path));
    this.#timers.set(
      path,
      setTimeout(() => {
        this.#timers.delete(path);
        this.#run(path);
        this.#settled();
      }, delayMs + TRAILING_MARGIN_MS),
    );
  }

  #run(path: string): void {
    if (this.#stopped) return;
    if (this.#running.has(path)) {
      this.#dirty.add(path);
      return;
    }
    const run = (async () => {
      do {
        this.#dirty.delete(path);
        await this.#check(path);
      } while (this.#dirty.has(path) && !this.#stopped);
    })()
      .catch((error: unknown) => this.#fail(error as Error))
      .finally(() => {
        this.#running.delete(path);
        this.#settled();
      });
    this.#running.set(path, run);
  }

  #fail(error: Error): void {
    if (this.#stopped) return;
    this.#options.onFatal(this.missionDir, error);
  }

  #abs(path: string): string {
    return join(this.missionDir, path);
  }

  async #check(path: string): Promise<void> {
    if (path === SENTINEL) return this.#checkSentinel(true);
    const spec = this.store.specOf(path);
    if (spec === undefined) return;
    // Quiet time counts up to the read, not to the verdict: a slow journal sync must not make a
    // read taken mid-write (droid truncates, then writes) look settled.
    const readAt = performance.now(); // monotonic: a wall-clock jump must not shorten or stretch the settle window
    const bytes = await readOrNull(this.#abs(path));
    const digest = bytes === null ? null : digestOf(bytes);
    if (this.#isKnown(path, digest)) return;
    await this.store.journal.sync(); // a `guard write` or `guard ack` from another process?
    if (this.#isKnown(path, digest)) return;

    if (spec.role === 'tracked') return this.store.recordTracked(path, spec, bytes, await this.store.lastGood(path, spec));
    const seq = this.store.state.seq;
    let judged = this.#unsettled.get(path);
    if (judged?.digest !== digest || judged.seq !== seq) {
      const { verdict, previous, basis } = await this.store.judge(path, spec, bytes);
      if (verdict.kind === 'accepted') {
        this.#unsettled.delete(path);
        const entry = await this.store.recordAccepted(path, spec, bytes, verdict, previous, 'watcher', { basis });
        if (entry === null) {
          this.#dirty.add(path); // another process changed what the verdict rests on: judge again
          return;
        }
        this.#rejectedOnDisk.delete(path);
        await this.#afterAccepted(path, digest, verdict.doc);
        return;
      }
      judged = { digest, seq, issues: verdict.issues };
    }
    const pending = this.#pendingIncident(path, digest);
    const quietFor = readAt - (this.#lastHint.get(path) ?? 0);
    if (pending === undefined && quietFor < this.#options.settleMs) {
      this.#unsettled.set(path, judged);
      if (!this.#timers.has(path)) this.#trailing(path, this.#options.settleMs - quietFor); // a timer that fired early
      return; // not settled yet: the trailing check looks again
    }
    this.#unsettled.delete(path);
    const { issues } = judged;
    await this.#react(() => this.#reject(path, spec, bytes, digest, issues, pending));
  }

  // The version on disk needs no judging: it is last good, or a bad version already handled.
  #isKnown(path: string, digest: Digest | null): boolean {
    const artifact = this.store.state.artifacts.get(path);
    if (artifact === undefined ? digest === null : artifact.lastGood === digest) {
      this.#rejectedOnDisk.delete(path);
      return true;
    }
    if (this.#rejectedOnDisk.has(path)) return this.#rejectedOnDisk.get(path) === digest;
    // A bad first version stays on disk while frozen; after a restart it is not judged again,
    // unless a crash left its incident pending (then the reaction is finished).
    const decided = artifact === undefined && [...this.store.state.incidents.values()].some((incident) => incident.open && incident.path === path && incident.digest === digest && incident.outcome !== 'pending');
    if (decided) this.#rejectedOnDisk.set(path, digest);
    return decided;
  }

  #pendingIncident(path: string, digest: Digest | null): Incident | undefined {
    return [...this.store.state.incidents.values()].find((incident) => incident.path === path && incident.digest === digest && incident.outcome === 'pending');
  }

  async #afterAccepted(path: string, digest: Digest | null, doc: unknown): Promise<void> {
    const state = this.store.state;
    if (this.#options.hooks && digest !== null && !(state.hookApproved.get(path) ?? []).includes(digest)) {
      await this.store.append({ kind: 'unhooked-write', path, digest });
    }
    const freeze = state.freeze;
    if (freeze.kind === 'frozen' && this.store.profile.freeze === 'droid' && path === 'state.json' && (doc as { state?: unknown } | undefined)?.state !== 'paused') {
      await this.#react(() => this.#pauseScheduler(freeze.incident));
    }
  }

  // Reactions (rejects, pauses) run one at a time: freezing is a mission-wide decision.
  #react(task: () => Promise<void>): Promise<void> {
    const run = this.#reactions.then(task);
    this.#reactions = run.catch(() => undefined);
    return run;
  }

  // Each decision is journaled before it is acted on. The sentinel goes up before the restore:
  // whoever sees the file change back must already see the mission frozen.
  async #reject(path: string, spec: ArtifactSpec, bytes: Buffer | null, digest: Digest | null, issues: Issue[], pending: Incident | undefined): Promise<void> {
    const previous = await this.store.lastGood(path, spec);
    const incident = pending?.id ?? (await this.store.recordRejected(path, spec, bytes, issues, previous, 'watcher'));
    const freezes = spec.role === 'scheduling' || spec.role === 'evidence';
    if (freezes) await this.#freeze(incident, path, summarize(path, issues));
    await this.#restore(path, incident, digest, previous?.bytes ?? null);
    if (freezes && this.store.profile.freeze === 'droid') await this.#pauseScheduler(incident);
  }

  async #freeze(incident: number, path: string, reason: string): Promise<void> {
    if (this.store.state.freeze.kind === 'open') await this.store.append({ kind: 'frozen', incident, path, reason });
    await this.#checkSentinel(false);
  }

  // Compare-and-swap restore of last good over exactly the rejected bytes.
  async #restore(path: string, incident: number, rejected: Digest | null, good: Buffer | null): Promise<void> {
    const artifact = this.store.state.artifacts.get(path);
    const role = this.store.state.incidents.get(incident)?.role;
    if (artifact === undefined && role !== 'finalization') {
      this.#rejectedOnDisk.set(path, rejected);
      await this.store.append({ kind: 'restore-skipped', path, incident, found: rejected, reason: 'there is no good version to restore; the file stays as found while the mission is frozen' });
      return;
    }
    const target = artifact?.lastGood ?? null;
    const result = await compareAndSwap(this.#abs(path), rejected, target === null ? null : good);
    if (result.swapped) {
      this.#rejectedOnDisk.delete(path);
      await this.store.append({ kind: 'restored', path, incident, digest: target, replaced: rejected });
    } else {
      await this.store.append({ kind: 'restore-skipped', path, incident, found: result.found, reason: 'a newer version arrived before the restore; it is judged instead' });
      this.#hint(path);
    }
  }

  // droid: state.json -> paused and a mission_paused line, both judged and journaled first;
  // each only where it is not already so.
  async #pauseScheduler(incident: number): Promise<void> {
    const reason = this.store.state.freeze.kind === 'frozen' ? this.store.state.freeze.reason : 'mission frozen';
    const now = this.#now();
    const done: string[] = [];
    const state = await this.#currentGood('state.json', (doc) => pausedStateText(doc, now));
    if (state !== undefined && state !== 'unchanged' && (await this.#guardWrite('state.json', state, (good, bytes) => compareAndSwap(this.#abs('state.json'), good.digest, bytes).then((result) => result.swapped)))) {
      done.push('state.json set to paused');
    }
    // One line per pause: none when the log already ends with ours (a restart while frozen), one
    // when a crash came between the two writes or droid went on writing.
    const log = await this.#currentGood('progress_log.jsonl', (_doc, good) => {
      const text = good.bytes.toString('utf8');
      if (endsWithGuardPause(text)) return undefined;
      const separator = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
      return `${text}${separator}${pausedLogLine(reason, now)}`;
    });
    if (log !== undefined && log !== 'unchanged' && (await this.#guardWrite('progress_log.jsonl', log, (good, bytes) => appendIfSize(this.#abs('progress_log.jsonl'), good.bytes.length, bytes.subarray(good.bytes.length))))) {
      done.push('mission_paused appended to progress_log.jsonl');
    }
    if (done.length > 0) await this.store.append({ kind: 'scheduler-paused', incident, how: done.join('; ') });
  }

  // Judge and journal one of the guard's own writes, then land it with `land` (a CAS).
  async #guardWrite(path: string, next: NextVersion, land: (good: { digest: Digest; bytes: Buffer }, bytes: Buffer) => Promise<boolean>): Promise<boolean> {
    const { verdict, previous, basis } = await this.store.judge(path, next.spec, next.bytes);
    if (verdict.kind !== 'accepted') return false;
    // A basis that changed meanwhile means a newer version: its check pauses again if needed.
    if ((await this.store.recordAccepted(path, next.spec, next.bytes, verdict, previous, 'freeze', { basis })) === null) return false;
    if (await land(next.good, next.bytes)) return true;
    // droid wrote first, so ours never landed: last good is again the version droid wrote over,
    // and droid's is judged against that, not against ours.
    await this.store.append({ kind: 'write-accepted', path, digest: next.good.digest, size: next.good.bytes.length, role: next.spec.role, by: 'freeze', transitions: [] });
    this.#hint(path);
    return false;
  }

  // The next version of an artifact whose file holds exactly its last good version; undefined
  // when there is no such file, 'unchanged' when `make` has nothing to change.
  async #currentGood(path: string, make: (doc: unknown, good: { digest: Digest; bytes: Buffer }) => string | undefined): Promise<NextVersion | 'unchanged' | undefined> {
    const spec = this.store.specOf(path);
    if (spec === undefined) return undefined;
    const good = await this.store.lastGood(path, spec);
    if (good === undefined) return undefined;
    const onDisk = await readOrNull(this.#abs(path));
    if (onDisk === null || digestOf(onDisk) !== good.digest) return undefined;
    const current = { digest: good.digest, bytes: good.bytes };
    const text = make(good.doc, current);
    return text === undefined ? 'unchanged' : { spec, good: current, bytes: Buffer.from(text) };
  }

  // Make the sentinel match the journal. Live (`tamper`), a mismatch is journaled and put back.
  async #checkSentinel(live: boolean): Promise<void> {
    const file = this.store.paths.sentinel;
    const expected = () => (this.store.state.freeze.kind === 'frozen' ? Buffer.from(sentinelText(this.store.state.freeze as Frozen, this.missionDir)) : null);
    const actual = await readOrNull(file);
    if (sameBytes(actual, expected())) return;
    await this.store.journal.sync();
    const want = expected();
    if (sameBytes(actual, want)) return;
    const found = actual === null ? null : digestOf(actual);
    if (live) {
      if (actual !== null) await this.store.objects.put(actual);
      const detail = want === null ? 'a sentinel appeared while the mission is not frozen; removed' : actual === null ? 'the sentinel was deleted without guard ack; put back' : 'the sentinel was edited without guard ack; put back';
      await this.store.append({ kind: 'tamper', path: SENTINEL, detail, digest: found });
    }
    await compareAndSwap(file, found, want, { durable: false }); // a projection of the journal: rebuilt at every start
  }

  // Judge everything as found, then finish whatever a crash interrupted. Evidence files go after
  // the rest, so evidence never journaled before is weighed by the cross-check, in one order.
  async #baseline(): Promise<void> {
    const paths = new Set([...(await listMissionFiles(this.missionDir)), ...this.store.state.artifacts.keys()]);
    const artifacts = [...paths].filter((path) => this.store.specOf(path) !== undefined);
    for (const evidence of [false, true]) {
      for (const path of artifacts) if ((this.store.specOf(path)?.role === 'evidence') === evidence) this.#hint(path);
      await this.whenIdle();
    }
    await this.#recover();
    await this.#crossCheck();
    await this.#checkSentinel(false);
    await this.store.append({ kind: 'baseline', artifacts: artifacts.length, frozen: this.frozen });
  }

  // `guard verify` at start: never launch into a mission whose summary disagrees with durable
  // truth. A disagreement freezes the mission (nothing is rewritten; `guard repair` fixes it).
  async #crossCheck(): Promise<void> {
    if (this.frozen) return;
    const { profile, state, objects } = this.store;
    const inspection = await inspectMission({ missionDir: this.missionDir, profile, state, objects });
    const errors = inspection.disagreements.filter((item) => item.severity === 'error');
    const first = errors[0];
    if (first === undefined) return;
    const entry = await this.store.append({ kind: 'cross-check-failed', disagreements: errors.map(({ path, feature, message }) => ({ path, message, ...(feature === undefined ? {} : { feature }) })) });
    const more = errors.length > 1 ? ` (+${errors.length - 1} more; guard verify lists them)` : '';
    await this.#react(() => this.#freeze(entry.seq, first.path, `${first.message}${more}`));
    if (profile.freeze === 'droid') await this.#react(() => this.#pauseScheduler(entry.seq));
  }

  // Finish reactions a crash interrupted (DESIGN.md §7: repaired from the journal on start).
  async #recover(): Promise<void> {
    const state = this.store.state;
    for (const incident of state.incidents.values()) {
      if (incident.outcome !== 'pending') continue;
      const onDisk = await readOrNull(this.#abs(incident.path));
      const digest = onDisk === null ? null : digestOf(onDisk);
      const lastGood = state.artifacts.get(incident.path)?.lastGood;
      if (digest === lastGood) {
        await this.store.append({ kind: 'restored', path: incident.path, incident: incident.id, digest: lastGood ?? null, replaced: incident.digest });
      } else if (digest !== incident.digest && !this.#rejectedOnDisk.has(incident.path)) {
        await this.store.append({ kind: 'restore-skipped', path: incident.path, incident: incident.id, found: digest, reason: 'a newer version was judged after a restart' });
      }
    }
    const unfrozen = openIncidents(state).find((incident) => !incident.finalization);
    if (unfrozen !== undefined && state.freeze.kind === 'open') {
      await this.#react(() => this.#freeze(unfrozen.id, unfrozen.path, summarize(unfrozen.path, unfrozen.issues)));
    }
    const freeze = state.freeze;
    if (freeze.kind === 'frozen' && this.store.profile.freeze === 'droid') await this.#react(() => this.#pauseScheduler(freeze.incident));
  }
}

// One line that says what was wrong: the first issue, and how many more.
export function summarize(path: string, issues: Issue[]): string {
  const first = issues[0];
  if (first === undefined) return `${path}: rejected`;
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  return `${path}: ${first.message}${more}`;
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}
