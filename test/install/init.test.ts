// guard init end to end: the built CLI edits real settings files in a sandbox HOME, and the
// installed command runs through sh the way droid and Claude Code run hooks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { failOnLeakedChildren, readText, runGuard, sandbox, writeFile, type RunResult, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let userHome: string;
let factoryHome: string;

beforeEach(() => {
  box = sandbox();
  userHome = box.env.HOME!;
  factoryHome = join(box.dir, 'factory-home');
  box.env.FACTORY_HOME_OVERRIDE = factoryHome;
  delete box.env.CLAUDE_CONFIG_DIR;
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

const droidSettings = () => join(factoryHome, '.factory', 'settings.json');

async function init(args: string[], cwd?: string): Promise<RunResult> {
  return runGuard(box, ['init', ...args], cwd === undefined ? {} : { cwd });
}

async function ok(args: string[], cwd?: string): Promise<RunResult> {
  const result = await init(args, cwd);
  assert.equal(result.code, 0, `guard init ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

type Group = { matcher: string; hooks: Array<{ type: string; command: string; timeout: number }> };

function preToolUse(file: string, nested = true): Group[] {
  const doc = JSON.parse(readText(file)) as { hooks?: { PreToolUse?: Group[] }; PreToolUse?: Group[] };
  return (nested ? doc.hooks?.PreToolUse : doc.PreToolUse) ?? [];
}

const USER_SETTINGS =
  '{\n    "model": "claude-sonnet",\n    "hooks": {\n        "PreToolUse": [\n            {\n                "matcher": "Read",\n                "hooks": [\n                    {\n                        "type": "command",\n                        "command": "audit-read"\n                    }\n                ]\n            }\n        ],\n        "Stop": []\n    },\n    "autonomy": "high"\n}';

describe('guard init --droid', () => {
  test('creates user settings under FACTORY_HOME_OVERRIDE; a second run is byte-identical; --remove deletes what it created', async () => {
    const first = await ok(['--droid']);
    const file = droidSettings();
    assert.match(first.stdout, new RegExp(`created ${file.replaceAll('.', '\\.')}`));
    assert.match(first.stdout, /guard watch --root \S+factory-home\/\.factory\/missions/);
    assert.equal(existsSync(join(userHome, '.factory', 'settings.json')), false, 'HOME is not the factory home here');
    const bytes = readFileSync(file);
    assert.deepEqual(preToolUse(file).map((group) => group.matcher), ['^(Create|Edit|ApplyPatch)$', '^Execute$', '^StartMissionRun$']);
    for (const group of preToolUse(file)) assert.deepEqual(group.hooks, [{ type: 'command', command: group.hooks[0]!.command, timeout: 10 }]);
    assert.match(preToolUse(file)[0]!.hooks[0]!.command, /^(GUARD_HOME=\S+ )?(\/\S*bin\/guard hook|'\/.*bin\/guard' hook)$/);
    assert.ok(preToolUse(file)[0]!.hooks[0]!.command.startsWith(`GUARD_HOME=${box.home} `), 'GUARD_HOME (set in the sandbox) is written into the command');

    const second = await ok(['--droid']);
    assert.match(second.stdout, /already has the guard's hooks; nothing changed/);
    assert.deepEqual(readFileSync(file), bytes);

    const removed = await ok(['--droid', '--remove']);
    assert.match(removed.stdout, /deleted/);
    assert.equal(existsSync(file), false);
    assert.equal(existsSync(join(factoryHome, '.factory')), false, 'the folder init created is gone too');
  });

  test('keeps every other setting and the file style; --remove restores the original bytes and mode', async () => {
    const file = droidSettings();
    writeFile(file, USER_SETTINGS);
    chmodSync(file, 0o600);
    const result = await ok(['--droid']);
    assert.match(result.stdout, /original is saved as .*settings\.json\.guard-backup/);
    assert.equal(readText(`${file}.guard-backup`), USER_SETTINGS);

    const installed = readText(file);
    const doc = JSON.parse(installed) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), ['model', 'hooks', 'autonomy']);
    assert.equal(doc.autonomy, 'high');
    assert.deepEqual((doc.hooks as Record<string, unknown>).Stop, []);
    assert.deepEqual(preToolUse(file).map((group) => group.matcher), ['Read', '^(Create|Edit|ApplyPatch)$', '^Execute$', '^StartMissionRun$']);
    assert.match(installed, /^\{\n {4}"model"/, '4-space indent kept');
    assert.ok(!installed.endsWith('\n'), 'no final newline, as before');
    assert.equal(statSync(file).mode & 0o777, 0o600);

    await ok(['--droid']);
    assert.equal(readText(file), installed, 'idempotent on an existing file too');

    const removed = await ok(['--droid', '--remove']);
    assert.match(removed.stdout, /restored .* exact bytes/);
    assert.equal(readText(file), USER_SETTINGS);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(existsSync(`${file}.guard-backup`), false);
  });

  test('a symlinked settings.json stays a symlink; the edit goes to its target', async () => {
    const real = join(box.dir, 'dotfiles', 'factory-settings.json');
    writeFile(real, USER_SETTINGS);
    mkdirSync(join(factoryHome, '.factory'), { recursive: true });
    symlinkSync(real, droidSettings());
    await ok(['--droid']);
    assert.ok(lstatSync(droidSettings()).isSymbolicLink());
    assert.equal(preToolUse(real).length, 4);
    await ok(['--droid', '--remove']);
    assert.ok(lstatSync(droidSettings()).isSymbolicLink());
    assert.equal(readText(real), USER_SETTINGS);
  });

  test('--remove after other edits keeps them, removes only the guard entries and keeps the backup', async () => {
    const file = droidSettings();
    writeFile(file, USER_SETTINGS);
    await ok(['--droid']);
    const edited = JSON.parse(readText(file)) as Record<string, unknown>;
    writeFile(file, JSON.stringify({ ...edited, autonomy: 'low' }, null, 4));
    const removed = await ok(['--droid', '--remove']);
    assert.match(removed.stdout, /original is kept in .*guard-backup/);
    assert.deepEqual(JSON.parse(readText(file)), { ...(JSON.parse(USER_SETTINGS) as object), autonomy: 'low' });
    assert.equal(readText(`${file}.guard-backup`), USER_SETTINGS);
  });

  test('installs into hooks.json when the folder has one, and restores it on --remove', async () => {
    const dir = join(box.dir, 'project', '.factory');
    const settings = join(dir, 'settings.json');
    const hooksJson = join(dir, 'hooks.json');
    const settingsText = '{\n  "model": "x"\n}\n';
    const hooksText = '{\n  "hooks": {\n    "PostToolUse": [\n      {\n        "matcher": "Create",\n        "hooks": [{ "type": "command", "command": "fmt" }]\n      }\n    ]\n  }\n}\n';
    writeFile(settings, settingsText);
    writeFile(hooksJson, hooksText);
    const result = await ok(['--droid', '--scope', 'project'], join(box.dir, 'project'));
    assert.match(result.stdout, /hooks\.json exists and droid reads hooks from it/);
    assert.equal(readText(settings), settingsText, 'settings.json untouched');
    assert.deepEqual(preToolUse(hooksJson, false).map((group) => group.matcher), ['^(Create|Edit|ApplyPatch)$', '^Execute$', '^StartMissionRun$'], 'top level: droid ignores a hooks wrapper in hooks.json');
    assert.deepEqual(preToolUse(hooksJson), [], 'nothing under the ignored wrapper');
    assert.equal(existsSync(droidSettings()), false, 'user scope untouched');

    await ok(['--droid', '--scope', 'project', '--remove'], join(box.dir, 'project'));
    assert.equal(readText(hooksJson), hooksText);
    assert.equal(readText(settings), settingsText);
  });

  test('a hooks.json keyed by event name keeps that layout', async () => {
    const hooksJson = join(factoryHome, '.factory', 'hooks.json');
    writeFile(hooksJson, '{"Stop":[]}');
    await ok(['--droid']);
    assert.equal(preToolUse(hooksJson, false).length, 3);
    assert.deepEqual(Object.keys(JSON.parse(readText(hooksJson)) as object), ['Stop', 'PreToolUse']);
    await ok(['--droid', '--remove']);
    assert.equal(readText(hooksJson), '{"Stop":[]}');
  });

  for (const start of ['{}', '{"hooksDisabled": false}', '{\n  "hooks": {\n    "PreToolUse": [{"matcher": "^Execute$", "hooks": [{"type": "command", "command": "guard hook"}]}]\n  }\n}\n']) {
    test(`hooks.json holding ${JSON.stringify(start)} gets the event keys at its top level`, async () => {
      const hooksJson = join(factoryHome, '.factory', 'hooks.json');
      writeFile(hooksJson, start);
      await ok(['--droid']);
      const doc = JSON.parse(readText(hooksJson)) as Record<string, unknown>;
      assert.deepEqual(preToolUse(hooksJson, false).map((group) => group.matcher), ['^(Create|Edit|ApplyPatch)$', '^Execute$', '^StartMissionRun$']);
      assert.equal(doc.hooks, undefined, 'no hooks wrapper (droid ignores it), and an old guard entry under one is gone');
      if (start.includes('hooksDisabled')) assert.equal(doc.hooksDisabled, false, 'other keys kept');
      assert.equal(existsSync(droidSettings()), false, 'settings.json untouched');
      const doctor = await runGuard(box, ['doctor']);
      assert.equal(doctor.code, 0, doctor.stdout);
      await ok(['--droid', '--remove']);
      if (start.includes('"hooks"')) assert.deepEqual(JSON.parse(readText(hooksJson)), {}, "an older guard's misplaced entry is not put back");
      else assert.equal(readText(hooksJson), start, 'the exact bytes come back');
    });
  }

  test('a legacy hooks/hooks.json (read when hooks.json is absent) gets the hooks, top level; settings.json is left alone', async () => {
    const legacy = join(factoryHome, '.factory', 'hooks', 'hooks.json');
    const settingsText = '{"hooks": {"PreToolUse": []}}\n';
    writeFile(droidSettings(), settingsText);
    writeFile(legacy, '{"PreToolUse": [{"matcher": "Read", "hooks": [{"type": "command", "command": "audit"}]}]}');
    const result = await ok(['--droid']);
    assert.match(result.stdout, /legacy hooks file/);
    assert.deepEqual(preToolUse(legacy, false).map((group) => group.matcher), ['Read', '^(Create|Edit|ApplyPatch)$', '^Execute$', '^StartMissionRun$']);
    assert.equal(readText(droidSettings()), settingsText);
    assert.equal((await runGuard(box, ['doctor'])).code, 0);
    await ok(['--droid', '--remove']);
    assert.equal(readText(legacy), '{"PreToolUse": [{"matcher": "Read", "hooks": [{"type": "command", "command": "audit"}]}]}');
  });

  test('settings that are not plain JSON: exit 2, file untouched, no backup', async () => {
    const file = droidSettings();
    const text = '{\n  // my settings\n  "model": "x",\n}\n';
    writeFile(file, text);
    const result = await init(['--droid']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /settings\.json is not plain JSON/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(readText(file), text);
    assert.equal(existsSync(`${file}.guard-backup`), false);
  });

  test('--json prints one document', async () => {
    const result = await ok(['--droid', '--json']);
    const report = JSON.parse(result.stdout) as { action: string; files: Array<{ file: string; outcome: string }>; next: string };
    assert.equal(report.action, 'install');
    assert.deepEqual(report.files.map((file) => [file.file, file.outcome]), [[droidSettings(), 'created']]);
    assert.match(report.next, /guard watch --root/);
  });
});

describe('guard init --claude', () => {
  test('project scope writes .claude/settings.json in the current directory with anchored matchers', async () => {
    const project = join(box.dir, 'project');
    mkdirSync(project);
    const result = await ok(['--claude', '--scope', 'project'], project);
    const file = join(project, '.claude', 'settings.json');
    assert.match(result.stdout, /Claude Code will call/);
    assert.deepEqual(preToolUse(file).map((group) => group.matcher), ['^(Write|Edit|MultiEdit)$', '^Bash$', '^mcp__.*[Tt][Aa][Ss][Kk].*[Mm][Aa][Ss][Tt][Ee][Rr].*__']);
    assert.equal(existsSync(join(userHome, '.claude')), false);
    assert.ok(readText(file).endsWith('}\n'));
  });

  test('user scope goes to ~/.claude/settings.json', async () => {
    await ok(['--claude']);
    assert.equal(preToolUse(join(userHome, '.claude', 'settings.json')).length, 3);
  });
});

describe('guard init usage errors', () => {
  for (const [args, message] of [
    [[], /--droid or --claude/],
    [['--droid', '--claude'], /not both/],
    [['--droid', '--scope', 'global'], /--scope must be "user" or "project"/],
    [['--droid', 'extra'], /unexpected argument/],
    [['--droid', '--bogus'], /unknown option --bogus/i],
  ] as const) {
    test(`guard init ${args.join(' ')} exits 2`, async () => {
      const result = await init([...args]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /usage: guard init/);
    });
  }
});

describe('the installed command', () => {
  test('runs through sh and allows an unrelated Read call', async (t) => {
    const registered = await runGuard(box, ['hook', '--help']);
    if (registered.code !== 0) {
      t.skip('guard hook is not registered in src/cli/main.ts yet; run this again once it is');
      return;
    }
    await ok(['--droid']);
    const command = preToolUse(droidSettings())[0]!.hooks[0]!.command;
    const payload = { session_id: 's', transcript_path: '/dev/null', cwd: box.dir, permission_mode: 'default', hook_event_name: 'PreToolUse', tool_name: 'Read', tool_input: { file_path: join(box.dir, 'notes.txt') } };
    const result = await runSh(command, JSON.stringify(payload));
    assert.equal(result.code, 0, `${command}:\n${result.stdout}\n${result.stderr}`);
  });
});

function runSh(command: string, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('sh', ['-c', command], { cwd: box.dir, env: { ...box.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
