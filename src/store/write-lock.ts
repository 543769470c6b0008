/**
 * The mission's write lock: held by every write path of the guard that judges, journals and then
 * renames a new version into place (`guard write`, `writeArtifact`, `guard restore`, `guard
 * repair`, and the recovery of an interrupted write). It orders the renames with the journal: two
 * writers can no longer journal in one order and rename in the other (issue 9 item 4).
 *
 * Theory of operation:
 * - The lock is a symlink whose target names its holder (`pid@host@nonce`): creating a symlink is
 *   atomic and carries its content, so there is no moment where the lock exists without an owner
 *   (unlike mkdir + owner file).
 * - A holder on this host that is no longer running (SIGKILLed mid-write) is recognised at once
 *   and its lock removed; a holder on another host, or a lock that cannot be read, is stale after
 *   STALE_MS. The removal re-reads the link right before unlinking it, so a lock a waiter took over
 *   a moment ago is not removed by a second waiter (the window left is one system call).
 * - Waiting is a short poll with backoff up to WAIT_MS: a write holds the lock for milliseconds.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errnoOf, GuardError } from '../errors.js';
import { isAlive } from './lock-owner.js';
import type { MissionStatePaths } from './paths.js';

/** A lock this old is stale whoever holds it: a write holds it for milliseconds. */
const STALE_MS = 30_000;
/** How long a writer waits for the others before giving up. */
const WAIT_MS = 60_000;

export function writeLockPath(paths: Pick<MissionStatePaths, 'dir'>): string {
  return join(paths.dir, 'write.lock');
}

// Run `task` holding the mission's write lock; LOCK_HELD when it cannot be had within WAIT_MS.
export async function withWriteLock<T>(paths: Pick<MissionStatePaths, 'dir' | 'missionDir'>, task: () => Promise<T>): Promise<T> {
  const file = writeLockPath(paths);
  const mine = `${process.pid}@${hostname()}@${randomBytes(6).toString('hex')}`;
  await acquire(file, mine, paths.missionDir);
  try {
    return await task();
  } finally {
    release(file, mine);
  }
}

async function acquire(file: string, mine: string, missionDir: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      symlinkSync(mine, file);
      return;
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT') mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
      else if (code !== 'EEXIST') throw new GuardError('STATE_IO', `cannot take the write lock ${file}: ${(error as Error).message}`, { cause: error });
    }
    removeIfAbandoned(file);
    if (Date.now() > deadline) {
      throw new GuardError('LOCK_HELD', `another write to mission ${missionDir} has held its write lock for over ${WAIT_MS / 1000} s (${holderOf(file) ?? 'unknown holder'}); try again, or remove ${file} if no guard process is running`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function release(file: string, mine: string): void {
  if (holderOf(file) !== mine) return; // taken over as stale after a long stall: not ours to remove
  try {
    unlinkSync(file);
  } catch {
    // gone already
  }
}

function holderOf(file: string): string | undefined {
  try {
    return readlinkSync(file);
  } catch {
    return undefined;
  }
}

// Remove the lock when its holder is a dead process on this host, or it is older than STALE_MS.
function removeIfAbandoned(file: string): void {
  const holder = holderOf(file);
  if (holder === undefined) return;
  const [pid, host] = holder.split('@');
  let abandoned = host === hostname() && /^\d+$/.test(pid ?? '') && !isAlive(Number(pid));
  if (!abandoned) {
    try {
      abandoned = Date.now() - lstatSync(file).mtimeMs > STALE_MS;
    } catch {
      return;
    }
  }
  if (!abandoned || holderOf(file) !== holder) return;
  try {
    unlinkSync(file);
  } catch {
    // someone else removed it first
  }
}
