// The missions-root watcher: the root and each child dir not yet settled are watched (one level,
// nothing deeper); a marker written into a new dir is reported however soon after the dir it
// comes; a settled child's watch is released; a child removed is forgotten and one made again is
// watched again.
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { watchMissionsRoot, type RootWatcher } from '../../src/watch/root-watcher.js';
import { sandbox, until, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let watcher: RootWatcher | undefined;
afterEach(() => {
  watcher?.close();
  watcher = undefined;
  box.cleanup();
});

function start(root: string): { reported: string[]; errors: Error[]; children: string[] } {
  const reported: string[] = [];
  const errors: Error[] = [];
  const started = watchMissionsRoot(root, (child) => reported.push(child), (_path, error) => errors.push(error));
  watcher = started.watcher;
  return { reported, errors, children: started.children };
}

const candidates = () => [...(watcher?.candidates ?? [])].sort();

test('children present at start are listed and watched, not reported; a symlinked dir is neither', () => {
  box = sandbox();
  const root = join(box.dir, 'root');
  mkdirSync(join(root, 'a'), { recursive: true });
  mkdirSync(join(root, 'b'));
  writeFileSync(join(root, 'notes.txt'), '');
  symlinkSync(join(root, 'a'), join(root, 'link'));
  const { reported, children } = start(root);
  assert.deepEqual(children.sort(), [join(root, 'a'), join(root, 'b')]);
  assert.deepEqual(candidates(), [join(root, 'a'), join(root, 'b')]);
  assert.deepEqual(reported, []);
});

test('a new dir is reported, and so is a marker written into it right after it was made', async () => {
  box = sandbox();
  const root = join(box.dir, 'root');
  mkdirSync(root);
  const { reported, errors } = start(root);
  const mission = join(root, 'm1');
  mkdirSync(mission);
  writeFileSync(join(mission, 'features.json'), '{}');
  await until(() => reported.includes(mission), 'the new dir reported');
  assert.deepEqual(candidates(), [mission]);
  const before = reported.length;
  writeFileSync(join(mission, 'state.json'), '{}');
  await until(() => reported.length > before, 'a write at its top level reported');
  assert.deepEqual(errors, []);
});

test('a dir filled elsewhere and renamed into the root is reported once it is there', async () => {
  box = sandbox();
  const root = join(box.dir, 'root');
  mkdirSync(root);
  const { reported } = start(root);
  const outside = join(box.dir, 'project');
  mkdirSync(join(outside, '.taskmaster', 'tasks'), { recursive: true });
  renameSync(outside, join(root, 'project'));
  await until(() => reported.includes(join(root, 'project')), 'the renamed-in dir reported');
  assert.deepEqual(candidates(), [join(root, 'project')]);
});

test('a settled child is no longer watched; removed, it is forgotten; made again, it is watched and reported again', async () => {
  box = sandbox();
  const root = join(box.dir, 'root');
  const mission = join(root, 'm1');
  mkdirSync(join(root, 'project', '.taskmaster'), { recursive: true });
  mkdirSync(mission);
  const { reported } = start(root);
  assert.equal(candidates().length, 2);
  watcher?.settle(mission);
  watcher?.settle(join(root, 'project', '.taskmaster')); // a mission inside the child settles the child
  assert.deepEqual(candidates(), []);
  writeFileSync(join(mission, 'features.json'), '{}');
  rmSync(mission, { recursive: true });
  mkdirSync(mission);
  await until(() => reported.includes(mission) && candidates().includes(mission), 'the dir made again reported and watched');
  rmSync(mission, { recursive: true });
  await until(() => !candidates().includes(mission), 'the removed dir is no longer watched');
  watcher?.settle(join(box.dir, 'elsewhere')); // outside the root: nothing
  watcher?.settle(root);
});

test('close releases every watch', () => {
  box = sandbox();
  const root = join(box.dir, 'root');
  mkdirSync(join(root, 'a'), { recursive: true });
  start(root);
  assert.equal(candidates().length, 1);
  watcher?.close();
  assert.deepEqual(candidates(), []);
});
