// guard init: install (or --remove) the guard's PreToolUse hooks in droid's or Claude Code's settings.
import { resolve } from 'node:path';
import { EXIT, GuardError } from '../../errors.js';
import { shellQuote } from '../../core/freeze.js';
import type { Agent } from '../../install/hook-entries.js';
import { installGuardHooks, removeGuardHooks, type FileOutcome, type InitReport } from '../../install/install.js';
import { droidMissionsRoot, guardHookCommand, type Scope, type Where } from '../../install/targets.js';
import { defineCommand, jsonOption } from '../command.js';
import { projectRoot } from '../project-root.js';

const USAGE = 'guard init --droid | --claude [--scope user | project] [--remove] [--json]';

const AGENT_NAMES: Record<Agent, string> = { droid: 'droid', claude: 'Claude Code' };
const TOOLS: Record<Agent, string> = { droid: 'Create/Edit/ApplyPatch, Execute and StartMissionRun', claude: 'Write/Edit/MultiEdit and Bash' };

export const initCommand = defineCommand({
  name: 'init',
  usage: USAGE,
  summary: "install (or --remove) the guard's hooks in droid or Claude Code settings",
  options: { ...jsonOption, droid: { type: 'boolean' }, claude: { type: 'boolean' }, scope: { type: 'string' }, remove: { type: 'boolean' } },
  async run(ctx, { values, positionals }) {
    if (positionals.length > 0) throw usage(`unexpected argument "${positionals[0]}"`);
    if (values.droid === true && values.claude === true) throw usage('choose one agent: --droid or --claude, not both');
    if (values.droid !== true && values.claude !== true) throw usage('say which agent to install the hooks for: --droid or --claude');
    const scope = values.scope ?? 'user';
    if (scope !== 'user' && scope !== 'project') throw usage(`--scope must be "user" or "project", not "${scope}"`);
    const agent: Agent = values.droid === true ? 'droid' : 'claude';
    const project = scope === 'project' ? projectRoot(ctx.io.cwd) : undefined;
    const where: Where = { home: ctx.home, cwd: project?.dir ?? ctx.io.cwd, env: ctx.io.env };
    // A GUARD_HOME set in this shell goes into the command: workers' hooks may not inherit it.
    const guardHome = ctx.io.env.GUARD_HOME !== undefined && ctx.io.env.GUARD_HOME !== '' ? resolve(ctx.io.cwd, ctx.guardHome) : undefined;
    const options = { agent, scope: scope as Scope, where, command: guardHookCommand(guardHome) };
    const report = values.remove === true ? await removeGuardHooks(options) : await installGuardHooks(options);
    const next = nextStep(report, where);
    if (values.json === true) ctx.print.json({ ...report, ...(project === undefined ? {} : { project: project.dir }), next });
    else {
      if (project !== undefined) ctx.print.out(`project: ${project.dir} (${project.how})`);
      for (const file of report.files) ctx.print.out(outcomeLine(file, report));
      for (const note of report.notes) ctx.print.out(`note: ${note}`);
      ctx.print.out(`next: ${next}`);
    }
    return EXIT.ok;
  },
});

function usage(message: string): GuardError {
  return new GuardError('USAGE', `${message}\nusage: ${USAGE}`);
}

function outcomeLine(file: FileOutcome, report: InitReport): string {
  const matchers = file.changes.map((change) => `${change.change} ${change.matcher}`).join(', ');
  switch (file.outcome) {
    case 'created':
      return `created ${file.file} with the guard's PreToolUse hooks (${matchers})`;
    case 'updated':
      return `updated ${file.file}: ${matchers}${file.backup === undefined ? '' : report.action === 'install' ? `; the original is saved as ${file.backup}` : ''}`;
    case 'restored':
      return `restored ${file.file} to its exact bytes from before guard init (${matchers})`;
    case 'deleted':
      return `deleted ${file.file}: guard init had created it and it held nothing else`;
    case 'absent':
      return `${file.file} does not exist; nothing to remove`;
    case 'unchanged':
      return report.action === 'install' ? `${file.file} already has the guard's hooks; nothing changed` : `${file.file} has no guard hooks; nothing changed`;
  }
}

function nextStep(report: InitReport, where: Where): string {
  const name = AGENT_NAMES[report.agent];
  if (report.action === 'remove') return `${name} no longer calls guard hook; a running guard watch still catches bad writes after the fact.`;
  const watch = report.agent === 'droid' ? `guard watch --root ${shellQuote(droidMissionsRoot(where))}` : 'guard watch DIR (the directory whose state files to protect)';
  return `${name} will call ${report.command} on ${TOOLS[report.agent]} (sessions started from now on); start guarding with: ${watch}`;
}
