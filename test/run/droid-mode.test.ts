// guard run -- droid: adopt mission dirs that appear under the missions root, keep missions
// isolated, and require the guard's hooks where every droid process reads them. A fake `droid`
// (test/fixtures/fake-droid.mjs) is first on PATH; the simulated orchestrator plays droid.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { acceptedDigest, failOnLeakedChildren, journal, kinds, sandbox, spawnGuard, until, type Sandbox } from '../helpers/index.js';
import { fakeDroidEnv } from './run-helpers.js';

let box: Sandbox;
let root: string;

beforeEach(() => {
  box = sandbox();
  root = join(box.dir, 'missions');
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

// droid is launched only once the root is watched: from then on every new mission dir is seen.
const droidStarted = (dump: string) => until(() => existsSync(join(dump, 'argv.json')), 'the fake droid to start');
const baselined = (mission: string) => until(() => journal(box, mission).some((entry) => entry.kind === 'baseline'), `baseline of ${mission}`);

describe('guard run -- droid', () => {
  test('adopts a mission dir created after start and protects it (simulated droid run)', async () => {
    const { env } = fakeDroidEnv(box);
    const mission = join(root, '0b7c2a9e-5d41-4f6e-9a3b-2c8d1e0f4a77');
    const guard = spawnGuard(box, ['run', '--root', root, '--', 'droid', 'simulate', mission, box.home], { env });
    const result = await guard.done;
    assert.equal(result.code, 3, `frozen at the end; stderr:\n${result.stderr}\nstdout:\n${result.stdout}`);
    const features = (JSON.parse(readFileSync(join(mission, 'features.json'), 'utf8')) as { features: Feature[] }).features;
    assert.deepEqual(features.filter((feature) => feature.status === 'completed').map((feature) => feature.id).sort(), ['f1-signup', 'f2-login', 'f3-logout']);
    const rejected = kinds(box, 'write-rejected', mission).map((entry) => entry.kind === 'write-rejected' && entry.path);
    assert.deepEqual(rejected, ['validation/m1/scrutiny/synthesis.json', 'features.json']);
    assert.equal(kinds(box, 'frozen', mission).length, 1);
    assert.equal(kinds(box, 'child-started', mission).length, 1, 'the adopted mission learns which child runs');
    assert.equal(kinds(box, 'child-exited', mission).length, 1);
    // droid's runner writes in place and never passes through hooks: none of its writes is flagged.
    assert.deepEqual(kinds(box, 'unhooked-write', mission), [], "droid's own runner writes are not unhooked writes");
    assert.match(result.stdout, /not starting more workers/);
  });

  test("hooks installed for the user: the verdict at start says so, nothing is injected into droid's argv (never twice)", async () => {
    const { env, dump } = fakeDroidEnv(box);
    const hooksFile = join(box.dir, 'user-home', '.factory', 'hooks.json');
    const before = readFileSync(hooksFile, 'utf8');
    const stop = join(box.dir, 'stop');
    const guard = spawnGuard(box, ['run', '--root', root, '--', 'droid', 'wait', stop], { env });
    const argv = await until(() => {
      try {
        return JSON.parse(readFileSync(join(dump, 'argv.json'), 'utf8')) as string[];
      } catch {
        return undefined; // not written yet, or being written
      }
    }, 'the fake droid to dump its argv');
    assert.deepEqual(argv, ['wait', stop], "the user's args, untouched: no --settings overlay");
    writeFileSync(stop, '');
    const result = await guard.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr.split('\n')[0] ?? '', /^guard run: droid runs the guard's hooks for the orchestrator, workers and validators \(\S+hooks\.json\)$/);
    assert.equal(readFileSync(hooksFile, 'utf8'), before, "the user's settings are not written");
  });

  test('without hooks droid would run, guard run refuses to start droid and says why; --no-hooks starts it, saying hooks are off', async () => {
    const { env, dump } = fakeDroidEnv(box, { hooks: false });
    const stop = join(box.dir, 'stop');
    writeFileSync(stop, '');
    const refused = await spawnGuard(box, ['run', '--root', root, '--', 'droid', 'wait', stop], { env }).done;
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^guard run: droid will NOT run the guard's hooks: no guard hook is installed .*fix: guard init --droid/);
    assert.match(refused.stderr, /not starting droid wait \S+: its workers' and validators' tool calls would not be checked.*--no-hooks/);
    assert.equal(existsSync(join(dump, 'argv.json')), false, 'droid was not started');
    const noHooks = await spawnGuard(box, ['run', '--root', root, '--no-hooks', '--', 'droid', 'wait', stop], { env }).done;
    assert.equal(noHooks.code, 0, noHooks.stderr);
    assert.match(noHooks.stderr, /^guard run: hooks off \(--no-hooks\)/);
    assert.deepEqual(JSON.parse(readFileSync(join(dump, 'argv.json'), 'utf8')), ['wait', stop]);
  });

  test("the installed hook command is this checkout's guard hook: it denies a Create that reopens a completed feature", async () => {
    const { env, dump } = fakeDroidEnv(box);
    createMission(box.mission, baseFeatures());
    const payload = join(box.dir, 'payload.json');
    const content = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));
    writeFileSync(payload, JSON.stringify({ session_id: 's1', transcript_path: '/dev/null', cwd: box.mission, permission_mode: 'default', hook_event_name: 'PreToolUse', tool_name: 'Create', tool_input: { file_path: 'features.json', content } }));
    const result = await spawnGuard(box, ['run', '--mission', box.mission, '--', 'droid', 'hook', payload], { env }).done;
    assert.equal(result.code, 0, result.stderr);
    const hook = JSON.parse(readFileSync(join(dump, 'hook-result.json'), 'utf8')) as { status: number; stderr: string };
    assert.equal(hook.status, 2, `denied: ${hook.stderr}`);
    assert.match(hook.stderr, /f1-login/);
    assert.equal(kinds(box, 'hook-denied').length, 1, 'the decision is journaled where the guardian sees it');
  });

  test('without --root it watches ${FACTORY_HOME_OVERRIDE}/.factory/missions, creating it if missing', async () => {
    const { env, dump } = fakeDroidEnv(box);
    const stop = join(box.dir, 'stop');
    const factoryRoot = join(box.dir, 'user-home', '.factory', 'missions');
    const guard = spawnGuard(box, ['run', '--', 'droid', 'wait', stop], { env });
    await droidStarted(dump);
    assert.ok(existsSync(factoryRoot), 'the missions root is created');
    const mission = join(factoryRoot, 'c3d4e5f6-0000-4000-8000-000000000001');
    createMission(mission, baseFeatures());
    await baselined(mission);
    writeFileSync(stop, '');
    assert.equal((await guard.done).code, 0);
    assert.equal(kinds(box, 'child-exited', mission).length, 1);
  });

  test('two missions stay isolated: one frozen, the other keeps accepting writes', async () => {
    const { env, dump } = fakeDroidEnv(box);
    const stop = join(box.dir, 'stop');
    const guard = spawnGuard(box, ['run', '--root', root, '--', 'droid', 'wait', stop], { env });
    await droidStarted(dump);
    const [a, b] = [join(root, 'aaaaaaaa-0000-4000-8000-00000000000a'), join(root, 'bbbbbbbb-0000-4000-8000-00000000000b')] as [string, string];
    createMission(a, baseFeatures());
    createMission(b, baseFeatures());
    await baselined(a);
    await baselined(b);

    const good = readFileSync(join(a, 'features.json'), 'utf8');
    writeFileSync(join(a, 'features.json'), featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' })));
    await until(() => existsSync(join(a, '.guard-frozen')) && readFileSync(join(a, 'features.json'), 'utf8') === good, 'mission A frozen and restored');

    const next = featureText(withFeature(baseFeatures(), 'f3-profile', { status: 'completed', completedWorkerSessionId: 'w3' }));
    writeFileSync(join(b, 'features.json'), next);
    await acceptedDigest(box, 'features.json', next, b);
    assert.equal(readFileSync(join(b, 'features.json'), 'utf8'), next);
    assert.equal(existsSync(join(b, '.guard-frozen')), false);
    assert.equal(kinds(box, 'frozen', b).length, 0);
    assert.equal(kinds(box, 'frozen', a).length, 1);
    assert.notEqual(readdirSync(join(box.home, 'missions')).length, 1, 'each mission has its own journal');

    writeFileSync(stop, '');
    const result = await guard.done;
    assert.equal(result.code, 3, `the droid exited 0 but a mission ended frozen: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`mission ${a} ended frozen`));
  });
});
