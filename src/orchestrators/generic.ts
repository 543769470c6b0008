// Any other orchestrator, described by a human-adopted guard.config.json: sentinel-only (its
// scheduler is expected to check `.guard-frozen`; `guard run --suspend-child` can stop the child).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Orchestrator } from './adapter.js';

export const GENERIC_CONFIG = 'guard.config.json';

export const generic: Orchestrator = {
  name: 'generic',
  title: 'generic orchestrator',
  profileFile: undefined,
  markers: [GENERIC_CONFIG],
  missionDirOf: (dir) => (existsSync(join(dir, GENERIC_CONFIG)) ? dir : undefined),
  isTransient: () => false,
  evidenceFacts: () => [],
  vocabulary: { item: 'item', items: 'items' },
  pause: { writes: [], summary: 'the sentinel .guard-frozen only (the scheduler checks it)' },
  isUnpaused: () => false,
};
