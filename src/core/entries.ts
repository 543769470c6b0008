// Journal entry kinds (DESIGN.md §5): a discriminated union on `kind`, persisted with `v: 1`.
// Kinds are only ever added, never renamed or renumbered.
import type { Digest, Issue, Role, Transition } from './types.js';

/** Who caused a write the guard judged or made. */
export type WriteSource = 'watcher' | 'baseline' | 'guard-write' | 'restore' | 'freeze' | 'repair';

/** A fact read from an evidence artifact that outlives the artifact (issue: durable truth). */
export type EvidenceFact =
  | { fact: 'worker-completed'; feature: string; session: string; outcome: 'success' | 'partial' | 'failure'; source: string; leftUndone?: true }
  | { fact: 'assertion'; assertion: string; status: string; milestone?: string };

export type EntryBody =
  | { kind: 'guard-started'; pid: number; host: string; profile: string; mode: string }
  | { kind: 'guard-stopped'; pid: number; reason: string }
  | { kind: 'baseline'; artifacts: number; frozen: boolean }
  | { kind: 'write-accepted'; path: string; digest: Digest | null; size: number; role: Role; by: WriteSource; transitions: Transition[]; reopened?: Array<{ feature: string; reason: string; permit: number }>; replaced?: Digest | null }
  | { kind: 'write-rejected'; path: string; digest: Digest | null; size: number; role: Role; by: WriteSource; issues: Issue[] }
  | { kind: 'restored'; path: string; incident: number; digest: Digest | null; replaced: Digest | null }
  | { kind: 'restore-skipped'; path: string; incident: number; found: Digest | null; reason: string }
  | { kind: 'frozen'; incident: number; path: string; reason: string }
  | { kind: 'scheduler-paused'; incident: number; how: string }
  | { kind: 'acknowledged'; note: string; who: string; incidents: number[] }
  | { kind: 'reopen-permitted'; feature: string; reason: string; who: string }
  | { kind: 'repaired'; action: string; path?: string; digest?: Digest | null; replaced?: Digest | null; who: string; reason: string }
  | { kind: 'tamper'; path: string; detail: string; digest: Digest | null }
  | { kind: 'hook-allowed'; tool: string; path: string; session?: string; digest?: Digest; note?: string }
  | { kind: 'hook-denied'; tool: string; path: string; session?: string; reason: string; issues: Issue[] }
  | { kind: 'unhooked-write'; path: string; digest: Digest | null }
  | { kind: 'evidence'; path: string; facts: EvidenceFact[] }
  | { kind: 'child-started'; pid: number; command: string[] }
  | { kind: 'child-exited'; code: number | null; signal: string | null }
  | { kind: 'lock-compromised'; detail: string; recovered: boolean }
  | { kind: 'journal-repaired'; reason: string; cutBytes: number; object: Digest | null; keptSeq: number; /** Set when the cut or lost part may have held a freeze: the mission stays frozen. */ freeze?: string }
  | { kind: 'cross-check-failed'; disagreements: Array<{ path: string; feature?: string; message: string }> }
  | { kind: 'mission-fault'; path: string; code: string; detail: string }
  | { kind: 'incident-hook-failed'; incident: number; command: string; reason: string }
  /** An accepted version that deviates from the shape droid writes in a way its readers tolerate. */
  | { kind: 'shape-warning'; path: string; digest: Digest | null; issues: Issue[] }
  /** `--on-incident` was started for this incident (journaled first: at most one run per incident, across restarts). */
  | { kind: 'incident-reported'; incident: number; command: string };

export type EntryKind = EntryBody['kind'];

/** The fields every persisted entry carries. */
export interface EntryEnvelope {
  v: 1;
  seq: number;
  at: string;
  prev: string;
}

export type JournalEntry = EntryEnvelope & EntryBody;

export const GENESIS_PREV = '0'.repeat(64);

// Every kind, for validation of `guard log --kind` and exhaustiveness of renderers.
export const ENTRY_KINDS = [
  'guard-started',
  'guard-stopped',
  'baseline',
  'write-accepted',
  'write-rejected',
  'restored',
  'restore-skipped',
  'frozen',
  'scheduler-paused',
  'acknowledged',
  'reopen-permitted',
  'repaired',
  'tamper',
  'hook-allowed',
  'hook-denied',
  'unhooked-write',
  'evidence',
  'child-started',
  'child-exited',
  'lock-compromised',
  'journal-repaired',
  'cross-check-failed',
  'mission-fault',
  'incident-hook-failed',
  'shape-warning',
  'incident-reported',
] as const satisfies readonly EntryKind[];

// Compile-time: every kind of `EntryBody` is listed above (a missing one makes this `never`).
type Unlisted = Exclude<EntryKind, (typeof ENTRY_KINDS)[number]>;
const EVERY_KIND_LISTED: [Unlisted] extends [never] ? true : Unlisted = true;
void EVERY_KIND_LISTED;
