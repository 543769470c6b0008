// The incident at the heart of the issue: features.json rewritten wholesale with a completed
// feature back to pending. The journal (a completion plus a journaled `worker_completed` success
// line) is the truth: the guardian rejects the rewrite live; with no guardian running, verify,
// plan and the next `guard watch` all refuse to believe the summary.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures } from '../helpers/droid.js';
import { entriesOf, finishFeature, guardJson, plan, type VerifyJson } from '../helpers/durable.js';
import { failOnLeakedChildren, runGuard, runWriter, sandbox, sha, startWatch, stopGuard, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

const X = 'f3-profile';

let box: Sandbox;
let guard: GuardProcess | undefined;
let done: { features: Feature[]; text: string };

beforeEach(async () => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  guard = await startWatch(box);
  done = await finishFeature(box, baseFeatures(), X, 'w3');
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const featuresFile = () => join(box.mission, 'features.json');

// An LLM "repairing" features.json from memory: every feature kept, in another order and
// formatting, with X back to pending and its worker bookkeeping forgotten.
function rewrittenWholesale(features: Feature[]): string {
  const reverted = features.map((feature) => (feature.id === X ? { id: X, description: feature.description, status: 'pending' as const, milestone: feature.milestone } : feature));
  return JSON.stringify({ features: [...reverted].reverse() });
}

describe('a completed feature rewritten as pending', () => {
  test('while guard watch runs: rejected on evidence, restored to the exact last good bytes, frozen', async () => {
    const bad = rewrittenWholesale(done.features);
    await runWriter(box, [{ op: 'write', file: featuresFile(), text: bad }]);
    const restored = await until(() => entriesOf(box, 'restored')[0], 'features.json restored');
    assert.equal(restored.digest, sha(done.text));
    assert.equal(readFileSync(featuresFile(), 'utf8'), done.text);
    const [rejected] = entriesOf(box, 'write-rejected');
    assert.equal(rejected?.digest, sha(bad));
    // The journaled success line is a reason of its own, not only the terminal-status rule.
    assert.ok(
      rejected?.issues.some((issue) => issue.code === 'evidence' && issue.item === X),
      JSON.stringify(rejected?.issues),
    );
    await until(() => existsSync(join(box.mission, '.guard-frozen')), 'sentinel written');
  });

  test('with no guardian running: verify names it with a fix, plan keeps it done, guard watch starts frozen', async () => {
    assert.equal((await stopGuard(guard as GuardProcess)).code, 0);
    guard = undefined;
    const bad = rewrittenWholesale(done.features);
    await runWriter(box, [{ op: 'write', file: featuresFile(), text: bad }]);

    const verify = await runGuard(box, ['verify', '--mission', box.mission]);
    assert.equal(verify.code, 1, verify.stdout + verify.stderr);
    const line = verify.stdout.split('\n').find((text) => text.includes(`"${X}"`));
    assert.ok(line !== undefined, `verify names ${X}:\n${verify.stdout}`);
    assert.match(line, /pending/);
    assert.match(line, /guard repair --mission \S+ --rebuild features\.json/);

    const { doc: report } = await guardJson<VerifyJson>(box, ['verify', '--mission', box.mission], 1);
    assert.equal(report.consistent, false);
    assert.deepEqual(
      report.disagreements.filter((item) => item.feature === X).map((item) => item.code),
      ['reverted'],
    );

    const resume = await plan(box);
    assert.deepEqual(resume.pending.map((feature) => feature.id), ['f4-search'], 'only the truly pending feature is left');
    const x = resume.done.find((feature) => feature.id === X);
    assert.equal(x?.status, 'completed');
    const worker = x?.backing.find((reason) => reason.kind === 'worker');
    assert.equal(worker?.session, 'w3');
    assert.equal(worker?.journaled, true);
    assert.match(worker?.source ?? '', /^progress_log\.jsonl:\d+$/);
    assert.ok(x?.backing.some((reason) => reason.kind === 'journal'), 'the journaled completion backs it too');
    assert.ok(resume.disagreements.some((item) => item.feature === X && item.severity === 'error'));
    assert.equal(readFileSync(featuresFile(), 'utf8'), bad, 'verify and plan only look');

    guard = await startWatch(box);
    const baseline = entriesOf(box, 'baseline').pop();
    assert.equal(baseline?.frozen, true, 'frozen before the baseline is complete');
    const { result, doc: status } = await guardJson<{ frozen: boolean }>(box, ['status', '--mission', box.mission]);
    assert.equal(result.code, 3);
    assert.equal(status.frozen, true);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), true);
    assert.equal(readFileSync(featuresFile(), 'utf8'), done.text, 'the rewrite was put back at start');
  });
});
