// `guard <command> --help`: the usage line, then every option the command accepts with what it
// does and its default. Descriptions live here, keyed `command.option` or just `option` when the
// meaning is the same everywhere, so a new option shows up in --help even before it is described.
import type { Command, Options } from './command.js';

const SHARED: Record<string, string> = {
  mission: 'the mission dir (also the first argument where a command takes no other; default: $GUARD_MISSION, else the current dir when it is a mission)',
  json: 'print JSON on stdout instead of text (errors too: {"error": {"code", "message", "exit"}}; default: text)',
  profile: 'the rules: droid, taskmaster or generic (default: detected from the mission files: Task Master, else droid)',
  config: 'a profile file (JSON) to use instead of --profile (default: none)',
  'settle-ms': 'quiet time a version cut short needs once nobody writes it; where writers cannot be seen (not Linux), the settle window for any rejected version (default: 50)',
  'stuck-ms': 'a writer that keeps a rejected version open this long is treated as stuck: the version is acted on and the incident names it (default: 10000)',
  'recheck-ms': 'every N ms, stat every artifact and judge any change the watcher missed (queue overflow, mmap); 0 turns it off (default: 30000)',
  force: 'guard a dir that holds no mission files yet (default: refuse it)',
  'max-files': 'refuse a mission dir holding more than N files (default: 20000)',
  'yes-i-am-human': 'a human runs this script: skip the terminal confirmation (never give it to an agent; the hook denies it) (default: ask at a terminal)',
  root: 'a missions root: guard every mission dir under it (default: ${FACTORY_HOME_OVERRIDE:-$HOME}/.factory/missions when no mission is given)',
  'on-incident': 'run CMD (through sh -c) once per incident, with the incident as one JSON document on stdin; never waits for it (default: none)',
  'on-incident-timeout': 'kill the --on-incident command after S seconds and journal the failure (default: 30)',
  'retry-held-ms': 'how often to try again a mission another guard holds (default: 5000)',
  reason: 'why, kept in the journal (default: none)',
};

const SPECIFIC: Record<string, string> = {
  'run.suspend-child': "stop the child's process group while a mission is frozen, continue it after guard ack (default: off)",
  'run.no-hooks': "with droid: start it even when droid will not run the guard's hooks (see guard doctor) (default: refuse)",
  'run.mission': 'guard this one mission dir (default with droid: every mission droid touches under the missions root; otherwise the current dir)',
  'run.root': 'adopt every mission dir under DIR (default with droid: ${FACTORY_HOME_OVERRIDE:-$HOME}/.factory/missions)',
  'watch.mission': 'a mission dir to guard, repeatable; also as arguments (default: the current dir when it is a mission, else --root)',
  'watch.quiet': 'incidents and errors only, on stderr; nothing on stdout (default: every journal entry, incidents on stderr)',
  'watch.json': 'every journal entry as one JSON line on stdout (default: text)',
  'status.root': 'one row per mission under DIR (default when no mission is given and the current dir is not one: droid\'s missions root)',
  'ack.note': 'what was repaired (required; kept in the journal)',
  'demo.dir': 'an empty or new folder for the demo mission and its guard home (default: a fresh temp dir)',
  'demo.pace-ms': 'pause between the simulated orchestrator\'s steps (default: 150)',
  'write.from': 'read the new version from FILE, or - for stdin (default: stdin)',
  'repair.restore': 'put the last good version of ARTIFACT back (or the version --to names)',
  'repair.to': 'with --restore: the stored version to put back (default: last good)',
  'repair.reopen': 'permit the next write to move FEATURE out of a terminal status (needs --reason)',
  'repair.rebuild': 'rebuild features.json from durable truth (dry run unless --yes)',
  'repair.journal': 'cut a torn or damaged journal tail, keeping the cut bytes as an object',
  'repair.yes': 'with --rebuild: write the rebuilt file (default: dry run)',
  'repair.reason': 'why, kept in the journal (required with --reopen)',
  'log.since': 'entries from journal seq SEQ on, SEQ included (default: 1, the whole journal)',
  'log.kind': 'only entries of KIND, repeatable (default: every kind)',
  'init.droid': "install the hooks in droid's settings",
  'init.claude': "install the hooks in Claude Code's settings",
  'init.scope': 'user (~/.factory or ~/.claude) or project (the git root of the current dir, else the current dir) (default: user)',
  'init.remove': "remove the guard's hooks instead, restoring the file guard init changed (default: install)",
  'export.incident': 'the incident number (the seq of its write-rejected entry; guard status lists open ones) (required)',
  'export.out': 'the bundle dir to create; must not exist (required)',
  'service.root': 'the missions root the service guards (default: ${FACTORY_HOME_OVERRIDE:-$HOME}/.factory/missions)',
  'service.on-incident': 'passed to guard watch --on-incident in the service (default: none)',
  'service.no-enable': 'only write (or remove) the unit file; do not call systemctl --user (default: enable and start it)',
  'show.json': 'the version as JSON: its path, digest, size and bytes (base64) (default: the exact bytes)',
};

export const UNDESCRIBED = '(undescribed)';

// The text of `guard NAME --help`.
export function commandHelp(command: Command<Options>): string {
  const rows = Object.entries(command.options).map(([name, option]) => {
    const value = option.type === 'boolean' ? '' : ` ${valueName(name)}`;
    const flag = `--${name}${option.short === undefined ? '' : `, -${option.short}`}${value}`;
    return [flag, SPECIFIC[`${command.name}.${name}`] ?? SHARED[name] ?? UNDESCRIBED] as const;
  });
  rows.push(['--help, -h', 'this help']);
  const width = Math.min(28, Math.max(...rows.map(([flag]) => flag.length)));
  return [`usage: ${command.usage}`, '', command.summary, '', 'options:', ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`)].join('\n');
}

function valueName(option: string): string {
  const names: Record<string, string> = { mission: 'DIR', root: 'DIR', dir: 'DIR', out: 'DIR', config: 'FILE', from: 'FILE', profile: 'NAME', note: 'TEXT', reason: 'TEXT', 'on-incident': 'CMD', 'on-incident-timeout': 'S', since: 'SEQ', kind: 'KIND', incident: 'N', restore: 'ARTIFACT', rebuild: 'ARTIFACT', reopen: 'FEATURE', to: 'SNAP', scope: 'SCOPE' };
  return names[option] ?? 'N';
}
