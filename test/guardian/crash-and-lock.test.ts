// One guardian per mission, and crash safety: a guardian SIGKILLed at any step of an incident
// is finished by the next start from the journal.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { guardTempOwner } from '../../src/store/atomic-write.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import {
  failOnLeakedChildren,
  journal,
  kinds,
  runGuard,
  runWriter,
  sandbox,
  sha,
  spawnGuard,
  startWatch,
  statePaths,
  stopGuard,
  until,
  type Sandbox,
} from '../helpers/index.js';

let box: Sandbox;
let goodText: string;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  goodText = readFileSync(join(box.mission, 'features.json'), 'utf8');
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

// The journal's chain and seq, checked the way `guard log` reads it.
async function assertConsistentJournal(): Promise<void> {
  const log = await runGuard(box, ['log', '--mission', box.mission, '--json']);
  assert.equal(log.code, 0, log.stderr);
  const entries = journal(box);
  entries.forEach((entry, index) => assert.equal(entry.seq, index + 1));
}

describe('the guardian lock', () => {
  test('a second guardian on the same mission exits 4 naming the holder', async () => {
    const first = await startWatch(box);
    const second = await runGuard(box, ['watch', box.mission]);
    assert.equal(second.code, 4);
    assert.match(second.stderr, /already guarded by guardian pid \d+/);
    assert.match(second.stderr, new RegExp(String(first.process.pid)));
    await stopGuard(first);
    assert.equal(kinds(box, 'guard-stopped').length, 1, 'only the first guardian journaled a stop');
  });

  test('a lock left by a SIGKILLed guardian is recovered at once', async () => {
    const first = await startWatch(box);
    await stopGuard(first, 'SIGKILL');
    const started = Date.now();
    const second = await startWatch(box);
    assert.ok(Date.now() - started < 15_000, 'did not wait out the 30 s stale window');
    await stopGuard(second);
  });

  test("a dead holder's lock taken over by a guardian that has not yet written its owner file is left alone", async () => {
    const first = await startWatch(box);
    await stopGuard(first, 'SIGKILL');
    // What a second guardian's takeover looks like in its first milliseconds: the dead holder's
    // lock removed and a fresh one made, the owner file still the dead holder's.
    const lockDir = statePaths(box).guardianLock;
    rmSync(lockDir, { recursive: true });
    mkdirSync(lockDir);
    writeFileSync(`${lockDir}.starting-${process.pid}`, ''); // its intent file: the starter is alive (this test process)
    const third = await runGuard(box, ['watch', box.mission]);
    assert.equal(third.code, 4, third.stdout + third.stderr);
    assert.match(third.stderr, /already guarded by another guardian \(starting up\)/);
    assert.equal(existsSync(lockDir), true, 'the fresh lock is not removed');
  });

  test('SIGTERM and SIGINT stop cleanly and journal it', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const guard = await startWatch(box);
      const result = await stopGuard(guard, signal);
      assert.equal(result.code, 0, result.stderr);
      const stop = kinds(box, 'guard-stopped').pop();
      assert.equal(stop?.kind === 'guard-stopped' && stop.reason, `stopped by ${signal}`);
    }
  });
});

describe('a guardian killed mid-incident', () => {
  for (const step of ['write-rejected', 'frozen', 'restored']) {
    test(`SIGKILL right after journaling ${step}: the restart ends restored and frozen`, async () => {
      const env = { ...box.env, GUARD_CRASH_AFTER: step };
      const crashing = spawnGuard(box, ['watch', box.mission], { env });
      await until(() => kinds(box, 'baseline').length > 0, 'baseline');
      const bad = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));
      await runWriter(box, [{ op: 'write', file: join(box.mission, 'features.json'), text: bad }]);
      const crashed = await crashing.done;
      assert.equal(crashed.signal, 'SIGKILL');

      const restarted = await startWatch(box);
      await until(() => readFileSync(join(box.mission, 'features.json'), 'utf8') === goodText, 'features.json restored');
      await until(() => existsSync(join(box.mission, '.guard-frozen')), 'sentinel');
      await until(() => kinds(box, 'scheduler-paused').length > 0, 'scheduler paused');
      await stopGuard(restarted);

      assert.equal(kinds(box, 'write-rejected').length, 1, 'one incident, not a second one for the same bytes');
      assert.equal(kinds(box, 'frozen').length, 1);
      const incident = kinds(box, 'write-rejected')[0]?.seq;
      assert.ok(kinds(box, 'restored').some((entry) => entry.kind === 'restored' && entry.incident === incident));
      assert.equal(JSON.parse(readFileSync(join(box.mission, 'state.json'), 'utf8')).state, 'paused');
      await assertConsistentJournal();
      const status = await runGuard(box, ['status', '--mission', box.mission, '--json']);
      assert.equal(status.code, 3);
    });
  }
});

describe('a guardian killed with the restore staged', () => {
  // The restore's new file is staged while the rejected version is stored and journaled (off the
  // latency path, src/guardian/reactions.ts): a crash right after the rejection is journaled
  // leaves that temp sibling, which the next start removes before it restores.
  test('SIGKILL right after journaling write-rejected: the staged temp is there, the restart removes it and restores', async () => {
    const crashing = spawnGuard(box, ['watch', box.mission], { env: { ...box.env, GUARD_CRASH_AFTER: 'write-rejected' } });
    await until(() => kinds(box, 'baseline').length > 0, 'baseline');
    const bad = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));
    await runWriter(box, [{ op: 'write', file: join(box.mission, 'features.json'), text: bad }]);
    assert.equal((await crashing.done).signal, 'SIGKILL');
    const staged = guardTemps().filter((name) => name.startsWith('.features.json.'));
    assert.equal(staged.length, 1, `the restore was staged before the rejection was journaled (found ${guardTemps().join(', ') || 'no guard temp'})`);
    assert.equal(readFileSync(join(box.mission, staged[0] as string), 'utf8'), goodText, 'what is staged is last good');

    const restarted = await startWatch(box);
    await until(() => readFileSync(join(box.mission, 'features.json'), 'utf8') === goodText, 'features.json restored');
    await until(() => kinds(box, 'scheduler-paused').length > 0, 'scheduler paused');
    await stopGuard(restarted);
    assert.deepEqual(guardTemps(), [], 'no guard temp file is left');
    assert.equal(kinds(box, 'write-rejected').length, 1);
  });
});

// The guard's own temp siblings in the mission dir (named with its pid: store/atomic-write.ts).
function guardTemps(): string[] {
  return readdirSync(box.mission, { recursive: true, encoding: 'utf8' }).filter((name) => guardTempOwner(basename(name)) !== undefined);
}

describe('a guardian killed after rejecting a first version that has no last good', () => {
  test('the restart finishes the reaction: the bad synthesis.json goes to quarantine, nothing freezes', async () => {
    const synthesis = join(box.mission, 'validation', 'm1', 'scrutiny', 'synthesis.json');
    const env = { ...box.env, GUARD_CRASH_AFTER: 'write-rejected' };
    const crashing = spawnGuard(box, ['watch', box.mission], { env });
    await until(() => kinds(box, 'baseline').length > 0, 'baseline');
    await runWriter(box, [{ op: 'write', file: synthesis, text: '{"milestone": "m1", "round": ' }]);
    assert.equal((await crashing.done).signal, 'SIGKILL');

    const restarted = await startWatch(box);
    await until(() => !existsSync(synthesis), 'the bad first version removed (kept in quarantine)');
    await stopGuard(restarted);
    const [rejected] = kinds(box, 'write-rejected');
    assert.ok(rejected?.kind === 'write-rejected' && rejected.digest === sha('{"milestone": "m1", "round": '));
    assert.ok(kinds(box, 'restored').some((entry) => entry.kind === 'restored' && entry.incident === rejected.seq && entry.digest === null));
    assert.deepEqual(kinds(box, 'frozen'), [], 'a finalization artifact never freezes the mission');
    await assertConsistentJournal();
  });
});

describe('journal damage', () => {
  test('a torn last line is cut on open, journaled, and its bytes kept', async () => {
    const guard = await startWatch(box);
    await stopGuard(guard);
    const file = statePaths(box).journal;
    const torn = '{"v":1,"seq":99,"at":"2026-11-26T00:00:00.000Z","ki';
    appendFileSync(file, torn);
    const status = await runGuard(box, ['status', '--mission', box.mission, '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { journal: { tornBytes: number } }).journal.tornBytes, torn.length);

    const again = await startWatch(box);
    await stopGuard(again);
    const repaired = kinds(box, 'journal-repaired');
    assert.equal(repaired.length, 1);
    const entry = repaired[0];
    assert.ok(entry?.kind === 'journal-repaired');
    assert.equal(entry.cutBytes, torn.length);
    assert.equal(entry.object, sha(torn));
    const show = readFileSync(file, 'utf8');
    assert.equal(show.includes('"ki\n'), false);
    await assertConsistentJournal();
  });

  test('a tampered middle line makes the guard refuse to act (exit 74) until repaired', async () => {
    const guard = await startWatch(box);
    await stopGuard(guard);
    const file = statePaths(box).journal;
    const lines = readFileSync(file, 'utf8').split('\n');
    const tampered = (lines[1] as string).replace(/"at":"[^"]*"/, '"at":"2000-01-01T00:00:00.000Z"');
    assert.notEqual(tampered, lines[1], 'line 2 has an "at" field to tamper with');
    lines[1] = tampered;
    writeFileSync(file, lines.join('\n'));
    for (const args of [['watch', box.mission], ['status', '--mission', box.mission], ['ack', '--mission', box.mission, '--note', 'x', '--yes-i-am-human']]) {
      const result = await runGuard(box, args);
      assert.equal(result.code, 74, `${args[0]}: ${result.stderr}`);
      assert.match(result.stderr, /journal .* is damaged: line 3 does not chain/);
      assert.match(result.stderr, /guard repair --mission \S+ --journal/);
    }
  });
});
