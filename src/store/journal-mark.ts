/**
 * The journal's high-water mark (issue 9 item 6): the seq, byte range and hash of the newest
 * entry, kept in `journal.mark` beside the journal, so a journal cut back at a line boundary,
 * emptied or deleted is noticed at the next open, as a WAL checks its checkpoint. The chain alone
 * cannot see a missing tail: every prefix of a hash chain is a valid chain.
 *
 * Theory of operation:
 * - The mark is written under the journal's append lock, after the entry is fsynced. A crash in
 *   between leaves the mark lagging behind a journal whose extra entries chain correctly: that is
 *   fine. The mark is never ahead of a durable journal, so a journal shorter than the mark, or
 *   one whose line at the mark's range no longer hashes to the mark's hash, lost entries.
 * - The file holds two fixed-size slots, each a JSON line with its own checksum, written in
 *   place with one pwrite and one fdatasync (no rename, no directory fsync), alternately, by a
 *   generation counter. A torn slot write fails its checksum and the other slot (one generation
 *   older: lagging, never ahead) is used. The file itself is created whole by rename, once.
 * - Readers without the lock read the mark BEFORE the journal: appends only grow the journal, so
 *   a journal read after the mark holds at least what the mark names.
 */
import { createHash } from 'node:crypto';
import { closeSync, fdatasyncSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errnoOf } from '../errors.js';
import { fsyncDir, PRIVATE_FILE_MODE, removeQuietly, tempSiblingOf, writeDurably } from './atomic-write.js';

/** Where the newest entry the guard wrote ends, and what it hashes to. */
export interface JournalMark {
  /** Incremented by every mark write; the slot with the higher one is current. */
  gen: number;
  seq: number;
  /** Byte range of the entry's line, without its newline: [start, end - 1), newline at end - 1. */
  start: number;
  end: number;
  hash: string;
}

const SLOT_BYTES = 256;

// The mark file of a journal file (`journal.jsonl` -> `journal.mark`).
export function markFileOf(journalFile: string): string {
  return join(dirname(journalFile), `${basename(journalFile, '.jsonl')}.mark`);
}

/** No mark file (a journal written before marks existed, or none yet), or the current mark. */
export type MarkRead = { kind: 'none' } | { kind: 'mark'; mark: JournalMark } | { kind: 'unreadable' };

// The current mark: the valid slot with the highest generation.
export function readMark(journalFile: string): MarkRead {
  let data: Buffer;
  try {
    const fd = openSync(markFileOf(journalFile), 'r');
    try {
      data = Buffer.alloc(SLOT_BYTES * 2);
      const length = readSync(fd, data, 0, data.length, 0);
      data = data.subarray(0, length);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return { kind: 'none' };
    throw error;
  }
  const slots = [parseSlot(data.subarray(0, SLOT_BYTES)), parseSlot(data.subarray(SLOT_BYTES, SLOT_BYTES * 2))].filter((slot) => slot !== undefined);
  if (slots.length === 0) return { kind: 'unreadable' };
  return { kind: 'mark', mark: slots.reduce((a, b) => (b.gen > a.gen ? b : a)) };
}

// Record `mark` (its gen decides the slot). Durable: one pwrite and one fdatasync; the first
// write creates the whole file by rename.
export async function writeMark(journalFile: string, mark: JournalMark): Promise<void> {
  const file = markFileOf(journalFile);
  const slot = encodeSlot(mark);
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
    return resetMark(journalFile, mark);
  }
  try {
    writeSync(fd, slot, 0, slot.length, (mark.gen % 2) * SLOT_BYTES);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// Both slots at once, for a deliberate reset (`guard repair --journal`).
export async function resetMark(journalFile: string, mark: JournalMark): Promise<void> {
  const file = markFileOf(journalFile);
  const slot = encodeSlot(mark);
  const temp = tempSiblingOf(file);
  try {
    await writeDurably(temp, Buffer.concat([slot, slot]), true, PRIVATE_FILE_MODE);
    renameSync(temp, file);
  } finally {
    removeQuietly(temp);
  }
  await fsyncDir(dirname(file));
}

function encodeSlot(mark: JournalMark): Buffer {
  const body = { v: 1, gen: mark.gen, seq: mark.seq, start: mark.start, end: mark.end, hash: mark.hash };
  const text = JSON.stringify({ ...body, check: checksum(JSON.stringify(body)) });
  if (text.length > SLOT_BYTES - 1) throw new Error(`journal mark too long (${text.length} bytes)`);
  return Buffer.from(`${text.padEnd(SLOT_BYTES - 1, ' ')}\n`);
}

function parseSlot(data: Buffer): JournalMark | undefined {
  if (data.length !== SLOT_BYTES) return undefined;
  try {
    const value = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    const { v, gen, seq, start, end, hash, check } = value;
    if (v !== 1 || !isCount(gen) || !isCount(seq) || !isCount(start) || !isCount(end) || typeof hash !== 'string' || end <= start) return undefined;
    if (check !== checksum(JSON.stringify({ v, gen, seq, start, end, hash }))) return undefined;
    return { gen, seq, start, end, hash };
  } catch {
    return undefined;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The part of a journal a reader verified: its last entry and where it ends. */
export interface VerifiedPrefix {
  end: number;
  lastSeq: number;
}

/**
 * Why a verified journal prefix misses entries its mark says were written, or null when it does
 * not. `exists` is whether the journal file is there at all. Reads the marked line back (one
 * small pread), so it costs the same on a journal of any length.
 */
export function markDamage(journalFile: string, read: MarkRead, prefix: VerifiedPrefix, exists: boolean): string | null {
  if (read.kind === 'none') return null;
  if (read.kind === 'unreadable') return `its high-water mark ${markFileOf(journalFile)} is unreadable, so a missing tail cannot be ruled out`;
  const { mark } = read;
  if (!exists) return `the journal file is missing (deleted?), but entries 1-${mark.seq} were written (high-water mark)`;
  if (mark.seq > prefix.lastSeq) {
    const ends = prefix.lastSeq === 0 ? 'holds no entries (emptied?)' : `ends at entry ${prefix.lastSeq}`;
    return `the journal ${ends}, but entries up to ${mark.seq} were written (high-water mark): entries ${prefix.lastSeq + 1}-${mark.seq} are missing (cut back or emptied)`;
  }
  if (mark.end > prefix.end || !lineHashes(journalFile, mark)) {
    return `entry ${mark.seq} is not the entry that was written there (high-water mark hash ${mark.hash.slice(0, 12)}): the journal was rewritten`;
  }
  return null;
}

// Does the journal hold, at the mark's range, a whole line that hashes to the mark's hash?
function lineHashes(journalFile: string, mark: JournalMark): boolean {
  try {
    const fd = openSync(journalFile, 'r');
    try {
      const from = Math.max(0, mark.start - 1);
      const bytes = Buffer.alloc(mark.end - from);
      if (readSync(fd, bytes, 0, bytes.length, from) !== bytes.length) return false;
      if (mark.start > 0 && bytes[0] !== 0x0a) return false;
      if (bytes[bytes.length - 1] !== 0x0a) return false;
      const line = bytes.subarray(mark.start - from, bytes.length - 1);
      return createHash('sha256').update(line).digest('hex') === mark.hash;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

// Where the line that ends (with its newline) at `end` starts: to seed a mark for a journal
// written before marks existed.
export function lineStartBefore(journalFile: string, end: number): number {
  const fd = openSync(journalFile, 'r');
  try {
    for (let window = 4096; ; window *= 4) {
      const start = Math.max(0, end - 1 - window);
      const bytes = Buffer.alloc(end - 1 - start);
      readSync(fd, bytes, 0, bytes.length, start);
      const newline = bytes.lastIndexOf(0x0a);
      if (newline !== -1) return start + newline + 1;
      if (start === 0) return 0;
    }
  } finally {
    closeSync(fd);
  }
}
