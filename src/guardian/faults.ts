// Which errors are a mission's and which are the guard's own (issues "one mission's fault never
// stops another" and "fails open when its own state can't be written").
import { ERROR_CODES, errnoOf, GuardError, isGuardError, reportableError } from '../errors.js';
import { sentinelText } from '../core/freeze.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import type { MissionStore } from './mission-store.js';

/** A system error on a file of the mission itself: the mission's fault, not the guard's. */
export interface MissionFault {
  /** The file, relative to the mission dir. */
  path: string;
  code: string;
  detail: string;
}

const VERBS: Record<string, string> = {
  open: 'cannot read',
  read: 'cannot read',
  rename: 'cannot restore',
  unlink: 'cannot restore',
  ftruncate: 'cannot restore',
  write: 'cannot write',
};

/** What a guardian does about an error: stop (fatal), or handle it as this mission's. */
export interface Fault {
  /** The error as reported: its code's row of ERROR_CODES decides; undefined is a bug (fatal). */
  error: GuardError | undefined;
  fatal: boolean;
  /** For MISSION_FAULT: the errno and what to tell the user. */
  mission?: MissionFault;
}

/**
 * Classify an error of a guardian of `missionDir`. The error table is the one truth: a system
 * error on a file of this mission is MISSION_FAULT, any other system error STATE_IO (the guard's
 * own state: its journal, objects, lock), a GuardError keeps its code, anything else is a bug.
 * Whether the guardian stops is then the `fatal` column of that code, nothing else.
 */
export function classifyFault(error: unknown, missionDir: string): Fault {
  const mission = isGuardError(error) ? undefined : missionFault(error, missionDir);
  const reported = mission !== undefined ? new GuardError('MISSION_FAULT', mission.detail, { cause: error }) : reportableError(error);
  if (reported === undefined) return { error: undefined, fatal: true };
  return { error: reported, fatal: ERROR_CODES[reported.code].fatal, ...(mission === undefined ? {} : { mission }) };
}

// The fault of a file under `missionDir`, or undefined when the error is not about one.
export function missionFault(error: unknown, missionDir: string): MissionFault | undefined {
  const code = errnoOf(error);
  if (code === undefined || reportableError(error) === undefined) return undefined;
  const { path, dest, syscall } = error as { path?: unknown; dest?: unknown; syscall?: unknown };
  const inside = (file: unknown) => typeof file === 'string' && (file === missionDir || file.startsWith(`${missionDir}/`));
  if (!inside(path) && !inside(dest)) return undefined;
  const verb = VERBS[String(syscall)] ?? 'cannot use';
  const file = inside(dest) ? String(dest) : String(path);
  return { path: file.slice(missionDir.length + 1), code, detail: `${verb} ${file.slice(missionDir.length + 1)} (${code}: ${explain(code)}); the mission stays frozen until it is fixed and acknowledged` };
}

function explain(code: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied; check its owner and mode';
    case 'EISDIR':
      return 'a directory stands where the file should be';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full';
    case 'EIO':
      return 'an I/O error: it may be a device or a symlink to one';
    case 'ELOOP':
      return 'a symlink loop';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return 'the file system refused';
  }
}

/**
 * The guard's own state failed (journal or object store unwritable, lock lost): before this
 * guardian stops, the mission is frozen by the one means that needs no journal, the sentinel,
 * so a cooperative scheduler and `guard hook` stop it. Best effort: a failure here is ignored
 * (the caller reports the original error).
 */
export function failClosed(store: MissionStore, error: unknown, path: string | undefined): void {
  const freeze = store.state.freeze;
  const reason = `the guard cannot keep its state for this mission (${(error as Error)?.message ?? String(error)}); it stopped protecting it`;
  const frozen = freeze.kind === 'frozen' ? freeze : { kind: 'frozen' as const, since: new Date().toISOString(), incident: 0, path: path ?? '', reason };
  void writeFileAtomic(store.paths.sentinel, Buffer.from(sentinelText(frozen, store.paths.missionDir)), { durable: false }).catch(() => undefined);
}
