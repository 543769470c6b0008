// guard repair: the explicit repair mode (PROBLEM.md items 3-4). Every action is journaled with
// who and why, and none of them loses a completed feature: the writes go through the judge.
//   --restore ARTIFACT [--to SNAP]   put last good (or a chosen snapshot) back
//   --reopen FEATURE --reason TEXT   permit one forbidden transition for that feature
//   --rebuild features.json          write a summary consistent with durable truth (diff first)
//   --journal                        keep the verified prefix of a broken journal, quarantine the rest
import { join } from 'node:path';
import { shellQuote } from '../../core/freeze.js';
import { parseVersion, type ArtifactSpec } from '../../core/judge.js';
import { itemsOf } from '../../core/pointer.js';
import { EXIT, GuardError } from '../../errors.js';
import { readOrNull } from '../../mission/file-io.js';
import { summaryArtifact } from '../../mission/inspect.js';
import { MissionStore } from '../../mission/mission-store.js';
import { defineCommand, jsonOption, missionOption, type Context } from '../command.js';
import { profileFor, profileOptions, resolveMissionDir } from '../mission.js';
import { rebuild } from './repair-rebuild.js';
import { repairJournal } from './repair-journal.js';
import { restoreSnapshot, whoAmI } from './restore.js';
import { confirmHuman, humanOption } from '../human.js';

const options = {
  ...missionOption,
  ...jsonOption,
  ...profileOptions,
  restore: { type: 'string' },
  to: { type: 'string' },
  reopen: { type: 'string' },
  reason: { type: 'string' },
  rebuild: { type: 'string' },
  journal: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  ...humanOption,
} as const;

type Values = { [K in keyof typeof options]?: (typeof options)[K] extends { type: 'boolean' } ? boolean : string };

export const repairCommand = defineCommand({
  name: 'repair',
  usage: 'guard repair [--mission DIR] (--restore ARTIFACT [--to SNAP] | --reopen FEATURE --reason TEXT [--yes-i-am-human] | --rebuild features.json [--yes] | --journal) [--reason TEXT] [--json]',
  summary: 'restore, reopen a feature on purpose, rebuild features.json from durable truth, or fix the journal',
  options,
  async run(ctx, { values, positionals }) {
    // --to first: `guard repair --to SNAP` alone is a restore missing its artifact, not a missing action.
    if (values.to !== undefined && values.restore === undefined) throw new GuardError('USAGE', `--to SNAP goes with --restore ARTIFACT, e.g. guard repair --restore features.json --to ${shellQuote(values.to)}`);
    const actions = (['restore', 'reopen', 'rebuild', 'journal'] as const).filter((action) => values[action] !== undefined && values[action] !== false);
    if (actions.length !== 1 || positionals.length > 0) {
      throw new GuardError('USAGE', `guard repair takes exactly one of --restore, --reopen, --rebuild, --journal${positionals.length > 0 ? ` (unexpected: ${positionals.join(' ')})` : ''}\nusage: ${repairCommand.usage}`);
    }
    switch (actions[0]) {
      case 'restore':
        return restoreSnapshot(ctx, values, snapshotRef(values.restore as string, values.to), values.restore as string);
      case 'reopen':
        return reopen(ctx, values, values.reopen as string);
      case 'rebuild':
        return rebuild(ctx, values, values.rebuild as string);
      default:
        return repairJournal(ctx, values);
    }
  },
});

// The snapshot `--restore ARTIFACT [--to SNAP]` names: last good, or SNAP (a bare number is a
// seq of that artifact, like ARTIFACT@SEQ).
function snapshotRef(artifact: string, to: string | undefined): string {
  if (to === undefined) return artifact;
  return /^\d+$/.test(to) ? `${artifact}@${to}` : to;
}

// Journal a permit for one forbidden transition of one feature; the next write that uses it is
// accepted and journaled with the reason.
async function reopen(ctx: Context, values: Values, feature: string): Promise<number> {
  const reason = values.reason?.trim() ?? '';
  if (reason === '') throw new GuardError('USAGE', `--reopen ${feature} needs --reason TEXT saying why completed work is reopened (it is kept in the journal)`);
  const dir = resolveMissionDir(ctx, values.mission);
  const store = await MissionStore.open(ctx.guardHome, dir, profileFor(ctx, dir, values));
  const summary = summaryArtifact(store.profile);
  const known = store.state.features.has(feature) || (summary !== undefined && (await featureIds(store, summary)).has(feature));
  if (!known) throw new GuardError('USAGE', `no feature "${feature}" in the journal or ${summary?.path ?? 'the mission'}; guard plan --mission ${shellQuote(store.paths.missionDir)} lists them`);
  await confirmHuman(ctx, values, `permit reopening completed work on feature "${feature}" of ${store.paths.missionDir}?`);
  const entry = await store.append({ kind: 'reopen-permitted', feature, reason, who: whoAmI(ctx) });
  if (values.json === true) ctx.print.json({ permitted: true, feature, reason, seq: entry.seq });
  else {
    ctx.print.out(`reopen permitted for ${feature} (journal #${entry.seq}): the next write that reopens it is accepted once, journaled with your reason.`);
    ctx.print.out(`write it with: guard write --mission ${shellQuote(store.paths.missionDir)} ${summary?.path ?? 'ARTIFACT'} --from FILE`);
  }
  return EXIT.ok;
}

async function featureIds(store: MissionStore, summary: { path: string; spec: ArtifactSpec }): Promise<Set<string>> {
  const bytes = await readOrNull(join(store.paths.missionDir, summary.path));
  const parsed = bytes === null ? undefined : parseVersion(summary.spec, undefined, bytes);
  const selector = summary.spec.statusItems;
  if (parsed?.ok !== true || selector === undefined) return new Set();
  return new Set(itemsOf(parsed.value, selector).map((item) => item.key));
}

