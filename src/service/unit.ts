// The background safety net as a user service: the systemd unit (Linux) and the launchd plist
// (macOS) that run `guard watch --root ROOT --quiet`. Pure text from data; the CLI writes it.

export const UNIT_NAME = 'mission-guard.service';
export const LAUNCHD_LABEL = 'dev.mission-guard.watch';

/** What the service runs and with which environment. */
export interface ServiceSpec {
  node: string;
  bin: string;
  root: string;
  onIncident?: string | undefined;
  /** GUARD_HOME at install time, when set: the service must use the same guard state. */
  guardHome?: string | undefined;
}

export function watchArgs(spec: ServiceSpec): string[] {
  return [spec.node, spec.bin, 'watch', '--root', spec.root, '--quiet', ...(spec.onIncident === undefined ? [] : ['--on-incident', spec.onIncident])];
}

// One word of an ExecStart= line: systemd's own quoting, with % and $ escaped from specifiers and variables.
export function systemdWord(word: string): string {
  const plain = /^[\w@+=:,./-]+$/.test(word) ? word : `"${word.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  return plain.replaceAll('%', '%%').replaceAll('$', '$$$$');
}

export function unitText(spec: ServiceSpec): string {
  return [
    '# Written by `guard service install`; remove it with `guard service uninstall`.',
    '[Unit]',
    `Description=mission guard: protects every mission under ${spec.root.replaceAll('%', '%%')}`,
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${watchArgs(spec).map(systemdWord).join(' ')}`,
    ...(spec.guardHome === undefined ? [] : [`Environment=${systemdWord(`GUARD_HOME=${spec.guardHome}`)}`]),
    'Restart=on-failure',
    'RestartSec=5',
    'StandardOutput=journal',
    'StandardError=journal',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

const xml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

export function plistText(spec: ServiceSpec, logFile: string): string {
  const env = spec.guardHome === undefined ? [] : ['  <key>EnvironmentVariables</key>', '  <dict>', `    <key>GUARD_HOME</key><string>${xml(spec.guardHome)}</string>`, '  </dict>'];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key><string>${LAUNCHD_LABEL}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...watchArgs(spec).map((arg) => `    <string>${xml(arg)}</string>`),
    '  </array>',
    ...env,
    '  <key>RunAtLoad</key><true/>',
    '  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>',
    `  <key>StandardOutPath</key><string>${xml(logFile)}</string>`,
    `  <key>StandardErrorPath</key><string>${xml(logFile)}</string>`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
