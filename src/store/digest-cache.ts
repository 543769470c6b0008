/**
 * Digests of mission files keyed by their stat, in the manner of git's index: `guard status` on a
 * long mission (thousands of handoffs) re-reads and re-hashes only the files whose stat changed.
 * A derived cache beside the journal (DESIGN.md §4); deleting it costs one full read.
 *
 * Theory of operation: every write to a file changes its ctime (which nobody can set) and usually
 * its size or mtime; a rename-replace changes its inode. So a file whose size, mtime, ctime and
 * inode all match an entry holds the bytes the entry hashed, with one exception: a write within
 * the filesystem's timestamp granularity of the hash ("racy" in git's words). Entries are only
 * kept for files whose ctime is well before the moment they were hashed; racy files are hashed
 * again every time until they age.
 */
import { readFileSync, lstatSync, type Stats } from 'node:fs';
import { digestOf, type Digest } from '../core/types.js';
import { errnoOf } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { isEscape } from './contained.js';
import { readBytesOrNull } from './file-bytes.js';

/** A file changed this recently (ms, by ctime) may change again without a visible stat change. */
export const RACY_MS = 2000;

interface Entry {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** Current digests of files (null: absent), reusing those whose stat did not change. */
export class DigestCache {
  readonly #file: string;
  readonly #entries: Map<string, Entry & { digest: Digest }>;
  readonly #now: () => number;
  readonly #seen = new Map<string, Entry & { digest: Digest }>();
  #changed = false;

  private constructor(file: string, entries: Map<string, Entry & { digest: Digest }>, now: () => number) {
    this.#file = file;
    this.#entries = entries;
    this.#now = now;
  }

  // Load the cache at `file`; a missing or unreadable cache is an empty one.
  static load(file: string, now: () => number = Date.now): DigestCache {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { v: 1; entries: Array<[string, Entry & { digest: Digest }]> };
      if (saved?.v === 1 && Array.isArray(saved.entries)) return new DigestCache(file, new Map(saved.entries), now);
    } catch {
      // no cache yet, or a damaged one: hash everything once
    }
    return new DigestCache(file, new Map(), now);
  }

  // The digest of the file at `absolute` (cached under `key`), or null when it is not a file.
  digestOf(key: string, absolute: string): Digest | null {
    let stats: Stats;
    try {
      stats = lstatSync(absolute); // a symlink is no version of an artifact (never followed)
    } catch (error) {
      if (isAbsent(error)) return null;
      throw error;
    }
    if (!stats.isFile()) return null;
    const known = this.#entries.get(key);
    if (known !== undefined && known.size === stats.size && known.mtimeMs === stats.mtimeMs && known.ctimeMs === stats.ctimeMs && known.ino === stats.ino) {
      this.#seen.set(key, known);
      return known.digest;
    }
    let bytes: Buffer | null;
    try {
      bytes = readBytesOrNull(absolute);
    } catch (error) {
      if (isEscape(error)) return null; // a symlinked directory on the way: nothing there is the mission's
      throw error;
    }
    if (bytes === null) return null;
    const digest = digestOf(bytes);
    // The stat taken before the read names these bytes only if nothing wrote in between.
    if (bytes.length === stats.size && stats.ctimeMs < this.#now() - RACY_MS) {
      this.#seen.set(key, { size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, ino: stats.ino, digest });
      this.#changed = true;
    }
    return digest;
  }

  // Keep the entries of the files looked at this time; a cache that cannot be written costs time only.
  async save(): Promise<void> {
    if (!this.#changed && this.#seen.size === this.#entries.size) return;
    const text = JSON.stringify({ v: 1, entries: [...this.#seen] });
    await writeFileAtomic(this.#file, Buffer.from(text), { durable: false, mode: 0o600 }).catch(() => undefined);
  }
}

function isAbsent(error: unknown): boolean {
  const code = errnoOf(error);
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR';
}
