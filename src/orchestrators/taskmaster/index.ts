// Task Master (npm task-master-ai; TASKMASTER.md): the mission dir is a project's `.taskmaster/`
// (or, before 0.16, the project itself with `tasks/tasks.json`). It has no scheduler loop to pause:
// while frozen the hook denies its MCP tools and its CLI; the sentinel marks the freeze.
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Orchestrator } from '../adapter.js';
import { taskMasterGroups } from './summary.js';
import { TASKMASTER_GATE } from './tools.js';

/** The folder in a project that holds Task Master's state. */
export const TASKMASTER_DIR = '.taskmaster';
const TASKS_FILE = 'tasks/tasks.json';

/**
 * Its writers' temp and lock files (TASKMASTER.md §3): legacy `writeJSON`'s `tasks.json.tmp.<pid>`
 * and lock file `tasks.json.lock`, tm-core's steno temp `.tasks.json.tmp` and proper-lockfile's
 * lock directory `tasks.json.lock/` (and anything in it).
 */
export function isTaskMasterTransient(path: string): boolean {
  const parts = path.split('/');
  const name = parts.at(-1) ?? '';
  if (parts.slice(0, -1).some((part) => part.endsWith('.lock'))) return true;
  return /^[^/]+\.tmp\.\d+$/.test(name) || /^\.[^/]+\.tmp$/.test(name) || /^[^/]+\.json\.lock$/.test(name);
}

// `.taskmaster/` itself, a project holding one, or a legacy project (tasks/tasks.json, no droid files).
function missionDirOf(dir: string): string | undefined {
  if (basename(dir) === TASKMASTER_DIR && isDirectory(dir)) return dir;
  const inside = join(dir, TASKMASTER_DIR);
  if (isDirectory(inside)) return inside;
  if (existsSync(join(dir, TASKS_FILE)) && !existsSync(join(dir, 'features.json'))) return dir;
  return undefined;
}

export const taskmaster: Orchestrator = {
  name: 'taskmaster',
  title: 'Task Master',
  profileFile: 'taskmaster/profile.json',
  markers: [TASKS_FILE, 'state.json', 'config.json'],
  missionDirOf,
  isTransient: isTaskMasterTransient,
  evidenceFacts: () => [],
  vocabulary: { item: 'task', items: 'tasks', group: { one: 'tag', many: 'tags' } },
  summary: { path: TASKS_FILE, read: taskMasterGroups, finished: ['done', 'completed', 'cancelled'] },
  pause: {
    writes: [],
    gate: TASKMASTER_GATE,
    summary: "the hook (guard init --claude) denies Task Master's MCP tools and task-master CLI calls",
  },
  isUnpaused: () => false,
};

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
