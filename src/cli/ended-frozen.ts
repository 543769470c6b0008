// Which of these missions (guarded by another guard, not this one) are frozen now: from this
// guard home's journal, else from the sentinel in the mission dir.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './command.js';
import { summarizeMission } from './mission-view.js';
import { SENTINEL } from '../store/paths.js';

export async function frozenElsewhere(ctx: Context, dirs: readonly string[]): Promise<string[]> {
  const frozen: string[] = [];
  for (const dir of new Set(dirs)) {
    const byJournal = await summarizeMission(ctx.guardHome, dir).then((view) => view.state.freeze.kind === 'frozen').catch(() => false);
    if (byJournal || existsSync(join(dir, SENTINEL))) frozen.push(dir);
  }
  return frozen;
}
