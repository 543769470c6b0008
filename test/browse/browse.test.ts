// Post-incident browsing end to end: a real `guard watch` records some accepted versions and one
// bad write (a completed feature set to pending); then `guard snapshots`, `show`, `diff` and
// `restore` run as real processes against that journal.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { JournalEntry } from '../../src/core/entries.js';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { acceptedDigest, failOnLeakedChildren, journal, kinds, runGuard, runWriter, sandbox, sha, startWatch, stopGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;
/** v1 as created, v2 f3-profile completed, v3 f4-search started; `bad` is v3 with f1-login pending. */
let versions: { v1: string; v2: string; v3: string; bad: string };
let seqs: { v1: number; v2: number; v3: number; bad: number };

const featuresFile = () => join(box.mission, 'features.json');
const guardIn = (...args: string[]) => runGuard(box, [args[0] as string, '--mission', box.mission, ...args.slice(1)]);
const seqOf = (kind: JournalEntry['kind'], digest: string) => journal(box).find((entry) => entry.kind === kind && 'digest' in entry && entry.digest === digest)?.seq ?? -1;

beforeEach(async () => {
  box = sandbox();
  const v1 = baseFeatures();
  const v2 = withFeature(v1, 'f3-profile', { status: 'completed', completedWorkerSessionId: 'w3', currentWorkerSessionId: null });
  const v3 = withFeature(v2, 'f4-search', { status: 'in_progress', currentWorkerSessionId: 'w4' });
  versions = { v1: featureText(v1), v2: featureText(v2), v3: featureText(v3), bad: featureText(withFeature(v3, 'f1-login', { status: 'pending' })) };
  createMission(box.mission, v1);
  const watch = await startWatch(box);
  for (const text of [versions.v2, versions.v3]) {
    await runWriter(box, [{ op: 'write', file: featuresFile(), text }]);
    await acceptedDigest(box, 'features.json', text);
  }
  await runWriter(box, [{ op: 'write', file: featuresFile(), text: versions.bad }]);
  await until(() => kinds(box, 'restored').length > 0 && kinds(box, 'scheduler-paused').length > 0, 'bad write restored and scheduler paused');
  const stopped = await stopGuard(watch);
  assert.equal(stopped.stderr.includes('internal error'), false, stopped.stderr);
  assert.equal(readFileSync(featuresFile(), 'utf8'), versions.v3);
  seqs = { v1: seqOf('write-accepted', sha(versions.v1)), v2: seqOf('write-accepted', sha(versions.v2)), v3: seqOf('write-accepted', sha(versions.v3)), bad: seqOf('write-rejected', sha(versions.bad)) };
  assert.ok(Object.values(seqs).every((seq) => seq > 0), JSON.stringify(seqs));
});

afterEach(async () => {
  if (guard !== undefined) await stopGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

describe('guard snapshots', () => {
  test('lists every version, newest last, with the rejected one quarantined and the last good marked', async () => {
    const listed = await guardIn('snapshots', 'features.json');
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.split('\n').filter((line) => line.startsWith('#'));
    assert.deepEqual(lines.map((line) => line.split(/\s+/)[0]), [`#${seqs.v1}`, `#${seqs.v2}`, `#${seqs.v3}`, `#${seqs.bad}`]);
    assert.match(lines[1] ?? '', new RegExp(`features\\.json\\s+${sha(versions.v2).slice(0, 12)}\\s+accepted .*f3-profile: in_progress -> completed`));
    assert.match(lines[2] ?? '', /last good .*f4-search: pending -> in_progress/);
    assert.match(lines[3] ?? '', new RegExp(`${sha(versions.bad).slice(0, 12)}\\s+REJECTED \\(quarantined\\) .*"f1-login" was completed`));

    const all = await guardIn('snapshots', '--json');
    const rows = (JSON.parse(all.stdout) as { snapshots: Array<{ path: string; seq: number; status: string; digest: string }> }).snapshots;
    assert.ok(rows.some((row) => row.path === 'state.json'), 'other artifacts are listed too');
    assert.deepEqual(
      rows.filter((row) => row.path === 'features.json').map((row) => [row.digest, row.status]),
      [[sha(versions.v1), 'accepted'], [sha(versions.v2), 'accepted'], [sha(versions.v3), 'last good'], [sha(versions.bad), 'REJECTED (quarantined)']],
    );
  });
});

describe('guard show', () => {
  test('prints the exact bytes of a version, however it is named', async () => {
    for (const [ref, text] of [
      [`features.json@${seqs.v2}`, versions.v2],
      [`#${seqs.v1}`, versions.v1],
      ['features.json', versions.v3],
      ['features.json@rejected', versions.bad],
      [sha(versions.bad).slice(0, 8), versions.bad],
    ] as const) {
      const shown = await guardIn('show', ref);
      assert.equal(shown.code, 0, `${ref}: ${shown.stderr}`);
      assert.equal(shown.stdout, text, ref);
    }
  });

  test('an unknown reference exits 2 and says what exists', async () => {
    const shown = await guardIn('show', 'nosuch.json');
    assert.equal(shown.code, 2);
    assert.equal(shown.stdout, '');
    assert.match(shown.stderr, /no snapshot or artifact "nosuch\.json"; artifacts with versions: .*features\.json/);
    assert.match(shown.stderr, /guard snapshots/);
    const diffed = await guardIn('diff', '#99999');
    assert.equal(diffed.code, 2);
    assert.match(diffed.stderr, /#99999 is not a version; versions: .*#\d+/);
    assert.doesNotMatch(diffed.stderr, /internal error|at .*\.js:\d+/);
  });
});

describe('guard diff', () => {
  test('an artifact alone: the bad write, feature by feature, then the text patch', async () => {
    const diffed = await guardIn('diff', 'features.json');
    assert.equal(diffed.code, 0, diffed.stderr);
    const out = diffed.stdout;
    assert.match(out, new RegExp(`^features\\.json: last good #${seqs.v3} \\(${sha(versions.v3).slice(0, 12)}\\) -> rejected #${seqs.bad}`));
    assert.match(out, /\n {2}f1-login: completed -> pending\n/);
    assert.match(out, new RegExp(`\\n--- features\\.json@${seqs.v3}\\tlast good\\n\\+\\+\\+ features\\.json@${seqs.bad}\\trejected\\n@@ `));
    assert.match(out, /\n-\s+"status": "completed",\n\+\s+"status": "pending",\n/);
    assert.doesNotMatch(out, /\u001b\[/, 'NO_COLOR: no escape codes');

    const json = JSON.parse((await guardIn('diff', 'features.json', '--json')).stdout) as { a: { digest: string }; b: { digest: string }; features: { changed: unknown[]; added: unknown[]; removed: unknown[] }; patch: string };
    assert.equal(json.a.digest, sha(versions.v3));
    assert.equal(json.b.digest, sha(versions.bad));
    assert.deepEqual(json.features.changed, [{ id: 'f1-login', from: 'completed', to: 'pending' }]);
    assert.deepEqual([json.features.added, json.features.removed], [[], []]);
    assert.match(json.patch, /^\+\s+"status": "pending",$/m);
  });

  test('two accepted versions, and one version against last good', async () => {
    const two = await guardIn('diff', `features.json@${seqs.v1}`, sha(versions.v2).slice(0, 10));
    assert.equal(two.code, 0, two.stderr);
    assert.match(two.stdout, /\n {2}f3-profile: in_progress -> completed\n/);
    assert.doesNotMatch(two.stdout, /f4-search:/);
    assert.match(two.stdout, /\n\+\s+"completedWorkerSessionId": "w3"\n/);

    const one = await guardIn('diff', `#${seqs.v1}`);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, new RegExp(`^features\\.json: last good #${seqs.v3} .* -> accepted #${seqs.v1}`));
    assert.match(one.stdout, /f4-search: in_progress -> pending\n {2}f3-profile: completed -> in_progress\n/);
  });
});

describe('guard restore', () => {
  test('an older version that loses nothing is written back byte for byte and journaled', async () => {
    const restored = await guardIn('restore', `features.json@${seqs.v2}`, '--reason', 'undo the f4 start');
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /restored features\.json/);
    assert.match(restored.stdout, /f4-search: in_progress -> pending/);
    assert.match(restored.stdout, /still frozen.*guard ack/);
    assert.equal(readFileSync(featuresFile(), 'utf8'), versions.v2);
    const accepted = kinds(box, 'write-accepted').at(-1);
    assert.ok(accepted?.kind === 'write-accepted');
    assert.deepEqual([accepted.path, accepted.digest, accepted.by], ['features.json', sha(versions.v2), 'repair']);
    const repaired = kinds(box, 'repaired').at(-1);
    assert.ok(repaired?.kind === 'repaired');
    assert.deepEqual([repaired.action, repaired.path, repaired.digest, repaired.reason], ['restore', 'features.json', sha(versions.v2), 'undo the f4 start']);
    assert.match(repaired.who, /.+@.+/);
    const shown = await guardIn('show', 'features.json');
    assert.equal(shown.stdout, versions.v2, 'the restored version is the new last good');
  });

  test('a version that would lose a completed feature is refused; the file is untouched', async () => {
    const before = journal(box).length;
    const refused = await guardIn('restore', `features.json@${seqs.v1}`);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused/);
    assert.match(refused.stderr, /"f3-profile" was completed and may not become "in_progress"/);
    assert.match(refused.stderr, /lose completed work \(f3-profile\).*guard repair --mission .* --reopen f3-profile --reason/);
    assert.equal(readFileSync(featuresFile(), 'utf8'), versions.v3);
    assert.equal(journal(box).length, before, 'nothing journaled');

    const quarantined = await guardIn('restore', 'features.json@rejected');
    assert.equal(quarantined.code, 1);
    assert.match(quarantined.stderr, /quarantined.*\n.*"f1-login" was completed/);
    assert.equal(readFileSync(featuresFile(), 'utf8'), versions.v3);
  });

  test('a running guardian takes the restore as a known write, not an incident', async () => {
    guard = await startWatch(box);
    const incidents = kinds(box, 'write-rejected').length;
    const restored = await guardIn('restore', sha(versions.v2).slice(0, 12));
    assert.equal(restored.code, 0, restored.stderr);
    const next = featureText(withFeature(JSON.parse(versions.v2).features, 'f4-search', { description: 'Search v2' }));
    await runWriter(box, [{ op: 'write', file: featuresFile(), text: next }]);
    await acceptedDigest(box, 'features.json', next);
    assert.equal(kinds(box, 'write-rejected').length, incidents);
    assert.equal(journal(box).filter((entry) => entry.kind === 'write-accepted' && entry.digest === sha(versions.v2) && entry.by === 'watcher' && entry.seq > seqs.bad).length, 0, 'the guardian did not judge the restore again');
    assert.equal(readFileSync(featuresFile(), 'utf8'), next);
  });
});
