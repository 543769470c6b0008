// The supervisor under a missions root, in process (real watcher, real guardians, GUARD_HOME in a
// temp dir): droid mission dirs and Task Master projects (adopted as PROJECT/.taskmaster with the
// Task Master profile), present at start or made later, markers written right after their dir;
// a child dir's watch is released once its mission is guarded; an ordinary project stays watched
// at its top level only and is adopted when `task-master init` runs in it.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createMission } from '../../src/demo/droid-files.js';
import { Supervisor } from '../../src/guardian/supervisor.js';
import { resolveProfile } from '../../src/profiles/profile.js';
import { baseFeatures } from '../helpers/droid.js';
import { journal, sandbox, sha, until, type Sandbox } from '../helpers/index.js';
import { createTaskMasterProject, tasksText, twoTags } from '../helpers/taskmaster.js';

let box: Sandbox;
let root: string;
let supervisor: Supervisor;
const errors: string[] = [];

beforeEach(() => {
  box = sandbox();
  root = join(box.dir, 'root');
  mkdirSync(root);
  errors.length = 0;
  supervisor = new Supervisor({
    guardHome: box.home,
    settleMs: 50,
    recheckMs: 0,
    mode: 'watch',
    hooks: false,
    profileFor: (dir) => resolveProfile(dir, {}, { guardHome: box.home, changed: 'last-adopted' }),
    onEntries: () => undefined,
    onFatal: (dir, error) => errors.push(`fatal ${dir}: ${error.message}`),
    onAdoptError: (dir, error) => errors.push(`${dir}: ${error.message}`),
  });
});

afterEach(async () => {
  await supervisor.stop('test over');
  box.cleanup();
});

const guarded = (mission: string) => until(() => supervisor.guardians.get(mission), `${mission} guarded`);
const baselined = (mission: string) => until(() => journal(box, mission).some((entry) => entry.kind === 'baseline'), `baseline of ${mission}`);

test('missions present at start: droid dirs and Task Master projects are adopted, each child released; an ordinary project stays watched', async () => {
  const droid = join(root, 'mission-1');
  createMission(droid, baseFeatures());
  const project = join(root, 'app');
  createTaskMasterProject(project);
  mkdirSync(join(root, 'plain', 'src', 'deep'), { recursive: true });
  await supervisor.watchRoot(root, true);
  await supervisor.settled();
  assert.deepEqual([...supervisor.guardians.keys()].sort(), [join(project, '.taskmaster'), droid].sort());
  assert.equal(supervisor.guardians.get(join(project, '.taskmaster'))?.store.profile.orchestrator, 'taskmaster');
  assert.equal(supervisor.guardians.get(droid)?.store.profile.orchestrator, 'droid');
  assert.deepEqual(supervisor.candidates, [join(root, 'plain')], 'only the child with no mission is still watched, at its top level');
  assert.deepEqual(errors, []);
});

test('made later: a droid dir whose markers follow at once, and a project where task-master init runs; both judged', async () => {
  await supervisor.watchRoot(root, true);
  const droid = join(root, 'mission-2');
  createMission(droid, baseFeatures()); // mkdir, then the markers, before any watch can be on it
  const project = join(root, 'app');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'package.json'), '{}');
  await until(() => supervisor.candidates.includes(project), 'the project watched at its top level');
  await guarded(droid);
  assert.equal(supervisor.guardians.has(join(project, '.taskmaster')), false);

  const taskmaster = createTaskMasterProject(project); // `task-master init` after the guard started
  const guardian = await guarded(taskmaster);
  assert.equal(guardian.store.profile.orchestrator, 'taskmaster');
  await baselined(taskmaster);
  await until(() => supervisor.candidates.length === 0, 'both children released once guarded');
  // The guardian judges: a tagged tasks.json rewritten flat (TASKMASTER.md §5 A) is put back.
  const good = tasksText(twoTags());
  await until(() => guardian.store.state.artifacts.get('tasks/tasks.json')?.lastGood === sha(good), 'tasks.json accepted as written by init');
  const tasksFile = join(taskmaster, 'tasks', 'tasks.json');
  writeFileSync(`${tasksFile}.tmp.4242`, tasksText({ tasks: twoTags().master?.tasks, metadata: {} }));
  renameSync(`${tasksFile}.tmp.4242`, tasksFile);
  await until(() => journal(box, taskmaster).some((entry) => entry.kind === 'restored'), 'the flat rewrite restored');
  await until(() => guardian.frozen, 'the mission frozen');
  assert.equal(readFileSync(tasksFile, 'utf8'), good);
  assert.deepEqual(errors, []);
});

test('a project moved into the root with its .taskmaster/ already made is adopted', async () => {
  await supervisor.watchRoot(root, true);
  const outside = join(box.dir, 'elsewhere', 'app');
  createTaskMasterProject(outside);
  renameSync(outside, join(root, 'app'));
  const guardian = await guarded(join(root, 'app', '.taskmaster'));
  assert.equal(guardian.store.profile.orchestrator, 'taskmaster');
});

test('a legacy Task Master project (PROJECT/tasks/tasks.json) under a root is not adopted: its whole tree would be watched', async () => {
  const legacy = join(root, 'old-app');
  mkdirSync(join(legacy, 'tasks'), { recursive: true });
  writeFileSync(join(legacy, 'tasks', 'tasks.json'), tasksText(twoTags()));
  const droid = join(root, 'mission-3');
  createMission(droid, baseFeatures());
  await supervisor.watchRoot(root, true);
  await supervisor.settled();
  assert.deepEqual([...supervisor.guardians.keys()], [droid]);
  assert.deepEqual(supervisor.candidates, [legacy]);
});

test('with existing false (guard run -- droid), missions present are not adopted until touched; then their watch is released', async () => {
  const past = join(root, 'past');
  createMission(past, baseFeatures());
  await supervisor.watchRoot(root, false);
  assert.deepEqual(supervisor.candidates, [past]);
  assert.equal(supervisor.guardians.size, 0);
  writeFileSync(join(past, 'progress_log.jsonl'), '{"type":"mission_resumed"}\n', { flag: 'a' });
  await guarded(past);
  await until(() => supervisor.candidates.length === 0, 'the touched mission released');
});
