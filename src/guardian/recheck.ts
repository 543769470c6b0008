/**
 * The safety net under the watcher (issue "hostile missions" item 6): the kernel drops events
 * when its queue overflows (a burst of thousands of files), and nothing says so; a directory
 * that could not be watched reports nothing at all. Every `everyMs` the artifacts are listed and
 * stat'ed, and one that changed since it was last read, appeared or vanished is checked; the
 * watches that failed are tried again. Cheap: a directory walk and a stat per artifact, no reads.
 * A watcher error asks for the same look at once (`soon`): events may have been lost.
 */
import { join } from 'node:path';
import type { MissionStore } from '../mission/mission-store.js';
import { listMissionFiles } from '../mission/file-io.js';
import { readFileIdentity, sameVersion, type FileIdentity } from '../store/file-bytes.js';

export interface RecheckHost {
  store: MissionStore;
  /** What `path` was last read as; undefined: never read. */
  seen(path: string): FileIdentity | null | undefined;
  /** A check of `path` runs, waits or is armed: it will look anyway. */
  busy(path: string): boolean;
  check(path: string): void;
  retryWatch(): void;
  fault(error: unknown): void;
  /** False once the guardian stopped or failed. */
  active(): boolean;
}

export class Recheck {
  readonly #host: RecheckHost;
  readonly #everyMs: number;
  #timer: NodeJS.Timeout | undefined;
  /** The baseline is done: before it, the baseline reads everything anyway. */
  #started = false;
  /** A look is queued (watcher errors come in bursts: one look for all of them). */
  #soon = false;

  constructor(host: RecheckHost, everyMs: number) {
    this.#host = host;
    this.#everyMs = everyMs;
  }

  start(): void {
    this.#started = true;
    this.#schedule();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  // Look at every artifact at the next turn of the event loop.
  soon(): void {
    if (!this.#started || this.#soon || !this.#host.active()) return;
    this.#soon = true;
    setImmediate(() => {
      this.#soon = false;
      if (this.#host.active()) this.#all().catch((error: unknown) => this.#host.fault(error));
    });
  }

  #schedule(): void {
    if (this.#everyMs <= 0 || !this.#host.active()) return;
    this.#timer = setTimeout(() => {
      this.#host.retryWatch(); // directories that could not be watched: tried again
      void this.#all()
        .catch((error: unknown) => this.#host.fault(error))
        .finally(() => this.#schedule());
    }, this.#everyMs);
    this.#timer.unref();
  }

  async #all(): Promise<void> {
    const { store } = this.#host;
    const missionDir = store.paths.missionDir;
    const paths = new Set([...(await listMissionFiles(missionDir)), ...store.state.artifacts.keys()]);
    for (const path of paths) {
      if (store.specOf(path) === undefined || this.#host.busy(path)) continue;
      let now;
      try {
        now = readFileIdentity(join(missionDir, path));
      } catch {
        this.#host.check(path); // cannot be looked at (EACCES...): its check says why, as its fault
        continue;
      }
      const seen = this.#host.seen(path);
      if (seen === undefined || !sameVersion(seen, now)) this.#host.check(path);
    }
  }
}
