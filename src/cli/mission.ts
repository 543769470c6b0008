// Which mission a command acts on: --mission, else GUARD_MISSION, else the current directory
// when it looks like a mission dir (DESIGN.md §9); and the profile it is judged with.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { GuardError } from '../errors.js';
import { looksLikeMission, MISSION_MARKERS, resolveProfile, type Profile, type ProfileContext } from '../profiles/profile.js';
import type { Context } from './command.js';
import { escapeControls } from './render.js';

// The mission dir as an absolute path; throws MISSION_NOT_FOUND with the way to name one.
export function resolveMissionDir(ctx: Context, option: string | undefined): string {
  if (option === '') throw new GuardError('USAGE', '--mission needs a directory (it was given an empty string); pass --mission DIR, or leave it out inside a mission dir');
  const given = option ?? (ctx.io.env.GUARD_MISSION === '' ? undefined : ctx.io.env.GUARD_MISSION);
  if (given === undefined) {
    if (looksLikeMission(ctx.io.cwd)) return ctx.io.cwd;
    throw new GuardError('MISSION_NOT_FOUND', `no mission given and ${ctx.io.cwd} is not a mission dir (no ${MISSION_MARKERS.join(', ')}). Pass --mission DIR or set GUARD_MISSION.`);
  }
  const dir = resolve(ctx.io.cwd, given);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new GuardError('MISSION_NOT_FOUND', `mission dir ${dir} does not exist`);
  return dir;
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
