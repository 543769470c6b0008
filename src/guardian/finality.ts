/**
 * Waiting for a rejected version to be final, per path of one mission: the facts the decision
 * of src/watch/completion.ts needs (the watcher events seen, the quiet time, who holds the file,
 * how long this version has been seen), the judgement kept while it waits (never judged twice),
 * and the last look before acting: only a read that is still what is on disk is acted on.
 */
import { join } from 'node:path';
import type { ArtifactSpec } from '../core/judge.js';
import type { Digest, Issue } from '../core/types.js';
import { readFileIdentity, sameVersion, type FileIdentity } from '../store/file-bytes.js';
import { decideCompletion, isComplete, type CompletionLimits } from '../watch/completion.js';
import { probeWriters } from '../watch/open-writers.js';
import type { Stuck } from './reactions.js';

/** A rejected version's judgement, kept while it waits to be final. */
export interface Judged {
  digest: Digest | null;
  seq: number;
  issues: Issue[];
  complete: boolean;
  /** performance.now() when this version was first seen rejected. */
  since: number;
  /** When a probe first found nobody holding it, and the path's event count then (completion.ts). */
  clear?: { at: number; events: number };
}

/** One read of a path: when, and how many watcher events had been seen by then. */
export interface Read {
  at: number;
  events: number;
  heldSince: number | undefined;
}

export type Finality = { kind: 'final'; stuck: Stuck | undefined } | { kind: 'later'; ms: number } | { kind: 'again' };

/** A writer that keeps a file open is re-probed quickly at first, then every 50 ms at most. */
const MAX_HELD_RECHECK_MS = 50;

export class VersionWaits {
  readonly #missionDir: string;
  readonly #limits: CompletionLimits;
  readonly #lastHint = new Map<string, number>();
  /** Watcher events seen per path: an event after a read means the read may be stale. */
  readonly #events = new Map<string, number>();
  /**
   * Paths a writer holds open with a rejected version on disk, and since when: they are re-probed
   * on a timer, not re-read at every event (a slow writer's backlog costs one probe per look).
   */
  readonly #held = new Map<string, number>();
  readonly #judged = new Map<string, Judged>();

  constructor(missionDir: string, limits: CompletionLimits) {
    this.#missionDir = missionDir;
    this.#limits = limits;
  }

  // A watcher event for `path`; false when its writer is still at work (the re-probe timer looks).
  hinted(path: string): boolean {
    this.#lastHint.set(path, performance.now());
    this.#events.set(path, (this.#events.get(path) ?? 0) + 1);
    return !this.#held.has(path);
  }

  // Before a read: a path whose writer still holds it is re-probed, not re-read (`later`).
  beforeRead(path: string): { kind: 'read'; read: Read } | { kind: 'later'; ms: number } {
    const heldSince = this.#held.get(path);
    if (heldSince !== undefined) {
      const waited = performance.now() - heldSince;
      if (waited < this.#limits.stuckMs && probeWriters(this.#abs(path)).kind === 'held') return { kind: 'later', ms: Math.min(MAX_HELD_RECHECK_MS, Math.max(1, waited / 8)) };
      this.#held.delete(path);
    }
    // Quiet time counts up to the read, not to the verdict (monotonic: a wall-clock jump must
    // not shorten or stretch it).
    return { kind: 'read', read: { at: performance.now(), events: this.#events.get(path) ?? 0, heldSince } };
  }

  /** The judgement of this version kept from an earlier look, if the journal has not moved since. */
  judgedAs(path: string, digest: Digest | null, seq: number): Judged | undefined {
    const judged = this.#judged.get(path);
    return judged?.digest === digest && judged.seq === seq ? judged : undefined;
  }

  remember(path: string, spec: ArtifactSpec, bytes: Buffer | null, digest: Digest | null, seq: number, issues: Issue[], read: Read): Judged {
    const earlier = this.#judged.get(path);
    const judged = { digest, seq, issues, complete: isComplete(spec, bytes, issues), since: earlier?.digest === digest ? earlier.since : read.at };
    this.#judged.set(path, judged);
    return judged;
  }

  // Is the version read final? `later`: look again then; `again`: the read is stale, read anew.
  async decide(path: string, judged: Judged, version: FileIdentity | null, empty: boolean, read: Read): Promise<Finality> {
    const since = Math.min(judged.since, read.heldSince ?? judged.since);
    const quietMs = read.at - (this.#lastHint.get(path) ?? 0);
    const clear = judged.clear !== undefined && judged.clear.events === read.events ? performance.now() - judged.clear.at : undefined;
    const decision = decideCompletion({ complete: judged.complete, empty, writers: () => probeWriters(this.#abs(path)), quietMs, seenMs: performance.now() - since, ...(clear === undefined ? {} : { clearMs: clear }) }, this.#limits);
    if (decision.kind === 'wait') {
      if (decision.why === 'writer') {
        this.#held.set(path, since);
        delete judged.clear;
      } else if (decision.why === 'confirm' && clear === undefined) judged.clear = { at: read.at, events: read.events };
      return { kind: 'later', ms: decision.recheckMs };
    }
    // Never act on a stale read: let the watcher's queued events in (a poll phase of the event
    // loop), then the read stands only if no event came since and the file is the same one.
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
    if ((this.#events.get(path) ?? 0) !== read.events && decision.stuck === undefined) return { kind: 'again' };
    if (!sameVersion(version, readFileIdentity(this.#abs(path)))) return { kind: 'again' };
    return { kind: 'final', stuck: decision.stuck };
  }

  forget(path: string): void {
    this.#judged.delete(path);
    this.#held.delete(path);
  }

  #abs(path: string): string {
    return join(this.#missionDir, path);
  }
}
