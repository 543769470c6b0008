// guard export (an incident as a bundle for people) and guard service (guard watch as a systemd
// user service).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, writeLikeTool } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { acceptedDigest, failOnLeakedChildren, kinds, runGuard, sandbox, startWatch, stopGuard, until, type Sandbox } from '../helpers/index.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

describe('guard export', () => {
  test('writes a bundle whose bad and last good bytes match the stored objects byte for byte; never overwrites', async () => {
    const good = featureText(withFeature(baseFeatures(), 'f3-profile', { status: 'completed', completedWorkerSessionId: 'w3' }));
    const bad = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));
    const guard = await startWatch(box);
    writeLikeTool(join(box.mission, 'features.json'), good);
    await acceptedDigest(box, 'features.json', good);
    writeLikeTool(join(box.mission, 'features.json'), bad);
    await until(() => kinds(box, 'restored').length === 1, 'the bad write restored');
    await stopGuard(guard);
    const [rejected] = kinds(box, 'write-rejected');
    assert.ok(rejected?.kind === 'write-rejected' && rejected.digest !== null);
    const [restored] = kinds(box, 'restored');
    assert.ok(restored?.kind === 'restored' && restored.digest !== null);

    const out = join(box.dir, 'bundle');
    const result = await runGuard(box, ['export', '--mission', box.mission, '--incident', String(rejected.seq), '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['README.md', 'bad-features.json', 'diff.txt', 'journal.jsonl', 'last-good-features.json', 'verdict.json']);
    const stored = async (digest: string) => Buffer.from((await runGuard(box, ['show', '--mission', box.mission, digest])).stdout, 'utf8');
    assert.ok(readFileSync(join(out, 'bad-features.json')).equals(await stored(rejected.digest)));
    assert.ok(readFileSync(join(out, 'last-good-features.json')).equals(await stored(restored.digest)));
    assert.ok(readFileSync(join(out, 'bad-features.json')).equals(Buffer.from(bad)));
    assert.ok(readFileSync(join(out, 'last-good-features.json')).equals(Buffer.from(good)));
    assert.match(readFileSync(join(out, 'diff.txt'), 'utf8'), /feature f1-login: completed -> pending/);
    const verdict = JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8'));
    assert.equal(verdict.incident, rejected.seq);
    assert.equal(verdict.froze, true);
    assert.ok(readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n').some((line) => line.includes('"kind":"write-rejected"')));
    assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /Nothing in it is needed to restore/);

    const again = await runGuard(box, ['export', '--mission', box.mission, '--incident', String(rejected.seq), '--out', out]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; guard export never overwrites/);
    const missing = await runGuard(box, ['export', '--mission', box.mission, '--incident', '9999', '--out', join(box.dir, 'other')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /has no incident 9999/);
  });
});

describe('guard service', () => {
  const xdg = () => join(box.dir, 'xdg-config');
  const unit = () => join(xdg(), 'systemd', 'user', 'mission-guard.service');

  // A systemctl that fails as it does without a user bus (CI, containers), first on PATH.
  function noBus(): NodeJS.ProcessEnv {
    const bin = join(box.dir, 'fake-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'systemctl'), '#!/bin/sh\necho "Failed to connect to bus: No medium found" >&2\nexit 1\n');
    chmodSync(join(bin, 'systemctl'), 0o755);
    return { ...box.env, XDG_CONFIG_HOME: xdg(), PATH: `${bin}:${box.env.PATH ?? ''}` };
  }

  test('install writes a unit systemd-analyze accepts, says enabling failed and how to enable it; uninstall removes it', async (t) => {
    if (process.platform === 'darwin') {
      t.skip('macOS: guard service prints the launchd plist instead of writing a unit');
      return;
    }
    const env = noBus();
    const root = join(box.dir, 'missions root');
    const install = await runGuard(box, ['service', 'install', '--root', root, '--on-incident', 'notify-send "guard" "$(jq -r .reason)" 100%'], { env });
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stdout, /wrote .*mission-guard\.service/);
    assert.match(install.stderr, /enabling it failed: Failed to connect to bus/);
    assert.match(install.stderr, /systemctl --user daemon-reload && systemctl --user enable --now mission-guard\.service/);
    const text = readFileSync(unit(), 'utf8');
    assert.match(text, /^StandardOutput=journal$/m);
    assert.match(text, /^ExecStart=.* watch --root "[^"]*missions root" --quiet --on-incident /m);
    assert.ok(existsSync(root), 'the root is created so the service does not fail before droid makes it');

    const analyze = spawnSync('systemd-analyze', ['verify', unit()], { encoding: 'utf8' });
    if (analyze.error !== undefined) t.diagnostic('systemd-analyze is not installed: the unit was not verified');
    else {
      assert.equal(analyze.status, 0, analyze.stderr);
      assert.equal(analyze.stderr.trim(), '', `systemd-analyze has warnings:\n${analyze.stderr}`);
    }

    const status = await runGuard(box, ['service', 'status', '--json'], { env });
    assert.equal(JSON.parse(status.stdout).installed, true);
    const uninstall = await runGuard(box, ['service', 'uninstall'], { env });
    assert.equal(uninstall.code, 0, uninstall.stderr);
    assert.equal(existsSync(unit()), false);
    const after = await runGuard(box, ['service', 'status'], { env });
    assert.equal(after.code, 1);
    assert.match(after.stdout, /not installed/);
  });
});
