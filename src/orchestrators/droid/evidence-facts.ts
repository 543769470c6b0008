// Facts worth keeping from droid's evidence files (issue "durable truth" item 2): once journaled
// they outlive the files, so a damaged progress log or handoff cannot erase completed work.
import type { EvidenceFact } from '../../core/entries.js';
import type { JsonLine } from '../../core/parse.js';
import { isRecord } from '../../core/pointer.js';

const OUTCOMES = new Set(['success', 'partial', 'failure']);

// Facts new in `doc` compared with `previous` (both parsed versions of the artifact at `path`).
export function droidEvidenceFacts(path: string, previous: unknown, doc: unknown): EvidenceFact[] {
  if (path === 'progress_log.jsonl') return progressFacts(previous, doc);
  if (path.startsWith('handoffs/')) return handoffFacts(path, doc);
  if (path === 'validation-state.json') return assertionFacts(previous, doc);
  return [];
}

function progressFacts(previous: unknown, doc: unknown): EvidenceFact[] {
  // The parsed log (JSON Lines: one { line, value } per line); anything else yields nothing.
  const lines = Array.isArray(doc) ? (doc as unknown[]).filter((entry): entry is JsonLine => isRecord(entry)) : [];
  const seen = Array.isArray(previous) ? previous.length : 0;
  const facts: EvidenceFact[] = [];
  for (const { line, value } of lines.slice(seen)) {
    if (!isRecord(value) || value.type !== 'worker_completed') continue;
    const { featureId, workerSessionId, successState } = value;
    if (typeof featureId === 'string' && typeof workerSessionId === 'string' && typeof successState === 'string' && OUTCOMES.has(successState)) {
      facts.push({ fact: 'worker-completed', feature: featureId, session: workerSessionId, outcome: successState as 'success', source: `progress_log.jsonl:${line}`, ...leftUndone(value.handoff) });
    }
  }
  return facts;
}

function handoffFacts(path: string, doc: unknown): EvidenceFact[] {
  if (!isRecord(doc)) return [];
  const { featureId, workerSessionId, successState } = doc;
  if (typeof featureId !== 'string' || typeof workerSessionId !== 'string' || typeof successState !== 'string' || !OUTCOMES.has(successState)) return [];
  return [{ fact: 'worker-completed', feature: featureId, session: workerSessionId, outcome: successState as 'success', source: path, ...leftUndone(doc.handoff) }];
}

// A handoff that reports work left undone or discovered issues: droid forces the orchestrator's
// attention and tells it to reopen the feature with an updated description (DROID.md §4).
function leftUndone(handoff: unknown): { leftUndone?: true } {
  if (!isRecord(handoff)) return {};
  return nonEmpty(handoff.whatWasLeftUndone) || nonEmpty(handoff.discoveredIssues) ? { leftUndone: true } : {};
}

function nonEmpty(value: unknown): boolean {
  // droid's own test: a trimmed string other than "none" (any case), an array with entries.
  if (typeof value === 'string') return value.trim() !== '' && value.trim().toLowerCase() !== 'none';
  return Array.isArray(value) && value.length > 0;
}

function assertionFacts(previous: unknown, doc: unknown): EvidenceFact[] {
  const now = isRecord(doc) && isRecord(doc.assertions) ? doc.assertions : {};
  const before = isRecord(previous) && isRecord(previous.assertions) ? previous.assertions : {};
  const facts: EvidenceFact[] = [];
  for (const [assertion, value] of Object.entries(now)) {
    if (!isRecord(value) || typeof value.status !== 'string') continue;
    const old = before[assertion];
    if (isRecord(old) && old.status === value.status) continue;
    const milestone = value.validatedAtMilestone;
    facts.push({ fact: 'assertion', assertion, status: value.status, ...(milestone === undefined || milestone === null ? {} : { milestone: String(milestone) }) });
  }
  return facts;
}
