// The journal's high-water mark (store/journal-mark.ts): a mark that lags is fine, a journal
// that does not reach its mark is JOURNAL_CORRUPT, a torn slot falls back to the other one.
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Journal, readJournal } from '../../src/store/journal.js';
import { markFileOf, readMark } from '../../src/store/journal-mark.js';
import { ObjectStore } from '../../src/store/objects.js';
import { sandbox, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let file: string;

beforeEach(() => {
  box = sandbox();
  file = join(box.dir, 'state', 'journal.jsonl');
});

afterEach(() => box.cleanup());

async function journalOf(count: number): Promise<Journal> {
  const journal = new Journal(file, new ObjectStore(join(box.dir, 'state', 'objects')));
  await journal.open();
  for (let i = 0; i < count; i++) await journal.append({ kind: 'repaired', action: 'test', who: 't', reason: String(i) });
  return journal;
}

const lineEnd = (count: number) => Buffer.byteLength(readFileSync(file, 'utf8').split('\n').slice(0, count).map((line) => `${line}\n`).join(''));

describe('the journal high-water mark', () => {
  test('every append moves it to the newest entry', async () => {
    await journalOf(5);
    const read = readMark(file);
    assert.ok(read.kind === 'mark');
    assert.equal(read.mark.seq, 5);
    assert.equal(read.mark.end, readFileSync(file).length);
  });

  test('a mark lagging behind entries that chain correctly is fine (a crash between journal and mark)', async () => {
    await journalOf(3);
    const old = readFileSync(markFileOf(file));
    const journal = await journalOf(0);
    for (let i = 0; i < 4; i++) await journal.append({ kind: 'repaired', action: 'test', who: 't', reason: 'more' });
    writeFileSync(markFileOf(file), old);
    assert.equal((await readJournal(file)).entries.length, 7);
    await (await journalOf(1)).append({ kind: 'repaired', action: 'test', who: 't', reason: 'after' });
  });

  test('a journal cut back at a line boundary, emptied or deleted is JOURNAL_CORRUPT for readers and appenders', async () => {
    await journalOf(6);
    truncateSync(file, lineEnd(4));
    await assert.rejects(readJournal(file), { code: 'JOURNAL_CORRUPT', message: /entries 5-6 are missing/ });
    await assert.rejects(journalOf(0), { code: 'JOURNAL_CORRUPT' });
    writeFileSync(file, '');
    await assert.rejects(readJournal(file), { code: 'JOURNAL_CORRUPT', message: /holds no entries/ });
  });

  test('a journal rewritten to the same length but other entries is JOURNAL_CORRUPT', async () => {
    await journalOf(3);
    const mark = readFileSync(markFileOf(file));
    writeFileSync(file, '');
    rmSync(markFileOf(file));
    await (await journalOf(0)).append({ kind: 'repaired', action: 'test', who: 'other', reason: 'forged' }); // a new mark, then the old one put back
    await journalOf(4);
    writeFileSync(markFileOf(file), mark);
    await assert.rejects(readJournal(file), { code: 'JOURNAL_CORRUPT', message: /not the entry that was written/ });
  });

  test('a torn slot falls back to the other slot; both slots unreadable is JOURNAL_CORRUPT', async () => {
    await journalOf(4);
    const read = readMark(file);
    assert.ok(read.kind === 'mark');
    const fd = openSync(markFileOf(file), 'r+');
    writeSync(fd, Buffer.from('{"v":1,"gen":99'), 0, 15, (read.mark.gen % 2) * 256);
    closeSync(fd);
    const fallback = readMark(file);
    assert.ok(fallback.kind === 'mark');
    assert.equal(fallback.mark.seq, 3, 'the older slot, one entry behind: lagging, never ahead');
    assert.equal((await readJournal(file)).entries.length, 4);
    writeFileSync(markFileOf(file), 'x'.repeat(512));
    await assert.rejects(readJournal(file), { code: 'JOURNAL_CORRUPT', message: /unreadable/ });
  });
});
