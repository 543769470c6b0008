// The stuck state of issue 9 item 5: a feature f8 whose only accepted version was overwritten by a
// bad one before any guard read it, then reported done by its worker. The guardian restores last
// good (no f8) and freezes; `ack` refuses (f8 missing), `repair --restore` has nothing to do, and
// `repair --rebuild` refused ("no journaled version holds f8"). Now the rebuild is the way out,
// `guard status` names it, and a version a hook approved is kept to bring f8 back whole.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { MissionStore } from '../../src/mission/mission-store.js';
import { loadDroidProfile } from '../../src/profiles/profile.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { entriesOf, successLine } from '../helpers/durable.js';
import { failOnLeakedChildren, runGuard, sandbox, sha, startWatch, stopGuard, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;
const features: Feature[] = baseFeatures();
const f8: Feature = { id: 'f8-export', description: 'Export (the only good version)', status: 'in_progress', milestone: 'm2', workerSessionIds: ['w8'], currentWorkerSessionId: 'w8' };
const withF8 = () => featureText([f8, ...features]);
// The bad version that landed next: f8 gone and f1 reverted.
const bad = () => featureText(withFeature(features, 'f1-login', { status: 'pending' }));

beforeEach(async () => {
  box = sandbox();
  createMission(box.mission, features);
  await stopGuard(await startWatch(box));
});

afterEach(async () => {
  if (guard !== undefined) await stopGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const featuresFile = () => join(box.mission, 'features.json');
const mission = () => ['--mission', box.mission];

// The valid write with f8, the bad one over it, then f8's worker reports success; then a guardian
// starts: it restores the newest version it knows good and freezes. Without a hook approval that
// is last good, without f8; with one, the approved version, where f8 is still in progress.
async function stuck(restored = featureText(features), ackRefusal = /"f8-export" is missing from features\.json/): Promise<void> {
  writeFileSync(featuresFile(), withF8());
  writeFileSync(featuresFile(), bad());
  appendFileSync(join(box.mission, 'progress_log.jsonl'), successLine('f8-export', 'w8'));
  guard = await startWatch(box);
  assert.equal(readFileSync(featuresFile(), 'utf8'), restored, 'restored to the newest version the guard knows good');
  assert.ok(entriesOf(box, 'frozen').length > 0);
  await stopGuard(guard);
  guard = undefined;
  const ack = await runGuard(box, ['ack', ...mission(), '--note', 'try', '--yes-i-am-human']);
  assert.equal(ack.code, 1, ack.stdout + ack.stderr);
  assert.match(ack.stderr, ackRefusal);
  const status = await runGuard(box, ['status', ...mission()]);
  assert.equal(status.code, 3);
  assert.match(status.stdout, /if guard ack refuses: guard verify/);
  assert.match(status.stdout, /guard repair --mission \S+ --rebuild features\.json/);
}

describe('a frozen mission always has a way out', () => {
  test('f8 held by no stored version: repair --rebuild writes it from durable truth; verify and ack pass', async () => {
    await stuck();
    const rebuilt = await runGuard(box, ['repair', ...mission(), '--rebuild', 'features.json', '--yes']);
    assert.equal(rebuilt.code, 0, rebuilt.stdout + rebuilt.stderr);
    assert.match(rebuilt.stdout, /brought back: f8-export \(completed\), written from durable truth: no stored version holds it/);
    const doc = JSON.parse(readFileSync(featuresFile(), 'utf8')) as { features: Feature[] };
    const item = doc.features.find((feature) => feature.id === 'f8-export');
    assert.equal(item?.status, 'completed');
    assert.equal(item?.completedWorkerSessionId, 'w8');
    const verify = await runGuard(box, ['verify', ...mission()]);
    assert.equal(verify.code, 0, verify.stdout);
    const ack = await runGuard(box, ['ack', ...mission(), '--note', 'f8 rebuilt from its worker success', '--yes-i-am-human']);
    assert.equal(ack.code, 0, ack.stdout + ack.stderr);
  });

  test('f8 approved by the hook before it was overwritten: its stored bytes bring it back whole', async () => {
    const body = { session_id: 'orch', cwd: box.mission, hook_event_name: 'PreToolUse', tool_name: 'Create', tool_input: { file_path: 'features.json', content: withF8() } };
    const allowed = await runGuard(box, ['hook'], { input: JSON.stringify(body) });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(entriesOf(box, 'hook-allowed').at(-1)?.digest, sha(withF8()));
    const shown = await runGuard(box, ['show', ...mission(), sha(withF8())]);
    assert.equal(shown.stdout, withF8(), 'the approved bytes are stored');
    const store = await MissionStore.open(box.home, box.mission, loadDroidProfile());
    const newest = await store.newestApproved('features.json');
    assert.equal(newest?.digest, sha(withF8()));
    assert.equal(newest?.bytes.toString('utf8'), withF8());

    await stuck(withF8(), /f8-export/);
    const rebuilt = await runGuard(box, ['repair', ...mission(), '--rebuild', 'features.json', '--yes']);
    assert.equal(rebuilt.code, 0, rebuilt.stdout + rebuilt.stderr);
    const item = (JSON.parse(readFileSync(featuresFile(), 'utf8')) as { features: Feature[] }).features.find((feature) => feature.id === 'f8-export');
    assert.equal(item?.description, f8.description, 'the approved version, not a synthesized one');
    assert.equal(item?.status, 'completed');
    assert.equal((await runGuard(box, ['verify', ...mission()])).code, 0);
  });
});
