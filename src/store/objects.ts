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
 */
import { randomBytes } from 'node:crypto';
import { accessSync, linkSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { digestOf, type Digest } from '../core/types.js';
import { errnoOf, GuardError } from '../errors.js';
import { fsyncDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, removeQuietly, writeDurably } from './atomic-write.js';

const MAX_CHAIN = 32;

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
    const file = this.pathOf(digest);
    if (await this.has(digest)) return digest;
    const encoded = await this.#encode(bytes, digest, base);
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
    return digest;
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
  async get(digest: Digest): Promise<Uint8Array> {
    const { header, body } = await this.#readObject(digest);
    let bytes: Uint8Array;
    if (header.enc === 'full') bytes = body;
    else {
      const base = await this.get(header.base);
      bytes = Buffer.concat([base.subarray(0, header.prefix), body, base.subarray(base.length - header.suffix)]);
    }
    if (bytes.length !== header.size || digestOf(bytes) !== digest) {
      throw new GuardError('STATE_IO', `snapshot ${digest.slice(0, 12)} is damaged (its bytes no longer match its name): ${this.pathOf(digest)}`);
    }
    return bytes;
  }

  async #encode(bytes: Uint8Array, digest: Digest, base?: { digest: Digest; bytes: Uint8Array }): Promise<Buffer> {
    if (base !== undefined && base.digest !== digest && bytes.length > 4096) {
      const chain = (await this.#chainOf(base.digest)) + 1;
      const prefix = commonPrefix(base.bytes, bytes);
      const suffix = commonSuffix(base.bytes, bytes, prefix);
      const middle = bytes.subarray(prefix, bytes.length - suffix);
      if (chain <= MAX_CHAIN && middle.length * 4 < bytes.length) {
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
  while (i < limit && a[i] === b[i]) i++;
  return i;
}

function commonSuffix(a: Uint8Array, b: Uint8Array, prefix: number): number {
  const limit = Math.min(a.length, b.length) - prefix;
  let i = 0;
  while (i < limit && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return i;
}
