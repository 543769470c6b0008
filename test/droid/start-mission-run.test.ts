// StartMissionRun resolves the mission as droid does (issue 13 item 5): the session's
// `mission-session` tag (in the settings file beside the transcript), the transcript summary's
// decompMissionId, then the session id; and it is also denied while the mission whose working
// directory holds the payload's cwd is frozen. A forked orchestrator session (new session id) can
// no longer restart a frozen mission.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMission, writeFeaturesLikeRunner, writeState } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { failOnLeakedChildren, kinds, runGuard, sandbox, startWatch, stopGuard, until, type RunResult, type Sandbox } from '../helpers/index.js';

const ORIGINAL = '5a7e3c1d-0b2a-4c6e-9f00-123456789abc';
const FORKED = '9d8c7b6a-1111-4222-8333-444455556666';

let box: Sandbox;
let mission: Sandbox;
let project: string;
let sessions: string;

before(async () => {
  box = sandbox();
  project = join(box.dir, 'project');
  mkdirSync(join(project, 'src'), { recursive: true });
  mission = { ...box, mission: join(box.env.FACTORY_HOME_OVERRIDE as string, '.factory', 'missions', ORIGINAL) };
  const state = createMission(mission.mission, baseFeatures());
  writeFileSync(join(mission.mission, 'working_directory.txt'), `${project}\n`);
  writeState(mission.mission, { ...state, workingDirectory: project });
  sessions = join(box.env.FACTORY_HOME_OVERRIDE as string, '.factory', 'sessions', '-project');
  mkdirSync(sessions, { recursive: true });
  const guard = await startWatch(mission);
  try {
    await writeFeaturesLikeRunner(mission.mission, withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));
    await until(() => kinds(mission, 'scheduler-paused', mission.mission).length > 0, 'frozen and paused');
  } finally {
    await stopGuard(guard);
  }
});

after(() => box.cleanup());
failOnLeakedChildren();

function start(session: string, cwd: string, transcript = join(sessions, `${session}.jsonl`)): Promise<RunResult> {
  const payload = { session_id: session, transcript_path: transcript, cwd, permission_mode: 'auto-high', hook_event_name: 'PreToolUse', tool_name: 'StartMissionRun', tool_input: {} };
  return runGuard(box, ['hook'], { input: JSON.stringify(payload) });
}

function assertDenied(result: RunResult): void {
  assert.equal(result.code, 2, `expected a deny; stderr: ${result.stderr}`);
  assert.match(result.stderr, /denied StartMissionRun/);
  assert.match(result.stderr, /is frozen since/);
}

describe('StartMissionRun from a session other than the mission dir name', () => {
  test("a forked orchestrator session whose tags name the frozen mission is denied, wherever it runs", async () => {
    writeFileSync(join(sessions, `${FORKED}.jsonl`), `${JSON.stringify({ type: 'session_start', id: FORKED, title: 'fork' })}\n`);
    writeFileSync(join(sessions, `${FORKED}.settings.json`), JSON.stringify({ autonomyMode: 'auto-high', tags: [{ name: 'btw-fork' }, { name: 'mission-session', metadata: { role: 'orchestrator', missionId: ORIGINAL } }] }));
    assertDenied(await start(FORKED, box.dir));
    const entry = kinds(mission, 'hook-denied', mission.mission).at(-1);
    assert.ok(entry?.kind === 'hook-denied');
    assert.equal(entry.session, FORKED);
  });

  test("a session with the old-style summary (decompMissionId) is denied", async () => {
    const id = 'aaaaaaaa-0000-4000-8000-000000000001';
    writeFileSync(join(sessions, `${id}.jsonl`), `${JSON.stringify({ type: 'session_start', id, title: 'old', decompSessionType: 'orchestrator', decompMissionId: ORIGINAL })}\n`);
    assertDenied(await start(id, box.dir));
  });

  test("a forked session id in the frozen mission's working directory is denied even when its tags cannot be read", async () => {
    assertDenied(await start('bbbbbbbb-0000-4000-8000-000000000002', project, join(box.dir, 'nowhere', 'x.jsonl')));
    assertDenied(await start('bbbbbbbb-0000-4000-8000-000000000002', join(project, 'src'), join(box.dir, 'nowhere', 'x.jsonl')));
  });

  test('a session of another mission in another directory is allowed', async () => {
    const result = await start('cccccccc-0000-4000-8000-000000000003', join(box.dir, 'elsewhere'));
    assert.equal(result.code, 0, result.stderr);
  });
});
