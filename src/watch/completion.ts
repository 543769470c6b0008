/**
 * When is a rejected version final? (DESIGN.md §7, the exact-completion issue.) The guardian asks
 * this of every version that fails its judgement; acting too early turns a writer's transient
 * state into a false incident, and a restore under a live writer loses the writer's bytes.
 *
 * Theory of operation:
 * - A version is decided from facts, not from a timer. Writers leave transient versions on disk:
 *   Node truncates at open and writes later, Python streams chunks, droid's runtime writes then
 *   truncates (DROID.md §2.1). Each of them holds the file open for writing while it does so.
 * - So: while some process holds the file open for writing, wait (re-probing, since a close
 *   raises no watcher event), up to `stuckMs`; past that the writer is stuck and the version is
 *   acted on, saying so.
 * - Nobody holds it: a complete document (JSON that parses; JSON Lines ending with a newline) is
 *   final at once. An incomplete one (empty, cut short, a torn last line) is final once the path
 *   has also been quiet for `debounceMs` (a shell that writes a file in two commands closes it in
 *   between) AND a second probe, `debounceMs` after the first that found nobody, with no event in
 *   between, finds nobody either. One probe is not enough for a version cut short: `open` with
 *   `O_TRUNC` empties the file before it installs the fd in the writer's table, so a writer
 *   preempted inside its `open` (seen under a load of 15-20 on 2 cores: a burst writer's empty
 *   version judged final) holds an empty file that no /proc probe can see yet. A debounce
 *   covers a short preemption only; at a load of 10-17 one still slipped through. Only an EMPTY
 *   version (or a missing file: a delete-and-create preempted between the two) can come from
 *   that window, since any byte written means the fd is installed, so an empty or missing
 *   version is confirmed over `emptyConfirmMs` (1 s), far beyond any scheduling delay, while a
 *   torn non-empty version keeps the short confirmation. Emptying a file is not a finished bad
 *   write: the 1 s costs nothing the latency target measures.
 * - Where open-for-writing cannot be read (not Linux), a version is final once the path has been
 *   quiet for `settleMs`.
 * The guardian then confirms that the bytes are still what is on disk before it acts.
 */
import type { ArtifactSpec } from '../core/judge.js';
import type { Issue } from '../core/types.js';
import type { WriterProbe } from './open-writers.js';

export interface CompletionLimits {
  /** Quiet time an incomplete version needs once nobody holds it open (Linux). */
  debounceMs: number;
  /** Quiet time any rejected version needs where writers cannot be seen (not Linux). */
  settleMs: number;
  /** How long a writer may hold a rejected version open before it counts as stuck. */
  stuckMs: number;
  /** How long an empty or missing version must stay unheld and quiet (Linux; see above). */
  emptyConfirmMs?: number;
}

export const DEFAULT_STUCK_MS = 10_000;
export const DEFAULT_EMPTY_CONFIRM_MS = 1_000;

/** What the guardian knows about a rejected version when it decides. */
export interface VersionFacts {
  complete: boolean;
  /** The version is zero bytes or no file at all: the only kind `open(O_TRUNC)` can hide. */
  empty?: boolean;
  /** Asked only when the answer matters: a probe costs milliseconds. */
  writers: () => WriterProbe;
  /** Since the last watcher event for the path, measured at the read. */
  quietMs: number;
  /** Since this version was first seen rejected. */
  seenMs: number;
  /**
   * Since a probe first found nobody holding this version, with no watcher event for the path
   * since; undefined when no probe has yet (or an event came after it).
   */
  clearMs?: number;
}

export type CompletionDecision =
  | { kind: 'final'; stuck?: { pid: number; heldMs: number } }
  | { kind: 'wait'; recheckMs: number; why: 'writer' | 'debounce' | 'settle' | 'confirm' };

/** A writer that keeps a file open is re-probed quickly at first, then every 50 ms at most. */
const MAX_WRITER_RECHECK_MS = 50;

// Decide whether a rejected version is final, or when to look again.
export function decideCompletion(facts: VersionFacts, limits: CompletionLimits): CompletionDecision {
  const { quietMs, seenMs } = facts;
  // A version cut short that has not been quiet yet waits whoever writes it: no probe needed (a
  // burst of in-place writes shows an empty file at every open).
  if (!facts.complete && quietMs < limits.debounceMs) return { kind: 'wait', recheckMs: limits.debounceMs - quietMs, why: 'debounce' };
  const writers = facts.writers();
  if (writers.kind === 'unknown') {
    return quietMs >= limits.settleMs ? { kind: 'final' } : { kind: 'wait', recheckMs: limits.settleMs - quietMs, why: 'settle' };
  }
  if (writers.kind === 'held') {
    if (seenMs >= limits.stuckMs) return { kind: 'final', stuck: { pid: writers.pid, heldMs: seenMs } };
    return { kind: 'wait', recheckMs: Math.min(Math.max(1, seenMs / 8), MAX_WRITER_RECHECK_MS, limits.stuckMs - seenMs), why: 'writer' };
  }
  // Cut short and nobody seen: confirmed by a second probe a debounce later (see above).
  const clearMs = facts.clearMs ?? 0;
  const confirmMs = facts.empty === true ? Math.max(limits.debounceMs, limits.emptyConfirmMs ?? DEFAULT_EMPTY_CONFIRM_MS) : limits.debounceMs;
  if (!facts.complete && clearMs < confirmMs) return { kind: 'wait', recheckMs: confirmMs - clearMs, why: 'confirm' };
  return { kind: 'final' };
}

/** Parse-stage issues that a writer still at work leaves behind: the version may be cut short. */
const CUT_SHORT: ReadonlySet<Issue['code']> = new Set(['empty', 'parse', 'not-utf8']);

// A complete document: it parses whole (JSON Lines also ends with a newline). Anything else may
// be a writer's transient state.
export function isComplete(spec: ArtifactSpec, bytes: Uint8Array | null, issues: readonly Issue[]): boolean {
  if (bytes === null) return false; // a deletion may be the first half of a delete-and-create
  if (issues.some((issue) => CUT_SHORT.has(issue.code))) return false;
  return spec.format !== 'jsonl' || (bytes.length > 0 && bytes[bytes.length - 1] === 0x0a);
}
