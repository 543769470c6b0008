// guard watch: the protection loop without a child, in the foreground, until Ctrl-C or SIGTERM.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT, exitCodeOf, GuardError } from '../../errors.js';
import { droidMissionsRoot } from '../../install/targets.js';
import { defineCommand, jsonOption } from '../command.js';
import { droidRootOf, missionDirFor, missionGuardOptions, profileFor, profileOptions, refuseNonMission, resolveMissionDir } from '../mission.js';
import { looksLikeMission, MISSION_MARKERS } from '../../profiles/profile.js';
import { errorLine, startGuarding, waitForStopSignal } from '../guarding.js';
import { incidentOptions, parseIncidentHook, parseRetryHeldMs } from '../incident-options.js';

export const watchCommand = defineCommand({
  name: 'watch',
  usage: 'guard watch [DIR...] [--root DIR] [--quiet | --json] [--on-incident CMD] [--settle-ms N] [--stuck-ms N] [--recheck-ms N] [--profile P | --config F] [--force] [--max-files N]',
  summary: 'protect mission dirs in the foreground (a background safety net)',
  options: { ...jsonOption, ...profileOptions, ...missionGuardOptions, ...incidentOptions, root: { type: 'string' }, 'settle-ms': { type: 'string' }, 'stuck-ms': { type: 'string' }, 'recheck-ms': { type: 'string' }, mission: { type: 'string', short: 'm', multiple: true }, quiet: { type: 'boolean', short: 'q' }, 'retry-held-ms': { type: 'string' } },
  async run(ctx, { values, positionals }) {
    if ([...positionals, ...(values.mission ?? [])].includes('')) throw new GuardError('USAGE', 'a mission dir was given as an empty string; name the dir');
    const dirs = [...positionals, ...(values.mission ?? [])].map((dir) => resolve(ctx.io.cwd, dir));
    let root = values.root === undefined ? undefined : resolve(ctx.io.cwd, values.root);
    if (dirs.length === 0 && root === undefined) {
      const here = ctx.io.env.GUARD_MISSION !== undefined && ctx.io.env.GUARD_MISSION !== '' ? ctx.io.env.GUARD_MISSION : looksLikeMission(missionDirFor(ctx.io.cwd)) ? ctx.io.cwd : undefined;
      if (here !== undefined) dirs.push(resolveMissionDir(ctx, here));
      else root = droidMissionsRoot({ home: ctx.home, cwd: ctx.io.cwd, env: ctx.io.env });
    }
    if (root !== undefined && !(existsSync(root) && statSync(root).isDirectory())) {
      throw new GuardError('MISSION_NOT_FOUND', `the missions root ${root} does not exist. Name an existing dir with --root DIR, or a mission dir with guard watch DIR.`);
    }
    const onIncident = parseIncidentHook(values);
    const retryHeldMs = parseRetryHeldMs(values['retry-held-ms']);
    // Watching a dir before the orchestrator writes into it takes --force; `/`, a home dir or a
    // missions root never. All are checked before any guardian starts.
    const missionDirs = dirs.map((dir) => {
      const missionDir = resolveMissionDir(ctx, dir);
      refuseNonMission(ctx, missionDir, values, droidRootOf(ctx));
      if (!looksLikeMission(missionDir)) ctx.print.err(`guard: ${missionDir} holds no mission files yet (${MISSION_MARKERS.join(', ')}); guarding it anyway (--force).`);
      return missionDir;
    });
    const stopSignal = waitForStopSignal(); // before the baseline: Ctrl-C during start still stops cleanly
    const guarding = startGuarding(ctx, {
      mode: 'watch',
      json: values.json === true,
      quiet: values.quiet === true,
      hooks: false,
      settleMs: values['settle-ms'],
      stuckMs: values['stuck-ms'],
      recheckMs: values['recheck-ms'],
      onIncident,
      retryHeldMs,
      profileFor: (dir) => profileFor(ctx, dir, values, 'last-adopted'),
    });
    const { supervisor } = guarding;
    // SIGTERM during a long start (a baseline waiting on a writer) stops at once: the stop aborts
    // the guardians still starting, and no further mission is added.
    let stopping: string | undefined;
    const starting = (async () => {
      for (const missionDir of missionDirs) if (stopping === undefined) await supervisor.add(missionDir);
      if (root !== undefined && stopping === undefined) await supervisor.watchRoot(root, true);
    })();
    try {
      const first = await Promise.race([starting.then(() => undefined), stopSignal]);
      if (first !== undefined) {
        stopping = first;
        await guarding.stop(first);
        await starting.catch(() => undefined);
        return supervisor.frozen ? EXIT.frozen : EXIT.ok;
      }
    } catch (error) {
      await guarding.stop('start failed');
      throw error;
    }
    guarding.announce();
    if (root !== undefined && values.quiet !== true && values.json !== true) ctx.print.out(`watching ${root} for missions (${supervisor.guardians.size} guarded${supervisor.held.size > 0 ? `, ${supervisor.held.size} held by another guard` : ''}); Ctrl-C to stop`);
    const reason = await Promise.race([stopSignal, guarding.fatal]);
    await guarding.stop(typeof reason === 'string' ? reason : 'fatal error');
    if (typeof reason !== 'string') {
      ctx.print.err(errorLine(ctx, reason));
      return exitCodeOf(reason);
    }
    return supervisor.frozen ? EXIT.frozen : EXIT.ok;
  },
});
