// `guard hook` end to end: the built CLI as a child process, real droid and Claude Code payload
// shapes on stdin, guard state created by a real `guard watch`. Assertions on exit codes, the
// stderr the model would read, the files on disk and the journal.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { JournalEntry } from '../../src/core/entries.js';
import { createMission, featureText, writeFeaturesLikeRunner, writeHandoff, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { failOnLeakedChildren, journal, kinds, runGuard, sandbox, sha, startWatch, statePaths, stopGuard, until, type RunResult, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let features: Feature[];
let goodText: string;

beforeEach(async () => {
  box = sandbox();
  features = baseFeatures();
  createMission(box.mission, features);
  goodText = readFileSync(join(box.mission, 'features.json'), 'utf8');
  await stopGuard(await startWatch(box));
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

// droid's PreToolUse payload (DROID.md §6); Claude Code's has the same envelope.
function payload(tool: string, input: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { session_id: 'orch-session', transcript_path: join(box.dir, 'transcript.jsonl'), cwd: box.mission, permission_mode: 'auto-medium', hook_event_name: 'PreToolUse', tool_name: tool, tool_input: input, ...extra };
}

function hook(body: Record<string, unknown> | string, env: NodeJS.ProcessEnv = box.env): Promise<RunResult> {
  return runGuard(box, ['hook'], { input: typeof body === 'string' ? body : JSON.stringify(body), env });
}

function lastEntry(mission = box.mission): JournalEntry {
  return journal(box, mission).at(-1) as JournalEntry;
}

const featuresFile = () => join(box.mission, 'features.json');

function assertDenied(result: RunResult, ...patterns: RegExp[]): void {
  assert.equal(result.code, 2, `expected a deny (exit 2); stderr: ${result.stderr}`);
  for (const pattern of patterns) assert.match(result.stderr, pattern);
  assert.equal(result.stdout, '');
}

describe('droid file tools', () => {
  test('a Create that sets a completed feature to pending is denied with exit 2 and journaled', async () => {
    const bad = featureText(withFeature(features, 'f1-login', { status: 'pending' }));
    const result = await hook(payload('Create', { file_path: 'features.json', content: bad }));
    assertDenied(result, /denied this Create/, /features\.json \(scheduling artifact of mission /, /rule terminal-status, feature "f1-login"/, /guard write --mission \S+ features\.json --from FILE/);
    assert.equal(readFileSync(featuresFile(), 'utf8'), goodText, 'the hook never writes');
    const entry = lastEntry();
    assert.ok(entry.kind === 'hook-denied');
    assert.equal(entry.tool, 'Create');
    assert.equal(entry.path, 'features.json');
    assert.equal(entry.session, 'orch-session');
    assert.match(entry.reason, /^terminal-status: /);
    assert.equal(entry.issues[0]?.item, 'f1-login');
  });

  test('a good Create is allowed and journaled with the digest of the proposed bytes', async () => {
    const good = featureText(withFeature(features, 'f3-profile', { status: 'completed', completedWorkerSessionId: 'w3', currentWorkerSessionId: null }));
    const result = await hook(payload('Create', { file_path: featuresFile(), content: good }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.deepEqual(pick(lastEntry()), { kind: 'hook-allowed', tool: 'Create', path: 'features.json', session: 'orch-session', digest: sha(good) });
  });

  test('an Edit whose replacement breaks the JSON is denied; an Edit whose old text is missing is allowed', async () => {
    const broken = await hook(payload('Edit', { file_path: 'features.json', old_str: '"features": [', new_str: '"features": ' }));
    assertDenied(broken, /denied this Edit/, /rule parse/);
    assert.equal(kinds(box, 'hook-denied').at(-1)?.kind === 'hook-denied' && (kinds(box, 'hook-denied').at(-1) as { issues: Array<{ code: string }> }).issues[0]?.code, 'parse');

    const missing = await hook(payload('Edit', { file_path: 'features.json', old_str: 'no such text', new_str: '' }));
    assert.equal(missing.code, 0, missing.stderr);
    const entry = lastEntry();
    assert.ok(entry.kind === 'hook-allowed');
    assert.equal(entry.digest, undefined, 'no digest: nothing would be written');
    assert.match(entry.note ?? '', /not in the file/);
  });

  test('an Edit applies to the current file on disk: first occurrence, or all with change_all', async () => {
    const first = await hook(payload('Edit', { file_path: 'features.json', old_str: '"status": "completed"', new_str: '"status": "cancelled"' }));
    assertDenied(first, /feature "f1-login"/);
    assert.doesNotMatch(first.stderr, /f2-logout/, 'only the first occurrence is replaced');
    const all = await hook(payload('Edit', { file_path: 'features.json', old_str: '"milestone": "m1"', new_str: '"milestone": "m2"', change_all: true }));
    assert.equal(all.code, 0, all.stderr);
    assert.equal(lastEntry().kind === 'hook-allowed' && (lastEntry() as { digest?: string }).digest, sha(goodText.replaceAll('"milestone": "m1"', '"milestone": "m2"')));
  });

  test('an ApplyPatch touching features.json is judged: a bad one denied, a good one allowed', async () => {
    const otherFile = join(box.dir, 'project', 'src.ts');
    mkdirSync(join(box.dir, 'project'), { recursive: true });
    writeFileSync(otherFile, 'let x = 1;\n');
    const patch = (from: string, to: string) =>
      ['*** Begin Patch', `*** Update File: ${otherFile}`, '@@', '-let x = 1;', '+let x = 2;', '*** Update File: features.json', '@@', '       "id": "f1-login",', `-      "description": "${from}",`, `+      "description": "${to}",`, '*** End Patch'].join('\n');
    const good = await hook(payload('ApplyPatch', { input: patch('Login', 'Login with SSO') }));
    assert.equal(good.code, 0, good.stderr);
    assert.deepEqual(pick(lastEntry()), { kind: 'hook-allowed', tool: 'ApplyPatch', path: 'features.json', session: 'orch-session', digest: sha(goodText.replace('"description": "Login"', '"description": "Login with SSO"')) });

    const badPatch = ['*** Begin Patch', '*** Update File: features.json', '@@', '       "description": "Logout",', '-      "status": "completed",', '+      "status": "pending",', '*** End Patch'].join('\n');
    assertDenied(await hook(payload('ApplyPatch', { input: badPatch })), /denied this ApplyPatch/, /feature "f2-logout"/);

    const deletion = await hook(payload('ApplyPatch', { input: '*** Begin Patch\n*** Delete File: features.json\n*** End Patch' }));
    assertDenied(deletion, /rule deleted/);
    const moved = await hook(payload('ApplyPatch', { input: '*** Begin Patch\n*** Update File: progress_log.jsonl\n*** Move to: old-log.jsonl\n@@\n-x\n+y\n*** End Patch' }));
    assert.equal(moved.code, 0, 'a hunk that does not match: the tool fails by itself');
    assert.equal(readFileSync(featuresFile(), 'utf8'), goodText);
  });

  test('a write to a mission file that is not an artifact, or to a mission without guard state, is not journaled', async () => {
    const before = journal(box).length;
    assert.equal((await hook(payload('Create', { file_path: 'notes.txt', content: 'x' }))).code, 0);
    const unguarded = join(box.dir, 'unguarded');
    createMission(unguarded, features);
    const result = await hook(payload('Create', { file_path: join(unguarded, 'features.json'), content: 'not json' }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(journal(box).length, before);
    assert.equal(journal(box, unguarded).length, 0);
  });

  test('tracked artifacts are allowed without judging', async () => {
    const result = await hook(payload('Create', { file_path: 'mission.md', content: '# plan\n' }));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(pick(lastEntry()), { kind: 'hook-allowed', tool: 'Create', path: 'mission.md', session: 'orch-session', digest: sha('# plan\n') });
  });
});

describe('Claude Code file tools', () => {
  const claude = (tool: string, input: Record<string, unknown>) => payload(tool, input, { session_id: 'cc-session', permission_mode: 'default', transcript_path: join(box.dir, 'cc.jsonl') });

  test('Write is judged like Create', async () => {
    assertDenied(await hook(claude('Write', { file_path: featuresFile(), content: '{"features": [' })), /denied this Write/, /rule parse/);
    const good = featureText([...features, { id: 'f5-export', description: 'Export', status: 'pending' }]);
    assert.equal((await hook(claude('Write', { file_path: featuresFile(), content: good }))).code, 0);
    assert.deepEqual(pick(lastEntry()), { kind: 'hook-allowed', tool: 'Write', path: 'features.json', session: 'cc-session', digest: sha(good) });
  });

  test('Edit with old_string / new_string / replace_all', async () => {
    const reopen = await hook(claude('Edit', { file_path: 'features.json', old_string: '"description": "Login",\n      "status": "completed"', new_string: '"description": "Login",\n      "status": "pending"', replace_all: false }));
    assertDenied(reopen, /denied this Edit/, /feature "f1-login"/, /Features involved: f1-login/);
    const rename = await hook(claude('Edit', { file_path: 'features.json', old_string: '"m1"', new_string: '"m-one"', replace_all: true }));
    assert.equal(rename.code, 0, rename.stderr);
    assert.equal((lastEntry() as { digest?: string }).digest, sha(goodText.replaceAll('"m1"', '"m-one"')));
  });

  test('MultiEdit applies its edits in order and judges the result', async () => {
    const edits = [
      { old_string: '"description": "Search"', new_string: '"description": "Search v2"' },
      { old_string: '"description": "Search v2",\n      "status": "pending"', new_string: '"description": "Search v2",\n      "status": "cancelled"' },
    ];
    const good = await hook(claude('MultiEdit', { file_path: 'features.json', edits }));
    assert.equal(good.code, 0, good.stderr);
    assert.equal((lastEntry() as { digest?: string }).digest, sha(goodText.replace('"description": "Search",\n      "status": "pending"', '"description": "Search v2",\n      "status": "cancelled"')));
    const bad = await hook(claude('MultiEdit', { file_path: 'features.json', edits: [...edits, { old_string: '"id": "f2-logout",', new_string: '"id": "f1-login",' }] }));
    assertDenied(bad, /denied this MultiEdit/, /rule unique-key/);
  });
});

describe('shell commands', () => {
  test('echo ... > features.json is denied via Execute and via Bash, with a pointer to guard write', async () => {
    const execute = await hook(payload('Execute', { command: `echo '{"features": []}' > features.json` }));
    assertDenied(execute, /denied this Execute command/, /> redirection: features\.json \(scheduling artifact/, /guard write --mission \S+ features\.json --from FILE/);
    const bash = await hook(payload('Bash', { command: `jq '.features |= map(.status = "pending")' features.json > /tmp/f.json && mv /tmp/f.json ${featuresFile()}`, description: 'reset' }, { cwd: box.dir }));
    assertDenied(bash, /denied this Bash command/, /mv: features\.json/, /Write \/ Edit tools/);
    assert.equal(readFileSync(featuresFile(), 'utf8'), goodText);
    const entry = lastEntry();
    assert.ok(entry.kind === 'hook-denied');
    assert.equal(entry.reason, 'shell write (mv) to a scheduling artifact');
  });

  test('more ways to write: tee, sed -i, rm, appends to the progress log, removing the mission dir', async () => {
    assertDenied(await hook(payload('Execute', { command: 'cat x | tee -a progress_log.jsonl' })), /tee: progress_log\.jsonl \(evidence artifact/);
    assertDenied(await hook(payload('Execute', { command: `sed -i 's/"completed"/"pending"/' features.json` })), /sed -i: features\.json/);
    assertDenied(await hook(payload('Execute', { command: 'rm -f *.json' })), /rm: (features|state)\.json/);
    assertDenied(await hook(payload('Execute', { command: `rm -rf ${box.mission}` }, { cwd: box.dir })), /removes the whole mission dir/);
    assertDenied(await hook(payload('Execute', { command: 'cd .. && rm -rf mission' })), /removes the whole mission dir/);
    assertDenied(await hook(payload('Execute', { command: `rm -rf ${box.dir}` }, { cwd: '/' })), /removes the whole mission dir/);
    writeHandoff(box.mission, 'f1-login', 'w1', 'success');
    assertDenied(await hook(payload('Execute', { command: 'rm -r handoffs' })), /rm: handoffs\/\S+__f1-login__w1\.json \(evidence artifact/);
    assertDenied(await hook(payload('Bash', { command: `cp ${join(box.dir, 'elsewhere', 'features.json')} .` })), /cp: features\.json/);
    // Inside a guarded mission only reading commands run (SECURITY.md), tracked files included.
    assertDenied(await hook(payload('Execute', { command: 'rm -rf skills notes.txt' })), /not recognisably read-only: rm -rf skills notes\.txt/, /guard write --mission /);
    assertDenied(await hook(payload('Execute', { command: 'rm -f .guard-frozen' })), /rm: \.guard-frozen \(freeze sentinel/);
    assertDenied(await hook(payload('Write', { file_path: '.guard-frozen', content: '' })), /freeze sentinel/, /does not unfreeze it/);
    assert.match((lastEntry() as { reason: string }).reason, /Write of the freeze sentinel/);
  });

  test('reading commands and writes outside the mission are allowed without a journal entry', async () => {
    const before = journal(box).length;
    const outside = join(box.dir, 'project');
    mkdirSync(outside, { recursive: true });
    for (const [command, cwd] of [[`jq '.' features.json`, box.mission], ['cat features.json', box.mission], [`cat features.json > ${join(box.dir, 'copy.json')}`, box.mission], ['npm test 2>&1 | tail -5', outside], ['echo hi > notes.txt', outside]] as const) {
      const result = await hook(payload('Execute', { command }, { cwd }));
      assert.equal(result.code, 0, `${command}: ${result.stderr}`);
      assert.equal(result.stderr, '');
    }
    assert.equal(journal(box).length, before);
  });
});

describe('StartMissionRun', () => {
  test('is denied while the mission is frozen and allowed after guard ack', async () => {
    const id = '5a7e3c1d-0b2a-4c6e-9f00-123456789abc';
    const orchestrated: Sandbox = { ...box, mission: join(box.env.FACTORY_HOME_OVERRIDE as string, '.factory', 'missions', id) };
    createMission(orchestrated.mission, features);
    const start = payload('StartMissionRun', {}, { session_id: id, cwd: join(box.dir, 'project') });
    const guard = await startWatch(orchestrated);
    try {
      assert.equal((await hook(start)).code, 0);
      assert.deepEqual(pick(lastEntry(orchestrated.mission)), { kind: 'hook-allowed', tool: 'StartMissionRun', path: '.', session: id });

      await writeFeaturesLikeRunner(orchestrated.mission, withFeature(features, 'f1-login', { status: 'pending' }));
      await until(() => kinds(orchestrated, 'scheduler-paused', orchestrated.mission).length > 0, 'frozen, restored and paused');
      const denied = await hook(start);
      assertDenied(denied, /denied StartMissionRun/, /is frozen since/, /f1-login/, /guard ack --mission \S+ --note "\.\.\."/);
      const entry = lastEntry(orchestrated.mission);
      assert.ok(entry.kind === 'hook-denied');
      assert.equal(entry.tool, 'StartMissionRun');

      const byEnv = await hook(payload('StartMissionRun', {}, { session_id: 'some-other-session' }), { ...box.env, GUARD_MISSION: orchestrated.mission });
      assertDenied(byEnv, /is frozen/);

      const ack = await runGuard(orchestrated, ['ack', '--mission', orchestrated.mission, '--note', 'checked the restore', '--yes-i-am-human']);
      assert.equal(ack.code, 0, ack.stderr);
      const allowed = await hook(start);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(lastEntry(orchestrated.mission).kind, 'hook-allowed');
    } finally {
      await stopGuard(guard);
    }
  });

  test('a session that is no guarded mission is allowed without a journal entry', async () => {
    const result = await hook(payload('StartMissionRun', {}, { session_id: '../../etc' }));
    assert.equal(result.code, 0, result.stderr);
  });
});

describe('failing open', () => {
  test('an unrelated Read exits 0 at once, silently', async () => {
    const before = journal(box).length;
    const result = await hook(payload('Read', { file_path: 'features.json' }));
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, '', '']);
    assert.equal(journal(box).length, before);
  });

  test('a malformed payload exits 0 with a one-line warning, journaled when the mission is known', async () => {
    const notJson = await hook('{"tool_name": "Create", ');
    assert.equal(notJson.code, 0);
    assert.match(notJson.stderr, /^guard hook: a call was allowed unchecked: the hook payload on stdin is not JSON/);
    assert.equal(notJson.stderr.trim().split('\n').length, 1);

    const wrongType = await hook(payload('Create', { file_path: 'features.json', content: { features: [] } }));
    assert.equal(wrongType.code, 0);
    assert.match(wrongType.stderr, /the Create call was allowed unchecked: Create tool_input: "content" is not a string \(object\)/);
    const entry = lastEntry();
    assert.ok(entry.kind === 'hook-allowed');
    assert.equal(entry.path, 'features.json');
    assert.equal(entry.digest, undefined);
    assert.match(entry.note ?? '', /malformed payload/);
  });

  test('guard state it cannot read lets the call through with a warning', async () => {
    rmSync(statePaths(box).journal);
    mkdirSync(statePaths(box).journal); // a directory where the journal should be
    const result = await hook(payload('Create', { file_path: 'features.json', content: '{}' }));
    assert.equal(result.code, 0);
    assert.match(result.stderr, /^guard hook: the call was allowed unchecked because the guard could not decide: /);
  });
});

describe('failing closed', () => {
  test('a damaged journal denies writes to the mission and StartMissionRun until it is repaired', async () => {
    writeFileSync(statePaths(box).journal, 'garbage that is not a journal\n{"v":1}\n');
    const create = await hook(payload('Create', { file_path: 'features.json', content: goodText }));
    assertDenied(create, /^mission guard denied this call: the journal .* is damaged/, /guard repair --mission \S+ --journal/, /A human must repair the journal first/);
    assert.equal(readFileSync(featuresFile(), 'utf8'), goodText);
    const unrelated = await hook(payload('Read', { file_path: 'features.json' }));
    assert.equal(unrelated.code, 0, 'calls that do not touch mission state are not affected');

    const id = '5a7e3c1d-0b2a-4c6e-9f00-123456789abd';
    const orchestrated: Sandbox = { ...box, mission: join(box.env.FACTORY_HOME_OVERRIDE as string, '.factory', 'missions', id) };
    createMission(orchestrated.mission, features);
    await stopGuard(await startWatch(orchestrated));
    writeFileSync(statePaths(orchestrated).journal, 'garbage that is not a journal\n{"v":1}\n');
    const start = await hook(payload('StartMissionRun', {}, { session_id: id, cwd: join(box.dir, 'project') }));
    assertDenied(start, /^mission guard denied this call: the journal .* is damaged/);
  });
});

// The fields of an entry a test cares about (without seq, at, prev).
function pick(entry: JournalEntry): Record<string, unknown> {
  const { v: _v, seq: _seq, at: _at, prev: _prev, ...body } = entry;
  return body;
}
