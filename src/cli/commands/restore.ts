// guard restore: put a stored version back into the mission dir. It is a write like any other:
// judged against last good (so it cannot quietly undo completed work), journaled before the
// rename (so a running guardian recognises it), then recorded as a `repaired` entry.
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { diffVersions, shapeOf } from '../../core/diff.js';
import { shellQuote } from '../../core/freeze.js';
import type { Issue } from '../../core/types.js';
import { EXIT, GuardError } from '../../errors.js';
import { readOrNull } from '../../mission/file-io.js';
import { MissionStore } from '../../mission/mission-store.js';
import { commitWrite } from '../../mission/transact.js';
import { defineCommand, jsonOption, missionOption, type Context } from '../command.js';
import { profileFor, profileOptions, resolveMissionDir } from '../mission.js';
import { bytesOf, JOURNAL_TAIL, normalizeArtifactPath, openCatalogue, resolveSnapshot } from '../snapshot-ref.js';

// Issue codes that mean "this version would undo recorded progress" (completed work, removals).
const LOSES_WORK = new Set<Issue['code']>(['terminal-status', 'no-removal', 'evidence', 'grow-only']);

export const restoreCommand = defineCommand({
  name: 'restore',
  usage: 'guard restore SNAP [--reason TEXT] [--mission DIR] [--json]   (SNAP: digest prefix, ARTIFACT@SEQ, ARTIFACT@rejected, #SEQ)',
  summary: 'put a stored version back (judged like any write, journaled)',
  options: { ...missionOption, ...jsonOption, ...profileOptions, reason: { type: 'string' } },
  async run(ctx, { values, positionals }) {
    if (positionals.length !== 1) throw new GuardError('USAGE', `guard restore takes exactly one SNAP reference (got ${positionals.length}); guard snapshots lists them`);
    return restoreSnapshot(ctx, values, positionals[0] as string);
  },
});

/** The options restore and `repair --restore` share. */
export interface RestoreOptions {
  mission?: string;
  json?: boolean;
  reason?: string;
  profile?: string;
  config?: string;
}

// Put the version `ref` names back, judged and journaled; refuses (exit 1) when it would lose work.
export async function restoreSnapshot(ctx: Context, values: RestoreOptions, ref: string, artifact?: string): Promise<number> {
  const dir = resolveMissionDir(ctx, values.mission);
  const catalogue = await openCatalogue(ctx, dir);
  const missionDir = catalogue.view.paths.missionDir;
  const mission = shellQuote(missionDir);
  const snapshot = resolveSnapshot(catalogue.snapshots, missionDir, ref);
  if (artifact !== undefined && snapshot.path !== normalizeArtifactPath(missionDir, artifact)) {
    throw new GuardError('USAGE', `${ref} is a version of ${snapshot.path}, not of ${artifact}; list the versions of ${artifact} with guard snapshots --mission ${mission} ${shellQuote(artifact)}`);
  }
  if (snapshot.path === JOURNAL_TAIL || snapshot.kind === 'tamper') {
    throw new GuardError('USAGE', `#${snapshot.seq} is kept for inspection (${snapshot.kind}), not an artifact version; view it with guard show --mission ${mission} #${snapshot.seq}`);
  }
  const bytes = await bytesOf(catalogue, snapshot);
  const name = `${snapshot.path} #${snapshot.seq} (${snapshot.digest.slice(0, 12)})`;
  const before = await readOrNull(join(missionDir, snapshot.path));
  const store = await MissionStore.open(ctx.guardHome, missionDir, profileFor(ctx, missionDir, values));
  if (before?.equals(bytes) === true && store.state.artifacts.get(snapshot.path)?.lastGood === snapshot.digest) {
    if (values.json === true) ctx.print.json({ restored: false, unchanged: true, path: snapshot.path, seq: snapshot.seq, digest: snapshot.digest });
    else ctx.print.out(`${snapshot.path} already holds ${name}, and it is the last good version: nothing to restore`);
    return EXIT.ok;
  }
  const result = await commitWrite(store, snapshot.path, bytes, 'repair');
  if (result.kind === 'rejected') return refuse(ctx, values.json === true, mission, name, snapshot, result.issues);
  if (result.kind === 'unchanged') {
    if (values.json === true) ctx.print.json({ restored: false, unchanged: true, path: snapshot.path, seq: snapshot.seq, digest: snapshot.digest });
    else ctx.print.out(`${snapshot.path} already holds ${name}, and it is the last good version (journal #${result.seq}): nothing to restore`);
    return EXIT.ok;
  }
  const reason = values.reason?.trim() || `restore of ${name}`;
  const repaired = await store.append({ kind: 'repaired', action: 'restore', path: snapshot.path, digest: snapshot.digest, replaced: result.replaced, who: whoAmI(ctx), reason });
  const spec = store.specOf(snapshot.path);
  const change = before === null ? null : diffVersions({ label: 'before', bytes: before }, { label: 'after', bytes }, shapeOf(spec));
  const frozen = store.state.freeze.kind === 'frozen';
  if (values.json === true) {
    ctx.print.json({ restored: true, path: snapshot.path, seq: snapshot.seq, digest: snapshot.digest, replaced: result.replaced, journal: { accepted: result.entry.seq, repaired: repaired.seq }, transitions: result.transitions, features: change?.features ?? null, frozen });
    return EXIT.ok;
  }
  const { c } = ctx.print;
  ctx.print.out(`${c.green('restored')} ${name} into ${missionDir} (journal #${result.entry.seq}, #${repaired.seq})`);
  if (result.replaced !== null && result.replaced !== snapshot.digest) ctx.print.out(`  the version it replaced is kept: guard show --mission ${mission} ${result.replaced.slice(0, 12)}`);
  const features = change?.features;
  if (before === null) ctx.print.out('  the file did not exist; it was created');
  else if (features !== null && features !== undefined) {
    for (const moved of features.changed) ctx.print.out(`  ${moved.id}: ${moved.from ?? 'none'} -> ${moved.to ?? 'none'}`);
    for (const added of features.added) ctx.print.out(`  added: ${added.id} (${added.status ?? 'no status'})`);
    for (const removed of features.removed) ctx.print.out(`  removed: ${removed.id} (was ${removed.status ?? 'no status'})`);
    for (const edited of features.edited) ctx.print.out(`  edited: ${edited.id} (${edited.fields.join(', ')})`);
    if (change?.identical === true) ctx.print.out('  the file already held these bytes; they are now the last good version');
  } else ctx.print.out(`  ${change?.identical === true ? 'the file already held these bytes' : `${before.length} -> ${bytes.length} bytes`}`);
  if (frozen) ctx.print.out(`the mission is still frozen; once it passes its checks: guard ack --mission ${mission} --note "..."`);
  return EXIT.ok;
}

function refuse(ctx: Context, json: boolean, mission: string, name: string, snapshot: { path: string; kind: string }, issues: Issue[]): number {
  const features = [...new Set(issues.filter((issue) => LOSES_WORK.has(issue.code) && issue.item !== undefined).map((issue) => issue.item as string))];
  if (json) {
    ctx.print.json({ restored: false, path: snapshot.path, issues, losesWork: features });
    return EXIT.checkFailed;
  }
  ctx.print.err(`guard restore: refused: ${name}${snapshot.kind === 'rejected' ? ' (a quarantined version)' : ''} would be rejected as a write to ${snapshot.path}:`);
  for (const issue of issues) ctx.print.err(`  ${issue.message}`);
  if (features.length > 0) {
    ctx.print.err(`Restoring it would lose completed work (${features.join(', ')}). To reopen a feature on purpose: guard repair --mission ${mission} --reopen ${features[0]} --reason "..."; then restore again.`);
  }
  ctx.print.err(`${snapshot.path} was not changed.`);
  return EXIT.checkFailed;
}

// user@host for the journal; a container without a passwd entry still gets a name.
export function whoAmI(ctx: Context): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = ctx.io.env.USER ?? ctx.io.env.LOGNAME ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}
