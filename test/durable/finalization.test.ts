// A late validator `synthesis.json` failure (issue "durable truth" item 4): repaired in place,
// listed apart as a finalization incident, and it never changes the resume plan or freezes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission } from '../../src/demo/droid-files.js';
import { baseFeatures } from '../helpers/droid.js';
import { entriesOf, finishFeature, guardJson, plan } from '../helpers/durable.js';
import { acceptedDigest, failOnLeakedChildren, runGuard, runWriter, sandbox, startWatch, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;

beforeEach(async () => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  guard = await startWatch(box);
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

describe('a late synthesis.json failure', () => {
  test('the plan is unchanged and lists a finalization incident; the mission is not frozen', async () => {
    await finishFeature(box, baseFeatures(), 'f3-profile', 'w3');
    const file = join(box.mission, 'validation', 'm1', 'scrutiny', 'synthesis.json');
    const good = `${JSON.stringify({ milestone: 'm1', round: 1, status: 'pass', validatorsRun: ['lint'], blockingIssues: [] }, null, 2)}\n`;
    await runWriter(box, [{ op: 'write', file, text: good }]);
    await acceptedDigest(box, 'validation/m1/scrutiny/synthesis.json', good);
    const before = await plan(box);
    assert.deepEqual(before.finalization, []);
    assert.deepEqual(before.pending.map((feature) => feature.id), ['f4-search']);

    // The validator's final rewrite dies half way (droid writes in place, no fsync).
    await runWriter(box, [{ op: 'write', file, text: good.slice(0, 30) }]);
    const restored = await until(() => entriesOf(box, 'restored')[0], 'synthesis.json restored');
    assert.equal(restored.path, 'validation/m1/scrutiny/synthesis.json');
    assert.equal(readFileSync(file, 'utf8'), good);

    const later = await plan(box);
    assert.deepEqual(later.done, before.done);
    assert.deepEqual(later.pending, before.pending);
    assert.deepEqual(later.disagreements, before.disagreements);
    assert.equal(later.frozen, false);
    assert.equal(later.finalization.length, 1);
    assert.equal(later.finalization[0]?.path, 'validation/m1/scrutiny/synthesis.json');
    assert.equal(later.finalization[0]?.finalization, true);
    assert.equal(later.finalization[0]?.id, entriesOf(box, 'write-rejected')[0]?.seq);

    const human = await runGuard(box, ['plan', '--mission', box.mission]);
    assert.match(human.stdout, /finalization incidents .*\n\s+#\d+ validation\/m1\/scrutiny\/synthesis\.json \(restored\)/);

    assert.deepEqual(entriesOf(box, 'frozen'), []);
    assert.deepEqual(entriesOf(box, 'scheduler-paused'), []);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);
    const { result, doc: status } = await guardJson<{ frozen: boolean }>(box, ['status', '--mission', box.mission]);
    assert.equal(result.code, 0);
    assert.equal(status.frozen, false);
    const verify = await runGuard(box, ['verify', '--mission', box.mission]);
    assert.equal(verify.code, 0, verify.stdout);
  });
});
