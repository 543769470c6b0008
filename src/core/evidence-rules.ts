// The durable facts a summary artifact is cross-checked against (DESIGN.md §6.6), as replayed
// from the journal, and the shape of an orchestrator's evidence rules. The rules themselves are
// the orchestrator adapter's (src/orchestrators/droid/evidence-rules.ts); the judge runs whatever
// rules the artifact spec carries.
import type { Issue, StatusSelector } from './types.js';

/** Durable facts from the journal that a features.json version must agree with. */
export interface Evidence {
  /** Feature id -> worker session that reported success (progress log or handoff). */
  succeeded: ReadonlyMap<string, string>;
  /** Assertion ids last seen `passed` in validation-state.json. */
  passedAssertions: ReadonlySet<string>;
  /** Features whose journaled status is completed. */
  completed: ReadonlySet<string>;
  /**
   * Feature id -> the success handoff that reported work left undone or discovered issues (and
   * its worker session): droid then tells the orchestrator to reopen the feature (DROID.md §4).
   */
  reopenable?: ReadonlyMap<string, { session: string; source: string }>;
}

/** An orchestrator's cross-checks of a summary version against journaled evidence. */
export interface EvidenceRules {
  /** Issues for every item whose status contradicts evidence. */
  check(selector: StatusSelector, before: unknown, after: unknown, evidence: Evidence): Issue[];
  /** Reopens the evidence itself sanctions: the judge waives their status and evidence issues. */
  sanctioned(selector: StatusSelector, before: unknown, after: unknown, issues: readonly Issue[], evidence: Evidence): Array<{ feature: string; source: string }>;
}
