// A user's guard.config.json names a generic orchestrator only: it cannot claim droid's or Task
// Master's adapter (their pause writes, evidence, hook gate) by accident or on purpose.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadDroidProfile, loadProfileFile, orchestratorOf } from '../../src/profiles/profile.js';

const dir = mkdtempSync(join(tmpdir(), 'guard-config-orchestrator-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configWith(extra: Record<string, unknown>): string {
  const file = join(dir, `config-${Object.keys(extra).join('-')}-${Object.values(extra).join('-')}.json`);
  writeFileSync(file, JSON.stringify({ ...extra, artifacts: [{ glob: 'plan.json', role: 'scheduling' }] }));
  return file;
}

describe('the orchestrator key of guard.config.json', () => {
  test('absent, "orchestrator": "generic" and the older "freeze": "sentinel" all give the generic adapter', () => {
    for (const extra of [{}, { orchestrator: 'generic' }, { freeze: 'sentinel' }]) {
      const profile = loadProfileFile(configWith(extra), 'test config');
      assert.equal(profile.orchestrator, 'generic', JSON.stringify(extra));
      assert.equal(orchestratorOf(profile).pause.writes.length, 0, 'sentinel only: the guard writes nothing into a generic mission to pause it');
    }
  });

  test('a config naming droid or Task Master (either key) is refused with the reason', () => {
    for (const extra of [{ freeze: 'droid' }, { orchestrator: 'droid' }, { orchestrator: 'taskmaster' }]) {
      assert.throws(
        () => loadProfileFile(configWith(extra), 'test config'),
        (error: Error & { code?: string }) => error.code === 'CONFIG_INVALID' && /names the built-in orchestrator/.test(error.message) && /describes a generic orchestrator only/.test(error.message),
        JSON.stringify(extra),
      );
    }
  });

  test('an unknown orchestrator is refused by the config schema', () => {
    assert.throws(() => loadProfileFile(configWith({ orchestrator: 'airflow' }), 'test config'), (error: Error & { code?: string }) => error.code === 'CONFIG_INVALID' && /\/orchestrator/.test(error.message));
  });

  test('the built-in droid profile is bound to the droid adapter by the guard, not by its file', () => {
    assert.equal(loadDroidProfile().orchestrator, 'droid');
    assert.equal(orchestratorOf(loadDroidProfile()).name, 'droid');
  });
});
