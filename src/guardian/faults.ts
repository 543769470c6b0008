// Which errors are a mission's and which are the guard's own (issues "one mission's fault never
// stops another" and "fails open when its own state can't be written").
import { errnoOf, reportableError } from '../errors.js';
import { sentinelText } from '../core/freeze.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import type { MissionStore } from './mission-store.js';

/** A system error on a file of the mission itself: the mission's fault, not the guard's. */
export interface MissionFault {
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

// The fault of a file under `missionDir`, or undefined when the error is not about one.
export function missionFault(error: unknown, missionDir: string): MissionFault | undefined {
  const code = errnoOf(error);
  if (code === undefined || reportableError(error) === undefined) return undefined;
  const { path, dest, syscall } = error as { path?: unknown; dest?: unknown; syscall?: unknown };
  const inside = (file: unknown) => typeof file === 'string' && (file === missionDir || file.startsWith(`${missionDir}/`));
  if (!inside(path) && !inside(dest)) return undefined;
  const verb = VERBS[String(syscall)] ?? 'cannot use';
  const file = inside(dest) ? String(dest) : String(path);
  return { code, detail: `${verb} ${file.slice(missionDir.length + 1)} (${code}: ${explain(code)}); the mission stays frozen until it is fixed and acknowledged` };
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
