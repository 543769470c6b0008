// `guard hook` pauses Task Master (TASKMASTER.md §7): while its project's mission is frozen, its
// MCP tools and `task-master` CLI calls are denied with a message naming `guard status`; they are
// allowed when it is not frozen, and other projects are never touched. The built CLI as a child
// process, guard state created by a real `guard watch PROJECT`, the freeze by a real bad write.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { failOnLeakedChildren, journal, runGuard, sandbox, spawnGuard, stopGuard, until, type GuardProcess, type RunResult, type Sandbox } from '../helpers/index.js';
import { createTaskMasterProject } from '../helpers/taskmaster.js';

let box: Sandbox;
let project: string;
let tm: string;
let guard: GuardProcess | undefined;

beforeEach(async () => {
  box = sandbox();
  project = join(box.dir, 'project');
  tm = createTaskMasterProject(project);
  guard = spawnGuard(box, ['watch', project]);
  await until(() => journal(box, tm).some((entry) => entry.kind === 'baseline') || guard?.process.exitCode !== null, 'baseline of PROJECT/.taskmaster');
  assert.equal(guard.process.exitCode, null, guard.stderr());
});

afterEach(async () => {
  if (guard !== undefined) await stopGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

function mcp(tool: string, input: Record<string, unknown>, cwd = box.dir): Record<string, unknown> {
  return { session_id: 'claude-session', cwd, hook_event_name: 'PreToolUse', tool_name: tool, tool_input: input };
}

function hook(body: Record<string, unknown>): Promise<RunResult> {
  return runGuard(box, ['hook'], { input: JSON.stringify(body) });
}

// A flat rewrite that loses every other tag (TASKMASTER.md §5 A): rejected, restored, frozen.
async function freezeByFlatRewrite(): Promise<void> {
  writeFileSync(join(tm, 'tasks', 'tasks.json'), JSON.stringify({ tasks: [{ id: 1, title: 'x', status: 'done' }], metadata: {} }));
  await until(() => journal(box, tm).some((entry) => entry.kind === 'frozen'), 'frozen by the flat rewrite');
}

const setStatus = () => mcp('mcp__task-master-ai__set_task_status', { projectRoot: project, id: '2', status: 'done' });

describe('Task Master through the hook', () => {
  test('its MCP tools and CLI are allowed while the project is not frozen', async () => {
    assert.equal((await hook(setStatus())).code, 0);
    assert.equal((await hook(mcp('Bash', { command: 'task-master set-status --id=2 --status=done' }, project))).code, 0);
    assert.equal(journal(box, tm).some((entry) => entry.kind === 'hook-denied'), false);
  });

  test('while frozen: an MCP tool call for the project is denied naming guard status, and journaled', async () => {
    await freezeByFlatRewrite();
    const result = await hook(setStatus());
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /denied mcp__task-master-ai__set_task_status/);
    assert.match(result.stderr, /Task Master mission \S+\.taskmaster is frozen since/);
    assert.match(result.stderr, /A human runs: guard status --mission \S+\.taskmaster/);
    const denied = journal(box, tm).filter((entry) => entry.kind === 'hook-denied');
    assert.equal(denied.length, 1);
    assert.ok(denied[0]?.kind === 'hook-denied' && denied[0].tool === 'mcp__task-master-ai__set_task_status' && denied[0].path === '.');
  });

  test('while frozen: the task-master CLI in a shell tool is denied from the project or below it; other commands are not', async () => {
    await freezeByFlatRewrite();
    mkdirSync(join(project, 'src'));
    for (const command of ['task-master list', 'cd .. && npx task-master-ai set-status --id=1 --status=pending', 'FOO=1 task-master-ai next']) {
      const result = await hook(mcp('Bash', { command }, join(project, 'src')));
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
      assert.match(result.stderr, /guard status --mission/);
    }
    assert.equal((await hook(mcp('Bash', { command: 'ls -la && git status' }, project))).code, 0);
  });

  test('while frozen: the same tools for another project (no guarded .taskmaster) are allowed', async () => {
    await freezeByFlatRewrite();
    const other = join(box.dir, 'other');
    createTaskMasterProject(other);
    assert.equal((await hook(mcp('mcp__task-master-ai__get_tasks', { projectRoot: other }))).code, 0);
    assert.equal((await hook(mcp('Bash', { command: 'task-master list' }, other))).code, 0);
  });

  test('after guard ack the tools are allowed again', async () => {
    await freezeByFlatRewrite();
    assert.equal((await hook(setStatus())).code, 2);
    await until(() => journal(box, tm).some((entry) => entry.kind === 'restored'), 'restored');
    const ack = await runGuard(box, ['ack', '--mission', project, '--note', 'checked the restore', '--yes-i-am-human']);
    assert.equal(ack.code, 0, ack.stderr + ack.stdout);
    assert.equal((await hook(setStatus())).code, 0);
  });
});
