// guard snapshots: every version the journal names (accepted, quarantined, cut, tampered), newest last.
import { EXIT, GuardError } from '../../errors.js';
import { shellQuote } from '../../core/freeze.js';
import { defineCommand, jsonOption, missionOption } from '../command.js';
import { resolveMissionDir } from '../mission.js';
import type { Printer } from '../render.js';
import { artifactOf, openCatalogue, type Snapshot } from '../snapshot-ref.js';

export const snapshotsCommand = defineCommand({
  name: 'snapshots',
  usage: 'guard snapshots [ARTIFACT] [--mission DIR] [--json]',
  summary: 'list the stored versions of the artifacts (accepted, rejected, last good)',
  options: { ...missionOption, ...jsonOption },
  async run(ctx, { values, positionals }) {
    const dir = resolveMissionDir(ctx, values.mission);
    const catalogue = await openCatalogue(ctx, dir);
    const [artifact, ...extra] = positionals;
    if (extra.length > 0) throw new GuardError('USAGE', `guard snapshots takes at most one ARTIFACT (got ${positionals.join(' ')})`);
    const path = artifact === undefined ? undefined : artifactOf(catalogue.snapshots, catalogue.view.paths.missionDir, artifact);
    const rows = catalogue.snapshots.filter((snapshot) => path === undefined || snapshot.path === path);
    if (values.json === true) {
      ctx.print.json({ mission: catalogue.view.paths.missionDir, snapshots: rows.map((row) => ({ ...row, status: statusOf(row) })) });
      return EXIT.ok;
    }
    if (rows.length === 0) {
      ctx.print.out(`no versions journaled yet for mission ${catalogue.view.paths.missionDir}: it has not been guarded (guard watch ${shellQuote(catalogue.view.paths.missionDir)})`);
      return EXIT.ok;
    }
    const c = ctx.print.c;
    const table = rows.map((row) => [`#${row.seq}`, row.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), row.path, row.digest?.slice(0, 12) ?? '-', statusOf(row), sizeText(row), row.by ?? '', summaryOf(row)]);
    const widths = [0, 1, 2, 3, 4, 5, 6].map((column) => Math.max(...table.map((cells) => (cells[column] as string).length)));
    for (const [index, cells] of table.entries()) {
      const padded = cells.map((cell, column) => (column < widths.length ? cell.padEnd(widths[column] as number) : cell));
      padded[4] = paint(c, rows[index] as Snapshot, padded[4] as string);
      ctx.print.out(padded.join('  ').trimEnd());
    }
    ctx.print.out(c.dim(`show one: guard show --mission ${shellQuote(catalogue.view.paths.missionDir)} REF  (REF: digest prefix, ARTIFACT, ARTIFACT@rejected, ARTIFACT@SEQ, #SEQ)`));
    return EXIT.ok;
  },
});

function statusOf(row: Snapshot): string {
  switch (row.kind) {
    case 'accepted':
      return row.digest === null ? 'deleted' : row.lastGood ? 'last good' : 'accepted';
    case 'rejected':
      return 'REJECTED (quarantined)';
    case 'journal-cut':
      return 'journal cut';
    case 'tamper':
      return 'tamper';
    case 'replaced':
      return 'replaced (kept)';
    case 'approved':
      return 'hook-approved';
  }
}

function paint(c: Printer['c'], row: Snapshot, text: string): string {
  if (row.kind === 'rejected' || row.kind === 'tamper') return c.red(text);
  if (row.lastGood) return c.green.bold(text);
  return row.kind === 'accepted' ? c.green(text) : c.yellow(text);
}

function sizeText(row: Snapshot): string {
  if (row.digest === null || row.size < 0) return '-';
  if (row.size < 10_000) return `${row.size} B`;
  if (row.size < 10_000_000) return `${Math.round(row.size / 1024)} KiB`;
  return `${Math.round(row.size / 1024 / 1024)} MiB`;
}

function summaryOf(row: Snapshot): string {
  if (row.issues !== undefined) {
    const first = row.issues[0]?.message ?? '';
    return row.issues.length > 1 ? `${first} (+${row.issues.length - 1} more)` : first;
  }
  if (row.detail !== undefined) return row.detail;
  const changes = (row.transitions ?? []).map((t) => `${t.item}: ${t.from ?? 'new'} -> ${t.to ?? 'removed'}`);
  return changes.length > 3 ? `${changes.slice(0, 3).join(', ')}, +${changes.length - 3} more` : changes.join(', ');
}
