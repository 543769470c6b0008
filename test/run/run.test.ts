// guard run with a generic child: exit codes, signals, fail-closed start, fatal guard errors.
// Real `guard run` processes, real children (test/fixtures), a real mission dir.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { failOnLeakedChildren, journal, kinds, runGuard, sandbox, spawnGuard, statePaths, until, type Sandbox } from '../helpers/index.js';
import { fixture } from './run-helpers.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

const run = (...command: string[]) => ['run', '--mission', box.mission, '--', process.execPath, ...command];

describe('guard run: exit status', () => {
  test("passes the child's exit code through and journals its start and exit", async () => {
    const result = await runGuard(box, run(fixture('exit-child.mjs'), 'code', '7'));
    assert.equal(result.code, 7, result.stderr);
    assert.equal(result.stdout, '', 'the guard writes nothing to stdout while the child owns the terminal');
    const [started] = kinds(box, 'child-started');
    assert.ok(started !== undefined && started.kind === 'child-started');
    assert.deepEqual(started.command, [process.execPath, fixture('exit-child.mjs'), 'code', '7']);
    assert.deepEqual(kinds(box, 'child-exited').map((entry) => entry.kind === 'child-exited' && [entry.code, entry.signal]), [[7, null]]);
    assert.equal(kinds(box, 'guard-stopped').length, 1, 'guardians are stopped cleanly');
  });

  test('exits 0 when the child does and nothing froze', async () => {
    const result = await runGuard(box, run(fixture('exit-child.mjs'), 'code', '0'));
    assert.equal(result.code, 0, result.stderr);
  });

  test('exits 128 + N when the child dies of signal N', async () => {
    const result = await runGuard(box, run(fixture('exit-child.mjs'), 'signal', 'SIGKILL'));
    assert.equal(result.code, 128 + 9, result.stderr);
    assert.deepEqual(kinds(box, 'child-exited').map((entry) => entry.kind === 'child-exited' && entry.signal), ['SIGKILL']);
  });

  test('a command that does not exist: 127 with a message, and the guard stops cleanly', async () => {
    const result = await runGuard(box, ['run', '--mission', box.mission, '--', 'no-such-orchestrator-xyz']);
    assert.equal(result.code, 127);
    assert.match(result.stderr, /cannot start no-such-orchestrator-xyz: command not found/);
    assert.equal(kinds(box, 'child-started').length, 0);
  });

  test('usage errors exit 2: no "--", nothing after it, --mission with --root', async () => {
    for (const args of [['run', '--mission', box.mission], ['run', '--mission', box.mission, '--'], ['run', '--mission', box.mission, '--root', box.dir, '--', 'true'], ['run', 'droid']]) {
      const result = await runGuard(box, args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /usage: guard run/);
    }
  });
});

describe('guard run --root with any command', () => {
  test('adopts the mission dirs under the root before the child starts and journals the child there', async () => {
    const root = join(box.dir, 'missions');
    const other = join(root, 'second');
    createMission(join(root, 'first'), baseFeatures());
    createMission(other, baseFeatures());
    const result = await runGuard(box, ['run', '--root', root, '--', process.execPath, fixture('exit-child.mjs'), 'code', '0']);
    assert.equal(result.code, 0, result.stderr);
    for (const mission of [join(root, 'first'), other]) {
      assert.equal(kinds(box, 'child-started', mission).length, 1, mission);
      assert.equal(kinds(box, 'child-exited', mission).length, 1, mission);
    }
  });
});

describe('guard run: signals sent to the guard reach the child', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    test(`${signal} is forwarded once and the guard exits with the child's code`, async () => {
      const record = join(box.dir, 'signal.txt');
      const ready = join(box.dir, 'ready.txt');
      const guard = spawnGuard(box, run(fixture('signal-child.mjs'), record, ready));
      await until(() => existsSync(ready), 'the child to install its handlers');
      guard.process.kill(signal);
      const result = await guard.done;
      assert.equal(result.code, 42, result.stderr);
      assert.equal(readFileSync(record, 'utf8'), signal);
      assert.deepEqual(kinds(box, 'child-exited').map((entry) => entry.kind === 'child-exited' && entry.code), [42]);
    });
  }
});

describe('guard run: fail closed', () => {
  test('a mission invalid at start is frozen and the child is never launched (exit 3)', async () => {
    writeFileSync(join(box.mission, 'features.json'), '{"features": [ {"id": ');
    const marker = join(box.dir, 'launched.txt');
    const result = await runGuard(box, run('-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x')`));
    assert.equal(result.code, 3, result.stderr);
    assert.equal(existsSync(marker), false, 'the child must not run');
    assert.match(result.stderr, /is frozen/);
    assert.match(result.stderr, /guard status --mission/);
    assert.match(result.stderr, /guard ack --mission .* --note/);
    assert.equal(kinds(box, 'child-started').length, 0);
  });

  test('a mission held by another guard: exit 4, the child is never launched', async () => {
    const first = spawnGuard(box, run(fixture('signal-child.mjs'), join(box.dir, 'signal.txt'), join(box.dir, 'ready.txt')));
    await until(() => existsSync(join(box.dir, 'ready.txt')), 'the first run to start its child');
    const marker = join(box.dir, 'launched.txt');
    const second = await runGuard(box, run('-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x')`));
    assert.equal(second.code, 4, second.stderr);
    assert.equal(existsSync(marker), false);
    first.process.kill('SIGTERM');
    assert.equal((await first.done).code, 42);
  });

  test('a fatal guard error (journal unwritable) stops the child and exits 74', async () => {
    const record = join(box.dir, 'signal.txt');
    const ready = join(box.dir, 'ready.txt');
    const guard = spawnGuard(box, run(fixture('signal-child.mjs'), record, ready));
    await until(() => existsSync(ready), 'the child to start');
    await until(() => journal(box).some((entry) => entry.kind === 'child-started'), 'child-started journaled');
    const file = statePaths(box).journal;
    rmSync(file);
    mkdirSync(file);
    // A valid new version must be journaled before the guard may accept it: it cannot be.
    writeFileSync(join(box.mission, 'features.json'), featureText(withFeature(baseFeatures(), 'f4-search', { description: 'Search v2' })));
    const result = await guard.done;
    assert.equal(result.code, 74, result.stderr);
    assert.equal(readFileSync(record, 'utf8'), 'SIGTERM', 'the child was asked to stop');
    assert.match(result.stderr, /no longer protected; stopping/);
    assert.doesNotMatch(result.stderr, /internal error/);
  });
});
