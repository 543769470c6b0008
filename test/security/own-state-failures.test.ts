// Issue 14 item 4: the guard fails closed when its own state cannot be written. A guard home whose
// object store refuses writes (read-only, disk full) must not keep a bad version on disk: it is
// restored from last good (readable), the mission frozen, the failure journaled as an incident
// note, and the guard goes on. A journal that cannot be written either still restores, under the
// sentinel, before the guardian stops. Root bypasses permission checks, so these run the guard as
// an unprivileged uid (setpriv); the disk-full case mounts a small tmpfs as the guard home.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { BIN, failOnLeakedChildren, journal, kinds, sandbox, statePaths, until, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let child: ChildProcess | undefined;
let stderr = '';

const canDropPrivileges = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
const needsSetpriv = canDropPrivileges ? false : 'needs root and setpriv to run the guard as an unprivileged uid (root bypasses the permissions)';

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
});

afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child?.once('exit', resolve));
  }
  child = undefined;
  stderr = '';
  spawnSync('umount', [box.home], { stdio: 'ignore' });
  box.cleanup();
});

failOnLeakedChildren();

// `guard watch` on the sandbox mission as uid 65534, until its baseline is journaled.
async function watchAsNobody(): Promise<ChildProcess> {
  chmodSync(box.dir, 0o755);
  mkdirSync(box.home, { recursive: true });
  spawnSync('chown', ['-R', '65534:65534', box.dir]);
  const started = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'watch', box.mission], { env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  started.stdout?.resume();
  await until(() => kinds(box, 'baseline').length > 0 || started.exitCode !== null, 'the baseline as uid 65534');
  assert.equal(started.exitCode, null, stderr);
  return started;
}

const reopened = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));

test('an object store that refuses writes: the bad version is still restored, the mission frozen, the failure an incident, the guard alive', { skip: needsSetpriv }, async () => {
  child = await watchAsNobody();
  const file = join(box.mission, 'features.json');
  const good = readFileSync(file);
  const objects = statePaths(box).objects;
  for (const sub of readdirSync(objects)) chmodSync(join(objects, sub), 0o500);
  chmodSync(objects, 0o500);
  writeFileSync(file, reopened);
  await until(() => kinds(box, 'restored').length > 0, `the bad version restored (guard stderr: ${stderr})`);
  assert.equal(readFileSync(file).equals(good), true, 'features.json holds last good again');
  assert.ok(kinds(box, 'frozen').length > 0 && existsSync(join(box.mission, '.guard-frozen')), 'frozen, with the sentinel');
  const note = kinds(box, 'mission-fault').find((entry) => entry.kind === 'mission-fault' && entry.path === 'features.json');
  assert.ok(note?.kind === 'mission-fault' && note.code === 'EACCES' && /could not be kept in quarantine/.test(note.detail), JSON.stringify(note));
  assert.equal(child.exitCode, null, `the guard is still running: ${stderr}`);
});

test('a guard home made read-only whole (journal too): the bad version is still restored under the sentinel before the guardian stops', { skip: needsSetpriv }, async () => {
  child = await watchAsNobody();
  const file = join(box.mission, 'features.json');
  const good = readFileSync(file);
  const dir = statePaths(box).dir;
  spawnSync('chmod', ['-R', 'a-w', dir]);
  writeFileSync(file, reopened);
  await until(() => child?.exitCode !== null, `the guard stops: its only mission is no longer guarded (stderr: ${stderr})`);
  assert.equal(readFileSync(file).equals(good), true, 'features.json holds last good again');
  assert.ok(existsSync(join(box.mission, '.guard-frozen')), 'the sentinel freezes the mission');
  assert.match(stderr, /no longer protected/);
  assert.equal(journal(box).some((entry) => entry.kind === 'write-rejected'), false, 'nothing could be journaled');
});

const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = sandbox();
  const mnt = join(probe.dir, 'mnt');
  mkdirSync(mnt);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status === 0;
  if (mounted) spawnSync('umount', [mnt]);
  probe.cleanup();
  return mounted;
})();

test('a full disk under the guard home: the bad version is still restored and frozen, the failure journaled', { skip: canMount ? false : 'mounting a tmpfs is not allowed here (needs root in a mount namespace): cannot fill a disk safely' }, async () => {
  mkdirSync(box.home, { recursive: true });
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', box.home]).status, 0);
  const file = join(box.mission, 'features.json');
  const good = readFileSync(file);
  const guard = spawn(process.execPath, [BIN, 'watch', box.mission], { env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child = guard;
  guard.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  guard.stdout?.resume();
  await until(() => kinds(box, 'baseline').length > 0, 'the baseline');
  const { bavail, bsize } = statfsSync(box.home);
  writeFileSync(join(box.home, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - 96 * 1024)));
  // Incompressible, 200 KB: its quarantine cannot fit in the 96 KB left; journal lines can.
  const features = withFeature(baseFeatures(), 'f1-login', { status: 'pending', description: randomBytes(100 * 1024).toString('hex') });
  writeFileSync(file, featureText(features));
  await until(() => kinds(box, 'restored').length > 0, `the bad version restored (guard stderr: ${stderr})`);
  assert.equal(readFileSync(file).equals(good), true);
  assert.ok(existsSync(join(box.mission, '.guard-frozen')), 'frozen');
  const note = kinds(box, 'mission-fault').find((entry) => entry.kind === 'mission-fault' && entry.path === 'features.json');
  assert.ok(note?.kind === 'mission-fault' && note.code === 'ENOSPC', JSON.stringify(note));
  assert.equal(guard.exitCode, null, `the guard is still running: ${stderr}`);
});
