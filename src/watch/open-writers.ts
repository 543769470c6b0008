/**
 * "Does any process hold this file open for writing?" (DESIGN.md §7), read from Linux's /proc:
 * `/proc/<pid>/fd/<n>` names the open file, `/proc/<pid>/fdinfo/<n>` its access mode.
 *
 * Theory of operation:
 * - Every process whose fd table this user may read is looked at: a guard running as the
 *   mission's owner sees the owner's processes (its child, droid and droid's workers among them);
 *   the fd tables of other users' processes refuse at once (EACCES) and cost one call each. Run as
 *   root, the guard sees every process. Measured: about 10 µs per fd on a 2-core VM, so 500
 *   processes with 3-4 fds each cost 15-20 ms (`npm run bench`).
 * - A file a writer holds is matched by the path its fd link names: the kernel prints the
 *   file's current path, whatever path it was opened by. So the guard compares against the real
 *   path of the file, computed once per probe.
 * - The process found last time is looked at first: while a writer keeps a file open the guard
 *   re-probes it, and that answer costs one process's fds, not the whole table.
 * - Elsewhere (macOS, a container without /proc) the probe says `unknown` and the caller keeps a
 *   settle window instead.
 *
 * All calls are synchronous: each is a few microseconds against /proc, where a thread-pool round
 * trip per fd would cost more than the work.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';

/** The answer for one file. `unknown` where /proc cannot tell (not Linux). */
export type WriterProbe =
  | { kind: 'none'; processes: number; fds: number }
  | { kind: 'held'; pid: number; processes: number; fds: number }
  | { kind: 'unknown' };

const O_ACCMODE = 0o3;
const O_RDONLY = 0o0;

/** Whether this machine can answer the question at all. */
export const CAN_PROBE_WRITERS = process.platform === 'linux' && existsSync('/proc/self/fdinfo');

let lastHolder: number | undefined;

// Is `file` open for writing by some process this user can see (this process excepted)?
export function probeWriters(file: string): WriterProbe {
  if (!CAN_PROBE_WRITERS) return { kind: 'unknown' };
  let target: string;
  try {
    target = realpathSync(file);
  } catch {
    return { kind: 'none', processes: 0, fds: 0 }; // gone: nobody writes it through this name
  }
  const self = process.pid;
  const counts = { processes: 0, fds: 0 };
  if (lastHolder !== undefined && lastHolder !== self && holdsForWriting(lastHolder, target, counts)) {
    return { kind: 'held', pid: lastHolder, ...counts };
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return { kind: 'unknown' };
  }
  for (const name of pids) {
    const code = name.charCodeAt(0);
    if (code < 48 || code > 57) continue; // not a pid
    const pid = Number(name);
    if (pid === self || pid === lastHolder) continue;
    if (holdsForWriting(pid, target, counts)) {
      lastHolder = pid;
      return { kind: 'held', pid, ...counts };
    }
  }
  lastHolder = undefined;
  return { kind: 'none', ...counts };
}

function holdsForWriting(pid: number, target: string, counts: { processes: number; fds: number }): boolean {
  const fdDir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = readdirSync(fdDir);
  } catch {
    return false; // exited, or another user's
  }
  counts.processes++;
  counts.fds += fds.length;
  for (const fd of fds) {
    let link: string;
    try {
      link = readlinkSync(`${fdDir}/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (link !== target) continue;
    if (isWritable(pid, fd)) return true;
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
