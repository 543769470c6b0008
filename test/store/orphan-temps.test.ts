// Temp files a killed guard left behind (issue 9 item 8) are removed when a guardian starts:
// only the guard's own names, only when the process that made them is dead. An agent's
// in-flight temp (droid's `.<name>.<12 hex>.tmp`) is never touched.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission } from '../../src/demo/droid-files.js';
import { guardTempOwner, isTempSibling, tempSiblingOf } from '../../src/store/atomic-write.js';
import { objectTempOwner } from '../../src/store/objects.js';
import { baseFeatures } from '../helpers/droid.js';
import { failOnLeakedChildren, startWatch, statePaths, stopGuard, type Sandbox, sandbox } from '../helpers/index.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

// The pid of a process that has exited.
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('the guard temp names', () => {
  test("the guard's own temp siblings name their pid, and watchers ignore them like droid's", () => {
    const temp = tempSiblingOf('/m/features.json');
    assert.equal(guardTempOwner(temp), process.pid);
    assert.equal(isTempSibling(temp), true);
    assert.equal(isTempSibling('/m/.features.json.0123456789ab.tmp'), true, "droid's tool temp");
    assert.equal(guardTempOwner('/m/.features.json.0123456789ab.tmp'), undefined, "droid's tool temp is not the guard's");
    assert.equal(objectTempOwner(`${'a'.repeat(62)}.123-0123456789ab.tmp`), 123);
    assert.equal(objectTempOwner(`${'a'.repeat(62)}.0123456789ab.tmp`), 'unnamed');
    assert.equal(objectTempOwner('a'.repeat(62)), undefined);
  });
});

describe('orphaned temp files at guardian start', () => {
  test("the guard's own, from dead processes, are removed; an agent's and a live process's are kept", async () => {
    const dead = deadPid();
    const live = process.pid;
    const paths = statePaths(box);
    mkdirSync(join(box.mission, 'handoffs'), { recursive: true });
    mkdirSync(join(paths.objects, 'ab'), { recursive: true });
    const orphans = [
      join(box.mission, `.features.json.guard-${dead}-0123456789ab.tmp`),
      join(box.mission, 'handoffs', `.h1.json.guard-${dead}-0123456789ab.tmp`),
      join(paths.dir, `.projection.json.guard-${dead}-0123456789ab.tmp`),
      join(paths.objects, 'ab', `${'c'.repeat(62)}.${dead}-0123456789ab.tmp`),
    ];
    const kept = [
      join(box.mission, '.features.json.0123456789ab.tmp'), // droid's tool temp: an agent's in-flight write
      join(box.mission, 'handoffs', '.h2.json.abcdefabcdef.tmp'),
      join(box.mission, `.state.json.guard-${live}-0123456789ab.tmp`), // a live guard write's
      join(paths.objects, 'ab', `${'d'.repeat(62)}.${live}-0123456789ab.tmp`),
      join(paths.objects, 'ab', `${'e'.repeat(62)}.0123456789ab.tmp`), // unnamed and young
    ];
    for (const file of [...orphans, ...kept]) writeFileSync(file, 'partial');
    const guard = await startWatch(box);
    await stopGuard(guard);
    for (const file of orphans) assert.equal(existsSync(file), false, `removed: ${file}`);
    for (const file of kept) assert.equal(existsSync(file), true, `kept: ${file}`);
  });
});
