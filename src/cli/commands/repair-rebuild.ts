// `guard repair --rebuild features.json`: write a summary consistent with durable truth, after
// showing every feature it changes, brings back or drops. Guard state is first brought up to the
// disk (a version written while no guardian ran is judged and, if acceptable, becomes the base).
// A done feature is brought back from the newest stored version that holds it: journaled
// versions, versions a hook approved, quarantined ones; when none does (its only good version was
// overwritten before the guard read it), it is written from durable truth alone. So a frozen
// mission whose summary lost a done feature always has this way out.
import { createInterface } from 'node:readline/promises';
import { join } from 'node:path';
import { diffVersions, shapeOf, type FeatureDiff } from '../../core/diff.js';
import { shellQuote } from '../../core/freeze.js';
import { parseVersion, type ArtifactSpec } from '../../core/judge.js';
import { isRecord, itemsOf } from '../../core/pointer.js';
import { rebuildSummary } from '../../core/rebuild.js';
import type { Digest } from '../../core/types.js';
import { EXIT, GuardError } from '../../errors.js';
import { readOrNull } from '../../mission/file-io.js';
import { inspectMission, summaryArtifact } from '../../mission/inspect.js';
import { MissionStore } from '../../mission/mission-store.js';
import { reconcileWithDisk } from '../../mission/reconcile.js';
import { commitWrite } from '../../mission/transact.js';
import { readJournal } from '../../store/journal.js';
import type { Context } from '../command.js';
import { profileFor, resolveMissionDir } from '../mission.js';
import { orchestratorOf } from '../../profiles/profile.js';
import { issuesText } from '../render.js';
import { whoAmI } from './restore.js';

// How many stored versions of the summary `--rebuild` searches for missing features.
const REBUILD_HISTORY = 500;

export interface RebuildOptions {
  mission?: string;
  json?: boolean;
  reason?: string;
  yes?: boolean;
  profile?: string;
  config?: string;
}

// Write a summary consistent with durable truth, after showing what changes.
export async function rebuild(ctx: Context, values: RebuildOptions, artifact: string): Promise<number> {
  const dir = resolveMissionDir(ctx, values.mission);
  const store = await MissionStore.open(ctx.guardHome, dir, profileFor(ctx, dir, values));
  const missionDir = store.paths.missionDir;
  const summary = summaryArtifact(store.profile);
  if (summary === undefined || summary.path !== artifact.replace(/^\.\/+/, '') || summary.spec.statusItems === undefined) {
    throw new GuardError('USAGE', `--rebuild works on the summary artifact${summary === undefined ? ', and this profile has none' : ` (${summary.path})`}; for other artifacts use --restore ${artifact}`);
  }
  await reconcileWithDisk(store);
  const { path, spec } = summary;
  const selector = summary.spec.statusItems;
  const { plan } = await inspectMission({ missionDir, profile: store.profile, state: store.state, objects: store.objects });
  const versions = await storedVersions(store, path, spec);
  const base = (await store.lastGood(path, spec))?.doc ?? (await currentDoc(missionDir, path, spec)) ?? versions[0];
  if (base === undefined) throw new GuardError('REPAIR_REFUSED', `there is no readable version of ${path} to rebuild from (not on disk, not in the journal); write one with guard write --mission ${shellQuote(missionDir)} ${path} --from FILE`);
  const recovered = new Map<string, Record<string, unknown>>();
  for (const version of versions) {
    for (const item of itemsOf(version, selector)) if (!recovered.has(item.key) && isRecord(item.value)) recovered.set(item.key, item.value);
  }
  const workerFields = orchestratorOf(store.profile).rebuiltItemFields;
  const rebuilt = rebuildSummary({ selector, base, done: plan.done, recovered, ...(workerFields === undefined ? {} : { workerFields }) });
  if (rebuilt.lost.length > 0) {
    throw new GuardError('REPAIR_REFUSED', `the last good ${path} has no feature list to put ${rebuilt.lost.join(', ')} back into; restore an older snapshot instead: guard snapshots --mission ${shellQuote(missionDir)} ${path}`);
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
    // which usually holds every done feature already, but may lack one added while unguarded.
    const moved = change.features;
    const counts = moved === null ? 'the current file cannot be compared feature by feature' : `${moved.changed.length} status(es) changed, ${moved.added.length} feature(s) brought back, ${moved.removed.length} dropped, ${moved.edited.length} edited`;
    ctx.print.out(`rebuild of ${path} from durable truth: ${counts}`);
    if (moved !== null) for (const line of featureLines(moved, rebuilt.synthesized)) ctx.print.out(`  ${line}`);
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
  const mission = shellQuote(missionDir);
  if (result.kind === 'unchanged') {
    if (values.json === true) ctx.print.json({ rebuilt: false, unchanged: true, path });
    else ctx.print.out(`${path} already agrees with durable truth; nothing to rebuild`);
    return EXIT.ok;
  }
  const reason = values.reason?.trim() || 'rebuild from durable truth';
  const digest = result.entry.kind === 'write-accepted' ? result.entry.digest : null;
  const repaired = await store.append({ kind: 'repaired', action: 'rebuild', path, digest, replaced: result.replaced, who: whoAmI(ctx), reason });
  if (values.json === true) {
    ctx.print.json({ rebuilt: true, path, digest, replaced: result.replaced, restored: rebuilt.restored, recovered: rebuilt.recovered, synthesized: rebuilt.synthesized, journal: { accepted: result.entry.seq, repaired: repaired.seq }, features: change.features });
  } else {
    ctx.print.out(`${ctx.print.c.green('rebuilt')} ${path} (journal #${result.entry.seq}, #${repaired.seq})`);
    if (result.replaced !== null) ctx.print.out(`the version it replaced is kept: guard show --mission ${mission} ${result.replaced.slice(0, 12)}`);
    ctx.print.out(`next: guard verify --mission ${mission}${store.state.freeze.kind === 'frozen' ? `; then guard ack --mission ${mission} --note "..."` : ''}`);
  }
  return EXIT.ok;
}

// One line per feature the rebuild touches, against the file on disk.
function featureLines(moved: FeatureDiff, synthesized: readonly string[]): string[] {
  return [
    ...moved.changed.map((item) => `${item.id}: ${item.from ?? 'none'} -> ${item.to ?? 'none'}`),
    ...moved.added.map((item) => `brought back: ${item.id} (${item.status ?? 'no status'})${synthesized.includes(item.id) ? ', written from durable truth: no stored version holds it' : ''}`),
    ...moved.removed.map((item) => `dropped: ${item.id} (${item.status ?? 'no status'}; not in the last good version, e.g. added while unguarded; the current file is kept as an object)`),
    ...moved.edited.map((item) => `edited: ${item.id} (${item.fields.join(', ')})`),
  ];
}

// Parsed stored versions of an artifact, newest first (at most REBUILD_HISTORY): accepted ones,
// then versions a hook approved (their bytes are stored), then quarantined ones.
async function storedVersions(store: MissionStore, path: string, spec: ArtifactSpec): Promise<unknown[]> {
  const { entries } = await readJournal(store.paths.journal);
  const accepted: Digest[] = [];
  const others: Digest[] = [];
  for (let i = entries.length - 1; i >= 0 && accepted.length + others.length < REBUILD_HISTORY; i--) {
    const entry = entries[i];
    if (entry === undefined || !('path' in entry) || entry.path !== path) continue;
    if (entry.kind === 'write-accepted' && entry.digest !== null) accepted.push(entry.digest);
    else if ((entry.kind === 'hook-allowed' || entry.kind === 'write-rejected') && entry.digest !== undefined && entry.digest !== null) others.push(entry.digest);
  }
  const docs: unknown[] = [];
  for (const digest of new Set([...accepted, ...others])) {
    if (!(await store.objects.has(digest))) continue; // a hook-approved version stored by an older guard
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
