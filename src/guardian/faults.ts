// Which errors are a mission's and which are the guard's own (issues "one mission's fault never
// stops another" and "fails open when its own state can't be written"), and where a guardian's
// errors go.
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, errnoOf, GuardError, isGuardError, reportableError } from '../errors.js';
import { sentinelText } from '../core/freeze.js';
import { escapeName, isEscape, symlinkedDir } from '../store/contained.js';
import { SENTINEL } from '../store/paths.js';
import type { MissionStore } from '../mission/mission-store.js';
import { writeSentinelNoFollow } from './sentinel.js';

/** A system error on a file of the mission itself: the mission's fault, not the guard's. */
export interface MissionFault {
  /** The file, relative to the mission dir; for a symlinked dir, the link (one incident for all under it). */
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
  if (isEscape(error)) {
    if (error.code === 'ESWAPPED') return undefined; // the guard's own failure: it stops acting (failClosed)
    const name = escapeName(error, missionDir);
    return { code: 'ELOOP', path: name, detail: `${name} is a symlink${linkTarget(error.path)}; the guard never follows a symlink in a mission dir (nothing was read or written through it). The mission stays frozen until it is removed and acknowledged` };
  }
  const code = errnoOf(error);
  if (code === undefined || reportableError(error) === undefined) return undefined;
  const { path, dest, syscall } = error as { path?: unknown; dest?: unknown; syscall?: unknown };
  const inside = (file: unknown) => typeof file === 'string' && (file === missionDir || file.startsWith(`${missionDir}/`));
  if (!inside(path) && !inside(dest)) return undefined;
  const verb = VERBS[String(syscall)] ?? 'cannot use';
  const file = inside(dest) ? String(dest) : String(path);
  return { path: file.slice(missionDir.length + 1), code, detail: `${verb} ${file.slice(missionDir.length + 1)} (${code}: ${explain(code)}); the mission stays frozen until it is fixed and acknowledged` };
}

function linkTarget(file: string): string {
  try {
    return ` to ${readlinkSync(file)}`;
  } catch {
    return '';
  }
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
 * The guard's own state failed (journal or object store unwritable, lock lost, the mission dir
 * swapped): before this guardian stops, the mission is frozen by the one means that needs no
 * journal, the sentinel, so a cooperative scheduler and `guard hook` stop it. The sentinel is
 * written only into a plain directory, never through a symlink: a mission dir swapped for a
 * symlink gets none (its target is not the mission's). For a swap the fault and the freeze are
 * also journaled (the journal is in the guard home, so the hook and `guard status` see them).
 * Best effort: a failure here is ignored (the caller reports the original error).
 */
export function failClosed(store: MissionStore, error: unknown, path: string | undefined): void {
  const freeze = store.state.freeze;
  const reason = `the guard cannot keep its state for this mission (${(error as Error)?.message ?? String(error)}); it stopped protecting it`;
  const frozen = freeze.kind === 'frozen' ? freeze : { kind: 'frozen' as const, since: new Date().toISOString(), incident: 0, path: path ?? '', reason };
  writeSentinelNoFollow(store.paths.missionDir, SENTINEL, Buffer.from(sentinelText(frozen, store.paths.missionDir)));
  if (isEscape(error) && error.code === 'ESWAPPED') {
    const detail = `${error.message}; the guard stopped acting on it (nothing restored there). Put the mission dir back, then restart the guard and acknowledge`;
    void store
      .append({ kind: 'mission-fault', path: '.', code: 'ESWAPPED', detail })
      .then((entry) => (store.state.freeze.kind === 'open' ? store.append({ kind: 'frozen', incident: entry.seq, path: '.', reason: `the mission dir was swapped: ${detail}` }) : undefined))
      .catch(() => undefined);
  }
}

/** What a guardian's fault routing needs from it. */
export interface FaultRoutes {
  store: MissionStore;
  /** Freeze the mission for a fault of one of its files; forget a fault that cleared. */
  incident(path: string, code: string, detail: string): void;
  cleared(path: string): void;
  /** Look at every artifact again soon (events may have been lost). */
  recheckSoon(): void;
  /** The guardian cannot protect the mission any more: it stops. */
  fatal(error: Error): void;
  stopped(): boolean;
}

/**
 * Where one guardian's errors go (issue "one mission's fault never stops another"): the error
 * table decides (`fatal` in src/errors.ts, through classifyFault). A fatal error (its journal,
 * its lock, a bug) stops the guardian, failing closed first; any other is handled as the
 * mission's and the guardian goes on.
 */
export class FaultRouter {
  readonly #routes: FaultRoutes;
  #failed = false;

  constructor(routes: FaultRoutes) {
    this.#routes = routes;
  }

  /** The guard's own state failed: the mission is frozen and the guardian stops acting. */
  get failed(): boolean {
    return this.#failed;
  }

  fault(error: unknown, path: string | undefined): void {
    const routes = this.#routes;
    if (routes.stopped()) return;
    const missionDir = routes.store.paths.missionDir;
    const fault = classifyFault(error, missionDir);
    if (!fault.fatal) return this.#missionFault(fault, path);
    // Once: the sentinel it writes raises an event, and every check now fails the same way.
    if (this.#failed) return;
    this.#failed = true;
    failClosed(routes.store, error, path);
    routes.fatal(error as Error);
  }

  // The watcher could not watch a directory of the mission (unreadable, or the inotify limits):
  // not the guard's own failure. Its files may have changed unseen, so every artifact is looked
  // at again; the periodic re-check retries the watch.
  watchFailed(error: Error): void {
    const missionDir = this.#routes.store.paths.missionDir;
    const file = (error as { path?: unknown }).path;
    const where = typeof file === 'string' && file.startsWith(missionDir) ? file.slice(missionDir.length + 1) || '.' : 'the mission dir';
    const code = errnoOf(error) ?? 'error';
    this.fault(new GuardError('WATCH_FAILED', `cannot watch ${where} (${code}); its files are checked by the periodic re-check until it can be watched again`, { cause: error }), undefined);
  }

  // A symlinked directory is a mission fault: artifacts written behind it are never seen (contained.ts).
  linkCheck(path: string): void {
    const escape = symlinkedDir(join(this.#routes.store.paths.missionDir, path));
    if (escape !== undefined) this.fault(escape, path);
    else this.#routes.cleared(path); // no link (any more): planting one again is a new incident
  }

  // A non-fatal error: a watcher error rescans the artifacts (an incident only if something is
  // wrong); any other is an incident of this mission, frozen with the reason.
  #missionFault({ error, mission }: Fault, path: string | undefined): void {
    if (error?.code === 'WATCH_FAILED') return this.#routes.recheckSoon();
    // A symlinked dir is one incident, named by the link, whichever file behind it was touched.
    const where = (mission?.code === 'ELOOP' ? mission.path : undefined) ?? path ?? mission?.path ?? '';
    this.#routes.incident(where, mission?.code ?? error?.code ?? 'ERROR', mission?.detail ?? error?.message ?? 'unknown error');
  }
}
