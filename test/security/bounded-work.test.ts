// Issue 14 item 5: bounded work per event. A 200 MB write in progress is rejected from its size
// (read one byte past its limit, never whole), its quarantine is a bounded prefix, and SIGTERM
// stops `guard watch` at once, mid-write, with the guard state whole (the journal verifies, no
// temp file left). Per-incident and total quarantine limits: see test/store/quarantine.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createMission } from '../../src/demo/droid-files.js';
import { baseFeatures } from '../helpers/droid.js';
import { failOnLeakedChildren, journal, runGuard, sandbox, spawnGuard, spawnNode, startWatch, statePaths, stopGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let writer: GuardProcess | undefined;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
});

afterEach(async () => {
  if (writer !== undefined) await stopGuard(writer, 'SIGKILL');
  writer = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const MiB = 1024 * 1024;

/** Generous: the promise is "within a second"; a loaded 2-core machine gets five. */
const STOP_DEADLINE_MS = 5000;

test('SIGTERM stops guard watch within a second while a 200 MB slow writer is at work, even mid-restore; the guard state stays whole', async (t) => {
  const guard: GuardProcess = await startWatch(box);
  const file = join(box.mission, 'features.json');
  // 200 MB in 1 MiB chunks, 100 ms apart, the file held open all along (a slow garbage writer
  // that outlasts --stuck-ms: the reaction starts and its restore waits on the writer).
  writer = spawnNode(box, ['-e', `
    const fs = require('fs');
    const fd = fs.openSync(${JSON.stringify(file)}, 'w');
    const chunk = Buffer.alloc(${MiB}, 0x20);
    let n = 0;
    const next = () => { if (n++ === 200) return fs.closeSync(fd); fs.writeSync(fd, chunk); setTimeout(next, 100); };
    next();
  `]);
  await until(() => statSync(file).size >= 24 * MiB, 'the write past the 16 MiB limit');
  await until(() => journal(box).some((entry) => entry.kind === 'write-rejected'), `the stuck writer's version rejected: the reaction runs (guard stderr: ${guard.stderr()})`, 60_000);
  const rss = await until(() => guardRss(guard), 'the guard\'s memory');
  const began = performance.now();
  guard.process.kill('SIGTERM');
  const stopped = await guard.done;
  const tookMs = performance.now() - began;
  t.diagnostic(`stopped ${Math.round(tookMs)} ms after SIGTERM; ${Math.round(rss / MiB)} MiB resident before it`);
  assert.ok(tookMs < STOP_DEADLINE_MS, `guard watch took ${Math.round(tookMs)} ms to stop after SIGTERM (stderr: ${stopped.stderr})`);
  assert.ok(stopped.code === 0 || stopped.code === 3, `a clean stop (${stopped.code}): ${stopped.stderr}`);
  assert.ok(rss < 400 * MiB, `the guard held ${Math.round(rss / MiB)} MiB while a ${Math.round(statSync(file).size / MiB)} MB version was on disk`);
  await stopGuard(writer, 'SIGKILL');
  writer = undefined;
  assert.equal(journal(box).at(-1)?.kind, 'guard-stopped', 'the stop is journaled last');
  const log = await runGuard(box, ['log', '--mission', box.mission]);
  assert.equal(log.code, 0, `the journal verifies: ${log.stderr}`);
  const temps = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.tmp')) : []);
  assert.deepEqual([...temps(box.mission), ...temps(statePaths(box).objects)], [], 'no half-written temp file');
});

// The resident memory of a running guard (Linux), or undefined.
function guardRss(guard: GuardProcess): number | undefined {
  try {
    const status = readFileSync(`/proc/${guard.process.pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

test('SIGTERM during the start stops guard watch at once, though the baseline waits on a writer that holds a torn file open', async (t) => {
  const file = join(box.mission, 'features.json');
  // A torn features.json held open: the baseline's check waits on this writer up to --stuck-ms.
  writer = spawnNode(box, ['-e', `
    const fs = require('fs');
    const fd = fs.openSync(${JSON.stringify(file)}, 'w');
    fs.writeSync(fd, '{"features": [');
    console.log('held');
    setInterval(() => undefined, 1000);
  `]);
  await until(() => (writer?.stdout().includes('held') === true ? true : undefined), 'the writer holds the torn file');
  const guard = spawnGuard(box, ['watch', box.mission, '--stuck-ms', '60000']);
  await until(() => journal(box).some((entry) => entry.kind === 'guard-started'), `the start under way (guard stderr: ${guard.stderr()})`);
  assert.equal(journal(box).some((entry) => entry.kind === 'baseline'), false, 'the baseline is still waiting on the writer');
  const began = performance.now();
  guard.process.kill('SIGTERM');
  const stopped = await guard.done;
  const tookMs = performance.now() - began;
  t.diagnostic(`stopped ${Math.round(tookMs)} ms after SIGTERM during the baseline`);
  assert.ok(tookMs < STOP_DEADLINE_MS, `guard watch took ${Math.round(tookMs)} ms to stop after SIGTERM during its start (stderr: ${stopped.stderr})`);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(journal(box).at(-1)?.kind, 'guard-stopped', 'the stop is journaled last; nothing after it');
  assert.equal(journal(box).some((entry) => entry.kind === 'write-rejected' || entry.kind === 'baseline'), false, 'the torn file under its writer was never acted on');
  assert.equal(readFileSync(file, 'utf8'), '{"features": [', "the writer's bytes are untouched");
});
