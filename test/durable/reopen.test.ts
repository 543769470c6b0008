// `guard repair --reopen FEATURE --reason TEXT` (issue "durable truth" item 6): one permit for one
// forbidden transition, used by the next write that reopens the feature and journaled with the
// reason; the write after that needs a new permit. Through `guard write` and through the watcher.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { assertNoStack, entriesOf, guardJson, successLine } from '../helpers/durable.js';
import { acceptedDigest, failOnLeakedChildren, runGuard, runWriter, sandbox, sha, startWatch, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

const X = 'f1-login';
const REASON = 'login breaks on Safari; redo it with the new session store';

let box: Sandbox;
let guard: GuardProcess | undefined;
let features: Feature[];

beforeEach(() => {
  box = sandbox();
  features = baseFeatures();
  createMission(box.mission, features);
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const featuresFile = () => join(box.mission, 'features.json');
const reopened = () => featureText(withFeature(features, X, { status: 'pending', completedWorkerSessionId: null }));
// After the reopen a worker finishes X again (pending -> completed is legitimate).
const redone = () => featureText(withFeature(features, X, { status: 'completed', workerSessionIds: ['w1', 'w9'], completedWorkerSessionId: 'w9' }));
const reopenedAgain = () => featureText(withFeature(features, X, { status: 'pending', workerSessionIds: ['w1', 'w9'], completedWorkerSessionId: null }));

// `guard write features.json --from FILE` of `text`.
async function guardWrite(path: string, text: string) {
  const from = join(box.dir, `next-${sha(text).slice(0, 8)}`);
  writeFileSync(from, text);
  return runGuard(box, ['write', '--mission', box.mission, path, '--from', from]);
}

async function permit(): Promise<number> {
  const { doc } = await guardJson<{ permitted: boolean; seq: number }>(box, ['repair', '--mission', box.mission, '--reopen', X, '--reason', REASON, '--yes-i-am-human'], 0);
  assert.equal(doc.permitted, true);
  const entry = entriesOf(box, 'reopen-permitted').find((item) => item.seq === doc.seq);
  assert.equal(entry?.feature, X);
  assert.equal(entry?.reason, REASON);
  assert.match(entry?.who ?? '', /@/);
  return doc.seq;
}

describe('guard repair --reopen', () => {
  test('needs --reason: exit 2, nothing journaled', async () => {
    for (const args of [['--reopen', X], ['--reopen', X, '--reason', '   ']]) {
      const result = await runGuard(box, ['repair', '--mission', box.mission, ...args]);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, /--reason/);
      assertNoStack(result);
    }
    assert.deepEqual(entriesOf(box, 'reopen-permitted'), []);
    const unknown = await runGuard(box, ['repair', '--mission', box.mission, '--reopen', 'no-such-feature', '--reason', REASON]);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /no-such-feature/);
  });

  test('through guard write: the permit is used once and journaled with the reason', async () => {
    // A guarded history without any guardian: the first version, then X's success line.
    assert.equal((await guardWrite('features.json', featureText(features))).code, 0);
    const log = readFileSync(join(box.mission, 'progress_log.jsonl'), 'utf8');
    assert.equal((await guardWrite('progress_log.jsonl', `${log}${successLine(X, 'w1')}`)).code, 0);

    const refused = await guardWrite('features.json', reopened());
    assert.equal(refused.code, 1, 'no permit yet');
    assert.match(refused.stderr, /--reopen/);

    const permitSeq = await permit();
    const before = readFileSync(featuresFile());
    const accepted = await guardWrite('features.json', reopened());
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
    assert.notDeepEqual(readFileSync(featuresFile()), before);
    const entry = entriesOf(box, 'write-accepted').find((item) => item.digest === sha(reopened()));
    assert.equal(entry?.by, 'guard-write');
    assert.deepEqual(entry?.reopened, [{ feature: X, reason: REASON, permit: permitSeq }]);
    assert.ok(entry?.transitions.some((move) => move.item === X && move.from === 'completed' && move.to === 'pending'), JSON.stringify(entry?.transitions));
    const { doc: status } = await guardJson<{ permits: unknown[] }>(box, ['status', '--mission', box.mission], 0);
    assert.deepEqual(status.permits, [], 'the permit was used up');
    // A deliberate reopen is durable truth now: nothing disagrees.
    const verify = await runGuard(box, ['verify', '--mission', box.mission]);
    assert.equal(verify.code, 0, verify.stdout);

    assert.equal((await guardWrite('features.json', redone())).code, 0);
    const second = await guardWrite('features.json', reopenedAgain());
    assert.equal(second.code, 1, 'a second reopen needs a new permit');
    assert.equal(readFileSync(featuresFile(), 'utf8'), redone());
    assert.equal(entriesOf(box, 'write-accepted').filter((item) => item.reopened !== undefined).length, 1);
  });

  test('through the watched writer: accepted under the permit, rejected and restored without one', async () => {
    guard = await startWatch(box);
    const log = join(box.mission, 'progress_log.jsonl');
    await runWriter(box, [{ op: 'append', file: log, text: successLine(X, 'w1') }]);
    await acceptedDigest(box, 'progress_log.jsonl', readFileSync(log));

    const permitSeq = await permit();
    await runWriter(box, [{ op: 'write', file: featuresFile(), text: reopened() }]);
    await acceptedDigest(box, 'features.json', reopened());
    const entry = entriesOf(box, 'write-accepted').find((item) => item.digest === sha(reopened()));
    assert.equal(entry?.by, 'watcher');
    assert.deepEqual(entry?.reopened, [{ feature: X, reason: REASON, permit: permitSeq }]);
    assert.deepEqual(entriesOf(box, 'write-rejected'), []);

    await runWriter(box, [{ op: 'write', file: featuresFile(), text: redone() }]);
    await acceptedDigest(box, 'features.json', redone());
    await runWriter(box, [{ op: 'write', file: featuresFile(), text: reopenedAgain() }]);
    const restored = await until(() => entriesOf(box, 'restored')[0], 'the second reopen restored');
    assert.equal(restored.digest, sha(redone()));
    assert.equal(readFileSync(featuresFile(), 'utf8'), redone());
    const [rejected] = entriesOf(box, 'write-rejected');
    assert.equal(rejected?.digest, sha(reopenedAgain()));
    await until(() => existsSync(join(box.mission, '.guard-frozen')), 'frozen');
  });
});
