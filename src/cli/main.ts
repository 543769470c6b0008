// The CLI entry: parse, dispatch, map errors to exit codes. Never calls process.exit and does
// nothing on import, so tests can call `main` in-process.
import { readFileSync } from 'node:fs';
import { EXIT, exitCodeOf, reportableError } from '../errors.js';
import { createContext, parseCommand, type Command, type Options } from './command.js';
import type { Io } from './render.js';
import { commandHelp } from './help.js';

/**
 * Commands are loaded on use: `guard hook` runs on every agent tool call and must not pay for
 * schemas, ajv or the watcher when the call is unrelated.
 */
const COMMANDS: ReadonlyArray<{ name: string; summary: string; load: () => Promise<Command<Options>> }> = [
  { name: 'run', summary: 'run an orchestrator (droid, or any command) with its mission guarded', load: async () => (await import('./commands/run.js')).runCommand as never },
  { name: 'demo', summary: 'see the guard catch a mission-state corruption on a simulated droid mission', load: async () => (await import('./commands/demo.js')).demoCommand as never },
  { name: 'watch', summary: 'protect mission dirs in the foreground (a background safety net)', load: async () => (await import('./commands/watch.js')).watchCommand as never },
  { name: 'status', summary: 'frozen or not, open incidents, artifact health, and what to do next', load: async () => (await import('./commands/status.js')).statusCommand as never },
  { name: 'ack', summary: 'acknowledge a repair and unfreeze (only when the mission passes its checks)', load: async () => (await import('./commands/ack.js')).ackCommand as never },
  { name: 'plan', summary: 'the resume plan from durable truth: done, truly pending, and where features.json disagrees', load: async () => (await import('./commands/plan.js')).planCommand as never },
  { name: 'verify', summary: 'check the journal chain and cross-check it with the mission files (exit 1 on disagreement)', load: async () => (await import('./commands/verify.js')).verifyCommand as never },
  { name: 'write', summary: 'write an artifact transactionally: judged, atomic, journaled; untouched on reject', load: async () => (await import('./commands/write.js')).writeCommand as never },
  { name: 'repair', summary: 'restore, reopen a feature on purpose, rebuild features.json from durable truth, or fix the journal', load: async () => (await import('./commands/repair.js')).repairCommand as never },
  { name: 'log', summary: 'the journal as a timeline', load: async () => (await import('./commands/log.js')).logCommand as never },
  { name: 'hook', summary: 'PreToolUse hook for droid and Claude Code (stdin payload; exit 2 denies)', load: async () => (await import('./commands/hook.js')).hookCommand as never },
  { name: 'init', summary: "install (or --remove) the guard's hooks in droid or Claude Code settings", load: async () => (await import('./commands/init.js')).initCommand as never },
  { name: 'doctor', summary: "whether droid will run the guard's hooks, and why not", load: async () => (await import('./commands/doctor.js')).doctorCommand as never },
  { name: 'snapshots', summary: 'list the stored versions of the artifacts (accepted, rejected, last good)', load: async () => (await import('./commands/snapshots.js')).snapshotsCommand as never },
  { name: 'show', summary: 'print the exact bytes of a stored version', load: async () => (await import('./commands/show.js')).showCommand as never },
  { name: 'diff', summary: 'feature-level and text diff between two versions (default: the last bad write)', load: async () => (await import('./commands/diff.js')).diffCommand as never },
  { name: 'config', summary: "adopt the mission's guard.config.json (only a human's adoption makes it trusted)", load: async () => (await import('./commands/config.js')).configCommand as never },
  { name: 'restore', summary: 'put a stored version back (judged like any write, journaled)', load: async () => (await import('./commands/restore.js')).restoreCommand as never },
  { name: 'export', summary: 'write one incident as a bundle for people (journal slice, bad and last good bytes, diff, README.md)', load: async () => (await import('./commands/export.js')).exportCommand as never },
  { name: 'service', summary: 'install, remove or check guard watch as a systemd user service (launchd on macOS: printed)', load: async () => (await import('./commands/service.js')).serviceCommand as never },
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'mission guard: protects the state files of multi-agent coding missions',
    '',
    'usage: guard <command> [options]',
    '',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run "guard <command> --help" for a command\'s options. Exit codes: 0 ok, 1 check failed,',
    '2 usage, 3 frozen, 4 locked by another guard, 70 internal error, 74 guard state unreadable.',
  ].join('\n');
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const ctx = createContext(io);
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    ctx.print.out(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    ctx.print.out(version());
    return EXIT.ok;
  }
  const entry = COMMANDS.find((candidate) => candidate.name === name);
  if (entry === undefined) {
    ctx.print.err(`guard: unknown command "${name}"\n\n${help()}`);
    return EXIT.usage;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    const before = command.passthrough === true && rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    if (before.includes('--help') || before.includes('-h')) {
      ctx.print.out(commandHelp(command));
      return EXIT.ok;
    }
  }
  const mine = command.passthrough === true && rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  const json = mine.includes('--json');
  try {
    return await command.run(ctx, parseCommand(command, rest));
  } catch (error) {
    const reportable = reportableError(error);
    const exit = reportable === undefined ? EXIT.internal : exitCodeOf(reportable);
    // With --json, an error is one JSON document on stdout too (schemas/cli/error.schema.json).
    if (json) ctx.print.json({ error: { code: reportable?.code ?? 'INTERNAL', message: reportable?.message ?? String((error as Error).message ?? error), exit } });
    if (reportable !== undefined) {
      ctx.print.err(prefixed(name, reportable.message));
      return exit;
    }
    ctx.print.err(`guard ${name}: internal error (a bug in mission guard; please report it):\n${(error as Error).stack ?? String(error)}`);
    return EXIT.internal;
  }
}

// `guard NAME: message`, always, with the command named once: "guard ack needs --note" reads
// "guard ack: needs --note", and every error line still starts with "guard NAME: ".
function prefixed(name: string, message: string): string {
  const own = `guard ${name}`;
  if (message.startsWith(`${own}: `)) return message;
  return `${own}: ${message.startsWith(`${own} `) ? message.slice(own.length + 1) : message}`;
}

function processIo(): Io {
  // `guard log | head` closes the pipe early: that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}
