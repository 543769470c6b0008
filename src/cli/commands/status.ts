// guard status: frozen or not, open incidents, each artifact's health and last good, next step.
import { openIncidents } from '../../core/replay.js';
import { EXIT } from '../../errors.js';
import { defineCommand, jsonOption, missionOption } from '../command.js';
import { profileFor, profileOptions, resolveMissionDir } from '../mission.js';
import { artifactHealth, summarizeMission } from '../mission-view.js';
import { issuesText } from '../render.js';
import { shellQuote, type Frozen } from '../../core/freeze.js';
import { summaryArtifact } from '../../guardian/inspect.js';

export const statusCommand = defineCommand({
  name: 'status',
  usage: 'guard status [--mission DIR] [--json]',
  summary: 'frozen or not, open incidents, artifact health, and what to do next',
  options: { ...missionOption, ...jsonOption, ...profileOptions },
  async run(ctx, { values }) {
    const dir = resolveMissionDir(ctx, values.mission);
    const view = await summarizeMission(ctx.guardHome, dir);
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
        next,
        wayOut,
      });
      return frozen ? EXIT.frozen : EXIT.ok;
    }
    const c = ctx.print.c;
    ctx.print.out(`mission ${view.paths.missionDir}`);
    ctx.print.out(frozen && state.freeze.kind === 'frozen' ? `  ${c.red.bold('FROZEN')} since ${state.freeze.since} (incident ${state.freeze.incident}): ${state.freeze.reason}` : `  ${c.green('not frozen')}`);
    ctx.print.out(`  guardian: ${view.guardian === undefined ? 'not running' : `pid ${view.guardian.pid} (${view.guardian.mode}) since ${view.guardian.since}`}`);
    ctx.print.out(`  journal: ${state.seq} entries${view.tornBytes > 0 ? c.yellow(`, ${view.tornBytes} torn bytes at the end (repaired on the next write)`) : ''}`);
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
