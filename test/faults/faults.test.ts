// The small share of the fault campaign that runs with `npm test` (issue 9): about 20 guardian
// kills, a round of every journal damage, and two lock takeovers, from a fresh seed each run
// (printed; replay with FAULT_SEED=<seed> npm run test:faults). The full campaign is
// test/faults/campaign.ts (`npm run test:faults`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failOnLeakedChildren } from '../helpers/index.js';
import { campaignSeed, runCampaign } from './trials.js';

failOnLeakedChildren();

test('fault trials (a small seeded share of npm run test:faults)', { timeout: 20 * 60 * 1000 }, async () => {
  const seed = campaignSeed(process.env);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`fault trials: FAULT_SEED=${seed}`);
  const summary = await runCampaign({ seed, kills: 20, damages: 24, locks: 2, concurrency: 3, log });
  const failed = summary.results.filter((result) => result.violations.length > 0);
  assert.deepEqual(failed.map((result) => `seed=${result.seed} ${result.name}: ${result.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`), []);
});
