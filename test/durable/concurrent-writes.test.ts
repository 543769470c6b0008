// Two writers racing on one artifact (review finding): each `guard write` judged its version
// against the last good it had read, and both were journaled, so the journal could record
// `in_progress -> completed` and then `in_progress -> pending` for one feature and end with the
// feature reverted. A verdict is now journaled only if what it rests on is unchanged.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { withFeature } from '../helpers/droid.js';
import { entriesOf } from '../helpers/durable.js';
import { failOnLeakedChildren, runGuard, sandbox, sha, startWatch, stopGuard, type Sandbox } from '../helpers/index.js';

const TRIALS = 6;

let box: Sandbox;
const started: Feature[] = Array.from({ length: TRIALS }, (_, index) => ({ id: `x${index}`, description: `Feature ${index}`, status: 'in_progress', milestone: 'm1', workerSessionIds: [`w${index}`], currentWorkerSessionId: `w${index}` }));

beforeEach(async () => {
  box = sandbox();
  createMission(box.mission, started);
  await stopGuard(await startWatch(box));
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

const featuresText = () => readFileSync(join(box.mission, 'features.json'), 'utf8');
const statusOf = (text: string, id: string) => (JSON.parse(text) as { features: Feature[] }).features.find((feature) => feature.id === id)?.status;

describe('concurrent guard writes', () => {
  test('two writes from the same base: never both journaled against it; the file is the last accepted version', async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const id = `x${trial}`;
      const base = JSON.parse(featuresText()) as { features: Feature[] };
      const done = featureText(withFeature(base.features, id, { status: 'completed', currentWorkerSessionId: null, completedWorkerSessionId: `w${trial}` }));
      const requeued = featureText(withFeature(base.features, id, { status: 'pending', currentWorkerSessionId: null }));
      const [first, second] = await Promise.all([done, requeued].map((text) => runGuard(box, ['write', '--mission', box.mission, 'features.json'], { input: text })));
      for (const result of [first, second]) assert.ok(result?.code === 0 || result?.code === 1, `exit ${result?.code}: ${result?.stderr}`);

      // However the race went, each accepted transition of the feature starts where the one before ended.
      const moves = entriesOf(box, 'write-accepted').flatMap((entry) => entry.transitions.filter((move) => move.item === id));
      const fromInProgress = moves.filter((move) => move.from === 'in_progress');
      assert.equal(fromInProgress.length, 1, `trial ${trial}: ${JSON.stringify(moves)}`);
      moves.slice(1).forEach((move, index) => assert.equal(move.from, moves[index]?.to, `trial ${trial}: ${JSON.stringify(moves)}`));
      const last = entriesOf(box, 'write-accepted').filter((entry) => entry.path === 'features.json').at(-1);
      assert.equal(sha(featuresText()), last?.digest, 'the file holds the last accepted version');
      assert.equal(statusOf(featuresText(), id), moves.at(-1)?.to);
    }
    const verify = await runGuard(box, ['verify', '--mission', box.mission]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});
