// A valid tool write overwritten by a bad one before the guard read it (the guard's own-writes
// issue, item 5): the hook stored the approved bytes, so the restore puts back that version, not
// the older last good. The guard is stopped (SIGSTOP) across both writes: it never reads the
// valid one, whatever the machine's load.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { failOnLeakedChildren, journal, kinds, runGuard, sandbox, sha, startWatch, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

test('the newest hook-approved version comes back, not the older last good', async () => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  const file = join(box.mission, 'features.json');
  guard = await startWatch(box);
  const approved = featureText(withFeature(baseFeatures(), 'f4-search', { description: 'Search, as the orchestrator rewrote it' }));
  const payload = { session_id: 'orch', transcript_path: join(box.dir, 't.jsonl'), cwd: box.mission, permission_mode: 'auto', hook_event_name: 'PreToolUse', tool_name: 'Create', tool_input: { file_path: 'features.json', content: approved } };
  const allowed = await runGuard(box, ['hook'], { input: JSON.stringify(payload) });
  assert.equal(allowed.code, 0, allowed.stderr);
  await until(() => kinds(box, 'hook-allowed').some((entry) => entry.kind === 'hook-allowed' && entry.digest === sha(approved)), 'the approval journaled');
  guard.process.kill('SIGSTOP');
  writeFileSync(file, approved);
  const bad = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));
  writeFileSync(file, bad);
  guard.process.kill('SIGCONT');
  const restored = await until(() => kinds(box, 'restored')[0], 'the bad write restored');
  assert.ok(restored.kind === 'restored' && restored.digest === sha(approved), 'the approved version came back');
  assert.equal(readFileSync(file, 'utf8'), approved);
  assert.ok(journal(box).some((entry) => entry.kind === 'write-accepted' && entry.digest === sha(approved) && entry.by === 'restore'), 'journaled as accepted before it landed');
});
