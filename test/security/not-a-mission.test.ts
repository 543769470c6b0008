// Issue 14, item 8 (the campaign's item 11): the guard refuses what is not a mission: `/`, a
// home dir, the guard home, a missions root, a dir with no mission files (unless --force), a dir
// past the file cap, and an empty --mission.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createMission } from '../../src/demo/droid-files.js';
import { baseFeatures } from '../helpers/droid.js';
import { failOnLeakedChildren, kinds, runGuard, sandbox, startWatch, stopGuard, type Sandbox } from '../helpers/index.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

async function refused(args: string[], message: RegExp): Promise<void> {
  const result = await runGuard(box, args, { timeoutMs: 30_000 });
  assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
  assert.match(result.stderr, message);
}

test('guard watch --mission / and a home dir are refused at once', async () => {
  await refused(['watch', '--mission', '/'], /root of the filesystem/);
  await refused(['watch', '/', '--force'], /root of the filesystem/);
  mkdirSync(box.env.HOME as string, { recursive: true });
  await refused(['watch', box.env.HOME as string, '--force'], /a home dir or a folder above one/);
  await refused(['run', '--mission', '/', '--', 'true'], /root of the filesystem/);
});

test('the guard home and a missions root are refused', async () => {
  mkdirSync(box.home, { recursive: true });
  await refused(['watch', box.home, '--force'], /the guard's own state/);
  const root = join(box.env.HOME as string, '.factory', 'missions');
  mkdirSync(root, { recursive: true });
  await refused(['watch', root, '--force'], /missions root.*--root/);
});

test('a dir without mission files needs --force', async () => {
  await refused(['watch', box.mission], /holds no mission files.*--force/);
  const guard = await startWatch(box, ['--force']);
  assert.equal(kinds(box, 'guard-started').length, 1);
  await stopGuard(guard);
});

test('a dir with more files than the cap is refused; --max-files raises it', async () => {
  createMission(box.mission, baseFeatures());
  mkdirSync(join(box.mission, 'many'));
  for (let i = 0; i < 30; i++) writeFileSync(join(box.mission, 'many', `${i}.txt`), 'x');
  await refused(['watch', box.mission, '--max-files', '20'], /more than 20 files/);
  await refused(['watch', box.mission, '--max-files', 'lots'], /--max-files must be a positive whole number/);
  await stopGuard(await startWatch(box, ['--max-files', '100']));
});

test("--mission '' is a usage error, not the current directory", async () => {
  createMission(box.mission, baseFeatures());
  await refused(['status', '--mission', ''], /empty string/);
  const inMission = await runGuard(box, ['verify', '--mission', ''], { cwd: box.mission });
  assert.equal(inMission.code, 2, inMission.stderr);
  await refused(['watch', ''], /empty string/);
});
