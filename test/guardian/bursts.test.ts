// Bursts (DESIGN.md §7, §11): chokidar alone drops the trailing events of a burst, so these
// prove that the final version of every file is judged, whatever the writer does: thousands of
// rewrites of one file, a thousand writes over a hundred files, a bad write right after a good one.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { createMission, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import {
  journal,
  kinds,
  killLeakedChildren,
  leakedChildren,
  runWriter,
  sandbox,
  sha,
  startWatch,
  stopGuard,
  until,
  type GuardProcess,
  type Sandbox,
} from '../helpers/index.js';

let box: Sandbox | undefined;
let guard: GuardProcess | undefined;

afterEach(async () => {
  if (guard !== undefined) {
    const result = await stopGuard(guard);
    assert.equal(result.stderr.includes('internal error'), false, result.stderr);
  }
  guard = undefined;
  box?.cleanup();
  box = undefined;
});

after(() => {
  const leaked = leakedChildren();
  killLeakedChildren();
  assert.equal(leaked, 0, 'a test leaked child processes');
});

// Every (path, digest) the guardian accepted so far.
function acceptedVersions(sandboxed: Sandbox): Map<string, Set<string>> {
  const accepted = new Map<string, Set<string>>();
  for (const entry of journal(sandboxed)) {
    if (entry.kind !== 'write-accepted' || entry.digest === null) continue;
    const digests = accepted.get(entry.path) ?? new Set<string>();
    digests.add(entry.digest);
    accepted.set(entry.path, digests);
  }
  return accepted;
}

async function droidMission(): Promise<{ box: Sandbox; file: string; features: Feature[] }> {
  box = sandbox();
  const features = baseFeatures();
  createMission(box.mission, features);
  guard = await startWatch(box);
  return { box, file: join(box.mission, 'features.json'), features };
}

describe('a burst of rewrites of one file', () => {
  // No trailing newline: no proper prefix of a version is valid JSON, so every accepted digest
  // must be one of the versions written (a torn read is never taken for a version).
  const template = (features: Feature[]) => JSON.stringify({ features, revision: '%N%' }).replace('"%N%"', '%N%');
  const COUNT = 10_000;

  for (const mode of ['write', 'mixed'] as const) {
    test(`${COUNT.toLocaleString('en')} rewrites of features.json (${mode === 'write' ? 'in place' : 'alternating in place and temp + rename'}) end with the final version judged`, async () => {
      const { box, file, features } = await droidMission();
      const initial = readFileSync(file, 'utf8');
      const versions = Array.from({ length: COUNT }, (_, n) => template(features).replace('%N%', String(n)));
      await runWriter(box, [{ op: 'burst', file, mode, template: template(features), count: COUNT }]);
      const last = versions[COUNT - 1] as string;
      assert.equal(readFileSync(file, 'utf8'), last);
      await until(() => acceptedVersions(box).get('features.json')?.has(sha(last)), 'the final version accepted');
      assert.deepEqual(kinds(box, 'write-rejected'), [], 'no version of a valid burst was rejected');
      assert.equal(readFileSync(file, 'utf8'), last, 'nothing was written over the final version');
      const written = new Set([sha(initial), ...versions.map((text) => sha(text))]);
      const accepted = [...(acceptedVersions(box).get('features.json') ?? [])];
      assert.ok(accepted.length >= 2, 'the baseline and at least the final version');
      for (const digest of accepted) assert.ok(written.has(digest), `accepted ${digest.slice(0, 12)} is a version that was written, not a torn read`);
    });
  }
});

// A generic mission whose scheduling state is one small JSON file per task.
const TASK_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['id', 'state', 'round'],
  properties: { id: { type: 'string' }, state: { enum: ['todo', 'doing', 'done'] }, round: { type: 'integer' } },
};
const TASKS_CONFIG = {
  name: 'tasks',
  artifacts: [{ glob: 'tasks/*.json', role: 'scheduling', schema: 'task.schema.json', rules: [{ kind: 'immutable', pointer: '/id' }] }],
};

function taskMission(withTasksDir: boolean): Sandbox {
  box = sandbox();
  writeFileSync(join(box.mission, 'guard.config.json'), JSON.stringify(TASKS_CONFIG, null, 2));
  writeFileSync(join(box.mission, 'task.schema.json'), JSON.stringify(TASK_SCHEMA, null, 2));
  if (withTasksDir) mkdirSync(join(box.mission, 'tasks'));
  return box;
}

describe('1,000 writes spread over 100 files', () => {
  const FILES = 100;
  const ROUNDS = 10;

  for (const [mode, newDir] of [['write', false], ['rename', false], ['write', true]] as const) {
    test(`every file's final version is judged (${mode === 'write' ? 'in place' : 'temp + rename'}, files${newDir ? ' and their directory' : ''} created during the burst)`, async () => {
      const box = taskMission(!newDir);
      guard = await startWatch(box);
      const files = Array.from({ length: FILES }, (_, index) => join(box.mission, 'tasks', `t${String(index).padStart(3, '0')}.json`));
      const texts: Record<string, string[]> = {};
      files.forEach((file, index) => {
        texts[file] = Array.from({ length: ROUNDS }, (_, round) => JSON.stringify({ id: `t${index}`, state: round === ROUNDS - 1 ? 'done' : 'doing', round }));
      });
      await runWriter(box, [{ op: 'burst-many', files, rounds: ROUNDS, mode, texts }]);
      const finals = new Map(files.map((file, index) => [`tasks/t${String(index).padStart(3, '0')}.json`, sha(texts[file]?.[ROUNDS - 1] as string)]));
      const missing = () => [...finals].filter(([path, digest]) => !(acceptedVersions(box).get(path)?.has(digest) ?? false)).map(([path]) => path);
      await until(() => missing().length === 0, 'every final version accepted', 20_000).catch((error: Error) => {
        throw new Error(`${error.message}; not judged: ${missing().join(', ')}`);
      });
      assert.deepEqual(kinds(box, 'write-rejected'), [], 'no valid write was rejected');
      for (const file of files) assert.equal(readFileSync(file, 'utf8'), texts[file]?.[ROUNDS - 1]);
      assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);
    });
  }
});

describe('a bad write right after a valid one', () => {
  // protection.test.ts runs one trial per gap; this runs many trials under one guardian, so a
  // missed valid write anywhere shows up as a restore to an older version.
  const GAPS = [5, 8, 12, 16, 20, 25, 30];

  for (const mode of ['write', 'rename'] as const) {
    test(`is caught and the valid write restored, in ${GAPS.length * 2} trials (${mode === 'write' ? 'in place' : 'temp + rename'})`, async () => {
      const { box, file, features } = await droidMission();
      for (const [trial, gap] of [...GAPS, ...GAPS].entries()) {
        const valid = `${JSON.stringify({ features: withFeature(features, 'f4-search', { description: `Search, take ${trial}` }), trial }, null, 2)}\n`;
        const bad = `${JSON.stringify({ features: withFeature(features, 'f1-login', { status: 'pending' }), trial }, null, 2)}\n`;
        await runWriter(box, [
          { op: mode, file, text: valid },
          { op: 'sleep', ms: gap },
          { op: mode, file, text: bad },
        ]);
        const restored = await until(() => kinds(box, 'restored').find((entry) => entry.kind === 'restored' && entry.replaced === sha(bad)), `trial ${trial}: the bad write restored`);
        assert.ok(restored.kind === 'restored');
        assert.equal(restored.digest, sha(valid), `trial ${trial} (${gap} ms): restored to the valid write just before it`);
        assert.equal(readFileSync(file, 'utf8'), valid, `trial ${trial} (${gap} ms)`);
      }
      const rejected = kinds(box, 'write-rejected');
      assert.equal(rejected.length, GAPS.length * 2, 'one rejection per bad write, none for the valid ones');
      assert.ok(rejected.every((entry) => entry.kind === 'write-rejected' && entry.issues.some((issue) => issue.code === 'terminal-status' && issue.item === 'f1-login')));
    });
  }
});
