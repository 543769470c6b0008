// Reading a file's exact bytes safely: whatever stands at the path (a FIFO, a device, a huge file,
// a symlink) the read neither blocks, nor fails for its size, nor follows a link (contained.ts).
import { closeSync, constants, fstatSync, lstatSync, readSync } from 'node:fs';
import { errnoOf } from '../errors.js';
import { openContained } from './contained.js';

/** Larger files are read only this far: enough to reject them by size and quarantine a prefix. */
export const READ_CAP_BYTES = 512 * 1024 * 1024;

/**
 * How far the versions of an artifact are read (readFileVersion): one byte past its size limit,
 * so a version over it is rejected from that prefix. Not for an append-only log, whose limit is
 * on each append (the whole log grows past it legitimately).
 */
export function readCapOf(spec: { maxBytes: number; format?: string }): number {
  return spec.format === 'jsonl' ? READ_CAP_BYTES : Math.min(spec.maxBytes + 1, READ_CAP_BYTES);
}

/**
 * An exact-size copy with memory of its own, for bytes kept for hours (last good versions, append
 * windows). `Buffer.from` and `Buffer.concat` put a small result in Node's shared 8 KiB pool, and
 * the kept slice pins the whole slab: 200 idle missions held ~6 MB of slabs for ~1 MB of bytes.
 */
export function ownedCopy(bytes: Uint8Array | readonly Uint8Array[]): Buffer {
  const parts = bytes instanceof Uint8Array ? [bytes] : bytes;
  const copy = Buffer.allocUnsafeSlow(parts.reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts) {
    copy.set(part, at);
    at += part.length;
  }
  return copy;
}

/** The size of the file a capped read came from (only the prefix is in memory). */
const fullSizes = new WeakMap<Uint8Array, number>();

// The size of the version `bytes` were read from: larger than `bytes.length` when only a prefix was read.
export function fullSizeOf(bytes: Uint8Array): number {
  return fullSizes.get(bytes) ?? bytes.length;
}

// The bytes of a file, or null when it does not exist or is not a regular file (a directory, a
// FIFO, a device: no version of an artifact). Opened non-blocking, so a FIFO put in place of an
// artifact cannot stall the guardian. Sync: see atomic-write.ts. `cap`: see readFileVersion.
export function readBytesOrNull(file: string, cap = READ_CAP_BYTES): Buffer | null {
  return readFileVersion(file, cap)?.bytes ?? null;
}

/** The bytes of a file and the inode that held them: a new inode means the file was replaced. */
export interface FileVersion {
  bytes: Buffer;
  ino: number;
  /** With `ino`: a cheap identity of what was read (a write changes one of them, or raises an event). */
  size: number;
  mtimeMs: number;
}

/**
 * As readBytesOrNull, with the inode. A file larger than `cap` is read only to `cap` bytes,
 * decided from its size (fstat) before anything is read: an artifact's cap is its `maxBytes` + 1,
 * so a 600 MB version is rejected as too large from its first 16 MB, never held whole. Every
 * reader of one artifact uses the same cap, so the prefix names the version consistently.
 * Throws EscapeError for a symlink on the way (contained.ts).
 */
export function readFileVersion(file: string, cap = READ_CAP_BYTES): FileVersion | null {
  let fd: number;
  try {
    fd = openContained(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'ENXIO') return null;
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return null;
    const identity = { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
    const bytes = readUpTo(fd, Math.min(stats.size, cap), cap);
    if (stats.size > bytes.length) fullSizes.set(bytes, stats.size);
    return { bytes, ...identity };
  } finally {
    closeSync(fd);
  }
}

// The bytes of an open regular file, up to `cap` (as readFileVersion).
export function readOpenFile(fd: number, cap = READ_CAP_BYTES): Buffer {
  return readUpTo(fd, Math.min(fstatSync(fd).size, cap), cap);
}

// Read from the start until end of file or `cap` bytes; `expected` sizes the buffer (the file
// may grow while it is read: it is read on, up to the cap).
function readUpTo(fd: number, expected: number, cap: number): Buffer {
  let buffer = Buffer.allocUnsafe(expected);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length >= cap) break;
      const probe = readSync(fd, PROBE, 0, Math.min(PROBE.length, cap - length), length);
      if (probe === 0) break;
      const grown = Buffer.allocUnsafe(Math.min(cap, Math.max(buffer.length * 2, length + probe)));
      buffer.copy(grown, 0, 0, length);
      PROBE.copy(grown, length, 0, probe);
      buffer = grown;
      length += probe;
      continue;
    }
    const read = readSync(fd, buffer, length, buffer.length - length, length);
    if (read === 0) break;
    length += read;
  }
  return buffer.subarray(0, length);
}

/** Where a read past the size fstat gave looks for more (a file still growing). */
const PROBE = Buffer.alloc(64 * 1024);

/** What stands at a path, without its bytes: null when nothing (or no regular file) does. */
export type FileIdentity = Pick<FileVersion, 'ino' | 'size' | 'mtimeMs'>;

// lstat: a symlink is no regular file (null), never the identity of its target.
export function readFileIdentity(file: string): FileIdentity | null {
  try {
    const stats = lstatSync(file);
    return stats.isFile() ? { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs } : null;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return null;
    throw error;
  }
}

// Whether two looks at a path saw the same version (both nothing, or the same inode, size and mtime).
export function sameVersion(a: FileIdentity | null, b: FileIdentity | null): boolean {
  if (a === null || b === null) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}
