// The error table decides (issue "one truth for every write path" item 4): whether an error stops
// a guardian is the `fatal` column of src/errors.ts, read by classifyFault, not where the error's
// path points.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES, GuardError, type GuardErrorCode } from '../../src/errors.js';
import { classifyFault } from '../../src/guardian/faults.js';

const missionDir = '/missions/m1';
const systemError = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });

test('every code of the table: a guardian stops exactly when its row says fatal, wherever the error points', () => {
  for (const code of Object.keys(ERROR_CODES) as GuardErrorCode[]) {
    // Inside the mission dir: a classifier that went by the path would call every one of these the mission's.
    const error = Object.assign(new GuardError(code, `a ${code}`), { path: join(missionDir, 'features.json') });
    const fault = classifyFault(error, missionDir);
    assert.equal(fault.error?.code, code);
    assert.equal(fault.fatal, ERROR_CODES[code].fatal, code);
  }
});

test('the column is what is read: flipping it flips the decision', () => {
  const rows = ERROR_CODES as unknown as Record<string, { fatal: boolean }>;
  const error = systemError('EISDIR', 'open', join(missionDir, 'features.json'));
  assert.equal(classifyFault(error, missionDir).fatal, false);
  const row = rows.MISSION_FAULT as { fatal: boolean };
  row.fatal = true;
  try {
    assert.equal(classifyFault(error, missionDir).fatal, true);
    assert.equal(classifyFault(new GuardError('WATCH_FAILED', 'x'), missionDir).fatal, false);
  } finally {
    row.fatal = false;
  }
  const state = rows.STATE_IO as { fatal: boolean };
  state.fatal = false;
  try {
    assert.equal(classifyFault(systemError('ENOSPC', 'write', '/guard-home/journal.jsonl'), missionDir).fatal, false);
  } finally {
    state.fatal = true;
  }
});

test("a system error on a mission file is MISSION_FAULT (not fatal); on the guard's own state STATE_IO (fatal); a bug is fatal", () => {
  const mission = classifyFault(systemError('EISDIR', 'open', join(missionDir, 'features.json')), missionDir);
  assert.equal(mission.error?.code, 'MISSION_FAULT');
  assert.equal(mission.fatal, false);
  assert.equal(mission.mission?.path, 'features.json');
  assert.equal(mission.mission?.code, 'EISDIR');
  assert.match(mission.mission?.detail ?? '', /features\.json.*directory/);
  const own = classifyFault(systemError('ENOSPC', 'write', '/guard-home/missions/m/journal.jsonl'), missionDir);
  assert.equal(own.error?.code, 'STATE_IO');
  assert.equal(own.fatal, true);
  // A path that merely starts like the mission dir is not inside it.
  assert.equal(classifyFault(systemError('EACCES', 'open', `${missionDir}-other/features.json`), missionDir).fatal, true);
  const bug = classifyFault(new TypeError('undefined is not a function'), missionDir);
  assert.equal(bug.error, undefined);
  assert.equal(bug.fatal, true);
});
