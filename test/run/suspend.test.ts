// guard run --suspend-child: the child's process group is stopped while the mission is frozen
// and continued after `guard ack` (from another process, as a human would run it).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { failOnLeakedChildren, journalHas, runGuard, sandbox, spawnGuard, until, type Sandbox } from '../helpers/index.js';
import { childPid, fixture, processState, readCounter } from './run-helpers.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

test('--suspend-child stops a child that writes a counter while frozen and continues it after ack', async () => {
  const counter = join(box.dir, 'counter.txt');
  const guard = spawnGuard(box, ['run', '--mission', box.mission, '--suspend-child', '--', process.execPath, fixture('counter.mjs'), counter]);
  const pid = await childPid(box);
  await until(() => readCounter(counter) >= 3, 'the counter to advance');

  const good = readFileSync(join(box.mission, 'features.json'), 'utf8');
  writeFileSync(join(box.mission, 'features.json'), featureText(withFeature(baseFeatures(), 'f2-logout', { status: 'pending' })));
  await until(() => journalHas(box, 'frozen'), 'the mission to freeze');
  await until(() => readFileSync(join(box.mission, 'features.json'), 'utf8') === good, 'features.json restored');
  if (processState(pid) !== undefined) await until(() => processState(pid) === 'T', 'the child to be stopped (SIGSTOP)');
  // Stopped: the counter holds still across several reads.
  const held = readCounter(counter);
  for (let read = 0; read < 5; read++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(readCounter(counter), held, 'the counter must not advance while the mission is frozen');
  }
  assert.match(guard.stderr(), /mission frozen: stopped/);

  const ack = await runGuard(box, ['ack', '--mission', box.mission, '--note', 'restored by the guard; checked', '--yes-i-am-human']);
  assert.equal(ack.code, 0, ack.stderr);
  await until(() => readCounter(counter) > held + 2, 'the counter to advance again after ack');
  if (processState(pid) !== undefined) assert.notEqual(processState(pid), 'T');

  guard.process.kill('SIGTERM');
  const result = await guard.done;
  assert.equal(result.code, 128 + 15, `the child died of the forwarded SIGTERM: ${result.stderr}`);
  assert.equal(result.stdout, '');
});
