// Factory's droid Missions (DROID.md): mission dirs under ~/.factory/missions/<uuid>/ holding
// features.json and state.json; evidence in the progress log, handoffs and validation-state;
// paused by state.json -> paused plus droid's own mission_paused log line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord } from '../../core/pointer.js';
import type { Orchestrator } from '../adapter.js';
import { droidEvidenceFacts } from './evidence-facts.js';
import { DROID_EVIDENCE_RULES } from './evidence-rules.js';
import { DROID_PAUSE_WRITES } from './pause-writes.js';

/** Files that make a dir droid's mission dir: such a mission never takes a profile from its own dir. */
export const DROID_MARKERS = ['features.json', 'state.json'];


// ${FACTORY_HOME_OVERRIDE:-$HOME}/.factory/missions, where droid keeps every mission dir.
export function droidMissionsRootOf(where: { home: string; env: Readonly<Record<string, string | undefined>> }): string {
  const override = where.env.FACTORY_HOME_OVERRIDE;
  return join(override !== undefined && override !== '' ? override : where.home, '.factory', 'missions');
}

export const droid: Orchestrator = {
  name: 'droid',
  title: 'droid',
  profileFile: 'droid/profile.json',
  markers: DROID_MARKERS,
  missionDirOf: (dir) => (DROID_MARKERS.some((marker) => existsSync(join(dir, marker))) ? dir : undefined),
  missionsRoot: droidMissionsRootOf,
  // droid's tool temps `.<name>.<12 hex>.tmp` are the store-level temp siblings (every orchestrator's).
  isTransient: () => false,
  evidenceFacts: droidEvidenceFacts,
  evidenceRules: DROID_EVIDENCE_RULES,
  vocabulary: { item: 'feature', items: 'features' },
  pause: { writes: DROID_PAUSE_WRITES, summary: 'state.json set to paused and a mission_paused line appended to progress_log.jsonl' },
  // droid resumed the mission (its state.json says anything but paused) while it is frozen.
  isUnpaused: (path, doc) => path === 'state.json' && (!isRecord(doc) || doc.state !== 'paused'),
  // A feature droid's runner finished: the worker session in its history, none running now.
  rebuiltItemFields: (session) => ({ workerSessionIds: [session], currentWorkerSessionId: null, completedWorkerSessionId: session }),
};
