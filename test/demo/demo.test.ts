// guard demo and the simulated droid orchestrator it runs: the incident is caught, every completed
// feature survives, and a clean simulated run raises no false alarm.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createDemoMission } from '../../src/demo/demo-mission.js';
import type { Feature } from '../../src/demo/droid-files.js';
import { demoOutcome, SIMULATOR } from '../../src/demo/outcome.js';
import { BIN, failOnLeakedChildren, kinds, runGuard, sandbox, type Sandbox } from '../helpers/index.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

const featuresOf = (mission: string) => (JSON.parse(readFileSync(join(mission, 'features.json'), 'utf8')) as { features: Feature[] }).features;

describe('guard demo', () => {
  test('exits 3 (frozen) after showing the incident, with every completed feature intact', async () => {
    const dir = join(box.dir, 'demo');
    const result = await runGuard(box, ['demo', '--dir', dir, '--pace-ms', '0']);
    assert.equal(result.code, 3, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    const [name] = readdirSync(join(dir, 'missions'));
    const mission = join(dir, 'missions', name as string);

    // What the demo shows: the run, guard status, the diff of the bad write, the ack command.
    assert.match(result.stdout, /worker ws-0003 completed f3-logout/);
    assert.match(result.stdout, /guard status --mission/);
    assert.match(result.stdout, /FROZEN since/);
    assert.match(result.stdout, /the bad write: guard diff --mission .* features\.json/);
    assert.match(result.stdout, /f1-signup: completed -> pending|completed and may not become "pending"/);
    assert.match(result.stdout, /guard ack --mission .* --note "/);
    assert.doesNotMatch(result.stdout, /GUARD_HOME=/, 'the user set GUARD_HOME: the ack command needs no prefix');
    assert.match(result.stderr, /REJECTED features\.json/);

    // On disk and in the journal: both bad writes caught, features.json back to its last good.
    const outcome = await demoOutcome(box.home, mission);
    assert.equal(outcome.frozen, true);
    assert.equal(outcome.featuresAreLastGood, true);
    assert.deepEqual(outcome.completed.sort(), ['f1-signup', 'f2-login', 'f3-logout']);
    assert.deepEqual(outcome.everCompleted.sort(), ['f1-signup', 'f2-login', 'f3-logout']);
    const completed = featuresOf(mission).filter((feature) => feature.status === 'completed');
    assert.ok(completed.every((feature) => feature.completedWorkerSessionId !== undefined && (feature.workerSessionIds ?? []).length === 1));
    const synthesis = outcome.incidents.find((incident) => incident.path === 'validation/m1/scrutiny/synthesis.json');
    assert.ok(synthesis?.finalization === true && synthesis.outcome === 'restored', 'the finalization write is restored without freezing');
    assert.equal(JSON.parse(readFileSync(join(mission, 'validation/m1/scrutiny/synthesis.json'), 'utf8')).round, 1);
    const frozen = kinds(box, 'frozen', mission);
    assert.equal(frozen.length, 1);
    assert.ok(frozen[0]?.kind === 'frozen' && frozen[0].path === 'features.json', 'only features.json froze the mission');
    assert.equal(JSON.parse(readFileSync(join(mission, 'state.json'), 'utf8')).state, 'paused', "droid's scheduler is paused");
  });

  test('without GUARD_HOME, every command it prints works when pasted into a shell', async () => {
    const dir = join(box.dir, 'demo');
    const env: NodeJS.ProcessEnv = { ...box.env, PATH: `${join(box.dir, 'bin')}:${box.env.PATH ?? ''}` };
    delete env.GUARD_HOME;
    mkdirSync(join(box.dir, 'bin'));
    symlinkSync(BIN, join(box.dir, 'bin', 'guard'));
    const result = await runGuard(box, ['demo', '--dir', dir, '--pace-ms', '0'], { env });
    assert.equal(result.code, 3, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    const commands = result.stdout.split('\n').flatMap((line) => /^(?:── (?:the bad write: )?| {2})((?:GUARD_HOME=\S+ )?guard (?:status|diff|ack) .*)$/.exec(line)?.[1] ?? []);
    assert.deepEqual(commands.map((command) => /guard (\w+)/.exec(command)?.[1]), ['status', 'diff', 'ack'], result.stdout);
    const paste = (command: string) => new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      execFile('sh', ['-c', command], { env, cwd: box.dir }, (error, stdout, stderr) => done({ code: error === null ? 0 : (error as { code?: number }).code ?? null, stdout, stderr }));
    });
    const [status, diff, ack] = commands as [string, string, string];
    const pastedStatus = await paste(status);
    assert.equal(pastedStatus.code, 3, pastedStatus.stderr);
    assert.match(pastedStatus.stdout, /FROZEN since/, pastedStatus.stderr);
    const pastedDiff = await paste(diff);
    assert.equal(pastedDiff.code, 0, pastedDiff.stderr);
    // The same diff the demo showed (on a loaded machine the incident it catches may differ).
    const shown = pastedDiff.stdout.split('\n')[0] ?? '';
    assert.match(shown, /^features\.json: last good #\d+ \(\w+\) -> /);
    assert.ok(result.stdout.includes(shown), `the pasted diff matches the demo's:\n${shown}\n---\n${result.stdout}`);
    // Pasted at a terminal, ack asks for a yes; this shell has none, so it says so with the flag.
    const pastedAck = await paste(`${ack} --yes-i-am-human`);
    assert.equal(pastedAck.code, 0, `${pastedAck.stdout}${pastedAck.stderr}`);
    assert.match(pastedAck.stdout, /unfrozen/, pastedAck.stderr);
  });

  test('refuses a --dir that is not empty (usage, exit 2)', async () => {
    const result = await runGuard(box, ['demo', '--dir', box.dir]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /is not empty/);
  });
});

describe('the simulated orchestrator', () => {
  test('a clean run under guard run: every droid-style write accepted, nothing frozen, exit 0', async () => {
    createDemoMission(box.mission);
    const result = await runGuard(box, ['run', '--mission', box.mission, '--', process.execPath, SIMULATOR, '--mission', box.mission, '--guard-home', box.home, '--scenario', 'clean']);
    assert.equal(result.code, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    assert.match(result.stdout, /all features completed/);
    assert.deepEqual(kinds(box, 'write-rejected'), [], 'no false alarm on droid-style writes');
    assert.equal(featuresOf(box.mission).every((feature) => feature.status === 'completed'), true);
  });
});
