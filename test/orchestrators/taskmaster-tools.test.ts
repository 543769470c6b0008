// Which tool calls are Task Master's, and which of its files are transient: pure, no files.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatedCommandOwners } from '../../src/hook/orchestrator-tools.js';
import { projectRootOf } from '../../src/hook/tool-calls.js';
import { gatedToolOwner } from '../../src/orchestrators/gates.js';
import { isTaskMasterTransient } from '../../src/orchestrators/taskmaster/index.js';
import { loadBuiltInProfile, matchArtifact, type Profile } from '../../src/profiles/profile.js';
import type { MissionPath } from '../../src/core/types.js';
import { isTaskMasterCommand, isTaskMasterTool, TASKMASTER_CLAUDE_MATCHER } from '../../src/orchestrators/taskmaster/tools.js';

describe("Task Master's MCP tools", () => {
  test('mcp__*task*master*__* in any case is Task Master, other MCP and built-in tools are not', () => {
    for (const tool of ['mcp__task-master-ai__set_task_status', 'mcp__taskmaster-ai__get_tasks', 'mcp__Task_Master__expand_task', 'mcp__my-taskmaster__add_tag']) {
      assert.equal(isTaskMasterTool(tool), true, tool);
      assert.equal(gatedToolOwner(tool), 'taskmaster', tool);
      assert.match(tool, new RegExp(TASKMASTER_CLAUDE_MATCHER), `the installed Claude Code matcher covers ${tool}`);
    }
    for (const tool of ['mcp__github__create_issue', 'mcp__master__task', 'Bash', 'Write', 'task-master', 'mcp__task-master-ai__']) {
      assert.equal(isTaskMasterTool(tool), false, tool);
      assert.equal(gatedToolOwner(tool), undefined, tool);
    }
    assert.doesNotMatch('mcp__github__create_issue', new RegExp(TASKMASTER_CLAUDE_MATCHER));
  });

  test('the project is the projectRoot the tool names when absolute, else the call cwd', () => {
    assert.equal(projectRootOf({ projectRoot: '/work/app', id: '1' }, '/elsewhere'), '/work/app');
    assert.equal(projectRootOf({ projectRoot: 'relative/app' }, '/cwd'), '/cwd');
    assert.equal(projectRootOf(undefined, '/cwd'), '/cwd');
  });
});

describe("Task Master's CLI in a shell command", () => {
  test('its binaries, directly or through a package runner, are recognised', () => {
    for (const words of [['task-master', 'set-status', '--id=1', '--status=done'], ['/usr/local/bin/task-master-ai', 'list'], ['npx', '-y', 'task-master-ai', 'parse-prd'], ['npx', 'task-master-ai@0.43.1', 'add-tag', 'x'], ['pnpm', 'dlx', 'task-master-ai', 'move'], ['npm', 'exec', 'task-master', 'next']]) {
      assert.equal(isTaskMasterCommand(words), true, words.join(' '));
    }
    for (const words of [['echo', 'task-master'], ['npx', 'prettier', 'task-master'], ['npm', 'install', 'task-master-ai'], ['cat', 'tasks.json'], []]) {
      assert.equal(isTaskMasterCommand(words), false, words.join(' '));
    }
  });

  test('found anywhere in a command line, behind assignments and wrappers', () => {
    assert.deepEqual(gatedCommandOwners('cd app && FOO=1 task-master set-status --id 3 --status done').map((o) => o.name), ['taskmaster']);
    assert.deepEqual(gatedCommandOwners('env DEBUG=1 npx task-master-ai list | head').map((o) => o.name), ['taskmaster']);
    assert.deepEqual(gatedCommandOwners('echo "$(task-master next)"').map((o) => o.name), ['taskmaster']);
    assert.deepEqual(gatedCommandOwners('ls -la; git status; echo task-master'), []);
  });
});

describe("Task Master's temp and lock files", () => {
  test('legacy and tm-core temp files and the lock file or directory are transient; its state files are not', () => {
    for (const path of ['tasks/tasks.json.tmp.4242', 'tasks/.tasks.json.tmp', 'tasks/tasks.json.lock', 'tasks/tasks.json.lock/lockfile', '.state.json.tmp', 'state.json.tmp.17']) {
      assert.equal(isTaskMasterTransient(path), true, path);
    }
    for (const path of ['tasks/tasks.json', 'state.json', 'config.json', 'reports/task-complexity-report.json', 'tasks/task_001.md', 'tasks/tasks.json.bak']) {
      assert.equal(isTaskMasterTransient(path), false, path);
    }
  });
});

describe('transient files are never artifacts, whatever the globs', () => {
  test('a Task Master profile whose globs would match everything still never matches its lock and temp files', () => {
    const builtIn = loadBuiltInProfile('taskmaster');
    const catchAll: Profile = { ...builtIn, artifacts: [{ ...(builtIn.artifacts[0] as Profile['artifacts'][number]), glob: '**', role: 'tracked' }] };
    for (const path of ['tasks/tasks.json.tmp.4242', 'tasks/.tasks.json.tmp', 'tasks/tasks.json.lock', 'tasks/tasks.json.lock/lock']) {
      assert.equal(matchArtifact(catchAll, path as MissionPath), undefined, path);
    }
    assert.notEqual(matchArtifact(catchAll, 'tasks/tasks.json' as MissionPath), undefined);
    const droidLike: Profile = { ...catchAll, orchestrator: 'generic' };
    assert.notEqual(matchArtifact(droidLike, 'tasks/tasks.json.lock' as MissionPath), undefined, 'another orchestrator has no such names');
  });
});
