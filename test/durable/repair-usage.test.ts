// `guard repair` argument errors: exit 2 with a message that says what is wrong, no stack trace,
// nothing written or journaled.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createMission } from '../../src/demo/droid-files.js';
import { baseFeatures } from '../helpers/droid.js';
import { assertNoStack } from '../helpers/durable.js';
import { failOnLeakedChildren, runGuard, sandbox, statePaths, type Sandbox } from '../helpers/index.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
  createMission(box.mission, baseFeatures());
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

describe('guard repair argument errors', () => {
  for (const [name, args, message] of [
    ['no action', [], /exactly one of --restore, --reopen, --rebuild, --journal/],
    ['two actions', ['--restore', 'features.json', '--journal'], /exactly one of --restore, --reopen, --rebuild, --journal/],
    ['two actions with values', ['--rebuild', 'features.json', '--reopen', 'f1-login', '--reason', 'x'], /exactly one of/],
    ['--to without --restore', ['--to', 'abc123'], /--to SNAP goes with --restore ARTIFACT/],
    ['--to with another action', ['--to', 'abc123', '--journal'], /--to SNAP goes with --restore ARTIFACT/],
    ['a stray positional', ['--journal', 'features.json'], /unexpected: features\.json/],
    ['an unknown option', ['--rebuld', 'features.json'], /--rebuld/],
  ] as const) {
    test(`${name}: exit 2 with a clear message`, async () => {
      const features = readFileSync(join(box.mission, 'features.json'));
      const result = await runGuard(box, ['repair', '--mission', box.mission, ...args]);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, /^guard repair: /);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /usage: guard repair|--to SNAP/);
      assertNoStack(result);
      assert.equal(result.stdout, '');
      assert.equal(readFileSync(join(box.mission, 'features.json')).equals(features), true);
      assert.equal(existsSync(statePaths(box).journal), false, 'nothing journaled');
    });
  }
});
