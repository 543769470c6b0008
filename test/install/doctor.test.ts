// guard doctor: whether droid will run the guard's hooks, and why not, for each way droid switches
// hooks off without a word (issue 13 item 4). Real settings files in a sandbox HOME, the built CLI.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, afterEach, describe, test } from 'node:test';
import { failOnLeakedChildren, readText, runGuard, sandbox, writeFile, type RunResult, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let factory: string;
let project: string;

beforeEach(() => {
  box = sandbox();
  factory = join(box.env.FACTORY_HOME_OVERRIDE as string, '.factory');
  project = join(box.dir, 'project');
  mkdirSync(project, { recursive: true });
});

afterEach(() => box.cleanup());
failOnLeakedChildren();

const doctor = (env = box.env, cwd = project): Promise<RunResult> => runGuard(box, ['doctor'], { env, cwd });
const init = async (args: string[] = [], env = box.env, cwd = project) => {
  const result = await runGuard(box, ['init', '--droid', ...args], { env, cwd });
  assert.equal(result.code, 0, result.stderr);
};

function assertOff(result: RunResult, pattern: RegExp): void {
  assert.equal(result.code, 1, `doctor should say the hooks will not fire:\n${result.stdout}`);
  assert.match(result.stdout, /^droid will NOT run the guard's hooks/);
  assert.match(result.stdout, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

describe('guard doctor', () => {
  test('after guard init --droid: ok, exit 0, with the note on what cannot be checked', async () => {
    await init();
    const result = await doctor();
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /^ok: droid runs the guard's hooks for the orchestrator, workers and validators \(\S+settings\.json\)/);
    assert.match(result.stdout, /note: .*allowManagedHooksOnly.*cannot be checked here/);
    const json = JSON.parse((await runGuard(box, ['doctor', '--json'], { cwd: project })).stdout) as { fires: boolean; missingTools: string[] };
    assert.deepEqual([json.fires, json.missingTools], [true, []]);
  });

  test('nothing installed', async () => {
    assertOff(await doctor(), /no guard hook is installed.*fix: guard init --droid/s);
  });

  test('an invalid sibling entry in the same file drops every hook of that file', async () => {
    await init();
    const file = join(factory, 'settings.json');
    const doc = JSON.parse(readText(file)) as { hooks: { PreToolUse: unknown[] } };
    doc.hooks.PreToolUse.push({ matcher: 'Read', hooks: [{ type: 'command' }] });
    writeFile(file, JSON.stringify(doc));
    assertOff(await doctor(), /PreToolUse\[3\]\.hooks\[0\]\.command is not a string; droid then drops every hook in this file/);
  });

  test('hooksDisabled', async () => {
    writeFile(join(factory, 'hooks.json'), '{"hooksDisabled": true}');
    await init();
    assertOff(await doctor(), /hooksDisabled is true: droid runs no hooks at all/);
  });

  test('hooks under a "hooks" key in hooks.json (droid ignores them)', async () => {
    writeFile(join(factory, 'hooks.json'), JSON.stringify({ hooks: { PreToolUse: [{ matcher: '^(Create|Edit|ApplyPatch|Execute|StartMissionRun)$', hooks: [{ type: 'command', command: 'guard hook' }] }] } }));
    assertOff(await doctor(), /sit under a "hooks" key, which droid ignores/);
  });

  test('a legacy hooks/hooks.json whose PreToolUse replaces the guard hooks of settings.json', async () => {
    await init();
    writeFile(join(factory, 'hooks', 'hooks.json'), JSON.stringify({ PreToolUse: [{ matcher: 'Read', hooks: [{ type: 'command', command: 'audit' }] }] }));
    assertOff(await doctor(), /no guard hook is installed/);
  });

  test('hooks only in an untrusted project folder', async () => {
    await init(['--scope', 'project']);
    assertOff(await doctor(), /not among the trusted folders/);
    writeFile(join(factory, 'settings.json'), JSON.stringify({ trustedFolders: { [box.dir]: true } }));
    assert.equal((await doctor()).code, 0, 'trusted: the project hooks load');
  });

  test('GUARD_HOME set only in the shell while the hook command does not carry it', async () => {
    const { GUARD_HOME: _home, ...withoutHome } = box.env;
    await init([], withoutHome);
    assertOff(await doctor(), /GUARD_HOME=\S+ is set in this shell only; droid's workers run their hooks with the daemon's environment.*fix: GUARD_HOME=\S+ guard init --droid/s);
    await init();
    assert.equal((await doctor()).code, 0, 'init with GUARD_HOME set writes it into the command');
    assertOff(await doctor({ ...box.env, GUARD_HOME: join(box.dir, 'other-home') }), /uses GUARD_HOME=\S+, but this guard keeps its journals in \S+other-home/);
  });
});
