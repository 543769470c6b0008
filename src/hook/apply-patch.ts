// droid's ApplyPatch input (the `*** Begin Patch` format it shares with Codex), parsed and applied
// in memory so the hook can judge what every touched file would hold. Pure: text in, text out.

/** One `@@` section of an update: lines to find (context and `-`) and what replaces them. */
export interface Hunk {
  /** The text after `@@`, a line to seek to before matching (empty when absent). */
  anchor: string;
  oldLines: string[];
  newLines: string[];
  /** `*** End of File`: the old lines are matched at the end of the file. */
  atEnd: boolean;
}

/** One file section of a patch, as written (paths relative to the agent's cwd). */
export type PatchOp =
  | { kind: 'add'; path: string; content: string }
  | { kind: 'delete'; path: string }
  | { kind: 'update'; path: string; moveTo: string | undefined; hunks: Hunk[] };

/** A malformed patch keeps the paths it names, so the decision can still be journaled. */
export type PatchParse = { ok: true; ops: PatchOp[] } | { ok: false; problem: string; paths: string[] };

const HEADER = /^\*\*\* (Add|Delete|Update) File: (.+)$/;
const MOVE = /^\*\*\* Move to: (.+)$/;

// Parse a patch; on a malformed one, still report the paths its headers name.
export function parsePatch(input: string): PatchParse {
  const lines = input.replace(/\r\n/g, '\n').split('\n');
  const paths = lines.flatMap((line) => HEADER.exec(line.trim())?.[2]?.trim() ?? []);
  let at = lines.findIndex((line) => line.trim() === '*** Begin Patch');
  if (at === -1) return { ok: false, problem: 'the patch has no "*** Begin Patch" line', paths };
  const ops: PatchOp[] = [];
  at++;
  while (at < lines.length) {
    const line = (lines[at] as string).trim();
    if (line === '*** End Patch') return { ok: true, ops };
    const header = HEADER.exec(line);
    if (header === null) {
      if (line === '') {
        at++;
        continue;
      }
      return { ok: false, problem: `line ${at + 1} is not a file header: ${JSON.stringify(line.slice(0, 80))}`, paths };
    }
    const [, verb, rawPath] = header as unknown as [string, string, string];
    const path = rawPath.trim();
    at++;
    if (verb === 'Delete') {
      ops.push({ kind: 'delete', path });
      continue;
    }
    if (verb === 'Add') {
      const content: string[] = [];
      while (at < lines.length && (lines[at] as string).startsWith('+')) content.push((lines[at++] as string).slice(1));
      ops.push({ kind: 'add', path, content: content.map((text) => `${text}\n`).join('') });
      continue;
    }
    const move = at < lines.length ? MOVE.exec((lines[at] as string).trim()) : null;
    if (move !== null) at++;
    const read = readHunks(lines, at);
    if (!read.ok) return { ok: false, problem: read.problem, paths };
    at = read.next;
    ops.push({ kind: 'update', path, moveTo: move?.[1]?.trim(), hunks: read.hunks });
  }
  return { ok: false, problem: 'the patch has no "*** End Patch" line', paths };
}

function readHunks(lines: string[], start: number): { ok: true; hunks: Hunk[]; next: number } | { ok: false; problem: string } {
  const hunks: Hunk[] = [];
  let hunk: Hunk | undefined;
  let at = start;
  for (; at < lines.length; at++) {
    const line = lines[at] as string;
    if (line.startsWith('*** ') && line.trim() !== '*** End of File') break;
    if (line.startsWith('@@')) {
      hunk = { anchor: line.slice(2).trim(), oldLines: [], newLines: [], atEnd: false };
      hunks.push(hunk);
      continue;
    }
    if (hunk === undefined) {
      // The first hunk may omit its `@@` line.
      hunk = { anchor: '', oldLines: [], newLines: [], atEnd: false };
      hunks.push(hunk);
    }
    if (line.trim() === '*** End of File') hunk.atEnd = true;
    else if (line === '') {
      hunk.oldLines.push('');
      hunk.newLines.push('');
    } else if (line[0] === ' ') {
      hunk.oldLines.push(line.slice(1));
      hunk.newLines.push(line.slice(1));
    } else if (line[0] === '-') hunk.oldLines.push(line.slice(1));
    else if (line[0] === '+') hunk.newLines.push(line.slice(1));
    else return { ok: false, problem: `line ${at + 1} of an update hunk does not start with " ", "-" or "+": ${JSON.stringify(line.slice(0, 80))}` };
  }
  if (hunks.length === 0) return { ok: false, problem: `the update at line ${start} has no hunks` };
  return { ok: true, hunks, next: at };
}

// Apply hunks to a file's text the way the tool does; undefined when a hunk's lines are not found
// (the tool itself then fails).
export function applyHunks(text: string, hunks: readonly Hunk[]): string | undefined {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const replacements: Array<{ start: number; length: number; lines: string[] }> = [];
  let cursor = 0;
  for (const hunk of hunks) {
    if (hunk.anchor !== '') {
      const found = seekSequence(lines, [hunk.anchor], cursor, false);
      if (found === undefined) return undefined;
      cursor = found + 1;
    }
    if (hunk.oldLines.length === 0) {
      replacements.push({ start: lines.length, length: 0, lines: hunk.newLines });
      continue;
    }
    let pattern = hunk.oldLines;
    let replacement = hunk.newLines;
    let found = seekSequence(lines, pattern, cursor, hunk.atEnd);
    if (found === undefined && pattern.at(-1) === '') {
      pattern = pattern.slice(0, -1);
      if (replacement.at(-1) === '') replacement = replacement.slice(0, -1);
      found = seekSequence(lines, pattern, cursor, hunk.atEnd);
    }
    if (found === undefined) return undefined;
    replacements.push({ start: found, length: pattern.length, lines: replacement });
    cursor = found + pattern.length;
  }
  replacements.sort((a, b) => b.start - a.start);
  for (const { start, length, lines: replacement } of replacements) lines.splice(start, length, ...replacement);
  if (lines.at(-1) !== '') lines.push('');
  return lines.join('\n');
}

// Where `pattern` occurs in `lines` from `start` on: exactly, then ignoring trailing, then all
// surrounding whitespace (the tool is as lenient).
function seekSequence(lines: readonly string[], pattern: readonly string[], start: number, atEnd: boolean): number | undefined {
  if (pattern.length === 0) return start;
  if (pattern.length > lines.length) return undefined;
  const first = atEnd ? lines.length - pattern.length : start;
  for (const norm of [(s: string) => s, (s: string) => s.trimEnd(), (s: string) => s.trim()]) {
    for (let i = first; i <= lines.length - pattern.length; i++) {
      if (pattern.every((line, k) => norm(lines[i + k] as string) === norm(line))) return i;
    }
  }
  return undefined;
}
