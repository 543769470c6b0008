// Shared by the benchmarks: temp dirs, statistics, timing, and running the built CLI as a real
// child process with GUARD_HOME in a temp dir (never the user's state).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'guard');

/** A temp dir owned by one benchmark, removed when it is done. */
export interface Scratch {
  dir: string;
  home: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function scratch(name: string): Scratch {
  const dir = mkdtempSync(join(tmpdir(), `guard-bench-${name}-`));
  const home = join(dir, 'guard-home');
  const env: NodeJS.ProcessEnv = { ...process.env, GUARD_HOME: home, NO_COLOR: '1', HOME: join(dir, 'user-home'), XDG_STATE_HOME: join(dir, 'xdg-state'), FACTORY_HOME_OVERRIDE: join(dir, 'user-home') };
  delete env.GUARD_MISSION;
  delete env.FORCE_COLOR;
  return { dir, home, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Poll `condition` until truthy, or throw after `timeoutMs` naming what was awaited.
export async function until<T>(condition: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(everyMs);
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function ms(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : value >= 10 ? `${value.toFixed(1)} ms` : `${value.toFixed(2)} ms`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The result of a child process run to completion. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

// Run a command to completion, feeding `input` on stdin; times from spawn to exit.
export function runTimed(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - started }));
    child.stdin.end(options.input ?? '');
  });
}

export function runGuard(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Ran> {
  return runTimed(process.execPath, [BIN, ...args], { env, ...(input === undefined ? {} : { input }) });
}

/** A long-running `guard watch`, its JSON Lines output parsed as it comes. */
export interface Watching {
  child: ChildProcess;
  pid: number;
  /** Every JSON line printed so far: `{ mission, ...entry }`. */
  lines: Array<Record<string, unknown> & { mission?: string; kind?: string }>;
  stderr(): string;
  stop(): Promise<number | null>;
}

// Start `guard watch --json ARGS` and resolve once `ready` holds of its output.
export async function startWatch(args: string[], env: NodeJS.ProcessEnv, ready: (watching: Watching) => boolean, timeoutMs = 60_000): Promise<Watching> {
  const child = spawn(process.execPath, [BIN, 'watch', '--json', ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Watching['lines'] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) {
      if (part.trim() === '') continue;
      try {
        lines.push(JSON.parse(part) as Watching['lines'][number]);
      } catch {
        stderr += `unparsable stdout line: ${part}\n`;
      }
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const watching: Watching = {
    child,
    pid: child.pid ?? -1,
    lines,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  try {
    await until(() => {
      if (child.exitCode !== null) throw new Error(`guard watch exited with ${child.exitCode}: ${stderr}`);
      return ready(watching);
    }, `guard watch ${args.join(' ')} to finish its baseline`, timeoutMs);
  } catch (error) {
    await watching.stop();
    throw error;
  }
  return watching;
}

// Resident set size of a process, from /proc (Linux).
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

// CPU time (user + system) a process has used, in clock ticks (/proc/PID/stat fields 14, 15).
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
