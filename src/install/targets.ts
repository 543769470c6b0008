// Where each agent keeps the settings that hold its hooks, per scope, and the command it should
// run: this checkout's bin/guard by absolute path, so hooks work without guard on PATH.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../core/freeze.js';
import type { Agent } from './hook-entries.js';
import { droidMissionsRootOf } from '../orchestrators/droid/index.js';

/** user: the home folder's settings; project: the current directory's. */
export type Scope = 'user' | 'project';

/** The environment facts that decide the paths, resolved by the CLI. */
export interface Where {
  home: string;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * One settings folder: its settings.json, and for droid the hooks.json that wins over it (per
 * event), or when that is absent the legacy hooks/hooks.json, which does the same (DROID.md §6).
 */
export interface SettingsLocation {
  dir: string;
  settings: string;
  hooksJson?: string;
  legacyHooksJson?: string;
}

// The settings folder of `agent` at `scope`.
export function settingsLocation(agent: Agent, scope: Scope, where: Where): SettingsLocation {
  const dir = agent === 'droid' ? join(scope === 'user' ? factoryHome(where) : where.cwd, '.factory') : scope === 'user' ? claudeUserDir(where) : join(where.cwd, '.claude');
  return agent === 'droid'
    ? { dir, settings: join(dir, 'settings.json'), hooksJson: join(dir, 'hooks.json'), legacyHooksJson: join(dir, 'hooks', 'hooks.json') }
    : { dir, settings: join(dir, 'settings.json') };
}

// droid's missions root, the place `guard watch --root` should watch.
export function droidMissionsRoot(where: Where): string {
  return droidMissionsRootOf(where);
}

// `<path to bin/guard> hook`, shell-quoted; through node when bin/guard is not executable. With
// `guardHome` (GUARD_HOME was set), the command sets it itself: a worker's hook inherits droid's
// daemon environment, not the user's shell (DROID.md §6), and would otherwise look elsewhere.
export function guardHookCommand(guardHome?: string): string {
  const bin = fileURLToPath(new URL('../../../bin/guard', import.meta.url));
  const prefix = guardHome === undefined ? '' : `GUARD_HOME=${shellQuote(guardHome)} `;
  try {
    accessSync(bin, constants.X_OK);
    return `${prefix}${shellQuote(bin)} hook`;
  } catch {
    return `${prefix}${shellQuote(process.execPath)} ${shellQuote(bin)} hook`;
  }
}

// The GUARD_HOME a hook command sets for itself, if it does (`GUARD_HOME=... guard hook`).
export function guardHomeOfCommand(command: string): string | undefined {
  const match = /^\s*(?:env\s+)?GUARD_HOME=('([^']*)'|"([^"]*)"|(\S+))\s/.exec(command);
  return match === null ? undefined : (match[2] ?? match[3] ?? match[4]);
}

function factoryHome(where: Where): string {
  const override = where.env.FACTORY_HOME_OVERRIDE;
  return override !== undefined && override !== '' ? override : where.home;
}

function claudeUserDir(where: Where): string {
  const configured = where.env.CLAUDE_CONFIG_DIR;
  return configured !== undefined && configured !== '' ? configured : join(where.home, '.claude');
}
