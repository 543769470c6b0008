// The sentinel written when the guard can trust nothing else (faults.ts failClosed): into the
// directory standing at the mission's path only if it is a plain directory, never through a
// symlink, created exclusively and renamed into place. No mission-root pin is asked for: after a
// swap the directory at the path is the one the scheduler reads, and freezing it is right.
import { closeSync, constants, lstatSync, openSync, readlinkSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { removeQuietly, tempSiblingOf } from '../store/atomic-write.js';

// Best effort: true when the sentinel is in place.
export function writeSentinelNoFollow(dir: string, name: string, bytes: Buffer): boolean {
  const file = join(dir, name);
  const temp = tempSiblingOf(file);
  try {
    if (!lstatSync(dir).isDirectory()) return false; // a symlink (lstat does not follow) or nothing
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      if (readlinkIfProc(fd) !== undefined && readlinkIfProc(fd) !== temp) return false;
      writeSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
    const current = lstatOrNull(file);
    if (current !== null && !current.isFile()) return false; // checkSentinel moves odd entries aside; not here
    renameSync(temp, file);
    return true;
  } catch {
    return false;
  } finally {
    removeQuietly(temp);
  }
}

function readlinkIfProc(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

function lstatOrNull(file: string) {
  try {
    return lstatSync(file);
  } catch {
    return null;
  }
}
