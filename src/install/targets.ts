// Where each agent keeps the settings that hold its hooks, per scope, and the command it should
// run: this checkout's bin/guard by absolute path, so hooks work without guard on PATH.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../core/freeze.js';
import type { Agent } from './hook-entries.js';

/** user: the home folder's settings; project: the current directory's. */
export type Scope = 'user' | 'project';

/** The environment facts that decide the paths, resolved by the CLI. */
export interface Where {
  home: string;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** One settings folder: its settings.json, and for droid the hooks.json that wins over it. */
export interface SettingsLocation {
  dir: string;
  settings: string;
  hooksJson?: string;
}

// The settings folder of `agent` at `scope`.
export function settingsLocation(agent: Agent, scope: Scope, where: Where): SettingsLocation {
  const dir = agent === 'droid' ? join(scope === 'user' ? factoryHome(where) : where.cwd, '.factory') : scope === 'user' ? claudeUserDir(where) : join(where.cwd, '.claude');
  return agent === 'droid' ? { dir, settings: join(dir, 'settings.json'), hooksJson: join(dir, 'hooks.json') } : { dir, settings: join(dir, 'settings.json') };
}

// droid's missions root, the place `guard watch --root` should watch.
export function droidMissionsRoot(where: Where): string {
  return join(factoryHome(where), '.factory', 'missions');
}

// `<path to bin/guard> hook`, shell-quoted; through node when bin/guard is not executable.
export function guardHookCommand(): string {
  const bin = fileURLToPath(new URL('../../../bin/guard', import.meta.url));
  try {
    accessSync(bin, constants.X_OK);
    return `${shellQuote(bin)} hook`;
  } catch {
    return `${shellQuote(process.execPath)} ${shellQuote(bin)} hook`;
  }
}

function factoryHome(where: Where): string {
  const override = where.env.FACTORY_HOME_OVERRIDE;
  return override !== undefined && override !== '' ? override : where.home;
}

function claudeUserDir(where: Where): string {
  const configured = where.env.CLAUDE_CONFIG_DIR;
  return configured !== undefined && configured !== '' ? configured : join(where.home, '.claude');
}
