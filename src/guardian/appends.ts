/**
 * Judging a fast-growing JSON Lines log by its appended bytes (issue 9 item 10): at thousands of
 * appends a second on a log of megabytes, re-reading and hashing the whole file at each look
 * starved every other artifact of the mission.
 *
 * Theory of operation:
 * - Each full read of an append-only log keeps a running sha256 state of exactly the bytes read,
 *   their inode and size, the number of lines, and the last WINDOW bytes.
 * - At the next look, while the version that read describes is still last good, the file is
 *   opened and, when it is the same inode and grew, only [old size - WINDOW, new size) is read.
 *   The WINDOW bytes must equal the kept ones (and end a line); the new complete lines are judged
 *   alone (the same verdict the whole version gets: every rule of such a log is per line, which
 *   `incremental` checks), the hash state is extended with them, the version is stored as a
 *   delta of last good (src/store/objects.ts `putAppended`), journaled with its evidence facts,
 *   and becomes last good. Cost: the appended bytes, a 4 KiB window and the usual fsyncs.
 * - Anything else takes the full read, which is today's path: another inode, a shrink, an
 *   unchanged size, a mismatched window, a torn last line (it waits as before), a bad line (the
 *   whole version is judged, so salvage and restore work as before), a warning, a pending
 *   `guard write` of the log, or a basis that moved.
 *
 * Why this evidence is enough. Same inode + a larger size says nothing about the old bytes: a
 * writer may rewrite them in place and append. The window catches the usual in-place rewrite
 * (the last line rewritten, a truncate and rewrite), but not a change further back. So the old
 * bytes are re-read in full (an audit: the full read, judged as today) at every look that finds
 * no growth (the guardian's trailing check after every burst is one) and, during a burst that
 * never pauses, after every AUDIT_MS of fast looks and whenever the log has doubled since its last full
 * read. A prefix rewritten in place is therefore judged within AUDIT_MS during a burst, or right
 * after it, and rejected by `append-only` as today, and the restore puts back last good. Nothing
 * unsafe happens meanwhile: the fast path never writes to the mission; what it stores and
 * journals is last good followed by the very lines it read and judged, so any version the guard
 * may later put back holds only bytes it judged good. Sampling random blocks of the prefix was
 * the alternative; it bounds detection only in probability and costs reads at every look, where
 * the audit bounds it in time at a cost of one full read a second during a burst (about 1 % of
 * a core for a 10 MB log here).
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, fstatSync, readSync } from 'node:fs';
import { judgeVersion, type ArtifactSpec } from '../core/judge.js';
import type { JsonLine } from '../core/parse.js';
import { digestOf, type Digest } from '../core/types.js';
import { orchestratorOf } from '../profiles/profile.js';
import { openContained } from '../store/contained.js';
import { ownedCopy, readCapOf, readFileVersion, type FileIdentity, type FileVersion } from '../store/file-bytes.js';
import type { GoodVersion, MissionStore } from '../mission/mission-store.js';

/** The old bytes re-read at every fast look, right before the appended ones. */
export const WINDOW = 4096;
/** During a burst that never pauses, the whole log is re-read at least this often. */
export const AUDIT_MS = 1000;

/** What a full read of a log left to extend. */
interface Tail {
  ino: number;
  size: number;
  digest: Digest;
  /** sha256 state of exactly the `size` bytes read. */
  hash: Hash;
  /** The last min(size, WINDOW) bytes. */
  window: Buffer;
  /** Newlines in the `size` bytes: the line number of the next line, less one. */
  lines: number;
  /**
   * performance.now() of the first fast look since the full read (undefined before it): the
   * audit period counts from there, so a slow full path (judging, storing) never eats it up.
   */
  fastSince: number | undefined;
  /** Bytes appended through the fast path since that full read. */
  sinceFull: number;
}

/** One look at an artifact: journaled from its appended bytes, or read in full for the usual path. */
export type Look = { kind: 'appended'; identity: FileIdentity; digest: Digest } | { kind: 'full'; version: FileVersion | null; digest: Digest | null };

// Whether a version of this artifact can be judged by its appended lines alone: an append-only
// JSON Lines log whose every rule looks at one line (or at the old bytes, which stay as they are).
export function incremental(spec: ArtifactSpec): boolean {
  return spec.format === 'jsonl' && spec.role !== 'tracked' && spec.statusItems === undefined && spec.evidence !== true && spec.rules.length > 0 && spec.rules.every((rule) => rule.kind === 'append-only');
}

const EMPTY_LOG = { bytes: new Uint8Array(0), doc: [] };

export class AppendTails {
  readonly #store: MissionStore;
  readonly #tails = new Map<string, Tail>();
  readonly #now: () => number;
  /** Bytes of the file the last look read (tests and the bench: the fast path reads little). */
  lastRead = 0;

  constructor(store: MissionStore, now: () => number = () => performance.now()) {
    this.#store = store;
    this.#now = now;
  }

  // Look at `path` (absolute `file`): journaled from its appended lines when it extends last
  // good, else read in full (with its digest) for the guardian's usual path.
  async look(path: string, spec: ArtifactSpec, file: string): Promise<Look> {
    if (!incremental(spec)) {
      const version = readFileVersion(file, readCapOf(spec)); // an oversized version: only its prefix
      this.lastRead = version?.bytes.length ?? 0;
      return { kind: 'full', version, digest: version === null ? null : digestOf(version.bytes) };
    }
    return (await this.#fast(path, spec, file)) ?? this.#full(path, spec, file);
  }

  #full(path: string, spec: ArtifactSpec, file: string): Look {
    const version = readFileVersion(file, readCapOf(spec));
    this.#tails.delete(path);
    if (version === null) {
      this.lastRead = 0;
      return { kind: 'full', version, digest: null };
    }
    const { bytes } = version;
    this.lastRead = bytes.length;
    const hash = createHash('sha256').update(bytes);
    const digest = hash.copy().digest('hex') as Digest;
    if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) {
      this.#tails.set(path, { ino: version.ino, size: bytes.length, digest, hash, window: ownedCopy(bytes.subarray(Math.max(0, bytes.length - WINDOW))), lines: newlines(bytes), fastSince: undefined, sinceFull: 0 });
    }
    return { kind: 'full', version, digest };
  }

  async #fast(path: string, spec: ArtifactSpec, file: string): Promise<Look | undefined> {
    const tail = this.#tails.get(path);
    if (tail === undefined) return undefined;
    tail.fastSince ??= this.#now();
    if (this.#now() - tail.fastSince >= AUDIT_MS || tail.sinceFull >= Math.max(tail.size, WINDOW)) return undefined;
    const store = this.#store;
    await store.journal.sync(); // another process may have moved last good
    if (store.state.artifacts.get(path)?.lastGood !== tail.digest || store.intents.has(path)) return undefined;
    const read = readFrom(file, tail);
    if (read === undefined) return undefined;
    const { appended, identity } = read;
    this.lastRead = tail.window.length + appended.length;
    const end = appended.lastIndexOf(0x0a);
    if (end !== appended.length - 1) return undefined; // a torn last line: the usual path waits for it
    const basis = store.basisOf(path, spec);
    const verdict = judgeVersion(spec, EMPTY_LOG, appended, store.contextFor(spec));
    if (verdict.kind !== 'accepted' || verdict.warnings !== undefined) return undefined; // judged whole, with its line numbers
    const hash = tail.hash.copy().update(appended);
    const digest = hash.copy().digest('hex') as Digest;
    const size = tail.size + appended.length;
    if (!(await store.objects.putAppended({ digest: tail.digest, size: tail.size }, appended, digest))) return undefined;
    const entry = await store.journal.appendIf(() => store.basisOf(path, spec) === basis, { kind: 'write-accepted', path, digest, size, role: spec.role, by: 'watcher', transitions: [] });
    if (entry === null) return undefined;
    const window = Buffer.concat([tail.window, appended]);
    this.#tails.set(path, { ...tail, size, digest, hash, window: ownedCopy(window.subarray(Math.max(0, window.length - WINDOW))), lines: tail.lines + newlines(appended), sinceFull: tail.sinceFull + appended.length });
    const lines = (verdict.doc as JsonLine[]).map(({ line, value }) => ({ line: line + tail.lines, value }));
    store.extendGood(path, tail.digest, (good) => new AppendedGood(digest, good, ownedCopy(appended), lines));
    const facts = orchestratorOf(store.profile).evidenceFacts(path, [], lines);
    if (facts.length > 0) await store.append({ kind: 'evidence', path, facts });
    return { kind: 'appended', identity: { ...identity, size }, digest };
  }
}

/**
 * A last good version that is an older one plus appended lines, built only when read: the
 * guard's own pause line, a salvage or a restore after a run of appends reads it once, and a run
 * of appends nobody reads costs no copy of the log. Reading walks the run of versions down to a
 * built one and concatenates once.
 */
class AppendedGood implements GoodVersion {
  readonly digest: Digest;
  #base: GoodVersion | undefined;
  readonly #chunk: Buffer;
  readonly #lines: JsonLine[];
  #bytes: Buffer | undefined;
  #doc: unknown;

  constructor(digest: Digest, base: GoodVersion, chunk: Buffer, lines: JsonLine[]) {
    this.digest = digest;
    this.#base = base;
    this.#chunk = chunk;
    this.#lines = lines;
  }

  get bytes(): Buffer {
    this.#build();
    return this.#bytes as Buffer;
  }

  get doc(): unknown {
    this.#build();
    return this.#doc;
  }

  #build(): void {
    if (this.#base === undefined) return;
    const run: AppendedGood[] = [];
    let base: GoodVersion = this;
    while (base instanceof AppendedGood && base.#base !== undefined) {
      run.unshift(base);
      base = base.#base;
    }
    const bytes = [base.bytes];
    const docs: unknown[] = Array.isArray(base.doc) ? [...(base.doc as unknown[])] : [];
    for (const version of run) {
      bytes.push(version.#chunk);
      for (const line of version.#lines) docs.push(line);
    }
    this.#bytes = ownedCopy(bytes);
    this.#doc = Array.isArray(base.doc) ? docs : undefined;
    this.#base = undefined; // built: the run below it can be collected
  }
}

// The bytes appended to the file since `tail`, when it is the same inode, grew, and still holds
// the tail's window right before them; else undefined.
function readFrom(file: string, tail: Tail): { appended: Buffer; identity: FileIdentity } | undefined {
  let fd: number;
  try {
    fd = openContained(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined; // whatever it is, the full read says
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.ino !== tail.ino || stats.size <= tail.size) return undefined;
    const start = tail.size - tail.window.length;
    const buffer = Buffer.allocUnsafe(stats.size - start);
    let length = 0;
    while (length < buffer.length) {
      const got = readSync(fd, buffer, length, buffer.length - length, start + length);
      if (got === 0) return undefined; // cut short meanwhile
      length += got;
    }
    if (!buffer.subarray(0, tail.window.length).equals(tail.window)) return undefined;
    return { appended: buffer.subarray(tail.window.length), identity: { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs } };
  } finally {
    closeSync(fd);
  }
}

function newlines(bytes: Uint8Array): number {
  let count = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) count++;
  return count;
}
