// The droid --settings overlay as a unit: our entries appended to a user's own --settings file,
// whose flag is replaced (droid takes one) and whose file is left alone.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { hookOverlay, writeSettingsOverlay } from '../../src/run/droid-settings.js';
import { sandbox, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
beforeEach(() => (box = sandbox()));
afterEach(() => box.cleanup());

const matchersOf = (doc: Record<string, unknown>) => ((doc.hooks as { PreToolUse: Array<{ matcher: string }> }).PreToolUse ?? []).map((group) => group.matcher);

test('the overlay has one anchored PreToolUse group per droid tool family, each running guard hook', () => {
  const doc = hookOverlay("'/opt/my guard/bin/guard' hook");
  assert.deepEqual(matchersOf(doc), ['^(Create|Edit|ApplyPatch)$', '^Execute$', '^StartMissionRun$']);
  const hooks = (doc.hooks as { PreToolUse: Array<{ hooks: unknown[] }> }).PreToolUse.map((group) => group.hooks);
  for (const group of hooks) assert.deepEqual(group, [{ type: 'command', command: "'/opt/my guard/bin/guard' hook", timeout: 10 }]);
});

test("a user's --settings file is merged in and its flag replaced; the file itself is untouched", async () => {
  const user = join(box.dir, 'user-settings.json');
  const userText = `${JSON.stringify({ model: 'x', hooks: { PreToolUse: [{ matcher: '^Read$', hooks: [] }], Stop: [] } })}\n`;
  writeFileSync(user, userText);
  const overlay = await writeSettingsOverlay(join(box.dir, 'run', 'overlay.json'), ['--settings', 'user-settings.json', '--auto', 'high', '--', '--settings=literal'], 'guard hook', box.dir);
  assert.deepEqual(overlay.args, ['--settings', overlay.file, '--auto', 'high', '--', '--settings=literal']);
  const doc = JSON.parse(readFileSync(overlay.file, 'utf8')) as Record<string, unknown>;
  assert.equal(doc.model, 'x');
  assert.deepEqual(matchersOf(doc), ['^Read$', '^(Create|Edit|ApplyPatch)$', '^Execute$', '^StartMissionRun$']);
  assert.deepEqual((doc.hooks as { Stop: unknown }).Stop, []);
  assert.equal(readFileSync(user, 'utf8'), userText);
  await overlay.remove();
});

test('an unreadable user --settings file is a usage error that names --no-hooks', async () => {
  writeFileSync(join(box.dir, 'bad.json'), '{ not json');
  await assert.rejects(writeSettingsOverlay(join(box.dir, 'overlay.json'), ['--settings=bad.json'], 'guard hook', box.dir), (error: Error & { code?: string }) => error.code === 'USAGE' && /--no-hooks/.test(error.message));
});
