// Many guardians under one process: explicit mission dirs, and a missions root whose mission
// dirs are adopted as they appear (droid creates them on the orchestrator's first turn).
import { watch, type FSWatcher } from 'chokidar';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { isGuardError } from '../errors.js';
import { looksLikeMission, type Profile } from '../profiles/profile.js';
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
 * chokidar reads a new directory before it watches it: marker files created in between are never
 * reported, and the mission would wait for its next write to be adopted. A new mission dir is
 * looked at again once it is surely watched.
 */
const READOPT_NEW_DIR_AFTER_MS = [100, 1000];

/**
 * Missions already under a root start a few at a time: starting 200 at once kept every baseline's
 * garbage alive together and left a far bigger heap behind (measured: 170 MB RSS against
 * about 125 MB), for no faster start on two cores.
 */
const ADOPT_AT_ONCE = 4;

export class Supervisor {
  readonly guardians = new Map<string, Guardian>();
  readonly #options: SupervisorOptions;
  readonly #starting = new Map<string, Promise<Guardian | undefined>>();
  /** One per guardian still starting: a stop aborts their baselines. */
  readonly #aborts = new Set<AbortController>();
  readonly #refused = new Set<string>();
  readonly #roots: FSWatcher[] = [];
  readonly #readopts = new Set<NodeJS.Timeout>();
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
    this.#options.onAdopted?.(guardian);
    return guardian;
  }

  // Adopt mission dirs under `root`: those present now when `existing`, and every one that appears
  // or changes from now on. Resolves once the root is watched.
  async watchRoot(root: string, existing: boolean): Promise<void> {
    const dir = resolve(root);
    const watcher = watch(dir, { ignoreInitial: true, depth: 1, persistent: true });
    this.#roots.push(watcher);
    watcher.on('all', (event, path) => {
      const name = relative(dir, path).split(sep)[0];
      if (name === undefined || name === '' || name.startsWith('..')) return;
      this.#adopt(join(dir, name));
      if (event === 'addDir' && resolve(path) === join(dir, name)) this.#readoptLater(join(dir, name));
    });
    watcher.on('error', (error) => this.#options.onAdoptError(dir, error as Error));
    await new Promise<void>((done) => watcher.once('ready', () => done()));
    if (existing && existsSync(dir)) {
      const names = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
      let next = 0;
      let done = 0;
      const adoptInTurn = async () => {
        while (next < names.length) {
          await this.#adopt(join(dir, names[next++] as string));
          this.#options.onProgress?.(++done, names.length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(ADOPT_AT_ONCE, names.length) }, adoptInTurn));
    }
  }

  /** Resolves when every adoption in flight has finished (tests and baselines). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#starting.values()]);
  }

  #readoptLater(dir: string): void {
    for (const delay of READOPT_NEW_DIR_AFTER_MS) {
      const timer = setTimeout(() => {
        this.#readopts.delete(timer);
        void this.#adopt(dir);
      }, delay);
      this.#readopts.add(timer);
    }
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
        if (!isGuardError(error) || error.code !== 'MISSION_NOT_FOUND') this.#refused.add(dir);
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
    for (const timer of this.#readopts) clearTimeout(timer);
    this.#readopts.clear();
    await Promise.all(this.#roots.map((watcher) => watcher.close()));
    for (const abort of this.#aborts) abort.abort();
    await this.settled();
    await Promise.all([...this.guardians.values()].map((guardian) => guardian.stop(reason)));
  }
}
