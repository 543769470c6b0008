/**
 * The orchestrator as a child process of `guard run`: launched with the terminal passed straight
 * through, signalled, stopped with a grace period, suspended and continued as a process group.
 *
 * Theory of operation:
 * - Attached (the default): the child stays in the guard's process group, so it is in the
 *   terminal's foreground group with the guard and a full-screen UI (droid) works as if started
 *   by the shell: raw mode, resize, Ctrl-C and Ctrl-Z all reach it directly from the terminal.
 * - Detached (`--suspend-child`): the child gets its own session and process group, so the guard
 *   can SIGSTOP/SIGCONT the whole group (the child and whatever it spawned) without stopping
 *   itself. The price: the terminal no longer sends job-control signals to the child (they reach
 *   the guard, which forwards them), and resize only arrives as a forwarded SIGWINCH. It is meant
 *   for orchestrators that do not own the terminal.
 */
import { execa } from 'execa';
import { constants } from 'node:os';
import { GuardError } from '../errors.js';
import { preferWriters } from '../watch/open-writers.js';

/** How the child ended: an exit code, or the signal that killed it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What to run and how; the environment comes from the CLI (nothing here reads process.env). */
export interface ChildOptions {
  command: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Own session and process group, for suspend/continue of the whole group. */
  detached: boolean;
}

/** A running child; every method is a no-op once it has exited. */
export interface Child {
  readonly kind: 'child';
  readonly pid: number;
  readonly detached: boolean;
  readonly exited: Promise<ChildExit>;
  readonly hasExited: boolean;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM (after SIGCONT if suspended), then SIGKILL when still alive after `graceMs`. */
  stop(graceMs: number): Promise<ChildExit>;
  suspend(): void;
  resume(): void;
  readonly suspended: boolean;
}

/** The command could not be started at all; `status` follows the shell (127 not found, 126 other). */
export interface LaunchFailure {
  kind: 'launch-failed';
  message: string;
  status: number;
}

// Start the child with stdio inherited, or say why it could not be started.
export async function launchChild(options: ChildOptions): Promise<Child | LaunchFailure> {
  const [file, ...args] = options.command;
  if (file === undefined) throw new GuardError('USAGE', 'no command to run');
  const subprocess = execa(file, args, {
    stdio: 'inherit',
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    detached: options.detached,
    reject: false,
    // The guard decides when to stop the child (forwarded signals, fatal errors); execa's own
    // SIGKILL timer would race it.
    forceKillAfterDelay: false,
  });
  if (subprocess.pid === undefined) {
    const result = await subprocess;
    const notFound = result.code === 'ENOENT';
    return { kind: 'launch-failed', status: notFound ? 127 : 126, message: `cannot start ${file}: ${notFound ? 'command not found (check the name and PATH)' : result.originalMessage || result.shortMessage}` };
  }
  preferWriters([subprocess.pid]); // the likeliest writer of the mission's files is looked at first
  return new RunningChild(subprocess, subprocess.pid, options.detached);
}

class RunningChild implements Child {
  readonly kind = 'child';
  readonly pid: number;
  readonly detached: boolean;
  readonly exited: Promise<ChildExit>;
  #exited = false;
  #suspended = false;

  constructor(subprocess: Promise<{ exitCode?: number | undefined; signal?: string | undefined }>, pid: number, detached: boolean) {
    this.pid = pid;
    this.detached = detached;
    this.exited = subprocess.then((result) => {
      this.#exited = true;
      return { code: result.exitCode ?? null, signal: (result.signal as NodeJS.Signals | undefined) ?? null };
    });
  }

  get hasExited(): boolean {
    return this.#exited;
  }

  get suspended(): boolean {
    return this.#suspended;
  }

  // A detached child is signalled as a group, the way the terminal would signal a job.
  signal(signal: NodeJS.Signals): void {
    if (this.#exited) return;
    try {
      process.kill(this.detached ? -this.pid : this.pid, signal);
    } catch {
      // ESRCH: it exited between the check and the kill.
    }
  }

  suspend(): void {
    if (!this.detached || this.#suspended || this.#exited) return;
    this.signal('SIGSTOP');
    this.#suspended = true;
  }

  resume(): void {
    if (!this.#suspended) return;
    this.signal('SIGCONT');
    this.#suspended = false;
  }

  async stop(graceMs: number): Promise<ChildExit> {
    this.resume();
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

// The guard's exit status for a child's end: its code, or 128 + the signal's number.
export function exitStatusOf(exit: ChildExit): number {
  if (exit.signal !== null) return 128 + (constants.signals[exit.signal] ?? 0);
  return exit.code ?? 1;
}
