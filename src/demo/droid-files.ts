// Writes mission files the way droid does (DROID.md §2): plain truncate-and-write for
// features.json and state.json, appends for the progress log, write-once handoffs, temp + fsync +
// rename for LLM tool writes. The demo's simulated orchestrator and the tests both use it.
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type FeatureStatus = 'pending' | 'in_progress' | 'completed' | 'cancelled';

/** A droid feature; extra keys are allowed, as in droid. */
export interface Feature {
  id: string;
  description: string;
  status: FeatureStatus;
  milestone?: string;
  skillName?: string;
  fulfills?: string[];
  workerSessionIds?: string[];
  currentWorkerSessionId?: string | null;
  completedWorkerSessionId?: string | null;
  [extra: string]: unknown;
}

export function featureText(features: Feature[]): string {
  return `${JSON.stringify({ features }, null, 2)}\n`;
}

// The runner's way: truncate, then write (optionally in two chunks with a pause between).
export async function writeFeaturesLikeRunner(missionDir: string, features: Feature[], chunkPauseMs = 0): Promise<void> {
  await writeInPlace(join(missionDir, 'features.json'), featureText(features), chunkPauseMs);
}

export async function writeInPlace(file: string, text: string, chunkPauseMs = 0): Promise<void> {
  const fd = openSync(file, 'w');
  try {
    if (chunkPauseMs <= 0) writeSync(fd, text);
    else {
      const half = Math.floor(text.length / 2);
      writeSync(fd, text.slice(0, half));
      await new Promise((resolve) => setTimeout(resolve, chunkPauseMs));
      writeSync(fd, text.slice(half));
    }
  } finally {
    closeSync(fd);
  }
}

// The LLM tools' way: `.<basename>.<12 hex>.tmp` sibling, fsync, rename.
export function writeLikeTool(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

export interface MissionState {
  missionId: string;
  state: string;
  workingDirectory: string;
  createdAt: string;
  updatedAt: string;
  [extra: string]: unknown;
}

export function writeState(missionDir: string, state: MissionState): void {
  writeFileSync(join(missionDir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

export function appendProgress(missionDir: string, line: Record<string, unknown>): void {
  appendFileSync(join(missionDir, 'progress_log.jsonl'), `${JSON.stringify({ timestamp: new Date().toISOString(), ...line })}\n`);
}

// EndFeatureRun's handoff: written once, skipped when it exists.
export function writeHandoff(missionDir: string, featureId: string, workerSessionId: string, successState: 'success' | 'partial' | 'failure', milestone = 'm1'): string {
  const timestamp = new Date().toISOString();
  const name = `${timestamp.replace(/[:.]/g, '-')}__${featureId}__${workerSessionId}.json`;
  const file = join(missionDir, 'handoffs', name);
  mkdirSync(dirname(file), { recursive: true });
  if (!existsSync(file)) {
    const handoff = {
      timestamp,
      workerSessionId,
      featureId,
      milestone,
      successState,
      returnToOrchestrator: successState !== 'success',
      handoff: {
        salientSummary: `worked on ${featureId}`,
        whatWasImplemented: `${featureId} implemented`,
        whatWasLeftUndone: '',
        verification: { commandsRun: ['npm test'] },
        tests: 'passing',
        discoveredIssues: [],
      },
    };
    writeFileSync(file, `${JSON.stringify(handoff, null, 2)}\n`);
  }
  return `handoffs/${name}`;
}

// A fresh mission dir as droid leaves it once the plan is accepted.
export function createMission(missionDir: string, features: Feature[], missionId = 'mis_0a1b2c3d'): MissionState {
  mkdirSync(missionDir, { recursive: true });
  const now = new Date().toISOString();
  const state: MissionState = { missionId, state: 'running', workingDirectory: '/work/project', createdAt: now, updatedAt: now };
  writeState(missionDir, state);
  writeFileSync(join(missionDir, 'working_directory.txt'), '/work/project\n');
  writeFileSync(join(missionDir, 'features.json'), featureText(features));
  appendProgress(missionDir, { type: 'mission_accepted' });
  return state;
}
