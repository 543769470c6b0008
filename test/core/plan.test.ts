// The resume plan reads an orchestrator's status words from its profile's selector: the core
// knows none of its own (droid's `completed`/`pending` live in schemas/droid/profile.json).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planMission } from '../../src/core/plan.js';
import { emptyState } from '../../src/core/replay.js';
import type { StatusSelector } from '../../src/core/types.js';

const selector: StatusSelector = { items: '/tasks', key: 'id', status: 'state', absent: 'todo', done: ['finished'], closed: ['dropped'], notStarted: ['todo', 'running'] };

function stateWithHistory(id: string, status: string) {
  const state = emptyState();
  state.features.set(id, { id, status, changes: [{ seq: 3, at: '2026-12-02T07:00:00.000Z', from: 'running', to: status }], outcomes: [] });
  return state;
}

test("a generic orchestrator's own words decide what is done, pending and reverted", () => {
  const doc = { tasks: [{ id: 'a', state: 'finished' }, { id: 'b', state: 'todo' }, { id: 'c' }, { id: 'd', state: 'dropped' }] };
  const plan = planMission({ state: stateWithHistory('a', 'finished'), path: 'tasks.json', selector, lastGood: doc, current: { kind: 'ok', doc }, diskFacts: [] });
  assert.deepEqual(plan.done.map((item) => [item.id, item.status]), [['a', 'finished']]);
  assert.deepEqual(plan.pending.map((item) => [item.id, item.status]), [['b', 'todo'], ['c', 'todo']]);
  assert.deepEqual(plan.disagreements, []);

  const reverted = { tasks: [{ id: 'a', state: 'todo' }] };
  const after = planMission({ state: stateWithHistory('a', 'finished'), path: 'tasks.json', selector, lastGood: doc, current: { kind: 'ok', doc: reverted }, diskFacts: [] });
  assert.deepEqual(after.disagreements.map((item) => [item.code, item.feature]), [['reverted', 'a']]);
});

test('a done status with no evidence is a warning in the words of the profile; without words nothing is claimed', () => {
  const doc = { tasks: [{ id: 'x', state: 'finished' }] };
  const plan = planMission({ state: emptyState(), path: 'tasks.json', selector, lastGood: doc, current: { kind: 'ok', doc }, diskFacts: [] });
  assert.deepEqual(plan.disagreements.map((item) => [item.code, item.severity, item.message]), [['unbacked-completion', 'warning', '"x" is finished in tasks.json with no evidence: no journaled completion, no worker success, no passed assertions']]);
  const bare = planMission({ state: emptyState(), path: 'tasks.json', selector: { items: '/tasks', key: 'id', status: 'state' }, lastGood: doc, current: { kind: 'ok', doc }, diskFacts: [] });
  assert.deepEqual([bare.done, bare.pending, bare.disagreements], [[], [], []]);
});
