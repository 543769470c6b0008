// guard hook: the PreToolUse hook of droid and Claude Code (DESIGN.md §10). Exit 0 allows, exit 2
// denies with the reason on stderr. It runs on every agent tool call, so an unrelated call must
// cost little more than starting node: static imports stay tiny and the judging code is loaded
// only for calls that touch mission state. Hooks fail open: a broken payload or an internal error
// allows the call with a warning, and the watcher remains the safety net. A damaged journal is the
// exception: the guard fails closed there (DESIGN.md §5), so the call is denied.
import { join, resolve } from 'node:path';
import { EXIT, GuardError, isGuardError } from '../../errors.js';
import { readHookCall } from '../../hook/tool-calls.js';
import { defineCommand, readStream, type Context } from '../command.js';

/** droid and Claude Code feed stderr to the model and block the call on exit 2. */
const DENY = 2;

export const hookCommand = defineCommand({
  name: 'hook',
  usage: 'guard hook < PAYLOAD.json   (run by droid / Claude Code as a PreToolUse hook; install it with guard init)',
  summary: 'PreToolUse hook for droid and Claude Code (stdin payload; exit 2 denies)',
  options: {},
  async run(ctx) {
    if (ctx.io.stdin.isTTY === true) throw new GuardError('USAGE', 'guard hook reads a PreToolUse payload (JSON) on stdin; droid and Claude Code run it for you once it is installed (guard init)');
    const text = (await readStream(ctx.io.stdin)).toString('utf8');
    try {
      const call = readHookCall(text, ctx.io.cwd);
      if (call.action.kind === 'unrelated') return EXIT.ok;
      const { decideHookCall } = await import('../../hook/decide.js');
      const decision = await decideHookCall(call, hookSettings(ctx));
      if (decision.kind === 'deny') {
        ctx.print.err(decision.message);
        return DENY;
      }
      if (decision.warning !== undefined) ctx.print.err(decision.warning);
      return EXIT.ok;
    } catch (error) {
      // A damaged journal is not the guard's bug but its fail-closed state (DESIGN.md §5): nothing
      // touching that mission can be judged until a human repairs it.
      if (isGuardError(error) && error.code === 'JOURNAL_CORRUPT') {
        ctx.print.err(`mission guard denied this call: ${error.message}. A human must repair the journal first; until then no write to this mission's state and no new mission run can be checked.`);
        return DENY;
      }
      // A mission whose profile cannot be trusted or loaded fails closed too: judging its writes
      // with no rules, or with rules an agent wrote, would be failing open.
      if (isGuardError(error) && (error.code === 'CONFIG_INVALID' || error.code === 'CONFIG_NOT_ADOPTED')) {
        ctx.print.err(`mission guard denied this call: the mission's profile cannot be used: ${error.message}\nUntil a human fixes it, no write to this mission's state can be checked. Tell the user and wait.`);
        return DENY;
      }
      const detail = isGuardError(error) ? error.message : `internal error (a bug in mission guard; please report it): ${(error as Error).stack ?? String(error)}`;
      ctx.print.err(`guard hook: the call was allowed unchecked because the guard could not decide: ${detail}`);
      return EXIT.ok;
    }
  },
});

// Where droid keeps missions, and GUARD_MISSION, resolved here so nothing below reads the env.
function hookSettings(ctx: Context) {
  const env = ctx.io.env;
  const factoryHome = env.FACTORY_HOME_OVERRIDE !== undefined && env.FACTORY_HOME_OVERRIDE !== '' ? env.FACTORY_HOME_OVERRIDE : ctx.home;
  const guardMission = env.GUARD_MISSION !== undefined && env.GUARD_MISSION !== '' ? resolve(ctx.io.cwd, env.GUARD_MISSION) : undefined;
  return { guardHome: ctx.guardHome, home: ctx.home, missionsRoot: join(factoryHome, '.factory', 'missions'), guardMission };
}
