// The file side of editing a user's settings: read, replace atomically in place (through a
// symlink, keeping the file's mode, since settings may hold secrets), and the two companions that
// let `--remove` undo an install: `<file>.guard-backup` (the original bytes) and
// `<file>.guard-created` (the guard created the file).
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, realpath, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoOf } from '../errors.js';
import { fsyncDir, tempSiblingOf } from '../store/atomic-write.js';

// The original bytes from before the first install.
export const backupPathOf = (file: string): string => `${file}.guard-backup`;
// Present while the settings file exists only because guard init created it.
export const createdMarkerOf = (file: string): string => `${file}.guard-created`;

// The file's bytes, or undefined when it does not exist.
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}

// True when anything (file, folder, link target) is at `file`.
export async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

// Replace `file` with `text`: temp sibling of the real file, fsync, keep the mode, rename.
export async function replaceSettings(file: string, text: string | Buffer): Promise<void> {
  const real = await realpath(file).catch(() => file);
  await mkdir(dirname(real), { recursive: true });
  const mode = (await stat(real).catch(() => undefined))?.mode;
  const temp = tempSiblingOf(real);
  try {
    const handle = await open(temp, 'wx', mode === undefined ? 0o644 : mode & 0o777);
    try {
      await handle.writeFile(text);
      if (mode !== undefined) await handle.chmod(mode & 0o7777);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, real);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncDir(dirname(real));
}

// Keep the original once: an existing backup is older and therefore the one to keep.
export async function backupOnce(file: string): Promise<string | undefined> {
  const backup = backupPathOf(file);
  try {
    await copyFile(file, backup, constants.COPYFILE_EXCL);
    return backup;
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return undefined;
    throw error;
  }
}

const CREATED_DIR_LINE = 'and created its folder';

// Note that the guard created `file` (and its folder), so `--remove` may delete them again.
export async function markCreated(file: string): Promise<void> {
  const createdDir = !(await exists(dirname(file)));
  await mkdir(dirname(file), { recursive: true });
  const text = `created by guard init${createdDir ? ` ${CREATED_DIR_LINE}` : ''}; guard init --remove deletes it again if nothing else was added to it\n`;
  await writeFile(createdMarkerOf(file), text);
}

// Delete a file the guard created, its marker, and its folder when the guard created that too and it is empty.
export async function deleteCreated(file: string): Promise<void> {
  const marker = (await readIfExists(createdMarkerOf(file)))?.toString('utf8') ?? '';
  await removeIfExists(file);
  await removeIfExists(createdMarkerOf(file));
  if (marker.includes(CREATED_DIR_LINE)) await rmdir(dirname(file)).catch(() => undefined);
}

// unlink, where "already gone" is success.
export async function removeIfExists(file: string): Promise<void> {
  await unlink(file).catch((error: unknown) => {
    if (errnoOf(error) !== 'ENOENT') throw error;
  });
}
