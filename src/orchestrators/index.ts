// The built-in orchestrator adapters, and which one a dir belongs to by its files.
import type { FrozenToolGate, Orchestrator, OrchestratorName } from './adapter.js';
import { droid } from './droid/index.js';
import { generic } from './generic.js';
import { taskmaster } from './taskmaster/index.js';

export type { FrozenToolGate, ItemGroup, Orchestrator, OrchestratorName, PausePlan, PauseWrite, SummaryReader, Vocabulary } from './adapter.js';
export { ORCHESTRATOR_NAMES } from './adapter.js';

export const ORCHESTRATORS: Readonly<Record<OrchestratorName, Orchestrator>> = { droid, taskmaster, generic };

/**
 * Detection order: Task Master before droid, because `.taskmaster/` holds a `state.json` too
 * (droid's marker); generic only by an adopted config (profiles/profile.ts).
 */
export const DETECTION_ORDER: readonly Orchestrator[] = [taskmaster, droid];

export function orchestratorNamed(name: OrchestratorName): Orchestrator {
  return ORCHESTRATORS[name];
}

// The built-in orchestrator whose mission `dir` is or holds, and the mission dir it stands for.
export function detectMission(dir: string): { orchestrator: Orchestrator; missionDir: string } | undefined {
  for (const orchestrator of DETECTION_ORDER) {
    const missionDir = orchestrator.missionDirOf(dir);
    if (missionDir !== undefined) return { orchestrator, missionDir };
  }
  return undefined;
}

// The orchestrators whose tools the hook gates while a mission is frozen.
export function toolGates(): Array<{ orchestrator: Orchestrator; gate: FrozenToolGate }> {
  return Object.values(ORCHESTRATORS).flatMap((orchestrator) => (orchestrator.pause.gate === undefined ? [] : [{ orchestrator, gate: orchestrator.pause.gate }]));
}

// The built-in orchestrator `dir` itself is a mission dir of (not one it merely holds).
export function orchestratorAt(dir: string): Orchestrator | undefined {
  return DETECTION_ORDER.find((orchestrator) => orchestrator.missionDirOf(dir) === dir);
}
