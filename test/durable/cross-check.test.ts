// `guard watch` cross-checks a mission at start (issue "durable truth" item 5): a never-guarded
// mission whose handoff says a feature succeeded while features.json still has it pending starts
// frozen; `guard ack` refuses until `guard repair --rebuild` makes the summary agree.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, writeHandoff, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { entriesOf, guardJson, type VerifyJson } from '../helpers/durable.js';
import { failOnLeakedChildren, runGuard, sandbox, startWatch, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

const X = 'f3-profile';

let box: Sandbox;
let guard: GuardProcess | undefined;

beforeEach(() => {
  box = sandbox();
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const sentinel = () => join(box.mission, '.guard-frozen');

function statusOf(features: Feature[] | { features: Feature[] }, id: string): string | undefined {
  const list = Array.isArray(features) ? features : features.features;
  return list.find((feature) => feature.id === id)?.status;
}

describe('cross-check at start', () => {
  test('a handoff says X succeeded, features.json says pending: frozen at start; ack refuses until repair --rebuild', async () => {
    // EndFeatureRun crashed after the handoff, before features.json was rewritten (DROID.md §4).
    createMission(box.mission, withFeature(baseFeatures(), X, { status: 'pending', currentWorkerSessionId: null }));
    writeHandoff(box.mission, X, 'w3', 'success');

    guard = await startWatch(box);
    const [check] = entriesOf(box, 'cross-check-failed');
    assert.ok(check !== undefined, `a cross-check-failed entry: ${JSON.stringify(entriesOf(box, 'write-rejected'))}`);
    assert.ok(check.disagreements.some((item) => item.feature === X && item.path === 'features.json'), JSON.stringify(check.disagreements));
    assert.equal(entriesOf(box, 'baseline').pop()?.frozen, true);
    const frozen = entriesOf(box, 'frozen')[0];
    assert.equal(frozen?.incident, check.seq, 'the freeze names the cross-check');
    assert.equal(existsSync(sentinel()), true);
    assert.deepEqual(entriesOf(box, 'write-rejected'), [], 'nothing on disk was rejected: only the cross-check disagrees');
    const { result: statusRun, doc: status } = await guardJson<{ frozen: boolean; next: string }>(box, ['status', '--mission', box.mission]);
    assert.equal(statusRun.code, 3);
    assert.equal(status.frozen, true);
    assert.match(status.next, /^guard verify --mission \S+ ; then: guard ack/, 'no bad write to diff: the next step is verify');

    const refused = await runGuard(box, ['ack', '--mission', box.mission, '--note', 'looks fine to me', '--yes-i-am-human']);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, new RegExp(`"${X}"`));
    assert.match(refused.stderr, /guard repair --mission \S+ --rebuild features\.json/);
    assert.equal(existsSync(sentinel()), true);
    assert.deepEqual(entriesOf(box, 'acknowledged'), []);

    const repair = await runGuard(box, ['repair', '--mission', box.mission, '--rebuild', 'features.json', '--yes']);
    assert.equal(repair.code, 0, repair.stdout + repair.stderr);
    const rebuilt = JSON.parse(readFileSync(join(box.mission, 'features.json'), 'utf8')) as { features: Feature[] };
    assert.equal(statusOf(rebuilt, X), 'completed');
    assert.deepEqual(
      rebuilt.features.map((feature) => feature.id),
      ['f4-search', 'f1-login', 'f2-logout', X],
      'done features go to the bottom, the rest keeps its order',
    );
    const [repaired] = entriesOf(box, 'repaired');
    assert.equal(repaired?.action, 'rebuild');

    const verify = await runGuard(box, ['verify', '--mission', box.mission]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const ack = await runGuard(box, ['ack', '--mission', box.mission, '--note', 'rebuilt features.json from durable truth', '--yes-i-am-human']);
    assert.equal(ack.code, 0, ack.stdout + ack.stderr);
    assert.equal(existsSync(sentinel()), false);
    const { result: after, doc: unfrozen } = await guardJson<{ frozen: boolean }>(box, ['status', '--mission', box.mission]);
    assert.equal(after.code, 0);
    assert.equal(unfrozen.frozen, false);
    // The running guardian took the rebuild as already judged: no incident, no tamper.
    await until(() => entriesOf(box, 'acknowledged').length === 1, 'acknowledged');
    assert.deepEqual(entriesOf(box, 'write-rejected'), []);
    assert.deepEqual(entriesOf(box, 'tamper'), []);
  });

  test('a consistent never-guarded mission starts open; verify agrees', async () => {
    createMission(box.mission, baseFeatures());
    writeHandoff(box.mission, 'f1-login', 'w1', 'success');
    guard = await startWatch(box);
    assert.deepEqual(entriesOf(box, 'cross-check-failed'), []);
    assert.equal(entriesOf(box, 'baseline').pop()?.frozen, false);
    const { doc } = await guardJson<VerifyJson>(box, ['verify', '--mission', box.mission], 0);
    assert.equal(doc.consistent, true);
  });
});
