// The core protection loop end to end: a real `guard watch` process, a real writer process,
// the real watcher. Assertions are on the bytes on disk and on the journal.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { ObjectStore } from '../../src/store/objects.js';
import type { Digest } from '../../src/core/types.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import {
  acceptedDigest,
  failOnLeakedChildren,
  journal,
  kinds,
  runGuard,
  runWriter,
  sandbox,
  sha,
  startWatch,
  statePaths,
  stopGuard,
  stopTestGuard,
  until,
  type GuardProcess,
  type Sandbox,
} from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;
let features: Feature[];
let goodText: string;

beforeEach(async () => {
  box = sandbox();
  features = baseFeatures();
  createMission(box.mission, features);
  goodText = readFileSync(join(box.mission, 'features.json'), 'utf8');
  guard = await startWatch(box);
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const featuresFile = () => join(box.mission, 'features.json');

// Write `bad` to features.json and wait for the whole reaction: restored, frozen, sentinel.
async function expectRejectedAndRestored(path: string, bad: string | Buffer, restoredTo: string | Buffer): Promise<void> {
  const file = join(box.mission, path);
  await runWriter(box, [{ op: 'write', file, text: bad.toString() }]);
  const restored = await until(() => kinds(box, 'restored')[0], `${path} restored`);
  assert.ok(restored.kind === 'restored');
  assert.equal(restored.digest, sha(restoredTo), 'the exact last good bytes were put back');
  // The freeze then pauses droid by rewriting state.json, so only other files stay byte-equal.
  if (path !== 'state.json') assert.equal(readFileSync(file).equals(Buffer.from(restoredTo)), true, 'the file holds the exact last good bytes');
  const rejected = kinds(box, 'write-rejected')[0];
  assert.ok(rejected !== undefined && rejected.kind === 'write-rejected');
  assert.equal(rejected.path, path);
  assert.equal(rejected.digest, sha(bad));
  const quarantined = await new ObjectStore(statePaths(box).objects).get(rejected.digest as Digest);
  assert.equal(Buffer.from(quarantined).equals(Buffer.from(bad)), true, 'the bad bytes are in quarantine');
  await until(() => existsSync(join(box.mission, '.guard-frozen')), 'sentinel written');
  assert.equal(kinds(box, 'frozen').length, 1);
}

describe('rejected writes are rolled back and freeze the mission', () => {
  test('a crash-truncated features.json is restored to the exact last good bytes; ack unfreezes', async () => {
    await expectRejectedAndRestored('features.json', goodText.slice(0, goodText.length / 2), goodText);
    const sentinel = JSON.parse(readFileSync(join(box.mission, '.guard-frozen'), 'utf8')) as { artifact: string; ack: string };
    assert.equal(sentinel.artifact, 'features.json');
    assert.match(sentinel.ack, /guard ack --mission/);
    const state = JSON.parse(readFileSync(join(box.mission, 'state.json'), 'utf8')) as { state: string };
    await until(() => kinds(box, 'scheduler-paused').length > 0, 'scheduler paused');
    assert.equal(JSON.parse(readFileSync(join(box.mission, 'state.json'), 'utf8')).state, 'paused', `state was ${state.state}`);
    assert.match(readFileSync(join(box.mission, 'progress_log.jsonl'), 'utf8'), /"type":"mission_paused"/);

    const status = await runGuard(box, ['status', '--mission', box.mission, '--json']);
    assert.equal(status.code, 3);
    const report = JSON.parse(status.stdout) as { frozen: boolean; incidents: unknown[]; artifacts: Array<{ path: string; health: string; lastGood: string }> };
    assert.equal(report.frozen, true);
    assert.equal(report.incidents.length, 1);
    assert.equal(report.artifacts.find((row) => row.path === 'features.json')?.lastGood, sha(goodText));

    const ack = await runGuard(box, ['ack', '--mission', box.mission, '--note', 'restored by the guard; checked', '--yes-i-am-human']);
    assert.equal(ack.code, 0, ack.stderr);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);
    await until(() => kinds(box, 'acknowledged').length === 1, 'acknowledged');
    const after = await runGuard(box, ['status', '--mission', box.mission, '--json']);
    assert.equal(after.code, 0);
    assert.equal((JSON.parse(after.stdout) as { frozen: boolean }).frozen, false);
    assert.equal(kinds(box, 'tamper').length, 0, 'ack removing the sentinel is not tampering');
  });

  for (const [name, change] of [
    ['a completed feature set to pending', (list: Feature[]) => withFeature(list, 'f1-login', { status: 'pending' })],
    ['a completed feature removed', (list: Feature[]) => list.filter((feature) => feature.id !== 'f2-logout')],
    ['a completed feature without status (droid reads it as pending)', (list: Feature[]) => list.map((feature) => (feature.id === 'f2-logout' ? { ...feature, status: undefined as unknown as Feature['status'] } : feature))],
  ] as const) {
    test(`a parseable but wrong features.json is rejected: ${name}`, async () => {
      await expectRejectedAndRestored('features.json', featureText(change(features) as Feature[]), goodText);
    });
  }

  test('ack refuses while the mission still fails its checks, and says what is wrong', async () => {
    // A bad first version of a new handoff has no last good to restore: it stays, frozen.
    const handoff = join(box.mission, 'handoffs', 'x__f3-profile__w3.json');
    await runWriter(box, [{ op: 'write', file: handoff, text: '{"featureId": 3}' }]);
    await until(() => kinds(box, 'frozen').length > 0, 'frozen');
    const ack = await runGuard(box, ['ack', '--mission', box.mission, '--note', 'too early', '--yes-i-am-human']);
    assert.equal(ack.code, 1);
    assert.match(ack.stderr, /handoffs\/x__f3-profile__w3\.json/);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), true);
  });
});

describe("droid's legitimate writes are accepted with no incident", () => {
  test('truncate-then-write in two chunks, temp + rename, reorder, new features, requeue, validators on top, extra keys', async () => {
    const file = featuresFile();
    const requeued = withFeature(features, 'f3-profile', { status: 'pending', currentWorkerSessionId: null });
    const reordered = [...requeued].reverse();
    const grown = [...reordered, { id: 'f5-export', description: 'Export', status: 'pending' as const, milestone: 'm2', somethingNew: { nested: true } }];
    const validators = [
      { id: 'scrutiny-validator-m1', description: 'scrutiny', status: 'pending' as const, skillName: 'scrutiny-validator', milestone: 'm1' },
      { id: 'user-testing-validator-m1', description: 'user testing', status: 'pending' as const, skillName: 'user-testing-validator', milestone: 'm1' },
      ...grown,
    ];
    const started = withFeature(validators, 'scrutiny-validator-m1', { status: 'in_progress', workerSessionIds: ['w9'] });
    const overridden = withFeature(started, 'scrutiny-validator-m1', { status: 'completed', completedWorkerSessionId: 'w9' });
    const bare = JSON.stringify(overridden);
    const versions = [featureText(requeued), featureText(reordered), featureText(grown), featureText(validators), featureText(started), featureText(overridden)];
    await runWriter(box, [
      { op: 'write', file, text: versions[0], chunkPauseMs: 5 },
      { op: 'sleep', ms: 80 },
      { op: 'rename', file, text: versions[1] },
      { op: 'sleep', ms: 80 },
      { op: 'write', file, text: versions[2], chunkPauseMs: 3 },
      { op: 'sleep', ms: 80 },
      { op: 'rename', file, text: versions[3] },
      { op: 'sleep', ms: 80 },
      { op: 'write', file, text: versions[4] },
      { op: 'sleep', ms: 80 },
      { op: 'write', file, text: versions[5], chunkPauseMs: 5 },
      { op: 'sleep', ms: 80 },
      { op: 'write', file, text: bare },
    ]);
    await acceptedDigest(box, 'features.json', bare);
    assert.deepEqual(kinds(box, 'write-rejected'), []);
    assert.equal(readFileSync(file, 'utf8'), bare);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);
  });

  test('state.json heartbeats and progress-log appends', async () => {
    const stateFile = join(box.mission, 'state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
    const beat = (n: number) => `${JSON.stringify({ ...state, updatedAt: `2026-11-26T10:0${n}:00.000Z`, lastReviewedHandoffCount: n }, null, 2)}\n`;
    const log = join(box.mission, 'progress_log.jsonl');
    const line = (value: object) => `${JSON.stringify({ timestamp: '2026-11-26T10:00:00.000Z', ...value })}\n`;
    await runWriter(box, [
      { op: 'write', file: stateFile, text: beat(1) },
      { op: 'append', file: log, text: line({ type: 'worker_selected_feature', workerSessionId: 'w4', featureId: 'f4-search' }) },
      { op: 'append', file: log, text: line({ type: 'worker_started', workerSessionId: 'w4', spawnId: 's4', featureId: 'f4-search' }) },
      { op: 'sleep', ms: 80 },
      { op: 'write', file: stateFile, text: beat(2) },
      { op: 'append', file: log, text: line({ type: 'worker_completed', workerSessionId: 'w4', featureId: 'f4-search', successState: 'partial', returnToOrchestrator: true, exitCode: 0, extra: 'kept' }) },
    ]);
    await acceptedDigest(box, 'state.json', beat(2));
    await acceptedDigest(box, 'progress_log.jsonl', readFileSync(log));
    assert.deepEqual(kinds(box, 'write-rejected'), []);
  });
});

describe('timing: every final version is judged, nothing valid is clobbered', () => {
  test('a valid write that lands right after a bad one survives', async () => {
    const file = featuresFile();
    const valid = featureText(withFeature(features, 'f4-search', { status: 'in_progress', workerSessionIds: ['w4'] }));
    await runWriter(box, [
      { op: 'write', file, text: '{"features": [' },
      { op: 'sleep', ms: 10 },
      { op: 'write', file, text: valid },
    ]);
    await acceptedDigest(box, 'features.json', valid);
    // Give a mistaken restore every chance to happen: wait for the guardian to go quiet.
    await until(() => guard?.stdout().includes('accepted features.json') ?? false, 'accepted line printed');
    assert.equal(readFileSync(file, 'utf8'), valid);
    assert.deepEqual(kinds(box, 'restored'), []);
  });

  for (const gap of [5, 15, 30]) {
    test(`a bad write landing ${gap} ms after a valid one is caught and the newest accepted version restored`, async () => {
      const file = featuresFile();
      const valid = featureText(withFeature(features, 'f3-profile', { status: 'completed', completedWorkerSessionId: 'w3' }));
      const bad = featureText(withFeature(features, 'f1-login', { status: 'pending' }).map((feature) => (feature.id === 'f3-profile' ? { ...feature, status: 'completed' as const, completedWorkerSessionId: 'w3' } : feature)));
      await runWriter(box, [
        { op: 'write', file, text: valid },
        { op: 'sleep', ms: gap },
        { op: 'write', file, text: bad },
      ]);
      const restored = await until(() => kinds(box, 'restored')[0], 'restored');
      const rejected = kinds(box, 'write-rejected');
      assert.equal(rejected.length, 1);
      assert.equal(rejected[0]?.kind === 'write-rejected' && rejected[0].digest, sha(bad));
      // Whether a version that lived 5 ms was read depends on the scheduler (bursts.test.ts counts
      // how often); what came back is always the newest version the guard accepted.
      const now = readFileSync(file, 'utf8');
      const validSeen = kinds(box, 'write-accepted').some((entry) => entry.kind === 'write-accepted' && entry.digest === sha(valid));
      assert.equal(now, validSeen ? valid : goodText);
      assert.ok(restored.kind === 'restored' && restored.digest === sha(now));
    });
  }

  for (const mode of ['write', 'rename'] as const) {
    test(`a burst of 3,000 rewrites of features.json (${mode === 'write' ? 'in place' : 'by rename'}) ends with its final version judged`, async () => {
      const file = featuresFile();
      const texts = Array.from({ length: 3000 }, (_, index) => `${JSON.stringify({ features, revision: index })}\n`);
      await runWriter(box, [{ op: 'burst', file, mode, texts }]);
      await acceptedDigest(box, 'features.json', texts[texts.length - 1] as string);
      assert.deepEqual(kinds(box, 'write-rejected'), []);
    });
  }

  test('a bad final version at the end of a burst is caught and the newest judged good version restored', async () => {
    const file = featuresFile();
    const texts = Array.from({ length: 500 }, (_, index) => `${JSON.stringify({ features, revision: index })}\n`);
    const bad = `${JSON.stringify({ features: withFeature(features, 'f2-logout', { status: 'pending' }), revision: 'bad' })}\n`;
    await runWriter(box, [{ op: 'burst', file, mode: 'write', texts: [...texts, bad] }]);
    await until(() => kinds(box, 'restored').length > 0, 'restored');
    // Versions overwritten before the guard could read them were never seen; the restore goes to
    // the newest version it judged good, which is one of the burst's valid versions.
    const restored = readFileSync(file, 'utf8');
    const lastAccepted = kinds(box, 'write-accepted').filter((entry) => entry.kind === 'write-accepted' && entry.path === 'features.json').pop();
    assert.equal(lastAccepted?.kind === 'write-accepted' && lastAccepted.digest, sha(restored));
    assert.ok(texts.includes(restored) || restored === goodText);
  });
});

describe('evidence and write-once artifacts', () => {
  test('a malformed progress-log line is rejected and the log restored', async () => {
    const log = join(box.mission, 'progress_log.jsonl');
    const before = readFileSync(log, 'utf8');
    await runWriter(box, [{ op: 'append', file: log, text: '{"type":"worker_completed","timesta\n' }]);
    await until(() => kinds(box, 'restored').length > 0, 'restored');
    assert.equal(readFileSync(log, 'utf8'), before);
    assert.equal(kinds(box, 'frozen').length, 1);
  });

  test('a rewritten handoff is rejected', async () => {
    const file = join(box.mission, 'handoffs', '2026-11-26T10-00-00-000Z__f1-login__w1.json');
    const first = `${JSON.stringify({ timestamp: 't', workerSessionId: 'w1', featureId: 'f1-login', successState: 'success', handoff: { salientSummary: 'done' } }, null, 2)}\n`;
    await runWriter(box, [{ op: 'write', file, text: first }]);
    await acceptedDigest(box, 'handoffs/2026-11-26T10-00-00-000Z__f1-login__w1.json', first);
    await runWriter(box, [{ op: 'write', file, text: first.replace('done', 'rewritten') }]);
    await until(() => kinds(box, 'restored').length > 0, 'restored');
    assert.equal(readFileSync(file, 'utf8'), first);
  });

  test('a changed missionId is rejected', async () => {
    const file = join(box.mission, 'state.json');
    const good = readFileSync(file, 'utf8');
    const changed = good.replace(/mis_[0-9a-f]+/, 'mis_ffffffff');
    await expectRejectedAndRestored('state.json', changed, good);
    const missionId = (JSON.parse(good) as { missionId: string }).missionId;
    await until(() => kinds(box, 'scheduler-paused').length > 0, 'scheduler paused');
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { missionId: string }).missionId, missionId);
  });

  test('deleting features.json is a rejected write: it is put back', async () => {
    await runWriter(box, [{ op: 'delete', file: featuresFile() }]);
    await until(() => kinds(box, 'restored').length > 0, 'restored');
    assert.equal(readFileSync(featuresFile(), 'utf8'), goodText);
  });

  test('a bad synthesis.json is restored without freezing the mission', async () => {
    const file = join(box.mission, 'validation', 'm1', 'scrutiny', 'synthesis.json');
    const good = `${JSON.stringify({ milestone: 'm1', round: 1, status: 'pass', blockingIssues: [] }, null, 2)}\n`;
    await runWriter(box, [{ op: 'write', file, text: good }]);
    await acceptedDigest(box, 'validation/m1/scrutiny/synthesis.json', good);
    await runWriter(box, [{ op: 'write', file, text: '{"milestone":"m1","status":' }]);
    await until(() => kinds(box, 'restored').length > 0, 'restored');
    assert.equal(readFileSync(file, 'utf8'), good);
    assert.equal(kinds(box, 'frozen').length, 0);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);
    const status = await runGuard(box, ['status', '--mission', box.mission, '--json']);
    assert.equal(status.code, 0);
  });
});

describe('the sentinel is a projection of the journal', () => {
  test('deleting the sentinel without ack is tampering: it is put back and journaled', async () => {
    await expectRejectedAndRestored('features.json', '', goodText);
    const sentinel = join(box.mission, '.guard-frozen');
    const content = readFileSync(sentinel, 'utf8');
    await runWriter(box, [{ op: 'delete', file: sentinel }]);
    await until(() => kinds(box, 'tamper').length > 0, 'tamper journaled');
    await until(() => existsSync(sentinel) && readFileSync(sentinel, 'utf8') === content, 'sentinel put back');
  });
});

describe("droid's scheduler pause", () => {
  const guardPauses = () => readFileSync(join(box.mission, 'progress_log.jsonl'), 'utf8').split('\n').filter((line) => line.includes('"mission_paused"') && line.includes('mission guard: '));

  test('a state.json that is already paused still gets the mission_paused line, once, also across a restart', async () => {
    const stateFile = join(box.mission, 'state.json');
    const paused = `${JSON.stringify({ ...JSON.parse(readFileSync(stateFile, 'utf8')), state: 'paused' }, null, 2)}\n`;
    await runWriter(box, [{ op: 'write', file: stateFile, text: paused }]);
    await acceptedDigest(box, 'state.json', paused);

    await expectRejectedAndRestored('features.json', '', goodText);
    await until(() => kinds(box, 'scheduler-paused').length > 0, 'scheduler paused');
    assert.equal(guardPauses().length, 1);
    assert.equal(readFileSync(stateFile, 'utf8'), paused, 'state.json was paused already: not rewritten');

    await stopGuard(guard as GuardProcess);
    guard = await startWatch(box);
    assert.equal(guardPauses().length, 1, 'a restart while frozen adds no second line');
    assert.equal(kinds(box, 'scheduler-paused').length, 1);
  });
});

describe('the journal', () => {
  test('is hash-chained with contiguous seq', async () => {
    await runWriter(box, [{ op: 'write', file: featuresFile(), text: 'garbage' }]);
    await until(() => kinds(box, 'restored').length > 0, 'restored');
    const entries = journal(box);
    entries.forEach((entry, index) => assert.equal(entry.seq, index + 1));
    const lines = readFileSync(statePaths(box).journal, 'utf8').split('\n').filter(Boolean);
    lines.slice(1).forEach((line, index) => assert.equal((JSON.parse(line) as { prev: string }).prev, sha(lines[index] as string)));
  });
});
