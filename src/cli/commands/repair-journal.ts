// `guard repair --journal`: keep the verified prefix of a damaged journal; the rest goes to
// quarantine, nothing is deleted. The mission stays frozen when what was cut or lost may have
// held a freeze (issue 9 item 7), and the output says exactly what was cut.
import { readFileSync } from 'node:fs';
import { shellQuote, sentinelText } from '../../core/freeze.js';
import { freezeAfterCut, kindsText } from '../../core/journal-cut.js';
import { EXIT, GuardError } from '../../errors.js';
import { MissionStore } from '../../mission/mission-store.js';
import { writeFileAtomic } from '../../store/atomic-write.js';
import { isAlive, readOwner } from '../../store/guardian-lock.js';
import { Journal, type JournalCut } from '../../store/journal.js';
import { ObjectStore } from '../../store/objects.js';
import { missionStatePaths } from '../../store/paths.js';
import type { Context } from '../command.js';
import { profileFor, resolveMissionDir } from '../mission.js';
import { whoAmI } from './restore.js';

export async function repairJournal(ctx: Context, values: { mission?: string; json?: boolean; reason?: string; profile?: string; config?: string }): Promise<number> {
  const dir = resolveMissionDir(ctx, values.mission);
  const paths = missionStatePaths(ctx.guardHome, dir);
  const owner = readOwner(`${paths.guardianLock}.owner.json`);
  if (owner !== undefined && isAlive(owner.pid)) {
    throw new GuardError('LOCK_HELD', `a guardian (pid ${owner.pid}) is running on ${paths.missionDir}; stop it before repairing the journal`);
  }
  const sentinel = readSentinel(paths.sentinel);
  const cut = await new Journal(paths.journal, new ObjectStore(paths.objects)).cutBroken((facts) => freezeAfterCut({ ...facts, sentinel }));
  const mission = shellQuote(paths.missionDir);
  if (cut === null) {
    if (values.json === true) ctx.print.json({ repaired: false, intact: true });
    else ctx.print.out(`the journal of ${paths.missionDir} is intact; nothing to repair`);
    return EXIT.ok;
  }
  const store = await MissionStore.open(ctx.guardHome, dir, profileFor(ctx, dir, values));
  const reason = values.reason?.trim() || cut.why;
  await store.append({ kind: 'repaired', action: 'journal', digest: cut.object, who: whoAmI(ctx), reason });
  const freeze = store.state.freeze.kind === 'frozen' ? store.state.freeze : null;
  // The sentinel is a projection of the journal: rewritten to name the freeze that holds now.
  if (freeze !== null) await writeFileAtomic(paths.sentinel, Buffer.from(sentinelText(freeze, paths.missionDir)), { durable: false });
  const cutRange = cutSeqRange(cut);
  if (values.json === true) {
    ctx.print.json({
      repaired: true,
      kept: cut.kept,
      cutBytes: cut.cutBytes,
      quarantined: cut.object,
      cut: { from: cutRange?.from ?? null, to: cutRange?.to ?? null, kinds: kindsOf(cut), unreadableLines: cut.cut.unreadable },
      lost: cut.lost,
      frozen: freeze !== null,
      freeze,
    });
    return EXIT.ok;
  }
  ctx.print.out(`journal repaired: ${cut.why}.`);
  ctx.print.out(`  kept: ${cut.kept === 0 ? 'no entries' : `entries 1-${cut.kept}`}`);
  if (cut.cutBytes > 0 && cut.object !== null) {
    const which = cutRange === null ? 'no whole entries' : `entries ${cutRange.from}-${cutRange.to} (${kindsText(cut.cut.entries)})`;
    const unreadable = cut.cut.unreadable > 0 ? ` and ${cut.cut.unreadable} unreadable line(s)` : '';
    ctx.print.out(`  cut: ${which}${unreadable}, ${cut.cutBytes} bytes, kept in quarantine as ${cut.object} (guard show --mission ${mission} ${cut.object.slice(0, 12)})`);
  }
  if (cut.lost !== null) ctx.print.out(`  lost: entries ${cut.lost.from}-${cut.lost.to}; their bytes are gone (the high-water mark recorded them), so their kinds are unknown`);
  if (freeze !== null) {
    ctx.print.out(`  ${ctx.print.c.red.bold('still FROZEN')} (incident ${freeze.incident}): ${freeze.reason}`);
    ctx.print.out(`next: guard verify --mission ${mission}; then guard ack --mission ${mission} --note "..."`);
  } else ctx.print.out(`next: guard verify --mission ${mission}`);
  return EXIT.ok;
}

function cutSeqRange(cut: JournalCut): { from: number; to: number } | null {
  const seqs = cut.cut.entries.map((entry) => entry.seq);
  return seqs.length === 0 ? null : { from: Math.min(...seqs), to: Math.max(...seqs) };
}

function kindsOf(cut: JournalCut): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const entry of cut.cut.entries) kinds[entry.kind] = (kinds[entry.kind] ?? 0) + 1;
  return kinds;
}

function readSentinel(file: string): { incident: unknown } | null {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as { incident?: unknown };
    return { incident: value?.incident ?? 'unknown' };
  } catch (error) {
    return (error as { code?: string }).code === 'ENOENT' ? null : { incident: 'unreadable sentinel' };
  }
}


