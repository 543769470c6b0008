// guard repair: the explicit repair mode (PROBLEM.md items 3-4). Every action is journaled with
// who and why, and none of them loses a completed feature: the writes go through the judge.
//   --restore ARTIFACT [--to SNAP]   put last good (or a chosen snapshot) back
//   --reopen FEATURE --reason TEXT   permit one forbidden transition for that feature
//   --rebuild features.json          write a summary consistent with durable truth (diff first)
//   --journal                        keep the verified prefix of a broken journal, quarantine the rest
import { createInterface } from 'node:readline/promises';
import { join } from 'node:path';
import { diffVersions, shapeOf } from '../../core/diff.js';
import { shellQuote } from '../../core/freeze.js';
import { parseVersion, type ArtifactSpec } from '../../core/judge.js';
import { rebuildSummary } from '../../core/rebuild.js';
import { isRecord, itemsOf } from '../../core/pointer.js';
import type { Digest } from '../../core/types.js';
import { EXIT, GuardError } from '../../errors.js';
import { readOrNull } from '../../guardian/file-io.js';
import { inspectMission, summaryArtifact } from '../../guardian/inspect.js';
import { MissionStore } from '../../guardian/mission-store.js';
import { commitWrite } from '../../guardian/transact.js';
import { readJournal } from '../../store/journal.js';
import { defineCommand, jsonOption, missionOption, type Context } from '../command.js';
import { profileFor, profileOptions, resolveMissionDir } from '../mission.js';
import { issuesText } from '../render.js';
import { repairJournal } from './repair-journal.js';
import { restoreSnapshot, whoAmI } from './restore.js';

// How many journaled versions of the summary `--rebuild` searches for missing features.
const REBUILD_HISTORY = 500;

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
} as const;

type Values = { [K in keyof typeof options]?: (typeof options)[K] extends { type: 'boolean' } ? boolean : string };

export const repairCommand = defineCommand({
  name: 'repair',
  usage: 'guard repair [--mission DIR] (--restore ARTIFACT [--to SNAP] | --reopen FEATURE --reason TEXT | --rebuild features.json [--yes] | --journal) [--reason TEXT] [--json]',
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

// Write a summary consistent with durable truth, after showing what changes.
async function rebuild(ctx: Context, values: Values, artifact: string): Promise<number> {
  const dir = resolveMissionDir(ctx, values.mission);
  const store = await MissionStore.open(ctx.guardHome, dir, profileFor(ctx, dir, values));
  const missionDir = store.paths.missionDir;
  const summary = summaryArtifact(store.profile);
  if (summary === undefined || summary.path !== artifact.replace(/^\.\/+/, '') || summary.spec.statusItems === undefined) {
    throw new GuardError('USAGE', `--rebuild works on the summary artifact${summary === undefined ? ', and this profile has none' : ` (${summary.path})`}; for other artifacts use --restore ${artifact}`);
  }
  const { path, spec } = summary;
  const selector = summary.spec.statusItems;
  const { plan } = await inspectMission({ missionDir, profile: store.profile, state: store.state, objects: store.objects });
  const versions = await journaledVersions(store, path, spec);
  const base = (await store.lastGood(path, spec))?.doc ?? (await currentDoc(missionDir, path, spec)) ?? versions[0];
  if (base === undefined) throw new GuardError('REPAIR_REFUSED', `there is no readable version of ${path} to rebuild from (not on disk, not in the journal); write one with guard write --mission ${shellQuote(missionDir)} ${path} --from FILE`);
  const recovered = new Map<string, Record<string, unknown>>();
  for (const version of versions) {
    for (const item of itemsOf(version, selector)) if (!recovered.has(item.key) && isRecord(item.value)) recovered.set(item.key, item.value);
  }
  const rebuilt = rebuildSummary({ selector, base, done: plan.done, recovered });
  if (rebuilt.lost.length > 0) {
    throw new GuardError('REPAIR_REFUSED', `no journaled version of ${path} holds ${rebuilt.lost.join(', ')}, so a rebuild would lose completed work; restore an older snapshot instead: guard snapshots --mission ${shellQuote(missionDir)} ${path}`);
  }
  const bytes = Buffer.from(`${JSON.stringify(rebuilt.doc, null, 2)}\n`);
  const before = (await readOrNull(join(missionDir, path))) ?? Buffer.alloc(0);
  if (before.equals(bytes)) {
    if (values.json === true) ctx.print.json({ rebuilt: false, unchanged: true, path });
    else ctx.print.out(`${path} already agrees with durable truth; nothing to rebuild`);
    return EXIT.ok;
  }
  const change = diffVersions({ label: `${path} (now)`, bytes: before }, { label: `${path} (rebuilt)`, bytes }, shapeOf(spec));
  if (values.json !== true) {
    // Counted against the file on disk, as the diff below is: the rebuild starts from last good,
    // which usually holds every done feature already.
    const moved = change.features;
    const counts = moved === null ? 'the current file cannot be compared feature by feature' : `${moved.changed.length} status(es) changed, ${moved.added.length} feature(s) brought back`;
    ctx.print.out(`rebuild of ${path} from durable truth: ${counts}`);
    ctx.print.out(change.patch);
  }
  if (values.yes !== true && !(await confirm(ctx, `apply this rebuild of ${path}?`))) {
    if (ctx.io.stdin.isTTY !== true) throw new GuardError('USAGE', `nothing was written: without a terminal, --rebuild needs --yes to apply`);
    ctx.print.out('nothing was written');
    return EXIT.checkFailed;
  }
  const result = await commitWrite(store, path, bytes, 'repair');
  if (result.kind === 'rejected') {
    throw new GuardError('REPAIR_REFUSED', `the rebuilt ${path} does not pass its checks, so nothing was written: ${issuesText(result.issues)}`);
  }
  const reason = values.reason?.trim() || 'rebuild from durable truth';
  const digest = result.entry.kind === 'write-accepted' ? result.entry.digest : null;
  const repaired = await store.append({ kind: 'repaired', action: 'rebuild', path, digest, who: whoAmI(ctx), reason });
  const mission = shellQuote(missionDir);
  if (values.json === true) ctx.print.json({ rebuilt: true, path, digest, restored: rebuilt.restored, recovered: rebuilt.recovered, journal: { accepted: result.entry.seq, repaired: repaired.seq }, features: change.features });
  else {
    ctx.print.out(`${ctx.print.c.green('rebuilt')} ${path} (journal #${result.entry.seq}, #${repaired.seq})`);
    ctx.print.out(`next: guard verify --mission ${mission}${store.state.freeze.kind === 'frozen' ? `; then guard ack --mission ${mission} --note "..."` : ''}`);
  }
  return EXIT.ok;
}

// Parsed accepted versions of an artifact, newest first (at most REBUILD_HISTORY).
async function journaledVersions(store: MissionStore, path: string, spec: ArtifactSpec): Promise<unknown[]> {
  const digests: Digest[] = [];
  const { entries } = await readJournal(store.paths.journal);
  for (let i = entries.length - 1; i >= 0 && digests.length < REBUILD_HISTORY; i--) {
    const entry = entries[i];
    if (entry?.kind === 'write-accepted' && entry.path === path && entry.digest !== null && !digests.includes(entry.digest)) digests.push(entry.digest);
  }
  const docs: unknown[] = [];
  for (const digest of digests) {
    const parsed = parseVersion(spec, undefined, await store.objects.get(digest));
    if (parsed.ok) docs.push(parsed.value);
  }
  return docs;
}

async function currentDoc(missionDir: string, path: string, spec: ArtifactSpec): Promise<unknown> {
  const bytes = await readOrNull(join(missionDir, path));
  const parsed = bytes === null ? undefined : parseVersion(spec, undefined, bytes);
  return parsed?.ok === true ? parsed.value : undefined;
}

async function confirm(ctx: Context, question: string): Promise<boolean> {
  if (ctx.io.stdin.isTTY !== true) return false;
  const prompt = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}
