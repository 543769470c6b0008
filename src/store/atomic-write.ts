// Atomic replacement of a file (STYLE.md "Durability"): temp sibling, write, fsync, rename,
// fsync the directory. A reader sees the old bytes or the new bytes, never a mix.
//
// These use synchronous system calls, except for the fsync of a file's data. Each is
// microseconds, while each `fs/promises` call is a round trip through libuv's thread pool that
// costs more than the call itself, and a restore or `guard write` is a dozen of them: the
// reaction to a bad write is on the clock (DESIGN.md §11). The data fsync is the one slow call,
// so it goes to the thread pool, where a `guard write`'s temp file and snapshot sync at once.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';
import { errnoOf } from '../errors.js';
import { assertContained, openContained } from './contained.js';

const RENAME_RETRIES = 5;
const fsyncAsync = promisify(fsync);

// The guard's own temp siblings: droid's tool temp shape (`.<basename>.<12 hex>.tmp`), which
// watchers already ignore, with `guard-<pid>-` before the hex, so that cleanup after a crash can
// tell the guard's own from an agent's in-flight temp, and whether the process writing it lives.
export function tempSiblingOf(file: string): string {
  return join(dirname(file), `.${basename(file)}.guard-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

// True for droid's and the guard's temp siblings: never artifacts, never judged.
export function isTempSibling(name: string): boolean {
  return /^\.[^/]+\.(?:guard-\d+-)?[0-9a-f]{12}\.tmp$/.test(basename(name));
}

// The pid that made one of the guard's own temp siblings; undefined for any other name.
export function guardTempOwner(name: string): number | undefined {
  const match = /^\.[^/]+\.guard-(\d+)-[0-9a-f]{12}\.tmp$/.exec(basename(name));
  return match === null ? undefined : Number(match[1]);
}

export interface AtomicWriteOptions {
  /** Runs after the temp file is written, just before the rename; false abandons the write. */
  beforeRename?: () => Promise<boolean>;
  /**
   * false for derived files (the sentinel, caches) whose source of truth is already durable:
   * readers still see old or new bytes, never a mix, but nothing is fsynced. Default true.
   */
  durable?: boolean;
  /** The new file's mode: 0644 for mission files (the default), 0600 for the guard's own state. */
  mode?: number;
  /**
   * `bytes` already in a temp sibling (stageFile with the same durability and mode), used by the
   * first attempt: the caller wrote and synced it while it did something else. Undefined: stage now.
   */
  staged?: Promise<StagedFile | undefined>;
}

// Write `bytes` to `file` atomically; false when `beforeRename` abandoned the write.
export async function writeFileAtomic(file: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): Promise<boolean> {
  const { beforeRename, durable = true, mode = MISSION_FILE_MODE } = options;
  for (let attempt = 1; ; attempt++) {
    const staged = (attempt === 1 ? await options.staged : undefined) ?? (await stageFile(file, bytes, durable, mode));
    try {
      if (beforeRename !== undefined && !(await beforeRename())) {
        staged.abandon();
        return false;
      }
      await staged.commit();
      return true;
    } catch (error) {
      staged.abandon();
      const code = errnoOf(error);
      if ((code === 'EPERM' || code === 'EBUSY') && attempt < RENAME_RETRIES) continue;
      throw error;
    }
  }
}

/** New bytes in a temp sibling, waiting to replace their file. */
export interface StagedFile {
  /** Rename into place (and fsync the directory when durable). */
  commit(): Promise<void>;
  /** Remove the temp file instead. */
  abandon(): void;
}

// Write `bytes` to a temp sibling of `file` (fsynced when `durable`) for a rename later. The temp
// file is created exclusively and never through a symlink; the rename checks the way again
// (contained.ts), so neither lands in a symlink's target.
export async function stageFile(file: string, bytes: Uint8Array, durable = true, mode = MISSION_FILE_MODE): Promise<StagedFile> {
  const temp = tempSiblingOf(file);
  try {
    await writeDurably(temp, bytes, durable, mode);
  } catch (error) {
    removeQuietly(temp);
    throw error;
  }
  return {
    async commit() {
      assertContained(file, true); // the file itself may be a symlink: the rename replaces the link, not its target
      renameSync(temp, file);
      if (durable) await fsyncDir(dirname(file));
    },
    abandon: () => removeQuietly(temp),
  };
}

/** Mission files the guard writes are readable like the ones the orchestrator writes. */
export const MISSION_FILE_MODE = 0o644;
/** The guard's own state: only its owner reads it (it holds copies of mission files). */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

// Create `file` (it must not exist) with `bytes`, fsynced when `sync`, never through a symlink.
export async function writeDurably(file: string, bytes: Uint8Array, sync = true, mode = MISSION_FILE_MODE): Promise<void> {
  const fd = openContained(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
    if (sync) await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

// Make a rename or link in `dir` durable. Some filesystems refuse to fsync directories; that is fine.
export async function fsyncDir(dir: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (error) {
    const code = errnoOf(error);
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// Remove a temp file we gave up on; it may already be gone.
export function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // gone already, or never created
  }
}
