// guard watch --root: every mission under a root guarded on its own, new ones adopted, ones held by
// another guard skipped and picked up when released; --on-incident once per incident, never in
// the way of the next restore.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, writeLikeTool } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { replay } from '../../src/core/replay.js';
import { failOnLeakedChildren, journal, kinds, runGuard, sandbox, sha, spawnGuard, stopGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';
import { createTaskMasterProject, tasksText, twoTags } from '../helpers/taskmaster.js';

let box: Sandbox;
let root: string;
let guards: GuardProcess[] = [];

beforeEach(() => {
  box = sandbox();
  root = join(box.dir, 'missions');
  mkdirSync(root);
  guards = [];
});

afterEach(async () => {
  for (const guard of guards) await stopGuard(guard);
  box.cleanup();
});

failOnLeakedChildren();

const features = baseFeatures();
const bad = (n: number) => featureText(withFeature(features, 'f1-login', { status: 'pending', description: `reopened ${n}` }));

function watch(args: string[]): GuardProcess {
  const guard = spawnGuard(box, ['watch', ...args]);
  guards.push(guard);
  return guard;
}

const baselined = (mission: string) => until(() => kinds(box, 'baseline', mission).length > 0, `baseline of ${mission}`, 30_000);
const restoredCount = (mission: string) => kinds(box, 'restored', mission).length;

interface IncidentDoc {
  kind: string;
  mission: string;
  incident: number;
  artifact: string;
  frozen: boolean;
  digests: { rejected: string | null; lastGood: string | null };
  next: { inspect: string; ack: string | null };
}

function docsIn(file: string): IncidentDoc[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as IncidentDoc);
}

describe('guard watch --root', () => {
  test('three missions, one corrupted: only that one freezes; a fourth created later is protected; --on-incident gets each incident once', async () => {
    const missions = ['m1', 'm2', 'm3'].map((name) => join(root, name));
    for (const mission of missions) createMission(mission, features);
    const out = join(box.dir, 'incidents.jsonl');
    const guard = watch(['--root', root, '--on-incident', `cat >> '${out}'`]);
    for (const mission of missions) await baselined(mission);
    const [m1, m2, m3] = missions as [string, string, string];

    writeLikeTool(join(m2, 'features.json'), bad(1));
    await until(() => restoredCount(m2) === 1, 'm2 restored');
    assert.equal(readFileSync(join(m2, 'features.json'), 'utf8'), featureText(features));
    assert.equal(existsSync(join(m2, '.guard-frozen')), true, 'm2 is frozen');
    for (const other of [m1, m3]) {
      assert.equal(existsSync(join(other, '.guard-frozen')), false, `${other} is not frozen`);
      assert.equal(kinds(box, 'frozen', other).length, 0);
    }
    await until(() => /FROZEN.*guard diff --mission \S+ features\.json ; then: guard ack --mission/.test(guard.stderr()), 'the FROZEN line names the next commands at once');

    const m4 = join(root, 'm4');
    createMission(m4, features);
    await baselined(m4);
    writeLikeTool(join(m4, 'features.json'), bad(2));
    await until(() => restoredCount(m4) === 1, 'm4 restored');

    const docs = await until(() => (docsIn(out).length >= 2 ? docsIn(out) : undefined), 'two incident documents');
    await stopGuard(guard);
    const final = docsIn(out);
    assert.equal(final.length, 2, 'one document per incident');
    const byMission = new Map(final.map((doc) => [doc.mission, doc]));
    for (const mission of [m2, m4]) {
      const doc = byMission.get(mission);
      assert.ok(doc !== undefined, `an incident document for ${mission}: ${JSON.stringify(docs)}`);
      const rejected = kinds(box, 'write-rejected', mission)[0];
      assert.ok(rejected?.kind === 'write-rejected');
      assert.equal(doc.kind, 'incident');
      assert.equal(doc.incident, rejected.seq);
      assert.equal(doc.artifact, 'features.json');
      assert.equal(doc.frozen, true);
      assert.equal(doc.digests.rejected, rejected.digest);
      assert.match(doc.next.inspect, /^guard diff --mission \S+ features\.json$/);
      assert.match(doc.next.ack ?? '', /^guard ack --mission \S+ --note/);
      const reported = kinds(box, 'incident-reported', mission);
      assert.deepEqual(reported.map((entry) => entry.kind === 'incident-reported' && entry.incident), [rejected.seq], 'the start is journaled once, before the command runs');
    }
    assert.equal(journal(box, m1).some((entry) => entry.kind === 'incident-hook-failed'), false);
  });

  test('a hanging --on-incident command does not delay the next restore, and is killed when the guard stops', async () => {
    const mission = join(root, 'm1');
    createMission(mission, features);
    const pids = join(box.dir, 'hook-pids');
    const guard = watch(['--root', root, '--on-incident', `cat > /dev/null; echo $$ >> '${pids}'; sleep 600`, '--on-incident-timeout', '600']);
    await baselined(mission);
    writeLikeTool(join(mission, 'features.json'), bad(1));
    await until(() => restoredCount(mission) === 1, 'first restore');
    await until(() => existsSync(pids), 'the hook is running');
    writeLikeTool(join(mission, 'features.json'), bad(2));
    await until(() => restoredCount(mission) === 2, 'second restore while the first hook still hangs');
    assert.equal(kinds(box, 'incident-hook-failed', mission).length, 0, 'the hook is still running, not failed');
    const first = Number(readFileSync(pids, 'utf8').split('\n')[0]);
    assert.doesNotThrow(() => process.kill(first, 0), 'the first hook still hangs');
    await stopGuard(guard);
    await until(() => {
      try {
        process.kill(first, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the hanging hook is killed when the guard stops');
  });

  test('a command that times out or fails is journaled as incident-hook-failed', async () => {
    const mission = join(root, 'm1');
    createMission(mission, features);
    watch(['--root', root, '--on-incident', 'echo broken >&2; exit 9']);
    await baselined(mission);
    writeLikeTool(join(mission, 'features.json'), bad(1));
    const [failed] = await until(() => (kinds(box, 'incident-hook-failed', mission).length > 0 ? kinds(box, 'incident-hook-failed', mission) : undefined), 'the failure journaled');
    assert.ok(failed?.kind === 'incident-hook-failed');
    assert.match(failed.reason, /exited with code 9: broken/);
  });

  test('a command past --on-incident-timeout is killed and journaled as timed out', async () => {
    const mission = join(root, 'm1');
    createMission(mission, features);
    watch(['--root', root, '--on-incident', 'sleep 600', '--on-incident-timeout', '0.3']);
    await baselined(mission);
    writeLikeTool(join(mission, 'features.json'), bad(1));
    const [failed] = await until(() => (kinds(box, 'incident-hook-failed', mission).length > 0 ? kinds(box, 'incident-hook-failed', mission) : undefined), 'the timeout journaled');
    assert.ok(failed?.kind === 'incident-hook-failed');
    assert.match(failed.reason, /timed out after 0.3 s/);
  });

  test('a mission another guard holds is skipped, reported, and adopted once that guard stops', async () => {
    const [held, free] = [join(root, 'held'), join(root, 'free')] as [string, string];
    createMission(held, features);
    createMission(free, features);
    const first = watch([held]);
    await baselined(held);
    const rootGuard = watch(['--root', root, '--retry-held-ms', '200']);
    await baselined(free);
    await until(() => rootGuard.stderr().includes(`skipping ${held} for now`), 'the held mission is reported');
    await stopGuard(first);
    await until(() => kinds(box, 'guard-started', held).some((entry) => entry.kind === 'guard-started' && entry.pid === rootGuard.process.pid), 'the root guard adopts the released mission');
    writeLikeTool(join(held, 'features.json'), bad(1));
    await until(() => restoredCount(held) === 1, 'the adopted mission is protected');
  });

  test('guard run exits 3 when its mission ended frozen by the guard watch --root that held it', async () => {
    const mission = join(root, 'm1');
    createMission(mission, features);
    watch(['--root', root]);
    await baselined(mission);
    writeLikeTool(join(mission, 'features.json'), bad(1));
    await until(() => restoredCount(mission) === 1, 'frozen by the watch');
    const result = await runGuard(box, ['run', '--root', root, '--', process.execPath, '-e', 'process.exit(0)']);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /skipping .*m1 for now/);
    assert.match(result.stderr, /mission .*m1 ended frozen \(frozen by another guard\)/);
  });

  test('Task Master projects under the root, one there at start and one initialized later, are guarded as PROJECT/.taskmaster next to droid missions; status --root lists them', async () => {
    const droid = join(root, 'm1');
    createMission(droid, features);
    const first = createTaskMasterProject(join(root, 'app'));
    const later = join(root, 'tool');
    mkdirSync(join(later, 'src', 'lib'), { recursive: true });
    const guard = watch(['--root', root]);
    await baselined(droid);
    await baselined(first);
    const second = createTaskMasterProject(later); // task-master init after the guard started
    await baselined(second);
    for (const mission of [first, second]) {
      assert.ok(kinds(box, 'guard-started', mission).some((entry) => entry.kind === 'guard-started' && entry.profile === 'taskmaster'), `${mission} guarded with the Task Master profile`);
      // A tagged tasks.json rewritten flat (TASKMASTER.md §5 A), by the legacy writer's temp + rename.
      const file = join(mission, 'tasks', 'tasks.json');
      await until(() => replay(journal(box, mission)).artifacts.get('tasks/tasks.json')?.lastGood === sha(tasksText(twoTags())), `${file} accepted`);
      writeFileSync(`${file}.tmp.4242`, tasksText({ tasks: twoTags().master?.tasks, metadata: {} }));
      renameSync(`${file}.tmp.4242`, file);
      await until(() => restoredCount(mission) === 1, `${mission} restored`);
      assert.equal(readFileSync(file, 'utf8'), tasksText(twoTags()));
      assert.equal(existsSync(join(mission, '.guard-frozen')), true);
    }
    assert.equal(kinds(box, 'frozen', droid).length, 0);
    const status = await runGuard(box, ['status', '--root', root, '--json']);
    assert.equal(status.code, 3, status.stderr);
    const rows = (JSON.parse(status.stdout) as { missions: Array<{ mission: string; frozen: boolean }> }).missions;
    assert.deepEqual(rows.map((row) => [row.mission, row.frozen]), [[first, true], [droid, false], [second, true]]);
    await stopGuard(guard);
  });

  test('a root that does not exist: exit 2 with a clear message', async () => {
    const result = await runGuard(box, ['watch', '--root', join(box.dir, 'nope')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /the missions root .*nope does not exist/);
  });

  test('with no dir, outside a mission, it watches droid\'s missions root (and says so when it is missing)', async () => {
    const result = await runGuard(box, ['watch'], { cwd: box.dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /\.factory\/missions does not exist/);
  });
});
