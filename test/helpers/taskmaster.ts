// Task Master projects for tests: a project dir with `.taskmaster/` holding a tagged tasks.json,
// state.json and config.json shaped as 0.43.1 writes them (TASKMASTER.md §1-2).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TmTask {
  id: number | string;
  title: string;
  status: string;
  dependencies?: Array<number | string>;
  subtasks?: unknown[];
}

// A task as the legacy writer stores it.
export function tmTask(id: number, title: string, status: string, dependencies: number[] = []): TmTask & Record<string, unknown> {
  return { id, title, description: `${title}.`, details: '', testStrategy: '', status, dependencies, priority: 'medium', subtasks: [] };
}

/** Two tags: master with a done and a pending task, feature-x with one in progress. */
export function twoTags(): Record<string, { tasks: Array<Record<string, unknown>>; metadata: Record<string, unknown> }> {
  return {
    master: { tasks: [tmTask(1, 'Set up the repo', 'done'), tmTask(2, 'Build the API', 'pending', [1])], metadata: { created: '2026-01-01T00:00:00.000Z', updated: '2026-01-01T00:00:00.000Z', description: 'Tasks for master context' } },
    'feature-x': { tasks: [tmTask(1, 'Explore', 'in-progress')], metadata: { created: '2026-01-01T00:00:00.000Z', updated: '2026-01-01T00:00:00.000Z', description: 'Tasks for feature-x context' } },
  };
}

export function tasksText(doc: unknown): string {
  return JSON.stringify(doc, null, 2);
}

// PROJECT/.taskmaster with tasks, state and config; returns the `.taskmaster` dir.
export function createTaskMasterProject(project: string, tasks: unknown = twoTags()): string {
  const dir = join(project, '.taskmaster');
  mkdirSync(join(dir, 'tasks'), { recursive: true });
  writeFileSync(join(dir, 'tasks', 'tasks.json'), tasksText(tasks));
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ currentTag: 'master', lastSwitched: '2026-01-01T00:00:00.000Z', branchTagMapping: {}, migrationNoticeShown: true }, null, 2));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ models: {}, global: { logLevel: 'info', defaultTag: 'master' } }, null, 2));
  return dir;
}
