// Helpers for `guard run` tests: fixture paths, a fake `droid` on PATH, and process facts.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hookEntry, hookSpecs } from '../../src/install/hook-entries.js';
import { guardHookCommand } from '../../src/install/targets.js';
import { FIXTURES, journal, until, type Sandbox } from '../helpers/index.js';

export const fixture = (name: string) => join(FIXTURES, name);

// A `droid` executable (test/fixtures/fake-droid.mjs) first on PATH; its dumps go to `dump`. Unless
// `hooks: false`, the guard's hooks are installed in the sandbox user's droid settings as
// `guard init --droid` does (guard run -- droid requires them).
export function fakeDroidEnv(box: Sandbox, options: { hooks?: boolean } = {}): { env: NodeJS.ProcessEnv; dump: string } {
  if (options.hooks !== false) installUserHooks(box);
  const bin = join(box.dir, 'bin');
  const dump = join(box.dir, 'droid-dump');
  mkdirSync(bin, { recursive: true });
  mkdirSync(dump, { recursive: true });
  const droid = join(bin, 'droid');
  writeFileSync(droid, `#!/bin/sh\nexec '${process.execPath}' '${fixture('fake-droid.mjs')}' "$@"\n`);
  chmodSync(droid, 0o755);
  return { env: { ...box.env, PATH: `${bin}:${box.env.PATH ?? ''}`, FAKE_DROID_DUMP: dump }, dump };
}

// The pid `guard run` journaled for its child in `mission`.
export async function childPid(box: Sandbox, mission = box.mission): Promise<number> {
  const entry = await until(() => journal(box, mission).find((candidate) => candidate.kind === 'child-started'), 'child-started in the journal');
  return (entry as { pid: number }).pid;
}

// The state letter of a process (R, S, T...), from /proc; undefined where there is no /proc.
export function processState(pid: number): string | undefined {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return undefined;
  const stat = readFileSync(file, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

export function readCounter(file: string): number {
  return existsSync(file) ? Number(readFileSync(file, 'utf8') || '0') : 0;
}

// The sandbox user's ~/.factory/hooks.json with the guard's PreToolUse hooks (GUARD_HOME included).
export function installUserHooks(box: Sandbox): string {
  const file = join(box.env.FACTORY_HOME_OVERRIDE ?? (box.env.HOME as string), '.factory', 'hooks.json');
  mkdirSync(dirname(file), { recursive: true });
  const groups = hookSpecs('droid', guardHookCommand(box.home)).map((spec) => ({ matcher: spec.matcher, hooks: [hookEntry(spec)] }));
  writeFileSync(file, `${JSON.stringify({ PreToolUse: groups }, null, 2)}\n`);
  return file;
}
