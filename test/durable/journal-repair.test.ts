// `guard repair --journal` (issue "durable truth" item 6): a tampered line in the middle of the
// journal stops every command (fail closed); the repair keeps the verified prefix, moves the rest
// to quarantine, journals what happened, and the commands work again.
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission } from '../../src/demo/droid-files.js';
import type { Digest } from '../../src/core/types.js';
import { ObjectStore } from '../../src/store/objects.js';
import { baseFeatures } from '../helpers/droid.js';
import { assertNoStack, entriesOf, finishFeature, guardJson } from '../helpers/durable.js';
import { failOnLeakedChildren, runGuard, sandbox, startWatch, statePaths, stopGuard, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;

beforeEach(async () => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  guard = await startWatch(box);
  await finishFeature(box, baseFeatures(), 'f3-profile', 'w3');
});

afterEach(async () => {
  if (guard !== undefined) await stopGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

// Change one digit of line `seq`'s timestamp: still JSON, same length, but the chain breaks at the
// next line. Returns the byte offset where line `seq` starts. Edited in place, as an attacker
// would: rewriting the whole file would empty it for a moment, and a guardian reading its journal
// then (its log checks do) rightly stops on a journal that lost its entries.
function tamper(seq: number): number {
  const file = statePaths(box).journal;
  const lines = readFileSync(file).toString('utf8').split('\n');
  const offset = Buffer.byteLength(lines.slice(0, seq - 1).map((line) => `${line}\n`).join(''));
  const line = lines[seq - 1] as string;
  const edited = line.replace(/"at":"(\d{4})/, (_all, year: string) => `"at":"${String(Number(year) + 1)}`);
  assert.notEqual(edited, line);
  assert.equal(Buffer.byteLength(edited), Buffer.byteLength(line));
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.from(edited), 0, Buffer.byteLength(edited), offset);
  } finally {
    closeSync(fd);
  }
  return offset;
}

describe('guard repair --journal', () => {
  test('refuses while a guardian runs; afterwards keeps the verified prefix and quarantines the rest', async () => {
    const total = entriesOf(box, 'write-accepted').length;
    assert.ok(total >= 2);
    const seq = 4;
    const original = readFileSync(statePaths(box).journal);
    const offset = tamper(seq);

    const locked = await runGuard(box, ['repair', '--mission', box.mission, '--journal']);
    assert.equal(locked.code, 4, locked.stdout + locked.stderr);
    assert.match(locked.stderr, /guardian \(pid \d+\) is running/);
    assertNoStack(locked);

    await stopGuard(guard as GuardProcess);
    guard = undefined;
    const status = await runGuard(box, ['status', '--mission', box.mission]);
    assert.equal(status.code, 74, 'fail closed on a broken chain');
    assert.match(status.stderr, /guard repair --mission \S+ --journal/);
    const broken = await guardJson<{ consistent: boolean; disagreements: Array<{ code: string; command: string }> }>(box, ['verify', '--mission', box.mission], 74);
    assert.equal(broken.doc.consistent, false);
    assert.equal(broken.doc.disagreements[0]?.code, 'journal-broken');
    assert.match(broken.doc.disagreements[0]?.command ?? '', /guard repair --mission \S+ --journal/);

    const damaged = readFileSync(statePaths(box).journal);
    const { doc } = await guardJson<{ repaired: boolean; kept: number; cutBytes: number; quarantined: string }>(box, ['repair', '--mission', box.mission, '--journal'], 0);
    assert.equal(doc.repaired, true);
    // Line `seq` still chains to its predecessor and the line after it no longer does: the break
    // shows at seq + 1, but the edited line is seq, so it is cut too.
    assert.equal(doc.kept, seq - 1);
    const after = readFileSync(statePaths(box).journal);
    const keptEnd = offset;
    assert.equal(after.subarray(0, keptEnd).equals(damaged.subarray(0, keptEnd)), true, 'the verified prefix is kept byte for byte');
    assert.equal(original.subarray(0, offset).equals(damaged.subarray(0, offset)), true);

    const entries = entriesOf(box, 'journal-repaired');
    assert.equal(entries.length, 1);
    const [repaired] = entries;
    assert.equal(repaired?.seq, seq);
    assert.equal(repaired?.keptSeq, seq - 1);
    assert.match(String(repaired?.reason), new RegExp(`line ${seq} may have been edited`));
    assert.equal(repaired?.object, doc.quarantined);
    assert.equal(repaired?.cutBytes, damaged.length - keptEnd);
    const cut = await new ObjectStore(statePaths(box).objects).get(repaired?.object as Digest);
    assert.equal(Buffer.from(cut).equals(damaged.subarray(keptEnd)), true, 'the quarantine object holds exactly the cut bytes');
    const who = entriesOf(box, 'repaired').pop();
    assert.equal(who?.action, 'journal');
    assert.equal(who?.digest, doc.quarantined);

    const verify = await runGuard(box, ['verify', '--mission', box.mission]);
    assert.ok(verify.code === 0 || verify.code === 1, `verify runs again (exit ${verify.code}): ${verify.stderr}`);
    const { result: statusRun, doc: view } = await guardJson<{ journal: { seq: number } }>(box, ['status', '--mission', box.mission]);
    assert.ok(statusRun.code === 0 || statusRun.code === 3, statusRun.stderr);
    assert.equal(view.journal.seq, seq + 1);

    const again = await guardJson<{ repaired: boolean; intact: boolean }>(box, ['repair', '--mission', box.mission, '--journal'], 0);
    assert.deepEqual(again.doc, { repaired: false, intact: true });
  });
});
