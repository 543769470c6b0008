// Reading and verifying a journal (DESIGN.md §5) without appending: the chain, the torn tail,
// the high-water mark (store/journal-mark.ts), and the errors every reader shares. The theory of
// operation is at the top of store/journal.ts.
import { hash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { ENTRY_KINDS, GENESIS_PREV, type JournalEntry } from '../core/entries.js';
import { entryShapeProblem, isKnownKind } from '../core/entry-shape.js';
import { shellQuote } from '../core/freeze.js';
import { errnoOf, GuardError, isGuardError } from '../errors.js';
import { markDamage, readMark, type MarkRead } from './journal-mark.js';

/** The result of reading a journal from some offset: verified entries and where they end. */
export interface JournalRead {
  entries: JournalEntry[];
  /** Byte offset just past the last complete, verified line. */
  end: number;
  lastHash: string;
  lastSeq: number;
  /** Bytes after `end` that do not form a complete entry (a torn tail), if any. */
  torn: Buffer | null;
}

/** Where a verified prefix of a journal ends: lets a reader continue without re-reading. */
export interface JournalCursor {
  end: number;
  lastHash: string;
  lastSeq: number;
}

export const START: JournalCursor = { end: 0, lastHash: GENESIS_PREV, lastSeq: 0 };

// sha256 of one line's bytes, without its newline: the `prev` of the next entry.
export function hashLine(line: Uint8Array | string): string {
  return hash('sha256', line, 'hex'); // one-shot: twice as fast as createHash on short lines
}

// Read and verify entries after `from`. Throws JOURNAL_CORRUPT on a bad middle line or chain.
// Synchronous, like an append (see the theory above): it mostly reads what other processes added.
export async function readJournal(file: string, from: JournalCursor = START): Promise<JournalRead> {
  return from.end === 0 ? checkingMark(file, () => readJournalFrom(file, from)) : readJournalFrom(file, from);
}

/**
 * `read` (a read of the whole journal), checked against the high-water mark read before it (see
 * journal-mark.ts for why before). A mismatch is read once more in case `guard repair --journal`
 * reset the mark in between.
 */
async function checkingMark<T extends { end: number; lastSeq: number }>(file: string, read: () => Promise<T>, mayRetry: () => boolean = () => true): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const mark = readMarkOf(file);
    const result = await read();
    const damage = markDamage(file, mark, result, existsSync(file));
    if (damage === null) return result;
    if (attempt === 1 && mayRetry() && JSON.stringify(readMarkOf(file)) !== JSON.stringify(mark)) continue;
    throw corrupt(file, damage);
  }
}

export function readMarkOf(file: string): MarkRead {
  try {
    return readMark(file);
  } catch (error) {
    throw stateIo(error, `cannot read the high-water mark of the journal ${file}`);
  }
}

async function readJournalFrom(file: string, from: JournalCursor): Promise<JournalRead> {
  let data: Buffer;
  try {
    const fd = openSync(file, 'r');
    try {
      const { size } = fstatSync(fd);
      if (size < from.end) throw corrupt(file, `the journal is shorter (${size} bytes) than its verified prefix (${from.end} bytes)`);
      data = Buffer.alloc(size - from.end);
      readSync(fd, data, 0, data.length, from.end);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw stateIo(error, `cannot read the journal ${file}`);
    if (from.end > 0) throw corrupt(file, `the journal file is gone (deleted?), though this process read ${from.lastSeq} entries from it`);
    return { entries: [], ...from, torn: null };
  }
  return parseJournal(data, from, file);
}

const KNOWN_KINDS: ReadonlySet<string> = new Set(ENTRY_KINDS);

// Verify a chunk of journal bytes that starts right after `from`.
export function parseJournal(data: Buffer, from: JournalCursor, file: string): JournalRead {
  const read = scanJournal(data, from);
  if (read.broken !== null) throw corrupt(file, read.broken.why);
  const unknown = read.entries.find((entry) => !KNOWN_KINDS.has(entry.kind));
  if (unknown !== undefined) {
    throw new GuardError('STATE_IO', `journal ${file} line ${unknown.seq} is a "${unknown.kind}" entry, which this version of mission guard does not know (a newer guard wrote it?); the journal is intact, but this guard cannot act on it: upgrade mission guard`);
  }
  return read;
}

/** Small enough that a chunk's entries die young (measured: 16 MB chunks spend 3x longer in GC). */
const FOLD_CHUNK_BYTES = 1024 * 1024;

/**
 * Verify entries after `from` like readJournal (same checks, same errors), but chunk by chunk,
 * handing each verified batch to `onEntries` instead of keeping it: folding a million-entry
 * journal into state must not hold a million entries at once (the GC cost doubles the replay).
 */
// `onProgress` hears the bytes verified so far and the journal's size after every chunk.
export async function foldJournal(file: string, from: JournalCursor, onEntries: (entries: JournalEntry[]) => void, onProgress?: (done: number, total: number) => void): Promise<Omit<JournalRead, 'entries'>> {
  let delivered = false; // a retry must not deliver the same entries twice
  const read = () =>
    foldJournalFrom(
      file,
      from,
      (entries) => {
        delivered = true;
        onEntries(entries);
      },
      onProgress,
    );
  return checkingMark(file, read, () => !delivered);
}

async function foldJournalFrom(file: string, from: JournalCursor, onEntries: (entries: JournalEntry[]) => void, onProgress?: (done: number, total: number) => void): Promise<Omit<JournalRead, 'entries'>> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return { ...from, torn: null };
    throw stateIo(error, `cannot read the journal ${file}`);
  }
  try {
    const { size } = await handle.stat();
    if (size < from.end) throw corrupt(file, `the journal is shorter (${size} bytes) than its verified prefix (${from.end} bytes)`);
    let cursor = from;
    let carry = Buffer.alloc(0);
    for (let position = from.end; position < size; ) {
      const chunk = Buffer.allocUnsafe(carry.length + Math.min(FOLD_CHUNK_BYTES, size - position));
      carry.copy(chunk);
      const { bytesRead } = await handle.read(chunk, carry.length, chunk.length - carry.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = chunk.subarray(0, carry.length + bytesRead);
      const atEnd = position >= size;
      const cut = atEnd ? data.length : data.lastIndexOf(0x0a) + 1;
      const read = parseJournal(data.subarray(0, cut), cursor, file);
      if (read.entries.length > 0) onEntries(read.entries);
      cursor = { end: read.end, lastHash: read.lastHash, lastSeq: read.lastSeq };
      // A chunk ends on a newline, so an unparsable last line with more bytes after it is a bad
      // line in the middle, exactly as readJournal would find it.
      if (read.torn !== null && !atEnd) throw corrupt(file, `line ${cursor.lastSeq + 1} is not a journal entry`);
      if (read.torn !== null) return { ...cursor, torn: Buffer.from(read.torn) };
      carry = data.subarray(cut);
      onProgress?.(position, size);
    }
    return { ...cursor, torn: carry.length > 0 ? Buffer.from(carry) : null }; // the file shrank while read
  } catch (error) {
    throw stateIo(error, `cannot read the journal ${file}`);
  } finally {
    await handle.close();
  }
}

/**
 * A verified prefix, and where and why verification stopped in the middle (null: it did not).
 * `suspect` is the cursor before the last verified line when the break is a prev-hash mismatch:
 * a hash chain shows an edited line only at the line after it, so that last line is not trusted.
 */
export interface JournalScan extends JournalRead {
  broken: { offset: number; seq: number; why: string; suspect: JournalCursor | null } | null;
}

// Verify as far as the chain holds. A torn last line is `torn`; a bad line before the end is `broken`.
export function scanJournal(data: Buffer, from: JournalCursor): JournalScan {
  const entries: JournalEntry[] = [];
  let { lastHash, lastSeq } = from;
  let offset = 0;
  let beforeLast: JournalCursor | null = null;
  while (offset < data.length) {
    const newline = data.indexOf(0x0a, offset);
    const line = data.subarray(offset, newline === -1 ? data.length : newline);
    const entry = newline === -1 ? undefined : parseEntry(line);
    const badShape = entry !== undefined && isKnownKind(entry.kind) ? entryShapeProblem(entry as JournalEntry & Record<string, unknown>) : null;
    if (entry === undefined || badShape !== null || entry.seq !== lastSeq + 1 || entry.prev !== lastHash) {
      const isLast = newline === -1 || newline === data.length - 1;
      if (isLast && (entry === undefined || newline === -1)) {
        return { entries, end: from.end + offset, lastHash, lastSeq, torn: data.subarray(offset), broken: null };
      }
      const chainMismatch = entry !== undefined && badShape === null && entry.seq === lastSeq + 1;
      const why = entry === undefined ? 'is not a journal entry' : badShape !== null ? `is not a valid journal entry: ${badShape}` : chainMismatch ? 'does not chain to the line before it (prev hash mismatch)' : `has seq ${entry.seq}, expected ${lastSeq + 1}`;
      const suspect = chainMismatch ? beforeLast : null;
      return { entries, end: from.end + offset, lastHash, lastSeq, torn: null, broken: { offset: from.end + offset, seq: lastSeq + 1, why: `line ${lastSeq + 1} ${why}`, suspect } };
    }
    beforeLast = { end: from.end + offset, lastHash, lastSeq };
    entries.push(entry);
    lastHash = hashLine(line);
    lastSeq = entry.seq;
    offset = newline + 1;
  }
  return { entries, end: from.end + offset, lastHash, lastSeq, torn: null, broken: null };
}

export function parseEntry(line: Buffer): JournalEntry | undefined {
  try {
    const value = JSON.parse(line.toString('utf8')) as Partial<JournalEntry>;
    if (value === null || typeof value !== 'object' || value.v !== 1 || typeof value.seq !== 'number' || typeof value.prev !== 'string' || typeof value.kind !== 'string') return undefined;
    return value as JournalEntry;
  } catch {
    return undefined;
  }
}

// A system error on guard state is STATE_IO (exit 74), not a bug; GuardErrors pass through.
export function stateIo(error: unknown, what: string): unknown {
  if (isGuardError(error) || errnoOf(error) === undefined) return error;
  return new GuardError('STATE_IO', `${what}: ${(error as Error).message}`, { cause: error });
}

export function corrupt(file: string, detail: string): GuardError {
  return new GuardError('JOURNAL_CORRUPT', `the journal ${file} is damaged: ${detail}. The guard will not act on this mission until it is repaired: ${repairCommand()}`);
}

// The command that repairs a damaged journal, naming the mission when the caller knows it.
function repairCommand(missionDir?: string): string {
  return missionDir === undefined ? 'guard repair --journal' : `guard repair --mission ${shellQuote(missionDir)} --journal`;
}

/** `work`, with the repair command a JOURNAL_CORRUPT from it names completed with `missionDir`. */
export async function namingMission<T>(missionDir: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!isGuardError(error) || error.code !== 'JOURNAL_CORRUPT') throw error;
    throw new GuardError('JOURNAL_CORRUPT', error.message.replace(repairCommand(), repairCommand(missionDir)), { cause: error });
  }
}
