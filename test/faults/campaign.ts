// `npm run test:faults`: the full seeded fault campaign (issue 9). Counts and the seed come from
// the environment: FAULT_SEED (replay), FAULT_KILLS (default 200), FAULT_DAMAGES (120),
// FAULT_LOCKS (12), FAULT_CONCURRENCY (4). Prints one line per trial with its seed, then a table of
// trials and violations per invariant; fails when any invariant was violated.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failOnLeakedChildren } from '../helpers/index.js';
import { campaignSeed, countFrom, INVARIANTS, runCampaign } from './trials.js';

failOnLeakedChildren();

test('fault campaign', { timeout: 30 * 60 * 1000 }, async () => {
  const env = process.env;
  const seed = campaignSeed(env);
  const options = { seed, kills: countFrom(env, 'FAULT_KILLS', 200), damages: countFrom(env, 'FAULT_DAMAGES', 120), locks: countFrom(env, 'FAULT_LOCKS', 12), concurrency: countFrom(env, 'FAULT_CONCURRENCY', 4) };
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`fault campaign: FAULT_SEED=${seed} FAULT_KILLS=${options.kills} FAULT_DAMAGES=${options.damages} FAULT_LOCKS=${options.locks} FAULT_CONCURRENCY=${options.concurrency}`);
  const started = Date.now();
  const summary = await runCampaign({ ...options, log });
  log(`${summary.trials} trials in ${Math.round((Date.now() - started) / 1000)} s; per invariant (trials checked / violations):`);
  for (const invariant of INVARIANTS) {
    const row = summary.table.get(invariant);
    if (row !== undefined) log(`  ${invariant.padEnd(20)} ${String(row.trials).padStart(5)} / ${row.violations}`);
  }
  const failed = summary.results.filter((result) => result.violations.length > 0);
  assert.deepEqual(failed.map((result) => `seed=${result.seed} ${result.name}: ${result.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`), []);
});
