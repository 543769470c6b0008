/**
 * The projection cache (DESIGN.md §4 "derived caches"): the replayed state of a mission's journal
 * up to some entry, kept beside the journal as projection.json, so `guard status` on a long
 * journal reads the cache and the entries after it instead of verifying and replaying everything.
 *
 * Theory of operation:
 * - The cache names the journal cursor it was built at (byte offset, seq, hash of the last line,
 *   where that line starts) and a fingerprint of the replay code that built it.
 * - It is used only when the fingerprint matches and the journal still holds, at that offset, a
 *   complete line whose hash is the cached one. Entries after it are read and chain-verified from
 *   that hash, exactly as a full read would, and folded in.
 * - Anything else (no cache, an unreadable one, a journal cut back or rewritten by
 *   `guard repair --journal`, a guard with different replay code) replays the whole journal and
 *   rewrites the cache. The cache is never the truth: deleting it costs one full replay.
 * - The file is two JSON lines: everything but the feature histories, then the feature
 *   histories, which are most of its size and which `guard status` does not show. A caller that
 *   does not ask for features parses only the first line, unless the tail after the cache is long
 *   enough that the cache is due to be rewritten (which needs the whole state).
 * - What it trades away: a line changed in the middle of the cached prefix is not noticed by the
 *   commands that use the cache; `guard verify` and every guardian start verify the whole chain.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { applyEntries, emptyState, type MissionState } from '../core/replay.js';
import { writeFileAtomic } from './atomic-write.js';
import { foldJournal, hashLine, START, type JournalCursor } from './journal.js';

/** Progress of a long replay: bytes done of the total. */
export type Progress = (done: number, total: number) => void;

/** Journals shorter than this are replayed in full: the cache would not pay for its write. */
export const PROJECTION_MIN_ENTRIES = 10_000;
/** Rewrite the cache once this many journal bytes (some 10,000 entries) follow it. */
const REWRITE_AFTER_BYTES = 3 * 1024 * 1024;

interface ProjectionHead {
  v: 2;
  fingerprint: string;
  cursor: JournalCursor & { lastLineStart: number };
  /** The MissionState fields but `features`; Map fields as arrays of [key, value]. */
  state: Record<string, unknown>;
  maps: string[];
}

/** The replayed state without the feature histories (what `guard status` shows). */
export type StatusState = Omit<MissionState, 'features'>;

/** A replayed journal: the state, where verification ended, and any torn tail. */
export interface Projection<State extends StatusState = MissionState> {
  state: State;
  cursor: JournalCursor;
  torn: Buffer | null;
  /** Whether a valid cache was used, and how many entries were read after it. */
  cached: boolean;
  tail: number;
}

// Replay `journalFile` using (and maintaining) the cache at `projectionFile`; without
// `{ features: false }` the state includes every feature's history.
// `onRebuild` hears the progress of a replay that rebuilds the cache (none, stale or unusable):
// bytes of journal verified and folded so far, and the journal's size. Only src/cli prints it.
export async function replayWithProjection(journalFile: string, projectionFile: string): Promise<Projection>;
export async function replayWithProjection(journalFile: string, projectionFile: string, options: { features: false; onRebuild?: Progress }): Promise<Projection<StatusState>>;
export async function replayWithProjection(journalFile: string, projectionFile: string, options: { features: boolean; onRebuild?: Progress } = { features: true }): Promise<Projection<StatusState>> {
  const tailBytes = (cursor: JournalCursor) => journalSize(journalFile) - cursor.end;
  const cache = await loadCache(journalFile, projectionFile, (cursor) => options.features || tailBytes(cursor) >= REWRITE_AFTER_BYTES);
  const state = cache?.state ?? emptyState();
  const from: JournalCursor = cache?.cursor ?? START;
  let tail = 0;
  let lastLineStart = cache?.cursor.lastLineStart ?? 0;
  const read = await foldJournal(
    journalFile,
    from,
    (entries) => {
      tail += entries.length;
      applyEntries(state, entries);
    },
    cache === undefined ? options.onRebuild : undefined,
  );
  if (tail > 0) lastLineStart = await lastLineStartBefore(journalFile, read.end);
  const cursor = { end: read.end, lastHash: read.lastHash, lastSeq: read.lastSeq };
  const complete = cache === undefined || cache.features;
  if (complete && read.lastSeq >= PROJECTION_MIN_ENTRIES && (cache === undefined || read.end - from.end >= REWRITE_AFTER_BYTES)) {
    await saveCache(projectionFile, state, { ...cursor, lastLineStart }).catch(() => undefined); // a cache we cannot write costs only time
  }
  const result = { cursor, torn: read.torn, cached: cache !== undefined, tail };
  if (options.features) return { ...result, state };
  const { features: _partial, ...withoutFeatures } = state; // only the tail's features, when not loaded
  return { ...result, state: withoutFeatures };
}

function journalSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

let fingerprint: string | undefined;

// The replay code that folds entries into state: a cache built by other code is not used.
function replayFingerprint(): string {
  fingerprint ??= createHash('sha256')
    .update(readFileSync(new URL('../core/replay.js', import.meta.url)))
    .update(readFileSync(new URL(import.meta.url)))
    .digest('hex');
  return fingerprint;
}

// The cached state and cursor, or undefined when there is no usable cache. The feature
// histories are parsed only when `wantFeatures(cursor)` says so (`features` tells which).
async function loadCache(
  journalFile: string,
  projectionFile: string,
  wantFeatures: (cursor: JournalCursor) => boolean,
): Promise<{ state: MissionState; cursor: ProjectionHead['cursor']; features: boolean } | undefined> {
  try {
    const bytes = readFileSync(projectionFile); // sync: one read, not a stream of chunks
    const newline = bytes.indexOf(0x0a);
    if (newline === -1) return undefined;
    const head = JSON.parse(bytes.toString('utf8', 0, newline)) as ProjectionHead;
    if (head?.v !== 2 || head.fingerprint !== replayFingerprint() || !Array.isArray(head.maps) || !(await stillHolds(journalFile, head.cursor))) return undefined;
    const { end, lastHash, lastSeq, lastLineStart } = head.cursor;
    const cursor = { end, lastHash, lastSeq, lastLineStart };
    const features = wantFeatures(cursor);
    const fields = { ...head.state, features: features ? JSON.parse(bytes.toString('utf8', newline + 1)) : [] } as Record<string, unknown>;
    const state: Record<string, unknown> = {};
    for (const key of Object.keys(emptyState())) state[key] = key === 'features' || head.maps.includes(key) ? new Map(fields[key] as Array<[unknown, unknown]>) : fields[key]; // in replay's key order
    return { state: state as unknown as MissionState, cursor, features };
  } catch {
    return undefined; // no cache, or one we cannot read: replay in full
  }
}

// Does the journal still end the cached prefix with the cached line?
async function stillHolds(journalFile: string, cursor: ProjectionHead['cursor']): Promise<boolean> {
  const length = cursor.end - cursor.lastLineStart;
  if (!Number.isInteger(length) || length < 2 || cursor.lastLineStart < 0) return false;
  try {
    const handle = await open(journalFile, 'r');
    try {
      const line = Buffer.alloc(length);
      const { bytesRead } = await handle.read(line, 0, length, cursor.lastLineStart);
      if (bytesRead !== length || line[length - 1] !== 0x0a) return false;
      if (cursor.lastLineStart > 0) {
        const before = Buffer.alloc(1);
        await handle.read(before, 0, 1, cursor.lastLineStart - 1);
        if (before[0] !== 0x0a) return false;
      }
      return hashLine(line.subarray(0, length - 1)) === cursor.lastHash;
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

// Where the line that ends at `end` starts (the cache re-checks that line).
async function lastLineStartBefore(journalFile: string, end: number): Promise<number> {
  const handle = await open(journalFile, 'r');
  try {
    for (let window = 4096; ; window *= 4) {
      const start = Math.max(0, end - 1 - window);
      const bytes = Buffer.alloc(end - 1 - start);
      await handle.read(bytes, 0, bytes.length, start);
      const newline = bytes.lastIndexOf(0x0a);
      if (newline !== -1) return start + newline + 1;
      if (start === 0) return 0;
    }
  } finally {
    await handle.close();
  }
}

async function saveCache(projectionFile: string, state: MissionState, cursor: ProjectionHead['cursor']): Promise<void> {
  const fields: Record<string, unknown> = {};
  const maps: string[] = [];
  for (const [key, value] of Object.entries(state)) {
    if (key === 'features') continue;
    if (value instanceof Map) {
      maps.push(key);
      fields[key] = [...value];
    } else fields[key] = value;
  }
  const features = [...state.features];
  // Only a state that survives JSON exactly is cached (a future field holding a Set, a nested Map
  // or an undefined would come back different): such a state is simply replayed every time.
  if (!isPlainJson(fields) || !isPlainJson(features)) return;
  const head: ProjectionHead = { v: 2, fingerprint: replayFingerprint(), cursor, state: fields, maps };
  await writeFileAtomic(projectionFile, Buffer.from(`${JSON.stringify(head)}\n${JSON.stringify(features)}`), { durable: false, mode: 0o600 });
}

function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) if (!isPlainJson((value as Record<string, unknown>)[key])) return false;
  return true;
}
