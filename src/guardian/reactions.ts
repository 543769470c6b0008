/**
 * What the guardian does about a final rejected version (DESIGN.md §7-8): quarantine, journal,
 * freeze, restore, pause the orchestrator's scheduler (its adapter's pause plan); and the guard's
 * own writes that pausing needs.
 *
 * Theory of operation:
 * - Reactions run one at a time per mission: freezing is a mission-wide decision.
 * - Each decision is journaled before it is acted on, so a crash anywhere is finished from the
 *   journal on the next start (startup.ts). The sentinel goes up before the restore: whoever
 *   sees the file change back already sees the mission frozen.
 * - Every write to a mission file runs in that path's queue (no check of the path runs in
 *   between) and acts on what is on disk at that moment: a restore (restore.ts) compares the
 *   bytes and waits until nobody holds the file open for writing; pausing droid is in pause.ts;
 *   the sentinel is sentinel.ts. What the guard did not judge bad it never removes.
 * - An append-only log keeps its valid new lines: only the bad ones are cut (src/core/salvage.ts).
 */
import { join } from 'node:path';
import { sentinelText, type Frozen } from '../core/freeze.js';
import type { ArtifactSpec } from '../core/judge.js';
import { isLastGood, openIncidents, type Incident } from '../core/replay.js';
import { digestOf, type Digest, type Issue } from '../core/types.js';
import { SENTINEL } from '../store/paths.js';
import type { CompletionLimits } from '../watch/completion.js';
import { readBytesOrNull, readCapOf } from '../store/file-bytes.js';
import { compareAndSwap } from '../mission/file-io.js';
import { orchestratorOf } from '../profiles/profile.js';
import type { MissionStore } from '../mission/mission-store.js';
import { isEscape } from '../store/contained.js';
import { missionFault } from './faults.js';
import { pauseScheduler } from './pause.js';
import { Restorer, StopInterrupt } from './restore.js';
import { syncSentinel, writeSentinelNoFollow } from './sentinel.js';

/** A writer that kept a rejected version open past the bound. */
export type Stuck = { pid: number; heldMs: number };

/** A final rejected version, ready to be acted on. */
export interface Rejection {
  path: string;
  spec: ArtifactSpec;
  bytes: Buffer | null;
  digest: Digest | null;
  issues: Issue[];
  /** The incident a crash left unfinished, when this is its version. */
  pending: Incident | undefined;
  stuck: Stuck | undefined;
}

/** What the reactions need of their guardian. */
export interface ReactionHost {
  store: MissionStore;
  limits: CompletionLimits;
  now: () => Date;
  /** Run a task in the queue of a path (after its running check). */
  inQueue: <T>(path: string, task: () => Promise<T>) => Promise<T>;
  /** Check a path now; only from inside its queue. */
  check: (path: string) => Promise<void>;
  hint: (path: string) => void;
  /** A reaction finished: the guardian may be idle. */
  idle: () => void;
  /** Flag artifact replacements that no hook approved (`unhooked-write`). */
  hooks: boolean;
  /** A reaction failed: the guardian decides whether it is the mission's fault or its own. */
  fault: (error: unknown, path: string | undefined) => void;
  /** The guardian is stopping (SIGTERM): a reaction waiting on a writer gives up at once. */
  stopping: () => boolean;
}

export class Reactions {
  readonly #host: ReactionHost;
  readonly #store: MissionStore;
  #chain: Promise<unknown> = Promise.resolve();
  #pending = 0;
  /** Versions a reaction is about to act on: not judged again meanwhile. */
  readonly #acting = new Map<string, Digest | null>();
  /** Bad versions already handled and still on disk (no last good to restore): judged once. */
  readonly #rejectedOnDisk = new Map<string, Digest | null>();
  /** Mission faults already journaled, by path: one incident per fault, not one per event. */
  readonly #faults = new Map<string, string>();

  readonly #restorer: Restorer;

  constructor(host: ReactionHost) {
    this.#host = host;
    this.#store = host.store;
    this.#restorer = new Restorer(host);
  }

  get pending(): number {
    return this.#pending;
  }

  /** Resolves when every queued reaction has run. */
  idle(): Promise<unknown> {
    return this.#chain;
  }

  // The version on disk needs no judging: last good, a bad version being acted on, or one
  // already handled.
  isKnown(path: string, digest: Digest | null): boolean {
    const state = this.#store.state;
    if (isLastGood(state, path, digest)) {
      this.#rejectedOnDisk.delete(path);
      return true;
    }
    if (this.#acting.has(path) && this.#acting.get(path) === digest) return true;
    if (this.#rejectedOnDisk.has(path)) return this.#rejectedOnDisk.get(path) === digest;
    // A bad first version stays on disk while frozen; after a restart it is not judged again,
    // unless a crash left its incident pending (then the reaction is finished).
    const decided = !state.artifacts.has(path) && [...state.incidents.values()].some((incident) => incident.open && incident.path === path && incident.digest === digest && incident.outcome !== 'pending');
    if (decided) this.#rejectedOnDisk.set(path, digest);
    return decided;
  }

  // Queue the reaction to a final rejected version.
  reject(rejection: Rejection): void {
    this.#acting.set(rejection.path, rejection.digest);
    this.run(() => this.#reject(rejection))
      .catch((error: unknown) => this.#host.fault(error, rejection.path))
      .finally(() => {
        if (this.#acting.get(rejection.path) === rejection.digest) this.#acting.delete(rejection.path);
      });
  }

  /**
   * An error confined to one mission file (unreadable, a directory or a FIFO where an artifact
   * should be, a restore the file system refused): an incident of this mission, frozen with the
   * reason, journaled once per fault. The guardian goes on protecting everything else.
   */
  fault(path: string, code: string, detail: string): void {
    if (this.#faults.get(path) === code) return;
    this.#faults.set(path, code);
    this.run(async () => {
      const entry = await this.#store.append({ kind: 'mission-fault', path, code, detail });
      await this.freeze(entry.seq, path, `${path}: ${detail}`);
      if (this.pausesScheduler) await this.pauseScheduler(entry.seq);
    }).catch((error: unknown) => this.#host.fault(error, undefined));
  }

  /** A path that was faulty reads fine again: a new fault of it is a new incident. */
  cleared(path: string): void {
    this.#faults.delete(path);
  }

  // After an accepted version: flag a replacement no hook approved, re-pause droid if unpaused.
  accepted(path: string, digest: Digest | null, doc: unknown, replaced: boolean): void {
    this.#rejectedOnDisk.delete(path);
    void this.run(async () => {
      const state = this.#store.state;
      if (replaced && this.#host.hooks && digest !== null && !(state.hookApproved.get(path) ?? []).includes(digest)) {
        await this.#store.append({ kind: 'unhooked-write', path, digest });
      }
      const freeze = state.freeze;
      if (freeze.kind === 'frozen' && orchestratorOf(this.#store.profile).isUnpaused(path, doc)) {
        await this.pauseScheduler(freeze.incident);
      }
    }).catch((error: unknown) => this.#host.fault(error, path));
  }

  // Run a reaction after every one before it. Its failure is the guardian's fatal error.
  run(task: () => Promise<void>): Promise<void> {
    this.#pending++;
    const run = this.#chain.then(task);
    this.#chain = run.catch(() => undefined);
    const done = run.finally(() => {
      this.#pending--;
      this.#host.idle();
    });
    done.catch(() => undefined);
    return done;
  }

  async #reject(rejection: Rejection): Promise<void> {
    try {
      await this.#rejectJournaled(rejection);
    } catch (error) {
      if (error instanceof StopInterrupt) throw error; // finished from the journal on the next start, like a crash
      // The guard's own state failed midway (journal or guard home unwritable, disk full): the bad
      // version still goes, unjournaled, over exactly its bytes, under the sentinel. The error then
      // stops this guardian (failClosed); the next start finds last good on disk.
      if (missionFault(error, this.#store.paths.missionDir) === undefined && !isEscape(error)) await this.#restoreUnjournaled(rejection).catch(() => undefined);
      throw error;
    }
  }

  async #restoreUnjournaled({ path, spec, digest, issues }: Rejection): Promise<void> {
    const store = this.#store;
    const good = store.state.artifacts.get(path) === undefined ? undefined : await store.lastGood(path, spec);
    if (good === undefined && spec.role !== 'finalization') return;
    if (spec.role === 'scheduling' || spec.role === 'evidence') {
      const frozen = store.state.freeze.kind === 'frozen' ? (store.state.freeze as Frozen) : { kind: 'frozen' as const, since: this.#host.now().toISOString(), incident: 0, path, reason: summarize(path, issues) };
      if (!writeSentinelNoFollow(store.paths.missionDir, SENTINEL, Buffer.from(sentinelText(frozen, store.paths.missionDir)))) return; // never restore unfrozen
    }
    await this.#host.inQueue(path, () => this.#restorer.untilFree(path, (free) => compareAndSwap(this.#abs(path), digest, good?.bytes ?? null, { free, cap: readCapOf(spec) })));
  }

  async #rejectJournaled({ path, spec, bytes, digest, issues, pending, stuck }: Rejection): Promise<void> {
    const store = this.#store;
    const previous = await store.lastGood(path, spec);
    // The restore's new file is written and synced while the rejected bytes are stored and
    // journaled (their syncs overlap); only the rename waits for them. A log keeps its good new
    // lines instead (salvage), so its restore is not known yet.
    const early = this.#restorer.stage(path, spec, previous);
    try {
      const reasons = stuck === undefined ? issues : [stuckIssue(stuck), ...issues];
      const incident = pending?.id ?? (await store.recordRejected(path, spec, bytes, reasons, previous, 'watcher'));
      const freezes = spec.role === 'scheduling' || spec.role === 'evidence';
      if (freezes) await this.freeze(incident, path, summarize(path, reasons));
      const outcome = await this.#host.inQueue(path, () => this.#restorer.restore(path, spec, incident, digest, bytes, early));
      if (outcome === 'left') this.#rejectedOnDisk.set(path, digest);
      if (outcome === 'restored') this.#rejectedOnDisk.delete(path);
      if (freezes && this.pausesScheduler) await this.pauseScheduler(incident);
    } finally {
      early?.abandon();
    }
  }

  async freeze(incident: number, path: string, reason: string): Promise<void> {
    if (this.#store.state.freeze.kind === 'open') await this.#store.append({ kind: 'frozen', incident, path, reason });
    await syncSentinel(this.#store, false);
  }

  /** Whether the mission's orchestrator is paused by the guard's own writes (droid), not only the sentinel. */
  get pausesScheduler(): boolean {
    return orchestratorOf(this.#store.profile).pause.writes.length > 0;
  }

  // The adapter's pause writes (droid: state.json -> paused and a mission_paused line; pause.ts).
  pauseScheduler(incident: number): Promise<void> {
    return pauseScheduler(this.#host, incident);
  }

  // Finish reactions a crash interrupted (DESIGN.md §7: repaired from the journal on start).
  async recover(): Promise<void> {
    const store = this.#store;
    const state = store.state;
    for (const incident of state.incidents.values()) {
      if (incident.outcome !== 'pending') continue;
      const spec = store.specOf(incident.path);
      const onDisk = readBytesOrNull(this.#abs(incident.path), spec === undefined ? undefined : readCapOf(spec));
      const digest = onDisk === null ? null : digestOf(onDisk);
      const lastGood = state.artifacts.get(incident.path)?.lastGood;
      if (digest === lastGood) {
        await store.append({ kind: 'restored', path: incident.path, incident: incident.id, digest: lastGood ?? null, replaced: incident.digest });
      } else if (digest !== incident.digest && !this.#rejectedOnDisk.has(incident.path)) {
        await store.append({ kind: 'restore-skipped', path: incident.path, incident: incident.id, found: digest, reason: 'a newer version was judged after a restart' });
      }
    }
    if (this.#host.stopping()) return; // stopped during the start: the next start finishes it
    const unfrozen = openIncidents(state).find((incident) => !incident.finalization);
    if (unfrozen !== undefined && state.freeze.kind === 'open') await this.run(() => this.freeze(unfrozen.id, unfrozen.path, summarize(unfrozen.path, unfrozen.issues)));
    const freeze = state.freeze;
    if (freeze.kind === 'frozen' && this.pausesScheduler) await this.run(() => this.pauseScheduler(freeze.incident));
  }

  #abs(path: string): string {
    return join(this.#store.paths.missionDir, path);
  }
}

function stuckIssue(stuck: Stuck): Issue {
  return {
    code: 'stuck-writer',
    pointer: '',
    message: `process ${stuck.pid} kept the file open for writing for ${(stuck.heldMs / 1000).toFixed(1)} s without leaving a valid version; treated as a stuck writer`,
  };
}

// One line that says what was wrong: the first issue, and how many more.
export function summarize(path: string, issues: Issue[]): string {
  const first = issues[0];
  if (first === undefined) return `${path}: rejected`;
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  return `${path}: ${first.message}${more}`;
}
