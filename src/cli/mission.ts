// Which mission a command acts on: --mission, else GUARD_MISSION, else the current directory
// when it looks like a mission dir (DESIGN.md §9); and the profile it is judged with. A Task
// Master project stands for its `.taskmaster/` (the orchestrator's adapter says so).
import { existsSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { shellQuote } from '../core/freeze.js';
import { countFilesUpTo, DEFAULT_MAX_MISSION_FILES } from '../profiles/mission-limits.js';
import { GuardError } from '../errors.js';
import { looksLikeMission, missionDirFor, MISSION_MARKERS, resolveProfile, type Profile, type ProfileContext } from '../profiles/profile.js';
import type { Context } from './command.js';
import { escapeControls } from './render.js';

export { missionDirFor } from '../profiles/profile.js';

// The mission dir as an absolute path; throws MISSION_NOT_FOUND with the way to name one.
export function resolveMissionDir(ctx: Context, option: string | undefined): string {
  if (option === '') throw new GuardError('USAGE', '--mission needs a directory (it was given an empty string); pass --mission DIR, or leave it out inside a mission dir');
  const given = option ?? (ctx.io.env.GUARD_MISSION === '' ? undefined : ctx.io.env.GUARD_MISSION);
  if (given === undefined) {
    const here = missionDirFor(ctx.io.cwd);
    if (looksLikeMission(here)) return here;
    throw new GuardError('MISSION_NOT_FOUND', `no mission given and ${ctx.io.cwd} is not a mission dir (no ${MISSION_MARKERS.join(', ')}). Pass --mission DIR or set GUARD_MISSION.`);
  }
  const dir = resolve(ctx.io.cwd, given);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new GuardError('MISSION_NOT_FOUND', `mission dir ${dir} does not exist`);
  return missionDirFor(dir);
}

/** Profile choice options shared by commands that judge. */
export const profileOptions = { profile: { type: 'string' }, config: { type: 'string' } } as const;

/**
 * The profile for a command (a config that differs from the adopted one is refused, exit 2) or,
 * with `changed: 'last-adopted'`, for a guardian (it keeps guarding with the adopted copy).
 * ajv's warnings are shown on stderr.
 */
export function profileFor(ctx: Context, missionDir: string, values: { profile?: string; config?: string }, changed: ProfileContext['changed'] = 'refuse'): Profile {
  const profile = resolveProfile(
    missionDir,
    {
      ...(values.profile === undefined ? {} : { profile: values.profile }),
      ...(values.config === undefined ? {} : { config: resolve(ctx.io.cwd, values.config) }),
    },
    { guardHome: ctx.guardHome, changed },
  );
  for (const warning of profile.warnings) ctx.print.err(`guard: warning from the schemas of ${escapeControls(profile.source)}: ${escapeControls(warning)}`);
  return profile;
}

/** Options of the commands that start guardians on mission dirs. */
export const missionGuardOptions = { force: { type: 'boolean' }, 'max-files': { type: 'string' } } as const;

/**
 * Refuse to guard what is not a mission: `/`, a home dir or one of its ancestors, the guard home,
 * a missions root (it holds missions: --root), a dir with no mission files (unless --force), or
 * a dir with more files than the cap (unless --max-files raises it).
 */
export function refuseNonMission(ctx: Context, dir: string, options: { force?: boolean; 'max-files'?: string }, missionsRoot?: string): void {
  const real = realOf(dir);
  const homes = [ctx.home, homedir()].map(realOf);
  const within = (path: string, parent: string) => {
    const rel = relative(parent, path);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  if (real === '/' || homes.some((home) => within(home, real))) {
    throw new GuardError('USAGE', `${dir} is not a mission dir: guarding ${real === '/' ? 'the root of the filesystem' : 'a home dir or a folder above one'} would watch everything in it. Pass the mission dir itself (droid: ~/.factory/missions/<id>), or a missions root with --root DIR.`);
  }
  if (within(real, realOf(ctx.guardHome)) || within(realOf(ctx.guardHome), real)) {
    throw new GuardError('USAGE', `${dir} holds the guard's own state (${ctx.guardHome}); the guard does not watch itself`);
  }
  if (missionsRoot !== undefined && real === realOf(missionsRoot)) {
    throw new GuardError('USAGE', `${dir} is a missions root, not a mission dir: guard every mission in it with guard watch --root ${shellQuote(dir)}`);
  }
  if (!looksLikeMission(real) && options.force !== true) {
    throw new GuardError('USAGE', `${dir} holds no mission files (${MISSION_MARKERS.join(', ')}); it does not look like a mission dir. If the orchestrator has not written yet, guard it anyway with --force; if it holds missions, use --root ${shellQuote(dir)}`);
  }
  const cap = parseMaxFiles(options['max-files']);
  const count = countFilesUpTo(real, cap);
  if (count > cap) {
    throw new GuardError('USAGE', `${dir} holds more than ${cap} files, too many for one mission dir (is it the right dir?). If it is, raise the cap: --max-files N`);
  }
}

function parseMaxFiles(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_MISSION_FILES;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new GuardError('USAGE', `--max-files must be a positive whole number (got "${text}")`);
  return value;
}

function realOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

// droid's missions root, as guard run and guard hook see it.
export function droidRootOf(ctx: Context): string {
  const factory = ctx.io.env.FACTORY_HOME_OVERRIDE !== undefined && ctx.io.env.FACTORY_HOME_OVERRIDE !== '' ? ctx.io.env.FACTORY_HOME_OVERRIDE : ctx.home;
  return join(factory, '.factory', 'missions');
}
