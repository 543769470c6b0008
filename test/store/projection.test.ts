// The status projection cache (src/store/projection.ts): a replay that uses it always equals a
// full replay of the journal; a cache that no longer matches the journal (cut back, rewritten,
// damaged, built by other code) is ignored and rebuilt. Also the issue's 1,000,000-entry replay
// (its timing is in BENCHMARKS.md, not here).
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { generateJournal } from '../../bench/journal-gen.js';
import type { EntryBody, JournalEntry } from '../../src/core/entries.js';
import { replay } from '../../src/core/replay.js';
import { hashLine, readAll } from '../../src/store/journal.js';
import { PROJECTION_MIN_ENTRIES, replayWithProjection } from '../../src/store/projection.js';
import { sandbox, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let journal: string;
let projection: string;

beforeEach(() => {
  box = sandbox();
  journal = join(box.dir, 'journal.jsonl');
  projection = join(box.dir, 'projection.json');
});

afterEach(() => box.cleanup());

// Append chained entries after the journal's last line, as a guard would.
function appendEntries(bodies: EntryBody[]): void {
  const data = readFileSync(journal);
  const start = data.lastIndexOf(0x0a, data.length - 2) + 1;
  const lastLine = data.subarray(start, data.length - 1);
  let { seq } = JSON.parse(lastLine.toString('utf8')) as JournalEntry;
  let prev = hashLine(lastLine);
  const lines: string[] = [];
  for (const body of bodies) {
    const line = JSON.stringify({ v: 1, seq: ++seq, at: new Date(Date.UTC(2026, 10, 27, 0, 0, 0, seq % 1000)).toISOString(), prev, ...body });
    prev = hashLine(line);
    lines.push(`${line}\n`);
  }
  appendFileSync(journal, lines.join(''));
}

// `count` entries that move features through their lifecycle, and one incident at the end.
function lifecycle(count: number, tag: string): EntryBody[] {
  const bodies: EntryBody[] = [];
  for (let index = 0; bodies.length < count - 2; index++) {
    const item = `${tag}-${index % 50}`;
    const [from, to] = index % 2 === 0 ? ['pending', 'in_progress'] : ['in_progress', 'completed'];
    bodies.push({ kind: 'write-accepted', path: 'features.json', digest: `sha256:${String(index).padStart(64, '0')}` as never, size: 1000 + index, role: 'scheduling', by: 'watcher', transitions: [{ item, from, to }] });
  }
  const incident = bodies.length + 1;
  bodies.push({ kind: 'write-rejected', path: 'features.json', digest: `sha256:${'e'.repeat(64)}` as never, size: 10, role: 'scheduling', by: 'watcher', issues: [{ code: 'parse', pointer: '', message: `${tag}: cut off` }] });
  bodies.push({ kind: 'frozen', incident, path: 'features.json', reason: `${tag}: cut off` });
  return bodies;
}

const asJson = (value: unknown) => JSON.stringify(value, (_key, inner: unknown) => (inner instanceof Map ? [...inner] : inner));

// What a replay of the whole journal, with no cache at all, gives.
async function fullReplay() {
  return replay(await readAll(journal));
}

describe('replay of a generated 1,000,000-entry journal', () => {
  test('completes with every entry verified; the cache it leaves gives the same state, also after 1,000 more entries', async () => {
    generateJournal(journal, 1_000_000);

    const full = await replayWithProjection(journal, projection);
    assert.equal(full.cursor.lastSeq, 1_000_000);
    assert.equal(full.state.seq, 1_000_000);
    assert.equal(full.cached, false);
    assert.equal(full.torn, null);
    assert.equal(existsSync(projection), true, 'a long journal leaves a projection cache');
    assert.ok(full.state.artifacts.size > 0 && full.state.features.size > 0, 'the generated mission has artifacts and features');

    const again = await replayWithProjection(journal, projection);
    assert.deepEqual({ cached: again.cached, tail: again.tail, cursor: again.cursor }, { cached: true, tail: 0, cursor: full.cursor });
    assert.deepStrictEqual(again.state, full.state);
    assert.equal(asJson(again.state), asJson(full.state), 'the same state down to key order');

    appendEntries(lifecycle(1_000, 'late'));
    const extended = await replayWithProjection(journal, projection);
    assert.deepEqual({ cached: extended.cached, tail: extended.tail, seq: extended.state.seq }, { cached: true, tail: 1_000, seq: 1_001_000 });
    assert.equal(extended.state.freeze.kind, 'frozen', 'the incident appended after the cache is seen');
    rmSync(projection);
    const uncached = await replayWithProjection(journal, projection);
    assert.equal(uncached.cached, false);
    assert.deepStrictEqual(extended.state, uncached.state);
  });
});

describe('the projection cache', () => {
  const long = PROJECTION_MIN_ENTRIES + 500;

  beforeEach(() => {
    generateJournal(journal, 10);
    appendEntries(lifecycle(long - 10, 'early'));
  });

  test('a short journal is replayed in full and leaves no cache', async () => {
    rmSync(journal);
    generateJournal(journal, 10);
    appendEntries(lifecycle(400, 'short'));
    const result = await replayWithProjection(journal, projection);
    assert.equal(result.state.seq, 410);
    assert.equal(existsSync(projection), false);
    assert.deepStrictEqual(result.state, await fullReplay());
  });

  test('entries appended after the cache are verified and folded in', async () => {
    await replayWithProjection(journal, projection);
    appendEntries(lifecycle(300, 'more'));
    const result = await replayWithProjection(journal, projection);
    assert.deepEqual({ cached: result.cached, tail: result.tail }, { cached: true, tail: 300 });
    assert.deepStrictEqual(result.state, await fullReplay());
  });

  test('a journal cut back and rewritten past the cache (guard repair --journal) is replayed in full', async () => {
    await replayWithProjection(journal, projection);
    const lines = readFileSync(journal, 'utf8').split('\n');
    truncateSync(journal, Buffer.byteLength(lines.slice(0, long - 100).map((line) => `${line}\n`).join('')));
    appendEntries(lifecycle(100, 'rewritten')); // the same length again, different lines
    const result = await replayWithProjection(journal, projection);
    assert.equal(result.cached, false);
    assert.equal(result.state.seq, long);
    assert.deepStrictEqual(result.state, await fullReplay());
  });

  test('a journal cut shorter than the cache is replayed in full', async () => {
    await replayWithProjection(journal, projection);
    const lines = readFileSync(journal, 'utf8').split('\n');
    truncateSync(journal, Buffer.byteLength(lines.slice(0, 50).map((line) => `${line}\n`).join('')));
    const result = await replayWithProjection(journal, projection);
    assert.deepEqual({ cached: result.cached, seq: result.state.seq }, { cached: false, seq: 50 });
  });

  const damages: Array<[string, (text: string) => string]> = [
    ['garbage', () => 'not json'],
    ['a cut-off file', (text) => text.slice(0, text.length / 2)],
    ['another replay fingerprint', (text) => text.replace(/"fingerprint":"[0-9a-f]+"/, `"fingerprint":"${'0'.repeat(64)}"`)],
    ['a cursor pointing into the middle of a line', (text) => text.replace(/"lastLineStart":(\d+)/, (_all, start: string) => `"lastLineStart":${Number(start) + 7}`)],
    ['a wrong last hash', (text) => text.replace(/"lastHash":"([0-9a-f]+)"/, `"lastHash":"${'a'.repeat(64)}"`)],
  ];
  for (const [name, damage] of damages) {
    test(`a cache with ${name} is ignored and rebuilt`, async () => {
      await replayWithProjection(journal, projection);
      const good = readFileSync(projection, 'utf8');
      const damaged = damage(good);
      assert.notEqual(damaged, good);
      writeFileSync(projection, damaged);
      const result = await replayWithProjection(journal, projection);
      assert.equal(result.cached, false);
      assert.deepStrictEqual(result.state, await fullReplay());
      assert.equal(readFileSync(projection, 'utf8'), good, 'the rebuilt cache is the one a clean run writes');
    });
  }

  test('without features (guard status) the state is the full replay minus the feature histories', async () => {
    const withoutFeatures = async () => {
      const { features: _features, ...rest } = await fullReplay();
      return rest;
    };
    const first = await replayWithProjection(journal, projection, { features: false });
    assert.equal(first.cached, false);
    assert.equal('features' in first.state, false);
    assert.deepStrictEqual(first.state, await withoutFeatures());

    appendEntries(lifecycle(300, 'more'));
    const cached = await replayWithProjection(journal, projection, { features: false });
    assert.deepEqual({ cached: cached.cached, tail: cached.tail }, { cached: true, tail: 300 });
    assert.deepStrictEqual(cached.state, await withoutFeatures());
    const full = await replayWithProjection(journal, projection);
    assert.equal(full.cached, true, 'the cache a status run used still serves a full replay');
    assert.deepStrictEqual(full.state, await fullReplay());
  });

  test('a long tail after the cache is folded into a rewritten cache, also without features', async () => {
    await replayWithProjection(journal, projection);
    const before = readFileSync(projection, 'utf8');
    appendEntries(lifecycle(14_000, 'later')); // past the rewrite threshold (3 MB of journal)
    const status = await replayWithProjection(journal, projection, { features: false });
    assert.deepEqual({ cached: status.cached, tail: status.tail }, { cached: true, tail: 14_000 });
    assert.notEqual(readFileSync(projection, 'utf8'), before, 'the cache was rewritten');
    const next = await replayWithProjection(journal, projection);
    assert.deepEqual({ cached: next.cached, tail: next.tail }, { cached: true, tail: 0 });
    assert.deepStrictEqual(next.state, await fullReplay());
  });

  test('a torn tail after the cache is reported and not folded in', async () => {
    await replayWithProjection(journal, projection);
    appendFileSync(journal, '{"v":1,"seq":');
    const result = await replayWithProjection(journal, projection);
    assert.equal(result.cached, true);
    assert.equal(result.torn?.toString(), '{"v":1,"seq":');
    assert.equal(result.state.seq, long);
  });
});
