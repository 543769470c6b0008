// The snapshot store (DESIGN.md §5): content-addressed, never overwritten, re-hashed on read,
// small for many versions of a big file (delta chains).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { digestOf, type Digest } from '../../src/core/types.js';
import { MAX_APPEND_CHAIN, ObjectStore } from '../../src/store/objects.js';
import { sandbox, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let store: ObjectStore;

beforeEach(() => {
  box = sandbox();
  store = new ObjectStore(join(box.dir, 'objects'));
});

afterEach(() => box.cleanup());

// The JSON header line of a stored object.
function headerOf(digest: Digest): { enc: string; size: number; base?: string; chain?: number } {
  const raw = readFileSync(store.pathOf(digest));
  return JSON.parse(raw.subarray(0, raw.indexOf(0x0a)).toString('utf8')) as { enc: string; size: number };
}

// A features.json-like document of about `features` * 100 bytes with one feature's status varied.
function bigVersion(features: number, changed: number, status: string): Buffer {
  const list = Array.from({ length: features }, (_, index) => ({ id: `feature-${index}`, description: `Feature number ${index} of the mission, with some words`, status: index === changed ? status : 'pending' }));
  return Buffer.from(`${JSON.stringify({ features: list }, null, 2)}\n`);
}

function storedBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  return total;
}

describe('round trip', () => {
  test('bytes come back exactly, named by their sha256, under objects/<2 hex>/<62 hex>', async () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('{"a":1}\n'), Buffer.from([0, 0xff, 0xfe, 0x80, 0x0a]), bigVersion(50, 1, 'completed')]) {
      const digest = await store.put(bytes);
      assert.equal(digest, digestOf(bytes));
      assert.equal(store.pathOf(digest), join(box.dir, 'objects', digest.slice(0, 2), digest.slice(2)));
      assert.equal(await store.has(digest), true);
      assert.equal(Buffer.from(await store.get(digest)).equals(bytes), true);
    }
  });

  test('concurrent puts of one new object all succeed; putting it again never rewrites it', async () => {
    const bytes = Buffer.from('the same bytes');
    const racing = await Promise.all(Array.from({ length: 8 }, () => new ObjectStore(join(box.dir, 'objects')).put(bytes)));
    const digest = digestOf(bytes);
    assert.deepEqual(new Set(racing), new Set([digest]));
    const before = statSync(store.pathOf(digest));
    assert.equal(await store.put(bytes), digest);
    const after = statSync(store.pathOf(digest));
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.deepEqual(readdirSync(join(box.dir, 'objects', digest.slice(0, 2))), [digest.slice(2)], 'no temp files left behind');
  });

  test('an unknown digest is SNAPSHOT_NOT_FOUND', async () => {
    await assert.rejects(store.get(digestOf('never stored')), { code: 'SNAPSHOT_NOT_FOUND' });
    assert.equal(await store.has(digestOf('never stored')), false);
  });
});

describe('delta chains', () => {
  test('a version that differs a little from its base is stored as a small delta and read back exactly', async () => {
    const first = bigVersion(200, 5, 'pending');
    const second = bigVersion(200, 5, 'completed');
    const base = await store.put(first);
    const digest = await store.put(second, { digest: base, bytes: first });
    const header = headerOf(digest);
    assert.equal(header.enc, 'delta');
    assert.equal(header.base, base);
    assert.ok(statSync(store.pathOf(digest)).size < 300, 'a delta of one changed status is a few hundred bytes');
    assert.equal(Buffer.from(await store.get(digest)).equals(second), true);
  });

  test('small files and very different versions are stored in full', async () => {
    const small = Buffer.from('{"a":1}');
    const base = await store.put(small);
    assert.equal(headerOf(await store.put(Buffer.from('{"a":2}'), { digest: base, bytes: small })).enc, 'full');
    const big = bigVersion(100, 1, 'pending');
    const bigBase = await store.put(big);
    const other = Buffer.from(big.toString('utf8').replaceAll('Feature', 'Capability'));
    assert.equal(headerOf(await store.put(other, { digest: bigBase, bytes: big })).enc, 'full');
  });

  test('many successive versions read back exactly, chains stay capped, and storage stays small', async () => {
    const versions: Buffer[] = [];
    let previous: { digest: Digest; bytes: Buffer } | undefined;
    for (let index = 0; index < 80; index++) {
      const bytes = bigVersion(400, index % 400, index % 2 === 0 ? 'in_progress' : 'completed');
      const digest = await store.put(bytes, previous);
      versions.push(bytes);
      previous = { digest, bytes };
    }
    const fresh = new ObjectStore(join(box.dir, 'objects')); // no in-memory chain cache
    for (const bytes of versions) assert.equal(Buffer.from(await fresh.get(digestOf(bytes))).equals(bytes), true);
    const chains = versions.map((bytes) => headerOf(digestOf(bytes)).chain ?? 0);
    assert.ok(Math.max(...chains) <= 32, `longest chain ${Math.max(...chains)}`);
    assert.ok(chains.filter((chain) => chain === 0).length >= 2, 'a full copy restarts the chain');
    const full = versions.reduce((sum, bytes) => sum + bytes.length, 0);
    assert.ok(storedBytes(join(box.dir, 'objects')) < full * 0.1, 'under 10 % of full copies');
  });
});

describe('damaged objects are errors, never wrong bytes', () => {
  test('a flipped byte in the compressed body', async () => {
    const bytes = bigVersion(20, 1, 'completed');
    const digest = await store.put(bytes);
    const raw = readFileSync(store.pathOf(digest));
    raw[raw.length - 12] = (raw[raw.length - 12] ?? 0) ^ 0xff;
    writeFileSync(store.pathOf(digest), raw);
    await assert.rejects(store.get(digest), (error: Error & { code?: string }) => error.code === 'STATE_IO' && error.message.includes(digest.slice(0, 12)));
  });

  test('a well-formed object whose bytes no longer match its name', async () => {
    const digest = await store.put(Buffer.from('original'));
    const forged = Buffer.from('forged!!');
    writeFileSync(store.pathOf(digest), Buffer.concat([Buffer.from(`${JSON.stringify({ v: 1, enc: 'full', size: forged.length })}\n`), gzipSync(forged)]));
    await assert.rejects(store.get(digest), /is damaged \(its bytes no longer match its name\)/);
  });

  test('a garbage header', async () => {
    const digest = await store.put(Buffer.from('original'));
    writeFileSync(store.pathOf(digest), 'not an object at all');
    await assert.rejects(store.get(digest), { code: 'STATE_IO' });
  });

  test('a damaged base makes its deltas unreadable too', async () => {
    const first = bigVersion(200, 5, 'pending');
    const second = bigVersion(200, 5, 'completed');
    const base = await store.put(first);
    const digest = await store.put(second, { digest: base, bytes: first });
    assert.equal(headerOf(digest).enc, 'delta');
    const raw = readFileSync(store.pathOf(base));
    writeFileSync(store.pathOf(base), raw.subarray(0, raw.length - 40));
    await assert.rejects(store.get(digest), { code: 'STATE_IO' });
  });
});

describe('appends to a log (issue 9 item 10)', () => {
  test('each version stored from its appended bytes alone, read back exactly; past the cap, a full copy', async () => {
    let bytes = Buffer.from('{"type":"mission_accepted"}\n'.repeat(400));
    let digest = await store.put(bytes);
    const kept: Array<[Digest, Buffer]> = [];
    for (let n = 0; n <= MAX_APPEND_CHAIN + 5; n++) {
      const line = Buffer.from(`{"type":"worker_started","n":${n}}\n`);
      const next = Buffer.concat([bytes, line]);
      assert.equal(await store.putAppended({ digest, size: bytes.length }, line, digestOf(next)), true);
      digest = digestOf(next);
      bytes = next;
      if (n % 200 === 0 || n >= MAX_APPEND_CHAIN - 1) kept.push([digest, bytes]);
    }
    for (const [name, expected] of kept) assert.ok(Buffer.from(await store.get(name)).equals(expected));
    assert.ok(kept.some(([name]) => headerOf(name).enc === 'full'), 'a full copy past the cap');
    assert.equal(headerOf(kept[1]![0]).enc, 'delta');
    // A damaged link deep in the run makes the versions above it unreadable, never wrong.
    const [deep] = kept[2]!;
    const raw = readFileSync(store.pathOf(deep));
    writeFileSync(store.pathOf(deep), Buffer.concat([raw.subarray(0, raw.indexOf(0x0a) + 1), gzipSync('{"forged":1}\n')]));
    await assert.rejects(store.get(kept[3]![0]), { code: 'STATE_IO' });
  });
});
