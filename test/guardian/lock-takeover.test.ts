// A guardian killed between making its lock dir and writing the owner file (issue 9 item 9): the
// next guardian takes the lock over within a few seconds instead of waiting out the 60 s stale
// window, and two guardians starting at once on such a lock never both win.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission } from '../../src/demo/droid-files.js';
import { baseFeatures } from '../helpers/droid.js';
import { failOnLeakedChildren, kinds, runGuard, spawnGuard, startWatch, statePaths, stopGuard, until, type GuardProcess, type Sandbox, sandbox } from '../helpers/index.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

/** Far below the 60 s stale window, with room for a loaded machine. */
const TAKEOVER_BOUND_MS = 20_000;

function plantOwnerlessLock(ageMs: number): string {
  const paths = statePaths(box);
  mkdirSync(paths.dir, { recursive: true });
  mkdirSync(paths.guardianLock);
  const then = new Date(Date.now() - ageMs);
  utimesSync(paths.guardianLock, then, then);
  return paths.guardianLock;
}

describe('an owner-less guardian lock', () => {
  test('an old one (its maker died) is taken over at once', async () => {
    plantOwnerlessLock(10_000);
    const started = Date.now();
    const guard = await startWatch(box);
    assert.ok(Date.now() - started < TAKEOVER_BOUND_MS);
    await stopGuard(guard);
  });

  test('a fresh one without a live starter is taken over after the short grace', async () => {
    plantOwnerlessLock(0);
    const started = Date.now();
    const guard = await startWatch(box);
    assert.ok(Date.now() - started < TAKEOVER_BOUND_MS);
    await stopGuard(guard);
  });

  test('a real guardian SIGKILLed between the lock dir and the owner file: the next one starts within seconds', async () => {
    const crashing = spawnGuard(box, ['watch', box.mission], { env: { ...box.env, GUARD_CRASH_AFTER: 'lock-dir' } });
    assert.equal((await crashing.done).signal, 'SIGKILL');
    const paths = statePaths(box);
    assert.equal(existsSync(paths.guardianLock), true, 'the lock dir was made');
    assert.equal(existsSync(`${paths.guardianLock}.owner.json`), false, 'no owner file was written');
    const started = Date.now();
    const guard = await startWatch(box);
    assert.ok(Date.now() - started < TAKEOVER_BOUND_MS, `took ${Date.now() - started} ms`);
    await stopGuard(guard);
  });

  test('two guardians starting at once on an orphaned lock: exactly one wins', async () => {
    for (let round = 0; round < 3; round++) {
      plantOwnerlessLock(10_000);
      const before = kinds(box, 'baseline').length;
      const guards: GuardProcess[] = [spawnGuard(box, ['watch', box.mission]), spawnGuard(box, ['watch', box.mission])];
      const loser = await Promise.race(guards.map((guard) => guard.done.then(() => guard)));
      assert.equal(loser.process.exitCode, 4, loser.stderr());
      const winner = guards.find((guard) => guard !== loser) as GuardProcess;
      await until(() => kinds(box, 'baseline').length > before, 'the winner baselines');
      assert.equal(kinds(box, 'guard-started').filter((entry) => entry.seq > 0).length, round + 1, 'one guard-started per round');
      await stopGuard(winner);
    }
  });

  // Another starter that arrived at the dead lock after it died (its intent is newer than the lock
  // dir) did not make it and is waiting too: it must not hold this one back. Before, each waited
  // for the other's intent until both gave up with LOCK_HELD and the mission went unguarded.
  test('a live starter whose intent is newer than the dead lock does not hold the takeover back', async () => {
    const lock = plantOwnerlessLock(10_000);
    await withOtherStarter(lock, 0, async () => {
      const guard = await startWatch(box);
      await stopGuard(guard);
    });
  });

  test('a live starter whose intent is older than the lock dir may have made it: it is waited for', async () => {
    const lock = plantOwnerlessLock(10_000);
    await withOtherStarter(lock, 11_000, async () => {
      const refused = await runGuard(box, ['watch', box.mission], { timeoutMs: 60_000 });
      assert.equal(refused.code, 4, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /another guardian \(starting up\)/);
      assert.equal(existsSync(lock), true, 'the lock dir it may own was left alone');
    });
  });
});

// Run `work` while a live process (a `sleep`) has a starter's intent file beside `lock`, written `ageMs` ago.
async function withOtherStarter(lock: string, ageMs: number, work: () => Promise<void>): Promise<void> {
  const other = spawn('sleep', ['120'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => other.once('exit', resolve));
  try {
    const pid = other.pid as number;
    const intent = `${lock}.starting-${pid}`;
    writeFileSync(intent, '');
    const then = new Date(Date.now() - ageMs);
    utimesSync(intent, then, then);
    await work();
  } finally {
    other.kill('SIGKILL');
    await exited;
  }
}
