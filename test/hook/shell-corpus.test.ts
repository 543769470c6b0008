// The hook's shell check measured on a corpus (issue 14, item 9): every payload in
// shell-corpus.json goes through the real `guard hook` as a droid Execute call, and must be
// allowed or denied as the corpus says. Attacks are writes to guarded state by every route the
// attack campaign used and agents approving themselves; the allowed ones are reads of guarded
// state and ordinary unrelated work, where a false denial is costly. The counts are in SECURITY.md.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMission } from '../../src/demo/droid-files.js';
import { baseFeatures } from '../helpers/droid.js';
import { failOnLeakedChildren, ROOT, runGuard, sandbox, startWatch, stopGuard, type Sandbox } from '../helpers/index.js';

interface Case {
  expect: 'allow' | 'deny';
  command: string;
  what: string;
}

const corpus = JSON.parse(readFileSync(join(ROOT, 'test', 'hook', 'shell-corpus.json'), 'utf8')) as { cases: Case[] };
let box: Sandbox;
let places: Record<string, string>;

before(async () => {
  const base = sandbox();
  const home = base.env.HOME as string;
  const root = join(home, '.factory', 'missions');
  const mission = join(root, 'm-1');
  const other = join(base.dir, 'work', 'other-mission');
  mkdirSync(mission, { recursive: true });
  mkdirSync(other, { recursive: true });
  mkdirSync(join(base.dir, 'project'), { recursive: true });
  createMission(mission, baseFeatures());
  createMission(other, baseFeatures());
  box = { ...base, mission };
  await stopGuard(await startWatch(box));
  await stopGuard(await startWatch({ ...base, mission: other }));
  places = { M: mission, ROOT: root, GH: base.home, WORK: join(base.dir, 'work') };
});

after(() => box.cleanup());

failOnLeakedChildren();

function expand(command: string): string {
  return command.replace(/\{\{(\w+)\}\}/g, (_whole, name: string) => places[name] as string);
}

test(`the shell corpus (${corpus.cases.length} payloads) is allowed and denied as expected by the real guard hook`, async () => {
  assert.ok(corpus.cases.length >= 100);
  const wrong: string[] = [];
  const counts = { deny: { right: 0, wrong: 0 }, allow: { right: 0, wrong: 0 } };
  let next = 0;
  const worker = async () => {
    while (next < corpus.cases.length) {
      const item = corpus.cases[next++] as Case;
      const command = expand(item.command);
      const payload = { session_id: 's', cwd: join(box.dir, 'project'), hook_event_name: 'PreToolUse', tool_name: 'Execute', tool_input: { command } };
      const result = await runGuard(box, ['hook'], { input: JSON.stringify(payload) });
      const got = result.code === 2 ? 'deny' : result.code === 0 ? 'allow' : `exit ${result.code}`;
      if (got === item.expect) counts[item.expect].right++;
      else {
        counts[item.expect].wrong++;
        wrong.push(`${item.what}: expected ${item.expect}, got ${got}: ${command}\n    ${result.stderr.split('\n')[0] ?? ''}`);
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  const summary = `attacks denied ${counts.deny.right}/${counts.deny.right + counts.deny.wrong}; legitimate allowed ${counts.allow.right}/${counts.allow.right + counts.allow.wrong}`;
  assert.deepEqual(wrong, [], summary);
});
