// One mission's fault never stops another (issues "one truth for every write path" item 4 and
// "hostile missions" items 2 and 4): an error confined to one mission's files becomes an incident
// of that mission, frozen with a clear reason, while the guard goes on protecting every mission.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { BIN, failOnLeakedChildren, journal, statePaths, kinds, sandbox, spawnGuard, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;
let m1: string;
let m2: string;

beforeEach(async () => {
  box = sandbox();
  m1 = join(box.dir, 'm1');
  m2 = join(box.dir, 'm2');
  createMission(m1, baseFeatures());
  createMission(m2, baseFeatures());
  guard = spawnGuard(box, ['watch', m1, m2]);
  await until(() => journal(box, m1).some((e) => e.kind === 'baseline') && journal(box, m2).some((e) => e.kind === 'baseline'), 'both baselines', 30_000);
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const reopened = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));

// m2 is still protected: a bad write there is restored.
async function stillProtects(mission: string): Promise<void> {
  const file = join(mission, 'features.json');
  const good = readFileSync(file);
  writeFileSync(file, reopened);
  await until(() => kinds(box, 'restored', mission)[0], `${mission} still protected`);
  assert.equal(readFileSync(file).equals(good), true);
}

test('a directory in place of an artifact of m1: m1 frozen with the reason, m2 still protected, the guard alive', async () => {
  const file = join(m1, 'features.json');
  renameSync(file, join(box.dir, 'features.json.moved'));
  mkdirSync(file);
  writeFileSync(join(file, 'inside.txt'), 'a directory, not features.json');
  const fault = await until(() => kinds(box, 'mission-fault', m1)[0], 'the fault journaled');
  assert.ok(fault.kind === 'mission-fault' && fault.path === 'features.json' && fault.code === 'EISDIR');
  assert.match(fault.detail, /features\.json.*directory/);
  const sentinel = JSON.parse(readFileSync(join(m1, '.guard-frozen'), 'utf8')) as { reason: string; ack: string };
  assert.match(sentinel.reason, /features\.json/);
  assert.match(sentinel.ack, /guard ack --mission/);
  assert.ok(statSync(file).isDirectory(), 'nothing of the directory was removed');
  assert.equal(guard?.process.exitCode, null, 'the guard is still running');
  await stillProtects(m2);
  assert.equal(existsSync(join(m2, '.guard-frozen')), true, 'm2 froze for its own incident');
  assert.equal(kinds(box, 'mission-fault', m2).length, 0, "m1's fault is not m2's");
});

test('a directory planted where the sentinel goes does not stop the freeze: moved aside, sentinel written, bad write restored', async () => {
  const sentinel = join(m1, '.guard-frozen');
  mkdirSync(sentinel);
  await until(() => kinds(box, 'tamper', m1)[0], 'the planted sentinel noticed');
  const file = join(m1, 'features.json');
  const good = readFileSync(file);
  writeFileSync(file, reopened);
  await until(() => kinds(box, 'restored', m1)[0], 'restored');
  assert.equal(readFileSync(file).equals(good), true);
  assert.ok(statSync(sentinel).isFile(), 'the sentinel is a plain file');
  const tamper = kinds(box, 'tamper', m1)[0];
  assert.ok(tamper?.kind === 'tamper' && /moved aside/.test(tamper.detail));
  assert.equal(guard?.process.exitCode, null);
});

// Root reads every file, so the unreadable case runs as an unprivileged uid (setpriv).
const canDropPrivileges = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

test('an unreadable artifact of m1 (not root): m1 frozen with the reason, m2 still protected, the guard alive', { skip: canDropPrivileges ? false : 'needs root and setpriv to run the guard as an unprivileged uid' }, async () => {
  await stopTestGuard(guard);
  guard = undefined;
  chmodSync(box.dir, 0o755);
  spawnSync('chown', ['-R', '65534:65534', box.dir]);
  const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'watch', m1, m2], { env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await until(() => journal(box, m1).filter((e) => e.kind === 'baseline').length > 1 && journal(box, m2).filter((e) => e.kind === 'baseline').length > 1, 'both baselines as uid 65534', 30_000);
    chmodSync(join(m1, 'features.json'), 0o000);
    const fault = await until(() => kinds(box, 'mission-fault', m1)[0], `the fault journaled (guard stderr: ${stderr})`);
    assert.ok(fault.kind === 'mission-fault' && fault.code === 'EACCES');
    assert.match(fault.detail, /cannot read features\.json.*permission denied/);
    await until(() => existsSync(join(m1, '.guard-frozen')), 'm1 frozen');
    assert.equal(child.exitCode, null, 'the guard is still running');
    const file = join(m2, 'features.json');
    const good = readFileSync(file);
    writeFileSync(file, reopened);
    await until(() => kinds(box, 'restored', m2)[0], 'm2 still protected');
    assert.equal(readFileSync(file).equals(good), true);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
});

test("m1's own guard state fails (its journal replaced by a directory): m1 frozen by its sentinel, m2 still protected, the watch alive", async () => {
  const file = statePaths(box, m1).journal;
  rmSync(file);
  mkdirSync(file);
  writeFileSync(join(m1, 'features.json'), reopened);
  await until(() => existsSync(join(m1, '.guard-frozen')), 'm1 frozen by its sentinel');
  await until(() => guard?.stderr().includes('is no longer protected'), 'the failure reported');
  assert.equal(guard?.process.exitCode, null, 'the guard is still running');
  await stillProtects(m2);
});

// A watcher error (issue "one truth" item 4): a directory of m1 that can no longer be watched
// (made unreadable, as an unprivileged uid: root watches anything) is not the guard's own failure.
// Events under it may be lost, so m1's artifacts are looked at again: the one it holds cannot be
// read, which is an incident of m1. The guard goes on: m2 stays protected, and once the directory
// is readable again it is watched again.
test('a directory of m1 that cannot be watched (not root): rescanned, m1 frozen for what it hides, m2 protected, watched again once readable', { skip: canDropPrivileges ? false : 'needs root and setpriv to run the guard as an unprivileged uid' }, async () => {
  await stopTestGuard(guard);
  guard = undefined;
  const scrutiny = join(m1, 'validation', 'm1', 'scrutiny');
  mkdirSync(scrutiny, { recursive: true });
  const synthesis = (status: string) => `${JSON.stringify({ milestone: 'm1', status, blockingIssues: [], passedAssertions: [], failedAssertions: [], blockedAssertions: [] }, null, 2)}\n`;
  const file = join(scrutiny, 'synthesis.json');
  writeFileSync(file, synthesis('pass'));
  chmodSync(box.dir, 0o755);
  spawnSync('chown', ['-R', '65534:65534', box.dir]);
  const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'watch', m1, m2], { env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await until(() => journal(box, m1).filter((e) => e.kind === 'baseline').length > 1 && journal(box, m2).filter((e) => e.kind === 'baseline').length > 1, 'both baselines as uid 65534', 30_000);
    chmodSync(scrutiny, 0o000);
    const fault = await until(() => kinds(box, 'mission-fault', m1)[0], `the fault journaled (guard stderr: ${stderr})`);
    assert.ok(fault.kind === 'mission-fault' && fault.path === 'validation/m1/scrutiny/synthesis.json' && fault.code === 'EACCES', JSON.stringify(fault));
    await until(() => existsSync(join(m1, '.guard-frozen')), 'm1 frozen');
    assert.equal(child.exitCode, null, 'the guard is still running');
    assert.doesNotMatch(stderr, /no longer protected/);
    const m2File = join(m2, 'features.json');
    const m2Good = readFileSync(m2File);
    writeFileSync(m2File, reopened);
    await until(() => kinds(box, 'restored', m2)[0], 'm2 still protected');
    assert.equal(readFileSync(m2File).equals(m2Good), true);
    // Readable again: watched again (the periodic re-check is 30 s away; this is the watcher).
    chmodSync(scrutiny, 0o755);
    const good = readFileSync(file);
    writeFileSync(file, synthesis('looks-good-to-me'));
    await until(() => kinds(box, 'restored', m1).some((e) => e.kind === 'restored' && e.path === 'validation/m1/scrutiny/synthesis.json'), `the bad synthesis restored (guard stderr: ${stderr})`, 10_000);
    assert.equal(readFileSync(file).equals(good), true);
    assert.equal(child.exitCode, null, 'the guard is still running');
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
});

// The same watcher error where nothing known is hidden: a new directory of m1 that cannot be read.
// The rescan finds nothing wrong, so there is no incident, and m1 stays protected (it used to stop
// m1's guardian: the error reached it as a fatal one).
test('a new directory of m1 that cannot be read (not root): no incident, m1 and m2 still protected', { skip: canDropPrivileges ? false : 'needs root and setpriv to run the guard as an unprivileged uid' }, async () => {
  await stopTestGuard(guard);
  guard = undefined;
  chmodSync(box.dir, 0o755);
  spawnSync('chown', ['-R', '65534:65534', box.dir]);
  const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'watch', m1, m2], { env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await until(() => journal(box, m1).filter((e) => e.kind === 'baseline').length > 1 && journal(box, m2).filter((e) => e.kind === 'baseline').length > 1, 'both baselines as uid 65534', 30_000);
    const hidden = join(m1, 'validation');
    mkdirSync(join(box.dir, 'prepared', 'm9'), { recursive: true });
    spawnSync('chown', ['-R', '65534:65534', join(box.dir, 'prepared')]);
    chmodSync(join(box.dir, 'prepared', 'm9'), 0o000);
    renameSync(join(box.dir, 'prepared'), hidden);
    for (const mission of [m1, m2]) {
      const file = join(mission, 'features.json');
      const good = readFileSync(file);
      writeFileSync(file, reopened);
      await until(() => kinds(box, 'restored', mission)[0], `${mission} still protected (guard stderr: ${stderr})`);
      assert.equal(readFileSync(file).equals(good), true);
    }
    assert.equal(child.exitCode, null, 'the guard is still running');
    assert.doesNotMatch(stderr, /no longer protected/);
    assert.equal(kinds(box, 'mission-fault', m1).length, 0, 'nothing known was hidden: no incident');
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
});
