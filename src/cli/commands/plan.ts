// guard plan: the resume plan from durable truth: what is done (and why we know), what is truly
// pending in the orchestrator's scheduling order, and where features.json disagrees.
import { shellQuote } from '../../core/freeze.js';
import { describe } from '../../core/plan.js';
import { EXIT } from '../../errors.js';
import { fixCommand } from '../../mission/inspect.js';
import { defineCommand, jsonOption, missionOption } from '../command.js';
import { profileFor, profileOptions } from '../mission.js';
import { missionFromArgs } from '../mission-arg.js';
import { inspectView, viewMission } from '../mission-view.js';
import { issuesText } from '../render.js';
import { orchestratorOf } from '../../profiles/profile.js';
import { groupLines, readSummaryGroups } from '../summary-words.js';

export const planCommand = defineCommand({
  name: 'plan',
  usage: 'guard plan [DIR | --mission DIR] [--json]',
  summary: 'the resume plan from durable truth: done, truly pending, and where features.json disagrees',
  options: { ...missionOption, ...jsonOption, ...profileOptions },
  async run(ctx, { values, positionals }) {
    const dir = missionFromArgs(ctx, 'plan', values.mission, positionals);
    const view = await viewMission(ctx.guardHome, dir);
    const profile = profileFor(ctx, dir, values);
    const { summary, plan, disagreements } = await inspectView(view, profile);
    const orchestrator = orchestratorOf(profile);
    // An orchestrator whose summary the feature plan cannot read (Task Master) is planned in its own words.
    const words = summary === undefined ? await readSummaryGroups(profile, view) : undefined;
    const missionDir = view.paths.missionDir;
    const withFix = disagreements.map((item) => ({ ...item, command: fixCommand(item.fix, missionDir) }));
    if (values.json === true) {
      const frozenNext = view.state.freeze.kind === 'frozen' ? `guard ack --mission ${shellQuote(missionDir)} --note "..."` : null;
      ctx.print.json({ mission: missionDir, summary: summary?.path ?? null, frozen: view.state.freeze.kind === 'frozen', next: frozenNext ?? (disagreements.some((item) => item.severity === 'error') ? `guard verify --mission ${shellQuote(missionDir)}` : 'resume'), done: plan.done, pending: plan.pending, disagreements: withFix, finalization: plan.finalization, ...(words === undefined ? {} : { orchestrator: orchestrator.name, groups: words.counts.map(({ group, total, statuses, todo }) => ({ name: group, total, statuses, todo })) }) });
      return EXIT.ok;
    }
    const { c } = ctx.print;
    ctx.print.out(`resume plan for ${missionDir} (from the journal, ${view.state.seq} entries)`);
    if (words !== undefined) {
      const { vocabulary } = orchestrator;
      const todo = words.counts.flatMap(({ group, todo: items }) => items.map((item) => ({ group, ...item })));
      ctx.print.out(`${orchestrator.title} ${words.path} as last accepted (${words.digest.slice(0, 12)}):`);
      for (const line of groupLines(orchestrator, words)) ctx.print.out(`  ${line}`);
      ctx.print.out(`${vocabulary.items} still to do, in file order (${todo.length}):`);
      for (const item of todo) ctx.print.out(`  ${vocabulary.group?.one ?? 'group'} ${item.group}, ${vocabulary.item} ${item.id}${item.title === undefined ? '' : ` ${item.title}`} (${item.status})`);
    } else if (summary === undefined) ctx.print.out(c.dim('  this profile has no summary artifact with statuses; nothing to plan'));
    if (words === undefined) {
      ctx.print.out(`done (${plan.done.length}):`);
      for (const feature of plan.done) ctx.print.out(`  ${c.green('✓')} ${feature.id} ${feature.status}: ${feature.backing.map(describe).join('; ')}`);
      ctx.print.out(`truly pending, in scheduling order (${plan.pending.length}):`);
      for (const feature of plan.pending) ctx.print.out(`  ${feature.position + 1}. ${feature.id}${feature.status === 'pending' ? '' : ` (${feature.status})`}`);
    }
    if (withFix.length > 0) {
      ctx.print.out(c.yellow(`where the mission files disagree (${withFix.length}):`));
      for (const item of withFix) ctx.print.out(`  ${item.severity === 'error' ? c.red('✗') : c.yellow('!')} ${item.message}\n      fix: ${item.command}`);
    }
    if (plan.finalization.length > 0) {
      ctx.print.out(`finalization incidents (repaired in place; they never change the plan) (${plan.finalization.length}):`);
      for (const incident of plan.finalization) ctx.print.out(`  #${incident.id} ${incident.path} (${incident.outcome}): ${issuesText(incident.issues)}`);
    }
    const errors = withFix.filter((item) => item.severity === 'error').length;
    const freeze = view.state.freeze;
    if (freeze.kind === 'frozen') {
      const mission = shellQuote(missionDir);
      ctx.print.out(c.red(`the mission is FROZEN since ${freeze.since} (incident ${freeze.incident}): ${freeze.reason}`));
      ctx.print.out(`next: ${errors > 0 ? 'repair as above, then ' : ''}guard ack --mission ${mission} --note "..." (it unfreezes only when the mission passes its checks); do not resume before.`);
      return EXIT.ok;
    }
    ctx.print.out(errors > 0 ? `next: repair, then check with: guard verify --mission ${shellQuote(missionDir)}` : `next: resume; only the ${words === undefined ? 'pending' : 'still to do'} ${orchestrator.vocabulary.items} above are left`);
    return EXIT.ok;
  },
});
