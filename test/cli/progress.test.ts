// Long operations (adopting the missions under a root, reading them for status --root) show a
// progress counter on a terminal only; piped output stays clean.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission } from '../../src/demo/droid-files.js';
import { baseFeatures } from '../helpers/droid.js';
import { BIN, failOnLeakedChildren, kinds, runGuard, sandbox, until, type Sandbox } from '../helpers/index.js';
import { shellQuote } from '../../src/core/freeze.js';

let box: Sandbox;
let root: string;

beforeEach(() => {
  box = sandbox();
  root = join(box.dir, 'missions');
  for (const name of ['a', 'b', 'c']) createMission(join(root, name), baseFeatures());
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

const hasScript = () => spawnSync('script', ['--version'], { stdio: 'ignore' }).error === undefined;

// Run a shell command on a pseudo-terminal (util-linux script); resolves with what it printed.
function onTerminal(command: string, until?: (output: string) => boolean): { output: () => string; done: Promise<void>; stop: () => void } {
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: box.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (until?.(output)) child.stdin.end();
  });
  const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { output: () => output, done, stop: () => process.kill(-(child.pid as number), 'SIGTERM') };
}

describe('progress on a terminal only', () => {
  test('guard status --root: a counter on a terminal, none when piped', async (t) => {
    const piped = await runGuard(box, ['status', '--root', root]);
    assert.doesNotMatch(piped.stderr, /reading missions/);
    if (!hasScript()) {
      t.skip('script (util-linux) is not installed: no pseudo-terminal to test with');
      return;
    }
    const tty = onTerminal(`${shellQuote(process.execPath)} ${shellQuote(BIN)} status --root ${shellQuote(root)}`);
    await tty.done;
    assert.match(tty.output(), /reading missions: 3\/3/);
  });

  test('guard watch --root: adopting the missions already there shows a counter on a terminal', async (t) => {
    if (!hasScript()) {
      t.skip('script (util-linux) is not installed: no pseudo-terminal to test with');
      return;
    }
    const tty = onTerminal(`${shellQuote(process.execPath)} ${shellQuote(BIN)} watch --root ${shellQuote(root)}`);
    try {
      await until(() => /adopting missions: 3\/3/.test(tty.output()), 'the adoption counter', 30_000);
      await until(() => kinds(box, 'baseline', join(root, 'c')).length > 0, 'the last baseline');
    } finally {
      tty.stop();
      await tty.done;
    }
  });
});
