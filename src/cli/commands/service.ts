// guard service install|uninstall|status: `guard watch --root ROOT --quiet` as a systemd user
// service whose output goes to the journal (journalctl --user -u mission-guard). On macOS the
// launchd plist is printed, not written: it is not tested there.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../store/atomic-write.js';
import { EXIT, GuardError } from '../../errors.js';
import { droidMissionsRoot } from '../../install/targets.js';
import { guardBinPath } from '../../run/guard-bin.js';
import { LAUNCHD_LABEL, plistText, UNIT_NAME, unitText, type ServiceSpec } from '../../service/unit.js';
import { defineCommand, jsonOption, type Context } from '../command.js';
import { incidentOptions, parseIncidentHook } from '../incident-options.js';

const USAGE = 'guard service install|uninstall|status [--root DIR] [--on-incident CMD] [--no-enable] [--json]';

export const serviceCommand = defineCommand({
  name: 'service',
  usage: USAGE,
  summary: 'install, remove or check guard watch as a systemd user service (launchd on macOS: printed)',
  options: { ...jsonOption, root: { type: 'string' }, 'on-incident': incidentOptions['on-incident'], 'no-enable': { type: 'boolean' } },
  async run(ctx, { values, positionals }) {
    const [action, ...extra] = positionals;
    if (action === undefined || extra.length > 0 || !['install', 'uninstall', 'status'].includes(action)) throw new GuardError('USAGE', `guard service takes one action: install, uninstall or status.\nusage: ${USAGE}`);
    const root = values.root === undefined ? droidMissionsRoot({ home: ctx.home, cwd: ctx.io.cwd, env: ctx.io.env }) : resolve(ctx.io.cwd, values.root);
    parseIncidentHook(values);
    const spec: ServiceSpec = { node: process.execPath, bin: guardBinPath(), root, onIncident: values['on-incident'], guardHome: nonEmpty(ctx.io.env.GUARD_HOME) };
    const json = values.json === true;
    if (process.platform === 'darwin') return launchd(ctx, action, spec, json);
    const unit = join(nonEmpty(ctx.io.env.XDG_CONFIG_HOME) ?? join(ctx.home, '.config'), 'systemd', 'user', UNIT_NAME);
    if (action === 'install') return install(ctx, unit, spec, values['no-enable'] === true, json);
    if (action === 'uninstall') return uninstall(ctx, unit, values['no-enable'] === true, json);
    return status(ctx, unit, json);
  },
});

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

const ENABLE = `systemctl --user daemon-reload && systemctl --user enable --now ${UNIT_NAME}`;

async function install(ctx: Context, unit: string, spec: ServiceSpec, noEnable: boolean, json: boolean): Promise<number> {
  mkdirSync(spec.root, { recursive: true }); // droid creates it on first use; the service must not fail before
  mkdirSync(dirname(unit), { recursive: true });
  await writeFileAtomic(unit, Buffer.from(unitText(spec)));
  const enabled = noEnable ? undefined : systemctl(ctx, ['daemon-reload']) ?? systemctl(ctx, ['enable', '--now', UNIT_NAME]);
  if (json) {
    ctx.print.json({ action: 'install', unit, root: spec.root, enabled: enabled === undefined && !noEnable, error: enabled ?? null, enable: ENABLE });
    return EXIT.ok;
  }
  ctx.print.out(`wrote ${unit} (guard watch --root ${spec.root} --quiet; output in the journal: journalctl --user -u ${UNIT_NAME})`);
  if (noEnable) ctx.print.out(`not enabled (--no-enable). Enable it with: ${ENABLE}`);
  else if (enabled === undefined) ctx.print.out(`enabled and started. Check it with: guard service status`);
  else ctx.print.err(`guard service: the unit is written, but enabling it failed: ${enabled}\nEnable it where a user session bus runs with: ${ENABLE}`);
  return EXIT.ok;
}

async function uninstall(ctx: Context, unit: string, noEnable: boolean, json: boolean): Promise<number> {
  const present = existsSync(unit);
  const disabled = present && !noEnable ? systemctl(ctx, ['disable', '--now', UNIT_NAME]) : undefined;
  if (present) rmSync(unit);
  if (present && !noEnable) systemctl(ctx, ['daemon-reload']);
  if (json) {
    ctx.print.json({ action: 'uninstall', unit, removed: present, error: disabled ?? null });
    return EXIT.ok;
  }
  if (!present) ctx.print.out(`${unit} does not exist; nothing to remove`);
  else ctx.print.out(`removed ${unit}${disabled === undefined ? '' : ` (stopping it failed: ${disabled}; stop it with: systemctl --user stop ${UNIT_NAME})`}`);
  return EXIT.ok;
}

function status(ctx: Context, unit: string, json: boolean): Promise<number> {
  const installed = existsSync(unit);
  const active = installed ? spawnSync('systemctl', ['--user', 'is-active', UNIT_NAME], { encoding: 'utf8', env: ctx.io.env }) : undefined;
  const state = active === undefined ? 'not installed' : active.error !== undefined ? `unknown (${active.error.message})` : (active.stdout.trim() || active.stderr.trim() || 'unknown');
  const execStart = installed ? (/^ExecStart=(.*)$/m.exec(readFileSync(unit, 'utf8'))?.[1] ?? null) : null;
  if (json) ctx.print.json({ action: 'status', unit, installed, state, execStart });
  else {
    ctx.print.out(`${unit}: ${installed ? 'installed' : 'not installed'}${installed ? `; ${UNIT_NAME} is ${state}` : ''}`);
    if (execStart !== null) ctx.print.out(`  runs: ${execStart}`);
    ctx.print.out(installed ? `  logs: journalctl --user -u ${UNIT_NAME}` : '  install it with: guard service install');
  }
  return Promise.resolve(installed ? EXIT.ok : EXIT.checkFailed);
}

// `systemctl --user ARGS`: undefined when it worked, else why not.
function systemctl(ctx: Context, args: string[]): string | undefined {
  const result = spawnSync('systemctl', ['--user', ...args], { encoding: 'utf8', env: ctx.io.env, timeout: 30_000 });
  if (result.error !== undefined) return `systemctl: ${result.error.message}`;
  if (result.status !== 0) return (result.stderr.trim() || `systemctl --user ${args.join(' ')} exited ${result.status}`).split('\n')[0];
  return undefined;
}

function launchd(ctx: Context, action: string, spec: ServiceSpec, json: boolean): Promise<number> {
  const plist = join(ctx.home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  const text = plistText(spec, join(ctx.home, 'Library', 'Logs', 'mission-guard.log'));
  if (json) ctx.print.json({ action, platform: 'darwin', plist, contents: action === 'install' ? text : null, written: false });
  else if (action === 'install') ctx.print.out(`launchd (not written: save it yourself):\n  path: ${plist}\n  then: launchctl load -w ${plist}\n\n${text}`);
  else if (action === 'uninstall') ctx.print.out(`launchd: launchctl unload -w ${plist} && rm ${plist}`);
  else ctx.print.out(`launchd: launchctl list ${LAUNCHD_LABEL}`);
  return Promise.resolve(EXIT.ok);
}
