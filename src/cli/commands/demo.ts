// guard demo: the README's first command. `guard run` on a simulated droid mission in a temp dir:
// a few features complete, then a failed finalization write and a late rewrite of features.json
// that puts completed features back to pending. The guard restores both and freezes; the demo then
// shows `guard status`, the diff of the bad write, and the `guard ack` command. No network, no
// droid, no API key.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { shellQuote } from '../../core/freeze.js';
import { createDemoMission } from '../../demo/demo-mission.js';
import { demoOutcome, SIMULATOR } from '../../demo/outcome.js';
import { EXIT, GuardError } from '../../errors.js';
import { guardBinPath } from '../../run/guard-bin.js';
import { defineCommand, type Context } from '../command.js';
import { parseSettleMs } from '../guarding.js';
import { issuesText } from '../render.js';

const DEFAULT_PACE_MS = 150;

export const demoCommand = defineCommand({
  name: 'demo',
  usage: 'guard demo [--dir DIR] [--pace-ms N] [--settle-ms N]   (DIR: an empty or new folder; default: a fresh temp dir)',
  summary: 'see the guard catch a mission-state corruption on a simulated droid mission (seconds, offline)',
  options: { dir: { type: 'string' }, 'pace-ms': { type: 'string' }, 'settle-ms': { type: 'string' } },
  async run(ctx, { values, positionals }) {
    if (positionals.length > 0) throw new GuardError('USAGE', `guard demo takes no arguments (got "${positionals.join(' ')}")`);
    const pace = values['pace-ms'] ?? String(DEFAULT_PACE_MS);
    if (!/^\d{1,5}$/.test(pace)) throw new GuardError('USAGE', `--pace-ms must be a whole number of milliseconds (got "${pace}")`);
    const settle = values['settle-ms'] === undefined ? [] : ['--settle-ms', String(parseSettleMs(values['settle-ms']))];
    const dir = demoDir(ctx, values.dir);
    const ownHome = ctx.io.env.GUARD_HOME === undefined || ctx.io.env.GUARD_HOME === '';
    const guardHome = ownHome ? join(dir, 'guard-home') : ctx.guardHome;
    const mission = join(dir, 'missions', randomUUID());
    createDemoMission(mission);
    const env = { ...ctx.io.env, GUARD_HOME: guardHome };
    const bin = guardBinPath();
    const guard = (args: string[], options: { capture?: boolean } = {}) =>
      execa(process.execPath, [bin, ...args], { env, extendEnv: false, cwd: dir, reject: false, stdio: options.capture === true ? 'pipe' : 'inherit' });

    const c = ctx.print.c;
    const q = shellQuote(mission);
    const home = ownHome ? `GUARD_HOME=${shellQuote(guardHome)} ` : '';
    ctx.print.out(c.bold('mission guard demo: a simulated droid mission (no network, no droid, no API key)'));
    ctx.print.out(`  mission dir: ${mission}`);
    ctx.print.out(`  guard state: ${guardHome}`);
    ctx.print.out('The simulated orchestrator completes three features, then two things go wrong:');
    ctx.print.out('  1. a finalization write of validation/m1/scrutiny/synthesis.json fails half-way;');
    ctx.print.out('  2. the orchestrator rewrites features.json from memory, putting completed features back to pending.');
    ctx.print.out(c.dim(`(running guard run --mission ${q} -- the simulated orchestrator)`));
    ctx.print.out();

    // Ctrl-C reaches `guard run` and the simulator directly; the demo waits for them and reports.
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    let run;
    try {
      run = await guard(['run', '--mission', mission, ...settle, '--', process.execPath, SIMULATOR, '--mission', mission, '--guard-home', guardHome, '--pace-ms', pace]);
    } finally {
      process.off('SIGINT', ignore);
    }
    const status = run.exitCode ?? 1;

    ctx.print.out();
    ctx.print.out(c.bold(`── ${home}guard status --mission ${q}`));
    await guard(['status', '--mission', mission]);
    ctx.print.out();
    ctx.print.out(c.bold(`── the bad write: ${home}guard diff --mission ${q} features.json`));
    const diff = await guard(['diff', '--mission', mission, 'features.json'], { capture: true });
    const outcome = await demoOutcome(guardHome, mission);
    if (diff.exitCode === EXIT.usage && String(diff.stderr).includes('unknown command')) {
      for (const incident of outcome.incidents) ctx.print.out(`  ${incident.path} (${incident.role}): ${issuesText(incident.issues)}`);
    } else {
      if (String(diff.stdout) !== '') ctx.print.out(String(diff.stdout).replace(/\n$/, ''));
      if (String(diff.stderr) !== '') ctx.print.err(String(diff.stderr).replace(/\n$/, ''));
    }

    ctx.print.out();
    ctx.print.out(c.bold('── outcome'));
    const intact = outcome.featuresAreLastGood && outcome.everCompleted.every((id) => outcome.completed.includes(id));
    ctx.print.out(
      intact
        ? `${c.green('intact')}: features.json is its last good version; every completed feature is still completed (${outcome.completed.join(', ')})`
        : `${c.red('NOT intact')}: features.json is not its last good version or lost completed features (completed now: ${outcome.completed.join(', ') || 'none'})`,
    );
    const finalization = outcome.incidents.filter((incident) => incident.finalization);
    if (finalization.length > 0) ctx.print.out(`${c.green('repaired')}: ${finalization.map((incident) => incident.path).join(', ')} restored in place (finalization files never freeze the mission)`);
    if (outcome.frozen) {
      ctx.print.out(`${c.red.bold('FROZEN')}: droid's scheduler stays paused until a human has looked. When satisfied, run:`);
      ctx.print.out(`  ${home}guard ack --mission ${q} --note "the rewrite was the orchestrator's mistake; last good restored"`);
    }
    ctx.print.out(c.dim(`(guard is ${bin} when it is not on your PATH; the demo's files are in ${dir}: rm -rf ${shellQuote(dir)} when done)`));
    if (status !== EXIT.frozen) ctx.print.err(`guard demo: guard run exited ${status}, expected ${EXIT.frozen} (frozen); the demo did not go as planned`);
    return status;
  },
});

// A fresh temp dir, or the given one when it is new or empty.
function demoDir(ctx: Context, given: string | undefined): string {
  if (given === undefined) return mkdtempSync(join(tmpdir(), 'guard-demo-'));
  const dir = resolve(ctx.io.cwd, given);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new GuardError('USAGE', `--dir ${dir} is not empty; give a new or empty folder (or leave --dir out for a temp dir)`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
