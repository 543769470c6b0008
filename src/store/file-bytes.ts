// Reading a file's exact bytes safely: whatever stands at the path (a FIFO, a device, a huge file)
// the read neither blocks nor fails for its size.
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
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
    if (stats.size <= READ_CAP_BYTES) return { bytes: readFileSync(fd), ino: stats.ino };
    const prefix = Buffer.allocUnsafe(READ_CAP_BYTES);
    let length = 0;
    while (length < prefix.length) {
      const read = readSync(fd, prefix, length, prefix.length - length, length);
      if (read === 0) break;
      length += read;
    }
    return { bytes: prefix.subarray(0, length), ino: stats.ino };
  } finally {
    closeSync(fd);
  }
}
