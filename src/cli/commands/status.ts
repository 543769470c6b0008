// guard status: frozen or not, open incidents, each artifact's health and last good, next step.
import { openIncidents } from '../../core/replay.js';
import { EXIT } from '../../errors.js';
import { defineCommand, jsonOption, missionOption } from '../command.js';
import { profileFor, profileOptions, resolveMissionDir } from '../mission.js';
import { artifactHealth, summarizeMission } from '../mission-view.js';
import { issuesText } from '../render.js';
import { shellQuote, type Frozen } from '../../core/freeze.js';

export const statusCommand = defineCommand({
  name: 'status',
  usage: 'guard status [--mission DIR] [--json]',
  summary: 'frozen or not, open incidents, artifact health, and what to do next',
  options: { ...missionOption, ...jsonOption, ...profileOptions },
  async run(ctx, { values }) {
    const dir = resolveMissionDir(ctx, values.mission);
    const view = await summarizeMission(ctx.guardHome, dir);
    const artifacts = await artifactHealth(view, profileFor(ctx, dir, values));
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
        warnings: state.counts.get('shape-warning') ?? 0,
        next,
      });
      return frozen ? EXIT.frozen : EXIT.ok;
    }
    const c = ctx.print.c;
    ctx.print.out(`mission ${view.paths.missionDir}`);
    ctx.print.out(frozen && state.freeze.kind === 'frozen' ? `  ${c.red.bold('FROZEN')} since ${state.freeze.since} (incident ${state.freeze.incident}): ${state.freeze.reason}` : `  ${c.green('not frozen')}`);
    ctx.print.out(`  guardian: ${view.guardian === undefined ? 'not running' : `pid ${view.guardian.pid} (${view.guardian.mode}) since ${view.guardian.since}`}`);
    ctx.print.out(`  journal: ${state.seq} entries${view.tornBytes > 0 ? c.yellow(`, ${view.tornBytes} torn bytes at the end (repaired on the next write)`) : ''}`);
    const warnings = state.counts.get('shape-warning') ?? 0;
    if (warnings > 0) ctx.print.out(c.yellow(`  warnings: ${warnings} accepted version${warnings === 1 ? '' : 's'} deviate from the shape droid writes (its readers tolerate them): guard log --mission ${mission} --kind shape-warning`));
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
    return frozen ? EXIT.frozen : EXIT.ok;
  },
});
