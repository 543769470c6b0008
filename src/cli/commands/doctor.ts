// guard doctor: will droid run the guard's hooks for the orchestrator, workers and validators, and
// if not, why not and what to do (exit 1). Read-only.
import { EXIT, GuardError } from '../../errors.js';
import { diagnoseDroidHooks, type DoctorReport } from '../../install/doctor.js';
import { defineCommand, jsonOption, type Context } from '../command.js';

export const doctorCommand = defineCommand({
  name: 'doctor',
  usage: 'guard doctor [--json]',
  summary: "whether droid will run the guard's hooks, and why not",
  options: { ...jsonOption },
  async run(ctx, { values, positionals }) {
    if (positionals.length > 0) throw new GuardError('USAGE', `unexpected argument "${positionals[0]}"\nusage: guard doctor [--json]`);
    const report = droidHooksReport(ctx);
    if (values.json === true) ctx.print.json(report);
    else for (const line of doctorLines(report)) ctx.print.out(line);
    return report.fires ? EXIT.ok : EXIT.checkFailed;
  },
});

// The diagnosis for this process's home, working directory and guard home.
export function droidHooksReport(ctx: Context): DoctorReport {
  const env = ctx.io.env;
  return diagnoseDroidHooks({ where: { home: ctx.home, cwd: ctx.io.cwd, env }, guardHome: ctx.guardHome, guardHomeFromEnv: env.GUARD_HOME !== undefined && env.GUARD_HOME !== '' });
}

// One line: what `guard run -- droid` prints at start.
export function verdictLine(report: DoctorReport): string {
  if (report.fires) return `droid runs the guard's hooks for the orchestrator, workers and validators (${[...new Set(report.hooks.map((hook) => hook.file))].join(', ')})`;
  const first = report.problems[0];
  return `droid will NOT run the guard's hooks${first === undefined ? '' : `: ${first.problem}${first.file === undefined ? '' : ` (${first.file})`}; fix: ${first.fix}`}${report.problems.length > 1 ? ` (+${report.problems.length - 1} more: guard doctor)` : ''}`;
}

function doctorLines(report: DoctorReport): string[] {
  const lines = [report.fires ? `ok: ${verdictLine(report)}` : verdictLine(report)];
  for (const hook of report.hooks) lines.push(`  hook: ${hook.file} ${JSON.stringify(hook.matcher)} -> ${hook.command} (${hook.tools.join(', ') || 'no guarded tool'})`);
  for (const problem of report.problems) lines.push(`  problem: ${problem.file === undefined ? '' : `${problem.file}: `}${problem.problem}\n    fix: ${problem.fix}`);
  lines.push(`  guard home: ${report.guardHome}`);
  for (const note of report.notes) lines.push(`  note: ${note}`);
  return lines;
}
