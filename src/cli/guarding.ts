// Shared by `guard watch` and `guard run`: start a supervisor whose journal entries are printed,
// and turn signals and fatal guardian errors into a reason to stop.
import { setFlagsFromString } from 'node:v8';
import type { EntryBody, JournalEntry } from '../core/entries.js';
import { GuardError, reportableError } from '../errors.js';
import type { Guardian } from '../guardian/guardian.js';
import { Supervisor } from '../guardian/supervisor.js';
import type { Profile } from '../profiles/profile.js';
import { shellQuote } from '../core/freeze.js';
import type { Context } from './command.js';
import { formatEntry, NOTABLE } from './render.js';
import { DEFAULT_STUCK_MS } from '../watch/completion.js';
import { DEFAULT_RECHECK_MS } from '../guardian/guardian.js';
import { IncidentTracker, nextStepText } from './incidents.js';
import { IncidentHookRunner, type IncidentHook } from '../run/incident-hook.js';

export interface GuardingOptions {
  mode: string;
  json: boolean;
  /** Incidents and errors only, on stderr; nothing on stdout (a child owns the terminal, or a service). */
  quiet: boolean;
  /** `--on-incident`: a command run once per incident with the incident as JSON on stdin. */
  onIncident?: IncidentHook | undefined;
  /** How often missions under a root held by another guard are tried again. */
  retryHeldMs?: number | undefined;
  hooks: boolean;
  settleMs: string | undefined;
  stuckMs?: string | undefined;
  recheckMs?: string | undefined;
  profileFor: (dir: string) => Profile;
  /** Also called with every journal entry, after it is shown (guard run's --suspend-child). */
  onEntries?: (dir: string, entries: JournalEntry[]) => void;
  /** Called once per adopted mission, after its baseline (guard run journals its child there). */
  onAdopted?: (guardian: Guardian) => void;
}

export const DEFAULT_SETTLE_MS = 50;

export function parseSettleMs(text: string | undefined): number {
  return parseMs('--settle-ms', text, DEFAULT_SETTLE_MS, 0, 60_000);
}

export function parseRecheckMs(text: string | undefined): number {
  return parseMs('--recheck-ms', text, DEFAULT_RECHECK_MS, 0, 3_600_000);
}

export function parseStuckMs(text: string | undefined): number {
  return parseMs('--stuck-ms', text, DEFAULT_STUCK_MS, 100, 3_600_000);
}

function parseMs(option: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new GuardError('USAGE', `${option} must be a whole number of milliseconds between ${min} and ${max} (got "${text}")`);
  return value;
}

/**
 * A guardian lives for hours and is idle nearly all the time, but adopting missions allocates in
 * bursts, and V8 then grows its young generation to 32 MB and keeps it (measured: 129 MB RSS for
 * 200 missions; 95 MB with this). V8 reads this flag each time it considers growing, so setting
 * it at run time works, unlike `--max-semi-space-size`. Collections stay cheap: little survives.
 */
function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

export function startGuarding(ctx: Context, options: GuardingOptions) {
  keepYoungGenerationSmall();
  let reportFatal: (error: Error) => void = () => undefined;
  const fatal = new Promise<Error>((resolve) => (reportFatal = resolve));
  const print = ctx.print;
  const tracker = new IncidentTracker(options.onIncident !== undefined);
  const hooks = options.onIncident === undefined ? undefined : new IncidentHookRunner(options.onIncident, ctx.io.env);
  let announced = false;
  // Incidents go to stderr with the commands that lead out of them; the rest to stdout unless quiet.
  const show = (dir: string, entries: JournalEntry[]) => {
    // A freeze by a bad write names its diff; one by the start-up cross-check names verify.
    const isRejection = (seq: number) => tracker.rejectedSeqs(dir).has(seq) || supervisor.guardians.get(dir)?.store.state.incidents.has(seq) === true;
    for (const entry of entries) {
      const notable = NOTABLE.has(entry.kind);
      const next = nextStepText(dir, entry, isRejection);
      if (options.json && !options.quiet) print.jsonLine({ mission: dir, ...entry, ...(next === '' ? {} : { next: next.replace(/^; /, '') }) });
      if (notable) print.err(`guard: ${shortDir(dir)} ${formatEntry(entry, print.c)}${next}`);
      else if (!options.json && !options.quiet) print.out(`${print.c.dim(shortDir(dir))} ${formatEntry(entry, print.c)}`);
    }
  };
  // Each incident once, to --on-incident; the guard never waits for the command.
  const react = () => {
    if (hooks === undefined) return;
    const command = options.onIncident?.command ?? '';
    const journal = (mission: string, body: EntryBody, what: string) =>
      supervisor.guardians.get(mission)?.store.append(body).catch((error: Error) => print.err(`guard: could not journal ${what}: ${errorLine(ctx, error)}`));
    for (const report of tracker.take((dir) => supervisor.guardians.get(dir)?.store.state)) {
      const start = () =>
        hooks.start(report, (reason) => {
          print.err(`guard: ${shortDir(report.mission)} --on-incident failed for incident ${report.incident}: ${reason}`);
          void journal(report.mission, { kind: 'incident-hook-failed', incident: report.incident, command, reason }, 'the --on-incident failure');
        });
      // Journaled before it starts, so a restart never runs it again for the same incident.
      void Promise.resolve(journal(report.mission, { kind: 'incident-reported', incident: report.incident, command }, 'the --on-incident start')).then(start);
    }
  };
  const progress = (ctx.io.stderr as { isTTY?: boolean }).isTTY === true && !options.json && !options.quiet;
  const supervisor = new Supervisor({
    guardHome: ctx.guardHome,
    settleMs: parseSettleMs(options.settleMs),
    stuckMs: parseStuckMs(options.stuckMs),
    recheckMs: parseRecheckMs(options.recheckMs),
    mode: options.mode,
    hooks: options.hooks,
    // Crash-safety tests kill the guard at an exact step (README "Testing aids").
    ...(ctx.io.env.GUARD_CRASH_AFTER === undefined ? {} : { crashAfter: ctx.io.env.GUARD_CRASH_AFTER }),
    profileFor: options.profileFor,
    ...(options.retryHeldMs === undefined ? {} : { retryHeldMs: options.retryHeldMs }),
    onEntries: (dir, entries) => {
      tracker.observe(dir, entries);
      show(dir, entries);
      react();
      options.onEntries?.(dir, entries);
    },
    onAdopted: (guardian) => {
      react();
      if (announced && !options.json && !options.quiet) print.out(describeGuardian(ctx, guardian));
      options.onAdopted?.(guardian);
    },
    // `run` stops its child when a mission it guards is no longer protected. `watch` keeps the
    // other missions guarded: the failed one is frozen by its sentinel (the guardian wrote it
    // before it stopped), and the process ends only when nothing is left to guard.
    onFatal: (dir, error) => {
      if (options.mode !== 'watch') return reportFatal(error);
      print.err(`guard: ${shortDir(dir)} is no longer protected (its sentinel freezes it): ${errorLine(ctx, error)}. The other missions stay guarded; fix it, then restart the guard.`);
      void supervisor.drop(dir, 'fatal error').finally(() => {
        if (supervisor.guardians.size === 0 && !supervisor.watchesRoot) reportFatal(error);
      });
    },
    onAdoptError: (dir, error) => print.err(`guard: cannot guard ${dir}: ${errorLine(ctx, error)}`),
    onHeld: (dir, error) => print.err(`guard: skipping ${dir} for now: ${errorLine(ctx, error).replace(/\. Stop that guardian first.*$/, '')}. It is adopted as soon as that guard stops.`),
    ...(progress ? { onProgress: (done: number, total: number) => ctx.io.stderr.write(`\radopting missions: ${done}/${total}${done === total ? '\n' : ''}`) } : {}),
  });
  return {
    supervisor,
    fatal,
    hooks,
    // One closing line per mission after start: what is guarded and whether it is frozen.
    announce() {
      announced = true;
      if (options.json || options.quiet) return;
      for (const guardian of supervisor.guardians.values()) print.out(describeGuardian(ctx, guardian));
      if (supervisor.guardians.size === 0) print.out('waiting for mission dirs to appear...');
    },
    // Stop guarding; --on-incident commands still running are killed.
    async stop(reason: string): Promise<void> {
      await supervisor.stop(reason);
      hooks?.stopAll();
    },
  };
}

function describeGuardian(ctx: Context, guardian: Guardian): string {
  const c = ctx.print.c;
  const dir = guardian.missionDir;
  if (!guardian.frozen) return `${c.green('guarding')} ${dir} (profile ${guardian.store.profile.name}); Ctrl-C to stop`;
  const mission = shellQuote(dir);
  return `${c.red('guarding')} ${dir}: ${c.red.bold('FROZEN')}. Inspect: guard status --mission ${mission} ; then: guard ack --mission ${mission} --note "..."`;
}

function shortDir(dir: string): string {
  const parts = dir.split('/');
  return `[${parts[parts.length - 1] ?? dir}]`;
}

// Resolves with the signal's name on SIGINT or SIGTERM.
export function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(`stopped by ${signal}`);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

// An error as one line: a GuardError's message, anything else marked as a bug.
export function errorLine(ctx: Context, error: Error): string {
  const reportable = reportableError(error);
  if (reportable !== undefined) return reportable.message;
  return `${ctx.print.c.red('internal error (a bug in mission guard)')}: ${error.stack ?? error.message}`;
}

