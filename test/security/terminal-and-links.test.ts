// Issue 14, minor items and item 10: mission data never drives the terminal (control characters
// in feature ids, notes and paths are printed escaped), and a symlink where an artifact should be
// is a disagreement for verify and status, never followed (`handoffs/x.json -> /etc/passwd`).
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createMission, featureText, writeLikeTool } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { failOnLeakedChildren, runGuard, sandbox, startWatch, stopGuard, stopTestGuard, until, kinds, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const HOSTILE = 'f9-\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\u009b';
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

test('feature ids with terminal escapes are printed escaped by log, plan, status and the guardian', async () => {
  guard = await startWatch(box);
  const features = withFeature([...baseFeatures(), { ...baseFeatures()[0], id: HOSTILE, status: 'pending' } as never], 'f1-login', {});
  writeLikeTool(join(box.mission, 'features.json'), featureText(features));
  await until(() => kinds(box, 'write-accepted').some((entry) => entry.kind === 'write-accepted' && entry.transitions.some((t) => t.item === HOSTILE)), 'the new feature accepted');
  for (const args of [['log', '--mission', box.mission], ['plan', '--mission', box.mission], ['status', '--mission', box.mission]]) {
    const result = await runGuard(box, args);
    assert.doesNotMatch(result.stdout + result.stderr, RAW_CONTROL, `${args[0]} printed a raw control character`);
  }
  const log = await runGuard(box, ['log', '--mission', box.mission]);
  assert.match(log.stdout, /f9-\\x1b\]0;pwned\\x07\\x1b\[2J/);
  const watched = await stopGuard(guard);
  guard = undefined;
  assert.match(watched.stdout, /f9-\\x1b/, 'the guardian printed the accepted write');
  assert.doesNotMatch(watched.stdout + watched.stderr, RAW_CONTROL, 'guard watch printed a raw control character');
});

test('a symlink where a handoff should be makes verify fail and status name it; it is never read through', async () => {
  await stopGuard(await startWatch(box));
  mkdirSync(join(box.mission, 'handoffs'), { recursive: true });
  symlinkSync('/etc/passwd', join(box.mission, 'handoffs', 'x.json'));
  const verify = await runGuard(box, ['verify', '--mission', box.mission]);
  assert.equal(verify.code, 1, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /handoffs\/x\.json is a symbolic link to \/etc\/passwd, not a regular file/);
  assert.doesNotMatch(verify.stdout, /root:/);
  const status = await runGuard(box, ['status', '--mission', box.mission, '--json']);
  const rows = (JSON.parse(status.stdout) as { artifacts: Array<{ path: string; health: string }> }).artifacts;
  assert.equal(rows.find((row) => row.path === 'handoffs/x.json')?.health, 'not-a-file');
});
