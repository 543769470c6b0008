// `guard repair --rebuild features.json` (issue "durable truth" item 6): after the progress log and
// features.json were both damaged while no guardian ran, durable truth alone brings every
// completed feature back, including one the last good version no longer holds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures } from '../helpers/droid.js';
import { entriesOf, finishFeature, guardJson, plan, successLine, type VerifyJson } from '../helpers/durable.js';
import {
  acceptedDigest,
  failOnLeakedChildren,
  runGuard,
  runWriter,
  sandbox,
  sha,
  startWatch,
  statePaths,
  stopGuard,
  type GuardProcess,
  type Sandbox,
} from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;
/** The log and summary as the guardian last accepted them. */
let goodLog: string;
let goodFeatures: string;

const featuresFile = () => join(box.mission, 'features.json');
const logFile = () => join(box.mission, 'progress_log.jsonl');

// A guarded history: f1, f2 completed from the start; f3 completed by its worker; f5 dropped from
// features.json while pending, and then reported done by a worker anyway (so only an
// older journaled version holds it). Then the guardian stops.
beforeEach(async () => {
  box = sandbox();
  const initial: Feature[] = [...baseFeatures(), { id: 'f5-export', description: 'Export', status: 'pending', milestone: 'm2', fulfills: ['VAL-EXP-001'] }];
  createMission(box.mission, initial);
  guard = await startWatch(box);
  const dropped = featureText(baseFeatures());
  await runWriter(box, [{ op: 'write', file: featuresFile(), text: dropped }]);
  await acceptedDigest(box, 'features.json', dropped);
  goodFeatures = (await finishFeature(box, baseFeatures(), 'f3-profile', 'w3')).text;
  goodLog = `${readFileSync(logFile(), 'utf8')}${successLine('f5-export', 'w5')}`;
  await runWriter(box, [{ op: 'append', file: logFile(), text: successLine('f5-export', 'w5') }]);
  await acceptedDigest(box, 'progress_log.jsonl', goodLog);
  assert.equal((await stopGuard(guard)).code, 0);
  guard = undefined;
});

afterEach(async () => {
  if (guard !== undefined) await stopGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

// The damage: the log truncated to its first line plus a torn one (droid then reads it as
// empty); features.json "repaired" from memory: completed work pending, f2 gone.
async function damage(): Promise<{ log: string; features: string }> {
  const log = `${goodLog.split('\n')[0]}\n{"type":"worker_compl\n`;
  const wrong = baseFeatures()
    .filter((feature) => feature.id !== 'f2-logout')
    .map((feature) => ({ id: feature.id, description: feature.description, status: feature.id === 'f4-search' ? feature.status : ('pending' as const) }));
  const features = featureText(wrong);
  await runWriter(box, [
    { op: 'write', file: logFile(), text: log },
    { op: 'write', file: featuresFile(), text: features },
  ]);
  return { log, features };
}

const statuses = (text: string) => Object.fromEntries((JSON.parse(text) as { features: Feature[] }).features.map((feature) => [feature.id, feature.status]));

describe('guard repair --rebuild features.json', () => {
  test('recovers every completed feature; with the log restored, verify passes', async () => {
    const damaged = await damage();
    const before = await guardJson<VerifyJson>(box, ['verify', '--mission', box.mission], 1);
    assert.deepEqual(
      new Set(before.doc.disagreements.map((item) => item.feature ?? item.path)),
      new Set(['progress_log.jsonl', 'f1-login', 'f2-logout', 'f3-profile', 'f5-export']),
      JSON.stringify(before.doc.disagreements, null, 2),
    );

    const { doc: rebuilt } = await guardJson<{ rebuilt: boolean; recovered: string[]; digest: string }>(box, ['repair', '--mission', box.mission, '--rebuild', 'features.json', '--yes'], 0);
    assert.equal(rebuilt.rebuilt, true);
    assert.deepEqual(rebuilt.recovered, ['f5-export'], 'f5 came back from an older journaled version');
    const text = readFileSync(featuresFile(), 'utf8');
    assert.notEqual(text, damaged.features);
    assert.equal(rebuilt.digest, sha(text));
    assert.deepEqual(statuses(text), { 'f4-search': 'pending', 'f1-login': 'completed', 'f2-logout': 'completed', 'f3-profile': 'completed', 'f5-export': 'completed' });
    const f5 = (JSON.parse(text) as { features: Feature[] }).features.find((feature) => feature.id === 'f5-export');
    assert.deepEqual(f5?.fulfills, ['VAL-EXP-001'], 'the recovered feature keeps its fields');
    const accepted = entriesOf(box, 'write-accepted').filter((entry) => entry.digest === sha(text));
    assert.deepEqual(accepted.map((entry) => entry.by), ['repair']);
    assert.equal(entriesOf(box, 'repaired').pop()?.action, 'rebuild');

    // The progress log is still damaged: verify says so, with the command that fixes it.
    const half = await runGuard(box, ['verify', '--mission', box.mission]);
    assert.equal(half.code, 1);
    assert.match(half.stdout, /progress_log\.jsonl.*guard repair --mission \S+ --restore progress_log\.jsonl/);
    assert.doesNotMatch(half.stdout, /features\.json/);

    const restore = await runGuard(box, ['repair', '--mission', box.mission, '--restore', 'progress_log.jsonl']);
    assert.equal(restore.code, 0, restore.stdout + restore.stderr);
    assert.equal(readFileSync(logFile(), 'utf8'), goodLog);
    const verify = await runGuard(box, ['verify', '--mission', box.mission]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const resume = await plan(box);
    assert.deepEqual(resume.pending.map((feature) => feature.id), ['f4-search']);
    assert.deepEqual(new Set(resume.done.map((feature) => feature.id)), new Set(['f1-login', 'f2-logout', 'f3-profile', 'f5-export']));

    // And a guardian starting now finds nothing to freeze.
    guard = await startWatch(box);
    assert.equal(entriesOf(box, 'baseline').pop()?.frozen, false);
    assert.deepEqual(entriesOf(box, 'cross-check-failed'), []);
  });

  test('without --yes and without a terminal: exit 2, the diff shown, nothing written', async () => {
    const damaged = await damage();
    const journalBefore = readFileSync(statePaths(box).journal);
    const result = await runGuard(box, ['repair', '--mission', box.mission, '--rebuild', 'features.json']);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /--yes/);
    assert.match(result.stdout, /f5-export/, 'the diff is shown first');
    assert.match(result.stdout, /2 status\(es\) changed, 2 feature\(s\) brought back/, 'counted against the file on disk');
    assert.equal(readFileSync(featuresFile(), 'utf8'), damaged.features);
    assert.equal(readFileSync(statePaths(box).journal).equals(journalBefore), true, 'nothing journaled');
  });

  test('refuses to rebuild a file that is not the summary', async () => {
    const result = await runGuard(box, ['repair', '--mission', box.mission, '--rebuild', 'state.json', '--yes']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--restore state\.json/);
    assert.equal(readFileSync(featuresFile(), 'utf8'), goodFeatures);
  });
});
