// `guard status --root DIR`: one row per mission under a root: frozen or not, open incidents,
// last activity, and which guard (if any) protects it. Read-only: no lock is taken.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openIncidents } from '../core/replay.js';
import { shellQuote } from '../core/freeze.js';
import { missionDirUnderRoot } from '../profiles/profile.js';
import { SENTINEL } from '../store/paths.js';
import type { Context } from './command.js';
import { summarizeMission } from './mission-view.js';
import { errorLine } from './guarding.js';

/** One row of the table; the JSON output is `{ root, missions: MissionRow[] }` (schemas/cli/status-root.schema.json). */
export interface MissionRow {
  mission: string;
  frozen: boolean;
  /** The guard that froze it left its sentinel, but this guard home has no journal for it. */
  sentinelOnly: boolean;
  openIncidents: number;
  journalEntries: number;
  lastActivity: string | null;
  guardian: { pid: number; mode: string; host: string; since: string } | null;
  error: string | null;
  next: string;
}

// Every mission dir under `root` the way `guard watch --root` finds them: a child dir that is a
// mission, or the one it holds (a Task Master project's `.taskmaster/`); in name order.
export function missionsUnder(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => missionDirUnderRoot(join(root, entry.name)) ?? [])
    .sort();
}

export async function missionRows(ctx: Context, root: string, onProgress?: (done: number, total: number) => void): Promise<MissionRow[]> {
  const dirs = missionsUnder(root);
  const rows: MissionRow[] = [];
  for (const dir of dirs) {
    rows.push(await rowOf(ctx, dir));
    onProgress?.(rows.length, dirs.length);
  }
  return rows;
}

async function rowOf(ctx: Context, dir: string): Promise<MissionRow> {
  const mission = shellQuote(dir);
  const sentinel = existsSync(join(dir, SENTINEL));
  try {
    const view = await summarizeMission(ctx.guardHome, dir);
    const frozen = view.state.freeze.kind === 'frozen';
    const owner = view.guardian;
    const sentinelOnly = sentinel && view.state.seq === 0;
    return {
      mission: dir,
      frozen: frozen || sentinelOnly,
      sentinelOnly,
      openIncidents: openIncidents(view.state).length,
      journalEntries: view.state.seq,
      lastActivity: lastActivity(dir, view.paths.journal),
      guardian: owner === undefined ? null : { pid: owner.pid, mode: owner.mode, host: owner.host, since: owner.since },
      error: null,
      next: frozen ? `guard status --mission ${mission}` : sentinelOnly ? 'wrong GUARD_HOME? this guard home has no journal for the mission, yet it is frozen' : owner === undefined ? `guard watch ${mission}` : 'nothing to do',
    };
  } catch (error) {
    return { mission: dir, frozen: sentinel, sentinelOnly: false, openIncidents: 0, journalEntries: 0, lastActivity: lastActivity(dir, undefined), guardian: null, error: errorLine(ctx, error as Error), next: `guard verify --mission ${mission}` };
  }
}

// The newest modification among the mission's top-level files and its journal.
function lastActivity(dir: string, journal: string | undefined): string | null {
  let newest = 0;
  const consider = (file: string) => {
    try {
      newest = Math.max(newest, statSync(file).mtimeMs);
    } catch {
      // gone meanwhile: not activity
    }
  };
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isFile()) consider(join(dir, entry.name));
  if (journal !== undefined) consider(journal);
  return newest === 0 ? null : new Date(newest).toISOString();
}

// The table as text, one line per mission.
export function missionTable(rows: MissionRow[], c: Context['print']['c']): string[] {
  return rows.map((row) => {
    const state = row.error !== null ? c.yellow('unreadable') : row.frozen ? c.red.bold('FROZEN    ') : c.green('ok        ');
    const guard = row.guardian === null ? c.yellow('unguarded') : `pid ${row.guardian.pid} (${row.guardian.mode}${row.guardian.host === '' ? '' : ` on ${row.guardian.host}`})`;
    const incidents = row.openIncidents === 0 ? '' : `, ${row.openIncidents} open incident(s)`;
    const detail = row.error ?? (row.sentinelOnly ? 'sentinel present but no journal in this guard home (wrong GUARD_HOME?)' : `last activity ${row.lastActivity ?? 'never'}${incidents}`);
    return `  ${state} ${row.mission}  ${guard}; ${detail}${row.frozen || row.error !== null ? `\n      next: ${row.next}` : ''}`;
  });
}
