// Entries of a mission dir that are not regular files or directories: symbolic links, FIFOs,
// devices, sockets. Where an artifact should be, each one is a disagreement, never followed
// (`handoffs/x.json -> /etc/passwd` must not pass for a handoff). The walk does not follow links.
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** One odd entry: its mission path and what it is. */
export interface OddEntry {
  path: string;
  what: string;
}

/** The walk stops after this many entries: it runs on every verify, ack and status. */
const WALK_LIMIT = 100_000;

export function listOddEntries(dir: string): OddEntry[] {
  const odd: OddEntry[] = [];
  let budget = WALK_LIMIT;
  const stack = [''];
  while (stack.length > 0 && budget > 0) {
    const prefix = stack.pop() as string;
    let entries;
    try {
      entries = readdirSync(join(dir, prefix), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (--budget < 0) break;
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isSymbolicLink()) odd.push({ path, what: `a symbolic link to ${linkTarget(join(dir, path))}` });
      else if (entry.isFIFO()) odd.push({ path, what: 'a FIFO' });
      else if (entry.isCharacterDevice() || entry.isBlockDevice()) odd.push({ path, what: 'a device' });
      else if (entry.isSocket()) odd.push({ path, what: 'a socket' });
    }
  }
  return odd;
}

function linkTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '(unreadable)';
  }
}
