// The Task Master profile (schemas/taskmaster/profile.json) judging tasks.json as 0.43.1 writes it:
// every legitimate operation of TASKMASTER.md §4 accepted, every known corruption of §5 rejected
// with the invariant of §6 it breaks. Pure: the judge on bytes, no watcher (watch.test.ts runs one).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeVersion, type ArtifactSpec, type Judgement } from '../../src/core/judge.js';
import type { MissionPath } from '../../src/core/types.js';
import { loadProfileFile, matchArtifact } from '../../src/profiles/profile.js';
import {
  addTag,
  addTask,
  aiUpdate,
  copyOver,
  deleteTag,
  expand,
  flatOf,
  flatRewrite,
  legacy,
  listTags,
  migrate,
  misspelled,
  moveToTag,
  parsePrd,
  PROFILE_FILE,
  project,
  removeSubtask,
  removeTask,
  renameTag,
  renumber,
  setStatus,
  taskToSubtask,
  text,
  tmCore,
  tmCoreFlat,
  type Tagged,
} from './tm-data.js';

// Loaded the way a user's config is (every check a guard.config.json gets), so it stays loadable by path.
const profile = loadProfileFile(PROFILE_FILE, 'Task Master profile');
const spec = (path: string) => matchArtifact(profile, path as MissionPath) as ArtifactSpec;
const TASKS = spec('tasks/tasks.json');

function judge(before: unknown, after: unknown | string, artifact = TASKS): Judgement {
  const previous = before === undefined ? undefined : { bytes: Buffer.from(typeof before === 'string' ? before : text(before)), doc: typeof before === 'string' ? JSON.parse(before) : before };
  return judgeVersion(artifact, previous, Buffer.from(typeof after === 'string' ? after : text(after)));
}

function accepted(before: unknown, after: unknown): Judgement {
  const verdict = judge(before, after);
  assert.equal(verdict.kind, 'accepted', verdict.kind === 'rejected' ? JSON.stringify(verdict.issues, null, 2) : '');
  return verdict;
}

function rejected(before: unknown, after: unknown, code: string, message?: RegExp): void {
  const verdict = judge(before, after);
  assert.equal(verdict.kind, 'rejected', 'the write was accepted');
  if (verdict.kind !== 'rejected') return;
  const issue = verdict.issues.find((candidate) => candidate.code === code);
  assert.ok(issue !== undefined, `a ${code} issue in ${JSON.stringify(verdict.issues)}`);
  if (message !== undefined) assert.match(issue.message, message);
}

describe('the Task Master profile', () => {
  test('matches the state files and never a writer temp or lock file', () => {
    assert.equal(spec('tasks/tasks.json').role, 'scheduling');
    assert.equal(spec('state.json').role, 'finalization');
    assert.equal(spec('config.json').role, 'finalization');
    assert.equal(spec('reports/task-complexity-report_feature-auth.json').role, 'tracked');
    assert.equal(spec('tasks/task_003_feature-auth.md').role, 'tracked');
    for (const noise of ['tasks/tasks.json.tmp.4242', 'tasks/.tasks.json.tmp', 'tasks/tasks.json.lock', 'tasks/tasks.json.lock/lock', 'reports/task-complexity-report.json.tmp.77', 'reports/task-complexity-report.json.lock', 'docs/prd.txt', 'templates/example_prd.txt']) {
      assert.equal(matchArtifact(profile, noise as MissionPath), undefined, noise);
    }
  });
});

describe('legitimate operations (TASKMASTER.md §4) are accepted', () => {
  const base = project();
  const cases: Array<[string, () => [Tagged | object, object]]> = [
    ['set-status done -> pending (legacy writer)', () => [base, legacy(setStatus(base, 'master', 2, 'pending'), 'master')]],
    ['set-status through tm-core: ids become strings, parentId "undefined", metadata replaced, complexity copied', () => [base, tmCore(setStatus(base, 'master', 4, 'in-progress'), 'master')]],
    ['the next legacy write flips tm-core string ids back to numbers', () => {
      const afterCore = tmCore(setStatus(base, 'master', 4, 'in-progress'), 'master');
      return [afterCore, legacy(addTask(afterCore, 'master', 'Rate limiting', ['4']), 'master')];
    }],
    ['tm-core on another tag while master keeps numbers', () => [base, tmCore(setStatus(base, 'feature-auth', '1.2', 'done'), 'feature-auth')]],
    ['a subtask reopened moves its done parent back to in-progress', () => [base, setStatus(base, 'master', '1.2', 'pending')]],
    ['an unknown status from parse-prd (a warning, not a rejection)', () => [base, setStatus(base, 'master', 6, 'todo-later')]],
    ['remove-task prunes the dependency in every tag', () => [base, removeTask(base, 'master', [2])]],
    ['remove-task of two ids prunes three tags', () => [base, removeTask(base, 'master', [1, 2])]],
    ['remove-task of a subtask "1.2" prunes that reference in every tag', () => [base, removeTask(base, 'master', ['1.2'])]],
    ['add-subtask --task-id turns a task into a subtask', () => [base, taskToSubtask(base, 'master', 6, 4)]],
    ['move renumbers a task inside its tag', () => [base, renumber(base, 'master', 6, 9)]],
    ['cross-tag move into an existing tag', () => [base, moveToTag(base, 'master', 'feature-auth', [6])]],
    ['cross-tag move of two tasks with their dependencies', () => [base, moveToTag(base, 'master', 'experiment', [4, 6])]],
    ['cross-tag move creates the target tag with metadata {}', () => [base, moveToTag(base, 'master', 'backlog', [6])]],
    ['the tags command rewrites every tag\'s metadata', () => [base, listTags(base)]],
    ['add-tag (empty)', () => [base, addTag(base, 'hotfix')]],
    ['add-tag --copy-from master', () => [base, addTag(base, 'release-1', 'master')]],
    ['copy-tag of a tag', () => [base, addTag(base, 'experiment-2', 'experiment')]],
    ['rename-tag', () => [base, renameTag(base, 'experiment', 'spike')]],
    ['delete-tag', () => [base, deleteTag(base, 'experiment')]],
    ['parse-prd --tag=new (new content)', () => [base, parsePrd(base, 'payments', ['Payment provider research', 'Checkout flow', 'Refunds'])]],
    ['parse-prd --force replaces a whole tag', () => [base, parsePrd(base, 'experiment', ['Try SQLite', 'Try DuckDB'])]],
    ['expand --force replaces subtasks', () => [base, expand(base, 'master', 5, ['Issue tokens', 'Verify tokens', 'Refresh', 'Revoke'])]],
    ['MCP expand_task with force leaves [] when its AI call fails', () => [base, expand(base, 'master', 3, [])]],
    ['remove-subtask of the last one removes the subtasks key', () => [base, removeSubtask(removeSubtask(base, 'master', 1, 1), 'master', 1, 2)]],
    ['AI update sets subtasks to null', () => [base, aiUpdate(base, 'feature-auth', 1)]],
    ['a tag emptied by remove-task equals another empty tag', () => {
      const withEmpty = addTag(base, 'hotfix');
      return [withEmpty, removeTask(withEmpty, 'experiment', [1, 2])];
    }],
  ];
  for (const [name, make] of cases) {
    test(name, () => {
      const [before, after] = make();
      accepted(before, after);
    });
  }

  test('an unknown status is accepted with a shape-warning', () => {
    const verdict = accepted(base, setStatus(base, 'master', 6, 'todo-later'));
    assert.ok(verdict.kind === 'accepted' && verdict.warnings?.some((warning) => warning.code === 'schema' && warning.pointer === '/master/tasks/5/status'), JSON.stringify(verdict));
  });

  test('a copied tag edited back to its source is no corruption (a copy needs several replaced tasks)', () => {
    const copied = addTag(base, 'release-1', 'master');
    const edited = setStatus(copied, 'release-1', 4, 'done');
    accepted(copied, edited);
    accepted(edited, setStatus(edited, 'release-1', 4, 'pending'));
  });

  test('old duplicate ids are tolerated, and a copy keeps its source\'s', () => {
    const dup = structuredClone(base);
    dup.master?.tasks.push({ ...structuredClone(dup.master.tasks[5]!), title: 'Deploy to staging (again)' });
    accepted(dup, setStatus(dup, 'master', 2, 'review'));
    accepted(dup, addTag(dup, 'copy', 'master'));
  });

  test('the legacy writer\'s {} where there was no file, then its first tasks', () => {
    accepted(undefined, {});
    accepted({}, parsePrd({} as Tagged, 'master', ['Set up repository', 'Design the data model']));
  });

  test('flat -> tagged: the pure migration, and a migration with the command\'s own change', () => {
    const flat = flatOf(base);
    accepted(flat, migrate(flat));
    accepted(flat, setStatus(migrate(flat), 'master', 4, 'in-progress'));
    accepted(flat, addTag(migrate(flat), 'feature-auth'));
  });

  test('tm-core keeps a flat file flat and adds a root metadata', () => {
    const flat = flatOf(base);
    accepted(flat, tmCoreFlat(flat, (tasks) => void (tasks[3]!.status = 'done')));
  });

  test('state.json: currentTag naming a missing tag, both writers\' shapes; config.json as written', () => {
    const state = spec('state.json');
    const legacyState = { currentTag: 'no-such-tag', lastSwitched: '2026-12-02T06:00:00.000Z', branchTagMapping: {}, migrationNoticeShown: true };
    const coreState = { currentTag: 'master', lastUpdated: '2026-12-02T06:00:00.000Z', metadata: {} };
    assert.equal(judge(undefined, legacyState, state).kind, 'accepted');
    assert.equal(judge(legacyState, coreState, state).kind, 'accepted');
    const config = { models: { main: { provider: 'anthropic', modelId: 'claude-sonnet-4', maxTokens: 64000, temperature: 0.2 } }, global: { logLevel: 'info', defaultTag: 'master', projectName: 'demo' } };
    assert.equal(judge(undefined, config, spec('config.json')).kind, 'accepted');
  });
});

describe('known corruptions (TASKMASTER.md §5) are rejected', () => {
  const base = project();

  test('A: a tagged file rewritten flat (#1636 fix_dependencies)', () => {
    rejected(base, flatRewrite(base, 'master'), 'keyed-shape', /flat form, losing its tags "master", "feature-auth", "experiment"/);
    rejected(base, flatRewrite(base, 'feature-auth'), 'keyed-shape');
    rejected({ master: base.master }, flatRewrite(base, 'master'), 'keyed-shape');
  });

  test('B: an existing tag overwritten by a copy of the current tag (#1637 expand_task)', () => {
    rejected(base, copyOver(base, 'feature-auth', 'master'), 'keyed-no-copy', /"feature-auth" became an exact copy of tag "master"/);
    rejected(base, tmCore(copyOver(base, 'experiment', 'master'), 'experiment'), 'keyed-no-copy');
    rejected(base, copyOver(base, 'master', 'feature-auth'), 'keyed-no-copy');
  });

  test('C: a misspelled --tag creates a near-copy of master with the operation applied', () => {
    rejected(base, misspelled(base, 'mastr', (doc) => setStatus(doc, 'mastr', 4, 'done')), 'keyed-new-section', /new tag "mastr" is a near-copy of tag "master"/);
    rejected(base, misspelled(base, 'feature-uath', (doc) => addTask(doc, 'feature-uath', 'Password reset')), 'keyed-new-section');
    rejected(base, misspelled(base, 'stale', (doc) => expand(doc, 'stale', 5, ['Issue tokens', 'Verify tokens'])), 'keyed-new-section');
    rejected(base, tmCore(misspelled(base, 'mastr', (doc) => setStatus(doc, 'mastr', 4, 'done')), 'mastr'), 'keyed-new-section');
  });

  test('D: a stale whole-file write reverts another tag\'s change (#1399, #1567)', () => {
    const current = setStatus(base, 'feature-auth', 2, 'done'); // another process's write, accepted
    rejected(current, addTask(base, 'master', 'Audit log'), 'keyed-untouched', /tags "feature-auth", "master" all changed in one write|tags "master", "feature-auth" all changed/);
  });

  test('D: a stale whole-file write drops a tag added since its read', () => {
    const current = parsePrd(base, 'payments', ['Payment provider research', 'Checkout flow']);
    rejected(current, setStatus(base, 'master', 4, 'in-progress'), 'keyed-untouched', /changed in the write that removed "payments"/);
  });

  test('D: a stale write reverting a tag-set change and a tag at once', () => {
    const current = setStatus(renameTag(base, 'experiment', 'spike'), 'feature-auth', 1, 'done');
    rejected(current, base, 'keyed-untouched', /"feature-auth" changed in the write that added "experiment" and removed "spike"/);
  });

  test('reserved tag names: tasks and metadata', () => {
    rejected(base, addTag(base, 'tasks'), 'keyed-set', /may not be named "tasks"/);
    rejected(base, addTag(base, 'metadata'), 'keyed-set', /may not be named "metadata"/);
  });

  test('master never disappears; one tag added, removed or renamed per write', () => {
    rejected(base, deleteTag(base, 'master'), 'keyed-set', /tag "master" disappeared/);
    rejected(base, renameTag(base, 'master', 'main'), 'keyed-set', /tag "master" disappeared/);
    rejected(base, addTag(addTag(base, 'a'), 'b'), 'keyed-set', /added "a", "b"/);
    rejected(base, deleteTag(deleteTag(base, 'experiment'), 'feature-auth'), 'keyed-set');
    rejected(base, setStatus(renameTag(base, 'experiment', 'spike'), 'spike', 1, 'done'), 'keyed-set');
  });

  test('new duplicate task ids inside a tag', () => {
    const dup = structuredClone(base);
    dup.master?.tasks.push({ ...structuredClone(dup.master.tasks[0]!), id: '3', title: 'Another task 3' });
    rejected(base, dup, 'keyed-unique', /tag "master" holds id 3 2 times/);
  });

  test('types: a tag without a tasks array, a task without an integer-like id', () => {
    rejected(base, { ...base, experiment: { metadata: {} } }, 'schema');
    const bad = structuredClone(base);
    (bad.master?.tasks[0] as { id: unknown }).id = 'one';
    rejected(base, bad, 'schema');
    rejected(base, { ...base, master: { tasks: [null], metadata: {} } }, 'schema');
  });

  test('{} over an existing file, and an unparsable one', () => {
    rejected(base, {}, 'keyed-shape', /emptied to \{\}/);
    rejected(flatOf(base), {}, 'keyed-shape');
    rejected(base, '{"master": {"tasks": [', 'parse');
  });

  test('state.json that is not an object, or a currentTag that is not a string', () => {
    assert.equal(judge({ currentTag: 'master' }, '[]', spec('state.json')).kind, 'rejected');
    assert.equal(judge({ currentTag: 'master' }, { currentTag: 7 }, spec('state.json')).kind, 'rejected');
  });
});
