// Issue 14 item 3: nothing follows a symlink out of the mission. Each test is one attack of the
// campaign, run against the real `guard watch` (or `guard write`): a symlink where an artifact or
// one of its directories should be, or the whole mission dir swapped for one. The guard must never
// read the target into its store, nor write, append to or delete it; the symlink is an incident.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { appendProgress, createMission, featureText, writeHandoff, writeLikeTool } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { failOnLeakedChildren, journal, kinds, runGuard, sandbox, sha, startWatch, statePaths, stopGuard, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;
let outside: string;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  outside = join(box.dir, 'outside');
  mkdirSync(outside, { recursive: true });
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const faultsAt = (path: string) => kinds(box, 'mission-fault').filter((entry) => entry.kind === 'mission-fault' && entry.path === path);

// A bad features.json, restored: proves the guardian handled every event before it.
async function roundTrip(): Promise<void> {
  const restoredBefore = kinds(box, 'restored').length;
  writeLikeTool(join(box.mission, 'features.json'), featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' })));
  await until(() => kinds(box, 'restored').length > restoredBefore, 'the bad features.json restored');
}

// Every object file in the guard home (content-addressed: objects/<2 hex>/<62 hex>).
function objectDigests(): Set<string> {
  const dir = statePaths(box).objects;
  if (!existsSync(dir)) return new Set();
  return new Set(readdirSync(dir).flatMap((sub) => readdirSync(join(dir, sub)).filter((name) => /^[0-9a-f]{62}$/.test(name)).map((name) => `${sub}${name}`)));
}

test('a JSONC settings.json behind a symlinked validation dir is never deleted; the symlink is an incident', async () => {
  const flows = join(outside, 'm1', 'user-testing', 'flows');
  mkdirSync(flows, { recursive: true });
  const settings = '{\n  // the user\'s editor settings\n  "theme": "dark",\n}\n';
  writeFileSync(join(flows, 'settings.json'), settings);
  guard = await startWatch(box);
  symlinkSync(outside, join(box.mission, 'validation'));
  await until(() => faultsAt('validation').length > 0, 'a mission fault naming validation');
  await until(() => kinds(box, 'frozen').length > 0, 'frozen');
  await roundTrip();
  assert.equal(readFileSync(join(flows, 'settings.json'), 'utf8'), settings, 'the outside settings.json is untouched');
  const fault = faultsAt('validation')[0];
  assert.match(fault?.kind === 'mission-fault' ? fault.detail : '', /validation is a symlink to .*outside; the guard never follows/);
  assert.equal(journal(box).some((entry) => 'path' in entry && typeof entry.path === 'string' && entry.path.startsWith('validation/')), false, 'nothing behind the link was judged');
});

test('a handoffs dir swapped for a symlink: the outside file a user edits is never reverted', async () => {
  const handoff = writeHandoff(box.mission, 'f1-login', 'w1', 'success');
  guard = await startWatch(box, ['--recheck-ms', '100']);
  const outsideHandoffs = join(outside, 'handoffs');
  mkdirSync(outsideHandoffs);
  const userText = '{"a user file": "edited by its owner"}\n';
  writeFileSync(join(outsideHandoffs, handoff.slice('handoffs/'.length)), userText);
  renameSync(join(box.mission, 'handoffs'), join(box.dir, 'handoffs.moved'));
  symlinkSync(outsideHandoffs, join(box.mission, 'handoffs'));
  await until(() => faultsAt('handoffs').length > 0, 'a mission fault naming handoffs');
  await roundTrip();
  assert.equal(readFileSync(join(outsideHandoffs, handoff.slice('handoffs/'.length)), 'utf8'), userText, 'the outside file keeps its owner\'s edit');
  assert.deepEqual(readdirSync(outsideHandoffs), [handoff.slice('handoffs/'.length)], 'no temp file or restore landed outside');
  assert.equal(faultsAt('handoffs').length, 1, 'one incident for the link, not one per file behind it');
});

test('a progress log swapped for a symlink: no pause line is appended to the outside log', async () => {
  appendProgress(box.mission, { type: 'worker_started', workerSessionId: 'w3' });
  const logText = readFileSync(join(box.mission, 'progress_log.jsonl'), 'utf8');
  guard = await startWatch(box);
  const outsideLog = join(outside, 'log.jsonl');
  writeFileSync(outsideLog, logText); // the same bytes: read through the link it would look unchanged
  const link = join(box.dir, 'link');
  symlinkSync(outsideLog, link);
  renameSync(link, join(box.mission, 'progress_log.jsonl'));
  await until(() => faultsAt('progress_log.jsonl').length > 0, 'a mission fault naming progress_log.jsonl');
  await roundTrip(); // a freeze with droid's pause: state.json paused, the log line refused
  await until(() => kinds(box, 'scheduler-paused').length > 0, 'the scheduler paused');
  assert.equal(readFileSync(outsideLog, 'utf8'), logText, 'the outside log got no mission_paused line');
  assert.match(readFileSync(join(box.mission, 'state.json'), 'utf8'), /"paused"/, 'the other pause write still happened');
});

test('a mission dir swapped for a symlink after the start: nothing is restored into the target, the guardian stops acting', async () => {
  guard = await startWatch(box);
  const target = join(box.dir, 'target');
  mkdirSync(target);
  const bad = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));
  writeFileSync(join(target, 'features.json'), bad);
  const moved = join(box.dir, 'mission.moved');
  renameSync(box.mission, moved);
  symlinkSync(target, box.mission);
  writeLikeTool(join(moved, 'features.json'), bad); // an event on the dir the guard watches
  const stopped = await until(() => (guard?.process.exitCode !== null ? guard?.done : undefined), 'the guard stops: its only mission is no longer guarded', 30_000);
  guard = undefined;
  assert.equal(stopped.code, 74, stopped.stderr);
  assert.match(stopped.stderr, /was replaced \(renamed, or swapped for a symlink\)/);
  assert.equal(readFileSync(join(target, 'features.json'), 'utf8'), bad, 'nothing restored into the target');
  assert.deepEqual(readdirSync(target), ['features.json'], 'no sentinel or temp file written into the target');
  rmSync(box.mission);
  renameSync(moved, box.mission); // the journal is the real mission's
  await until(() => kinds(box, 'mission-fault').some((entry) => entry.kind === 'mission-fault' && entry.code === 'ESWAPPED'), 'the swap journaled');
  assert.ok(kinds(box, 'frozen').length > 0, 'the mission is frozen in the journal');
});

test('a mission dir renamed and replaced by another dir: frozen there by the sentinel, nothing restored into it', async () => {
  guard = await startWatch(box);
  const bad = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));
  const moved = join(box.dir, 'mission.moved');
  renameSync(box.mission, moved);
  mkdirSync(box.mission);
  writeFileSync(join(box.mission, 'features.json'), bad);
  writeLikeTool(join(moved, 'features.json'), bad); // an event on the dir the guard watches
  const stopped = await until(() => (guard?.process.exitCode !== null ? guard?.done : undefined), 'the guard stops', 30_000);
  guard = undefined;
  assert.equal(stopped.code, 74, stopped.stderr);
  assert.equal(readFileSync(join(box.mission, 'features.json'), 'utf8'), bad, 'nothing restored into the new dir');
  assert.ok(existsSync(join(box.mission, '.guard-frozen')), 'the dir at the mission path is frozen by the sentinel');
});

test('guard write refuses to write through a symlinked directory', async () => {
  const outsideHandoffs = join(outside, 'handoffs');
  mkdirSync(outsideHandoffs);
  symlinkSync(outsideHandoffs, join(box.mission, 'handoffs'));
  const handoff = join(box.dir, 'handoff.json');
  const name = writeHandoff(box.dir, 'f1-login', 'w1', 'success');
  writeFileSync(handoff, readFileSync(join(box.dir, name)));
  const result = await runGuard(box, ['write', name, '--from', handoff, '--mission', box.mission]);
  assert.notEqual(result.code, 0, result.stdout);
  assert.match(result.stderr, /handoffs is a symlink; the guard never follows a symlink/);
  assert.deepEqual(readdirSync(outsideHandoffs), [], 'nothing written outside, not even a temp file');
});

test('library -> /etc (and -> a secret dir) copies nothing into the guard home', async () => {
  const secretDir = join(outside, 'secrets');
  mkdirSync(secretDir);
  writeFileSync(join(secretDir, 'token.txt'), 'TOP SECRET TOKEN\n');
  guard = await startWatch(box);
  const before = objectDigests();
  symlinkSync('/etc', join(box.mission, 'library'));
  symlinkSync(secretDir, join(box.mission, 'skills'));
  await until(() => faultsAt('library').length > 0 && faultsAt('skills').length > 0, 'mission faults naming library and skills');
  writeFileSync(join(secretDir, 'token2.txt'), 'ANOTHER SECRET\n');
  await roundTrip();
  const added = [...objectDigests()].filter((digest) => !before.has(digest));
  assert.equal(added.includes(sha('TOP SECRET TOKEN\n')), false, 'the secret is not in the object store');
  assert.equal(added.includes(sha('ANOTHER SECRET\n')), false);
  if (existsSync('/etc/hostname')) assert.equal(added.includes(sha(readFileSync('/etc/hostname'))), false, '/etc/hostname is not in the object store');
  assert.equal(journal(box).some((entry) => 'path' in entry && typeof entry.path === 'string' && /^(library|skills)\//.test(entry.path)), false, 'nothing behind the links was journaled');
});

test('guard-home files are 0600 in 0700 dirs', async () => {
  guard = await startWatch(box);
  await roundTrip();
  const stopped = await stopGuard(guard);
  guard = undefined;
  assert.equal(stopped.code, 3, stopped.stderr);
  const loose: string[] = [];
  const walk = (dir: string) => {
    const mode = statSync(dir).mode & 0o777;
    if (mode !== 0o700) loose.push(`${dir} ${mode.toString(8)}`);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if ((statSync(path).mode & 0o077) !== 0) loose.push(`${path} ${(statSync(path).mode & 0o777).toString(8)}`);
    }
  };
  walk(box.home);
  assert.deepEqual(loose, []);
});

test('guard ack does not unfreeze while a symlinked directory stands in the mission; verify names it', async () => {
  guard = await startWatch(box);
  symlinkSync(outside, join(box.mission, 'handoffs'));
  await until(() => faultsAt('handoffs').length > 0 && existsSync(join(box.mission, '.guard-frozen')), 'frozen for the link');
  const verify = await runGuard(box, ['verify', '--mission', box.mission]);
  assert.equal(verify.code, 1, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /handoffs is a symbolic link to .*outside.*the guard never follows it/);
  const ack = await runGuard(box, ['ack', '--mission', box.mission, '--note', 'looks fine', '--yes-i-am-human']);
  assert.notEqual(ack.code, 0, 'ack refused while the link is there');
  assert.ok(existsSync(join(box.mission, '.guard-frozen')), 'still frozen');
});
