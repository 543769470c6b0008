// Files that are not what a mission expects must not stall the guardian: a FIFO put in place of
// an artifact (a blocking read would hang every mission of the process), and a file outside the
// artifacts that an agent appends to without pause (it must not keep the baseline waiting).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission } from '../../src/demo/droid-files.js';
import { baseFeatures } from '../helpers/droid.js';
import { failOnLeakedChildren, kinds, runGuard, sandbox, spawnNode, startWatch, stopGuard, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;
let goodText: string;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
  goodText = readFileSync(join(box.mission, 'features.json'), 'utf8');
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

describe('odd files in a mission dir', () => {
  test('a FIFO in place of features.json is a deletion: restored and frozen, and the guardian stays responsive', async () => {
    guard = await startWatch(box);
    const fifo = join(box.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    renameSync(fifo, join(box.mission, 'features.json'));
    await until(() => statSync(join(box.mission, 'features.json')).isFile() && readFileSync(join(box.mission, 'features.json'), 'utf8') === goodText, 'features.json restored over the FIFO');
    await until(() => kinds(box, 'frozen').length > 0, 'frozen');
    const stopped = await stopGuard(guard);
    guard = undefined;
    assert.equal(stopped.code, 3, `SIGTERM still stops it cleanly, reporting the freeze: ${stopped.stderr}`);
    const status = await runGuard(box, ['status', '--mission', box.mission]);
    assert.equal(status.code, 3, status.stderr);
  });

  test('a log outside the artifacts, appended to every few milliseconds, does not hold up the baseline', async () => {
    const log = join(box.mission, 'scratch.log');
    const writer = spawnNode(box, ['-e', `const fs = require('fs'); setInterval(() => fs.appendFileSync(${JSON.stringify(log)}, 'tick\\n'), 5);`]);
    try {
      await until(() => statSync(log, { throwIfNoEntry: false }) !== undefined, 'the writer started');
      guard = await startWatch(box); // waits for the baseline entry, with a deadline
      assert.equal(kinds(box, 'baseline').at(-1)?.kind, 'baseline');
    } finally {
      await stopGuard(writer);
    }
  });
});
