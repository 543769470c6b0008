/**
 * Content-addressed snapshot store in git's manner (DESIGN.md §5): an object is named by the
 * sha256 of the exact bytes, written to a temp file and linked into place (never overwritten),
 * and re-hashed on every read. Quarantined bytes live here too.
 *
 * Theory of operation: an object file is one JSON header line and a gzip body. A "full" object
 * holds all bytes; a "delta" object names a base object and holds only the bytes between the
 * common prefix and common suffix of the two versions. Successive versions of a big
 * features.json differ in one feature, so a delta is a few hundred bytes. Chains are capped at
 * MAX_CHAIN so a read never walks far.
 *
 * An append to a log (`putAppended`, issue 9 item 10) is a delta with the whole base as its
 * prefix and no suffix: stored from the appended bytes alone, without the base's bytes in hand.
 * Such deltas may chain up to MAX_APPEND_CHAIN deep (a read concatenates a run of them once, so
 * a deep chain costs one small file read per level, not a copy of the log per level); past that
 * the version is stored in full, compressed off the event loop.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, linkSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { digestOf, type Digest } from '../core/types.js';
import { errnoOf, GuardError } from '../errors.js';
import { fsyncDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, removeQuietly, writeDurably } from './atomic-write.js';

const MAX_CHAIN = 32;
/** How deep a run of append deltas may go before a version is stored in full. */
export const MAX_APPEND_CHAIN = 1024;

const gzipAsync = promisify(gzip);

type Header =
  | { v: 1; enc: 'full'; size: number }
  | { v: 1; enc: 'delta'; size: number; base: Digest; prefix: number; suffix: number; chain: number };

/** A store of immutable byte strings under one directory. */
export class ObjectStore {
  readonly #dir: string;
  readonly #chains = new Map<Digest, number>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  pathOf(digest: Digest): string {
    return join(this.#dir, digest.slice(0, 2), digest.slice(2));
  }

  // Store bytes (as a delta against `base` when that is much smaller) and return their digest.
  async put(bytes: Uint8Array, base?: { digest: Digest; bytes: Uint8Array }): Promise<Digest> {
    const digest = digestOf(bytes);
    if (await this.has(digest)) return digest;
    await this.#write(digest, await this.#encode(bytes, digest, base));
    return digest;
  }

  /**
   * Store the version that is `base` followed by `appended`, named `digest` (the caller hashed
   * it incrementally), from the appended bytes alone. False when the base is not stored (the
   * caller stores the version in full instead). The version's bytes are checked against its
   * name when it is read, like every object.
   */
  async putAppended(base: { digest: Digest; size: number }, appended: Uint8Array, digest: Digest): Promise<boolean> {
    if (await this.has(digest)) return true;
    if (!(await this.has(base.digest))) return false;
    const size = base.size + appended.length;
    const chain = (await this.#chainOf(base.digest)) + 1;
    if (chain <= MAX_APPEND_CHAIN) {
      this.#chains.set(digest, chain);
      await this.#write(digest, frame({ v: 1, enc: 'delta', size, base: base.digest, prefix: base.size, suffix: 0, chain }, appended));
      return true;
    }
    const bytes = Buffer.concat([await this.get(base.digest), appended]);
    if (digestOf(bytes) !== digest) throw new GuardError('STATE_IO', `an appended version does not hash to ${digest.slice(0, 12)}: its base changed under it`);
    this.#chains.set(digest, 0);
    const header = Buffer.from(`${JSON.stringify({ v: 1, enc: 'full', size } satisfies Header)}\n`);
    await this.#write(digest, Buffer.concat([header, await gzipAsync(bytes, { level: 6 })]));
    return true;
  }

  async #write(digest: Digest, encoded: Buffer): Promise<void> {
    const file = this.pathOf(digest);
    // Sync (see atomic-write.ts). Every directory made here must itself survive a crash: each
    // new one's entry in its parent is fsynced.
    const sub = join(this.#dir, digest.slice(0, 2));
    const made = mkdirSync(sub, { recursive: true, mode: PRIVATE_DIR_MODE });
    for (let dir = sub; made !== undefined; dir = dirname(dir)) {
      await fsyncDir(dirname(dir));
      if (dir === made || dirname(dir) === dir) break;
    }
    const temp = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`; // the pid: see objectTempOwner
    await writeDurably(temp, encoded, true, PRIVATE_FILE_MODE);
    try {
      linkSync(temp, file);
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
    } finally {
      removeQuietly(temp);
    }
    await fsyncDir(sub);
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      accessSync(this.pathOf(digest));
      return true;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return false;
      throw error;
    }
  }

  // The exact bytes of an object, re-hashed: a damaged object is an error, never wrong data.
  // The chain is read down to its full object, then built up once: a run of append deltas is
  // one concatenation, however deep.
  async get(digest: Digest): Promise<Uint8Array> {
    const levels: Array<{ header: Header; body: Buffer }> = [];
    for (let next = digest; ; ) {
      const object = await this.#readObject(next);
      levels.push(object);
      if (object.header.enc === 'full') break;
      if (levels.length > MAX_APPEND_CHAIN + MAX_CHAIN + 1) throw this.#damaged(digest, 'its chain of deltas does not end');
      next = object.header.base;
    }
    let parts: Uint8Array[] = [];
    let length = 0;
    for (let i = levels.length - 1; i >= 0; i--) {
      const { header, body } = levels[i] as { header: Header; body: Buffer };
      if (header.enc === 'full' || (header.suffix === 0 && header.prefix === length)) {
        parts.push(body);
      } else {
        const base = Buffer.concat(parts);
        if (header.prefix + header.suffix > base.length) throw this.#damaged(digest, 'a delta reaches past its base');
        parts = [base.subarray(0, header.prefix), body, base.subarray(base.length - header.suffix)];
      }
      length = header.enc === 'full' ? body.length : header.prefix + body.length + header.suffix;
      if (length !== header.size) throw this.#damaged(digest, 'a level of it has the wrong size');
    }
    const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
    if (digestOf(bytes) !== digest) throw this.#damaged(digest, 'its bytes no longer match its name');
    return bytes;
  }

  #damaged(digest: Digest, why: string): GuardError {
    return new GuardError('STATE_IO', `snapshot ${digest.slice(0, 12)} is damaged (${why}): ${this.pathOf(digest)}`);
  }

  async #encode(bytes: Uint8Array, digest: Digest, base?: { digest: Digest; bytes: Uint8Array }): Promise<Buffer> {
    if (base !== undefined && base.digest !== digest && bytes.length > 4096) {
      const chain = (await this.#chainOf(base.digest)) + 1;
      const prefix = commonPrefix(base.bytes, bytes);
      const suffix = commonSuffix(base.bytes, bytes, prefix);
      const middle = bytes.subarray(prefix, bytes.length - suffix);
      // An append (the whole base, then new bytes) may chain as deep as putAppended's.
      const appended = prefix === base.bytes.length && suffix === 0;
      if (chain <= (appended ? MAX_APPEND_CHAIN : MAX_CHAIN) && middle.length * 4 < bytes.length) {
        this.#chains.set(digest, chain);
        return frame({ v: 1, enc: 'delta', size: bytes.length, base: base.digest, prefix, suffix, chain }, middle);
      }
    }
    this.#chains.set(digest, 0);
    return frame({ v: 1, enc: 'full', size: bytes.length }, bytes);
  }

  async #chainOf(digest: Digest): Promise<number> {
    const known = this.#chains.get(digest);
    if (known !== undefined) return known;
    try {
      const { header } = await this.#readObject(digest, false);
      const chain = header.enc === 'delta' ? header.chain : 0;
      this.#chains.set(digest, chain);
      return chain;
    } catch {
      return MAX_CHAIN; // unknown base: store in full
    }
  }

  async #readObject(digest: Digest, withBody = true): Promise<{ header: Header; body: Buffer }> {
    let raw: Buffer;
    try {
      raw = await readFile(this.pathOf(digest));
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') throw new GuardError('SNAPSHOT_NOT_FOUND', `no snapshot ${digest.slice(0, 12)} in ${this.#dir}`);
      throw new GuardError('STATE_IO', `cannot read snapshot ${digest.slice(0, 12)}: ${(error as Error).message}`);
    }
    const newline = raw.indexOf(0x0a);
    try {
      const header = JSON.parse(raw.subarray(0, newline).toString('utf8')) as Header;
      return { header, body: withBody ? gunzipSync(raw.subarray(newline + 1)) : Buffer.alloc(0) };
    } catch (error) {
      throw new GuardError('STATE_IO', `snapshot ${digest.slice(0, 12)} is damaged: ${(error as Error).message}`);
    }
  }
}

// The pid that made an object's temp file (a crash leaves it: store/orphan-temps.ts), 'unnamed'
// for one from a guard that did not name it, undefined for anything that is not an object temp.
export function objectTempOwner(name: string): number | 'unnamed' | undefined {
  const match = /^[0-9a-f]{62}\.(?:(\d+)-)?[0-9a-f]{12}\.tmp$/.exec(name);
  if (match === null) return undefined;
  return match[1] === undefined ? 'unnamed' : Number(match[1]);
}

function frame(header: Header, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), gzipSync(body, { level: 6 })]);
}

function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  // Whole blocks compared natively first: a log's versions share megabytes of prefix.
  for (const block = 4096; i + block <= limit && Buffer.from(a.buffer, a.byteOffset + i, block).equals(Buffer.from(b.buffer, b.byteOffset + i, block)); i += block);
  while (i < limit && a[i] === b[i]) i++;
  return i;
}

function commonSuffix(a: Uint8Array, b: Uint8Array, prefix: number): number {
  const limit = Math.min(a.length, b.length) - prefix;
  let i = 0;
  while (i < limit && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return i;
}
