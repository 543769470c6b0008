// Reading a file's exact bytes safely: whatever stands at the path (a FIFO, a device, a huge file)
// the read neither blocks nor fails for its size.
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { errnoOf } from '../errors.js';

/** Larger files are read only this far: enough to reject them by size and quarantine a prefix. */
export const READ_CAP_BYTES = 512 * 1024 * 1024;

// The bytes of a file, or null when it does not exist or is not a regular file (a directory, a
// FIFO, a device: no version of an artifact). Opened non-blocking, so a FIFO put in place of an
// artifact cannot stall the guardian. Sync: see atomic-write.ts.
export function readBytesOrNull(file: string): Buffer | null {
  return readFileVersion(file)?.bytes ?? null;
}

/** The bytes of a file and the inode that held them: a new inode means the file was replaced. */
export interface FileVersion {
  bytes: Buffer;
  ino: number;
  /** With `ino`: a cheap identity of what was read (a write changes one of them, or raises an event). */
  size: number;
  mtimeMs: number;
}

// As readBytesOrNull, with the inode.
export function readFileVersion(file: string): FileVersion | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'ENXIO') return null;
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return null;
    const identity = { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
    if (stats.size <= READ_CAP_BYTES) return { bytes: readFileSync(fd), ...identity };
    const prefix = Buffer.allocUnsafe(READ_CAP_BYTES);
    let length = 0;
    while (length < prefix.length) {
      const read = readSync(fd, prefix, length, prefix.length - length, length);
      if (read === 0) break;
      length += read;
    }
    return { bytes: prefix.subarray(0, length), ...identity };
  } finally {
    closeSync(fd);
  }
}

/** What stands at a path, without its bytes: null when nothing (or no regular file) does. */
export type FileIdentity = Pick<FileVersion, 'ino' | 'size' | 'mtimeMs'>;

export function readFileIdentity(file: string): FileIdentity | null {
  try {
    const stats = statSync(file);
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
