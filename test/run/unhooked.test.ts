// `unhooked-write` means something (issue "fidelity to droid" item 6): under `guard run -- droid`
// only a tool-style write (a temp sibling renamed over an artifact) that no hook approved is
// flagged; droid's runner writes in place (heartbeats, appends, features.json) are not.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createMission, featureText, writeLikeTool } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { acceptedDigest, failOnLeakedChildren, journal, kinds, sandbox, sha, spawnGuard, until, type Sandbox } from '../helpers/index.js';
import { fakeDroidEnv } from './run-helpers.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

test('runner heartbeats and appends are not flagged; a renamed-over features.json no hook approved is', async () => {
  createMission(box.mission, baseFeatures());
  const { env } = fakeDroidEnv(box);
  const stop = join(box.dir, 'stop');
  const guard = spawnGuard(box, ['run', '--mission', box.mission, '--', 'droid', 'wait', stop], { env });
  await until(() => kinds(box, 'child-started')[0], 'droid started', 30_000);
  const state = join(box.mission, 'state.json');
  const log = join(box.mission, 'progress_log.jsonl');
  for (let beat = 0; beat < 5; beat++) {
    const current = JSON.parse(readFileSync(state, 'utf8')) as Record<string, unknown>;
    const text = `${JSON.stringify({ ...current, updatedAt: `2026-12-02T00:00:0${beat}.000Z` }, null, 2)}\n`;
    writeFileSync(state, text); // droid's heartbeat: in place
    await acceptedDigest(box, 'state.json', text);
    writeFileSync(log, `${JSON.stringify({ type: 'worker_started', timestamp: new Date().toISOString(), workerSessionId: `w${beat}`, spawnId: `s${beat}` })}\n`, { flag: 'a' });
  }
  const started = withFeature(baseFeatures(), 'f4-search', { status: 'in_progress', workerSessionIds: ['w4'] });
  const runnerWrite = featureText(started);
  writeFileSync(join(box.mission, 'features.json'), runnerWrite);
  await acceptedDigest(box, 'features.json', runnerWrite);
  assert.deepEqual(kinds(box, 'unhooked-write'), [], 'in-place runner writes are never flagged');

  const toolWrite = featureText(withFeature(started, 'f4-search', { description: 'Search, edited by a shell tool' }));
  writeLikeTool(join(box.mission, 'features.json'), toolWrite); // temp + rename, and no hook saw it
  await acceptedDigest(box, 'features.json', toolWrite);
  const flagged = await until(() => kinds(box, 'unhooked-write')[0], 'the tool-style write flagged');
  assert.ok(flagged.kind === 'unhooked-write' && flagged.path === 'features.json' && flagged.digest === sha(toolWrite));
  writeFileSync(stop, '');
  const result = await guard.done;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(journal(box).filter((entry) => entry.kind === 'unhooked-write').length, 1);
});
