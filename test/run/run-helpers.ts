// Helpers for `guard run` tests: fixture paths, a fake `droid` on PATH, and process facts.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, journal, until, type Sandbox } from '../helpers/index.js';

export const fixture = (name: string) => join(FIXTURES, name);

// A `droid` executable (test/fixtures/fake-droid.mjs) first on PATH; its dumps go to `dump`.
export function fakeDroidEnv(box: Sandbox): { env: NodeJS.ProcessEnv; dump: string } {
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
