// The pause line races droid's appends (the guard's own-writes issue, item 2): while the guard
// appends `mission_paused` again and again, droid appends too. Every reaction acts on what is on
// disk at that moment; the guard never removes a line it did not judge bad, and its pause lands.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { failOnLeakedChildren, FIXTURES, journal, kinds, sandbox, spawnNode, startWatch, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

test('droid appending 1500 lines while the guard pauses it again and again: no line of droid lost, no log incident', async () => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  guard = await startWatch(box);
  writeFileSync(join(box.mission, 'features.json'), featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' })));
  await until(() => kinds(box, 'scheduler-paused')[0], 'the first pause');
  const appender = spawnNode(box, [join(FIXTURES, 'log-appender.mjs'), box.mission, '1500', '60']);
  const result = await appender.done;
  assert.equal(result.code, 0, result.stderr);
  const log = join(box.mission, 'progress_log.jsonl');
  await until(() => kinds(box, 'scheduler-paused').length > 1, 'the guard paused again when the runner unpaused', 60_000);
  await until(() => JSON.parse(readFileSync(join(box.mission, 'state.json'), 'utf8')).state === 'paused', 'state.json paused again', 60_000);
  // The guardian has caught up with the last append (it is journaled), and with the last re-pause.
  await until(() => {
    const text = readFileSync(log, 'utf8');
    return journal(box).some((entry) => entry.kind === 'write-accepted' && entry.path === 'progress_log.jsonl' && entry.size === Buffer.byteLength(text));
  }, 'the last log version judged', 60_000);
  const lines = readFileSync(log, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string; spawnId?: string });
  const spawned = lines.filter((line) => line.type === 'worker_started').map((line) => line.spawnId);
  assert.deepEqual(spawned, Array.from({ length: 1500 }, (_, n) => `spawn-${n}`), "every line droid appended is on disk, in order");
  assert.ok(lines.some((line) => line.type === 'mission_paused'), 'the pause line landed');
  const logIncidents = journal(box).filter((entry) => (entry.kind === 'write-rejected' || entry.kind === 'restored') && entry.path === 'progress_log.jsonl');
  assert.deepEqual(logIncidents, [], 'the log was never judged bad nor rolled back');
});
