// guard watch: the protection loop without a child, in the foreground, until Ctrl-C or SIGTERM.
import { resolve } from 'node:path';
import { EXIT, exitCodeOf, GuardError } from '../../errors.js';
import { defineCommand, jsonOption } from '../command.js';
import { droidRootOf, missionGuardOptions, profileFor, profileOptions, refuseNonMission, resolveMissionDir } from '../mission.js';
import { looksLikeMission, MISSION_MARKERS } from '../../profiles/profile.js';
import { errorLine, startGuarding, waitForStopSignal } from '../guarding.js';

export const watchCommand = defineCommand({
  name: 'watch',
  usage: 'guard watch [DIR...] [--root DIR] [--settle-ms N] [--stuck-ms N] [--recheck-ms N] [--profile droid | --config FILE] [--force] [--max-files N] [--json]',
  summary: 'protect mission dirs in the foreground (a background safety net)',
  options: { ...jsonOption, ...profileOptions, ...missionGuardOptions, root: { type: 'string' }, 'settle-ms': { type: 'string' }, 'stuck-ms': { type: 'string' }, 'recheck-ms': { type: 'string' }, mission: { type: 'string', short: 'm', multiple: true } },
  async run(ctx, { values, positionals }) {
    if ([...positionals, ...(values.mission ?? [])].includes('')) throw new GuardError('USAGE', 'a mission dir was given as an empty string; name the dir');
    const dirs = [...positionals, ...(values.mission ?? [])].map((dir) => resolve(ctx.io.cwd, dir));
    if (dirs.length === 0 && values.root === undefined) dirs.push(resolveMissionDir(ctx, undefined));
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
      quiet: false,
      hooks: false,
      settleMs: values['settle-ms'],
      stuckMs: values['stuck-ms'],
      recheckMs: values['recheck-ms'],
      profileFor: (dir) => profileFor(ctx, dir, values, 'last-adopted'),
    });
    const { supervisor } = guarding;
    try {
      for (const missionDir of missionDirs) await supervisor.add(missionDir);
      if (values.root !== undefined) await supervisor.watchRoot(resolve(ctx.io.cwd, values.root), true);
    } catch (error) {
      await supervisor.stop('start failed');
      throw error;
    }
    guarding.announce();
    const reason = await Promise.race([stopSignal, guarding.fatal]);
    await supervisor.stop(typeof reason === 'string' ? reason : 'fatal error');
    if (typeof reason !== 'string') {
      ctx.print.err(errorLine(ctx, reason));
      return exitCodeOf(reason);
    }
    return supervisor.frozen ? EXIT.frozen : EXIT.ok;
  },
});
