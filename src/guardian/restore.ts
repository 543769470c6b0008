/**
 * Putting a rejected version back to what the guard knows good, the last step of a reaction
 * (reactions.ts decides when; this is how):
 * - the newest version the guard knows good: for a log the rejected version without its bad
 *   lines (salvage), else a version a hook approved since last good, else last good;
 * - only over exactly the rejected bytes (compare-and-swap), and never under a writer: the swap
 *   probes for one right before its rename and waits (bounded by the stuck limit) until the file
 *   is closed; a stop (SIGTERM) ends the wait at once, leaving the rest to the next start;
 * - the new bytes may be staged ahead (EarlyStage), while the rejected version is stored and
 *   journaled: only the checks and the rename wait for those.
 */
import { join } from 'node:path';
import type { ArtifactSpec } from '../core/judge.js';
import { salvageLog } from '../core/salvage.js';
import { digestOf, type Digest } from '../core/types.js';
import { compareAndSwap, truncateIfExactly, type SwapResult } from '../mission/file-io.js';
import type { GoodVersion, MissionStore } from '../mission/mission-store.js';
import { stageFile, type StagedFile } from '../store/atomic-write.js';
import { readCapOf } from '../store/file-bytes.js';
import type { CompletionLimits } from '../watch/completion.js';
import { probeWriters } from '../watch/open-writers.js';
import { journalOwn, unjournalOwn } from './pause.js';

export interface RestoreHost {
  store: MissionStore;
  limits: CompletionLimits;
  /** The guardian is stopping: a restore waiting on a writer gives up at once. */
  stopping: () => boolean;
  /** A newer version arrived: look at the path again. */
  hint: (path: string) => void;
}

/**
 * What a restore did: `restored` last good, `kept` a newer good version (salvaged lines or a
 * hook-approved version), `left` the file as found (no good version exists), `skipped` (a newer
 * version arrived first; it is judged instead).
 */
export type RestoreOutcome = 'restored' | 'kept' | 'left' | 'skipped';

export class Restorer {
  readonly #host: RestoreHost;

  constructor(host: RestoreHost) {
    this.#host = host;
  }

  // The restore's new bytes written and synced ahead, when they are known now (not for a log,
  // whose restore keeps its good new lines).
  stage(path: string, spec: ArtifactSpec, previous: GoodVersion | undefined): EarlyStage | undefined {
    return previous === undefined || appendOnly(spec) ? undefined : new EarlyStage(this.#abs(path), previous.bytes);
  }

  async restore(path: string, spec: ArtifactSpec, incident: number, rejected: Digest | null, bytes: Buffer | null, early: EarlyStage | undefined): Promise<RestoreOutcome> {
    const store = this.#host.store;
    if (store.state.artifacts.get(path) === undefined && spec.role !== 'finalization') {
      await store.append({ kind: 'restore-skipped', path, incident, found: rejected, reason: 'there is no good version to restore; the file stays as found while the mission is frozen' });
      return 'left';
    }
    const good = await store.lastGood(path, spec);
    const cap = readCapOf(spec); // the rejected version was read with it (guardian.ts)
    const salvage = salvageLog(spec, good, bytes);
    const kept = salvage !== undefined && good !== undefined && salvage.kept.length > good.bytes.length ? Buffer.from(salvage.kept) : await this.#approvedSince(path, spec, rejected);
    if (kept !== undefined && (await journalOwn(store, path, spec, kept, 'restore'))) {
      const result = await this.untilFree(path, (free) => compareAndSwap(this.#abs(path), rejected, kept, { free, cap, ...early?.take(kept) }));
      if (result.swapped) {
        await store.append({ kind: 'restored', path, incident, digest: digestOf(kept), replaced: rejected });
        return 'kept';
      }
      await unjournalOwn(store, path, spec, good);
      return this.#skipped(path, incident, result);
    }
    const target = good?.bytes ?? null;
    const truncates = target !== null && bytes !== null && rejected !== null && salvage !== undefined;
    const result = await this.untilFree(path, (free) =>
      truncates ? Promise.resolve(truncateIfExactly(this.#abs(path), rejected, target.length, free, cap)) : compareAndSwap(this.#abs(path), rejected, target, { free, cap, ...early?.take(target) }),
    );
    if (!result.swapped) return this.#skipped(path, incident, result);
    await store.append({ kind: 'restored', path, incident, digest: good?.digest ?? null, replaced: rejected });
    return 'restored';
  }

  // Try `swap` until nobody holds the file open for writing (bounded by the stuck limit: a
  // writer that never closes does not keep a bad version on disk for ever).
  async untilFree(path: string, swap: (free: () => boolean) => Promise<SwapResult>): Promise<SwapResult> {
    const began = performance.now();
    const free = () => performance.now() - began >= this.#host.limits.stuckMs || probeWriters(this.#abs(path)).kind !== 'held';
    for (let waited = 1; ; waited = Math.min(waited * 2, 50)) {
      if (this.#host.stopping()) throw new StopInterrupt(path);
      const result = await swap(free);
      if (result.swapped || result.busy !== true) return result;
      await new Promise((resolve) => setTimeout(resolve, waited));
    }
  }

  /**
   * A version a hook approved after last good, stored at approval (the guard's own-writes issue,
   * item 5): a valid tool write overwritten by a bad one before the guard read it is what comes
   * back, not the older last good. Only while it is still acceptable against last good.
   */
  async #approvedSince(path: string, spec: ArtifactSpec, rejected: Digest | null): Promise<Buffer | undefined> {
    const store = this.#host.store;
    const approved = store.state.lastApproved.get(path);
    const artifact = store.state.artifacts.get(path);
    if (approved === undefined || artifact === undefined || approved.seq < artifact.seq || approved.digest === rejected || approved.digest === artifact.lastGood) return undefined;
    if (!(await store.objects.has(approved.digest))) return undefined;
    const bytes = Buffer.from(await store.objects.get(approved.digest));
    const { verdict } = await store.judge(path, spec, bytes);
    return verdict.kind === 'accepted' ? bytes : undefined;
  }

  async #skipped(path: string, incident: number, result: Extract<SwapResult, { swapped: false }>): Promise<'skipped'> {
    await this.#host.store.append({ kind: 'restore-skipped', path, incident, found: result.found, reason: 'a newer version arrived before the restore; it is judged instead' });
    this.#host.hint(path);
    return 'skipped';
  }

  #abs(path: string): string {
    return join(this.#host.store.paths.missionDir, path);
  }
}

/**
 * A restore's new bytes staged ahead (a synced temp sibling of the artifact), before the
 * rejected version is stored and journaled. Staging changes nothing a reader of the mission sees:
 * the compare-and-swap still checks the bytes on disk and probes for writers right before its
 * rename, after everything before it is durable. Handed to one swap of exactly these bytes, or
 * removed (a temp left by a crash is removed at the next start, store/orphan-temps.ts).
 */
export class EarlyStage {
  readonly #bytes: Buffer;
  #staged: Promise<StagedFile | undefined> | undefined;

  constructor(file: string, bytes: Buffer) {
    this.#bytes = bytes;
    this.#staged = stageFile(file, bytes).catch(() => undefined); // a failure shows when the restore stages it again
  }

  // The staged file for a swap to `bytes` (once), as compareAndSwap's `staged` option.
  take(bytes: Uint8Array | null): { staged: Promise<StagedFile | undefined> } | undefined {
    const staged = this.#staged;
    if (staged === undefined || bytes === null || !this.#bytes.equals(bytes)) return undefined;
    this.#staged = undefined;
    return { staged };
  }

  // Remove it, unless a swap took it.
  abandon(): void {
    const staged = this.#staged;
    this.#staged = undefined;
    void staged?.then((file) => file?.abandon());
  }
}

// An append-only log's restore keeps the valid new lines of the rejected version (salvage.ts).
function appendOnly(spec: ArtifactSpec): boolean {
  return spec.format === 'jsonl' && spec.rules.some((rule) => rule.kind === 'append-only');
}

/**
 * A stop (SIGTERM) while a restore waits for a writer: the reaction ends where it is, as a crash
 * would end it, with each step so far journaled; the next start finishes it (recover()). A stop
 * must not wait out a writer: it takes milliseconds, not `stuckMs`.
 */
export class StopInterrupt extends Error {
  constructor(path: string) {
    super(`stopped while the restore of ${path} waited for its writer; the next start finishes it`);
  }
}
