// Issue 14 item 5: the quarantine is bounded per incident (beyond a limit: a prefix and the
// sha256, saying which) and per mission (beyond a total: the sha256 only, saying why).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestOf } from '../../src/core/types.js';
import { planQuarantine, QUARANTINE_PREFIX, QUARANTINE_TOTAL_MAX, QUARANTINE_WHOLE_MAX, quarantinedBytes } from '../../src/store/quarantine.js';

const MiB = 1024 * 1024;

test('a rejected version within its limit is kept whole, with no note', () => {
  const bytes = Buffer.alloc(3 * MiB, 0x61);
  const plan = planQuarantine(bytes, digestOf(bytes), 16 * MiB, 0);
  assert.equal(plan.keep, bytes);
  assert.equal(plan.cut, undefined);
  assert.equal(quarantinedBytes(bytes.length, 16 * MiB), bytes.length);
});

test('a version over its artifact limit (or the whole-version limit) keeps a 1 MiB prefix and names it and the sha256', () => {
  const bytes = Buffer.alloc(16 * MiB + 1, 0x20);
  const digest = digestOf(bytes);
  const plan = planQuarantine(bytes, digest, 16 * MiB, 0, 600 * MiB);
  assert.equal(plan.keep?.length, QUARANTINE_PREFIX);
  assert.equal(plan.cut?.code, 'EFBIG');
  assert.match(plan.cut?.why ?? '', new RegExp(`is 600 MiB, over 16 MiB.*only its first 1 MiB is kept \\(guard show ${digestOf(bytes.subarray(0, QUARANTINE_PREFIX)).slice(0, 12)}\\).*${digest}`));
  assert.equal(quarantinedBytes(bytes.length, 16 * MiB), QUARANTINE_PREFIX);
  // A tracked file's limit (1 MiB) is lower than the whole-version limit: it decides.
  assert.equal(planQuarantine(Buffer.alloc(2 * MiB), digest, 1 * MiB, 0).keep?.length, QUARANTINE_PREFIX);
  assert.ok(QUARANTINE_WHOLE_MAX >= 16 * MiB);
});

test('a mission whose quarantine is full keeps only the sha256, with the reason', () => {
  const bytes = Buffer.alloc(2 * MiB, 0x62);
  const digest = digestOf(bytes);
  const plan = planQuarantine(bytes, digest, 16 * MiB, QUARANTINE_TOTAL_MAX - MiB);
  assert.equal(plan.keep, null);
  assert.equal(plan.cut?.code, 'EDQUOT');
  assert.match(plan.cut?.why ?? '', new RegExp(`already holds 255 MiB \\(its limit is 256 MiB\\).*only its sha256 ${digest}`));
  assert.equal(planQuarantine(bytes, digest, 16 * MiB, QUARANTINE_TOTAL_MAX - 3 * MiB).keep, bytes, 'below the total it is kept');
});
