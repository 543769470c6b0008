// rebuildSummary writes a done item no stored version holds from durable truth alone; the fields
// beyond id, status and description come from the orchestrator's adapter, never from the core.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rebuildSummary } from '../../src/core/rebuild.js';
import type { StatusSelector } from '../../src/core/types.js';
import { droid } from '../../src/orchestrators/droid/index.js';

const selector: StatusSelector = { items: '/features', key: 'id', bareArray: true, status: 'status' };
const base = [{ id: 'f1', status: 'pending' }];
const done = [{ id: 'f2', status: 'completed', backing: [{ kind: 'worker' as const, session: 'w2', source: 'handoff', journaled: true }] }];

describe('rebuildSummary: an item written from durable truth', () => {
  test('without adapter fields: id, status and a description only', () => {
    const rebuilt = rebuildSummary({ selector, base, done, recovered: new Map() });
    assert.deepEqual(rebuilt.synthesized, ['f2']);
    const item = (rebuilt.doc as Array<Record<string, unknown>>)[1];
    assert.deepEqual(Object.keys(item ?? {}).sort(), ['description', 'id', 'status']);
  });

  test("droid's adapter adds the worker session that did it", () => {
    const workerFields = droid.rebuiltItemFields;
    assert.ok(workerFields !== undefined);
    const rebuilt = rebuildSummary({ selector, base, done, recovered: new Map(), workerFields });
    const item = (rebuilt.doc as Array<Record<string, unknown>>)[1];
    assert.deepEqual([item?.workerSessionIds, item?.currentWorkerSessionId, item?.completedWorkerSessionId], [['w2'], null, 'w2']);
  });
});
