// guard verify: the journal chain, then every cross-check between the journal and the mission
// files. Exit 0 when consistent, 1 with one line per disagreement and the command that fixes it,
// 74 when the journal itself is damaged (the report names `guard repair --journal`).
import { EXIT, isGuardError } from '../../errors.js';
import { fixCommand } from '../../mission/inspect.js';
import type { Disagreement } from '../../core/plan.js';
import { defineCommand, jsonOption, missionOption, type Context } from '../command.js';
import { profileFor, profileOptions } from '../mission.js';
import { missionFromArgs } from '../mission-arg.js';
import { inspectView, viewMission, type MissionView } from '../mission-view.js';

export const verifyCommand = defineCommand({
  name: 'verify',
  usage: 'guard verify [DIR | --mission DIR] [--json]',
  summary: 'check the journal chain and cross-check it with features.json, state.json and the evidence files',
  options: { ...missionOption, ...jsonOption, ...profileOptions },
  async run(ctx, { values, positionals }) {
    const dir = missionFromArgs(ctx, 'verify', values.mission, positionals);
    let view: MissionView;
    let found: Disagreement[];
    try {
      view = await viewMission(ctx.guardHome, dir);
      found = (await inspectView(view, profileFor(ctx, dir, values))).disagreements;
    } catch (error) {
      if (!isGuardError(error) || error.code !== 'JOURNAL_CORRUPT') throw error;
      found = [{ code: 'journal-broken', severity: 'error', path: '(journal)', message: error.message, fix: ['repair', '--journal'] }];
      report(ctx, values.json === true, dir, undefined, found);
      return EXIT.stateIo; // the guard's own state is damaged: fail closed, like every other command
    }
    return report(ctx, values.json === true, view.paths.missionDir, view, found);
  },
});

function report(ctx: Context, json: boolean, missionDir: string, view: MissionView | undefined, found: Disagreement[]): number {
  const items = found.map((item) => ({ ...item, command: fixCommand(item.fix, missionDir) }));
  const errors = items.filter((item) => item.severity === 'error');
  const warnings = items.filter((item) => item.severity === 'warning');
  if (json) {
    ctx.print.json({ mission: missionDir, consistent: errors.length === 0, journal: view === undefined ? { ok: false } : { ok: true, entries: view.state.seq, tornBytes: view.tornBytes }, disagreements: errors, warnings });
  } else {
    for (const item of errors) ctx.print.out(`${item.message} -> ${item.command}`);
    for (const item of warnings) ctx.print.out(`${ctx.print.c.yellow('warning:')} ${item.message}`);
    if (errors.length === 0) ctx.print.out(`${ctx.print.c.green('consistent')}: the journal chain (${view?.state.seq ?? 0} entries) and the mission files agree`);
  }
  return errors.length === 0 ? EXIT.ok : EXIT.checkFailed;
}
