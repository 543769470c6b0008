// guard watch: the protection loop without a child, in the foreground, until Ctrl-C or SIGTERM.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT, exitCodeOf, GuardError } from '../../errors.js';
import { droidMissionsRoot } from '../../install/targets.js';
import { defineCommand, jsonOption } from '../command.js';
import { profileFor, profileOptions, resolveMissionDir } from '../mission.js';
import { looksLikeMission, MISSION_MARKERS } from '../../profiles/profile.js';
import { shellQuote } from '../../core/freeze.js';
import { errorLine, startGuarding, waitForStopSignal } from '../guarding.js';
import { incidentOptions, parseIncidentHook, parseRetryHeldMs } from '../incident-options.js';

export const watchCommand = defineCommand({
  name: 'watch',
  usage: 'guard watch [DIR...] [--root DIR] [--quiet | --json] [--on-incident CMD] [--settle-ms N] [--profile P | --config F]',
  summary: 'protect mission dirs in the foreground (a background safety net)',
  options: { ...jsonOption, ...profileOptions, ...incidentOptions, root: { type: 'string' }, 'settle-ms': { type: 'string' }, mission: { type: 'string', short: 'm', multiple: true }, quiet: { type: 'boolean', short: 'q' }, 'retry-held-ms': { type: 'string' } },
  async run(ctx, { values, positionals }) {
    const dirs = [...positionals, ...(values.mission ?? [])].map((dir) => resolve(ctx.io.cwd, dir));
    let root = values.root === undefined ? undefined : resolve(ctx.io.cwd, values.root);
    if (dirs.length === 0 && root === undefined) {
      const here = ctx.io.env.GUARD_MISSION !== undefined && ctx.io.env.GUARD_MISSION !== '' ? ctx.io.env.GUARD_MISSION : looksLikeMission(ctx.io.cwd) ? ctx.io.cwd : undefined;
      if (here !== undefined) dirs.push(resolveMissionDir(ctx, here));
      else root = droidMissionsRoot({ home: ctx.home, cwd: ctx.io.cwd, env: ctx.io.env });
    }
    if (root !== undefined && !(existsSync(root) && statSync(root).isDirectory())) {
      throw new GuardError('MISSION_NOT_FOUND', `the missions root ${root} does not exist. Name an existing dir with --root DIR, or a mission dir with guard watch DIR.`);
    }
    const onIncident = parseIncidentHook(values);
    const retryHeldMs = parseRetryHeldMs(values['retry-held-ms']);
    const stopSignal = waitForStopSignal(); // before the baseline: Ctrl-C during start still stops cleanly
    const guarding = startGuarding(ctx, {
      mode: 'watch',
      json: values.json === true,
      quiet: values.quiet === true,
      hooks: false,
      settleMs: values['settle-ms'],
      onIncident,
      retryHeldMs,
      profileFor: (dir) => profileFor(ctx, dir, values),
    });
    const { supervisor } = guarding;
    try {
      for (const dir of dirs) {
        // Watching a dir before the orchestrator writes into it is fine; a missions root is a mistake.
        if (!looksLikeMission(dir)) ctx.print.err(`guard: ${dir} holds no mission files yet (${MISSION_MARKERS.join(', ')}); guarding it anyway. If it holds missions, watch it with: guard watch --root ${shellQuote(dir)}`);
        await supervisor.add(resolveMissionDir(ctx, dir));
      }
      if (root !== undefined) await supervisor.watchRoot(root, true);
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
