// `guard watch PROJECT` on a Task Master project, end to end with the real watcher: the mission
// dir is PROJECT/.taskmaster (also when named directly, and PROJECT itself in the legacy layout);
// Task Master's writers' lock and temp files are never judged; a tagged file rewritten flat is
// rejected, restored and frozen; status and plan speak of tags and tasks.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { FIXTURES, failOnLeakedChildren, journal, runGuard, sandbox, sha, spawnGuard, spawnNode, stopGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';
import { createTaskMasterProject, tasksText, twoTags } from '../helpers/taskmaster.js';

let box: Sandbox;
let project: string;
let guard: GuardProcess | undefined;

beforeEach(() => {
  box = sandbox();
  project = join(box.dir, 'project');
});

afterEach(async () => {
  if (guard !== undefined) await stopGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

async function watch(target: string, mission: string): Promise<void> {
  const started = spawnGuard(box, ['watch', target]);
  guard = started;
  await until(() => journal(box, mission).some((entry) => entry.kind === 'baseline') || started.process.exitCode !== null, `baseline of ${mission}`);
  assert.equal(started.process.exitCode, null, started.stderr());
}

// Task Master's own writers (test/fixtures/taskmaster-writer.mjs): legacy writeJSON, tm-core, in place.
async function tmWrite(mode: 'legacy' | 'tmcore' | 'inplace', file: string, text: string): Promise<void> {
  const ops = join(box.dir, `tm-ops-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(ops, JSON.stringify([{ mode, file, text }]));
  const result = await spawnNode(box, [join(FIXTURES, 'taskmaster-writer.mjs'), ops]).done;
  assert.equal(result.code, 0, result.stderr);
}

const accepted = (mission: string, path: string, text: string) => journal(box, mission).some((entry) => entry.kind === 'write-accepted' && entry.path === path && entry.digest === sha(text));

describe('guard watch on a Task Master project', () => {
  test('PROJECT guards PROJECT/.taskmaster with the Task Master profile; its writers\' lock and temp files are never judged', async () => {
    const tm = createTaskMasterProject(project);
    await watch(project, tm);
    const started = journal(box, tm).find((entry) => entry.kind === 'guard-started');
    assert.ok(started?.kind === 'guard-started' && started.profile === 'taskmaster');
    const tasks = join(tm, 'tasks', 'tasks.json');
    const doc = twoTags();
    (doc.master?.tasks[1] as { status: string }).status = 'in-progress';
    const legacyText = tasksText(doc);
    await tmWrite('legacy', tasks, legacyText);
    await until(() => accepted(tm, 'tasks/tasks.json', legacyText), 'the legacy write accepted');
    (doc.master?.tasks[1] as { status: string }).status = 'done';
    const coreText = tasksText(doc);
    await tmWrite('tmcore', tasks, coreText);
    await until(() => accepted(tm, 'tasks/tasks.json', coreText), 'the tm-core write accepted');
    const entries = journal(box, tm);
    assert.equal(entries.some((entry) => entry.kind === 'frozen' || entry.kind === 'write-rejected'), false, 'no incident');
    const paths = entries.flatMap((entry) => ('path' in entry && typeof entry.path === 'string' ? [entry.path] : []));
    assert.deepEqual(paths.filter((path) => /\.lock|\.tmp/.test(path)), [], 'no entry names a lock or temp file');
    assert.equal(existsSync(join(tm, '.guard-frozen')), false);
  });

  test('a tagged tasks.json rewritten flat is rejected, restored and frozen; status and plan speak of tags and tasks', async () => {
    const tm = createTaskMasterProject(project);
    const good = readFileSync(join(tm, 'tasks', 'tasks.json'), 'utf8');
    await watch(project, tm);
    writeFileSync(join(tm, 'tasks', 'tasks.json'), JSON.stringify({ tasks: [{ id: 1, title: 'Set up the repo', status: 'done' }], metadata: {} }));
    await until(() => journal(box, tm).some((entry) => entry.kind === 'restored'), 'restored');
    assert.equal(readFileSync(join(tm, 'tasks', 'tasks.json'), 'utf8'), good, 'the last good bytes are back');
    assert.ok(existsSync(join(tm, '.guard-frozen')), 'the sentinel is in .taskmaster');
    const status = await runGuard(box, ['status', project]);
    assert.equal(status.code, 3, status.stderr);
    assert.match(status.stdout, /mission \S+\/project\/\.taskmaster\n/);
    assert.match(status.stdout, /tag master: 2 tasks \(1 done, 1 pending\)/);
    assert.match(status.stdout, /tag feature-x: 1 task \(1 in-progress\)/);
    assert.match(status.stdout, /Task Master is held: .*denies Task Master's MCP tools and task-master CLI calls until guard ack/);
    const plan = await runGuard(box, ['plan', project, '--json']);
    assert.equal(plan.code, 0, plan.stderr);
    const json = JSON.parse(plan.stdout) as { orchestrator: string; groups: Array<{ name: string; total: number; todo: Array<{ id: string; status: string }> }> };
    assert.equal(json.orchestrator, 'taskmaster');
    assert.deepEqual(json.groups.map((group) => [group.name, group.total, group.todo.map((task) => `${task.id}:${task.status}`)]), [['master', 2, ['2:pending']], ['feature-x', 1, ['1:in-progress']]]);
  });

  test('PROJECT/.taskmaster named directly is the same mission', async () => {
    const tm = createTaskMasterProject(project);
    await watch(tm, tm);
    const status = await runGuard(box, ['status', project, '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { mission: string }).mission, tm);
  });

  test('the legacy layout (PROJECT/tasks/tasks.json, no .taskmaster) guards PROJECT with the Task Master profile', async () => {
    mkdirSync(join(project, 'tasks'), { recursive: true });
    writeFileSync(join(project, 'tasks', 'tasks.json'), tasksText({ tasks: [{ id: 1, title: 'Old', description: '', status: 'pending', dependencies: [] }] }));
    await watch(project, project);
    const entries = journal(box, project);
    const started = entries.find((entry) => entry.kind === 'guard-started');
    assert.ok(started?.kind === 'guard-started' && started.profile === 'taskmaster');
    assert.ok(entries.some((entry) => entry.kind === 'write-accepted' && entry.path === 'tasks/tasks.json'));
  });
});
