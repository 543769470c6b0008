// Replay (DESIGN.md §1 "journal"): fold journal entries into the mission's state. Every piece of
// guard state (last good, freeze, incidents, feature history, evidence) is a projection of this.
import type { EntryBody, EvidenceFact, JournalEntry } from './entries.js';
import type { Evidence } from './evidence-rules.js';
import { assertNever, type Digest, type Issue, type Role } from './types.js';

/** What the journal says about one artifact. */
export interface ArtifactState {
  path: string;
  role: Role;
  /** Digest of the newest accepted version; null when its accepted state is "absent". */
  lastGood: Digest | null;
  seq: number;
  at: string;
}

/** A rejected write and what was done about it. */
export interface Incident {
  id: number;
  at: string;
  path: string;
  role: Role;
  digest: Digest | null;
  issues: Issue[];
  /** What happened to the live file: still to do, restored, skipped (a newer write came). */
  outcome: 'pending' | 'restored' | 'skipped';
  /** Finalization incidents are repaired in place and never freeze or touch feature state. */
  finalization: boolean;
  open: boolean;
}

export type FreezeState = { kind: 'open' } | { kind: 'frozen'; since: string; incident: number; path: string; reason: string };

/** One accepted status change of a feature. */
export interface StatusChange {
  seq: number;
  at: string;
  from: string | null;
  to: string | null;
  reason?: string;
}

/** Everything the journal knows about one feature. */
export interface FeatureHistory {
  id: string;
  status: string | null;
  changes: StatusChange[];
  /** Worker sessions that reported a result for it, in order. */
  outcomes: Array<{ session: string; outcome: string; source: string; seq: number }>;
}

export interface MissionState {
  seq: number;
  artifacts: Map<string, ArtifactState>;
  freeze: FreezeState;
  incidents: Map<number, Incident>;
  /** Feature id -> unused reopen permit. */
  permits: Map<string, { reason: string; seq: number; who: string }>;
  features: Map<string, FeatureHistory>;
  succeeded: Map<string, string>;
  /** Feature id -> the success handoff that left work undone (droid's sanctioned reopen). */
  reopenable: Map<string, { session: string; source: string }>;
  assertions: Map<string, { status: string; milestone?: string }>;
  /** Digests a hook approved per path, newest last (for unhooked-write detection). */
  hookApproved: Map<string, Digest[]>;
  /** The newest version a hook approved per path, and when: newer than last good, it is what a restore puts back. */
  lastApproved: Map<string, { digest: Digest; seq: number }>;
  /** Incidents `--on-incident` was started for (incident -> command). */
  reported: Map<number, string>;
  /** Counts per entry kind, for status. */
  counts: Map<string, number>;
}

/** The `path` of a freeze that a journal repair carried across: the journal, not an artifact. */
export const JOURNAL_PATH = '(journal)';

export function emptyState(): MissionState {
  return {
    seq: 0,
    artifacts: new Map(),
    freeze: { kind: 'open' },
    incidents: new Map(),
    permits: new Map(),
    features: new Map(),
    succeeded: new Map(),
    reopenable: new Map(),
    assertions: new Map(),
    hookApproved: new Map(),
    lastApproved: new Map(),
    reported: new Map(),
    counts: new Map(),
  };
}

// Fold a whole journal.
export function replay(entries: Iterable<JournalEntry>): MissionState {
  return applyEntries(emptyState(), entries);
}

// Fold more entries into an existing state (mutates and returns it: replay of a million entries
// must not copy maps a million times).
export function applyEntries(state: MissionState, entries: Iterable<JournalEntry>): MissionState {
  for (const entry of entries) applyEntry(state, entry);
  return state;
}

const HOOK_MEMORY = 16;
const NO_REOPENS: ReadonlyMap<string, string> = new Map();

/**
 * Incidents that may still be pending, by path, so an accepted write marks them skipped without
 * scanning every incident of the mission (a long journal has thousands, and most entries are
 * accepted writes). Built on first use from the state itself, so any state (fresh, or loaded from
 * a projection cache) gets one; entries whose outcome changed since are skipped when read.
 */
const pendingIndexes = new WeakMap<MissionState, Map<string, Incident[]>>();

function pendingIndex(state: MissionState): Map<string, Incident[]> {
  let index = pendingIndexes.get(state);
  if (index === undefined) {
    index = new Map();
    for (const incident of state.incidents.values()) {
      if (incident.outcome === 'pending') index.set(incident.path, [...(index.get(incident.path) ?? []), incident]);
    }
    pendingIndexes.set(state, index);
  }
  return index;
}

function applyEntry(state: MissionState, entry: JournalEntry): void {
  state.seq = entry.seq;
  state.counts.set(entry.kind, (state.counts.get(entry.kind) ?? 0) + 1);
  const body: EntryBody = entry;
  switch (body.kind) {
    case 'write-accepted': {
      state.artifacts.set(body.path, { path: body.path, role: body.role, lastGood: body.digest, seq: entry.seq, at: entry.at });
      const reasons = body.reopened === undefined ? NO_REOPENS : new Map(body.reopened.map((reopen) => [reopen.feature, reopen.reason]));
      for (const transition of body.transitions) {
        const history = featureOf(state, transition.item);
        history.status = transition.to;
        const reason = reasons.get(transition.item);
        history.changes.push({ seq: entry.seq, at: entry.at, from: transition.from, to: transition.to, ...(reason === undefined ? {} : { reason }) });
      }
      // A reopen under an explicit permit supersedes the old success evidence for that feature.
      for (const feature of reasons.keys()) {
        state.permits.delete(feature);
        state.succeeded.delete(feature);
        state.reopenable.delete(feature);
      }
      const pending = pendingIndex(state);
      for (const incident of pending.get(body.path) ?? []) {
        if (incident.outcome === 'pending') incident.outcome = 'skipped';
      }
      pending.delete(body.path);
      return;
    }
    case 'write-rejected': {
      const incident: Incident = {
        id: entry.seq,
        at: entry.at,
        path: body.path,
        role: body.role,
        digest: body.digest,
        issues: body.issues,
        outcome: 'pending',
        finalization: body.role === 'finalization',
        open: true,
      };
      state.incidents.set(entry.seq, incident);
      const pending = pendingIndexes.get(state);
      if (pending !== undefined) pending.set(body.path, [...(pending.get(body.path) ?? []), incident]);
      return;
    }
    case 'restored':
    case 'restore-skipped': {
      const incident = state.incidents.get(body.incident);
      if (incident !== undefined) incident.outcome = body.kind === 'restored' ? 'restored' : 'skipped';
      if (body.kind === 'restored') {
        const artifact = state.artifacts.get(body.path);
        if (artifact !== undefined) artifact.lastGood = body.digest;
      }
      return;
    }
    case 'frozen':
      if (state.freeze.kind === 'open') state.freeze = { kind: 'frozen', since: entry.at, incident: body.incident, path: body.path, reason: body.reason };
      return;
    case 'journal-repaired':
      // A repair that cut (or found lost) what may have held a freeze carries it across.
      if (body.freeze !== undefined && state.freeze.kind === 'open') state.freeze = { kind: 'frozen', since: entry.at, incident: entry.seq, path: JOURNAL_PATH, reason: body.freeze };
      return;
    case 'acknowledged':
      state.freeze = { kind: 'open' };
      for (const incident of state.incidents.values()) incident.open = false;
      return;
    case 'reopen-permitted':
      state.permits.set(body.feature, { reason: body.reason, seq: entry.seq, who: body.who });
      return;
    case 'evidence':
      for (const fact of body.facts) applyFact(state, fact, entry.seq);
      return;
    case 'hook-allowed': {
      if (body.digest === undefined) return;
      const approved = state.hookApproved.get(body.path) ?? [];
      approved.push(body.digest);
      if (approved.length > HOOK_MEMORY) approved.shift();
      state.hookApproved.set(body.path, approved);
      state.lastApproved.set(body.path, { digest: body.digest, seq: entry.seq });
      return;
    }
    case 'incident-reported':
      state.reported.set(body.incident, body.command);
      return;
    case 'guard-started':
    case 'guard-stopped':
    case 'baseline':
    case 'scheduler-paused':
    case 'repaired':
    case 'tamper':
    case 'hook-denied':
    case 'unhooked-write':
    case 'child-started':
    case 'child-exited':
    case 'lock-compromised':
    case 'cross-check-failed':
    case 'mission-fault':
    case 'incident-hook-failed':
    case 'shape-warning':
      return;
    default:
      assertNever(body);
  }
}

function applyFact(state: MissionState, fact: EvidenceFact, seq: number): void {
  switch (fact.fact) {
    case 'worker-completed':
      featureOf(state, fact.feature).outcomes.push({ session: fact.session, outcome: fact.outcome, source: fact.source, seq });
      if (fact.outcome === 'success') state.succeeded.set(fact.feature, fact.session);
      // A handoff an agent's tool wrote (a hook approved it) never sanctions a reopen: droid's own
      // EndFeatureRun writes pass no hook, and an agent must not grant itself a reopen.
      if (fact.outcome === 'success' && fact.leftUndone === true && !state.hookApproved.has(fact.source)) state.reopenable.set(fact.feature, { session: fact.session, source: fact.source });
      else if (fact.outcome === 'success' && state.reopenable.get(fact.feature)?.session !== fact.session) state.reopenable.delete(fact.feature);
      return;
    case 'assertion':
      state.assertions.set(fact.assertion, { status: fact.status, ...(fact.milestone === undefined ? {} : { milestone: fact.milestone }) });
      return;
    default:
      assertNever(fact);
  }
}

function featureOf(state: MissionState, id: string): FeatureHistory {
  let history = state.features.get(id);
  if (history === undefined) {
    history = { id, status: null, changes: [], outcomes: [] };
    state.features.set(id, history);
  }
  return history;
}

// The durable facts the judge weighs for a features.json version.
export function evidenceOf(state: MissionState): Evidence {
  const passedAssertions = new Set<string>();
  for (const [id, assertion] of state.assertions) if (assertion.status === 'passed') passedAssertions.add(id);
  const completed = new Set<string>();
  for (const history of state.features.values()) if (history.status === 'completed') completed.add(history.id);
  return { succeeded: state.succeeded, passedAssertions, completed, reopenable: state.reopenable };
}

/**
 * Is the version on disk (its digest; null: no file) the artifact's last good? A path the journal
 * never named is last good only while it does not exist. The one answer to "unchanged on disk?"
 * for the guardian, the checks and inspect.
 */
export function isLastGood(state: Pick<MissionState, 'artifacts'>, path: string, digest: Digest | null): boolean {
  const artifact = state.artifacts.get(path);
  return artifact === undefined ? digest === null : artifact.lastGood === digest;
}

// Open incidents, oldest first.
export function openIncidents(state: Pick<MissionState, 'incidents'>): Incident[] {
  return [...state.incidents.values()].filter((incident) => incident.open);
}
