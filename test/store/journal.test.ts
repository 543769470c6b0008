// The journal (DESIGN.md §5): contiguous seq, hash chain, a torn tail cut and journaled, a
// damaged middle refused (fail closed), and appends from several real processes kept in order.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { GENESIS_PREV, type JournalEntry } from '../../src/core/entries.js';
import type { Digest } from '../../src/core/types.js';
import { hashLine, Journal, readAll, readJournal } from '../../src/store/journal.js';
import { ObjectStore } from '../../src/store/objects.js';
import { failOnLeakedChildren, FIXTURES, sandbox, spawnNode, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let file: string;
let objectsDir: string;

beforeEach(() => {
  box = sandbox();
  file = join(box.dir, 'state', 'journal.jsonl');
  objectsDir = join(box.dir, 'state', 'objects');
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

function openJournal(): Journal {
  return new Journal(file, new ObjectStore(objectsDir), () => new Date('2026-11-26T10:00:00.000Z'));
}

async function appendMany(journal: Journal, count: number, who = 'test'): Promise<void> {
  for (let index = 0; index < count; index++) await journal.append({ kind: 'repaired', action: 'test-append', who, reason: String(index) });
}

const lines = () => readFileSync(file, 'utf8').split('\n').slice(0, -1);

// Every line parses, seq runs 1..n, and each prev is the hash of the line before.
function assertChained(): JournalEntry[] {
  const raw = lines();
  const entries = raw.map((line) => JSON.parse(line) as JournalEntry);
  entries.forEach((entry, index) => {
    assert.equal(entry.seq, index + 1, `seq of line ${index + 1}`);
    assert.equal(entry.prev, index === 0 ? GENESIS_PREV : hashLine(raw[index - 1] as string), `prev of line ${index + 1}`);
  });
  assert.ok(readFileSync(file, 'utf8').endsWith('\n'));
  return entries;
}

describe('appending', () => {
  test('seq is contiguous from 1 and every line chains to the one before', async () => {
    const journal = openJournal();
    const seen: JournalEntry[] = [];
    journal.onEntries((entries) => seen.push(...entries));
    await journal.open();
    await appendMany(journal, 25);
    const entries = assertChained();
    assert.equal(entries.length, 25);
    assert.deepEqual(seen, entries, 'the listener got every entry as written');
    assert.deepEqual(await readAll(file), entries);
    assert.equal(journal.cursor.lastSeq, 25);
    assert.equal(journal.cursor.lastHash, hashLine(lines()[24] as string));
  });

  test('two writers in one process interleave without gaps; each learns the other’s entries', async () => {
    const first = openJournal();
    const second = openJournal();
    const learned: number[] = [];
    second.onEntries((entries) => learned.push(...entries.map((entry) => entry.seq)));
    await first.open();
    await second.open();
    await Promise.all([appendMany(first, 20, 'first'), appendMany(second, 20, 'second')]);
    assert.equal(assertChained().length, 40);
    await second.sync();
    assert.deepEqual(learned, Array.from({ length: 40 }, (_, index) => index + 1));
  });

  test('appends from four real processes at once stay chained and contiguous', async () => {
    const journal = openJournal();
    await journal.open();
    const children: GuardProcess[] = ['p1', 'p2', 'p3', 'p4'].map((name) => spawnNode(box, [join(FIXTURES, 'journal-appender.mjs'), file, objectsDir, name, '50']));
    await until(() => children.every((child) => child.stdout().includes('ready') || child.process.exitCode !== null), 'every appender ready', 20_000);
    for (const child of children) child.process.stdin?.end('go\n');
    const results = await Promise.all(children.map((child) => child.done));
    for (const result of results) assert.equal(result.code, 0, result.stderr);

    const entries = assertChained();
    assert.equal(entries.length, 200);
    for (const name of ['p1', 'p2', 'p3', 'p4']) {
      const own = entries.filter((entry) => entry.kind === 'repaired' && entry.who === name);
      assert.deepEqual(
        own.map((entry) => entry.kind === 'repaired' && entry.reason),
        Array.from({ length: 50 }, (_, index) => String(index)),
        `${name}'s entries, in its own order`,
      );
    }
    const seen: number[] = [];
    journal.onEntries((batch) => seen.push(...batch.map((entry) => entry.seq)));
    await journal.sync();
    assert.deepEqual(seen, Array.from({ length: 200 }, (_, index) => index + 1), 'a reader in another process catches up in order');
  });
});

describe('a torn last line', () => {
  for (const [name, torn] of [
    ['a line cut before its newline', '{"v":1,"seq":4,"at":"2026-11-26T10:00:00.000Z","kind":"repa'],
    ['a complete last line that is not an entry', 'garbage from a dying writer\n'],
  ] as const) {
    test(`${name} is cut on open, kept in objects/, and the cut journaled`, async () => {
      await appendMany(openJournal(), 3);
      const intact = readFileSync(file);
      appendFileSync(file, torn);
      const peek = await readJournal(file);
      assert.equal(peek.entries.length, 3, 'readers see the complete entries');
      assert.equal(peek.torn?.toString('utf8'), torn);
      assert.equal(readFileSync(file).length, intact.length + Buffer.byteLength(torn), 'reading alone changes nothing');

      const journal = openJournal();
      await journal.open();
      const entries = assertChained();
      assert.equal(entries.length, 4);
      assert.equal(readFileSync(file).subarray(0, intact.length).equals(intact), true, 'the complete entries are untouched');
      const repaired = entries[3];
      assert.ok(repaired?.kind === 'journal-repaired');
      assert.equal(repaired.cutBytes, Buffer.byteLength(torn));
      assert.equal(repaired.keptSeq, 3);
      assert.ok(repaired.object !== null);
      assert.equal(Buffer.from(await new ObjectStore(objectsDir).get(repaired.object as Digest)).toString('utf8'), torn);
      await appendMany(journal, 1);
      assert.equal(assertChained().length, 5);
    });
  }
});

// Each damage to a five-line journal, the message it is refused with, and how many lines
// `cutBroken` keeps: an edited line shows only as a chain break at the line after it, so the edited
// line itself is cut too.
const damages: Array<[string, (raw: string[]) => string[], RegExp, number]> = [
  ['an edited middle line', (raw) => raw.map((line, index) => (index === 1 ? line.replace('"reason":"1"', '"reason":"edited"') : line)), /line 3 does not chain to the line before it/, 1],
  ['a deleted middle line', (raw) => raw.filter((_, index) => index !== 2), /line 3 has seq 4, expected 3/, 2],
  ['garbage in the middle', (raw) => raw.map((line, index) => (index === 2 ? 'not json' : line)), /line 3 is not a journal entry/, 2],
  ['a complete last entry that does not chain', (raw) => raw.map((line, index) => (index === raw.length - 1 ? line.replace(/"prev":"[0-9a-f]+"/, `"prev":"${'f'.repeat(64)}"`) : line)), /line 5 does not chain/, 3],
];

describe('a damaged journal is refused until repaired', () => {
  for (const [name, damage, message] of damages) {
    test(`${name}: open and append fail with JOURNAL_CORRUPT, and nothing is written`, async () => {
      await appendMany(openJournal(), 5);
      writeFileSync(file, `${damage(lines()).join('\n')}\n`);
      const damaged = readFileSync(file);
      const refuse = (error: Error & { code?: string }) => error.code === 'JOURNAL_CORRUPT' && message.test(error.message) && error.message.includes('guard repair --journal');
      await assert.rejects(openJournal().open(), refuse);
      await assert.rejects(openJournal().append({ kind: 'repaired', action: 'x', who: 'x', reason: 'x' }), refuse);
      await assert.rejects(readAll(file), refuse);
      assert.equal(readFileSync(file).equals(damaged), true, 'fail closed: the evidence is left as found');
    });
  }

  test('an intact entry of a kind this version does not know is refused with its own message (STATE_IO)', async () => {
    await appendMany(openJournal(), 2);
    const raw = lines();
    const future = JSON.stringify({ v: 1, seq: 3, at: '2026-11-26T10:00:00.000Z', prev: hashLine(raw[1] as string), kind: 'from-a-newer-guard' });
    appendFileSync(file, `${future}\n`);
    const refuse = (error: Error & { code?: string }) => error.code === 'STATE_IO' && /line 3 is a "from-a-newer-guard" entry, which this version of mission guard does not know/.test(error.message);
    await assert.rejects(openJournal().open(), refuse);
    await assert.rejects(readAll(file), refuse);
  });

  test('a chained entry of a known kind whose body lacks a field the guard acts on is a bad line, not believed', async () => {
    await appendMany(openJournal(), 2);
    const raw = lines();
    const hollow = JSON.stringify({ v: 1, seq: 3, at: '2026-11-26T10:00:00.000Z', prev: hashLine(raw[1] as string), kind: 'frozen', path: 'features.json' });
    appendFileSync(file, `${hollow}\n`);
    await appendMany(openJournal(), 0);
    const refuse = (error: Error & { code?: string }) => error.code === 'JOURNAL_CORRUPT' && /line 3 is not a valid journal entry: its "frozen" body has no valid "incident"/.test(error.message);
    await assert.rejects(openJournal().open(), refuse);
    await assert.rejects(readAll(file), refuse);
  });

  test('a journal cut shorter than what a reader already verified is refused', async () => {
    const journal = openJournal();
    await journal.open();
    await appendMany(journal, 4);
    truncateSync(file, readFileSync(file).length - 10);
    await assert.rejects(journal.sync(), { code: 'JOURNAL_CORRUPT' });
  });
});

describe('cutBroken (guard repair --journal)', () => {
  for (const [name, damage, , kept] of damages) {
    test(`${name}: keeps ${kept} trusted lines byte for byte, quarantines the rest, journals the cut`, async () => {
      await appendMany(openJournal(), 5);
      writeFileSync(file, `${damage(lines()).join('\n')}\n`);
      const damaged = readFileSync(file);
      const keptBytes = damaged.subarray(0, lines().slice(0, kept).join('\n').length + (kept > 0 ? 1 : 0));

      const cut = await openJournal().cutBroken();
      assert.ok(cut !== null);
      assert.equal(cut.kept, kept);
      const after = readFileSync(file);
      assert.equal(after.subarray(0, keptBytes.length).equals(keptBytes), true);
      assert.ok(cut.object !== null);
      const quarantined = await new ObjectStore(objectsDir).get(cut.object);
      assert.equal(Buffer.from(quarantined).equals(damaged.subarray(keptBytes.length)), true, 'the cut bytes are kept in objects/');
      const entries = assertChained();
      assert.equal(entries.length, kept + 1);
      assert.deepEqual(entries.at(-1), { ...entries.at(-1), kind: 'journal-repaired', keptSeq: kept, cutBytes: cut.cutBytes, object: cut.object });
      assert.equal(await openJournal().cutBroken(), null, 'a second repair finds the chain intact');
    });
  }
});
