// The one error type of the guard: a stable public `code`, mapped to an exit code in one table.

/** Exit codes (DESIGN.md §9); public, never renumbered. */
export const EXIT = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  frozen: 3,
  locked: 4,
  internal: 70,
  stateIo: 74,
} as const;

/**
 * Every code, its exit status, and whether a running guardian must stop when it happens. `fatal`
 * is read by the guardian (src/guardian/faults.ts, `classifyFault`): a fatal error stops the
 * guardian of that mission, which freezes it by its sentinel first; any other error is handled
 * as an incident of that mission and its protection goes on, as does every other mission's.
 */
export const ERROR_CODES = {
  USAGE: { exit: EXIT.usage, fatal: false },
  MISSION_NOT_FOUND: { exit: EXIT.usage, fatal: false },
  CONFIG_INVALID: { exit: EXIT.usage, fatal: false },
  NOT_AN_ARTIFACT: { exit: EXIT.usage, fatal: false },
  SNAPSHOT_NOT_FOUND: { exit: EXIT.usage, fatal: false },
  WRITE_REJECTED: { exit: EXIT.checkFailed, fatal: false },
  REPAIR_REFUSED: { exit: EXIT.checkFailed, fatal: false },
  MISSION_FROZEN: { exit: EXIT.frozen, fatal: false },
  LOCK_HELD: { exit: EXIT.locked, fatal: true },
  LOCK_LOST: { exit: EXIT.stateIo, fatal: true },
  JOURNAL_CORRUPT: { exit: EXIT.stateIo, fatal: true },
  STATE_IO: { exit: EXIT.stateIo, fatal: true },
  CONFIG_NOT_ADOPTED: { exit: EXIT.usage, fatal: false },
  /** A file of one mission cannot be read or replaced (EACCES, EISDIR, ENOSPC...): its incident. */
  MISSION_FAULT: { exit: EXIT.stateIo, fatal: false },
  /** A directory of one mission cannot be watched: its files are rescanned, and watched again later. */
  WATCH_FAILED: { exit: EXIT.stateIo, fatal: false },
} as const satisfies Record<string, { exit: number; fatal: boolean }>;

export type GuardErrorCode = keyof typeof ERROR_CODES;

/** An expected failure of the environment or of the user's input, with a message that says what to do. */
export class GuardError extends Error {
  readonly code: GuardErrorCode;
  constructor(code: GuardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GuardError';
    this.code = code;
  }
}

// Identify by code, not instanceof: errors may cross module copies.
export function isGuardError(error: unknown): error is GuardError {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'GuardError' && typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code in ERROR_CODES;
}

// The Node error code (ENOENT, EEXIST...) of a system error, if any.
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The GuardError to report for `error`: itself; STATE_IO (exit 74) for a failed system call (a
 * full disk, a missing permission, a file where a directory should be), which is the machine
 * refusing, not a bug; undefined for anything else, which is a bug.
 */
export function reportableError(error: unknown): GuardError | undefined {
  if (isGuardError(error)) return error;
  const code = errnoOf(error);
  const isSystemError = code !== undefined && /^E[A-Z]+$/.test(code) && typeof (error as { syscall?: unknown }).syscall === 'string';
  if (!isSystemError) return undefined;
  // Every I/O error names its file: Node leaves the path out of errors raised on an open handle.
  const { message, path, dest } = error as Error & { path?: unknown; dest?: unknown };
  const file = typeof path === 'string' && !message.includes(path) ? ` (file ${path}${typeof dest === 'string' ? ` -> ${dest}` : ''})` : '';
  return new GuardError('STATE_IO', `${message}${file}`, { cause: error });
}

// The exit status for `error`: its code's, or internal (70) for a bug.
export function exitCodeOf(error: unknown): number {
  const reportable = reportableError(error);
  return reportable === undefined ? EXIT.internal : ERROR_CODES[reportable.code].exit;
}
