// The library API (issue "durable truth" item 7), called in-process the way an orchestrator would:
// `judgeArtifact` answers without writing; `writeArtifact` writes and journals, or leaves the old
// file byte for byte and returns the issues. Guard state goes where `guardHome` says.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { judgeArtifact, writeArtifact, type ArtifactVerdict, type WriteOutcome } from '../../src/index.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { completed, entriesOf, successLine } from '../helpers/durable.js';
import { sandbox, sha, statePaths, type Sandbox } from '../helpers/index.js';
import { createTaskMasterProject, tasksText, tmTask, twoTags } from '../helpers/taskmaster.js';

let box: Sandbox;
let features: Feature[];
let options: { guardHome: string };

// A mission whose first version was written through the library (its last good).
beforeEach(async () => {
  box = sandbox();
  features = baseFeatures();
  createMission(box.mission, features);
  options = { guardHome: box.home };
  const first = await writeArtifact(box.mission, 'features.json', readFileSync(join(box.mission, 'features.json')), options);
  assert.equal(first.ok, true);
});

afterEach(() => box.cleanup());

const featuresFile = () => join(box.mission, 'features.json');
const reverted = () => featureText(withFeature(features, 'f1-login', { status: 'pending' }));
const finished = () => featureText(completed(features, 'f3-profile', 'w3'));

function rejected(verdict: ArtifactVerdict | WriteOutcome): Extract<ArtifactVerdict, { ok: false }> {
  assert.equal(verdict.ok, false, JSON.stringify(verdict));
  return verdict as Extract<ArtifactVerdict, { ok: false }>;
}

describe('library: judgeArtifact and writeArtifact', () => {
  test('judgeArtifact: completed -> pending is rejected with issues, a legitimate version accepted with transitions; nothing written', async () => {
    const before = readFileSync(featuresFile());
    const journalBefore = readFileSync(statePaths(box).journal);

    const bad = rejected(await judgeArtifact(box.mission, 'features.json', reverted(), options));
    assert.equal(bad.path, 'features.json');
    assert.ok(bad.issues.some((issue) => issue.code === 'terminal-status' && issue.item === 'f1-login' && issue.pointer.endsWith('/status')), JSON.stringify(bad.issues));

    const good = await judgeArtifact(box.mission, './features.json', Buffer.from(finished()), options);
    assert.equal(good.ok, true, JSON.stringify(good));
    assert.ok(good.ok);
    assert.deepEqual(good.transitions.filter((move) => move.item === 'f3-profile').map(({ from, to }) => ({ from, to })), [{ from: 'in_progress', to: 'completed' }]);
    assert.deepEqual(good.reopened, []);

    const deleted = rejected(await judgeArtifact(box.mission, 'features.json', null, options));
    assert.equal(deleted.issues[0]?.code, 'deleted');

    assert.equal(readFileSync(featuresFile()).equals(before), true);
    assert.equal(readFileSync(statePaths(box).journal).equals(journalBefore), true, 'judging journals nothing');
  });

  test('judgeArtifact weighs journaled evidence', async () => {
    const log = `${readFileSync(join(box.mission, 'progress_log.jsonl'), 'utf8')}${successLine('f3-profile', 'w3')}`;
    assert.equal((await writeArtifact(box.mission, 'progress_log.jsonl', log, options)).ok, true);
    // f3 is in_progress in last good, so only the success line forbids requeueing it.
    const requeued = featureText(withFeature(features, 'f3-profile', { status: 'pending', currentWorkerSessionId: null }));
    const verdict = rejected(await judgeArtifact(box.mission, 'features.json', requeued, options));
    assert.deepEqual(verdict.issues.map((issue) => [issue.code, issue.item]), [['evidence', 'f3-profile']]);
  });

  test('writeArtifact: a rejected write leaves the file untouched and returns the issues; an accepted one writes and journals', async () => {
    const before = readFileSync(featuresFile());
    const accepted = entriesOf(box, 'write-accepted').length;
    const bad = rejected(await writeArtifact(box.mission, 'features.json', reverted(), options));
    assert.ok(bad.issues.length > 0);
    assert.equal(readFileSync(featuresFile()).equals(before), true);
    assert.equal(entriesOf(box, 'write-accepted').length, accepted);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);

    const good = await writeArtifact(box.mission, 'features.json', Buffer.from(finished()), options);
    assert.ok(good.ok, JSON.stringify(good));
    assert.equal(good.digest, sha(finished()));
    assert.equal(good.unchanged, false);
    assert.equal(readFileSync(featuresFile(), 'utf8'), finished());
    const entry = entriesOf(box, 'write-accepted').find((item) => item.seq === good.seq);
    assert.equal(entry?.digest, sha(finished()));
    assert.equal(entry?.by, 'guard-write');
    assert.equal(entriesOf(box, 'write-accepted').filter((item) => item.digest === sha(finished())).length, 1);
  });

  test('the package name resolves to the same exports (package.json "exports")', async () => {
    const name = 'mission-guard';
    const pkg = (await import(name)) as { judgeArtifact: unknown; writeArtifact: unknown };
    assert.equal(pkg.judgeArtifact, judgeArtifact);
    assert.equal(pkg.writeArtifact, writeArtifact);
  });

  test('a path that is not an artifact is an error with a code, not a verdict', async () => {
    await assert.rejects(judgeArtifact(box.mission, 'notes.txt', 'x', options), (error: { code?: string }) => error.code === 'NOT_AN_ARTIFACT');
    await assert.rejects(writeArtifact(box.mission, '../outside.json', '{}', options), (error: { code?: string }) => error.code === 'NOT_AN_ARTIFACT');
    assert.equal(existsSync(join(box.dir, 'outside.json')), false);
  });
});

describe('library: a Task Master project', () => {
  test('a project dir means its .taskmaster/: a flattened tasks.json is refused, a new task is written there and journaled', async () => {
    const project = join(box.dir, 'project');
    const missionDir = createTaskMasterProject(project);
    const tasksFile = join(missionDir, 'tasks', 'tasks.json');
    const tags = twoTags();
    const master = tags.master as NonNullable<typeof tags.master>;
    const first = await writeArtifact(project, 'tasks/tasks.json', readFileSync(tasksFile), options);
    assert.equal(first.ok, true, JSON.stringify(first));
    assert.equal(existsSync(join(project, 'tasks')), false, 'nothing written beside .taskmaster');

    const before = readFileSync(tasksFile);
    const flattened = rejected(await writeArtifact(project, 'tasks/tasks.json', tasksText({ tasks: master.tasks }), options));
    assert.ok(flattened.issues.length > 0);
    assert.equal(readFileSync(tasksFile).equals(before), true, 'the refused write left the file byte for byte');

    const grown = { ...tags, master: { ...master, tasks: [...master.tasks, tmTask(3, 'Write the docs', 'pending')] } };
    const added = await writeArtifact(project, '.taskmaster/tasks/tasks.json', tasksText(grown), options);
    assert.equal(added.ok, true, JSON.stringify(added));
    assert.equal(readFileSync(tasksFile, 'utf8'), tasksText(grown));
    assert.equal((await judgeArtifact(project, 'tasks/tasks.json', tasksText(grown), options)).ok, true);
    assert.equal(existsSync(statePaths(box, missionDir).journal), true, 'journaled under the .taskmaster mission');
  });
});
