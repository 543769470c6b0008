// Test helpers: temp dirs, waiting on conditions with deadlines, running the built CLI as a real
// child process with GUARD_HOME in a temp dir and NO_COLOR set.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { JournalEntry } from '../../src/core/entries.js';
import { missionStatePaths } from '../../src/store/paths.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'guard');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

/** A temp dir owned by one test, with a guard home and a mission dir inside. */
export interface Sandbox {
  dir: string;
  home: string;
  mission: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

const children = new Set<ChildProcess>();

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'guard-test-'));
  const home = join(dir, 'guard-home');
  const mission = join(dir, 'mission');
  mkdirSync(mission, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, GUARD_HOME: home, NO_COLOR: '1', HOME: join(dir, 'user-home'), XDG_STATE_HOME: join(dir, 'xdg-state'), FACTORY_HOME_OVERRIDE: join(dir, 'user-home') };
  delete env.GUARD_MISSION;
  delete env.FORCE_COLOR;
  return { dir, home, mission, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// Poll `condition` until it is truthy or the deadline passes (then throw with `what`).
export async function until<T>(condition: () => T | Promise<T>, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

// Run `guard ARGS` to completion. A command that should finish but hangs is killed after
// `timeoutMs`, so a broken test fails instead of stalling the suite.
export async function runGuard(box: Sandbox, args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  const child = spawnGuard(box, args, options);
  if (options.input !== undefined) child.process.stdin?.end(options.input);
  else child.process.stdin?.end();
  const timer = setTimeout(() => child.process.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  try {
    return await child.done;
  } finally {
    clearTimeout(timer);
  }
}

/** A long-running guard (watch, run) whose output is collected as it comes. */
export interface GuardProcess {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<RunResult>;
}

export function spawnGuard(box: Sandbox, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): GuardProcess {
  return spawnNode(box, [BIN, ...args], options);
}

export function spawnNode(box: Sandbox, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): GuardProcess {
  const child = spawn(process.execPath, args, { cwd: options.cwd ?? box.dir, env: options.env ?? box.env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<RunResult>((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { process: child, stdout: () => stdout, stderr: () => stderr, done };
}

// Start `guard watch` on the sandbox mission and wait until its baseline is journaled. With the
// default settings: a writer descheduled mid-write holds its file open, so no test needs a longer
// settle window on a loaded machine (the exact-completion tests prove it under busy loops).
export async function startWatch(box: Sandbox, extra: string[] = []): Promise<GuardProcess> {
  const before = journal(box).filter((entry) => entry.kind === 'baseline').length;
  const guard = spawnGuard(box, ['watch', box.mission, ...extra]);
  await until(() => journal(box).filter((entry) => entry.kind === 'baseline').length > before || guard.process.exitCode !== null, 'guard watch baseline', 30_000);
  if (guard.process.exitCode !== null) throw new Error(`guard watch exited early (${guard.process.exitCode}):\n${guard.stdout()}\n${guard.stderr()}`);
  return guard;
}

/** A guard that has not stopped this long after the signal is hung: it is killed (the test fails on its exit). */
const STOP_DEADLINE_MS = 20_000;

// Stop a long-running guard with SIGTERM and wait for it.
export async function stopGuard(guard: GuardProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<RunResult> {
  if (guard.process.exitCode === null && guard.process.signalCode === null) guard.process.kill(signal);
  const hung = setTimeout(() => guard.process.kill('SIGKILL'), STOP_DEADLINE_MS);
  try {
    return await guard.done;
  } finally {
    clearTimeout(hung);
  }
}

// Stop a guard started for one test (if any) and check it did not hit an internal error.
export async function stopTestGuard(guard: GuardProcess | undefined): Promise<void> {
  if (guard === undefined) return;
  const result = await stopGuard(guard);
  assert.equal(result.stderr.includes('internal error'), false, result.stderr);
}

// Every child still running: the suite fails if a test leaks one.
export function leakedChildren(): number {
  return [...children].filter((child) => child.exitCode === null && child.signalCode === null).length;
}

export function killLeakedChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

// Call once at the top of a test file that starts processes: after its last test, any child
// still running is killed and fails the file.
export function failOnLeakedChildren(): void {
  after(() => {
    const leaked = leakedChildren();
    killLeakedChildren();
    assert.equal(leaked, 0, 'a test leaked child processes');
  });
}

export function statePaths(box: Sandbox, mission = box.mission) {
  return missionStatePaths(box.home, mission);
}

// The mission's journal entries as they are on disk now (empty when there is none yet).
export function journal(box: Sandbox, mission = box.mission): JournalEntry[] {
  const file = statePaths(box, mission).journal;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JournalEntry];
      } catch {
        return [];
      }
    });
}

export function journalHas(box: Sandbox, kind: JournalEntry['kind'], mission = box.mission): boolean {
  return journal(box, mission).some((entry) => entry.kind === kind);
}

export function writeFile(file: string, content: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

let opsCounter = 0;

// Run the fake orchestrator (test/fixtures/writer.mjs) with a list of write operations.
export async function runWriter(box: Sandbox, ops: unknown[]): Promise<void> {
  const file = join(box.dir, `writer-ops-${opsCounter++}.json`);
  writeFileSync(file, JSON.stringify(ops));
  const result = await spawnNode(box, [join(FIXTURES, 'writer.mjs'), file]).done;
  if (result.code !== 0) throw new Error(`writer failed (${result.code}): ${result.stderr}`);
}

// sha256 hex of a string or bytes, as the journal names versions.
export function sha(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

// Wait until the journal accepted exactly these bytes for `path`.
export function acceptedDigest(box: Sandbox, path: string, content: string | Buffer, mission = box.mission): Promise<boolean> {
  const digest = sha(content);
  return until(() => journal(box, mission).some((entry) => entry.kind === 'write-accepted' && entry.path === path && entry.digest === digest), `${path} accepted with digest ${digest.slice(0, 12)}`);
}

export function kinds(box: Sandbox, kind: JournalEntry['kind'], mission = box.mission): JournalEntry[] {
  return journal(box, mission).filter((entry) => entry.kind === kind);
}
