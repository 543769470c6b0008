// The good part of a rejected version of an append-only log (the guard's own-writes issue, item
// 1): the valid complete lines that extend last good are kept, only the bad lines are removed.
// A rejected log is never replaced by an older version while it holds lines nobody judged bad.
import { judgeVersion, type ArtifactSpec, type LastGood } from './judge.js';

const EMPTY_LOG: LastGood = { bytes: new Uint8Array(0), doc: [] };

/** What a rejected log version holds beyond last good. */
export interface Salvage {
  /** Last good plus the valid complete lines up to the first bad or torn one: a prefix of the file. */
  prefix: Uint8Array;
  /** Last good plus every valid complete new line: what the file becomes when the bad ones go. */
  kept: Uint8Array;
}

// The salvageable lines of `bytes`, or undefined when the artifact is not an append-only log
// or `bytes` does not keep last good as its prefix (then last good itself is the way back).
export function salvageLog(spec: ArtifactSpec, previous: LastGood | undefined, bytes: Uint8Array | null): Salvage | undefined {
  if (bytes === null || previous === undefined || spec.format !== 'jsonl' || !spec.rules.some((rule) => rule.kind === 'append-only')) return undefined;
  const old = previous.bytes;
  if (old.length > 0 && old[old.length - 1] !== 0x0a) return undefined;
  if (bytes.length < old.length || !Buffer.from(bytes.buffer, bytes.byteOffset, old.length).equals(old)) return undefined;
  const kept: Uint8Array[] = [old];
  let prefixLength = old.length;
  let contiguous = true;
  for (let start = old.length; start < bytes.length; ) {
    const end = bytes.indexOf(0x0a, start);
    if (end === -1) break; // a torn last line: never kept
    const line = bytes.subarray(start, end + 1);
    const good = judgeVersion(spec, EMPTY_LOG, line).kind === 'accepted';
    if (good) kept.push(line);
    contiguous &&= good;
    if (contiguous) prefixLength = end + 1;
    start = end + 1;
  }
  return { prefix: bytes.subarray(0, prefixLength), kept: Buffer.concat(kept) };
}
