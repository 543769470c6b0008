// The operator's experience: every command's --help, errors that read as sentences, a mission as
// an argument, and the small commands that used to leave a person without a next step.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, writeLikeTool } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { BIN, failOnLeakedChildren, kinds, runGuard, sandbox, startWatch, stopGuard, until, type Sandbox } from '../helpers/index.js';
import { UNDESCRIBED } from '../../src/cli/help.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

const COMMANDS = ['run', 'demo', 'watch', 'status', 'ack', 'plan', 'verify', 'write', 'repair', 'log', 'hook', 'init', 'snapshots', 'show', 'diff', 'restore', 'export', 'service'];
const bad = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));

// A mission frozen by a real guard: one bad features.json caught and restored.
async function freeze(): Promise<void> {
  const guard = await startWatch(box);
  writeLikeTool(join(box.mission, 'features.json'), bad);
  await until(() => kinds(box, 'restored').length === 1, 'the bad write restored');
  await stopGuard(guard);
}

describe('--help', () => {
  test('every command lists every option it accepts, each described with its default', async () => {
    for (const name of COMMANDS) {
      const result = await runGuard(box, [name, '--help']);
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      assert.match(result.stdout, /^usage: guard /);
      assert.equal(result.stdout.includes(UNDESCRIBED), false, `guard ${name} --help has an undescribed option:\n${result.stdout}`);
      const module = await import(`../../src/cli/commands/${name}.js`);
      const command = Object.values(module).find((value) => typeof value === 'object' && value !== null && 'options' in value) as { options: Record<string, unknown> };
      for (const option of Object.keys(command.options)) assert.match(result.stdout, new RegExp(`--${option}\\b`), `guard ${name} --help lists --${option}`);
    }
  });
});

describe('errors read as sentences, prefixed once', () => {
  test('a missing --note: the message names the command once', async () => {
    const result = await runGuard(box, ['ack', '--mission', box.mission]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^guard ack: needs --note TEXT/);
    assert.doesNotMatch(result.stderr, /guard ack: guard ack/);
  });

  test('an unknown option and a missing value', async () => {
    const unknown = await runGuard(box, ['status', '--frozen']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^guard status: unknown option --frozen\. guard status --help lists the options/);
    const missing = await runGuard(box, ['log', '--since']);
    assert.match(missing.stderr, /^guard log: --since needs a value\./);
  });
});

describe('a mission as an argument', () => {
  test('guard status DIR is guard status --mission DIR; two missions are a usage error', async () => {
    const byArg = await runGuard(box, ['status', box.mission, '--json'], { cwd: box.dir });
    const byOption = await runGuard(box, ['status', '--mission', box.mission, '--json'], { cwd: box.dir });
    assert.equal(byArg.code, 0, byArg.stderr);
    assert.deepEqual(JSON.parse(byArg.stdout), JSON.parse(byOption.stdout));
    for (const name of ['plan', 'verify', 'log']) {
      const result = await runGuard(box, [name, box.mission], { cwd: box.dir });
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
    }
    const two = await runGuard(box, ['status', box.mission, box.dir], { cwd: box.dir });
    assert.equal(two.code, 2);
    assert.match(two.stderr, /at most one mission dir/);
  });
});

describe('after an incident', () => {
  test('guard watch: the REJECTED and FROZEN lines name the next commands on stderr at once', async () => {
    const guard = await startWatch(box);
    writeLikeTool(join(box.mission, 'features.json'), bad);
    await until(() => /FROZEN.*; then: guard ack/.test(guard.stderr()), 'the FROZEN line');
    const stderr = guard.stderr();
    await stopGuard(guard);
    assert.match(stderr, /REJECTED features\.json .*; inspect: guard diff --mission \S+ features\.json\n/);
    assert.match(stderr, /FROZEN by incident \d+: .*; inspect: guard diff --mission \S+ features\.json ; then: guard ack --mission \S+ --note "\.\.\."/);
    assert.doesNotMatch(guard.stdout(), /REJECTED|FROZEN/, 'incidents go to stderr');
  });

  test('guard diff with no argument shows the last bad write; guard diff ARTIFACT shows the file on disk when it differs from last good', async () => {
    await freeze();
    const last = await runGuard(box, ['diff', '--mission', box.mission]);
    assert.equal(last.code, 0, last.stderr);
    assert.match(last.stdout, /features\.json: last good #\d+ \(\w+\) -> rejected #\d+/);
    assert.match(last.stdout, /f1-login: completed -> pending/);
    const unjudged = featureText(withFeature(baseFeatures(), 'f4-search', { status: 'cancelled' }));
    writeFileSync(join(box.mission, 'features.json'), unjudged);
    const onDisk = await runGuard(box, ['diff', '--mission', box.mission, 'features.json']);
    assert.match(onDisk.stdout, /-> on disk now/);
    assert.match(onDisk.stdout, /f4-search: pending -> cancelled/);
  });

  test('guard plan on a frozen mission says frozen and names guard ack', async () => {
    await freeze();
    const result = await runGuard(box, ['plan', '--mission', box.mission]);
    assert.match(result.stdout, /the mission is FROZEN since/);
    assert.match(result.stdout, /next: guard ack --mission \S+ --note/);
    assert.doesNotMatch(result.stdout, /next: resume/);
  });

  test('guard log --since SEQ includes SEQ', async () => {
    await freeze();
    const [rejected] = kinds(box, 'write-rejected');
    assert.ok(rejected !== undefined);
    const result = await runGuard(box, ['log', '--mission', box.mission, '--since', String(rejected.seq), '--json']);
    assert.equal(JSON.parse(result.stdout.split('\n')[0] ?? '').seq, rejected.seq);
  });

  test('guard status warns when the mission is frozen but this guard home has no journal for it', async () => {
    await freeze();
    const other = { ...box.env, GUARD_HOME: join(box.dir, 'other-home') };
    const result = await runGuard(box, ['status', '--mission', box.mission], { env: other });
    assert.match(result.stderr, /\.guard-frozen exists .* wrong GUARD_HOME\?/);
  });

  test('guard ack works for a uid with no passwd entry', async (t) => {
    try {
      execFileSync('setpriv', ['--help'], { stdio: 'ignore' });
    } catch {
      t.skip('setpriv is not installed: cannot run as a uid without a passwd entry');
      return;
    }
    if (process.getuid?.() !== 0) {
      t.skip('not running as root: setpriv cannot switch to another uid');
      return;
    }
    await freeze();
    chmodSync(box.dir, 0o777);
    execFileSync('chmod', ['-R', 'a+rwX', box.dir]);
    const result = await runGuardAs(['ack', '--mission', box.mission, '--note', 'looked at it', '--yes-i-am-human']);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /internal error/);
    const acknowledged = kinds(box, 'acknowledged')[0];
    assert.ok(acknowledged?.kind === 'acknowledged');
    assert.match(acknowledged.who, /@/);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);
  });
});

describe('guard init --scope project', () => {
  test('writes at the git root of the current dir and says where', async () => {
    const project = join(box.dir, 'project');
    mkdirSync(join(project, '.git'), { recursive: true });
    mkdirSync(join(project, 'src', 'deep'), { recursive: true });
    const result = await runGuard(box, ['init', '--claude', '--scope', 'project'], { cwd: join(project, 'src', 'deep') });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`project: ${project} \\(git root\\)`));
    assert.ok(existsSync(join(project, '.claude', 'settings.json')));
    assert.equal(existsSync(join(project, 'src', 'deep', '.claude')), false);
  });
});

// `guard ARGS` as uid 54321, which has no passwd entry.
function runGuardAs(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile('setpriv', ['--reuid=54321', '--regid=54321', '--clear-groups', process.execPath, BIN, ...args], { env: { ...box.env, USER: '', LOGNAME: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
