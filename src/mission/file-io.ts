// Reading artifacts as exact bytes, and the guard's compare-and-swap writes to the mission dir.
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { digestOf, type Digest } from '../core/types.js';
import { errnoOf } from '../errors.js';
import { fsyncDir, isTempSibling, writeFileAtomic, type StagedFile } from '../store/atomic-write.js';
import { assertContained, assertRootIntact, openContained } from '../store/contained.js';
import { readBytesOrNull, readOpenFile, READ_CAP_BYTES } from '../store/file-bytes.js';

// The bytes of a file, or null (see readBytesOrNull): never through a symlink.
export async function readOrNull(file: string, cap = READ_CAP_BYTES): Promise<Buffer | null> {
  return readBytesOrNull(file, cap);
}

// The digest of a file right now (null: no file), synchronously: for checks made under a lock,
// with nothing awaited between them and what they guard.
export function digestNow(file: string, cap = READ_CAP_BYTES): Digest | null {
  const bytes = readBytesOrNull(file, cap);
  return bytes === null ? null : digestOf(bytes);
}

export interface SwapOptions {
  /** As in writeFileAtomic. */
  durable?: boolean;
  /** Runs right before the swap, after the bytes compared: false means a writer holds the file. */
  free?: () => boolean;
  /** The read cap `expected` was taken with (an artifact's maxBytes + 1; see readFileVersion). */
  cap?: number;
  /** `bytes` already staged beside `file` (writeFileAtomic's `staged`); it is committed or removed. */
  staged?: Promise<StagedFile | undefined>;
}

export type SwapResult = { swapped: true } | { swapped: false; found: Digest | null; busy?: true };

/**
 * Replace `file` with `bytes` (null = remove it) only if it still holds exactly `expected`
 * (null = absent) and, with `free`, nobody holds it open for writing (a rename under a live
 * writer sends the writer's bytes into an unlinked inode). The checks run after the new bytes are
 * in a temp sibling, right before the rename, so the window in which a concurrent writer could be
 * clobbered is a few microseconds. Returns what was found when the swap was refused.
 */
export async function compareAndSwap(file: string, expected: Digest | null, bytes: Uint8Array | null, { durable = true, free, cap = READ_CAP_BYTES, staged }: SwapOptions = {}): Promise<SwapResult> {
  let found: Digest | null = expected;
  let busy = false;
  const stillExpected = async () => {
    found = digestNow(file, cap);
    if (found !== expected) return false;
    busy = free !== undefined && !free();
    return !busy;
  };
  const refused = (): SwapResult => (busy ? { swapped: false, found, busy: true } : { swapped: false, found });
  if (bytes === null) {
    if (!(await stillExpected())) return refused();
    try {
      assertContained(file, true); // unlinking a symlink removes the link, never its target
      unlinkSync(file);
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
    }
    if (durable) await fsyncDir(dirname(file));
    return { swapped: true };
  }
  return (await writeFileAtomic(file, bytes, { beforeRename: stillExpected, durable, ...(staged === undefined ? {} : { staged }) })) ? { swapped: true } : refused();
}

/**
 * Cut `file` back to its first `length` bytes, in place, only if it still holds exactly
 * `expected` and nobody holds it open for writing: the removal of a bad tail from an append-only
 * log. In place, so a writer that opens the log to append later still appends to this file.
 */
export function truncateIfExactly(file: string, expected: Digest, length: number, free: () => boolean, cap = READ_CAP_BYTES): SwapResult {
  let fd: number;
  try {
    fd = openContained(file, constants.O_RDWR | constants.O_NONBLOCK);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return { swapped: false, found: null };
    throw error;
  }
  try {
    if (!fstatSync(fd).isFile()) return { swapped: false, found: null };
    const found = digestOf(readOpenFile(fd, cap));
    if (found !== expected) return { swapped: false, found };
    if (!free()) return { swapped: false, found, busy: true };
    ftruncateSync(fd, length);
    fsyncSync(fd);
    return { swapped: true };
  } finally {
    closeSync(fd);
  }
}

// Append `line` only if the file still has `expectedSize` bytes (an append-only log's CAS). Never
// through a symlink, and never creating the log: false when it is gone.
export async function appendIfSize(file: string, expectedSize: number, line: Uint8Array): Promise<boolean> {
  let fd: number;
  try {
    fd = openContained(file, constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size !== expectedSize) return false;
    for (let written = 0; written < line.length; ) written += writeSync(fd, line, written);
    fsyncSync(fd);
    return true;
  } finally {
    closeSync(fd);
  }
}

// Every file under a mission dir, as mission-relative POSIX paths (temp siblings skipped; a
// directory that cannot be read is skipped). Sync, like the reads above: a long mission has
// thousands of handoffs, and a thread-pool round trip per directory entry adds up.
export async function listMissionFiles(dir: string, prefix = ''): Promise<string[]> {
  if (prefix === '') assertRootIntact(dir); // a swapped mission dir is not listed: it throws ESWAPPED
  let entries;
  try {
    entries = readdirSync(join(dir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listMissionFiles(dir, path)));
    else if (entry.isFile() && !isTempSibling(entry.name)) files.push(path);
  }
  return files;
}

// The symlinks under a mission dir, as mission-relative paths (the walk does not follow them).
// Each one where an artifact or a directory should be is a mission fault (see contained.ts).
export function listMissionLinks(dir: string, prefix = ''): string[] {
  let entries;
  try {
    entries = readdirSync(join(dir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const links: string[] = [];
  for (const entry of entries) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) links.push(...listMissionLinks(dir, path));
    else if (entry.isSymbolicLink()) links.push(path);
  }
  return links;
}
