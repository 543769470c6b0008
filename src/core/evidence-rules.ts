// Evidence rules (DESIGN.md §6.6): a summary file may not contradict stronger, journaled facts.
import { itemMap } from './pointer.js';
import type { Issue, ItemsSelector } from './types.js';

/** Durable facts from the journal that a features.json version must agree with. */
export interface Evidence {
  /** Feature id -> worker session that reported success (progress log or handoff). */
  succeeded: ReadonlyMap<string, string>;
  /** Assertion ids last seen `passed` in validation-state.json. */
  passedAssertions: ReadonlySet<string>;
  /** Features whose journaled status is completed. */
  completed: ReadonlySet<string>;
}

const NOT_STARTED = new Set(['pending', 'in_progress']);

// Issues for every feature whose status contradicts evidence; legitimate droid moves
// (requeue without success, validator override pending -> completed) pass.
export function checkEvidence(selector: ItemsSelector & { status: string }, _before: unknown, after: unknown, evidence: Evidence): Issue[] {
  const issues: Issue[] = [];
  const now = itemMap(after, selector);
  for (const [id, session] of evidence.succeeded) {
    const item = now.get(id);
    if (item === undefined) {
      issues.push({ code: 'evidence', pointer: '', item: id, message: `"${id}" disappeared although worker session ${session} completed it with success` });
    } else if (NOT_STARTED.has(String(item.value[selector.status]))) {
      issues.push({
        code: 'evidence',
        pointer: `${item.pointer}/${selector.status}`,
        item: id,
        message: `"${id}" is ${String(item.value[selector.status])} although worker session ${session} completed it with success`,
      });
    }
  }
  for (const id of evidence.completed) {
    const item = now.get(id);
    const status = item?.value[selector.status];
    if (status === 'completed' || status === 'cancelled' || evidence.succeeded.has(id)) continue;
    const fulfills = item?.value.fulfills;
    if (Array.isArray(fulfills) && fulfills.length > 0 && fulfills.every((assertion) => evidence.passedAssertions.has(String(assertion)))) {
      issues.push({
        code: 'evidence',
        pointer: item === undefined ? '' : `${item.pointer}/${selector.status}`,
        item: id,
        message: `"${id}" lost completed although all its assertions (${fulfills.join(', ')}) passed validation`,
      });
    }
  }
  for (const item of now.values()) {
    const completedBy = item.value.completedWorkerSessionId;
    const sessions = item.value.workerSessionIds;
    if (typeof completedBy === 'string' && Array.isArray(sessions) && !sessions.includes(completedBy)) {
      issues.push({
        code: 'evidence',
        pointer: `${item.pointer}/completedWorkerSessionId`,
        item: item.key,
        message: `"${item.key}" completedWorkerSessionId ${completedBy} is not one of its workerSessionIds`,
      });
    }
  }
  return issues;
}
