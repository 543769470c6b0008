// Garbage written to features.json: every kind is rejected with an issue that names it, the last
// good bytes come back, the bad bytes are quarantined, and the guardian lives on and keeps
// protecting. The pure judge gets the same inputs and never throws.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { judgeVersion, type ArtifactSpec, type LastGood } from '../../src/core/judge.js';
import type { Digest, IssueCode, MissionPath } from '../../src/core/types.js';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { loadDroidProfile, matchArtifact } from '../../src/profiles/profile.js';
import { ObjectStore } from '../../src/store/objects.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import {
  acceptedDigest,
  failOnLeakedChildren,
  kinds,
  runWriter,
  sandbox,
  sha,
  startWatch,
  statePaths,
  stopTestGuard,
  until,
  type GuardProcess,
  type Sandbox,
} from '../helpers/index.js';

const MiB = 1024 * 1024;
const DEPTH = 100_000;

// Deterministic "random" bytes: sha256 in counter mode.
function noise(length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * 32 < length; counter++) blocks.push(createHash('sha256').update(`noise-${counter}`).digest());
  return Buffer.concat(blocks).subarray(0, length);
}

const good = baseFeatures();
const goodJson = featureText(good);
// A description with a byte that can never start or continue UTF-8 (0xff), after valid text.
const invalidUtf8Prefix = Buffer.from(goodJson.slice(0, goodJson.indexOf('"Search"') + 1));
const invalidUtf8 = Buffer.concat([invalidUtf8Prefix, Buffer.from([0x53, 0xff, 0x61]), Buffer.from(goodJson.slice(goodJson.indexOf('"Search"') + 1))]);
// A status smuggled in through `__proto__`: plain data, so f1-login simply has no status.
const protoSmuggled = `${JSON.stringify({ features: good.map((feature) => (feature.id === 'f1-login' ? { id: feature.id, description: feature.description, ['__proto__']: { status: 'completed' } } : feature)) }, null, 2)}\n`;
const protoPolluting = `{"__proto__": {"features": ${JSON.stringify(good)}, "polluted": true}}\n`;
const duplicateStatus = goodJson.replace('"status": "completed"', '"status": "completed",\n      "status": "pending"');

/** One kind of garbage: its bytes (or how the writer makes them) and the issue it must raise. */
interface Garbage {
  name: string;
  bytes: Buffer;
  /**
   * Written with the writer's `fill` op instead of as bytes (too big to pass around), by rename:
   * in place, a prefix of valid JSON padded with spaces would itself be a valid version.
   */
  fill?: { head: string; size: number; mode: 'rename' };
  code: IssueCode;
  message: RegExp;
  pointer?: string;
  /** Garbage only after a last good version (a first version reads the same way to droid). */
  needsLastGood?: true;
}

const GARBAGE: Garbage[] = [
  { name: 'an empty file', bytes: Buffer.alloc(0), code: 'empty', message: /file is empty/ },
  { name: 'random binary', bytes: noise(4096), code: 'not-utf8', message: /not valid UTF-8 \(first bad byte at offset \d+\)/ },
  { name: 'invalid UTF-8 inside a string', bytes: invalidUtf8, code: 'not-utf8', message: new RegExp(`first bad byte at offset ${invalidUtf8Prefix.length + 1}\\b`) },
  // DESIGN.md §6.2: a BOM is an issue, not a crash; droid never writes one, so it is rejected.
  { name: 'a UTF-8 BOM before otherwise valid JSON', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(goodJson)]), code: 'bom', message: /byte order mark/ },
  { name: `${DEPTH.toLocaleString('en')}-deep nesting`, bytes: Buffer.from(`${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`), code: 'too-deep', message: /nesting is deeper than 64 levels/ },
  { name: 'a 50 MB file (valid JSON padded with spaces)', bytes: Buffer.alloc(0), fill: { head: goodJson, size: 50 * MiB, mode: 'rename' }, code: 'too-large', message: new RegExp(`file is ${50 * MiB} bytes, over this artifact's limit of ${16 * MiB}`) },
  { name: 'a duplicate key', bytes: Buffer.from(duplicateStatus), code: 'duplicate-key', message: /key "status" appears more than once in the object at \/features\/2/, pointer: '/features/2/status' },
  // Without an own status f1-login reads as pending (as droid reads it): a completed feature
  // reopened, so only a version after one where it was completed is garbage.
  { name: 'a status smuggled in a __proto__ key', bytes: Buffer.from(protoSmuggled), code: 'terminal-status', message: /"f1-login" was completed and may not become/, pointer: '/features/2/status', needsLastGood: true },
  { name: 'features only under a top-level __proto__ key', bytes: Buffer.from(protoPolluting), code: 'schema', message: /missing required property "features"/ },
];

// The exact bytes of a garbage case, as the writer's `fill` op makes them.
function bytesOf(garbage: Garbage): Buffer {
  if (garbage.fill === undefined) return garbage.bytes;
  const bytes = Buffer.alloc(garbage.fill.size, ' ');
  bytes.write(garbage.fill.head);
  return bytes;
}

describe('garbage written to features.json under a running guardian', () => {
  let box: Sandbox;
  let guard: GuardProcess | undefined;
  let goodText: string;

  beforeEach(async () => {
    box = sandbox();
    createMission(box.mission, baseFeatures());
    goodText = readFileSync(join(box.mission, 'features.json'), 'utf8');
    guard = await startWatch(box);
  });

  afterEach(async () => {
    await stopTestGuard(guard);
    guard = undefined;
    box.cleanup();
  });

  failOnLeakedChildren();

  for (const garbage of GARBAGE) {
    test(`${garbage.name} is rejected (${garbage.code}), restored, quarantined; the guardian keeps protecting`, async () => {
      const file = join(box.mission, 'features.json');
      const op = garbage.fill === undefined ? { op: 'write', file, base64: garbage.bytes.toString('base64') } : { op: 'fill', file, ...garbage.fill };
      await runWriter(box, [op]);
      const bad = bytesOf(garbage);
      // A version over its size limit is read one byte past the limit (never whole): it is named by
      // that prefix, and only its first MiB is quarantined (issue 14 item 5).
      const read = bad.length > 16 * MiB ? bad.subarray(0, 16 * MiB + 1) : bad;
      const kept = read.length === bad.length ? bad : bad.subarray(0, MiB);
      const badDigest = sha(read);

      const restored = await until(() => kinds(box, 'restored').find((entry) => entry.kind === 'restored' && entry.replaced === badDigest), 'the garbage replaced by last good', 20_000);
      assert.ok(restored.kind === 'restored');
      assert.equal(restored.digest, sha(goodText));
      assert.equal(readFileSync(file, 'utf8'), goodText, 'the file holds the exact last good bytes');

      const rejected = kinds(box, 'write-rejected');
      assert.equal(rejected.length, 1, 'judged once, rejected once');
      const entry = rejected[0];
      assert.ok(entry?.kind === 'write-rejected');
      assert.equal(entry.path, 'features.json');
      assert.equal(entry.digest, badDigest);
      assert.equal(entry.size, bad.length);
      const issue = entry.issues[0];
      assert.ok(issue !== undefined, 'the rejection carries an issue');
      assert.equal(issue.code, garbage.code, JSON.stringify(entry.issues));
      assert.match(issue.message, garbage.message);
      if (garbage.pointer !== undefined) assert.equal(issue.pointer, garbage.pointer);

      const quarantined = Buffer.from(await new ObjectStore(statePaths(box).objects).get(sha(kept) as Digest));
      assert.equal(quarantined.equals(kept), true, 'the exact bad bytes (or their first MiB) are in quarantine');
      if (kept !== bad) assert.ok(kinds(box, 'mission-fault').some((note) => note.kind === 'mission-fault' && note.code === 'EFBIG' && note.detail.includes(badDigest)), 'the cut is journaled, naming what was read');
      assert.equal(kinds(box, 'frozen').length, 1);
      await until(() => existsSync(join(box.mission, '.guard-frozen')), 'sentinel written');

      // Alive and still protecting: the next valid write is judged and accepted as it is.
      assert.equal(guard?.process.exitCode, null, 'the guardian is still running');
      const next = featureText(withFeature(baseFeatures(), 'f4-search', { status: 'in_progress', workerSessionIds: ['w4'], currentWorkerSessionId: 'w4' }));
      await runWriter(box, [{ op: 'write', file, text: next }]);
      await acceptedDigest(box, 'features.json', next);
      assert.equal(readFileSync(file, 'utf8'), next);
      assert.equal(kinds(box, 'write-rejected').length, 1, 'the valid write raised no incident');
      assert.equal(guard?.process.exitCode, null, 'the guardian is still running');
    });
  }
});

describe('the pure judge on garbage', () => {
  const profile = loadDroidProfile();
  const specOf = (path: string): ArtifactSpec => {
    const spec = matchArtifact(profile, path as MissionPath);
    assert.ok(spec !== undefined, path);
    return spec;
  };
  const features = specOf('features.json');
  const lastGood: LastGood = { bytes: Buffer.from(goodJson), doc: JSON.parse(goodJson) };
  const needsLastGood = new Set(GARBAGE.filter((garbage) => garbage.needsLastGood === true).map((garbage) => garbage.name));
  const inputs: Array<[string, Buffer, IssueCode]> = [
    ...GARBAGE.map((garbage): [string, Buffer, IssueCode] => [garbage.name, bytesOf(garbage), garbage.code]),
    // Depth is checked before JSON.parse, so even text JSON.parse would refuse is too-deep first.
    ['unclosed 100,000-deep nesting', Buffer.from('['.repeat(DEPTH)), 'too-deep'],
    ['a truncated document', Buffer.from(goodJson.slice(0, goodJson.length / 2)), 'parse'],
    ['100,000-deep objects', Buffer.from(`${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`), 'too-deep'],
    ['NUL bytes', Buffer.alloc(64), 'parse'],
    ['only whitespace', Buffer.from(' \n\t\r\n'), 'empty'],
    ['a BOM alone', Buffer.from([0xef, 0xbb, 0xbf]), 'bom'],
    ['a truncated multi-byte character', Buffer.from([0x7b, 0x22, 0xe2, 0x82]), 'not-utf8'],
  ];

  for (const [name, bytes, code] of inputs) {
    test(`${name}: rejected with ${code}, with${needsLastGood.has(name) ? '' : ' and without'} a last good version`, () => {
      for (const previous of needsLastGood.has(name) ? [lastGood] : [undefined, lastGood]) {
        const verdict = judgeVersion(features, previous, bytes);
        assert.equal(verdict.kind, 'rejected');
        assert.ok(verdict.kind === 'rejected');
        assert.equal(verdict.issues[0]?.code, code, JSON.stringify(verdict.issues).slice(0, 300));
        assert.ok(verdict.issues.every((issue) => issue.message.length > 0 && typeof issue.pointer === 'string'));
      }
    });
  }

  test('every droid artifact judges every garbage input without throwing', () => {
    const paths = ['features.json', 'state.json', 'progress_log.jsonl', 'handoffs/x__f1__w1.json', 'validation-state.json', 'validation/m1/scrutiny/synthesis.json', 'worker-transcripts.jsonl'];
    for (const path of paths) {
      const spec = specOf(path);
      for (const [name, bytes] of inputs) {
        for (const previous of [undefined, lastGood]) {
          const verdict = judgeVersion(spec, previous, bytes);
          if (verdict.kind === 'rejected') assert.ok(verdict.issues.length > 0, `${path}: ${name}`);
          // Scheduling artifacts are the ones every garbage input must fail on.
          if (spec.role === 'scheduling' && (previous !== undefined || !needsLastGood.has(name))) assert.equal(verdict.kind, 'rejected', `${path}: ${name}`);
        }
      }
    }
  });

  test('__proto__ is plain data: nothing leaks into Object.prototype or into a judged document', () => {
    assert.match(protoSmuggled, /"__proto__": \{\s*"status": "completed"/, 'the fixture really carries a __proto__ key');
    const verdict = judgeVersion(features, lastGood, Buffer.from(protoPolluting));
    assert.equal(verdict.kind, 'rejected');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'features'), false);
    // Beside a real status, a __proto__ key is just an unknown extra key, which droid allows.
    const extra = goodJson.replace('"id": "f4-search",', '"id": "f4-search",\n      "__proto__": {"status": "completed"},');
    const accepted = judgeVersion(features, lastGood, Buffer.from(extra));
    assert.ok(accepted.kind === 'accepted', JSON.stringify(accepted));
    assert.deepEqual(accepted.transitions, [], 'f4-search is still pending, not completed');
  });

  test('a 16 MiB nesting bomb, just under the size limit, is refused without being built', () => {
    // JSON.parse builds the whole nesting before anything can count it (~1 GB for this input):
    // judged in a child with a 64 MB heap, it must come back too-deep instead of dying.
    const script = `
      import { judgeVersion } from ${JSON.stringify(new URL('../../src/core/judge.js', import.meta.url).href)};
      import { loadDroidProfile, matchArtifact } from ${JSON.stringify(new URL('../../src/profiles/profile.js', import.meta.url).href)};
      const half = 8 * 1024 * 1024 - 1;
      const bomb = Buffer.concat([Buffer.alloc(half, '['), Buffer.alloc(half, ']')]);
      const verdict = judgeVersion(matchArtifact(loadDroidProfile(), 'features.json'), undefined, bomb);
      process.stdout.write(JSON.stringify(verdict.issues.map((issue) => issue.code)));
    `;
    const child = spawnSync(process.execPath, ['--max-old-space-size=64', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr.slice(0, 500));
    assert.equal(child.stdout, '["too-deep"]');
  });

  test('the size limit is checked before anything is decoded', () => {
    const spec = { ...features, maxBytes: 10 };
    const verdict = judgeVersion(spec, lastGood, Buffer.from('{"features":[]}'));
    assert.ok(verdict.kind === 'rejected');
    assert.deepEqual(verdict.issues.map((issue) => issue.code), ['too-large']);
  });
});
