// guard log: the journal as a readable timeline (or JSON Lines).
import { ENTRY_KINDS } from '../../core/entries.js';
import { EXIT, GuardError } from '../../errors.js';
import { defineCommand, jsonOption, missionOption } from '../command.js';
import { missionFromArgs } from '../mission-arg.js';
import { viewMission } from '../mission-view.js';
import { formatEntry } from '../render.js';

export const logCommand = defineCommand({
  name: 'log',
  usage: 'guard log [DIR | --mission DIR] [--since SEQ] [--kind KIND] [--json]',
  summary: 'the journal as a timeline',
  options: { ...missionOption, ...jsonOption, since: { type: 'string' }, kind: { type: 'string', multiple: true } },
  async run(ctx, { values, positionals }) {
    // Inclusive: `--since 12` starts at entry #12, the seq `guard status` and incidents name.
    const since = values.since === undefined ? 1 : Number(values.since);
    if (!Number.isInteger(since) || since < 0) throw new GuardError('USAGE', `--since takes a journal seq number (got "${values.since}").`);
    const kinds = values.kind ?? [];
    const unknown = kinds.filter((kind) => !(ENTRY_KINDS as readonly string[]).includes(kind));
    if (unknown.length > 0) throw new GuardError('USAGE', `unknown entry kind ${unknown.join(', ')}; kinds are: ${ENTRY_KINDS.join(', ')}`);
    const view = await viewMission(ctx.guardHome, missionFromArgs(ctx, 'log', values.mission, positionals));
    const entries = view.entries.filter((entry) => entry.seq >= since && (kinds.length === 0 || kinds.includes(entry.kind)));
    for (const entry of entries) {
      if (values.json === true) ctx.print.jsonLine(entry);
      else ctx.print.out(formatEntry(entry, ctx.print.c));
    }
    if (values.json !== true && entries.length === 0) ctx.print.out(view.entries.length === 0 ? 'the journal is empty: this mission has not been guarded yet' : 'no entries match');
    return EXIT.ok;
  },
});
