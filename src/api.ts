/**
 * The library API for orchestrators (issue "durable truth" item 7): judge a proposed version of a
 * mission artifact, or write it transactionally, exactly as the guard does.
 *
 *   import { writeArtifact } from 'mission-guard';
 *   const result = await writeArtifact(missionDir, 'features.json', bytes);
 *   if (!result.ok) console.error(result.issues.map((issue) => issue.message).join('\n'));
 *
 * A rejected write leaves the old file byte for byte; an accepted one is snapshotted and
 * journaled before the atomic rename, so a running guardian recognises it and does not judge it
 * again. Guard state lives under `options.guardHome`, else $GUARD_HOME, else
 * ${XDG_STATE_HOME:-~/.local/state}/mission-guard.
 *
 * The dir may be a mission dir or a dir a built-in orchestrator keeps its mission in: a Task
 * Master project means its `.taskmaster/`, so `writeArtifact(project, 'tasks/tasks.json', ...)`
 * writes `project/.taskmaster/tasks/tasks.json`, as `guard write --mission project` does.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { relative, resolve } from 'node:path';
import { judgeVersion } from './core/judge.js';
import { asMissionPath, type Digest, type Issue, type Transition } from './core/types.js';
import { GuardError } from './errors.js';
import { MissionStore } from './mission/mission-store.js';
import { commitWrite, type CommitOptions } from './mission/transact.js';
import { matchArtifact, missionDirFor, resolveProfile, type Profile } from './profiles/profile.js';
import { ObjectStore } from './store/objects.js';
import { defaultGuardHome } from './store/paths.js';
import { judgeContextOf, readLastGood, viewMission } from './mission/mission-read.js';

export interface GuardOptions {
  /** Where guard state lives (default: $GUARD_HOME, else the XDG state dir). */
  guardHome?: string;
  /** A built-in orchestrator's profile, or a loaded one; default: the mission's adopted guard.config.json (guard config adopt), else the orchestrator detected from its files (Task Master, else droid). */
  profile?: 'droid' | 'taskmaster' | Profile;
  /** A guard.config.json to use instead of the mission's own. */
  config?: string;
  /**
   * Test-only (crash-safety tests), between the journal entry and the rename: 'after-journal'
   * SIGKILLs this process; `{ waitFor: FILE }` waits until FILE exists.
   */
  failpoint?: 'after-journal' | { waitFor: string };
}

export type ArtifactVerdict =
  | { ok: true; path: string; transitions: Transition[]; reopened: string[] }
  | { ok: false; path: string; issues: Issue[] };

export type WriteOutcome =
  /**
   * `unchanged`: the file already held these bytes as its last good version; nothing was written
   * or journaled and `seq` is the entry that made them last good. `replaced`: the digest of the
   * version the write replaced (stored: `guard show` prints it), null when there was no file.
   */
  | { ok: true; path: string; digest: Digest; seq: number; transitions: Transition[]; unchanged: boolean; replaced: Digest | null }
  | { ok: false; path: string; issues: Issue[] };

// Judge `bytes` (null = deleting the file) as the next version of the artifact at `relativePath`,
// against the mission's last good version and journaled evidence. Writes nothing.
export async function judgeArtifact(dir: string, relativePath: string, bytes: Uint8Array | string | null, options: GuardOptions = {}): Promise<ArtifactVerdict> {
  const { missionDir, path } = locate(dir, relativePath);
  const profile = profileOf(missionDir, options);
  const spec = matchArtifact(profile, path);
  if (spec === undefined) throw notAnArtifact(relativePath, profile);
  const { paths, state } = await viewMission(guardHomeOf(options), missionDir);
  const previous = await readLastGood(new ObjectStore(paths.objects), state, path, spec);
  const verdict = judgeVersion(spec, previous, typeof bytes === 'string' ? Buffer.from(bytes) : bytes, judgeContextOf(state, spec));
  return verdict.kind === 'accepted' ? { ok: true, path, transitions: verdict.transitions, reopened: verdict.reopened } : { ok: false, path, issues: verdict.issues };
}

// Bring guard state up to the disk, judge, snapshot, journal, then temp + fsync + rename + fsync
// dir. On reject nothing changes; bytes that already are the file and its last good journal nothing.
export async function writeArtifact(dir: string, relativePath: string, bytes: Uint8Array | string, options: GuardOptions = {}): Promise<WriteOutcome> {
  const { missionDir, path } = locate(dir, relativePath);
  const profile = profileOf(missionDir, options);
  const store = await MissionStore.open(guardHomeOf(options), missionDir, profile);
  const result = await commitWrite(store, path, Buffer.from(typeof bytes === 'string' ? Buffer.from(bytes) : bytes), 'guard-write', failpointOf(options));
  if (result.kind === 'rejected') return { ok: false, path, issues: result.issues };
  if (result.kind === 'unchanged') return { ok: true, path, digest: result.digest, seq: result.seq, transitions: [], unchanged: true, replaced: result.digest };
  const entry = result.entry;
  const digest = entry.kind === 'write-accepted' ? entry.digest : null;
  return { ok: true, path, digest: digest as Digest, seq: entry.seq, transitions: result.transitions, unchanged: false, replaced: result.replaced };
}

function failpointOf(options: GuardOptions): CommitOptions {
  const { failpoint } = options;
  if (failpoint === undefined) return {};
  if (failpoint === 'after-journal') return { afterJournal: () => void process.kill(process.pid, 'SIGKILL') };
  return {
    afterJournal: async () => {
      while (!existsSync(failpoint.waitFor)) await new Promise((resolve) => setTimeout(resolve, 5));
    },
  };
}

function profileOf(missionDir: string, options: GuardOptions): Profile {
  if (typeof options.profile === 'object') return options.profile;
  return resolveProfile(missionDir, { ...(options.profile === undefined ? {} : { profile: options.profile }), ...(options.config === undefined ? {} : { config: options.config }) }, { guardHome: guardHomeOf(options) });
}

function guardHomeOf(options: GuardOptions): string {
  return options.guardHome ?? defaultGuardHome(process.env, homedir());
}

// The mission dir the caller's dir stands for, and the artifact's path in it. A path given from a
// Task Master project, `.taskmaster/tasks/tasks.json`, means the same file as `tasks/tasks.json`.
function locate(dir: string, relativePath: string) {
  const named = resolve(dir);
  const missionDir = missionDirFor(named);
  const inside = relative(named, missionDir);
  const given = relativePath.replace(/^\.\/+/, '');
  const path = asMissionPath(inside !== '' && given.startsWith(`${inside}/`) ? given.slice(inside.length + 1) : given);
  if (path === undefined) throw new GuardError('NOT_AN_ARTIFACT', `"${relativePath}" is not a path inside the mission dir (give it relative to the mission dir, e.g. features.json)`);
  return { missionDir, path };
}

function notAnArtifact(relativePath: string, profile: Profile): GuardError {
  return new GuardError('NOT_AN_ARTIFACT', `${relativePath} is not an artifact of profile ${profile.name} (${profile.source})`);
}
