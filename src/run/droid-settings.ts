// droid's `--settings <file>` overlay: the guard's PreToolUse hooks for one droid process only,
// so `guard run -- droid` never edits the user's settings (DROID.md §6).
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isRecord } from '../core/pointer.js';
import { GuardError } from '../errors.js';
import { hookSpecs } from '../install/hook-entries.js';

/** The overlay file and droid's argv with `--settings <file>` in front. */
export interface SettingsOverlay {
  file: string;
  args: string[];
  remove(): Promise<void>;
}

// The overlay document: one PreToolUse group per anchored matcher, each running `hookCommand`.
export function hookOverlay(hookCommand: string, base: Record<string, unknown> = {}): Record<string, unknown> {
  const hooks = isRecord(base.hooks) ? base.hooks : {};
  const theirs = Array.isArray(hooks.PreToolUse) ? hooks.PreToolUse : [];
  const ours = hookSpecs('droid', hookCommand).map((spec) => ({ matcher: spec.matcher, hooks: [{ type: 'command', command: spec.command, timeout: spec.timeout }] }));
  return { ...base, hooks: { ...hooks, PreToolUse: [...theirs, ...ours] } };
}

/**
 * Write the overlay to `file` and put `--settings <file>` first in droid's argv. A `--settings F`
 * the user passed is merged in (F itself is left alone) and replaced, since droid takes one.
 */
export async function writeSettingsOverlay(file: string, userArgs: readonly string[], hookCommand: string, cwd: string): Promise<SettingsOverlay> {
  const { args, settings } = takeSettingsArg(userArgs);
  const base = settings === undefined ? {} : readUserSettings(resolve(cwd, settings));
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(hookOverlay(hookCommand, base), null, 2)}\n`);
  return { file, args: ['--settings', file, ...args], remove: () => rm(file, { force: true }) };
}

function takeSettingsArg(userArgs: readonly string[]): { args: string[]; settings: string | undefined } {
  const args: string[] = [];
  let settings: string | undefined;
  for (let index = 0; index < userArgs.length; index++) {
    const arg = userArgs[index] as string;
    if (arg === '--') {
      args.push(...userArgs.slice(index));
      break;
    }
    if (arg === '--settings' && index + 1 < userArgs.length) {
      settings = userArgs[++index];
    } else if (arg.startsWith('--settings=')) {
      settings = arg.slice('--settings='.length);
    } else args.push(arg);
  }
  return { args, settings };
}

function readUserSettings(file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new GuardError('USAGE', `cannot read the --settings file ${file} given to droid: ${(error as Error).message}. Fix it, or run with --no-hooks to pass it through untouched.`);
  }
  if (!isRecord(doc)) throw new GuardError('USAGE', `the --settings file ${file} given to droid is not a JSON object; fix it, or run with --no-hooks`);
  return doc;
}
