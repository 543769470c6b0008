// `guard repair --restore ARTIFACT --to SNAP` (issue "durable truth" item 6): puts that artifact's
// chosen version back, and refuses a SNAP that is a version of another artifact.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { assertNoStack, entriesOf, progressLine } from '../helpers/durable.js';
import { failOnLeakedChildren, runGuard, sandbox, sha, startWatch, stopGuard, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let features: Feature[];

beforeEach(async () => {
  box = sandbox();
  features = baseFeatures();
  createMission(box.mission, features);
  await stopGuard(await startWatch(box));
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

const featuresFile = () => join(box.mission, 'features.json');

// `guard write` ARTIFACT with `text` on stdin; returns the seq of its write-accepted entry.
async function write(path: string, text: string): Promise<number> {
  const result = await runGuard(box, ['write', '--mission', box.mission, path, '-'], { input: text });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const entry = entriesOf(box, 'write-accepted').find((accepted) => accepted.path === path && accepted.digest === sha(text));
  assert.ok(entry !== undefined, `${path} journaled`);
  return entry.seq;
}

describe('guard repair --restore ARTIFACT --to SNAP', () => {
  const started = () => featureText(withFeature(features, 'f4-search', { status: 'in_progress', workerSessionIds: ['w4'], currentWorkerSessionId: 'w4' }));
  const renamed = () => featureText(withFeature(features, 'f4-search', { status: 'in_progress', workerSessionIds: ['w4'], currentWorkerSessionId: 'w4', description: 'Search, renamed' }));

  test('--to #SEQ and a bare SEQ put back that version of the artifact', async () => {
    const first = await write('features.json', started());
    await write('features.json', renamed());
    const byRef = await runGuard(box, ['repair', '--mission', box.mission, '--restore', 'features.json', '--to', `#${first}`]);
    assert.equal(byRef.code, 0, byRef.stdout + byRef.stderr);
    assert.equal(readFileSync(featuresFile(), 'utf8'), started());

    await write('features.json', renamed());
    const bySeq = await runGuard(box, ['repair', '--mission', box.mission, '--restore', './features.json', '--to', String(first)]);
    assert.equal(bySeq.code, 0, bySeq.stdout + bySeq.stderr);
    assert.equal(readFileSync(featuresFile(), 'utf8'), started());
    assert.deepEqual(entriesOf(box, 'repaired').map((entry) => entry.action), ['restore', 'restore']);
  });

  test('a SNAP of another artifact is a usage error and nothing changes', async () => {
    await write('features.json', started());
    const log = readFileSync(join(box.mission, 'progress_log.jsonl'), 'utf8');
    const other = await write('progress_log.jsonl', `${log}${progressLine({ type: 'worker_started', workerSessionId: 'w4', featureId: 'f4-search' })}`);
    const journalBefore = entriesOf(box, 'write-accepted').length;
    const result = await runGuard(box, ['repair', '--mission', box.mission, '--restore', 'features.json', '--to', `#${other}`]);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, new RegExp(`#${other} is a version of progress_log\\.jsonl, not of features\\.json; list the versions of features\\.json with guard snapshots`));
    assertNoStack(result);
    assert.equal(readFileSync(featuresFile(), 'utf8'), started());
    assert.equal(entriesOf(box, 'write-accepted').length, journalBefore);
  });
});
