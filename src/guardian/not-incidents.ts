/**
 * Rejected versions that are not incidents, looked at before a rejection is kept:
 * - an append-only log whose new part starts with valid complete lines: those lines are accepted
 *   (their evidence journaled) before the rest is judged, so a bad tail never takes them along;
 * - the version a `guard write` journaled it would replace: that write is landing now (its lock
 *   orders it), or it was killed before its rename and is rolled forward.
 */
import type { ArtifactSpec } from '../core/judge.js';
import { salvageLog } from '../core/salvage.js';
import type { Digest } from '../core/types.js';
import type { MissionStore } from '../mission/mission-store.js';
import { recoverInterruptedWrites } from '../mission/write-recovery.js';

export class NotIncidents {
  readonly #store: MissionStore;
  /** Write intents whose roll-forward this guardian already tried. */
  readonly #recovered = new Set<number>();

  constructor(store: MissionStore) {
    this.#store = store;
  }

  // True when the rejected version was explained and something was journaled: check the path again.
  async explain(path: string, spec: ArtifactSpec, bytes: Buffer | null, digest: Digest | null): Promise<boolean> {
    if (await this.#acceptValidPrefix(path, spec, bytes)) return true;
    const intent = this.#store.intents.get(path);
    if (digest === null || intent?.replaced !== digest || this.#recovered.has(intent.seq)) return false;
    this.#recovered.add(intent.seq); // once: a file written after the intent is judged as usual
    await recoverInterruptedWrites(this.#store);
    return true;
  }

  async #acceptValidPrefix(path: string, spec: ArtifactSpec, bytes: Buffer | null): Promise<boolean> {
    const store = this.#store;
    const previous = await store.lastGood(path, spec);
    const salvage = salvageLog(spec, previous, bytes);
    if (salvage === undefined || previous === undefined || salvage.prefix.length <= previous.bytes.length) return false;
    const prefix = Buffer.from(salvage.prefix);
    const judged = await store.judge(path, spec, prefix);
    if (judged.verdict.kind !== 'accepted') return false;
    await store.recordAccepted(path, spec, prefix, judged.verdict, judged.previous, 'watcher', { basis: judged.basis });
    return true;
  }
}
