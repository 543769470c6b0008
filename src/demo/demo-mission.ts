// The built-in simulated mission: a small plan as droid leaves it once the user accepts it.
import { join } from 'node:path';
import { appendProgress, createMission, type Feature } from './droid-files.js';

// Four features of milestone m1, all pending: the simulator completes them one worker at a time.
export function demoFeatures(): Feature[] {
  return [
    { id: 'f1-signup', description: 'Sign-up form with email verification', status: 'pending', milestone: 'm1', skillName: 'fullstack-worker', fulfills: ['VAL-AUTH-001'] },
    { id: 'f2-login', description: 'Login with a session cookie', status: 'pending', milestone: 'm1', skillName: 'fullstack-worker', fulfills: ['VAL-AUTH-002'] },
    { id: 'f3-logout', description: 'Logout clears the session', status: 'pending', milestone: 'm1', skillName: 'fullstack-worker', fulfills: ['VAL-AUTH-003'] },
    { id: 'f4-password-reset', description: 'Password reset by email link', status: 'pending', milestone: 'm1', skillName: 'fullstack-worker', fulfills: ['VAL-AUTH-004'] },
  ];
}

// Create the demo mission dir (droid's files, plan accepted, run started); returns features.json.
export function createDemoMission(missionDir: string): string {
  createMission(missionDir, demoFeatures(), 'mis_d3m0c0de');
  appendProgress(missionDir, { type: 'mission_run_started' });
  return join(missionDir, 'features.json');
}
