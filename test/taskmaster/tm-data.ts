// tasks.json as Task Master 0.43.1 writes it (TASKMASTER.md §2-§4), and the operations of its
// commands as pure functions over the parsed file: what each legitimate command and each known
// corruption (§5) leaves on disk, byte for byte as its writer serializes it.
import { join } from 'node:path';
import { SCHEMAS_DIR } from '../../src/profiles/profile.js';

/** The built-in Task Master profile, loadable by path (`guard watch --config`). */
export const PROFILE_FILE = join(SCHEMAS_DIR, 'taskmaster', 'profile.json');

export type Id = number | string;
export interface Subtask {
  id: Id;
  title: string;
  description: string;
  details: string;
  status?: string;
  dependencies: Id[];
  parentTaskId?: Id;
  parentId?: string;
  [field: string]: unknown;
}
export interface Task {
  id: Id;
  title: string;
  description: string;
  details: string | null;
  testStrategy: string | null;
  status: string;
  dependencies: Id[];
  priority: string | null;
  subtasks?: Subtask[] | null;
  [field: string]: unknown;
}
export interface Tag {
  tasks: Task[];
  metadata: Record<string, unknown>;
}
export type Tagged = Record<string, Tag>;
export interface Flat {
  tasks: Task[];
  metadata?: Record<string, unknown>;
}

const clone = <T>(value: T): T => structuredClone(value);

// Both writers serialize with two-space indentation; neither adds a final newline.
export const text = (doc: unknown): string => JSON.stringify(doc, null, 2);

const legacyMeta = (description: string) => ({ created: '2026-11-30T09:12:44.120Z', updated: '2026-12-01T16:03:10.981Z', description });

function task(id: number, title: string, status: string, dependencies: Id[], subtasks?: Subtask[], extra: Record<string, unknown> = {}): Task {
  return {
    id,
    title,
    description: `${title}: what it delivers and why it is needed.`,
    details: `Implementation notes for "${title}". Use the existing module layout; keep the public API stable.`,
    testStrategy: `Unit tests for ${title.toLowerCase()}, then an end-to-end check.`,
    status,
    dependencies,
    priority: id % 3 === 0 ? 'high' : id % 3 === 1 ? 'medium' : 'low',
    ...(subtasks === undefined ? {} : { subtasks }),
    ...extra,
  };
}

function sub(parent: number, id: number, title: string, status: string | undefined, dependencies: Id[]): Subtask {
  return {
    id,
    title,
    description: `${title} (part of task ${parent}).`,
    details: `Steps for ${title.toLowerCase()}.`,
    ...(status === undefined ? {} : { status }),
    dependencies,
    parentTaskId: parent,
  };
}

// A project three weeks in: master with subtasks, mixed dependency types ("3.1", "2", 1), a feature
// tag, and an experiment tag copied from master long ago and since changed.
export function project(): Tagged {
  return {
    master: {
      tasks: [
        task(1, 'Set up repository and CI', 'done', [], [sub(1, 1, 'Initialize package', 'done', []), sub(1, 2, 'Add CI workflow', 'done', [1])]),
        task(2, 'Design the data model', 'done', [1]),
        task(3, 'Implement the storage layer', 'in-progress', [1, '2'], [sub(3, 1, 'Write the schema migration', 'done', []), sub(3, 2, 'Repository interface', 'in-progress', [1]), sub(3, 3, 'Connection pooling', undefined, ['3.2'])]),
        task(4, 'REST endpoints for tasks', 'pending', ['3.1', 2]),
        task(5, 'Authentication middleware', 'pending', [3], [], { complexity: 7, recommendedSubtasks: 4, expansionPrompt: 'Break down auth into token issue, verify, refresh, revoke.', complexityReasoning: 'Security-sensitive, several flows.' }),
        task(6, 'Deploy to staging', 'deferred', [4, 5]),
      ],
      metadata: legacyMeta('Tasks for master context'),
    },
    'feature-auth': {
      tasks: [
        task(1, 'OAuth provider integration', 'in-progress', [], [sub(1, 1, 'Register the app with the provider', 'done', []), sub(1, 2, 'Callback handler', 'pending', [1])]),
        task(2, 'Session storage', 'pending', [1]),
        task(3, 'Logout everywhere', 'pending', [2, '1.2']),
      ],
      metadata: legacyMeta('Auth work on branch feature/auth'),
    },
    experiment: {
      tasks: [task(1, 'Try an embedded database', 'review', []), task(2, 'Benchmark against the current store', 'pending', [1])],
      metadata: legacyMeta('Tasks for experiment context'),
    },
  };
}

// ---- the writers' normalizations ---------------------------------------------------------------

// tm-core writing `tag` (set-status, start, autopilot, MCP set_task_status): every id of the tag a
// string, `parentId: "undefined"` on subtasks, complexity fields copied into tasks, the tag's
// metadata replaced (TASKMASTER.md §3; issue #1583, #1708).
export function tmCore(doc: Tagged, tag: string): Tagged {
  const out = clone(doc);
  const target = out[tag] as Tag;
  target.tasks = target.tasks.map((t) => ({
    ...t,
    id: String(t.id),
    dependencies: t.dependencies.map(String),
    ...(t.subtasks === undefined || t.subtasks === null
      ? {}
      : { subtasks: t.subtasks.map((s) => ({ ...s, id: String(s.id), dependencies: s.dependencies.map(String), parentId: 'undefined' })) }),
    // from reports/task-complexity-report[_<tag>].json, for the tasks the report analysed
    ...(t.complexity !== undefined || Number(t.id) % 2 === 1 ? { complexity: t.complexity ?? 4, recommendedSubtasks: t.recommendedSubtasks ?? 3, expansionPrompt: t.expansionPrompt ?? `Break "${t.title}" into steps.`, complexityReasoning: t.complexityReasoning ?? 'Moderate.' } : {}),
    updatedAt: '2026-12-02T06:00:00.000Z',
  }));
  target.metadata = { version: '1.0.0', lastModified: '2026-12-02T06:00:00.000Z', taskCount: target.tasks.length, completedCount: target.tasks.filter((t) => t.status === 'done').length, tags: [tag] };
  return out;
}

// A legacy whole-snapshot write: ids back to numbers where they look like numbers, metadata.updated.
export function legacy(doc: Tagged, tag: string): Tagged {
  const out = clone(doc);
  const target = out[tag] as Tag;
  const num = (id: Id) => (typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id);
  target.tasks = target.tasks.map((t) => ({ ...t, id: num(t.id), ...(Array.isArray(t.subtasks) ? { subtasks: t.subtasks.map((s) => ({ ...s, id: num(s.id) })) } : {}) }));
  target.metadata = { ...legacyMeta(String(target.metadata.description ?? `Tasks for ${tag} context`)), updated: '2026-12-02T06:05:00.000Z' };
  return out;
}

// ---- legitimate operations (§4) ---------------------------------------------------------------

const tasksOf = (doc: Tagged, tag: string) => (doc[tag] as Tag).tasks;
const find = (doc: Tagged, tag: string, id: Id) => tasksOf(doc, tag).find((t) => String(t.id) === String(id)) as Task;

export function setStatus(doc: Tagged, tag: string, id: Id, status: string): Tagged {
  const out = clone(doc);
  const [taskId, subId] = String(id).split('.');
  const target = find(out, tag, taskId as string);
  if (subId === undefined) target.status = status;
  else {
    const subtask = (target.subtasks ?? []).find((s) => String(s.id) === subId) as Subtask;
    subtask.status = status;
    if (status !== 'done' && target.status === 'done') target.status = 'in-progress'; // a done parent reopens
  }
  return out;
}

// remove-task: the tasks (or subtasks, "P.S") go, and dependency entries equal to their ids go in EVERY tag.
export function removeTask(doc: Tagged, tag: string, ids: Id[]): Tagged {
  const out = clone(doc);
  const gone = new Set(ids.map(String));
  (out[tag] as Tag).tasks = tasksOf(out, tag).filter((t) => !gone.has(String(t.id)));
  for (const t of tasksOf(out, tag)) if (Array.isArray(t.subtasks)) t.subtasks = t.subtasks.filter((s) => !gone.has(`${t.id}.${s.id}`)); // "3.1": a subtask
  for (const section of Object.values(out)) {
    for (const t of section.tasks) {
      t.dependencies = t.dependencies.filter((dep) => !gone.has(String(dep)));
      for (const s of t.subtasks ?? []) s.dependencies = s.dependencies.filter((dep) => !gone.has(String(dep)));
    }
  }
  return out;
}

// Cross-tag move: tasks leave `from` and arrive in `to` stamped with `tag` and moveHistory; `to` is
// created with `metadata: {}` when missing.
export function moveToTag(doc: Tagged, from: string, to: string, ids: Id[]): Tagged {
  const out = clone(doc);
  const moving = new Set(ids.map(String));
  const moved = tasksOf(out, from).filter((t) => moving.has(String(t.id)));
  (out[from] as Tag).tasks = tasksOf(out, from).filter((t) => !moving.has(String(t.id)));
  out[to] ??= { tasks: [], metadata: {} };
  for (const t of moved) {
    (out[to] as Tag).tasks.push({ ...t, tag: to, metadata: { moveHistory: [{ fromTag: from, toTag: to, timestamp: '2026-12-02T06:10:00.000Z' }] } });
  }
  return out;
}

export function addTask(doc: Tagged, tag: string, title: string, dependencies: Id[] = []): Tagged {
  const out = clone(doc);
  const next = Math.max(0, ...tasksOf(out, tag).map((t) => Number(t.id))) + 1;
  tasksOf(out, tag).push(task(next, title, 'pending', dependencies));
  return out;
}

export function addTag(doc: Tagged, name: string, copyFrom?: string): Tagged {
  const out = clone(doc);
  out[name] = { tasks: copyFrom === undefined ? [] : clone(tasksOf(doc, copyFrom)), metadata: { ...legacyMeta(copyFrom === undefined ? `Tag ${name}` : `Copy of "${copyFrom}"`) } };
  return out;
}

export function renameTag(doc: Tagged, from: string, to: string): Tagged {
  return Object.fromEntries(Object.entries(clone(doc)).map(([name, tag]) => [name === from ? to : name, tag]));
}

export function deleteTag(doc: Tagged, name: string): Tagged {
  const out = clone(doc);
  delete out[name];
  return out;
}

// The `tags` listing command rewrites every tag's metadata.
export function listTags(doc: Tagged): Tagged {
  const out = clone(doc);
  for (const [name, tag] of Object.entries(out)) tag.metadata = { ...tag.metadata, created: tag.metadata.created ?? '2026-12-02T06:20:00.000Z', description: tag.metadata.description ?? `Tag ${name}` , updated: '2026-12-02T06:20:00.000Z' };
  return out;
}

// expand --force: the task's subtasks replaced; MCP expand_task with force leaves [] if the AI fails.
export function expand(doc: Tagged, tag: string, id: Id, titles: string[]): Tagged {
  const out = clone(doc);
  const target = find(out, tag, id);
  target.subtasks = titles.map((title, index) => sub(Number(target.id), index + 1, title, 'pending', index === 0 ? [] : [index]));
  return out;
}

export function removeSubtask(doc: Tagged, tag: string, id: Id, subId: Id): Tagged {
  const out = clone(doc);
  const target = find(out, tag, id);
  const left = (target.subtasks ?? []).filter((s) => String(s.id) !== String(subId));
  if (left.length === 0) delete target.subtasks; // the last one removes the key
  else target.subtasks = left;
  return out;
}

// AI update may set subtasks to null and rewrite details; update-task renumbers subtasks 1..N.
export function aiUpdate(doc: Tagged, tag: string, id: Id): Tagged {
  const out = clone(doc);
  const target = find(out, tag, id);
  target.details = `${target.details ?? ''}\n\nUpdated: use the new provider SDK.`;
  target.subtasks = null;
  return out;
}

// add-subtask --task-id: a task becomes a subtask of another (and disappears as a task).
export function taskToSubtask(doc: Tagged, tag: string, id: Id, parent: Id): Tagged {
  const out = clone(doc);
  const moving = find(out, tag, id);
  (out[tag] as Tag).tasks = tasksOf(out, tag).filter((t) => t !== moving);
  const target = find(out, tag, parent);
  const subs = (target.subtasks ??= []);
  subs.push({ id: subs.length + 1, title: moving.title, description: moving.description, details: moving.details ?? '', status: moving.status, dependencies: [], parentTaskId: Number(parent) });
  return out;
}

// move within a tag: a task renumbered to a free id.
export function renumber(doc: Tagged, tag: string, id: Id, to: number): Tagged {
  const out = clone(doc);
  find(out, tag, id).id = to;
  return out;
}

// parse-prd --force --tag: the whole tag replaced by new tasks.
export function parsePrd(doc: Tagged, tag: string, titles: string[]): Tagged {
  const out = clone(doc);
  out[tag] = { tasks: titles.map((title, index) => task(index + 1, title, 'pending', index === 0 ? [] : [index])), metadata: legacyMeta(`Tasks for ${tag} context`) };
  return out;
}

// The flat form (before 0.17), and what tm-core keeps writing there.
export function flatOf(doc: Tagged, tag = 'master'): Flat {
  return { tasks: clone(tasksOf(doc, tag)) };
}
export function tmCoreFlat(flat: Flat, change: (tasks: Task[]) => void): Flat {
  const out = clone(flat);
  change(out.tasks);
  out.tasks = out.tasks.map((t) => ({ ...t, id: String(t.id), dependencies: t.dependencies.map(String) }));
  out.metadata = { version: '1.0.0', lastModified: '2026-12-02T06:00:00.000Z', taskCount: out.tasks.length, completedCount: 0, tags: ['master'] };
  return out;
}
// A legacy command's read-time migration: the flat tasks under master.
export function migrate(flat: Flat): Tagged {
  return { master: { tasks: clone(flat.tasks), metadata: legacyMeta('Tasks for master context') } };
}

// ---- corruptions (§5) ---------------------------------------------------------------------------

// A: the tagged file rewritten flat with one tag's tasks (#1636: MCP fix_dependencies).
export function flatRewrite(doc: Tagged, tag: string): Flat {
  return { tasks: clone(tasksOf(doc, tag)), metadata: { created: '2026-12-02T06:30:00.000Z', updated: '2026-12-02T06:30:00.000Z', description: 'Tasks for master context' } };
}

// B: expand_task with a tag other than the current one makes that tag a copy of the current (#1637).
export function copyOver(doc: Tagged, target: string, current: string): Tagged {
  const out = clone(doc);
  (out[target] as Tag).tasks = clone(tasksOf(doc, current));
  return out;
}

// C: a misspelled --tag reads master (the fallback) and writes master + the operation under the typo.
export function misspelled(doc: Tagged, typo: string, operation: (copy: Tagged) => Tagged): Tagged {
  const applied = operation({ ...clone(doc), [typo]: { tasks: clone(tasksOf(doc, 'master')), metadata: {} } });
  return { ...clone(doc), [typo]: applied[typo] as Tag };
}
