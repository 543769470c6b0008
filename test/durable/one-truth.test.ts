// One truth for every write path (issue 10 items 1-2): `guard write`, `writeArtifact` and the hook
// judge against the file on disk and the evidence on disk that no guardian journaled, exactly as
// `guard verify` would; whatever `guard write`, `repair --restore` and `repair --rebuild` replace
// is stored and journaled, so `guard show` prints it; identical bytes journal nothing.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { writeArtifact } from '../../src/api.js';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { completed, entriesOf, guardJson, successLine, type VerifyJson } from '../helpers/durable.js';
import { failOnLeakedChildren, journal, runGuard, runWriter, sandbox, sha, startWatch, statePaths, stopGuard, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let features: Feature[];

beforeEach(() => {
  box = sandbox();
  features = baseFeatures();
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

const featuresFile = () => join(box.mission, 'features.json');
const logFile = () => join(box.mission, 'progress_log.jsonl');
const write = (text: string) => runGuard(box, ['write', '--mission', box.mission, 'features.json'], { input: text });
const show = (digest: string) => runGuard(box, ['show', '--mission', box.mission, digest]);

// A mission no guard has seen: features.json says f3 completed and the progress log proves it.
function neverGuarded(): { done: Feature[] } {
  const done = completed(features, 'f3-profile', 'w3');
  createMission(box.mission, done);
  appendFileSync(logFile(), successLine('f3-profile', 'w3'));
  return { done };
}

describe('write paths judge against the disk and its evidence', () => {
  test('never guarded, the progress log proves f3 done: guard write reopening f3 exits 1, the file byte for byte', async () => {
    const { done } = neverGuarded();
    const before = readFileSync(featuresFile());
    const inode = statSync(featuresFile()).ino;
    const reopened = featureText(withFeature(done, 'f3-profile', { status: 'pending', completedWorkerSessionId: null }));
    const result = await write(reopened);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /f3-profile/);
    assert.equal(readFileSync(featuresFile()).equals(before), true, 'byte for byte');
    assert.equal(statSync(featuresFile()).ino, inode);
    // The version found on disk and its evidence were journaled as a guardian start would.
    assert.ok(entriesOf(box, 'write-accepted').some((entry) => entry.path === 'features.json' && entry.digest === sha(before) && entry.by === 'baseline'));
    assert.ok(entriesOf(box, 'evidence').some((entry) => entry.facts.some((fact) => fact.fact === 'worker-completed' && fact.feature === 'f3-profile')));
    const verify = await runGuard(box, ['verify', '--mission', box.mission]);
    assert.equal(verify.code, 0, verify.stdout);
  });

  test('never guarded, the progress log proves f3 done: writeArtifact reopening f3 is refused, the file byte for byte', async () => {
    const { done } = neverGuarded();
    const before = readFileSync(featuresFile());
    const reopened = featureText(withFeature(done, 'f3-profile', { status: 'in_progress', completedWorkerSessionId: null }));
    const result = await writeArtifact(box.mission, 'features.json', reopened, { guardHome: box.home, profile: 'droid' });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.issues.some((issue) => issue.item === 'f3-profile'), JSON.stringify(result));
    assert.equal(readFileSync(featuresFile()).equals(before), true);
  });

  test('the summary on disk lags its evidence (unguarded): a write keeping f3 in progress is refused, one completing it accepted', async () => {
    createMission(box.mission, features); // f3 in_progress
    appendFileSync(logFile(), successLine('f3-profile', 'w3'));
    const lagging = await write(featureText(withFeature(features, 'f4-search', { description: 'Search (v2)' })));
    assert.equal(lagging.code, 1, lagging.stdout + lagging.stderr);
    assert.match(lagging.stderr, /f3-profile/);
    const fixed = await write(featureText(completed(features, 'f3-profile', 'w3')));
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    const verify = await guardJson<VerifyJson>(box, ['verify', '--mission', box.mission], 0);
    assert.equal(verify.doc.consistent, true);
  });

  describe('guardian stopped, then droid completes f3 (features.json, then the success line)', () => {
    let revert: string;
    beforeEach(async () => {
      createMission(box.mission, features);
      await stopGuard(await startWatch(box));
      revert = featureText(features); // exactly the last good version the guardian saw
      await runWriter(box, [
        { op: 'write', file: featuresFile(), text: featureText(completed(features, 'f3-profile', 'w3')) },
        { op: 'append', file: logFile(), text: successLine('f3-profile', 'w3') },
      ]);
    });

    test('guard write reverting f3 exits 1 and leaves the file', async () => {
      const before = readFileSync(featuresFile());
      const result = await write(revert);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.equal(readFileSync(featuresFile()).equals(before), true);
    });

    test('a hook Create reverting f3 is denied (exit 2)', async () => {
      const before = readFileSync(featuresFile());
      const body = { session_id: 'orch', cwd: box.mission, hook_event_name: 'PreToolUse', tool_name: 'Create', tool_input: { file_path: 'features.json', content: revert } };
      const result = await runGuard(box, ['hook'], { input: JSON.stringify(body) });
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, /f3-profile/);
      assert.equal(readFileSync(featuresFile()).equals(before), true);
      assert.equal(journal(box).at(-1)?.kind, 'hook-denied');
    });
  });
});

describe('nothing is overwritten unless it is stored', () => {
  let goodText: string;
  beforeEach(async () => {
    createMission(box.mission, features);
    goodText = featureText(features);
    await stopGuard(await startWatch(box));
  });

  // An on-disk version no guard stored: invalid, so no reconcile can accept it either.
  function unstored(text = `${goodText.slice(0, 40)} torn by hand`): string {
    writeFileSync(featuresFile(), text);
    return text;
  }

  async function assertShows(text: string): Promise<void> {
    const shown = await show(sha(text));
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, text, 'guard show prints the replaced bytes exactly');
  }

  test('guard write over an unstored version: replaced is journaled and guard show prints it', async () => {
    const lost = unstored();
    const next = featureText(completed(features, 'f3-profile', 'w3'));
    const result = await write(next);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`replaced is kept: guard show --mission \\S+ ${sha(lost).slice(0, 12)}`));
    assert.equal(entriesOf(box, 'write-accepted').at(-1)?.replaced, sha(lost));
    await assertShows(lost);
  });

  test('repair --restore over an unstored version: guard show prints it', async () => {
    const lost = unstored();
    const result = await runGuard(box, ['repair', '--mission', box.mission, '--restore', 'features.json']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(readFileSync(featuresFile(), 'utf8'), goodText);
    assert.equal(entriesOf(box, 'repaired').at(-1)?.replaced, sha(lost));
    await assertShows(lost);
  });

  test('repair --rebuild --yes over an unstored version: the summary names the feature it drops, guard show prints the version', async () => {
    // Unguarded: f1 reverted (so this version cannot become last good) and f9 added.
    const lost = unstored(featureText([...withFeature(features, 'f1-login', { status: 'pending' }), { id: 'f9-new', description: 'Added while unguarded', status: 'pending' }]));
    const result = await runGuard(box, ['repair', '--mission', box.mission, '--rebuild', 'features.json', '--yes']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /1 status\(es\) changed, 0 feature\(s\) brought back, 1 dropped/);
    assert.match(result.stdout, /f1-login: pending -> completed/);
    assert.match(result.stdout, /dropped: f9-new \(pending/);
    assert.equal(entriesOf(box, 'repaired').at(-1)?.replaced, sha(lost));
    await assertShows(lost);
  });

  test('guard write of the bytes that are last good and on disk journals nothing, and says so', async () => {
    const before = readFileSync(statePaths(box).journal);
    for (let i = 0; i < 2; i++) {
      const result = await write(goodText);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /already holds these bytes as its last good version \(journal #\d+\); nothing written, nothing journaled/);
    }
    assert.equal(readFileSync(statePaths(box).journal).equals(before), true, 'the journal is byte for byte the same');
  });
});
