// The digest cache behind `guard status` (src/store/digest-cache.ts): a file whose stat is
// unchanged is not read again, and any real change (in place with the same size, by rename,
// deletion) gives the new digest. Files changed too recently to trust their stat are never cached.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { digestOf } from '../../src/core/types.js';
import { DigestCache, RACY_MS } from '../../src/store/digest-cache.js';
import { sandbox, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let cacheFile: string;
let file: string;

// A clock far enough ahead that every file written by the test is old enough to cache.
const later = () => Date.now() + RACY_MS + 60_000;

beforeEach(() => {
  box = sandbox();
  cacheFile = join(box.dir, 'digests.json');
  file = join(box.mission, 'features.json');
  writeFileSync(file, '{"features":[]}\n');
});

afterEach(() => box.cleanup());

// Cache the digest of `file` and save; returns the saved entries.
async function cacheIt(now = later): Promise<Array<[string, { digest: string }]>> {
  const cache = DigestCache.load(cacheFile, now);
  assert.equal(cache.digestOf('features.json', file), digestOf(readFileSync(file)));
  await cache.save();
  if (!existsSync(cacheFile)) return [];
  return (JSON.parse(readFileSync(cacheFile, 'utf8')) as { entries: Array<[string, { digest: string }]> }).entries;
}

// Put a recognisable digest into the saved entry, to see whether the next lookup reads the file.
function plant(digest: string): void {
  const saved = JSON.parse(readFileSync(cacheFile, 'utf8')) as { v: 1; entries: Array<[string, { digest: string }]> };
  (saved.entries[0] as [string, { digest: string }])[1].digest = digest;
  writeFileSync(cacheFile, JSON.stringify(saved));
}

const PLANTED = `sha256:${'7'.repeat(64)}`;

describe('DigestCache', () => {
  test('an unchanged file is answered from its stat without reading it', async () => {
    assert.equal((await cacheIt()).length, 1);
    plant(PLANTED);
    assert.equal(DigestCache.load(cacheFile, later).digestOf('features.json', file), PLANTED);
  });

  test('a file changed within the racy window is hashed but never cached', async () => {
    assert.deepEqual(await cacheIt(Date.now), []);
  });

  const changes: Array<[string, () => void]> = [
    ['an in-place rewrite of the same size', () => writeFileSync(file, '{"features":{}}\n')],
    ['a replacement by rename', () => {
      writeFileSync(`${file}.tmp`, readFileSync(file));
      renameSync(`${file}.tmp`, file);
    }],
    ['a longer rewrite', () => writeFileSync(file, '{"features":[],"extra":true}\n')],
  ];
  for (const [name, change] of changes) {
    test(`${name} is read again`, async () => {
      await cacheIt();
      plant(PLANTED);
      const before = statSync(file);
      change();
      assert.notDeepEqual([statSync(file).ctimeMs, statSync(file).ino], [before.ctimeMs, before.ino]);
      assert.equal(DigestCache.load(cacheFile, later).digestOf('features.json', file), digestOf(readFileSync(file)));
    });
  }

  test('a deleted file, or a directory in its place, has no digest', async () => {
    await cacheIt();
    rmSync(file);
    assert.equal(DigestCache.load(cacheFile, later).digestOf('features.json', file), null);
    mkdirSync(file);
    assert.equal(DigestCache.load(cacheFile, later).digestOf('features.json', file), null);
  });

  test('a damaged cache file is an empty cache', async () => {
    writeFileSync(cacheFile, '{"v":1,"entries":');
    assert.equal((await cacheIt()).length, 1);
  });

  test('entries of files no longer looked at are dropped on save', async () => {
    await cacheIt();
    const cache = DigestCache.load(cacheFile, later);
    const other = join(box.mission, 'state.json');
    writeFileSync(other, '{}');
    cache.digestOf('state.json', other);
    await cache.save();
    const saved = JSON.parse(readFileSync(cacheFile, 'utf8')) as { entries: Array<[string]> };
    assert.deepEqual(saved.entries.map(([key]) => key), ['state.json']);
  });
});
