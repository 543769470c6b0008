// Issue 14, item 1: the profile is not the agent's to change. A guard.config.json is trusted only
// once a human adopted it; an agent-written, changed or new config is refused everywhere, and a
// droid mission never takes one from its own dir. Real processes, real guardians, real hook.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { adoptConfig } from '../helpers/adopt.js';
import { baseFeatures } from '../helpers/droid.js';
import { failOnLeakedChildren, kinds, runGuard, runWriter, sandbox, startWatch, statePaths, stopGuard, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;

beforeEach(() => {
  box = sandbox();
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

/** A config an agent would write to switch the rules off: every file merely tracked. */
const PERMISSIVE = JSON.stringify({ name: 'agent', artifacts: [{ glob: '**', role: 'tracked' }] });

/** A generic profile: plan.json keeps its owner. */
const PLAN_CONFIG = { name: 'planner', artifacts: [{ glob: 'plan.json', role: 'scheduling', schema: 'plan.schema.json', rules: [{ kind: 'immutable', pointer: '/owner' }] }] };
const PLAN_SCHEMA = { type: 'object', required: ['owner'] };

function hook(tool: string, input: Record<string, unknown>, cwd = box.mission) {
  return runGuard(box, ['hook'], { input: JSON.stringify({ session_id: 's', cwd, hook_event_name: 'PreToolUse', tool_name: tool, tool_input: input }) });
}

function planMission(): void {
  writeFileSync(join(box.mission, 'guard.config.json'), JSON.stringify(PLAN_CONFIG));
  writeFileSync(join(box.mission, 'plan.schema.json'), JSON.stringify(PLAN_SCHEMA));
  writeFileSync(join(box.mission, 'plan.json'), `${JSON.stringify({ owner: 'alice', tasks: [] })}\n`);
}

describe('a droid mission never takes a profile from its own dir', () => {
  test('an agent-written guard.config.json changes nothing: hook, verify and status keep the droid rules', async () => {
    createMission(box.mission, baseFeatures());
    await stopGuard(await startWatch(box));
    writeFileSync(join(box.mission, 'guard.config.json'), PERMISSIVE);
    const emptied = await hook('Create', { file_path: join(box.mission, 'features.json'), content: featureText([]) });
    assert.equal(emptied.code, 2, `emptying features.json must stay denied: ${emptied.stderr}`);
    assert.match(emptied.stderr, /rule no-removal|rule terminal-status|features\.json/);
    const status = await runGuard(box, ['status', '--mission', box.mission, '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.ok((JSON.parse(status.stdout) as { artifacts: Array<{ path: string; role: string }> }).artifacts.some((row) => row.path === 'features.json' && row.role === 'scheduling'));
    // A guardian started now is a droid guardian too.
    guard = await startWatch(box);
    const started = kinds(box, 'guard-started').at(-1);
    assert.equal(started?.kind === 'guard-started' && started.profile, 'droid');
  });

  test('guard config adopt refuses a droid mission', async () => {
    createMission(box.mission, baseFeatures());
    writeFileSync(join(box.mission, 'guard.config.json'), PERMISSIVE);
    const result = await runGuard(box, ['config', 'adopt', '--mission', box.mission, '--yes-i-am-human']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /droid mission/);
  });
});

describe('a generic mission', () => {
  test('an unadopted config is refused by commands (exit 2 naming guard config adopt) and by guard watch', async () => {
    planMission();
    for (const args of [['status', '--mission', box.mission], ['verify', '--mission', box.mission], ['watch', box.mission]]) {
      const result = await runGuard(box, args);
      assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
      assert.match(result.stderr, /has not been adopted/);
      assert.match(result.stderr, /guard config adopt --mission /);
    }
    assert.equal(kinds(box, 'guard-started').length, 0, 'no guardian ran on unadopted rules');
  });

  test('guard config adopt needs a human: without a terminal or the flag it exits 2 and adopts nothing', async () => {
    planMission();
    const result = await runGuard(box, ['config', 'adopt', '--mission', box.mission]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /needs a human/);
    assert.match(result.stderr, /--yes-i-am-human/);
    const status = await runGuard(box, ['status', '--mission', box.mission]);
    assert.equal(status.code, 2);
  });

  test('adopted, then changed by an agent: commands refuse, the guardian keeps the adopted rules, the hook denies the change', async () => {
    planMission();
    await adoptConfig(box);
    const adopted = join(statePaths(box).dir, 'profile');
    assert.equal(statSync(adopted).mode & 0o777, 0o700);
    assert.equal(statSync(join(adopted, 'files', 'guard.config.json')).mode & 0o777, 0o600);
    guard = await startWatch(box);
    await stopGuard(guard);
    guard = undefined;

    // The hook denies the agent's attempts to change the profile or its schema...
    for (const file of ['guard.config.json', 'plan.schema.json']) {
      const denied = await hook('Create', { file_path: join(box.mission, file), content: PERMISSIVE });
      assert.equal(denied.code, 2, denied.stderr);
      assert.match(denied.stderr, /the mission's profile/);
    }
    // ...and a change that got through anyway (a shell, a human edit) is refused, not used.
    writeFileSync(join(box.mission, 'guard.config.json'), PERMISSIVE);
    const status = await runGuard(box, ['status', '--mission', box.mission]);
    assert.equal(status.code, 2, status.stderr);
    assert.match(status.stderr, /changed since a human adopted the profile/);
    assert.match(status.stderr, /guard config adopt --mission /);
    const show = await runGuard(box, ['config', 'show', '--mission', box.mission]);
    assert.equal(show.code, 1);

    guard = await startWatch(box);
    const started = kinds(box, 'guard-started').at(-1);
    assert.equal(started?.kind === 'guard-started' && started.profile, 'planner', 'the guardian runs the adopted profile');
    const file = join(box.mission, 'plan.json');
    const good = readFileSync(file, 'utf8');
    await runWriter(box, [{ op: 'write', file, text: `${JSON.stringify({ owner: 'mallory', tasks: [] })}\n` }]);
    await until(() => kinds(box, 'restored').length > 0, 'the adopted immutable rule restores plan.json');
    assert.equal(readFileSync(file, 'utf8'), good);
    // The hook judges with the adopted rules too.
    const denied = await hook('Create', { file_path: file, content: `${JSON.stringify({ owner: 'eve', tasks: [] })}\n` });
    assert.equal(denied.code, 2, denied.stderr);
    assert.match(denied.stderr, /rule immutable/);
  });

  test('a guarded mission whose config is not adopted: the hook fails closed for it', async () => {
    planMission();
    const elsewhere = join(box.dir, 'human-config');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'guard.json'), JSON.stringify({ ...PLAN_CONFIG, schema: undefined, artifacts: [{ glob: 'plan.json', role: 'scheduling' }] }));
    // A human guards it with an explicit --config; the agent's mission config is another matter.
    await stopGuard(await startWatch(box, ['--config', join(elsewhere, 'guard.json')]));
    const result = await hook('Create', { file_path: join(box.mission, 'plan.json'), content: '{}' });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /profile cannot be used/);
    assert.match(result.stderr, /has not been adopted/);
  });

  test('the adopted copy cannot be changed by another local uid (setpriv, as nobody)', async (t) => {
    if (spawnSync('setpriv', ['--version']).status !== 0) {
      t.skip('setpriv is not installed; the 0600/0700 modes are asserted in the test above');
      return;
    }
    planMission();
    await adoptConfig(box);
    chmodSync(box.dir, 0o755);
    chmodSync(box.home, 0o755);
    const copy = join(statePaths(box).dir, 'profile', 'files', 'guard.config.json');
    const attempt = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', `echo '${PERMISSIVE}' > "$1"`, 'sh', copy], { encoding: 'utf8' });
    assert.notEqual(attempt.status, 0, 'nobody could write the adopted profile');
    assert.match(readFileSync(copy, 'utf8'), /planner/);
  });
});
