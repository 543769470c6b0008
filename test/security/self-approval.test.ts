// Issue 14, item 2 (the campaign's item 8): an agent cannot approve itself. guard ack and guard
// repair --reopen need a human (a terminal, or the flag for scripts humans run), and the hook
// denies the agent's shell calls that run them, carry the flag, or edit the guard home.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { failOnLeakedChildren, kinds, runGuard, runWriter, sandbox, startWatch, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;

beforeEach(async () => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  guard = await startWatch(box);
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

function shell(command: string) {
  return runGuard(box, ['hook'], { input: JSON.stringify({ session_id: 's', cwd: box.dir, hook_event_name: 'PreToolUse', tool_name: 'Execute', tool_input: { command } }) });
}

async function freeze(): Promise<void> {
  const file = join(box.mission, 'features.json');
  await runWriter(box, [{ op: 'write', file, text: featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' })) }]);
  await until(() => existsSync(join(box.mission, '.guard-frozen')) && kinds(box, 'restored').length > 0, 'frozen and restored');
}

describe('guard ack and guard repair --reopen need a human', () => {
  test('without a terminal or the flag, ack exits 2 and the mission stays frozen; with the flag it unfreezes', async () => {
    await freeze();
    const agent = await runGuard(box, ['ack', '--mission', box.mission, '--note', 'I checked, trust me']);
    assert.equal(agent.code, 2, agent.stderr);
    assert.match(agent.stderr, /needs a human/);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), true);
    assert.equal(kinds(box, 'acknowledged').length, 0);
    const human = await runGuard(box, ['ack', '--mission', box.mission, '--note', 'restored by the guard; checked', '--yes-i-am-human']);
    assert.equal(human.code, 0, human.stderr);
  });

  test('repair --reopen without a terminal or the flag permits nothing', async () => {
    const agent = await runGuard(box, ['repair', '--mission', box.mission, '--reopen', 'f1-login', '--reason', 'redo it']);
    assert.equal(agent.code, 2, agent.stderr);
    assert.match(agent.stderr, /needs a human/);
    assert.equal(kinds(box, 'reopen-permitted').length, 0);
  });
});

describe('the hook denies self-approval from agent tool calls', () => {
  const mission = () => box.mission;
  const cases: Array<[string, () => string]> = [
    ['guard ack', () => `guard ack --mission ${mission()} --note ok`],
    ['guard ack with the human flag', () => `guard ack --mission ${mission()} --note ok --yes-i-am-human`],
    ['guard repair --reopen', () => `guard repair --mission ${mission()} --reopen f1-login --reason x --yes-i-am-human`],
    ['guard repair --journal', () => `guard repair --mission ${mission()} --journal`],
    ['guard restore', () => `guard restore --mission ${mission()} features.json`],
    ['guard init --remove', () => 'guard init --droid --remove'],
    ['guard config adopt', () => `guard config adopt --mission ${mission()}`],
    ['a script carrying the flag', () => './approve.sh --yes-i-am-human'],
    ['an edit of the guard home', () => `echo '{}' >> ${box.home}/missions/x/journal.jsonl`],
  ];
  for (const [name, command] of cases) {
    test(name, async () => {
      await freeze();
      const result = await shell(command());
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /mission guard denied this Execute command/);
      assert.equal(existsSync(join(box.mission, '.guard-frozen')), true);
    });
  }

  test('file tools cannot write into the guard home', async () => {
    const journal = readFileSync(join(box.home, 'missions', (await import('node:fs')).readdirSync(join(box.home, 'missions'))[0] as string, 'journal.jsonl'));
    const result = await runGuard(box, ['hook'], { input: JSON.stringify({ session_id: 's', cwd: box.dir, tool_name: 'Create', tool_input: { file_path: join(box.home, 'missions', 'x', 'journal.jsonl'), content: '' } }) });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /inside the guard home/);
    assert.ok(journal.length > 0);
  });
});
