// guard diff: what changed between two versions of an artifact, feature by feature, then as a
// unified text diff. With only an artifact it shows the bad write: last good -> newest rejected.
import { join } from 'node:path';
import { diffVersions, isEmptyFeatureDiff, shapeOf, type FeatureDiff, type VersionDiff } from '../../core/diff.js';
import { asMissionPath, digestOf, type Digest } from '../../core/types.js';
import { EXIT, GuardError } from '../../errors.js';
import { readOrNull } from '../../mission/file-io.js';
import { matchArtifact } from '../../profiles/profile.js';
import { defineCommand, jsonOption, missionOption, type Context } from '../command.js';
import { profileFor, profileOptions, resolveMissionDir } from '../mission.js';
import type { Printer } from '../render.js';
import { artifactOf, bytesOf, isArtifactRef, openCatalogue, resolveSnapshot, type Snapshot, type SnapshotCatalogue } from '../snapshot-ref.js';

/** One side of the comparison: a stored version, or the file as it is on disk now. */
interface Side {
  path: string;
  what: string;
  seq: number | null;
  digest: Digest | null;
  bytes: Buffer;
}

export const diffCommand = defineCommand({
  name: 'diff',
  usage: 'guard diff [A [B]] [--mission DIR] [--json]   (nothing: the last bad write; ARTIFACT: last good -> the file on disk when it differs, else -> newest rejected; SNAP: last good -> SNAP)',
  summary: 'feature-level and text diff between two versions (default: the last bad write)',
  options: { ...missionOption, ...jsonOption, ...profileOptions },
  async run(ctx, { values, positionals }) {
    if (positionals.length > 2) throw new GuardError('USAGE', `guard diff takes at most two references (got ${positionals.length}); guard snapshots lists them.`);
    const dir = resolveMissionDir(ctx, values.mission);
    const catalogue = await openCatalogue(ctx, dir);
    if (positionals.length === 0) {
      // The mission's last bad write: its newest rejected version, against its artifact's last good.
      const last = [...catalogue.snapshots].reverse().find((snapshot) => snapshot.kind === 'rejected');
      if (last === undefined) {
        if (values.json === true) ctx.print.json({ a: null, b: null, identical: true, reason: 'no bad write is journaled for this mission' });
        else ctx.print.out(`no bad write is journaled for mission ${catalogue.view.paths.missionDir}: nothing to compare. Compare two versions with guard diff A B (guard snapshots lists them).`);
        return EXIT.ok;
      }
      positionals.push(last.digest === null ? last.path : `${last.path}@${last.seq}`);
    }
    const sides = await pickSides(catalogue, positionals);
    if (sides === undefined) {
      const path = artifactOf(catalogue.snapshots, catalogue.view.paths.missionDir, positionals[0] as string);
      if (values.json === true) ctx.print.json({ a: null, b: null, identical: true, reason: `${path} has no rejected version and the file on disk is its last good` });
      else ctx.print.out(`${path} has no rejected version and the file on disk is its last good: nothing to compare. Compare two versions with guard diff A B (guard snapshots lists them).`);
      return EXIT.ok;
    }
    const [a, b] = sides;
    const missionPath = asMissionPath(b.path);
    const spec = missionPath === undefined ? undefined : matchArtifact(profileFor(ctx, dir, values), missionPath);
    const result = diffVersions(
      { label: labelOf(a), header: a.what, bytes: a.bytes },
      { label: labelOf(b), header: b.what, bytes: b.bytes },
      shapeOf(spec),
    );
    if (values.json === true) {
      ctx.print.json({ a: describe(a), b: describe(b), ...result });
      return EXIT.ok;
    }
    printDiff(ctx, a, b, result);
    return EXIT.ok;
  },
});

async function pickSides(catalogue: SnapshotCatalogue, refs: string[]): Promise<[Side, Side] | undefined> {
  const missionDir = catalogue.view.paths.missionDir;
  const [first, second] = refs as [string, string | undefined];
  if (second !== undefined) return [await stored(catalogue, resolveSnapshot(catalogue.snapshots, missionDir, first)), await stored(catalogue, resolveSnapshot(catalogue.snapshots, missionDir, second))];
  if (!isArtifactRef(catalogue.snapshots, missionDir, first)) {
    const version = resolveSnapshot(catalogue.snapshots, missionDir, first);
    const good = resolveSnapshot(catalogue.snapshots, missionDir, version.path);
    return [await stored(catalogue, good), await stored(catalogue, version)];
  }
  const path = artifactOf(catalogue.snapshots, missionDir, first);
  const good = await stored(catalogue, resolveSnapshot(catalogue.snapshots, missionDir, path));
  // What is on disk first: a version nobody judged yet (the guard was not running) is the news.
  const onDisk = await readOrNull(join(missionDir, path));
  if (onDisk !== null && !onDisk.equals(good.bytes)) return [good, { path, what: 'on disk now', seq: null, digest: digestOf(onDisk), bytes: onDisk }];
  const rejected = [...catalogue.snapshots].reverse().find((snapshot) => snapshot.path === path && snapshot.kind === 'rejected');
  if (rejected?.digest === null) return [good, { path, what: 'rejected deletion', seq: rejected.seq, digest: null, bytes: Buffer.alloc(0) }];
  if (rejected !== undefined) return [good, await stored(catalogue, rejected as Snapshot & { digest: Digest })];
  return undefined;
}

async function stored(catalogue: SnapshotCatalogue, snapshot: Snapshot & { digest: Digest }): Promise<Side> {
  const what = snapshot.kind === 'rejected' ? 'rejected' : snapshot.lastGood ? 'last good' : snapshot.kind === 'accepted' ? 'accepted' : snapshot.kind;
  return { path: snapshot.path, what, seq: snapshot.seq, digest: snapshot.digest, bytes: await bytesOf(catalogue, snapshot) };
}

function labelOf(side: Side): string {
  return side.seq === null ? side.path : `${side.path}@${side.seq}`;
}

function nameOf(side: Side): string {
  return `${side.what}${side.seq === null ? '' : ` #${side.seq}`} (${side.digest?.slice(0, 12) ?? 'absent'})`;
}

function describe(side: Side) {
  return { path: side.path, seq: side.seq, digest: side.digest, what: side.what, size: side.bytes.length };
}

function printDiff(ctx: Context, a: Side, b: Side, result: VersionDiff): void {
  const { c } = ctx.print;
  const samePath = a.path === b.path;
  ctx.print.out(c.bold(samePath ? `${a.path}: ${nameOf(a)} -> ${nameOf(b)}` : `${a.path} ${nameOf(a)} -> ${b.path} ${nameOf(b)}`));
  for (const invalid of result.invalid) {
    const side = invalid.side === 'a' ? a : b;
    ctx.print.out(c.red(`${side.what}${side.seq === null ? '' : ` #${side.seq}`} is not valid JSON: ${invalid.message}; showing the text diff only`));
  }
  if (result.features !== null) printFeatures(ctx.print, result.features);
  if (result.identical) {
    ctx.print.out('the two versions are identical');
    return;
  }
  if (result.tooLarge) {
    ctx.print.out(c.yellow('the versions differ on too many lines for a text diff; compare them with guard show'));
    return;
  }
  for (const line of result.patch.replace(/\n$/, '').split('\n')) ctx.print.out(colourLine(c, line));
}

function printFeatures(print: Printer, features: FeatureDiff): void {
  const { c } = print;
  if (isEmptyFeatureDiff(features)) {
    print.out('features: no feature changed');
    return;
  }
  print.out('features:');
  for (const change of features.changed) print.out(`  ${change.id}: ${change.from ?? 'none'} -> ${c.yellow(change.to ?? 'none')}`);
  for (const added of features.added) print.out(`  ${c.green('added')}: ${added.id} (${added.status ?? 'no status'})`);
  for (const removed of features.removed) print.out(`  ${c.red('removed')}: ${removed.id} (was ${removed.status ?? 'no status'})`);
  for (const edited of features.edited) print.out(`  ${c.dim('edited')}: ${edited.id} (${edited.fields.join(', ')})`);
}

function colourLine(c: Printer['c'], line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return c.bold(line);
  if (line.startsWith('+')) return c.green(line);
  if (line.startsWith('-')) return c.red(line);
  if (line.startsWith('@@')) return c.cyan(line);
  if (line.startsWith('\\')) return c.dim(line);
  return line;
}
