// droid's evidence rules (DESIGN.md §6.6, DROID.md §4): features.json may not contradict stronger,
// journaled facts (worker success, passed assertions, journaled completion). Pure; the judge runs
// them through the artifact spec (`evidenceRules`), so the core names no droid status or field.
import type { Evidence, EvidenceRules } from '../../core/evidence-rules.js';
import { itemMap, statusOfItem } from '../../core/pointer.js';
import type { Issue, StatusSelector } from '../../core/types.js';

const NOT_STARTED = new Set(['pending', 'in_progress']);

// Issues for every feature whose status contradicts evidence; legitimate droid moves
// (requeue without success, validator override pending -> completed) pass.
export function checkEvidence(selector: StatusSelector, _before: unknown, after: unknown, evidence: Evidence): Issue[] {
  const issues: Issue[] = [];
  const now = itemMap(after, selector);
  for (const [id, session] of evidence.succeeded) {
    const item = now.get(id);
    const status = item === undefined ? null : statusOfItem(item.value, selector);
    if (item === undefined) {
      issues.push({ code: 'evidence', pointer: '', item: id, message: `"${id}" disappeared although worker session ${session} completed it with success` });
    } else if (status === null || NOT_STARTED.has(status)) {
      issues.push({
        code: 'evidence',
        pointer: `${item.pointer}/${selector.status}`,
        item: id,
        message: `"${id}" is ${status ?? 'without a status'} although worker session ${session} completed it with success`,
      });
    }
  }
  for (const id of evidence.completed) {
    const item = now.get(id);
    const status = item === undefined ? undefined : statusOfItem(item.value, selector);
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

/**
 * droid's sanctioned reopen (DROID.md §4): `completed -> pending` with a changed description, for a
 * feature whose latest success handoff (journaled evidence, from the same worker session that
 * completed it) reported work left undone or discovered issues. Only features with issues count:
 * the judge waives their status and evidence issues and journals the reopen citing the handoff.
 */
export function sanctionedReopens(selector: StatusSelector, before: unknown, after: unknown, issues: readonly Issue[], evidence: Evidence): Array<{ feature: string; source: string }> {
  if (evidence.reopenable === undefined || before === undefined) return [];
  const old = itemMap(before, selector);
  const now = itemMap(after, selector);
  const flagged = new Set(issues.flatMap((issue) => (issue.item === undefined ? [] : [issue.item])));
  const sanctioned: Array<{ feature: string; source: string }> = [];
  for (const feature of flagged) {
    const handoff = evidence.reopenable.get(feature);
    const was = old.get(feature)?.value;
    const is = now.get(feature)?.value;
    if (handoff === undefined || was === undefined || is === undefined) continue;
    if (statusOfItem(was, selector) !== 'completed' || statusOfItem(is, selector) !== 'pending') continue;
    if (typeof is.description !== 'string' || is.description === was.description) continue;
    if (evidence.succeeded.get(feature) !== handoff.session) continue;
    if (typeof was.completedWorkerSessionId === 'string' && was.completedWorkerSessionId !== handoff.session) continue;
    sanctioned.push({ feature, source: handoff.source });
  }
  return sanctioned;
}

/** The rules the droid adapter gives features.json (`"evidence": true` in its profile). */
export const DROID_EVIDENCE_RULES: EvidenceRules = { check: checkEvidence, sanctioned: sanctionedReopens };
