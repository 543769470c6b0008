#!/usr/bin/env node
// Runs every compiled `*.test.js` under dist/test with node's test runner.
// Node 20 neither expands globs for `--test` nor skips fixtures when given a
// directory, so the list is built here. Extra arguments are passed through
// (e.g. `npm test -- --test-name-pattern=ack`).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = 'dist/test';
const files = readdirSync(root, { recursive: true })
  .filter((name) => name.endsWith('.test.js'))
  .map((name) => join(root, name))
  .sort();

const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', ...process.argv.slice(2), ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
