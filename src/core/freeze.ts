// Freeze projections (DESIGN.md §4, §8): the sentinel's exact bytes and droid's pause writes,
// computed from data so the guardian, `guard ack` and crash recovery agree byte for byte.
import type { FreezeState } from './replay.js';
import { isRecord } from './pointer.js';

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

// state.json with `state: "paused"`, or undefined when it is already paused or not an object.
export function pausedStateText(doc: unknown, now: Date): string | undefined {
  if (!isRecord(doc) || doc.state === 'paused') return undefined;
  return `${JSON.stringify({ ...doc, state: 'paused', updatedAt: now.toISOString() }, null, 2)}\n`;
}

const PAUSE_REASON_PREFIX = 'mission guard: ';

// The progress-log line droid itself writes when a mission pauses.
export function pausedLogLine(reason: string, now: Date): string {
  return `${JSON.stringify({ type: 'mission_paused', timestamp: now.toISOString(), pauseReason: `${PAUSE_REASON_PREFIX}${reason}` })}\n`;
}

// Whether the log's last line is already the guard's `mission_paused` (nothing happened since).
export function endsWithGuardPause(log: string): boolean {
  const text = log.trimEnd();
  const last = text.slice(text.lastIndexOf('\n') + 1); // not a split: a log is megabytes
  try {
    const line: unknown = JSON.parse(last);
    return isRecord(line) && line.type === 'mission_paused' && typeof line.pauseReason === 'string' && line.pauseReason.startsWith(PAUSE_REASON_PREFIX);
  } catch {
    return false;
  }
}

export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
