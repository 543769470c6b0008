// `--on-incident CMD`: run CMD through `sh -c` with one incident as JSON on stdin. Theory of
// operation: the guard's reactions never wait for it (it is started after the incident's entries
// are journaled and nothing awaits it); it runs in its own process group so a timeout kills every
// process it started; a failure (spawn error, non-zero exit, timeout) is handed to `onFailure`
// once, and the guard journals it.
import { spawn, type ChildProcess } from 'node:child_process';

export const DEFAULT_INCIDENT_TIMEOUT_MS = 30_000;

/** Keep this much of the command's stderr to say why it failed. */
const STDERR_TAIL = 500;

export interface IncidentHook {
  command: string;
  timeoutMs: number;
}

export class IncidentHookRunner {
  readonly #hook: IncidentHook;
  readonly #running = new Set<ChildProcess>();
  readonly #env: NodeJS.ProcessEnv;
  #stopping = false;

  constructor(hook: IncidentHook, env: NodeJS.ProcessEnv) {
    this.#hook = hook;
    this.#env = env;
  }

  // Start the command for one incident; returns at once.
  start(document: unknown, onFailure: (reason: string) => void): void {
    let failed = false;
    const fail = (reason: string) => {
      if (failed || this.#stopping) return;
      failed = true;
      onFailure(reason);
    };
    let child: ChildProcess;
    try {
      child = spawn('sh', ['-c', this.#hook.command], { stdio: ['pipe', 'ignore', 'pipe'], detached: true, env: this.#env });
    } catch (error) {
      fail(`could not start: ${(error as Error).message}`);
      return;
    }
    this.#running.add(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL)));
    child.stdin?.on('error', () => undefined); // a command that does not read its stdin is fine
    child.stdin?.end(`${JSON.stringify(document)}\n`);
    const timer = setTimeout(() => {
      fail(`timed out after ${this.#hook.timeoutMs / 1000} s; killed`);
      killGroup(child);
    }, this.#hook.timeoutMs);
    child.on('error', (error) => fail(`could not start: ${error.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      this.#running.delete(child);
      if (code === 0) return;
      const tail = stderr.trim() === '' ? '' : `: ${stderr.trim()}`;
      fail(signal !== null ? `killed by ${signal}${tail}` : `exited with code ${code}${tail}`);
    });
  }

  /** Commands still running (tests, and the stop below). */
  get running(): number {
    return this.#running.size;
  }

  // The guard stops: commands still running are killed (their process groups).
  stopAll(): void {
    this.#stopping = true;
    for (const child of this.#running) killGroup(child);
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
