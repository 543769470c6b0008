// Atomic replacement of a file (STYLE.md "Durability"): temp sibling, write, fsync, rename,
// fsync the directory. A reader sees the old bytes or the new bytes, never a mix.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoOf } from '../errors.js';

const RENAME_RETRIES = 5;

// The temp name droid's own tools use (`.<basename>.<12 hex>.tmp`), which watchers already ignore.
export function tempSiblingOf(file: string): string {
  return join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
}

// True for droid's and the guard's temp siblings: never artifacts, never judged.
export function isTempSibling(name: string): boolean {
  return /^\.[^/]+\.[0-9a-f]{12}\.tmp$/.test(basename(name));
}

/**
 * Write `bytes` to `file` atomically. `beforeRename` runs after the temp file is durable and
 * just before the rename; returning false abandons the write (compare-and-swap restores).
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array, beforeRename?: () => Promise<boolean>): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const temp = tempSiblingOf(file);
    await writeDurably(temp, bytes);
    try {
      if (beforeRename !== undefined && !(await beforeRename())) {
        await unlink(temp).catch(() => undefined);
        return false;
      }
      await rename(temp, file);
      await fsyncDir(dirname(file));
      return true;
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      const code = errnoOf(error);
      if ((code === 'EPERM' || code === 'EBUSY') && attempt < RENAME_RETRIES) continue;
      throw error;
    }
  }
}

// Create or truncate `file` with `bytes` and fsync it.
export async function writeDurably(file: string, bytes: Uint8Array, flags = 'w'): Promise<void> {
  const handle = await open(file, flags, 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// Make a rename or link in `dir` durable. Some filesystems refuse to fsync directories; that is fine.
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = errnoOf(error);
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}
