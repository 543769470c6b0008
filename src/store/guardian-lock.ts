// The guardian lock: one guardian per mission. proper-lockfile (mkdir-based) plus an owner file,
// so a second guardian can name the holder, and a lock left by a dead process on this host is
// recovered at once instead of after the stale window (DESIGN.md §4).
import { rmSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import lockfile from 'proper-lockfile';
import { errnoOf, GuardError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { isAlive, readOwner, type LockOwner } from './lock-owner.js';
import type { MissionStatePaths } from './paths.js';

// Re-exported: callers that take the lock also name its holder.
export { isAlive, readOwner, type LockOwner };

export interface GuardianLock {
  release(): Promise<void>;
}

/** A lock not refreshed for this long is stale (a dead holder on this host is recovered at once). */
const STALE_MS = 60_000;

// Take the mission's guardian lock or throw LOCK_HELD naming the holder. `onLost` runs if the
// lock is compromised and cannot be taken back (the caller must stop acting on the mission).
export async function acquireGuardianLock(paths: MissionStatePaths, mode: string, onLost: (why: string) => void, onRecovered: (why: string) => void): Promise<GuardianLock> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), mode };
  const ownerFile = `${paths.guardianLock}.owner.json`;
  let released = false;
  let release = await takeLock(paths, ownerFile, onCompromised);
  await writeFileAtomic(ownerFile, Buffer.from(`${JSON.stringify(owner)}\n`));

  function onCompromised(error: Error): void {
    if (released) return;
    // An event-loop stall delayed the refresh past `stale`. Take the lock back if nobody else did.
    takeLock(paths, ownerFile, onCompromised)
      .then(async (again) => {
        release = again;
        await writeFileAtomic(ownerFile, Buffer.from(`${JSON.stringify(owner)}\n`));
        onRecovered(error.message);
      })
      .catch((lost: unknown) => onLost(`${error.message}; taking it back failed: ${(lost as Error).message}`));
  }

  return {
    async release() {
      released = true;
      if (readOwner(ownerFile)?.pid === owner.pid) unlinkQuietly(ownerFile);
      await release().catch(() => undefined);
    },
  };
}

async function takeLock(paths: MissionStatePaths, ownerFile: string, onCompromised: (error: Error) => void): Promise<() => Promise<void>> {
  const options = { lockfilePath: paths.guardianLock, realpath: false, stale: STALE_MS, update: STALE_MS / 3, retries: 0, onCompromised };
  try {
    return await lockfile.lock(paths.dir, options);
  } catch (error) {
    if (errnoOf(error) !== 'ELOCKED') throw new GuardError('STATE_IO', `cannot take the guardian lock ${paths.guardianLock}: ${(error as Error).message}`);
  }
  const holder = readOwner(ownerFile);
  if (holder !== undefined && holder.host === hostname() && !isAlive(holder.pid)) {
    removeDeadLock(paths.guardianLock, ownerFile, holder.pid);
    try {
      return await lockfile.lock(paths.dir, options);
    } catch {
      // someone else recovered it first: report them below
    }
  }
  const current = readOwner(ownerFile) ?? holder;
  const starting = current !== undefined && current.host === hostname() && !isAlive(current.pid); // its owner file is not written yet
  const who = current === undefined || starting ? 'another guardian (starting up)' : `guardian pid ${current.pid} on ${current.host} (${current.mode}, since ${current.since})`;
  throw new GuardError('LOCK_HELD', `mission ${paths.missionDir} is already guarded by ${who}. Stop that guardian first, or inspect it with: guard status --mission ${paths.missionDir}`);
}

// Remove the lock of a dead holder. Not when the owner file names someone else now (they recovered
// the lock meanwhile), nor when the lock dir is younger than the owner file: then a new guardian
// has just taken it (after its own takeover, or a stale removal) and not yet written its owner
// file. Where the filesystem keeps no birth time it reads as 0 (take over).
function removeDeadLock(lockDir: string, ownerFile: string, deadPid: number): void {
  if (readOwner(ownerFile)?.pid !== deadPid) return;
  try {
    if (statSync(lockDir).birthtimeMs > statSync(ownerFile).mtimeMs) return;
  } catch {
    return; // the lock or the owner file is gone already: take the lock the normal way
  }
  rmSync(lockDir, { recursive: true, force: true });
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // nothing to remove
  }
}
