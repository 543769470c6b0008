// Adopt a mission's guard.config.json the way a human does (guard config adopt, with the flag for
// scripts run by humans), failing the test when the guard refuses it.
import assert from 'node:assert/strict';
import { runGuard, type Sandbox } from './index.js';

export async function adoptConfig(box: Sandbox, mission = box.mission): Promise<void> {
  const result = await runGuard(box, ['config', 'adopt', '--mission', mission, '--yes-i-am-human']);
  assert.equal(result.code, 0, `guard config adopt: ${result.stderr}`);
}
