// Which incidents `--on-incident` hears about: each once, and never one the journal says was
// reported already (by this guard, or by one that ran before a restart).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IncidentTracker } from '../../src/cli/incidents.js';
import type { JournalEntry } from '../../src/core/entries.js';
import { applyEntries, emptyState } from '../../src/core/replay.js';

const at = '2026-12-02T06:00:00.000Z';
const envelope = (seq: number) => ({ v: 1 as const, seq, at, prev: '0'.repeat(64) });
const rejected: JournalEntry = { ...envelope(3), kind: 'write-rejected', path: 'features.json', digest: null, size: 0, role: 'scheduling', by: 'watcher', issues: [] };
const frozen: JournalEntry = { ...envelope(4), kind: 'frozen', incident: 3, path: 'features.json', reason: 'bad' };
const restored: JournalEntry = { ...envelope(5), kind: 'restored', path: 'features.json', incident: 3, digest: null, replaced: null };

test('an incident is reported once, however many of its entries are seen', () => {
  const tracker = new IncidentTracker(true);
  const state = applyEntries(emptyState(), [rejected, frozen, restored]);
  tracker.observe('/m', [rejected, frozen]);
  tracker.observe('/m', [restored]);
  assert.deepEqual(tracker.take(() => state).map((report) => report.incident), [3]);
  assert.deepEqual(tracker.take(() => state), []);
});

test('an incident the journal says was reported (before a restart) is not reported again', () => {
  const reported: JournalEntry = { ...envelope(6), kind: 'incident-reported', incident: 3, command: 'notify' };
  const state = applyEntries(emptyState(), [rejected, frozen, reported]);
  const afterRestart = new IncidentTracker(true);
  afterRestart.observe('/m', [restored]); // the restart finishes the restore of the old incident
  assert.deepEqual(afterRestart.take(() => state), []);
});
