// A fast-growing log is judged by its appended bytes (issue 9 item 10): the fast path reads only
// the appends, journals their evidence and stores the version; an in-place rewrite of the old
// bytes is still caught; bad features.json versions written while the log grows are each judged.
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import type { JournalEntry } from '../../src/core/entries.js';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { AppendTails, AUDIT_MS, WINDOW } from '../../src/guardian/appends.js';
import { MissionStore } from '../../src/mission/mission-store.js';
import { loadDroidProfile } from '../../src/profiles/profile.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { failOnLeakedChildren, FIXTURES, journal, sandbox, sha, spawnNode, startWatch, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

const LOG = 'progress_log.jsonl';
let box: Sandbox;
let guard: GuardProcess | undefined;

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

function startedLine(n: number): string {
  return `${JSON.stringify({ type: 'worker_started', timestamp: '2026-12-02T06:00:00.000Z', workerSessionId: `w-${n}`, spawnId: `spawn-${n}` })}\n`;
}

function completedLine(n: number): string {
  return `${JSON.stringify({ type: 'worker_completed', timestamp: '2026-12-02T06:00:00.000Z', workerSessionId: 'w2', featureId: 'f2-logout', successState: 'success', seq: n })}\n`;
}

// A mission whose log holds `lines` lines, opened in process with the log's version as last good.
async function grownMission(lines: number, clock: () => number = () => 0) {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  appendFileSync(join(box.mission, LOG), Array.from({ length: lines }, (_, n) => startedLine(n)).join(''));
  const store = await MissionStore.open(box.home, box.mission, loadDroidProfile());
  const spec = store.specOf(LOG);
  assert.ok(spec !== undefined);
  const tails = new AppendTails(store, clock); // by default no audit by time: each test says when it reads in full
  const file = join(box.mission, LOG);
  const first = await tails.look(LOG, spec, file);
  assert.equal(first.kind, 'full');
  const bytes = first.kind === 'full' ? first.version?.bytes ?? null : null;
  const { verdict, previous } = await store.judge(LOG, spec, bytes);
  assert.equal(verdict.kind, 'accepted');
  if (verdict.kind === 'accepted') await store.recordAccepted(LOG, spec, bytes, verdict, previous, 'baseline');
  return { store, spec, tails, file };
}

test('appends to a log that extends last good are read, judged, stored and journaled alone', async () => {
  const { store, spec, tails, file } = await grownMission(5000);
  const before = readFileSync(file).length;
  appendFileSync(file, startedLine(5000) + completedLine(5001));
  const look = await tails.look(LOG, spec, file);
  assert.equal(look.kind, 'appended');
  const appended = readFileSync(file).length - before;
  assert.ok(tails.lastRead <= WINDOW + appended, `read ${tails.lastRead} bytes for an append of ${appended}`);
  const bytes = readFileSync(file);
  assert.equal(store.state.artifacts.get(LOG)?.lastGood, sha(bytes), 'the appended version is last good');
  assert.ok(Buffer.from(await store.objects.get(sha(bytes) as never)).equals(bytes), 'the stored version is the file, byte for byte');
  // Its evidence, numbered as a full read numbers it (line 1 is mission_accepted).
  const evidence = journal(box).filter((entry): entry is Extract<JournalEntry, { kind: 'evidence' }> => entry.kind === 'evidence');
  assert.deepEqual(evidence.flatMap((entry) => entry.facts.map((fact) => ('source' in fact ? fact.source : ''))), [`${LOG}:5003`]);

  // Many looks in a row stay on the fast path, each version stored and readable.
  for (let n = 0; n < 20; n++) {
    appendFileSync(file, startedLine(6000 + n));
    assert.equal((await tails.look(LOG, spec, file)).kind, 'appended');
  }
  const last = readFileSync(file);
  assert.ok(Buffer.from(await store.objects.get(sha(last) as never)).equals(last));
  // No growth: a full read (the audit), which finds last good.
  const quiet = await tails.look(LOG, spec, file);
  assert.equal(quiet.kind, 'full');
  assert.equal(quiet.digest, store.state.artifacts.get(LOG)?.lastGood);
});

test('an in-place rewrite near the end of the old bytes plus an append is never taken for an append', async () => {
  const { store, spec, tails, file } = await grownMission(5000);
  // Near the end (inside the re-read window): never taken for an append.
  const size = readFileSync(file).length;
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('X'), 0, 1, size - 30);
  closeSync(fd);
  appendFileSync(file, startedLine(5000));
  const near = await tails.look(LOG, spec, file);
  assert.equal(near.kind, 'full');
  const nearVerdict = await store.judge(LOG, spec, near.kind === 'full' ? near.version?.bytes ?? null : null);
  assert.equal(nearVerdict.verdict.kind, 'rejected');
  assert.equal(nearVerdict.verdict.kind === 'rejected' && nearVerdict.verdict.issues[0]?.code, 'append-only');
});

test('a rewrite far back in the log plus an append: the audit that follows judges it bad', async () => {
  const { store, spec, tails, file } = await grownMission(5000);
  const original = readFileSync(file);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('w-9'), 0, 3, original.indexOf('w-1'));
  closeSync(fd);
  appendFileSync(file, startedLine(5000));
  const fast = await tails.look(LOG, spec, file);
  // Accepted from the appended line alone: what is journaled and stored is last good plus that
  // line, bytes the guard read and judged, never the rewritten ones.
  assert.equal(fast.kind, 'appended');
  const stored = Buffer.from(await store.objects.get(store.state.artifacts.get(LOG)?.lastGood as never));
  assert.ok(stored.equals(Buffer.concat([original, Buffer.from(startedLine(5000))])));
  // The next look finds no growth: the whole file is read and judged against that last good.
  const audit = await tails.look(LOG, spec, file);
  assert.equal(audit.kind, 'full');
  assert.notEqual(audit.digest, store.state.artifacts.get(LOG)?.lastGood);
  const { verdict } = await store.judge(LOG, spec, audit.kind === 'full' ? audit.version?.bytes ?? null : null);
  assert.equal(verdict.kind === 'rejected' && verdict.issues[0]?.code, 'append-only');
});

test('during a burst that never pauses, the whole log is read again after each AUDIT_MS of appends-only looks', async () => {
  let now = 0;
  const { spec, tails, file } = await grownMission(2000, () => now);
  appendFileSync(file, startedLine(2000));
  assert.equal((await tails.look(LOG, spec, file)).kind, 'appended');
  now += AUDIT_MS - 1;
  appendFileSync(file, startedLine(2001));
  assert.equal((await tails.look(LOG, spec, file)).kind, 'appended');
  now += 1;
  appendFileSync(file, startedLine(2002));
  const audit = await tails.look(LOG, spec, file);
  assert.equal(audit.kind, 'full', 'the audit: a whole-file read although the file only grew');
  assert.ok(tails.lastRead >= readFileSync(file).length);
});

test('guard watch: a rewrite far back in a growing log is rejected and the old bytes come back', async () => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  const file = join(box.mission, LOG);
  appendFileSync(file, Array.from({ length: 3000 }, (_, n) => startedLine(n)).join(''));
  guard = await startWatch(box);
  for (let n = 0; n < 5; n++) appendFileSync(file, startedLine(3000 + n));
  await until(() => journal(box).some((entry) => entry.kind === 'write-accepted' && entry.path === LOG && entry.size === readFileSync(file).length), 'the appends judged');
  const original = readFileSync(file);
  const at = original.indexOf('w-1');
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('w-9'), 0, 3, at);
  writeSync(fd, Buffer.from(startedLine(4000)), 0, undefined, original.length);
  closeSync(fd);
  const rewritten = readFileSync(file);
  await until(() => journal(box).some((entry) => entry.kind === 'write-rejected' && entry.path === LOG && entry.digest === sha(rewritten)), 'the rewritten log rejected');
  await until(() => readFileSync(file).subarray(0, original.length).equals(original), 'the old bytes put back');
  const rejected = journal(box).find((entry) => entry.kind === 'write-rejected' && entry.path === LOG);
  assert.equal(rejected?.kind === 'write-rejected' && rejected.issues[0]?.code, 'append-only');
});

test('guard watch: 8 bad features.json versions written while the log grows fast are each rejected; no log line is lost', async () => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  const file = join(box.mission, LOG);
  appendFileSync(file, Array.from({ length: 2000 }, (_, n) => startedLine(n)).join('')); // about 250 KB: the machine is shared; speed is the bench's
  guard = await startWatch(box);
  const stop = join(box.dir, 'stop');
  const appender = spawnNode(box, [join(FIXTURES, 'fast-log.mjs'), box.mission, stop]);
  const features = join(box.mission, 'features.json');
  for (let n = 0; n < 8; n++) {
    const bad = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending', description: `Login, reopened ${n}` }));
    writeFileSync(features, bad);
    const rejected = await until(() => journal(box).find((entry) => entry.kind === 'write-rejected' && entry.path === 'features.json' && entry.digest === sha(bad)), `bad version ${n} rejected`, 120_000);
    await until(() => journal(box).some((entry) => (entry.kind === 'restored' || entry.kind === 'restore-skipped') && entry.incident === rejected.seq), `bad version ${n} restored`, 120_000);
  }
  writeFileSync(stop, '');
  const result = await appender.done;
  assert.equal(result.code, 0, result.stderr);
  const count = Number(result.stdout.trim());
  assert.ok(count > 0);
  await until(() => journal(box).some((entry) => entry.kind === 'write-accepted' && entry.path === LOG && entry.size === readFileSync(file).length), 'the last log version judged', 60_000);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string; spawnId?: string; seq?: number });
  const spawned = lines.filter((line) => line.type === 'worker_started').map((line) => line.spawnId);
  const expected = [...Array.from({ length: 2000 }, (_, n) => `spawn-${n}`), ...Array.from({ length: count }, (_, n) => n).filter((n) => n % 25 !== 24).map((n) => `spawn-${n}`)];
  assert.deepEqual(spawned, expected, 'every line appended is on disk, in order');
  const entries = journal(box);
  assert.deepEqual(entries.filter((entry) => (entry.kind === 'write-rejected' || entry.kind === 'restored') && entry.path === LOG), [], 'the log was never judged bad nor rolled back');
  // Every worker_completed line's evidence is journaled.
  const completedAt = lines.flatMap((line, index) => (line.type === 'worker_completed' ? [`${LOG}:${index + 1}`] : []));
  const sources = new Set(entries.flatMap((entry) => (entry.kind === 'evidence' ? entry.facts.map((fact) => ('source' in fact ? fact.source : '')) : [])));
  assert.deepEqual(completedAt.filter((source) => !sources.has(source)), [], 'evidence of every completed line journaled');
});
