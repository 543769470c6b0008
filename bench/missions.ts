// Mission dirs and artifact bytes for the benchmarks, written the way droid writes them
// (src/demo/droid-files.ts): pretty-printed features.json, a progress log, handoffs, validators'
// synthesis files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { appendProgress, createMission, featureText, writeHandoff, type Feature, type FeatureStatus } from '../src/demo/droid-files.js';

// One droid feature of about 500 bytes pretty-printed, like a planner writes them.
export function makeFeature(index: number, status: FeatureStatus = 'pending'): Feature {
  const id = `f${String(index).padStart(5, '0')}-${['auth', 'billing', 'search', 'profile', 'admin'][index % 5]}`;
  const feature: Feature = {
    id,
    description: `Implement ${id}: the user-facing flow, its API endpoint, validation, error states and tests. Acceptance: the flow works end to end in the browser.`,
    status,
    milestone: `m${1 + Math.floor(index / 25)}`,
    skillName: 'fullstack-worker',
    fulfills: [`VAL-${String(index).padStart(5, '0')}-001`, `VAL-${String(index).padStart(5, '0')}-002`],
    workerSessionIds: status === 'pending' ? [] : [`w-${index}-1`],
    currentWorkerSessionId: status === 'in_progress' ? `w-${index}-1` : null,
    completedWorkerSessionId: status === 'completed' ? `w-${index}-1` : null,
  };
  return feature;
}

export function makeFeatures(count: number): Feature[] {
  return Array.from({ length: count }, (_, index) => makeFeature(index, index % 3 === 0 ? 'completed' : 'pending'));
}

export function featuresBytes(features: Feature[]): Buffer {
  return Buffer.from(featureText(features));
}

// A validator's synthesis.json; `round` makes every version distinct.
export function synthesisText(milestone: string, round: number, status: 'pass' | 'fail' = 'pass'): string {
  return `${JSON.stringify({ milestone, round, status, blockingIssues: [], passedAssertions: [`VAL-${milestone}-001`, `VAL-${milestone}-002`], failedAssertions: [], blockedAssertions: [] }, null, 2)}\n`;
}

/** Bytes the synthesis schema rejects (unknown status), distinct per `round`. */
export function badSynthesisText(milestone: string, round: number): string {
  return `${JSON.stringify({ milestone, round, status: 'looks-good-to-me', blockingIssues: [] }, null, 2)}\n`;
}

// A droid mission dir: state.json, features.json, a progress log, a few handoffs, a validator's
// synthesis and the tracked markdown files.
export function createBenchMission(dir: string, featureCount = 20): void {
  const features = makeFeatures(featureCount);
  createMission(dir, features, `mis_${Math.abs(hashCode(dir)).toString(16).padStart(8, '0')}`);
  appendProgress(dir, { type: 'mission_run_started' });
  for (const feature of features.filter((candidate) => candidate.status === 'completed').slice(0, 3)) {
    writeHandoff(dir, feature.id, feature.completedWorkerSessionId as string, 'success');
    appendProgress(dir, { type: 'worker_completed', featureId: feature.id, workerSessionId: feature.completedWorkerSessionId, successState: 'success' });
  }
  writeFile(join(dir, 'validation', 'm1', 'scrutiny', 'synthesis.json'), synthesisText('m1', 1));
  writeFile(join(dir, 'mission.md'), '# Mission\n\nBuild the thing, feature by feature.\n');
  writeFile(join(dir, 'AGENTS.md'), '# Agents\n\nWorkers follow the skill files.\n');
}

export function writeFile(file: string, text: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function hashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}
