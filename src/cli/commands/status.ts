// guard status: frozen or not, open incidents, each artifact's health and last good, next step.
import { openIncidents } from '../../core/replay.js';
import { EXIT } from '../../errors.js';
import { defineCommand, jsonOption, missionOption } from '../command.js';
import { missionDirFor, profileFor, profileOptions } from '../mission.js';
import { artifactHealth, summarizeMission } from '../mission-view.js';
import { ttyProgress } from '../progress.js';
import { issuesText } from '../render.js';
import { shellQuote, type Frozen } from '../../core/freeze.js';
import { summaryArtifact } from '../../mission/inspect.js';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { GuardError } from '../../errors.js';
import { droidMissionsRoot } from '../../install/targets.js';
import { looksLikeMission, orchestratorOf } from '../../profiles/profile.js';
import { groupLines, readSummaryGroups } from '../summary-words.js';
import type { Context } from '../command.js';
import { missionFromArgs } from '../mission-arg.js';
import { missionRows, missionTable } from '../missions-table.js';

// The root to list: --root, else droid's missions root when no mission is named and the current
// dir is not one (and that root exists); undefined for a one-mission status.
function rootToList(ctx: Context, root: string | undefined, mission: string | undefined, positionals: string[]): string | undefined {
  if (root !== undefined) {
    if (mission !== undefined || positionals.length > 0) throw new GuardError('USAGE', 'guard status takes a mission (DIR or --mission DIR) or --root DIR, not both.');
    const dir = resolve(ctx.io.cwd, root);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new GuardError('MISSION_NOT_FOUND', `the missions root ${dir} does not exist.`);
    return dir;
  }
  if (mission !== undefined || positionals.length > 0 || (ctx.io.env.GUARD_MISSION ?? '') !== '' || looksLikeMission(missionDirFor(ctx.io.cwd))) return undefined;
  const droidRoot = droidMissionsRoot({ home: ctx.home, cwd: ctx.io.cwd, env: ctx.io.env });
  return existsSync(droidRoot) ? droidRoot : undefined;
}

async function statusOfRoot(ctx: Context, root: string, json: boolean): Promise<number> {
  const tty = (ctx.io.stderr as { isTTY?: boolean }).isTTY === true && !json;
  const rows = await missionRows(ctx, root, tty ? (done, total) => ctx.io.stderr.write(`\rreading missions: ${done}/${total}${done === total ? '\n' : ''}`) : undefined);
  const frozen = rows.some((row) => row.frozen);
  if (json) {
    ctx.print.json({ root, missions: rows });
    return frozen ? EXIT.frozen : EXIT.ok;
  }
  ctx.print.out(`missions under ${root}: ${rows.length}${frozen ? `, ${rows.filter((row) => row.frozen).length} frozen` : ''}`);
  if (rows.length > 0) ctx.print.out(missionTable(rows, ctx.print.c).join('\n'));
  return frozen ? EXIT.frozen : EXIT.ok;
}

export const statusCommand = defineCommand({
  name: 'status',
  usage: 'guard status [DIR | --mission DIR | --root DIR] [--json]',
  summary: 'frozen or not, open incidents, artifact health, and what to do next',
  options: { ...missionOption, ...jsonOption, ...profileOptions, root: { type: 'string' } },
  async run(ctx, { values, positionals }) {
    const root = rootToList(ctx, values.root, values.mission, positionals);
    if (root !== undefined) return statusOfRoot(ctx, root, values.json === true);
    const dir = missionFromArgs(ctx, 'status', values.mission, positionals);
    const progress = ttyProgress(ctx.io.stderr, 'rebuilding the journal projection', values.json !== true);
    const view = await summarizeMission(ctx.guardHome, dir, progress.update).finally(() => progress.end());
    // A sentinel this guard home knows nothing of: another GUARD_HOME froze the mission.
    const warnings = existsSync(view.paths.sentinel) && view.state.seq === 0
      ? [`${view.paths.sentinel} exists (the mission was frozen), but this guard home (${ctx.guardHome}) has no journal for the mission: wrong GUARD_HOME? Run guard status with the GUARD_HOME of the guard that froze it.`]
      : [];
    for (const warning of warnings) ctx.print.err(`guard status: warning: ${warning}`);
    const profile = profileFor(ctx, dir, values);
    const artifacts = await artifactHealth(view, profile);
    const { state } = view;
    const incidents = openIncidents(state);
    const frozen = state.freeze.kind === 'frozen';
    const mission = shellQuote(view.paths.missionDir);
    // A freeze from the start-up cross-check has no bad write to diff: verify names what disagrees.
    const inspect = (freeze: Frozen) => (state.incidents.has(freeze.incident) ? `guard diff --mission ${mission} ${freeze.path}` : `guard verify --mission ${mission}`);
    const next = state.freeze.kind === 'frozen'
      ? `${inspect(state.freeze)} ; then: guard ack --mission ${mission} --note "..."`
      : view.guardian === undefined
        ? `guard watch ${mission}`
        : 'nothing to do';
    const wayOut = frozen ? waysOut(mission, summaryArtifact(profile)?.path) : [];
    const orchestrator = orchestratorOf(profile);
    const words = await readSummaryGroups(profile, view);
    // While frozen, how the orchestrator is held, beyond the sentinel (Task Master: its tools are denied).
    const held = frozen && orchestrator.pause.gate !== undefined ? `${orchestrator.title} is held: ${orchestrator.pause.summary} until guard ack` : undefined;
    if (values.json === true) {
      ctx.print.json({
        mission: view.paths.missionDir,
        frozen,
        freeze: state.freeze.kind === 'frozen' ? state.freeze : null,
        incidents,
        artifacts,
        guardian: view.guardian ?? null,
        journal: { file: view.paths.journal, seq: state.seq, tornBytes: view.tornBytes },
        permits: [...state.permits].map(([feature, permit]) => ({ feature, ...permit })),
        warnings,
        shapeWarnings: state.counts.get('shape-warning') ?? 0,
        next,
        wayOut,
        ...(words === undefined ? {} : { orchestrator: orchestrator.name, groups: words.counts.map(({ group, total, statuses }) => ({ name: group, total, statuses })) }),
      });
      return frozen ? EXIT.frozen : EXIT.ok;
    }
    const c = ctx.print.c;
    ctx.print.out(`mission ${view.paths.missionDir}`);
    ctx.print.out(frozen && state.freeze.kind === 'frozen' ? `  ${c.red.bold('FROZEN')} since ${state.freeze.since} (incident ${state.freeze.incident}): ${state.freeze.reason}` : `  ${c.green('not frozen')}`);
    ctx.print.out(`  guardian: ${view.guardian === undefined ? 'not running' : `pid ${view.guardian.pid} (${view.guardian.mode}) since ${view.guardian.since}`}`);
    ctx.print.out(`  journal: ${state.seq} entries${view.tornBytes > 0 ? c.yellow(`, ${view.tornBytes} torn bytes at the end (repaired on the next write)`) : ''}`);
    const shapeWarnings = state.counts.get('shape-warning') ?? 0;
    if (words !== undefined) ctx.print.out([`  ${orchestrator.title} ${words.path} (last good):`, ...groupLines(orchestrator, words).map((line) => `    ${line}`)].join('\n'));
    if (held !== undefined) ctx.print.out(`  ${held}`);
    if (shapeWarnings > 0) ctx.print.out(c.yellow(`  warnings: ${shapeWarnings} deviation${shapeWarnings === 1 ? '' : 's'} from the shape ${orchestrator.title} writes, in accepted versions (its readers tolerate them): guard log --mission ${mission} --kind shape-warning`));
    if (incidents.length > 0) {
      ctx.print.out('  open incidents:');
      for (const incident of incidents) {
        ctx.print.out(`    #${incident.id} ${incident.at} ${incident.path} (${incident.finalization ? 'finalization, repaired in place' : incident.role}; ${incident.outcome}): ${issuesText(incident.issues)}`);
      }
    }
    // One write for all rows: a long mission has thousands of artifacts (handoffs).
    const rows = artifacts.map((row) => {
      const mark = row.health === 'good' ? c.green('good   ') : row.health === 'new' ? c.dim('new    ') : c.yellow(row.health.padEnd(7));
      return `    ${mark} ${row.path} (${row.role}) last good ${row.lastGood?.slice(0, 12) ?? 'none'}`;
    });
    ctx.print.out(['  artifacts:', ...rows].join('\n'));
    ctx.print.out(`next: ${next}`);
    if (frozen) for (const line of wayOut) ctx.print.out(`  ${line}`);
    return frozen ? EXIT.frozen : EXIT.ok;
  },
});

// Every frozen mission has a way out: what to run when `guard ack` refuses (issue 9 item 5).
function waysOut(mission: string, summary: string | undefined): string[] {
  return [
    `if guard ack refuses: guard verify --mission ${mission} names each disagreement and the command that fixes it:`,
    `  an artifact that fails its checks: guard repair --mission ${mission} --restore ARTIFACT`,
    ...(summary === undefined ? [] : [`  ${summary} disagreeing with durable truth (done work reverted or missing, even a feature no stored version holds): guard repair --mission ${mission} --rebuild ${summary}`]),
  ];
}
