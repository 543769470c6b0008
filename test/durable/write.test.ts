// `guard write ARTIFACT [--from FILE | -]` (issue "durable truth" item 7): judged, atomic,
// journaled once; on reject exit 1 with the old file byte for byte. A guardian watching the same
// mission takes the write as already judged.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, writeHandoff, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { assertNoStack, completed, entriesOf } from '../helpers/durable.js';
import { acceptedDigest, failOnLeakedChildren, runGuard, runWriter, sandbox, sha, startWatch, stopGuard, stopTestGuard, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;
let features: Feature[];
let goodText: string;

// A mission with a last good version: one guardian ran, baselined it, and stopped.
beforeEach(async () => {
  box = sandbox();
  features = baseFeatures();
  createMission(box.mission, features);
  goodText = featureText(features);
  await stopGuard(await startWatch(box));
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const featuresFile = () => join(box.mission, 'features.json');
const truncated = () => goodText.slice(0, Math.floor(goodText.length / 2));
const reverted = () => featureText(withFeature(features, 'f1-login', { status: 'pending' }));
const finished = () => featureText(completed(features, 'f3-profile', 'w3'));

function fromFile(text: string): string {
  const file = join(box.dir, `new-${sha(text).slice(0, 8)}.json`);
  writeFileSync(file, text);
  return file;
}

const write = (args: string[], input?: string) => runGuard(box, ['write', '--mission', box.mission, 'features.json', ...args], input === undefined ? {} : { input });

// The mission dir holds no temp siblings (`.features.json.*.tmp`).
function assertNoTempFiles(): void {
  assert.deepEqual(
    readdirSync(box.mission).filter((name) => name.endsWith('.tmp')),
    [],
  );
}

describe('guard write', () => {
  test('guard state that cannot be created (GUARD_HOME is a file): exit 74 without a stack', async () => {
    const home = join(box.dir, 'not-a-dir');
    writeFileSync(home, 'x');
    const result = await runGuard(box, ['write', '--mission', box.mission, 'features.json', '--from', fromFile(finished())], { env: { ...box.env, GUARD_HOME: home } });
    assert.equal(result.code, 74, result.stdout + result.stderr);
    assert.match(result.stderr, /^guard write: ENOTDIR: not a directory/);
    assertNoStack(result);
    assert.equal(readFileSync(featuresFile(), 'utf8'), goodText);
  });

  test('a version that cannot be written to disk: exit 74 without a stack, nothing journaled', async () => {
    const handoff = writeHandoff(box.mission, 'f3-profile', 'w3', 'success');
    const bytes = readFileSync(join(box.mission, handoff));
    rmSync(join(box.mission, 'handoffs'), { recursive: true });
    writeFileSync(join(box.mission, 'handoffs'), 'a file where the handoffs dir should be');
    const journalBefore = entriesOf(box, 'write-accepted').length;
    const result = await runGuard(box, ['write', '--mission', box.mission, handoff, '--from', fromFile(bytes.toString('utf8'))]);
    assert.equal(result.code, 74, result.stdout + result.stderr);
    assert.match(result.stderr, /cannot write .*handoffs/);
    assertNoStack(result);
    assert.equal(entriesOf(box, 'write-accepted').length, journalBefore, 'nothing journaled for a write that never happened');
  });

  test('a bad document (stdin or --from FILE): exit 1, the file untouched byte for byte, nothing frozen or accepted', async () => {
    const before = readFileSync(featuresFile());
    const inode = statSync(featuresFile()).ino;
    const journalLength = entriesOf(box, 'write-accepted').length;
    for (const [how, run] of [
      ['stdin', () => write([], truncated())],
      ['--from -', () => write(['--from', '-'], reverted())],
      ['--from FILE', () => write(['--from', fromFile(reverted())])],
      ['--from FILE', () => write(['--from', fromFile(truncated())])],
    ] as const) {
      const result = await run();
      assert.equal(result.code, 1, `${how}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /rejected features\.json; the file was not changed/);
      assert.equal(readFileSync(featuresFile()).equals(before), true, `${how}: byte for byte`);
      assert.equal(statSync(featuresFile()).ino, inode, `${how}: not even replaced by the same bytes`);
    }
    assert.match((await write([], reverted())).stderr, /f1-login/);
    assert.equal(entriesOf(box, 'write-accepted').length, journalLength);
    assert.deepEqual(entriesOf(box, 'write-rejected'), [], 'a refused write is an answer, not an incident');
    assert.deepEqual(entriesOf(box, 'frozen'), []);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);
    assertNoTempFiles();
  });

  test('a good document: the file replaced by rename, journaled exactly once (--from FILE, then stdin)', async () => {
    const inode = statSync(featuresFile()).ino;
    const result = await write(['--from', fromFile(finished())]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /f3-profile: in_progress -> completed/);
    assert.equal(readFileSync(featuresFile(), 'utf8'), finished());
    assert.notEqual(statSync(featuresFile()).ino, inode, 'a new inode: temp + rename, not an in-place rewrite');
    const accepted = entriesOf(box, 'write-accepted').filter((entry) => entry.digest === sha(finished()));
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0]?.by, 'guard-write');

    const next = featureText(withFeature(completed(features, 'f3-profile', 'w3'), 'f4-search', { status: 'in_progress', workerSessionIds: ['w4'] }));
    assert.equal((await write([], next)).code, 0);
    assert.equal(readFileSync(featuresFile(), 'utf8'), next);
    assert.deepEqual(
      entriesOf(box, 'write-accepted').filter((entry) => entry.digest === sha(next)).map((entry) => entry.by),
      ['guard-write'],
    );
    assertNoTempFiles();
  });

  test('with guard watch running: no incident and no second accepted entry for the guard write', async () => {
    guard = await startWatch(box);
    const refused = await write([], reverted());
    assert.equal(refused.code, 1);
    const result = await write(['--from', fromFile(finished())]);
    assert.equal(result.code, 0, result.stdout + result.stderr);

    // The guardian is idle once it has accepted a later write to the same file.
    const followUp = featureText(withFeature(completed(features, 'f3-profile', 'w3'), 'f4-search', { status: 'in_progress', workerSessionIds: ['w4'] }));
    await runWriter(box, [{ op: 'write', file: featuresFile(), text: followUp }]);
    await acceptedDigest(box, 'features.json', followUp);

    const accepted = entriesOf(box, 'write-accepted').filter((entry) => entry.digest === sha(finished()));
    assert.deepEqual(accepted.map((entry) => entry.by), ['guard-write'], 'journaled once, by guard write');
    assert.deepEqual(
      entriesOf(box, 'write-accepted').filter((entry) => entry.digest === sha(followUp)).map((entry) => entry.by),
      ['watcher'],
    );
    assert.deepEqual(entriesOf(box, 'write-rejected'), []);
    assert.deepEqual(entriesOf(box, 'restored'), []);
    assert.deepEqual(entriesOf(box, 'frozen'), []);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);
  });

  test('usage errors: exit 2', async () => {
    const none = await runGuard(box, ['write', '--mission', box.mission]);
    assert.equal(none.code, 2);
    const missing = await write(['--from', join(box.dir, 'no-such-file.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file/);
    const outside = await runGuard(box, ['write', '--mission', box.mission, 'notes.txt'], { input: 'hello' });
    assert.equal(outside.code, 2);
    assert.equal(existsSync(join(box.mission, 'notes.txt')), false);
  });
});
