// Many guardians under one process: explicit mission dirs, and a missions root whose mission
// dirs are adopted as they appear (droid creates them on the orchestrator's first turn; a project
// under the root gets its `.taskmaster/` when `task-master init` runs).
import { resolve } from 'node:path';
import { isGuardError } from '../errors.js';
import { looksLikeMission, missionDirUnderRoot, type Profile } from '../profiles/profile.js';
import { watchMissionsRoot, type RootWatcher } from '../watch/root-watcher.js';
import { Guardian, type GuardianOptions } from './guardian.js';

export interface SupervisorOptions extends Omit<GuardianOptions, 'missionDir' | 'profile'> {
  profileFor: (missionDir: string) => Profile;
  /** A mission could not be adopted (held by another guard, journal damaged...). */
  onAdoptError: (missionDir: string, error: Error) => void;
  /** Called once per adopted mission, after its baseline. */
  onAdopted?: (guardian: Guardian) => void;
  /** A mission under a root is guarded by another guard: skipped now, tried again every `retryHeldMs`. Called once per skip. */
  onHeld?: (missionDir: string, error: Error) => void;
  /** How often missions held by another guard are tried again (default 5 s). */
  retryHeldMs?: number;
  /** Adoption of the missions already under a root: called after each one (progress on a TTY). */
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_RETRY_HELD_MS = 5000;

/**
 * Missions already under a root start two at a time: starting 200 at once kept every baseline's
 * garbage alive together and left a far bigger heap behind (measured: 170 MB RSS against
 * about 125 MB), and two left about 2 MB less behind than four (78.2-78.8 MB against 80.1-80.9
 * MB for 200 missions, bench footprint), for no slower start on two cores.
 */
const ADOPT_AT_ONCE = 2;

export class Supervisor {
  readonly guardians = new Map<string, Guardian>();
  readonly #options: SupervisorOptions;
  readonly #starting = new Map<string, Promise<Guardian | undefined>>();
  /** One per guardian still starting: a stop aborts their baselines. */
  readonly #aborts = new Set<AbortController>();
  readonly #refused = new Set<string>();
  readonly #roots: RootWatcher[] = [];
  /** Missions under a root that another guard holds: tried again on one slow timer. */
  readonly #held = new Set<string>();
  #heldTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  get frozen(): boolean {
    return [...this.guardians.values()].some((guardian) => guardian.frozen);
  }

  // Guard one mission dir; resolves with its guardian, or throws (LOCK_HELD, JOURNAL_CORRUPT...).
  async add(missionDir: string): Promise<Guardian> {
    const dir = resolve(missionDir);
    const existing = this.guardians.get(dir);
    if (existing !== undefined) return existing;
    const abort = new AbortController();
    this.#aborts.add(abort);
    let guardian: Guardian;
    try {
      guardian = await Guardian.start({ ...this.#options, missionDir: dir, profile: this.#options.profileFor(dir), signal: abort.signal });
    } finally {
      this.#aborts.delete(abort);
    }
    if (this.#stopped) {
      await guardian.stop('supervisor stopped');
      return guardian;
    }
    this.guardians.set(dir, guardian);
    this.#settle(dir);
    this.#options.onAdopted?.(guardian);
    return guardian;
  }

  // Adopt the missions under `root` (a child dir that is one, or the one it holds: a project's
  // `.taskmaster/`): those present now when `existing`, and every one that appears or is touched
  // from now on. Resolves once the root is watched and the present ones are adopted.
  async watchRoot(root: string, existing: boolean): Promise<void> {
    if (this.#stopped) return;
    const dir = resolve(root);
    const report = (path: string, error: Error) => this.#options.onAdoptError(path, error);
    const { watcher, children } = watchMissionsRoot(dir, (child) => void this.#consider(child).catch((error: Error) => report(child, error)), report);
    this.#roots.push(watcher);
    if (!existing) return;
    let next = 0;
    let done = 0;
    const adoptInTurn = async () => {
      while (next < children.length) {
        await this.#consider(children[next++] as string);
        this.#options.onProgress?.(++done, children.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(ADOPT_AT_ONCE, children.length) }, adoptInTurn));
  }

  /** Child dirs of the watched roots still watched for a mission to appear (tests, diagnostics). */
  get candidates(): string[] {
    return this.#roots.flatMap((root) => [...root.candidates]);
  }

  /** Resolves when every adoption in flight has finished (tests and baselines). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#starting.values()]);
  }

  // A root's child dir may have become (or hold) a mission: adopt it.
  async #consider(child: string): Promise<void> {
    const mission = missionDirUnderRoot(child);
    if (mission === undefined) return;
    await this.#adopt(mission);
    // Already guarded (a dir also named on the command line) or refused: the child needs no watch.
    if (this.guardians.has(mission) || this.#refused.has(mission)) this.#settle(mission);
  }

  // The mission is guarded or refused: its root no longer watches the child dir holding it.
  #settle(missionDir: string): void {
    for (const root of this.#roots) root.settle(missionDir);
  }

  // `retry`: the held-missions timer; a held mission's own writes do not retry its lock each time.
  #adopt(dir: string, retry = false): Promise<Guardian | undefined> {
    const started = this.#starting.get(dir);
    if (started !== undefined) return started;
    if (this.#held.has(dir) && !retry) return Promise.resolve(undefined);
    if (this.#stopped || this.guardians.has(dir) || this.#refused.has(dir)) return Promise.resolve(this.guardians.get(dir));
    if (!looksLikeMission(dir)) return Promise.resolve(undefined);
    const start = this.add(dir)
      .then((guardian) => {
        this.#held.delete(dir);
        return guardian;
      })
      .catch((error: unknown) => {
        if (isGuardError(error) && error.code === 'LOCK_HELD') {
          this.#holdOff(dir, error);
          return undefined;
        }
        this.#held.delete(dir);
        if (!isGuardError(error) || error.code !== 'MISSION_NOT_FOUND') {
          this.#refused.add(dir);
          this.#settle(dir);
        }
        this.#options.onAdoptError(dir, error as Error);
        return undefined;
      })
      .finally(() => this.#starting.delete(dir));
    this.#starting.set(dir, start);
    return start;
  }

  // Another guard holds `dir`: report it once, and try again until it is released.
  #holdOff(dir: string, error: Error): void {
    if (this.#stopped) return;
    if (!this.#held.has(dir)) {
      this.#held.add(dir);
      (this.#options.onHeld ?? this.#options.onAdoptError)(dir, error);
    }
    this.#heldTimer ??= setTimeout(() => {
      this.#heldTimer = undefined;
      for (const held of [...this.#held]) {
        // Gone, or no mission any more: forget it; it is adopted like a new one if it comes back.
        if (!looksLikeMission(held)) this.#held.delete(held);
        else void this.#adopt(held, true);
      }
    }, this.#options.retryHeldMs ?? DEFAULT_RETRY_HELD_MS);
  }

  /** Missions skipped because another guard holds them (tried again on a timer). */
  get held(): ReadonlySet<string> {
    return this.#held;
  }

  /** Whether a missions root is watched (new missions may still come). */
  get watchesRoot(): boolean {
    return this.#roots.length > 0;
  }

  // Stop guarding one mission whose guardian failed (its own state is broken); the others go on.
  // It is refused at adoption until the guard restarts, so a root watch does not loop on it.
  async drop(dir: string, reason: string): Promise<void> {
    const guardian = this.guardians.get(dir);
    this.guardians.delete(dir);
    this.#refused.add(dir);
    await guardian?.stop(reason);
  }

  async stop(reason: string): Promise<void> {
    this.#stopped = true;
    if (this.#heldTimer !== undefined) clearTimeout(this.#heldTimer);
    for (const root of this.#roots) root.close();
    for (const abort of this.#aborts) abort.abort();
    await this.settled();
    await Promise.all([...this.guardians.values()].map((guardian) => guardian.stop(reason)));
  }
}
