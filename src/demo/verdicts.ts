// How the simulated orchestrator waits for the guard instead of sleeping: it reads the mission's
// journal until the guard has judged (and, for a bad write, handled) the exact bytes it wrote.
import { readFileSync } from 'node:fs';
import type { JournalEntry } from '../core/entries.js';
import { digestOf } from '../core/types.js';
import { missionStatePaths } from '../store/paths.js';

const POLL_MS = 10;

/** The guard's decision on one version, with its journal seq (to find what followed it). */
export type Verdict = { kind: 'accepted'; seq: number } | { kind: 'rejected'; seq: number };

/** The journal of one guarded mission, read from the outside as `guard status` would. */
export class VerdictWaiter {
  readonly #guardHome: string;
  readonly #missionDir: string;
  readonly #timeoutMs: number;

  constructor(guardHome: string, missionDir: string, timeoutMs: number) {
    this.#guardHome = guardHome;
    this.#missionDir = missionDir;
    this.#timeoutMs = timeoutMs;
  }

  // Resolves once the guard has baselined the mission (it may adopt the dir after it appears).
  async baseline(): Promise<void> {
    await this.#until((entries) => entries.find((entry) => entry.kind === 'baseline'), 'the guard to baseline the mission');
  }

  // The guard's verdict on exactly these bytes of `path`.
  async verdict(path: string, bytes: Uint8Array): Promise<Verdict> {
    const digest = digestOf(bytes);
    return this.#until((entries) => {
      const entry = entries.find((candidate) => (candidate.kind === 'write-accepted' || candidate.kind === 'write-rejected') && candidate.path === path && candidate.digest === digest);
      if (entry === undefined) return undefined;
      return { kind: entry.kind === 'write-accepted' ? 'accepted' : 'rejected', seq: entry.seq };
    }, `the guard's verdict on ${path} ${digest.slice(0, 12)}`);
  }

  // Resolves once the guard has restored (or decided not to restore) `path` after entry `afterSeq`.
  async handled(path: string, afterSeq: number): Promise<JournalEntry> {
    return this.#until((entries) => entries.find((entry) => entry.seq > afterSeq && (entry.kind === 'restored' || entry.kind === 'restore-skipped') && entry.path === path), `the guard to restore ${path}`);
  }

  async #until<T>(find: (entries: JournalEntry[]) => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      const found = find(this.#entries());
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`gave up after ${this.#timeoutMs} ms waiting for ${what} (is a guard running on ${this.#missionDir}?)`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  #entries(): JournalEntry[] {
    let text: string;
    try {
      text = readFileSync(missionStatePaths(this.#guardHome, this.#missionDir).journal, 'utf8');
    } catch {
      return [];
    }
    return text.split('\n').flatMap((line) => {
      try {
        return line === '' ? [] : [JSON.parse(line) as JournalEntry];
      } catch {
        return [];
      }
    });
  }
}
