// droid's pause (DESIGN.md §8, DROID.md): `state.json` -> `paused` and the `mission_paused` line
// droid itself writes when a mission pauses. Pure: the guardian lands them (guardian/pause.ts).
import { isRecord } from '../../core/pointer.js';
import type { PauseWrite } from '../adapter.js';

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

/** state.json first (droid's scheduler reads it), then one log line per pause. */
export const DROID_PAUSE_WRITES: readonly PauseWrite[] = [
  { path: 'state.json', land: 'replace', make: (doc, _good, _reason, now) => pausedStateText(doc, now), done: 'state.json set to paused' },
  {
    path: 'progress_log.jsonl',
    land: 'append',
    // None when the log already ends with ours (a restart while frozen), one when a crash came
    // between the two writes or droid went on writing.
    make: (_doc, good, reason, now) => {
      const text = good.toString('utf8');
      if (endsWithGuardPause(text)) return undefined;
      return `${text}${text.length > 0 && !text.endsWith('\n') ? '\n' : ''}${pausedLogLine(reason, now)}`;
    },
    done: 'mission_paused appended to progress_log.jsonl',
  },
];
