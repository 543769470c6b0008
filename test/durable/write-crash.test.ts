// The guard's own writes (issue 9 items 3-4): a `guard write` SIGKILLed between its journal entry
// and its rename is rolled forward by the next command that opens the mission (journaled, no
// freeze, verify green); concurrent `guard write`s rename in journal order.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { completed, entriesOf } from '../helpers/durable.js';
import { failOnLeakedChildren, runGuard, sandbox, sha, spawnGuard, startWatch, stopGuard, until, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let features: Feature[];

beforeEach(async () => {
  box = sandbox();
  features = baseFeatures();
  createMission(box.mission, features);
  await stopGuard(await startWatch(box));
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

const featuresFile = () => join(box.mission, 'features.json');
const text = () => readFileSync(featuresFile(), 'utf8');

// `guard write` SIGKILLed right after its journal entry (the test-only failpoint).
async function killedWrite(next: string): Promise<void> {
  const result = await runGuard(box, ['write', '--mission', box.mission, 'features.json'], { input: next, env: { ...box.env, GUARD_FAILPOINT: 'after-journal' } });
  assert.equal(result.signal, 'SIGKILL', `the failpoint killed guard write: ${result.code} ${result.stderr}`);
}

describe('guard write killed between its journal entry and its rename', () => {
  test('the next guardian start rolls it forward: journaled, no freeze, verify green', async () => {
    const old = text();
    const next = featureText(completed(features, 'f3-profile', 'w3'));
    await killedWrite(next);
    assert.equal(text(), old, 'the rename never happened');
    const intent = entriesOf(box, 'write-accepted').at(-1);
    assert.equal(intent?.digest, sha(next));
    assert.equal(intent?.replaced, sha(old));

    const guard = await startWatch(box);
    try {
      assert.equal(text(), next, 'rolled forward');
      const recovered = entriesOf(box, 'repaired').filter((entry) => entry.action === 'write-recovered');
      assert.equal(recovered.length, 1);
      assert.equal(recovered[0]?.digest, sha(next));
      assert.equal(recovered[0]?.replaced, sha(old));
      assert.deepEqual(entriesOf(box, 'frozen'), []);
      assert.deepEqual(entriesOf(box, 'write-rejected'), []);
      assert.equal(entriesOf(box, 'baseline').at(-1)?.frozen, false);
      const verify = await runGuard(box, ['verify', '--mission', box.mission]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    } finally {
      await stopGuard(guard);
    }
  });

  test('any command that opens the mission rolls it forward first (here: the next guard write), once', async () => {
    const next = featureText(completed(features, 'f3-profile', 'w3'));
    await killedWrite(next);
    const after = featureText(withFeature(completed(features, 'f3-profile', 'w3'), 'f4-search', { status: 'in_progress', workerSessionIds: ['w4'], currentWorkerSessionId: 'w4' }));
    const result = await runGuard(box, ['write', '--mission', box.mission, 'features.json'], { input: after });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(text(), after);
    const moves = entriesOf(box, 'write-accepted').filter((entry) => entry.by === 'guard-write').flatMap((entry) => entry.transitions);
    assert.deepEqual(moves.filter((move) => move.item === 'f4-search').map((move) => `${move.from}->${move.to}`), ['pending->in_progress'], 'judged against the rolled-forward version');
    assert.equal(entriesOf(box, 'repaired').filter((entry) => entry.action === 'write-recovered').length, 1);
    const verify = await runGuard(box, ['verify', '--mission', box.mission]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});

describe('concurrent guard writes', () => {
  test('a writer stalled between its entry and its rename: a later writer waits, so the file ends with the later version', async () => {
    const base = JSON.parse(text()) as { features: Feature[] };
    const first = featureText(withFeature(base.features, 'f4-search', { description: 'Search (first)' }));
    const second = featureText(withFeature(base.features, 'f4-search', { description: 'Search (second)' }));
    const release = join(box.dir, 'release-first');
    const stalled = spawnGuard(box, ['write', '--mission', box.mission, 'features.json'], { env: { ...box.env, GUARD_FAILPOINT: `after-journal-wait:${release}` } });
    stalled.process.stdin?.end(first);
    await until(() => entriesOf(box, 'write-accepted').some((entry) => entry.digest === sha(first)), 'the first write journaled');
    const later = spawnGuard(box, ['write', '--mission', box.mission, 'features.json']);
    later.process.stdin?.end(second);
    // Without ordering the later writer journals and renames now; with it, it waits for the lock
    // (the deadline then passes: it bounds how long the test looks for a wrong outcome).
    await until(() => later.process.exitCode !== null, 'the later write to finish', 10_000).catch(() => undefined);
    writeFileSync(release, '');
    const [a, b] = await Promise.all([stalled.done, later.done]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const order = entriesOf(box, 'write-accepted').filter((entry) => entry.digest === sha(first) || entry.digest === sha(second)).map((entry) => entry.digest);
    assert.deepEqual(order, [sha(first), sha(second)]);
    assert.equal(text(), second, 'the file holds the version of the highest journal seq');
  });

  test('2-8 writers at once: every one accepted, the file ends with the version of the highest journal seq', async () => {
    for (const writers of [2, 4, 8]) {
      const base = JSON.parse(text()) as { features: Feature[] };
      const versions = Array.from({ length: writers }, (_, index) => featureText(withFeature(base.features, 'f4-search', { description: `Search v${writers}.${index}` })));
      const results = await Promise.all(versions.map((version) => runGuard(box, ['write', '--mission', box.mission, 'features.json'], { input: version })));
      for (const result of results) assert.equal(result.code, 0, result.stdout + result.stderr);
      const last = entriesOf(box, 'write-accepted').filter((entry) => entry.path === 'features.json').at(-1);
      assert.ok(versions.some((version) => sha(version) === last?.digest));
      assert.equal(sha(text()), last?.digest, `${writers} writers: the file holds the newest journaled version`);
    }
    assert.deepEqual(readdirSync(box.mission).filter((name) => name.endsWith('.tmp')), []);
    const verify = await runGuard(box, ['verify', '--mission', box.mission]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});
