// Freeze projections (DESIGN.md §4, §8): the sentinel's exact bytes, computed from data so the
// guardian, `guard ack` and crash recovery agree byte for byte. (An orchestrator's own pause
// writes are its adapter's: src/orchestrators/.)
import type { FreezeState } from './replay.js';

export type Frozen = Extract<FreezeState, { kind: 'frozen' }>;

// The sentinel for a frozen mission; it exists exactly while the mission is frozen.
export function sentinelText(freeze: Frozen, missionDir: string): string {
  const sentinel = {
    incident: freeze.incident,
    since: freeze.since,
    reason: freeze.reason,
    artifact: freeze.path,
    ack: `guard ack --mission ${shellQuote(missionDir)} --note "..."`,
  };
  return `${JSON.stringify(sentinel, null, 2)}\n`;
}

export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
