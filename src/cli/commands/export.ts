// guard export: an incident as a bundle for people (a colleague, a bug report): the journal slice
// around it, the bad bytes, the last good bytes, the diff, the verdict and a README.md. Nothing in
// it is needed to restore: the guard home keeps every version; the bundle is a copy to read.
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { diffVersions, shapeOf } from '../../core/diff.js';
import type { JournalEntry } from '../../core/entries.js';
import { shellQuote } from '../../core/freeze.js';
import { asMissionPath, type Digest } from '../../core/types.js';
import { EXIT, GuardError } from '../../errors.js';
import { matchArtifact } from '../../profiles/profile.js';
import { defineCommand, jsonOption, missionOption } from '../command.js';
import { profileFor, profileOptions, resolveMissionDir } from '../mission.js';
import { issuesText } from '../render.js';
import { bytesOf, openCatalogue } from '../snapshot-ref.js';
import { nextCommands } from '../incidents.js';

/** Entries kept before the incident, and after it at most (its restore and freeze are right after). */
const BEFORE = 10;
const AFTER = 20;

export const exportCommand = defineCommand({
  name: 'export',
  usage: 'guard export --incident N --out DIR [--mission DIR] [--json]',
  summary: 'write one incident as a bundle for people: journal slice, bad and last good bytes, diff, verdict, README.md',
  options: { ...missionOption, ...jsonOption, ...profileOptions, incident: { type: 'string' }, out: { type: 'string' } },
  async run(ctx, { values, positionals }) {
    if (positionals.length > 0) throw new GuardError('USAGE', `guard export takes no arguments (got "${positionals.join(' ')}"); name the incident with --incident N.`);
    if (values.incident === undefined || !/^\d+$/.test(values.incident)) throw new GuardError('USAGE', `guard export needs --incident N, the number guard status lists under open incidents${values.incident === undefined ? '' : ` (got "${values.incident}")`}.`);
    if (values.out === undefined) throw new GuardError('USAGE', 'guard export needs --out DIR, a new dir for the bundle.');
    const out = resolve(ctx.io.cwd, values.out);
    if (existsSync(out)) throw new GuardError('USAGE', `${out} already exists; guard export never overwrites. Give a new dir with --out.`);
    const dir = resolveMissionDir(ctx, values.mission);
    const catalogue = await openCatalogue(ctx, dir);
    const { view } = catalogue;
    const id = Number(values.incident);
    const incident = view.state.incidents.get(id);
    if (incident === undefined) {
      const ids = [...view.state.incidents.keys()].slice(-10);
      throw new GuardError('SNAPSHOT_NOT_FOUND', `mission ${view.paths.missionDir} has no incident ${id}${ids.length > 0 ? `; its latest incidents are ${ids.join(', ')}` : '; it has none'}. guard log --kind write-rejected lists them.`);
    }
    const goodDigest = lastGoodAt(view.entries, incident.path, id);
    const bad = incident.digest === null ? null : await bytesOf(catalogue, { digest: incident.digest });
    const good = goodDigest === null ? null : await bytesOf(catalogue, { digest: goodDigest });
    const ext = extname(incident.path);
    const base = basename(incident.path, ext);
    const files: Record<string, string | Buffer> = {};
    files['journal.jsonl'] = view.entries.filter((entry) => entry.seq >= id - BEFORE && entry.seq <= id + AFTER).map((entry) => JSON.stringify(entry)).join('\n') + '\n';
    if (bad !== null) files[`bad-${base}${ext}`] = bad;
    if (good !== null) files[`last-good-${base}${ext}`] = good;
    const missionPath = asMissionPath(incident.path);
    const spec = missionPath === undefined ? undefined : matchArtifact(profileFor(ctx, view.paths.missionDir, values), missionPath);
    const diff = diffVersions({ label: `last-good-${base}${ext}`, header: 'last good', bytes: good ?? Buffer.alloc(0) }, { label: `bad-${base}${ext}`, header: `rejected (incident ${id})`, bytes: bad ?? Buffer.alloc(0) }, shapeOf(spec));
    files['diff.txt'] = diffText(diff);
    const frozenBy = view.entries.find((entry) => entry.kind === 'frozen' && entry.incident === id);
    const verdict = {
      incident: id,
      mission: view.paths.missionDir,
      artifact: incident.path,
      role: incident.role,
      at: incident.at,
      issues: incident.issues,
      outcome: incident.outcome,
      froze: frozenBy !== undefined,
      open: incident.open,
      digests: { rejected: incident.digest, lastGood: goodDigest },
    };
    files['verdict.json'] = `${JSON.stringify(verdict, null, 2)}\n`;
    files['README.md'] = readme(verdict, Object.keys(files), nextCommands(view.paths.missionDir, incident.path, incident.open && frozenBy !== undefined));
    await mkdir(out, { recursive: false }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') throw new GuardError('USAGE', `${out} already exists; guard export never overwrites. Give a new dir with --out.`);
      throw error;
    });
    for (const [name, content] of Object.entries(files)) await writeFile(join(out, name), content, { flag: 'wx' });
    if (values.json === true) ctx.print.json({ out, incident: id, files: Object.keys(files).sort() });
    else ctx.print.out(`wrote incident ${id} of ${view.paths.missionDir} to ${out}: ${Object.keys(files).sort().join(', ')}`);
    return EXIT.ok;
  },
});

// The last good version of `path` when the incident happened: the newest accepted or restored
// version before it.
function lastGoodAt(entries: readonly JournalEntry[], path: string, incident: number): Digest | null {
  let good: Digest | null = null;
  for (const entry of entries) {
    if (entry.seq >= incident) break;
    if ((entry.kind === 'write-accepted' || entry.kind === 'restored') && entry.path === path) good = entry.digest;
  }
  return good;
}

function diffText(diff: ReturnType<typeof diffVersions>): string {
  const lines: string[] = [];
  if (diff.features !== null) {
    for (const change of diff.features.changed) lines.push(`feature ${change.id}: ${change.from ?? 'none'} -> ${change.to ?? 'none'}`);
    for (const added of diff.features.added) lines.push(`feature ${added.id}: added (${added.status ?? 'no status'})`);
    for (const removed of diff.features.removed) lines.push(`feature ${removed.id}: removed (was ${removed.status ?? 'no status'})`);
    for (const edited of diff.features.edited) lines.push(`feature ${edited.id}: edited (${edited.fields.join(', ')})`);
    lines.push('');
  }
  for (const invalid of diff.invalid) lines.push(`${invalid.side === 'a' ? 'last good' : 'bad'} version is not valid JSON: ${invalid.message}`);
  if (diff.identical) lines.push('the two versions are identical');
  else if (diff.tooLarge) lines.push('the versions differ on too many lines for a text diff; compare the two files');
  else lines.push(diff.patch.replace(/\n$/, ''));
  return `${lines.join('\n')}\n`;
}

function readme(verdict: { incident: number; mission: string; artifact: string; role: string; at: string; issues: Array<{ message: string }>; outcome: string; froze: boolean; open: boolean; digests: { rejected: Digest | null; lastGood: Digest | null } }, files: string[], next: { inspect: string; ack: string | null }): string {
  const mission = shellQuote(verdict.mission);
  return [
    `# mission guard incident ${verdict.incident}`,
    '',
    `- mission: \`${verdict.mission}\``,
    `- artifact: \`${verdict.artifact}\` (${verdict.role})`,
    `- when: ${verdict.at}`,
    `- verdict: rejected: ${issuesText(verdict.issues as never)}`,
    `- what the guard did: ${verdict.outcome === 'restored' ? 'put the last good version back' : verdict.outcome === 'skipped' ? 'left the file (a newer version came, or there was no good version)' : 'nothing yet'}${verdict.froze ? '; froze the mission' : ''}`,
    `- still open: ${verdict.open ? 'yes' : 'no (acknowledged)'}`,
    `- bad version: ${verdict.digests.rejected ?? 'a deletion'}; last good: ${verdict.digests.lastGood ?? 'none'}`,
    '',
    '## Files',
    '',
    ...files.sort().map((file) => `- \`${file}\``),
    '',
    'This bundle is a copy for reading. Nothing in it is needed to restore: the guard keeps every',
    'version in its own state dir. On the machine that holds it:',
    '',
    `    ${next.inspect}`,
    `    guard log --mission ${mission} --since ${Math.max(1, verdict.incident - BEFORE)}`,
    ...(next.ack === null ? [] : [`    ${next.ack}`]),
    '',
  ].join('\n');
}
