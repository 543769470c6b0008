// The mission watcher: one watch per directory, hints for every change under it, new directories
// watched (their files hinted), replaced directories watched again, temp siblings ignored.
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { watchMission, type MissionWatcher } from '../../src/watch/mission-watcher.js';
import { sandbox, until, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let watcher: MissionWatcher | undefined;
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  box.cleanup();
});

function start(): { hints: Set<string>; errors: Error[] } {
  const hints = new Set<string>();
  const errors: Error[] = [];
  watcher = watchMission(box.mission, (path) => hints.add(path), (error) => errors.push(error));
  return { hints, errors };
}

test('writes in the mission dir and in nested directories are hinted; the initial scan hints nothing', async () => {
  box = sandbox();
  mkdirSync(join(box.mission, 'validation', 'm1', 'scrutiny'), { recursive: true });
  writeFileSync(join(box.mission, 'features.json'), '{}');
  writeFileSync(join(box.mission, 'validation', 'm1', 'scrutiny', 'synthesis.json'), '{}');
  const { hints, errors } = start();
  await watcher?.ready;
  assert.deepEqual([...hints], []);
  writeFileSync(join(box.mission, 'features.json'), '{"a":1}');
  writeFileSync(join(box.mission, 'validation', 'm1', 'scrutiny', 'synthesis.json'), '{"b":1}');
  await until(() => hints.has('features.json') && hints.has('validation/m1/scrutiny/synthesis.json'), 'both writes hinted');
  assert.deepEqual(errors, []);
});

test('a new directory is watched and the files already in it are hinted (a rename of a filled directory too)', async () => {
  box = sandbox();
  const { hints } = start();
  await watcher?.ready;
  // Filled elsewhere, then renamed in at once: no event for its files, only for the directory.
  const outside = join(box.dir, 'prepared');
  mkdirSync(join(outside, 'scrutiny'), { recursive: true });
  writeFileSync(join(outside, 'scrutiny', 'synthesis.json'), '{}');
  mkdirSync(join(box.mission, 'validation'));
  renameSync(outside, join(box.mission, 'validation', 'm2'));
  await until(() => hints.has('validation/m2/scrutiny/synthesis.json'), 'the file of the renamed-in directory hinted');
  hints.clear();
  writeFileSync(join(box.mission, 'validation', 'm2', 'scrutiny', 'synthesis.json'), '{"c":1}');
  await until(() => hints.has('validation/m2/scrutiny/synthesis.json'), 'a write in it hinted');
});

test('a directory removed and made again is watched again; temp siblings are not hinted', async () => {
  box = sandbox();
  mkdirSync(join(box.mission, 'handoffs'));
  const { hints } = start();
  await watcher?.ready;
  rmSync(join(box.mission, 'handoffs'), { recursive: true });
  await until(() => hints.has('handoffs'), 'the removal hinted');
  mkdirSync(join(box.mission, 'handoffs'));
  writeFileSync(join(box.mission, 'handoffs', 'w1.json'), '{}');
  await until(() => hints.has('handoffs/w1.json'), 'a file of the new directory hinted');
  hints.clear();
  writeFileSync(join(box.mission, '.features.json.0123456789ab.tmp'), '{}');
  writeFileSync(join(box.mission, 'handoffs', 'w2.json'), '{}');
  await until(() => hints.has('handoffs/w2.json'), 'a later write hinted');
  assert.equal([...hints].some((path) => path.endsWith('.tmp')), false, [...hints].join(', '));
});
