// Which missions a StartMissionRun call may start (issue 13 item 5). droid resolves the mission of a
// session as `getDecompMissionId() ?? sessionId` (DROID.md §6): first the `mission-session` tag in
// the session's settings file (`<transcript>.settings.json` beside the transcript droid names in
// the payload), then the `decompMissionId` of the transcript's first (summary) line, then the
// session id. A forked orchestrator session gets a new session id and keeps the mission in its
// tags. Besides those, every guarded mission whose working directory holds the payload's `cwd` is
// a candidate: a session whose tags cannot be read still cannot restart a frozen mission from its
// repository. Reads are small and bounded; anything unreadable is simply no candidate.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join, relative, resolve, sep, isAbsolute } from 'node:path';
import type { HookCall } from './tool-calls.js';

/** The tag droid puts on mission sessions: `{name, metadata: {role, missionId}}`. */
const MISSION_TAG = 'mission-session';
/** A settings file or a transcript summary line bigger than this is not read. */
const READ_LIMIT = 256 * 1024;

/** Where a candidate came from, for the journal and the message. */
export interface StartCandidate {
  dir: string;
  why: 'GUARD_MISSION' | 'session tags' | 'session summary' | 'session id' | 'working directory';
}

/** The guard's view of droid's world needed here. */
export interface StartContext {
  missionsRoot: string;
  guardMission: string | undefined;
  /** Is this dir a mission with guard state? */
  isGuarded(dir: string): boolean;
}

// Every guarded mission a StartMissionRun from this call could start, without duplicates.
export function startCandidates(call: HookCall, transcript: string | undefined, context: StartContext): StartCandidate[] {
  const found: StartCandidate[] = [];
  const add = (dir: string | undefined, why: StartCandidate['why']) => {
    if (dir !== undefined && !found.some((candidate) => candidate.dir === dir) && context.isGuarded(dir)) found.push({ dir, why });
  };
  add(context.guardMission, 'GUARD_MISSION');
  const session = transcript === undefined ? {} : sessionMission(transcript);
  add(missionDirOf(context.missionsRoot, session.tagged), 'session tags');
  add(missionDirOf(context.missionsRoot, session.summary), 'session summary');
  add(missionDirOf(context.missionsRoot, call.session), 'session id');
  for (const dir of missionsWorkingIn(context.missionsRoot, call.cwd, context.isGuarded)) add(dir, 'working directory');
  return found;
}

// The mission ids droid would read for the session of `transcript` (a `.jsonl` path).
export function sessionMission(transcript: string): { tagged?: string; summary?: string } {
  if (!transcript.endsWith('.jsonl')) return {};
  const result: { tagged?: string; summary?: string } = {};
  const settings = parseJson(readBounded(`${transcript.slice(0, -'.jsonl'.length)}.settings.json`));
  const tags = isRecord(settings) && Array.isArray(settings.tags) ? settings.tags : [];
  const tag = tags.find((item): item is Record<string, unknown> => isRecord(item) && item.name === MISSION_TAG);
  const metadata = tag !== undefined && isRecord(tag.metadata) ? tag.metadata : undefined;
  if (metadata !== undefined && (metadata.role === 'orchestrator' || metadata.role === 'worker') && typeof metadata.missionId === 'string' && metadata.missionId !== '') {
    result.tagged = metadata.missionId;
  }
  const firstLine = readBounded(transcript)?.split('\n', 1)[0];
  const summary = parseJson(firstLine);
  if (isRecord(summary)) {
    if (typeof summary.decompMissionId === 'string' && summary.decompMissionId !== '') result.summary = summary.decompMissionId;
    else if (summary.decompSessionType === 'orchestrator' && typeof summary.id === 'string') result.summary = summary.id;
  }
  return result;
}

// Guarded missions under the missions root whose working directory is `cwd` or holds it.
function missionsWorkingIn(missionsRoot: string, cwd: string, isGuarded: (dir: string) => boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(missionsRoot);
  } catch {
    return [];
  }
  return names
    .map((name) => join(missionsRoot, name))
    .filter((dir) => isGuarded(dir))
    .filter((dir) => workingDirectoriesOf(dir).some((work) => holds(work, cwd)));
}

// droid keeps the working directory in working_directory.txt and state.json `workingDirectory`.
function workingDirectoriesOf(dir: string): string[] {
  const text = readBounded(join(dir, 'working_directory.txt'))?.trim();
  const state = parseJson(readBounded(join(dir, 'state.json')));
  const fromState = isRecord(state) && typeof state.workingDirectory === 'string' ? state.workingDirectory : undefined;
  return [text, fromState].filter((path): path is string => path !== undefined && path !== '' && isAbsolute(path));
}

function holds(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function missionDirOf(missionsRoot: string, id: string | undefined): string | undefined {
  return id !== undefined && /^[\w.-]+$/.test(id) && !/^\.+$/.test(id) ? join(missionsRoot, id) : undefined;
}

function readBounded(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(READ_LIMIT);
    const length = readSync(fd, buffer, 0, READ_LIMIT, 0);
    return buffer.subarray(0, length).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
