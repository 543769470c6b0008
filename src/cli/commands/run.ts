/**
 * guard run: protect a mission while an orchestrator runs as our child (DESIGN.md §9).
 *
 * Theory of operation, in order:
 * 1. Take every mission's lock and baseline it (or watch a missions root: droid creates its
 *    mission dir on the first turn, so `guard run -- droid` adopts dirs as they appear).
 * 2. A mission found invalid is frozen at start: the child is not launched (fail closed).
 * 3. Launch the child with the terminal inherited and journal `child-started` in every mission
 *    (missions adopted later get it on adoption). From here the guard writes nothing to stdout.
 * 4. Until the child exits: incidents go to stderr, one line each; `--suspend-child` stops the
 *    child's process group while any mission is frozen and continues it after `guard ack`.
 * 5. A fatal guard error (journal unwritable, lock lost) stops the child: SIGTERM, then SIGKILL.
 * 6. Journal `child-exited`, stop the guardians, exit with the child's status (3 when it exited 0
 *    but a mission ended frozen).
 */
import { mkdir } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { constants } from 'node:os';
import { shellQuote } from '../../core/freeze.js';
import { EXIT, exitCodeOf, GuardError } from '../../errors.js';
import type { Guardian } from '../../guardian/guardian.js';
import { droidMissionsRoot } from '../../install/targets.js';
import { exitStatusOf, launchChild, type Child, type ChildExit } from '../../run/child.js';
import { relaySignals, type SignalRelay } from '../../run/signals.js';
import { defineCommand, type Context, type Parsed } from '../command.js';
import { errorLine, parseRecheckMs, parseSettleMs, parseStuckMs, startGuarding } from '../guarding.js';
import { droidRootOf, missionGuardOptions, profileFor, profileOptions, refuseNonMission, resolveMissionDir } from '../mission.js';
import { incidentOptions, parseIncidentHook, parseRetryHeldMs } from '../incident-options.js';
import { frozenElsewhere } from '../ended-frozen.js';
import type { IncidentHook } from '../../run/incident-hook.js';
import { droidHooksReport, verdictLine } from './doctor.js';

/** How long a child gets between SIGTERM and SIGKILL when the guard must stop it. */
export const STOP_GRACE_MS = 3000;

const USAGE = 'guard run [--profile P] [--config F] [--mission DIR | --root DIR] [--settle-ms N] [--stuck-ms N] [--recheck-ms N] [--suspend-child] [--no-hooks] [--force] [--max-files N] [--on-incident CMD] -- CMD [ARGS...]';

/** Everything the run needs, resolved at the edge. */
interface RunPlan {
  command: readonly string[];
  missions: readonly string[];
  root: { dir: string; existing: boolean } | undefined;
  hooks: boolean;
  /** The command is droid run with the droid profile. */
  droid: boolean;
  suspend: boolean;
  settleMs: string | undefined;
  stuckMs: string | undefined;
  recheckMs: string | undefined;
  profile: { profile?: string; config?: string };
  onIncident: IncidentHook | undefined;
  retryHeldMs: number;
}

const OPTIONS = {
  ...profileOptions,
  ...missionGuardOptions,
  mission: { type: 'string', short: 'm' },
  root: { type: 'string' },
  'settle-ms': { type: 'string' },
  'stuck-ms': { type: 'string' },
  'recheck-ms': { type: 'string' },
  'suspend-child': { type: 'boolean' },
  'no-hooks': { type: 'boolean' },
  ...incidentOptions,
  'retry-held-ms': { type: 'string' },
} as const;

export const runCommand = defineCommand({
  name: 'run',
  usage: USAGE,
  summary: 'run an orchestrator (droid, or any command) with its mission guarded; exits with its code',
  options: OPTIONS,
  passthrough: true,
  async run(ctx, { values, positionals, rest }) {
    const plan = planRun(ctx, values, positionals, rest);
    if (plan.droid && !hooksWillFire(ctx, plan)) return EXIT.checkFailed;
    const relay = relaySignals(ctx.io.stdin.isTTY === true);
    try {
      return await guardedRun(ctx, plan, relay);
    } finally {
      relay.dispose();
    }
  },
});

function planRun(ctx: Context, values: Parsed<typeof OPTIONS>['values'], positionals: string[], rest: string[]): RunPlan {
  if (positionals.length > 0) throw new GuardError('USAGE', `the command goes after "--" (got "${positionals.join(' ')}" before it)\nusage: ${USAGE}`);
  if (rest.length === 0 || rest[0] === '') throw new GuardError('USAGE', `no command to run: put it after "--", e.g. guard run -- droid\nusage: ${USAGE}`);
  parseSettleMs(values['settle-ms']);
  parseStuckMs(values['stuck-ms']);
  parseRecheckMs(values['recheck-ms']);
  const { mission, root } = values;
  if (mission !== undefined && root !== undefined) throw new GuardError('USAGE', `--mission and --root are exclusive: guard one mission dir, or adopt every mission dir under a root\nusage: ${USAGE}`);
  const profile = { ...(values.profile === undefined ? {} : { profile: values.profile }), ...(values.config === undefined ? {} : { config: values.config }) };
  // droid mode: the droid profile (the default) and a command named droid.
  const droid = basename(rest[0] as string) === 'droid' && (profile.profile ?? 'droid') === 'droid' && profile.config === undefined;
  const where = { home: ctx.home, cwd: ctx.io.cwd, env: ctx.io.env };
  const missions = mission !== undefined ? [resolveMissionDir(ctx, mission)] : root === undefined && !droid ? [resolveMissionDir(ctx, undefined)] : [];
  for (const dir of missions) refuseNonMission(ctx, dir, values, droidRootOf(ctx));
  return {
    command: rest,
    missions,
    // droid's missions root holds every past mission: adopt those droid touches, not all of them.
    root: root !== undefined ? { dir: resolve(ctx.io.cwd, root), existing: !droid } : mission === undefined && droid ? { dir: droidMissionsRoot(where), existing: false } : undefined,
    hooks: droid && values['no-hooks'] !== true,
    droid,
    suspend: values['suspend-child'] === true,
    settleMs: values['settle-ms'],
    stuckMs: values['stuck-ms'],
    recheckMs: values['recheck-ms'],
    profile,
    onIncident: parseIncidentHook(values),
    retryHeldMs: parseRetryHeldMs(values['retry-held-ms']),
  };
}

async function guardedRun(ctx: Context, plan: RunPlan, relay: SignalRelay): Promise<number> {
  const print = ctx.print;
  let child: Child | undefined;
  let failure: Error | undefined;
  let reportFailure: (error: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => (reportFailure = resolve));
  const fail = (error: Error) => {
    failure ??= error;
    reportFailure(error);
  };
  const journalStart = (guardian: Guardian, running: Child) => {
    guardian.store.append({ kind: 'child-started', pid: running.pid, command: [...plan.command] }).catch(fail);
  };
  const syncSuspension = () => {
    if (!plan.suspend || child === undefined || child.hasExited) return;
    const frozen = supervisor.frozen;
    if (frozen && !child.suspended) {
      child.suspend();
      print.err(`guard: mission frozen: stopped ${plan.command[0]} (process group ${child.pid}) until guard ack`);
    } else if (!frozen && child.suspended) {
      child.resume();
      print.err(`guard: mission acknowledged: continued ${plan.command[0]} (process group ${child.pid})`);
    }
  };

  const guarding = startGuarding(ctx, {
    mode: 'run',
    json: false,
    quiet: true,
    hooks: plan.hooks,
    settleMs: plan.settleMs,
    stuckMs: plan.stuckMs,
    recheckMs: plan.recheckMs,
    onIncident: plan.onIncident,
    retryHeldMs: plan.retryHeldMs,
    profileFor: (dir) => profileFor(ctx, dir, plan.profile, 'last-adopted'),
    onEntries: () => syncSuspension(),
    onAdopted: (guardian) => {
      if (child !== undefined && !child.hasExited) journalStart(guardian, child);
      syncSuspension();
    },
  });
  const { supervisor } = guarding;
  void guarding.fatal.then(fail);
  // A stop signal during a long start (a baseline waiting on a writer) stops at once: the stop
  // aborts the guardians still starting, and no further mission is added.
  let stopping = false;
  const starting = (async () => {
    for (const dir of plan.missions) if (!stopping) await supervisor.add(dir);
    if (plan.root !== undefined && !stopping) {
      await mkdir(plan.root.dir, { recursive: true });
      await supervisor.watchRoot(plan.root.dir, plan.root.existing);
    }
  })();
  try {
    const early = await Promise.race([starting.then(() => undefined), relay.whenEarly]);
    if (early !== undefined) {
      stopping = true;
      await guarding.stop(`stopped by ${early} before the child started`);
      await starting.catch(() => undefined);
      return 128 + (constants.signals[early] ?? 0);
    }
  } catch (error) {
    await guarding.stop('start failed');
    throw error;
  }

  const refusal = failure !== undefined ? undefined : frozenAtStart(ctx, plan, [...supervisor.guardians.values()]);
  if (failure !== undefined || refusal !== undefined || relay.early !== undefined) {
    await guarding.stop(failure !== undefined ? 'fatal error' : refusal !== undefined ? 'frozen at start; child not started' : `stopped by ${relay.early} before the child started`);
    if (failure !== undefined) {
      print.err(`guard run: ${errorLine(ctx, failure)}`);
      return exitCodeOf(failure);
    }
    if (refusal !== undefined) return refusal;
    return 128 + (constants.signals[relay.early as NodeJS.Signals] ?? 0);
  }

  const launched = await launchChild({ command: [...plan.command], env: ctx.io.env, cwd: ctx.io.cwd, detached: plan.suspend });
  if (launched.kind === 'launch-failed') {
    print.err(`guard run: ${launched.message}`);
    await guarding.stop('the child could not be started');
    return launched.status;
  }
  const running = launched;
  child = running;
  relay.attach(running);
  for (const guardian of supervisor.guardians.values()) journalStart(guardian, running);
  syncSuspension();

  const outcome = await Promise.race([running.exited.then((exit) => ({ exit })), failed.then((error) => ({ error }))]);
  if ('error' in outcome) {
    print.err(`guard run: ${errorLine(ctx, outcome.error)}`);
    print.err(`guard run: the mission is no longer protected; stopping ${plan.command[0]} (pid ${running.pid}): SIGTERM, then SIGKILL after ${STOP_GRACE_MS / 1000} s`);
    const exit = await running.stop(STOP_GRACE_MS);
    await journalExit(supervisor.guardians.values(), exit).catch(() => undefined);
    await guarding.stop('fatal error').catch(() => undefined);
    return exitCodeOf(outcome.error);
  }
  const { exit } = outcome;
  await journalExit(supervisor.guardians.values(), exit).catch((error: Error) => print.err(`guard run: could not journal the child's exit: ${errorLine(ctx, error)}`));
  await guarding.stop(`child exited (${exit.signal ?? `code ${exit.code}`})`);
  const status = exitStatusOf(exit);
  const frozen = [...supervisor.guardians.values()].filter((guardian) => guardian.frozen);
  for (const guardian of frozen) print.err(frozenLine(guardian, 'ended frozen'));
  // A mission another guard held (a `guard watch --root` adopted it first) counts too.
  const others = await frozenElsewhere(ctx, [...supervisor.held, ...plan.missions].filter((dir) => !supervisor.guardians.has(dir)));
  for (const dir of others) print.err(`guard run: mission ${dir} ended frozen (frozen by another guard).\n  inspect: guard status --mission ${shellQuote(dir)}\n  then:    guard ack --mission ${shellQuote(dir)} --note "..."`);
  return status === 0 && frozen.length + others.length > 0 ? EXIT.frozen : status;
}

/**
 * droid's workers and validators are started by its daemon with their own runtime settings: they
 * load the user's and the project's droid settings, never a `--settings` overlay of the
 * orchestrator (DROID.md §6). So `guard run -- droid` injects nothing (and never twice): it
 * requires the hooks installed where every droid process reads them (`guard init --droid`),
 * prints its verdict in one line, and refuses to start when droid would not run them.
 */
function hooksWillFire(ctx: Context, plan: RunPlan): boolean {
  if (!plan.hooks) {
    ctx.print.err("guard run: hooks off (--no-hooks): droid's tool calls are not checked before they run; the watcher still judges every write");
    return true;
  }
  const report = droidHooksReport(ctx);
  ctx.print.err(`guard run: ${verdictLine(report)}`);
  if (!report.fires) {
    ctx.print.err(`guard run: not starting ${plan.command.join(' ')}: its workers' and validators' tool calls would not be checked. Fix the above (details: guard doctor), or pass --no-hooks to rely on the watcher alone.`);
  }
  return report.fires;
}

// A mission invalid at start: say why and what to run, and refuse to launch (exit 3).
function frozenAtStart(ctx: Context, plan: RunPlan, guardians: Guardian[]): number | undefined {
  const frozen = guardians.filter((guardian) => guardian.frozen);
  if (frozen.length === 0) return undefined;
  for (const guardian of frozen) ctx.print.err(frozenLine(guardian, 'is frozen'));
  ctx.print.err(`guard run: not starting ${plan.command.join(' ')} into a frozen mission.`);
  return EXIT.frozen;
}

function frozenLine(guardian: Guardian, how: string): string {
  const freeze = guardian.store.state.freeze;
  const reason = freeze.kind === 'frozen' ? ` since ${freeze.since} (${freeze.reason})` : '';
  const dir = shellQuote(guardian.missionDir);
  return `guard run: mission ${guardian.missionDir} ${how}${reason}.\n  inspect: guard status --mission ${dir}\n  then:    guard ack --mission ${dir} --note "..."`;
}

async function journalExit(guardians: Iterable<Guardian>, exit: ChildExit): Promise<void> {
  await Promise.all([...guardians].map((guardian) => guardian.store.append({ kind: 'child-exited', code: exit.code, signal: exit.signal })));
}
