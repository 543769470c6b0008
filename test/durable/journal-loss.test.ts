// Journal loss (issue 9 items 6-7): a journal cut back at a line boundary, emptied or deleted is
// a valid chain, so only the high-water mark kept beside it shows the loss. Every command
// refuses (74), the sentinel of a frozen mission stays, and `guard repair --journal` keeps the
// mission frozen and says what was cut or lost.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission, featureText } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { assertNoStack, entriesOf, guardJson } from '../helpers/durable.js';
import { acceptedDigest, failOnLeakedChildren, journal, kinds, runGuard, runWriter, sandbox, startWatch, statePaths, stopGuard, until, type Sandbox } from '../helpers/index.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

// A guardian freezes the mission on a bad write (completed -> pending), then stops.
async function frozenMission(): Promise<void> {
  const guard = await startWatch(box);
  const bad = featureText(withFeature(baseFeatures(), 'f1-login', { status: 'pending' }));
  await runWriter(box, [{ op: 'write', file: join(box.mission, 'features.json'), text: bad }]);
  await until(() => kinds(box, 'restored').length > 0 && existsSync(join(box.mission, '.guard-frozen')), 'frozen and restored');
  await until(() => kinds(box, 'scheduler-paused').length > 0, 'scheduler paused');
  await stopGuard(guard);
}

// Byte offset just past line `count` of the journal.
function offsetAfter(count: number): number {
  const lines = readFileSync(statePaths(box).journal, 'utf8').split('\n');
  return Buffer.byteLength(lines.slice(0, count).map((line) => `${line}\n`).join(''));
}

const damages: Array<{ name: string; damage: (file: string) => void }> = [
  {
    name: 'cut back at a line boundary, before the incident',
    damage: (file) => {
      const incident = kinds(box, 'write-rejected')[0]?.seq as number;
      truncateSync(file, offsetAfter(incident - 1));
    },
  },
  { name: 'cut back by its last line only', damage: (file) => truncateSync(file, offsetAfter(journal(box).length - 1)) },
  { name: 'emptied', damage: (file) => writeFileSync(file, '') },
  { name: 'deleted', damage: (file) => rmSync(file) },
];

describe('a journal that lost its tail', () => {
  for (const { name, damage } of damages) {
    test(`${name}: status, verify, watch and ack refuse (74), the sentinel stays; repair keeps the mission frozen`, async () => {
      await frozenMission();
      const sentinel = readFileSync(join(box.mission, '.guard-frozen'));
      const written = journal(box).length;
      damage(statePaths(box).journal);

      for (const args of [['status'], ['verify'], ['watch', box.mission], ['ack', '--note', 'x'], ['log']]) {
        const result = await runGuard(box, [...args, '--mission', box.mission]);
        assert.equal(result.code, 74, `${args[0]}: ${result.stdout}${result.stderr}`);
        assert.match(`${result.stdout}${result.stderr}`, /damaged: .*(missing|emptied|deleted)/);
        assert.match(`${result.stdout}${result.stderr}`, /guard repair --mission \S+ --journal/);
        assertNoStack(result);
      }
      assert.deepEqual(readFileSync(join(box.mission, '.guard-frozen')), sentinel, 'the sentinel of the frozen mission is kept');

      const repair = await runGuard(box, ['repair', '--mission', box.mission, '--journal']);
      assert.equal(repair.code, 0, repair.stdout + repair.stderr);
      assert.match(repair.stdout, new RegExp(`lost: entries \\d+-${written}; their bytes are gone`));
      assert.match(repair.stdout, /still FROZEN/);
      assert.match(repair.stdout, /guard ack --mission/);
      const [repaired] = entriesOf(box, 'journal-repaired');
      assert.ok(repaired?.freeze !== undefined, 'the repair entry carries the freeze');

      const { doc: status } = await guardJson<{ frozen: boolean; freeze: { incident: number } }>(box, ['status', '--mission', box.mission], 3);
      assert.equal(status.frozen, true, 'the mission stays frozen until guard ack');
      // The kept part still holds the freeze when only entries after it were lost.
      const keptFreeze = kinds(box, 'frozen').find((entry) => entry.seq < repaired.seq);
      assert.equal(status.freeze.incident, keptFreeze?.kind === 'frozen' ? keptFreeze.incident : repaired.seq);
      assert.equal(existsSync(join(box.mission, '.guard-frozen')), true);
      assert.equal(JSON.parse(readFileSync(join(box.mission, '.guard-frozen'), 'utf8')).incident, status.freeze.incident, 'the sentinel names the freeze that holds now');

      const guard = await startWatch(box);
      assert.equal(existsSync(join(box.mission, '.guard-frozen')), true, 'a guardian started after the repair keeps the sentinel');
      await stopGuard(guard);
      const ack = await runGuard(box, ['ack', '--mission', box.mission, '--note', 'journal loss inspected', '--yes-i-am-human']);
      assert.equal(ack.code, 0, ack.stdout + ack.stderr);
      assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);
    });
  }

  test('a mark that lags behind entries that chain correctly (a crash between the two writes) is fine', async () => {
    const guard = await startWatch(box);
    await stopGuard(guard);
    const markFile = statePaths(box).journal.replace(/\.jsonl$/, '.mark');
    const mark = readFileSync(markFile);
    const good = featureText(withFeature(baseFeatures(), 'f4-search', { status: 'in_progress' }));
    const again = await startWatch(box);
    await runWriter(box, [{ op: 'write', file: join(box.mission, 'features.json'), text: good }]);
    await acceptedDigest(box, 'features.json', good);
    await stopGuard(again);
    writeFileSync(markFile, mark); // the mark as it was several entries ago
    for (const args of [['status'], ['verify'], ['log']]) {
      const result = await runGuard(box, [...args, '--mission', box.mission]);
      assert.equal(result.code, 0, `${args[0]}: ${result.stdout}${result.stderr}`);
    }
    const restarted = await startWatch(box);
    await stopGuard(restarted);
  });

  test('a journal from before marks existed gets one at its next open, and then loss is detected', async () => {
    const guard = await startWatch(box);
    await stopGuard(guard);
    const markFile = statePaths(box).journal.replace(/\.jsonl$/, '.mark');
    rmSync(markFile);
    const status = await runGuard(box, ['status', '--mission', box.mission]);
    assert.equal(status.code, 0, status.stderr);
    const restarted = await startWatch(box);
    await stopGuard(restarted);
    assert.equal(existsSync(markFile), true);
    writeFileSync(statePaths(box).journal, '');
    assert.equal((await runGuard(box, ['status', '--mission', box.mission])).code, 74);
  });
});

describe('guard repair --journal on a frozen mission', () => {
  test('a tampered line before the freeze: the cut held the freeze, so the mission stays frozen, and the output says what was cut', async () => {
    await frozenMission();
    const incident = kinds(box, 'write-rejected')[0]?.seq as number;
    const file = statePaths(box).journal;
    const lines = readFileSync(file, 'utf8').split('\n');
    const edited = incident - 1;
    lines[edited - 1] = (lines[edited - 1] as string).replace(/"at":"(\d{4})/, (_all, year: string) => `"at":"${String(Number(year) + 1)}`);
    writeFileSync(file, lines.join('\n'));
    const total = lines.filter((line) => line !== '').length;

    const { doc } = await guardJson<{ repaired: boolean; kept: number; quarantined: string; cut: { from: number; to: number; kinds: Record<string, number> }; frozen: boolean }>(box, ['repair', '--mission', box.mission, '--journal'], 0);
    assert.equal(doc.kept, edited - 1);
    assert.deepEqual({ from: doc.cut.from, to: doc.cut.to }, { from: edited, to: total });
    assert.equal(doc.cut.kinds['write-rejected'], 1);
    assert.equal(doc.cut.kinds.frozen, 1);
    assert.equal(doc.frozen, true);
    assert.equal((await runGuard(box, ['status', '--mission', box.mission])).code, 3, 'still frozen: only guard ack unfreezes');
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), true);
    const guard = await startWatch(box);
    await stopGuard(guard);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), true, 'a guardian does not remove it either');
  });

  test('the human-readable output names the cut range, the kinds and the quarantine object', async () => {
    await frozenMission();
    const file = statePaths(box).journal;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = (lines[2] as string).replace(/"at":"(\d{4})/, (_all, year: string) => `"at":"${String(Number(year) + 1)}`);
    writeFileSync(file, lines.join('\n'));
    const repair = await runGuard(box, ['repair', '--mission', box.mission, '--journal']);
    assert.equal(repair.code, 0, repair.stderr);
    assert.match(repair.stdout, /kept: entries 1-2/);
    assert.match(repair.stdout, /cut: entries 3-\d+ \(.*write-rejected x1.*frozen x1.*\), \d+ bytes, kept in quarantine as [0-9a-f]{64}/);
    assert.match(repair.stdout, /still FROZEN/);
  });
});
