// What a journal repair cut or lost, in words, and whether the mission must stay frozen after it
// (issue 9 item 7): a repair must never be a way to unfreeze without `guard ack`.
import type { JournalEntry } from './entries.js';

/** The parts of a journal repair the decision weighs. */
export interface CutFacts {
  kept: number;
  cut: { entries: JournalEntry[]; unreadable: number };
  lost: { from: number; to: number } | null;
  /** Entries went missing unseen (lost, or the journal rewritten). */
  unknown: boolean;
  /** The sentinel in the mission dir, if any: its incident. */
  sentinel: { incident: unknown } | null;
}

// Why the mission stays frozen after the repair, or null when nothing removed could have held a
// freeze. Fail closed: whatever cannot be read might have.
export function freezeAfterCut(facts: CutFacts): string | null {
  const reasons: string[] = [];
  const freezing = facts.cut.entries.filter((entry) => entry.kind === 'frozen' || entry.kind === 'cross-check-failed' || (entry.kind === 'journal-repaired' && entry.freeze !== undefined) || (entry.kind === 'write-rejected' && (entry.role === 'scheduling' || entry.role === 'evidence')));
  if (freezing.length > 0) reasons.push(`the cut entries held a freeze (${freezing.map((entry) => `#${entry.seq} ${entry.kind}`).join(', ')})`);
  if (facts.cut.unreadable > 0) reasons.push(`${facts.cut.unreadable} cut line(s) cannot be read, so what they recorded is unknown`);
  if (facts.lost !== null) reasons.push(`entries ${facts.lost.from}-${facts.lost.to} are lost, so what they recorded (a freeze, an incident) is unknown`);
  else if (facts.unknown) reasons.push('the journal was rewritten, so what its lost entries recorded is unknown');
  if (facts.sentinel !== null) reasons.push(`the mission's sentinel says it was frozen (incident ${String(facts.sentinel.incident)})`);
  return reasons.length === 0 ? null : reasons.join('; ');
}

// "write-accepted x3, frozen x1": the kinds of the cut entries, in order of first appearance.
export function kindsText(entries: JournalEntry[]): string {
  const counts = new Map<string, number>();
  for (const entry of entries) counts.set(entry.kind, (counts.get(entry.kind) ?? 0) + 1);
  return [...counts].map(([kind, count]) => `${kind} x${count}`).join(', ');
}
