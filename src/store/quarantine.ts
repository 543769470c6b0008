/**
 * How much of a rejected version the guard keeps (issue "hostile missions" item 5): a 600 MB
 * garbage write must not add 600 MB to the guard home, and a mission that keeps writing garbage
 * must not fill the disk. A rejected version within its artifact's size limit (and within
 * QUARANTINE_WHOLE_MAX) is kept whole, so `guard show` and `guard restore ARTIFACT@rejected` work
 * on it. A larger one keeps its sha256 (journaled) and a prefix of QUARANTINE_PREFIX bytes. Once a
 * mission's quarantine holds QUARANTINE_TOTAL_MAX, later rejected versions keep their sha256 only.
 * Each cut is journaled as a note beside the rejection, naming what was kept.
 */
import { digestOf, type Digest } from '../core/types.js';

export const QUARANTINE_WHOLE_MAX = 16 * 1024 * 1024;
export const QUARANTINE_PREFIX = 1024 * 1024;
export const QUARANTINE_TOTAL_MAX = 256 * 1024 * 1024;

/** What to store of a rejected version, and why not all of it. */
export interface QuarantinePlan {
  keep: Uint8Array | null;
  /** Set when not everything is kept: 'EFBIG' (a prefix kept) or 'EDQUOT' (nothing kept). */
  cut?: { code: 'EFBIG' | 'EDQUOT'; why: string };
}

// `bytes` (`digest`) rejected for an artifact limited to `maxBytes`; `used`: bytes this mission's quarantine holds.
export function planQuarantine(bytes: Uint8Array, digest: Digest, maxBytes: number, used: number, fullSize = bytes.length): QuarantinePlan {
  const limit = Math.min(maxBytes, QUARANTINE_WHOLE_MAX);
  const keep = bytes.length <= limit ? bytes : bytes.subarray(0, QUARANTINE_PREFIX);
  if (used + keep.length > QUARANTINE_TOTAL_MAX) {
    return { keep: null, cut: { code: 'EDQUOT', why: `the quarantine of this mission already holds ${mib(used)} (its limit is ${mib(QUARANTINE_TOTAL_MAX)}): the rejected version (${mib(fullSize)}) is not kept, only its sha256 ${digest}` } };
  }
  if (keep.length === bytes.length) return { keep };
  return { keep, cut: { code: 'EFBIG', why: `the rejected version is ${mib(fullSize)}, over ${mib(limit)}, the most kept of one version: only its first ${mib(QUARANTINE_PREFIX)} is kept (guard show ${digestOf(keep).slice(0, 12)}); the sha256 of what was read is ${digest}` } };
}

// The bytes a rejection of `size` bytes adds to the quarantine (as planQuarantine decides).
export function quarantinedBytes(size: number, maxBytes: number): number {
  return size <= Math.min(maxBytes, QUARANTINE_WHOLE_MAX) ? size : QUARANTINE_PREFIX;
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB` : `${bytes} bytes`;
}
