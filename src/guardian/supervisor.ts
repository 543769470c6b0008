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
}

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
  readonly #refused = new Set<string>();
  readonly #roots: FSWatcher[] = [];
  readonly #readopts = new Set<NodeJS.Timeout>();
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
    const guardian = await Guardian.start({ ...this.#options, missionDir: dir, profile: this.#options.profileFor(dir) });
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
      const adoptInTurn = async () => {
        while (next < names.length) await this.#adopt(join(dir, names[next++] as string));
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

  #adopt(dir: string): Promise<Guardian | undefined> {
    const started = this.#starting.get(dir);
    if (started !== undefined) return started;
    if (this.#stopped || this.guardians.has(dir) || this.#refused.has(dir)) return Promise.resolve(this.guardians.get(dir));
    if (!looksLikeMission(dir)) return Promise.resolve(undefined);
    const start = this.add(dir)
      .catch((error: unknown) => {
        if (!isGuardError(error) || error.code !== 'MISSION_NOT_FOUND') this.#refused.add(dir);
        this.#options.onAdoptError(dir, error as Error);
        return undefined;
      })
      .finally(() => this.#starting.delete(dir));
    this.#starting.set(dir, start);
    return start;
  }

  async stop(reason: string): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#readopts) clearTimeout(timer);
    this.#readopts.clear();
    await Promise.all(this.#roots.map((watcher) => watcher.close()));
    await this.settled();
    await Promise.all([...this.guardians.values()].map((guardian) => guardian.stop(reason)));
  }
}
