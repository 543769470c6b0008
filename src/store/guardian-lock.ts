// The guardian lock: one guardian per mission. proper-lockfile (mkdir-based) plus an owner file,
// so a second guardian can name the holder, and a lock left by a dead process on this host is
// recovered at once instead of after the stale window (DESIGN.md §4).
//
// Theory of operation (taking over a lock whose holder is gone):
// - A starter first leaves an intent file (`guardian.lock.starting-<pid>`), then makes the lock
//   dir, then writes the owner file, then removes the intent. So a lock dir without a current
//   owner file belongs to a starter that is alive (its intent names a live pid and is not newer
//   than the lock dir: a starter makes the dir after its intent) or dead. A live starter whose
//   intent is newer than the lock dir did not make it: it is waiting like us. Counting it would
//   let two starters that both arrived at a dead lock wait for each other until both gave up.
// - A lock is taken over when its owner file names a dead process on this host, or when it has
//   no current owner file, no live starter, and its mtime is older than a short grace (a guard
//   that leaves no intent file, an older version, is given that long to write its owner file).
// - The takeover itself runs under a takeover file created exclusively (O_EXCL), and judges the
//   lock again under it before removing anything: two starters that both saw the same dead lock
//   cannot both remove it and both win (the second sees the first one's fresh lock).
import { closeSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
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
/** How long a lock dir without an owner file and without a live starter is left to its maker. */
export const OWNERLESS_GRACE_MS = 2_000;
/** An intent or takeover file older than this is left over from a crash, whatever its pid. */
const INTENT_STALE_MS = 30_000;
/** How long a starter waits for another one that is starting up before reporting LOCK_HELD. */
const WAIT_FOR_STARTER_MS = 3 * OWNERLESS_GRACE_MS;

// Take the mission's guardian lock or throw LOCK_HELD naming the holder. `onLost` runs if the
// lock is compromised and cannot be taken back (the caller must stop acting on the mission).
// `failpoint` 'lock-dir' (crash-safety tests): SIGKILL this process between making the lock dir
// and writing the owner file.
export async function acquireGuardianLock(paths: MissionStatePaths, mode: string, onLost: (why: string) => void, onRecovered: (why: string) => void, failpoint?: string): Promise<GuardianLock> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), mode };
  const ownerFile = `${paths.guardianLock}.owner.json`;
  const intent = intentFileOf(paths.guardianLock, process.pid);
  let released = false;
  let release: () => Promise<void>;
  try {
    closeSync(openSync(intent, 'w', 0o600));
    release = await takeLock(paths, ownerFile, onCompromised);
    if (failpoint === 'lock-dir') process.kill(process.pid, 'SIGKILL');
    await writeFileAtomic(ownerFile, Buffer.from(`${JSON.stringify(owner)}\n`), { mode: 0o600 });
  } finally {
    unlinkQuietly(intent);
  }

  function onCompromised(error: Error): void {
    if (released) return;
    // An event-loop stall delayed the refresh past `stale`. Take the lock back if nobody else did.
    takeLock(paths, ownerFile, onCompromised)
      .then(async (again) => {
        release = again;
        await writeFileAtomic(ownerFile, Buffer.from(`${JSON.stringify(owner)}\n`), { mode: 0o600 });
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
  const lock = async (): Promise<(() => Promise<void>) | undefined> => {
    try {
      return await lockfile.lock(paths.dir, options);
    } catch (error) {
      if (errnoOf(error) === 'ELOCKED') return undefined;
      throw new GuardError('STATE_IO', `cannot take the guardian lock ${paths.guardianLock}: ${(error as Error).message}`);
    }
  };
  const deadline = Date.now() + WAIT_FOR_STARTER_MS;
  for (;;) {
    const taken = await lock();
    if (taken !== undefined) return taken;
    const held = judgeHeldLock(paths.guardianLock, ownerFile);
    if (held.kind === 'orphaned') {
      const recovered = await underTakeover(paths.guardianLock, async () => {
        if (judgeHeldLock(paths.guardianLock, ownerFile).kind !== 'orphaned') return undefined; // someone else was faster
        rmSync(paths.guardianLock, { recursive: true, force: true });
        return lock();
      });
      if (recovered !== undefined) return recovered;
    }
    if (held.kind === 'held' || Date.now() > deadline) {
      const who = held.kind === 'held' ? `guardian pid ${held.owner.pid} on ${held.owner.host} (${held.owner.mode}, since ${held.owner.since})` : 'another guardian (starting up)';
      throw new GuardError('LOCK_HELD', `mission ${paths.missionDir} is already guarded by ${who}. Stop that guardian first, or inspect it with: guard status --mission ${paths.missionDir}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type HeldLock = { kind: 'held'; owner: LockOwner } | { kind: 'starting' } | { kind: 'orphaned' };

// Who holds an existing lock dir: a live (or remote) owner, a starter that has not written its
// owner file yet, or nobody (its maker died).
function judgeHeldLock(lockDir: string, ownerFile: string): HeldLock {
  let lock;
  try {
    lock = statSync(lockDir);
  } catch {
    return { kind: 'starting' }; // gone meanwhile: take it the normal way on the next round
  }
  const owner = readOwner(ownerFile);
  let ownerMtime = 0;
  try {
    ownerMtime = statSync(ownerFile).mtimeMs;
  } catch {
    // no owner file
  }
  // A lock dir made after the owner file was written belongs to a newer starter (where the
  // filesystem keeps no birth time it reads as 0: the owner file is taken as current).
  const current = owner !== undefined && !(lock.birthtimeMs > ownerMtime);
  if (current && owner.host !== hostname()) return { kind: 'held', owner }; // another host: only the stale window tells
  if (current && isAlive(owner.pid)) return { kind: 'held', owner };
  if (liveStarter(lockDir, lock.mtimeMs)) return { kind: 'starting' };
  if (current) return { kind: 'orphaned' }; // its owner died
  return Date.now() - lock.mtimeMs >= OWNERLESS_GRACE_MS ? { kind: 'orphaned' } : { kind: 'starting' };
}

function intentFileOf(lockDir: string, pid: number): string {
  return `${lockDir}.starting-${pid}`;
}

// Is another process on this host between making the lock dir (last changed at `lockMtimeMs`) and
// writing its owner file? Intent files of dead processes are removed on the way.
function liveStarter(lockDir: string, lockMtimeMs: number): boolean {
  const prefix = `${basename(lockDir)}.starting-`;
  let names: string[];
  try {
    names = readdirSync(dirname(lockDir)).filter((name) => name.startsWith(prefix));
  } catch {
    return false;
  }
  let live = false;
  for (const name of names) {
    const pid = Number(name.slice(prefix.length));
    if (pid === process.pid) continue;
    const file = join(dirname(lockDir), name);
    if (!Number.isSafeInteger(pid) || !isAlive(pid)) unlinkQuietly(file);
    else if (!olderThan(file, INTENT_STALE_MS) && mayHaveMade(file, lockMtimeMs)) live = true;
  }
  return live;
}

// Run `work` holding the lock's takeover file (exclusive create); undefined when another process
// holds it. A takeover file left by a dead process is removed for the next round.
async function underTakeover<T>(lockDir: string, work: () => Promise<T | undefined>): Promise<T | undefined> {
  const file = `${lockDir}.takeover`;
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw new GuardError('STATE_IO', `cannot take over the guardian lock ${lockDir}: ${(error as Error).message}`);
    let pid = Number.NaN;
    try {
      pid = Number(readFileSync(file, 'utf8') || Number.NaN);
    } catch {
      // gone already
    }
    // An empty file is one being written: only its age can tell it was left by a crash.
    if ((Number.isSafeInteger(pid) && pid > 0 && !isAlive(pid)) || olderThan(file, INTENT_STALE_MS)) unlinkQuietly(file);
    return undefined;
  }
  try {
    return await work();
  } finally {
    unlinkQuietly(file);
  }
}

// A starter's intent is written before its lock dir: one newer than the dir did not make it.
function mayHaveMade(intent: string, lockMtimeMs: number): boolean {
  try {
    return statSync(intent).mtimeMs <= lockMtimeMs;
  } catch {
    return false; // gone: that starter finished or gave up
  }
}

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // nothing to remove
  }
}
