/**
 * "Does any process hold this file open for writing?" (DESIGN.md §7), read from Linux's /proc:
 * `/proc/<pid>/fd/<n>` names the open file, `/proc/<pid>/fdinfo/<n>` its access mode.
 *
 * Theory of operation:
 * - Every process whose fd table this user may read is looked at: a guard running as the
 *   mission's owner sees the owner's processes (its child, droid and droid's workers among them).
 *   Run as root, the guard sees every process. Threads are not listed in /proc (only under
 *   /proc/<pid>/task) and share their process's fd table.
 * - Cheap refusals before any read, and never an exception where a check will do: a thrown
 *   error costs about 10 µs, more than the call. One `stat` of `/proc/<pid>/fd` gives its owner (a
 *   guard that is not root passes over other users' processes and non-dumpable ones, which show
 *   as root: it could not read them anyway) and, on Linux 6.2+, the number of fds (a kernel thread
 *   has none). A process whose fd links refuse (EACCES: pid 1 in some sandboxes) costs one error,
 *   not one per fd. Measured before this (`npm run bench`, BENCHMARKS.md): the 289 refusing fds of
 *   this VM's pid 1 alone made a probe of 80 processes cost 6-11 ms; now 1-3 ms.
 * - What is left costs a `readdir` of each fd table and a `readlink` per fd (the cheapest
 *   per-fd call measured: `lstat` for the write bit or `stat` for the inode cost the same, fdinfo
 *   costs three calls). Nothing of a process's fd table can be cached: it changes without any
 *   event, and a close followed by an open reuses the same fd number.
 * - A file a writer holds is matched by the path its fd link names: the kernel prints the
 *   file's current path, whatever path it was opened by. So the guard compares against the real
 *   path of the file, computed once per probe. Only a match reads the access mode (fdinfo).
 * - Looked at first: the process found last time (while a writer keeps a file open the guard
 *   re-probes, and that answer costs one process's fds, not the whole table) and `guard run`'s
 *   child (preferWriters).
 * - Elsewhere (macOS, a container without /proc) the probe says `unknown` and the caller keeps a
 *   settle window instead.
 *
 * All calls are synchronous: each is a few microseconds against /proc, where a thread-pool round
 * trip per fd would cost more than the work.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';

/** The answer for one file. `unknown` where /proc cannot tell (not Linux). */
export type WriterProbe =
  | { kind: 'none'; processes: number; fds: number; skipped?: number }
  | { kind: 'held'; pid: number; processes: number; fds: number; skipped?: number }
  | { kind: 'unknown' };

/** What one probe looked at: fd tables read, fds read, processes passed over without reading. */
interface Counts {
  processes: number;
  fds: number;
  skipped: number;
}

const O_ACCMODE = 0o3;
const O_RDONLY = 0o0;

/** Whether this machine can answer the question at all. */
export const CAN_PROBE_WRITERS = process.platform === 'linux' && existsSync('/proc/self/fdinfo');

/**
 * Linux 6.2 and later report a process's number of open fds as the size of `/proc/<pid>/fd`
 * (this process always has some open, so a size of 0 here means the kernel does not).
 */
const FD_COUNT_IN_SIZE = CAN_PROBE_WRITERS && (statSync('/proc/self/fd', { throwIfNoEntry: false })?.size ?? 0) > 0;

/** Processes looked at first: the last holder found, and the ones the caller names (its children). */
let lastHolder: number | undefined;
let preferred: readonly number[] = [];

/**
 * Name the processes most likely to write the mission's files (`guard run`'s child tree): they
 * are looked at first, so a writer among them is found without reading every other fd table.
 */
export function preferWriters(pids: readonly number[]): void {
  preferred = pids;
}

// Is `file` open for writing by some process this user can see (this process excepted)?
export function probeWriters(file: string): WriterProbe {
  if (!CAN_PROBE_WRITERS) return { kind: 'unknown' };
  let target: string;
  try {
    target = realpathSync.native(file);
  } catch {
    return { kind: 'none', processes: 0, fds: 0, skipped: 0 }; // gone: nobody writes it through this name
  }
  const self = process.pid;
  const euid = process.geteuid?.() ?? 0;
  const counts: Counts = { processes: 0, fds: 0, skipped: 0 };
  const first = lastHolder === undefined ? preferred : [lastHolder, ...preferred];
  for (const pid of first) {
    if (pid !== self && holdsForWriting(pid, target, euid, counts)) return held(pid, counts);
  }
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return { kind: 'unknown' };
  }
  for (const name of names) {
    const code = name.charCodeAt(0);
    if (code < 48 || code > 57) continue; // not a pid (threads are not listed here: /proc/<pid>/task)
    const pid = Number(name);
    if (pid === self || first.includes(pid)) continue;
    if (holdsForWriting(pid, target, euid, counts)) return held(pid, counts);
  }
  lastHolder = undefined;
  return { kind: 'none', ...counts };
}

function held(pid: number, counts: Counts): WriterProbe {
  lastHolder = pid;
  return { kind: 'held', pid, ...counts };
}

/**
 * One process's fd table. Cheap refusals first, without an exception (a thrown error costs more
 * than the call): one `stat` of `/proc/<pid>/fd` says whose it is (a guard that is not root
 * cannot read another user's fd table, nor that of a non-dumpable process, which shows as root)
 * and, on Linux 6.2+, how many fds it has (a kernel thread has none). Then each fd's link, the
 * file's current path, is compared with the target; only a match reads its access mode.
 */
function holdsForWriting(pid: number, target: string, euid: number, counts: Counts): boolean {
  const fdDir = `/proc/${pid}/fd`;
  let table;
  try {
    table = statSync(fdDir, { throwIfNoEntry: false });
  } catch {
    table = undefined;
  }
  if (table === undefined || (euid !== 0 && table.uid !== euid) || (FD_COUNT_IN_SIZE && table.size === 0)) {
    counts.skipped++;
    return false;
  }
  let fds: string[];
  try {
    fds = readdirSync(fdDir);
  } catch {
    counts.skipped++;
    return false; // exited, or not ours after all
  }
  counts.processes++;
  counts.fds += fds.length;
  for (const fd of fds) {
    let link: string;
    try {
      link = readlinkSync(`${fdDir}/${fd}`);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') continue; // closed meanwhile
      return false; // EACCES: this process's fds cannot be read (pid 1 in some sandboxes); one error, not one per fd
    }
    if (link === target && isWritable(pid, fd)) return true;
  }
  return false;
}

// The access mode from fdinfo's octal `flags:` line (O_WRONLY or O_RDWR: writable).
function isWritable(pid: number, fd: string): boolean {
  let info: string;
  try {
    info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1');
  } catch {
    return false; // closed meanwhile
  }
  const match = /^flags:\s*([0-7]+)/m.exec(info);
  return match !== null && (Number.parseInt(match[1] as string, 8) & O_ACCMODE) !== O_RDONLY;
}
