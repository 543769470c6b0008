// Who holds a mission's guardian lock, readable without loading the lock library: `guard status`
// shows the running guardian and must start fast.
import { readFileSync } from 'node:fs';
import { errnoOf } from '../errors.js';

/** Who holds a guardian lock; written beside the lock directory. */
export interface LockOwner {
  pid: number;
  host: string;
  since: string;
  mode: string;
}

export function readOwner(ownerFile: string): LockOwner | undefined {
  try {
    const value = JSON.parse(readFileSync(ownerFile, 'utf8')) as LockOwner;
    return typeof value.pid === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

// Whether a pid on this host is running (EPERM means it is, owned by someone else).
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === 'EPERM';
  }
}
