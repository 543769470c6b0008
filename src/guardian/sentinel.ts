// The sentinel, the file a cooperative scheduler and `guard hook` read to know the mission is
// frozen: a projection of the journal, made to match it (syncSentinel), and the one written when
// the guard can trust nothing else (writeSentinelNoFollow, faults.ts failClosed): into the
// directory standing at the mission's path only if it is a plain directory, never through a
// symlink, created exclusively and renamed into place. No mission-root pin is asked for there:
// after a swap the directory at the path is the one the scheduler reads, and freezing it is right.
import { closeSync, constants, lstatSync, openSync, readlinkSync, renameSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { sentinelText, type Frozen } from '../core/freeze.js';
import { digestOf } from '../core/types.js';
import { compareAndSwap } from '../mission/file-io.js';
import type { MissionStore } from '../mission/mission-store.js';
import { removeQuietly, tempSiblingOf } from '../store/atomic-write.js';
import { readBytesOrNull } from '../store/file-bytes.js';
import { SENTINEL } from '../store/paths.js';

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
    if (current !== null && !current.isFile()) return false; // syncSentinel moves odd entries aside; not here
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

// Make the sentinel match the journal. Live (`tamper`), a mismatch is journaled and put back.
export async function syncSentinel(store: MissionStore, live: boolean): Promise<void> {
  const file = store.paths.sentinel;
  const displaced = displaceNonFile(file);
  if (displaced !== undefined) await store.append({ kind: 'tamper', path: SENTINEL, detail: `something that is not a plain file stood where the sentinel goes; moved aside to ${basename(displaced)}`, digest: null });
  const expected = () => (store.state.freeze.kind === 'frozen' ? Buffer.from(sentinelText(store.state.freeze as Frozen, store.paths.missionDir)) : null);
  const actual = readBytesOrNull(file);
  if (sameBytes(actual, expected())) return;
  await store.journal.sync();
  const want = expected();
  if (sameBytes(actual, want)) return;
  const found = actual === null ? null : digestOf(actual);
  if (live) {
    if (actual !== null) await store.objects.put(actual);
    const detail = want === null ? 'a sentinel appeared while the mission is not frozen; removed' : actual === null ? 'the sentinel was deleted without guard ack; put back' : 'the sentinel was edited without guard ack; put back';
    await store.append({ kind: 'tamper', path: SENTINEL, detail, digest: found });
  }
  await compareAndSwap(file, found, want, { durable: false }); // a projection of the journal: rebuilt at every start
}

// A directory, FIFO or symlink planted where the sentinel goes would stop the freeze: it is moved
// aside (nothing deleted) so the sentinel can be written. Returns where it went.
function displaceNonFile(file: string): string | undefined {
  let stats;
  try {
    stats = lstatSync(file);
  } catch {
    return undefined;
  }
  if (stats.isFile()) return undefined;
  const aside = `${file}.displaced-${Date.now()}`;
  renameSync(file, aside);
  return aside;
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}
