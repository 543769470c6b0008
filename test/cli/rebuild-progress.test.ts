// Rebuilding a projection (a long journal replayed in full: the cache is missing or stale) shows
// progress on a terminal only (issue 11 item 8): rate-limited, erased at the end, never with
// --json, never when piped.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, test } from 'node:test';
import { generateJournal } from '../../bench/journal-gen.js';
import { shellQuote } from '../../src/core/freeze.js';
import { ttyProgress, SHOW_AFTER_MS } from '../../src/cli/progress.js';
import { missionStatePaths } from '../../src/store/paths.js';
import { BIN, failOnLeakedChildren, runGuard, sandbox, type Sandbox } from '../helpers/index.js';

let box: Sandbox | undefined;

afterEach(() => {
  box?.cleanup();
  box = undefined;
});

failOnLeakedChildren();

const LABEL = 'rebuilding the journal projection';

function fakeTerminal(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, write: (text: string) => written.push(text) }, written };
}

test('the progress line: only on a terminal, not with --json, not for a quick replay, at most every 100 ms, erased at the end', () => {
  let now = 0;
  const clock = () => now;
  assert.equal(ttyProgress(fakeTerminal(false).stream, LABEL, true, clock).update, undefined, 'piped: nothing');
  assert.equal(ttyProgress(fakeTerminal(true).stream, LABEL, false, clock).update, undefined, '--json: nothing');
  const quick = fakeTerminal(true);
  const q = ttyProgress(quick.stream, LABEL, true, clock);
  q.update?.(1, 2);
  q.end();
  assert.deepEqual(quick.written, [], 'a replay quicker than the threshold prints nothing, not even the erase');
  const tty = fakeTerminal(true);
  const p = ttyProgress(tty.stream, LABEL, true, clock);
  now = SHOW_AFTER_MS;
  p.update?.(1 << 20, 4 << 20);
  now += 50;
  p.update?.(2 << 20, 4 << 20); // within the rate limit: not written
  now += 60;
  p.update?.(3 << 20, 4 << 20);
  p.end();
  assert.deepEqual(tty.written, [`\r${LABEL}: 25% (1.0 of 4.0 MB)\x1b[K`, `\r${LABEL}: 75% (3.0 of 4.0 MB)\x1b[K`, '\r\x1b[K']);
});

const hasScript = () => spawnSync('script', ['--version'], { stdio: 'ignore' }).error === undefined;

// Run a command on a pseudo-terminal (util-linux script); resolves with what it printed.
function onTerminal(sandboxed: Sandbox, command: string): Promise<string> {
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: sandboxed.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.end();
  return new Promise((resolve) => child.on('close', () => resolve(output)));
}

test('guard status on a 100,000-entry journal with no projection: progress on a terminal, erased; none piped or with --json', async (t) => {
  if (!hasScript()) {
    t.skip('script (util-linux) is not installed: no pseudo-terminal to test with (the callback is tested above)');
    return;
  }
  box = sandbox();
  const paths = missionStatePaths(box.home, box.mission);
  mkdirSync(dirname(paths.journal), { recursive: true });
  generateJournal(paths.journal, 100_000);
  const status = `${shellQuote(process.execPath)} ${shellQuote(BIN)} status --mission ${shellQuote(box.mission)}`;
  const piped = await runGuard(box, ['status', '--mission', box.mission]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stderr, new RegExp(LABEL));
  rmSync(paths.projection, { force: true }); // rebuilt again below
  const json = await onTerminal(box, `${status} --json`);
  assert.doesNotMatch(json, new RegExp(LABEL), '--json prints no progress, even on a terminal');
  rmSync(paths.projection, { force: true });
  const output = await onTerminal(box, status);
  assert.match(output, new RegExp(`\\r${LABEL}: \\d+%`), 'progress while the projection is rebuilt');
  const last = output.lastIndexOf(LABEL);
  assert.ok(output.indexOf('\r\x1b[K', last) > last, 'the line is erased before the status is printed');
  assert.match(output, /100000 entries/);
});
