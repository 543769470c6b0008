// What an incident tells a person or a script: the next commands for a FROZEN or REJECTED line,
// and the one JSON document `--on-incident` receives (schemas/cli/incident.schema.json).
import type { JournalEntry } from '../core/entries.js';
import { shellQuote } from '../core/freeze.js';
import type { MissionState } from '../core/replay.js';
import type { Digest, Issue, Role } from '../core/types.js';

/** The commands that lead out of an incident: look at it, then acknowledge the repair. */
export interface NextCommands {
  inspect: string;
  ack: string | null;
}

// `inspect` diffs the bad write; a freeze without one (the start-up cross-check) is inspected with verify.
export function nextCommands(missionDir: string, path: string | undefined, frozen: boolean): NextCommands {
  const mission = shellQuote(missionDir);
  return {
    inspect: path === undefined ? `guard verify --mission ${mission}` : `guard diff --mission ${mission} ${shellQuote(path)}`,
    ack: frozen ? `guard ack --mission ${mission} --note "..."` : null,
  };
}

// The tail of a FROZEN or REJECTED line: what to run now, or '' for other kinds.
export function nextStepText(missionDir: string, entry: JournalEntry, isRejection: (seq: number) => boolean): string {
  if (entry.kind === 'write-rejected') return `; inspect: ${nextCommands(missionDir, entry.path, false).inspect}`;
  if (entry.kind !== 'frozen') return '';
  const next = nextCommands(missionDir, isRejection(entry.incident) ? entry.path : undefined, true);
  return `; inspect: ${next.inspect} ; then: ${next.ack}`;
}

/** The document `--on-incident` receives on stdin. */
export interface IncidentReport {
  v: 1;
  kind: 'incident';
  mission: string;
  incident: number;
  at: string;
  artifact: string;
  role: Role | null;
  issues: Issue[];
  digests: { rejected: Digest | null; lastGood: Digest | null };
  frozen: boolean;
  reason: string | null;
  next: NextCommands;
}

interface Waiting {
  dir: string;
  incident: number;
  entry: JournalEntry;
}

/**
 * Which incidents to report, once each. An incident is reported when it froze the mission (the
 * `frozen` entry, before its restore) or, for one that did not freeze it, when its restore was
 * journaled. Reports wait for the mission's state (a guardian still in its baseline has none yet).
 */
export class IncidentTracker {
  /** Only a tracker that reports (--on-incident) queues reports; every tracker knows rejections. */
  readonly #reporting: boolean;
  readonly #reported = new Set<string>();
  readonly #waiting: Waiting[] = [];
  readonly #rejected = new Map<string, Set<number>>();

  constructor(reporting: boolean) {
    this.#reporting = reporting;
  }

  /** Seqs of the write-rejected entries seen for `dir` (a freeze by one names a diff). */
  rejectedSeqs(dir: string): ReadonlySet<number> {
    return this.#rejected.get(dir) ?? new Set();
  }

  observe(dir: string, entries: JournalEntry[]): void {
    for (const entry of entries) {
      if (entry.kind === 'write-rejected') {
        const seqs = this.#rejected.get(dir) ?? new Set<number>();
        seqs.add(entry.seq);
        this.#rejected.set(dir, seqs);
      }
      if (!this.#reporting || (entry.kind !== 'frozen' && entry.kind !== 'restored' && entry.kind !== 'restore-skipped')) continue;
      const key = `${dir}\0${entry.incident}`;
      if (this.#reported.has(key)) continue;
      this.#reported.add(key);
      this.#waiting.push({ dir, incident: entry.incident, entry });
    }
  }

  // The reports whose mission state is known now; the others wait for the next call.
  take(stateOf: (dir: string) => MissionState | undefined): IncidentReport[] {
    const ready: IncidentReport[] = [];
    for (let index = 0; index < this.#waiting.length; ) {
      const item = this.#waiting[index] as Waiting;
      const state = stateOf(item.dir);
      if (state === undefined) {
        index += 1;
        continue;
      }
      this.#waiting.splice(index, 1);
      // Reported before (by this guard or one before a restart): at most one run per incident.
      if (!state.reported.has(item.incident)) ready.push(reportOf(item.dir, item.incident, item.entry, state));
    }
    return ready;
  }
}

function reportOf(dir: string, id: number, entry: JournalEntry, state: MissionState): IncidentReport {
  const incident = state.incidents.get(id);
  const path: string = incident?.path ?? ('path' in entry && typeof entry.path === 'string' ? entry.path : '');
  const frozen = state.freeze.kind === 'frozen';
  const reason = state.freeze.kind === 'frozen' ? state.freeze.reason : null;
  return {
    v: 1,
    kind: 'incident',
    mission: dir,
    incident: id,
    at: incident?.at ?? entry.at,
    artifact: path,
    role: incident?.role ?? null,
    issues: incident?.issues ?? [],
    digests: { rejected: incident?.digest ?? null, lastGood: state.artifacts.get(path)?.lastGood ?? null },
    frozen,
    reason,
    next: nextCommands(dir, incident === undefined ? undefined : path, frozen),
  };
}
