// What the demo proves at the end, read from the journal and the files: which features were
// completed, whether features.json still holds exactly its last good version, what was rejected.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replay, type Incident } from '../core/replay.js';
import { digestOf } from '../core/types.js';
import { readAll } from '../store/journal.js';
import { missionStatePaths } from '../store/paths.js';
import type { Feature } from './droid-files.js';

/** The simulated orchestrator, compiled beside this module. */
export const SIMULATOR = fileURLToPath(new URL('./simulator.js', import.meta.url));

/** The facts the demo reports and its test asserts. */
export interface DemoOutcome {
  frozen: boolean;
  /** features.json on disk is byte for byte the journal's last good version. */
  featuresAreLastGood: boolean;
  /** Completed features in features.json now. */
  completed: string[];
  /** Features whose completion the journal recorded (accepted -> completed). */
  everCompleted: string[];
  incidents: Incident[];
}

// Read the mission's journal and features.json after the run.
export async function demoOutcome(guardHome: string, missionDir: string): Promise<DemoOutcome> {
  const state = replay(await readAll(missionStatePaths(guardHome, missionDir).journal));
  const bytes = await readFile(join(missionDir, 'features.json'));
  const doc = JSON.parse(bytes.toString('utf8')) as { features: Feature[] } | Feature[];
  const features = Array.isArray(doc) ? doc : doc.features;
  return {
    frozen: state.freeze.kind === 'frozen',
    featuresAreLastGood: state.artifacts.get('features.json')?.lastGood === digestOf(bytes),
    completed: features.filter((feature) => feature.status === 'completed').map((feature) => feature.id),
    everCompleted: [...state.features.values()].filter((feature) => feature.changes.some((change) => change.to === 'completed')).map((feature) => feature.id),
    incidents: [...state.incidents.values()],
  };
}
