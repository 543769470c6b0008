// Unit tests of the snapshot catalogue and reference resolution (src/cli/snapshot-ref.ts) on a
// hand-made journal: no files, no processes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GENESIS_PREV, type EntryBody, type JournalEntry } from '../../src/core/entries.js';
import { replay } from '../../src/core/replay.js';
import type { Digest } from '../../src/core/types.js';
import { isArtifactRef, JOURNAL_TAIL, listSnapshots, resolveSnapshot } from '../../src/cli/snapshot-ref.js';

const MISSION = '/missions/m1';
const digest = (prefix: string) => prefix.padEnd(64, '0') as Digest;

function entries(bodies: EntryBody[]): JournalEntry[] {
  return bodies.map((body, index) => ({ v: 1, seq: index + 1, at: `2026-11-26T10:00:0${index}.000Z`, prev: GENESIS_PREV, ...body }) as JournalEntry);
}

const accepted = (path: string, d: Digest): EntryBody => ({ kind: 'write-accepted', path, digest: d, size: 10, role: 'scheduling', by: 'watcher', transitions: [] });

const journal = entries([
  { kind: 'guard-started', pid: 1, host: 'h', profile: 'droid', mode: 'watch' },
  accepted('features.json', digest('aaaaaa11')),
  accepted('state.json', digest('bbbbbb11')),
  accepted('features.json', digest('aaaaaa22')),
  { kind: 'write-rejected', path: 'features.json', digest: digest('cccccc11'), size: 9, role: 'scheduling', by: 'watcher', issues: [{ code: 'terminal-status', pointer: '/features/0/status', message: 'completed is final', item: 'f1' }] },
  { kind: 'restored', path: 'features.json', incident: 5, digest: digest('aaaaaa22'), replaced: digest('cccccc11') },
  { kind: 'journal-repaired', reason: 'torn', cutBytes: 17, object: digest('dddddd11'), keptSeq: 6 },
  accepted('handoffs/x.json', null as unknown as Digest),
]);
const snapshots = listSnapshots(journal, replay(journal));
const resolve = (ref: string) => resolveSnapshot(snapshots, MISSION, ref);

describe('listSnapshots', () => {
  test('accepted, rejected, cut and deleted versions, oldest first, last good marked once per artifact', () => {
    assert.deepEqual(
      snapshots.map((s) => [s.seq, s.path, s.kind, s.lastGood]),
      [
        [2, 'features.json', 'accepted', false],
        [3, 'state.json', 'accepted', true],
        [4, 'features.json', 'accepted', true],
        [5, 'features.json', 'rejected', false],
        [7, JOURNAL_TAIL, 'journal-cut', false],
        [8, 'handoffs/x.json', 'accepted', true],
      ],
    );
  });
});

describe('resolveSnapshot', () => {
  test('every reference form', () => {
    assert.equal(resolve('features.json').seq, 4);
    assert.equal(resolve('./features.json').seq, 4);
    assert.equal(resolve(`${MISSION}/features.json`).seq, 4);
    assert.equal(resolve('features.json@rejected').seq, 5);
    assert.equal(resolve('features.json@2').seq, 2);
    assert.equal(resolve('features.json@#2').seq, 2);
    assert.equal(resolve('#5').digest, digest('cccccc11'));
    assert.equal(resolve('bbbbbb').path, 'state.json');
    assert.equal(resolve(digest('aaaaaa22')).seq, 4);
    assert.equal(resolve('AAAAAA2').seq, 4);
  });

  test('unknown, ambiguous and byte-less references are SNAPSHOT_NOT_FOUND with what exists', () => {
    const fails = (ref: string, pattern: RegExp, code = 'SNAPSHOT_NOT_FOUND') =>
      assert.throws(() => resolve(ref), (error: Error & { code?: string }) => error.code === code && pattern.test(error.message) && /guard snapshots/.test(error.message));
    fails('aaaaaa', /ambiguous: aaaaaa110000 \(features\.json #2\), aaaaaa220000 \(features\.json #4\)/);
    fails('nope.json', /artifacts with versions: \(journal tail\), features\.json, handoffs\/x\.json, state\.json/);
    fails('abc', /at least 6 hex digits/);
    fails('#6', /#6 is not a version; versions: #2, #3, #4, #5, #7, #8/);
    fails('state.json@rejected', /state\.json has no rejected/);
    fails('features.json@3', /not a version of features\.json; versions: #2, #4, #5/);
    fails('handoffs/x.json', /deletion of handoffs\/x\.json/);
    fails('features.json@last', /bad snapshot reference/, 'USAGE');
  });

  test('isArtifactRef tells an artifact from a version', () => {
    assert.equal(isArtifactRef(snapshots, MISSION, 'features.json'), true);
    assert.equal(isArtifactRef(snapshots, MISSION, 'features.json@2'), false);
    assert.equal(isArtifactRef(snapshots, MISSION, 'cccccc'), false);
    assert.equal(isArtifactRef(snapshots, MISSION, '#2'), false);
  });
});
