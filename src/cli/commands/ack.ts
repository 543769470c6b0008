// guard ack: a human acknowledges the repair; the mission unfreezes only if it passes its checks.
import { unlink } from 'node:fs/promises';
import { openIncidents } from '../../core/replay.js';
import { shellQuote } from '../../core/freeze.js';
import { EXIT, GuardError } from '../../errors.js';
import { checkMission } from '../../mission/mission-check.js';
import { fixCommand, inspectMission } from '../../mission/inspect.js';
import { MissionStore } from '../../mission/mission-store.js';
import { defineCommand, jsonOption, missionOption } from '../command.js';
import { profileFor, profileOptions } from '../mission.js';
import { missionFromArgs } from '../mission-arg.js';
import { issuesText } from '../render.js';
import { confirmHuman, humanOption } from '../human.js';
import { whoAmI } from './restore.js';

export const ackCommand = defineCommand({
  name: 'ack',
  usage: 'guard ack --note TEXT [DIR | --mission DIR] [--yes-i-am-human] [--json]',
  summary: 'acknowledge a repair and unfreeze (only when the mission passes its checks)',
  options: { ...missionOption, ...jsonOption, ...profileOptions, ...humanOption, note: { type: 'string' } },
  async run(ctx, { values, positionals }) {
    if (values.note === undefined || values.note.trim() === '') throw new GuardError('USAGE', 'guard ack needs --note TEXT saying what was repaired (it is kept in the journal)');
    const dir = missionFromArgs(ctx, 'ack', values.mission, positionals);
    const store = await MissionStore.open(ctx.guardHome, dir, profileFor(ctx, dir, values));
    const incidents = openIncidents(store.state);
    const mission = shellQuote(store.paths.missionDir);
    if (store.state.freeze.kind === 'open' && incidents.length === 0) {
      if (values.json === true) ctx.print.json({ acknowledged: false, frozen: false, reason: 'not frozen' });
      else ctx.print.out(`mission ${store.paths.missionDir} is not frozen; nothing to acknowledge`);
      return EXIT.ok;
    }
    await confirmHuman(ctx, values, `unfreeze mission ${store.paths.missionDir} (${incidents.length} open incident(s))?`);
    const check = await checkMission(store);
    if (check.problems.length > 0) {
      if (values.json === true) ctx.print.json({ acknowledged: false, frozen: true, problems: check.problems });
      else {
        ctx.print.err(`not unfrozen: mission ${store.paths.missionDir} still fails its checks:`);
        for (const problem of check.problems) ctx.print.err(`  ${problem.path}: ${issuesText(problem.issues)}`);
        ctx.print.err(`Put the last good version back with: guard repair --mission ${mission} --restore ${check.problems[0]?.path ?? 'ARTIFACT'}; then run guard ack again.`);
      }
      return EXIT.checkFailed;
    }
    const { profile, state, objects } = store;
    const disagreements = (await inspectMission({ missionDir: store.paths.missionDir, profile, state, objects })).disagreements.filter((item) => item.severity === 'error');
    if (disagreements.length > 0) {
      if (values.json === true) ctx.print.json({ acknowledged: false, frozen: true, problems: [], disagreements });
      else {
        ctx.print.err(`not unfrozen: mission ${store.paths.missionDir} disagrees with durable truth:`);
        for (const item of disagreements) ctx.print.err(`  ${item.message}\n    fix: ${fixCommand(item.fix, store.paths.missionDir)}`);
        ctx.print.err('Then run guard ack again.');
      }
      return EXIT.checkFailed;
    }
    // The acknowledgement covers exactly the incidents checked here: if the guardian journaled
    // another one meanwhile, nothing is acknowledged.
    const ids = incidents.map((incident) => incident.id);
    const unchanged = () => openIncidents(store.state).map((incident) => incident.id).join() === ids.join();
    const who = whoAmI(ctx);
    const acknowledged = (await check.recordAccepted('repair')) && (await store.journal.appendIf(unchanged, { kind: 'acknowledged', note: values.note, who, incidents: ids })) !== null;
    if (!acknowledged) {
      if (values.json === true) ctx.print.json({ acknowledged: false, frozen: store.state.freeze.kind === 'frozen', reason: 'the mission changed while it was checked' });
      else ctx.print.err(`not unfrozen: mission ${store.paths.missionDir} changed while it was checked (a new write or incident). Look at guard status --mission ${mission}, then run guard ack again.`);
      return EXIT.checkFailed;
    }
    await unlink(store.paths.sentinel).catch(() => undefined);
    if (values.json === true) ctx.print.json({ acknowledged: true, frozen: false, incidents: ids });
    else ctx.print.out(`${ctx.print.c.green('unfrozen')}: mission ${store.paths.missionDir} passes its checks; ${incidents.length} incident(s) acknowledged. The orchestrator may resume (droid: StartMissionRun).`);
    return EXIT.ok;
  },
});
