/**
 * The journal (DESIGN.md §5): JSON Lines, hash-chained, contiguous `seq`, fsynced per entry.
 *
 * Theory of operation:
 * - Every append holds a short cross-process lock (proper-lockfile, mkdir-based) plus an
 *   in-process queue, reads whatever other processes appended since it last looked (verifying
 *   their chain), then writes one line with O_APPEND and fsyncs before returning. The caller acts
 *   only after `append` resolves, so the journal is always ahead of the world.
 * - A torn last line (a writer died mid-append) is cut back to the last complete entry under the
 *   lock; the cut bytes go to the object store and the cut itself is journaled.
 * - A bad line anywhere else, or a broken chain, is tampering or disk corruption: every read
 *   fails with JOURNAL_CORRUPT until `guard repair --journal`.
 * - A missing tail leaves a valid chain, so each append also records a high-water mark outside
 *   the journal (store/journal-mark.ts), and every read from the start checks the journal still
 *   reaches it: a journal cut back at a line boundary, emptied or deleted is JOURNAL_CORRUPT too.
 * - An append uses synchronous system calls (lock, read the tail, write, fsync, unlock): each is
 *   microseconds, while a round trip through libuv's thread pool per call cost twice the whole
 *   append, and the guardian's reaction to a bad write waits on it. Whole-journal reads
 *   (`foldJournal`) stay asynchronous and chunked.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EntryBody, JournalEntry } from '../core/entries.js';
import type { Digest } from '../core/types.js';
import { errnoOf, GuardError } from '../errors.js';
import { lineStartBefore, markDamage, resetMark, writeMark } from './journal-mark.js';
import { corrupt, hashLine, parseEntry, readJournal, readMarkOf, scanJournal, START, stateIo, type JournalCursor, type JournalRead } from './journal-read.js';
import type { ObjectStore } from './objects.js';

// The readers live in journal-read.ts; importers of the journal get both from here.
export * from './journal-read.js';

/** What `guard repair --journal` cut, lost and kept. */
export interface JournalCut {
  /** Entries 1..kept stay. */
  kept: number;
  why: string;
  cutBytes: number;
  /** Where the cut bytes are kept (null: nothing was cut, the entries were already gone). */
  object: Digest | null;
  /** The cut lines that still parse as entries, and how many did not. */
  cut: { entries: JournalEntry[]; unreadable: number };
  /** Entries the high-water mark says were written that are neither kept nor cut (bytes gone). */
  lost: { from: number; to: number } | null;
  /** Whether entries went missing unseen (lost, or rewritten): what they recorded is unknown. */
  unknown: boolean;
  /** The `journal-repaired` entry. */
  repaired: JournalEntry;
}

// The lines of a cut journal part, read as far as each still parses.
function parseCut(rest: Buffer): JournalCut['cut'] {
  const entries: JournalEntry[] = [];
  let unreadable = 0;
  for (const line of rest.toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    const entry = parseEntry(Buffer.from(line));
    if (entry === undefined) unreadable++;
    else entries.push(entry);
  }
  return { entries, unreadable };
}

/** Called with every entry the journal learns about, in `seq` order: its own and other processes'. */
export type EntryListener = (entries: JournalEntry[]) => void;

/** An appendable journal shared safely by several processes. */
export class Journal {
  readonly file: string;
  readonly #objects: ObjectStore;
  readonly #now: () => Date;
  #cursor: JournalCursor = START;
  #queue: Promise<unknown> = Promise.resolve();
  #listener: EntryListener = () => undefined;

  constructor(file: string, objects: ObjectStore, now: () => Date = () => new Date()) {
    this.file = file;
    this.#objects = objects;
    this.#now = now;
  }

  get cursor(): JournalCursor {
    return this.#cursor;
  }

  /** Receive every entry from now on; `open` and `sync` deliver what was already there. */
  onEntries(listener: EntryListener): void {
    this.#listener = listener;
  }

  // Verify the whole journal (repairing a torn tail) and deliver its entries; `from` skips a
  // prefix the caller verified before (a cached projection).
  async open(from: JournalCursor = START): Promise<void> {
    this.#cursor = from;
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    // Verify without the lock first: a long journal takes seconds, and a lock held that long is
    // broken as stale by the next process. Under the lock only the rest, and a torn tail.
    await this.sync();
    await this.#serialized(() =>
      this.#locked(async () => {
        await this.#catchUp();
        await this.#seedMark();
      }),
    );
  }

  // Deliver entries other processes appended since we last looked; no lock needed to read.
  async sync(): Promise<void> {
    await this.#serialized(async () => {
      const read = await readJournal(this.file, this.#cursor);
      this.#advance(read);
    });
  }

  // Append one entry and fsync it; resolves with the entry as written.
  async append(body: EntryBody): Promise<JournalEntry> {
    return (await this.appendIf(() => true, body)) as JournalEntry;
  }

  /**
   * Compare-and-append: under the lock, once every other process's entries have been delivered,
   * append only if `stillValid()` (null when it is not). For a decision that rests on state
   * another process may have changed since (a verdict against last good, an ack of incidents).
   */
  async appendIf(stillValid: () => boolean, body: EntryBody): Promise<JournalEntry | null> {
    return this.#serialized(() =>
      this.#locked(async () => {
        await this.#catchUp();
        return stillValid() ? this.#write(body) : null;
      }),
    );
  }

  // `resetMark`: the mark is reset to this entry (a repair), not checked against the journal.
  async #write(body: EntryBody, resetting = false): Promise<JournalEntry> {
    const gen = this.#markGeneration(resetting);
    const entry = { v: 1, seq: this.#cursor.lastSeq + 1, at: this.#now().toISOString(), prev: this.#cursor.lastHash, ...body } as JournalEntry;
    const line = Buffer.from(JSON.stringify(entry));
    try {
      const fd = openSync(this.file, 'a', 0o600);
      try {
        // Under the lock the journal ends where this process last read it. If not, the lock was
        // broken (as stale) and someone else appended: writing now would fork the chain.
        if (fstatSync(fd).size !== this.#cursor.end) throw new GuardError('STATE_IO', `the journal ${this.file} changed while this process held its append lock (broken as stale after a stall?); nothing was appended`);
        const data = Buffer.concat([line, Buffer.from('\n')]);
        for (let written = 0; written < data.length; ) written += writeSync(fd, data, written);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw stateIo(error, `cannot append to the journal ${this.file}`);
    }
    const start = this.#cursor.end;
    this.#cursor = { end: start + line.length + 1, lastHash: hashLine(line), lastSeq: entry.seq };
    const mark = { gen: gen + 1, seq: entry.seq, start, end: this.#cursor.end, hash: this.#cursor.lastHash };
    try {
      await (resetting ? resetMark(this.file, mark) : writeMark(this.file, mark));
    } catch {
      // The entry is durable; a mark that lags behind it is allowed (journal-mark.ts).
    }
    this.#listener([entry]);
    return entry;
  }

  // Under the lock, before an append: the generation of the current high-water mark, after
  // checking the journal still reaches it (never append to a journal that lost its tail).
  #markGeneration(resetting: boolean): number {
    const read = readMarkOf(this.file);
    if (read.kind === 'mark') {
      const { mark } = read;
      const behind = mark.seq > this.#cursor.lastSeq || (mark.seq === this.#cursor.lastSeq && mark.hash !== this.#cursor.lastHash);
      if (behind && !resetting) throw corrupt(this.file, markDamage(this.file, read, this.#cursor, existsSync(this.file)) ?? `the journal does not reach its high-water mark (entry ${mark.seq})`);
      return mark.gen;
    }
    if (read.kind === 'unreadable' && !resetting) throw corrupt(this.file, markDamage(this.file, read, this.#cursor, true) as string);
    return 0;
  }

  // Under the lock, after a full read: give a journal written before marks existed its mark.
  async #seedMark(): Promise<void> {
    if (this.#cursor.lastSeq === 0 || readMarkOf(this.file).kind !== 'none') return;
    const { end, lastHash: hash, lastSeq: seq } = this.#cursor;
    try {
      await writeMark(this.file, { gen: 1, seq, start: lineStartBefore(this.file, end), end, hash });
    } catch (error) {
      throw stateIo(error, `cannot write the high-water mark of the journal ${this.file}`);
    }
  }

  /**
   * `guard repair --journal`: keep the verified prefix, move everything after it to quarantine
   * (an object), reset the high-water mark, and journal the cut. Returns null when the journal
   * was intact (a torn tail, if any, is repaired the usual way).
   */
  async cutBroken(decideFreeze: (cut: Omit<JournalCut, 'repaired'>) => string | null = () => null): Promise<JournalCut | null> {
    return this.#serialized(() =>
      this.#locked(async () => {
        let data: Buffer;
        try {
          data = await readFile(this.file);
        } catch (error) {
          throw stateIo(error, `cannot read the journal ${this.file}`);
        }
        const scan = scanJournal(data, START);
        const mark = readMarkOf(this.file);
        const verified: JournalCursor = { end: scan.end, lastHash: scan.lastHash, lastSeq: scan.lastSeq };
        const damage = markDamage(this.file, mark, verified, true);
        if (scan.broken === null && damage === null) {
          this.#cursor = START;
          await this.#catchUp();
          return null;
        }
        const keep: JournalCursor = scan.broken?.suspect ?? verified;
        const rest = data.subarray(keep.end);
        const cut = parseCut(rest);
        const known = Math.max(keep.lastSeq, ...cut.entries.map((entry) => entry.seq));
        const lost = mark.kind === 'mark' && mark.mark.seq > known ? { from: known + 1, to: mark.mark.seq } : null;
        const reasons: string[] = [];
        if (scan.broken !== null) reasons.push(scan.broken.suspect === null ? scan.broken.why : `${scan.broken.why}, so line ${scan.lastSeq} may have been edited`);
        if (lost !== null) reasons.push(`entries ${lost.from}-${lost.to} were written (high-water mark) but are not in the journal any more`);
        else if (damage !== null && (mark.kind === 'unreadable' || scan.broken === null)) reasons.push(damage);
        const why = reasons.join('; ');
        const object: Digest | null = rest.length > 0 ? await this.#objects.put(rest) : null;
        if (rest.length > 0) await truncate(this.file, keep.end);
        this.#cursor = keep;
        const kept = scan.entries.slice(0, keep.lastSeq);
        if (kept.length > 0) this.#listener(kept);
        const range = keep.lastSeq === 0 ? 'kept no entries' : `kept entries 1-${keep.lastSeq}`;
        const moved = rest.length > 0 ? ', moved the rest to quarantine' : '';
        const result = { kept: keep.lastSeq, cutBytes: rest.length, object, why, cut, lost, unknown: lost !== null || (damage !== null && scan.broken === null) };
        // One entry records the cut and, when the removed part may have held one, the freeze: a
        // crash can never leave the cut journaled without the freeze it carries.
        const freeze = decideFreeze(result);
        const repaired = await this.#write({ kind: 'journal-repaired', reason: `${why}; ${range}${moved}`, cutBytes: rest.length, object, keptSeq: keep.lastSeq, ...(freeze === null ? {} : { freeze }) }, true);
        return { ...result, repaired };
      }),
    );
  }

  // Under the lock: read what others appended, cut a torn tail, and journal the cut.
  async #catchUp(): Promise<void> {
    const read = await readJournal(this.file, this.#cursor);
    this.#advance(read);
    if (read.torn === null) return;
    const object: Digest | null = read.torn.length > 0 ? await this.#objects.put(read.torn) : null;
    await truncate(this.file, read.end);
    await this.#write({ kind: 'journal-repaired', reason: 'torn last line (a writer stopped mid-append)', cutBytes: read.torn.length, object, keptSeq: read.lastSeq });
  }

  #advance(read: JournalRead): void {
    this.#cursor = { end: read.end, lastHash: read.lastHash, lastSeq: read.lastSeq };
    if (read.entries.length > 0) this.#listener(read.entries);
  }

  #serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #locked<T>(task: () => Promise<T>): Promise<T> {
    let release: () => unknown;
    try {
      ensureFile(this.file);
      const { default: lockfile } = await import('proper-lockfile'); // loaded on first append: readers (status, log, verify) never lock
      const options = { realpath: false, stale: 5000, update: 1000, onCompromised: () => undefined };
      try {
        release = lockfile.lockSync(this.file, options); // uncontended: three system calls, no thread-pool round trips
      } catch (error) {
        if (errnoOf(error) !== 'ELOCKED') throw error;
        release = await lockfile.lock(this.file, { ...options, retries: { retries: 400, factor: 1.2, minTimeout: 2, maxTimeout: 50 } });
      }
    } catch (error) {
      throw new GuardError('STATE_IO', `cannot lock the journal ${this.file} for appending: ${(error as Error).message}`, { cause: error });
    }
    try {
      return await task();
    } finally {
      try {
        await release();
      } catch {
        // a lock someone else broke as stale: nothing of ours to release
      }
    }
  }
}

function ensureFile(file: string): void {
  if (existsSync(file)) return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
}

// Read a whole journal without a Journal instance (commands that only look).
export async function readAll(file: string): Promise<JournalEntry[]> {
  return (await readJournal(file)).entries;
}

// Used by `guard repair --journal` and tests: the raw bytes.
export async function readJournalBytes(file: string): Promise<Buffer> {
  return readFile(file);
}
