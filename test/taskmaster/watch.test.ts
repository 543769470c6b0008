// Task Master under a running `guard watch --config schemas/taskmaster/profile.json` (the profile
// given by path, so nothing here depends on auto-detection). Writes come from a child process
// writing the way 0.43.1 does (test/fixtures/taskmaster-writer.mjs): legacy writeJSON (lock file,
// tasks.json.tmp.<pid>, rename), tm-core (lock dir, .tasks.json.tmp, rename), parse-prd in place.
// Legitimate operations pass with no freeze and no journal entry for a temp or lock file; each
// corruption family of TASKMASTER.md §5 is rejected, restored to the exact last good bytes, frozen.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  acceptedDigest,
  failOnLeakedChildren,
  FIXTURES,
  journal,
  kinds,
  sandbox,
  sha,
  spawnNode,
  startWatch,
  stopTestGuard,
  until,
  type GuardProcess,
  type Sandbox,
} from '../helpers/index.js';
import {
  addTag,
  addTask,
  copyOver,
  deleteTag,
  flatOf,
  flatRewrite,
  listTags,
  migrate,
  misspelled,
  moveToTag,
  parsePrd,
  PROFILE_FILE,
  project,
  removeTask,
  renameTag,
  setStatus,
  text,
  tmCore,
  tmCoreFlat,
  type Tagged,
} from './tm-data.js';

type Mode = 'legacy' | 'tmcore' | 'inplace' | 'legacy-crash' | 'tmcore-crash';

let box: Sandbox;
let guard: GuardProcess | undefined;
let writes = 0;
let lastWriterPid = 0;
const tasksFile = () => join(box.mission, 'tasks', 'tasks.json');

// box.mission plays the project's .taskmaster/ dir.
function seed(tasks: unknown | undefined): void {
  mkdirSync(join(box.mission, 'tasks'), { recursive: true });
  mkdirSync(join(box.mission, 'reports'), { recursive: true });
  writeFileSync(join(box.mission, 'config.json'), text({ models: { main: { provider: 'anthropic', modelId: 'claude-sonnet-4', maxTokens: 64000, temperature: 0.2 } }, global: { logLevel: 'info', defaultTag: 'master', projectName: 'demo' } }));
  writeFileSync(join(box.mission, 'state.json'), text({ currentTag: 'master', lastSwitched: '2026-11-30T09:12:44.120Z', branchTagMapping: {}, migrationNoticeShown: true }));
  if (tasks !== undefined) writeFileSync(tasksFile(), text(tasks));
}

async function tmWrite(mode: Mode, doc: unknown, file = tasksFile()): Promise<string> {
  const ops = join(box.dir, `tm-writes-${writes++}.json`);
  const bytes = text(doc);
  writeFileSync(ops, JSON.stringify([{ mode, file, text: bytes }]));
  const writer = spawnNode(box, [join(FIXTURES, 'taskmaster-writer.mjs'), ops]);
  lastWriterPid = writer.process.pid ?? 0;
  const result = await writer.done;
  assert.equal(result.code, 0, `taskmaster-writer: ${result.stderr}`);
  return bytes;
}

const watchTaskMaster = () => startWatch(box, ['--config', PROFILE_FILE]);

beforeEach(() => {
  box = sandbox();
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const ARTIFACT = /^(tasks\/tasks\.json|state\.json|config\.json|reports\/[^/]+\.json)$/;

function assertNoFreezeAndOnlyArtifacts(): void {
  assert.deepEqual(kinds(box, 'write-rejected'), []);
  assert.equal(existsSync(join(box.mission, '.guard-frozen')), false, 'no freeze');
  const paths = journal(box).flatMap((entry) => ('path' in entry && typeof entry.path === 'string' ? [entry.path] : []));
  for (const path of paths) assert.match(path, ARTIFACT, `the journal names only artifacts, never a temp or lock file (${path})`);
}

describe('Task Master legitimate operations under a running guard', () => {
  test('a day of commands through all three writers is accepted with no freeze', async () => {
    seed(project());
    guard = await watchTaskMaster();
    const started = kinds(box, 'guard-started')[0];
    assert.equal(started?.kind === 'guard-started' && started.profile, 'taskmaster');
    let doc: Tagged = project();
    const step = async (mode: Mode, next: Tagged) => {
      const bytes = await tmWrite(mode, next);
      await acceptedDigest(box, 'tasks/tasks.json', bytes);
      doc = next;
    };
    await step('tmcore', tmCore(setStatus(doc, 'master', 4, 'in-progress'), 'master')); // set-status: ids become strings
    await step('legacy', addTask(doc, 'master', 'Rate limiting', ['4'])); // whole snapshot again
    await step('tmcore', tmCore(setStatus(doc, 'master', 2, 'pending'), 'master')); // done -> pending
    await step('legacy', removeTask(doc, 'master', [2])); // prunes dependency 2 in feature-auth too
    await step('legacy', moveToTag(doc, 'master', 'backlog', [6])); // cross-tag move into a new tag
    await step('legacy', addTag(doc, 'release-1', 'master'));
    await step('tmcore', tmCore(setStatus(doc, 'release-1', 1, 'review'), 'release-1'));
    await step('legacy', renameTag(doc, 'experiment', 'spike'));
    await step('legacy', deleteTag(doc, 'spike'));
    await step('inplace', parsePrd(doc, 'payments', ['Payment provider research', 'Checkout flow', 'Refunds'])); // parse-prd --tag=payments
    await step('legacy', listTags(doc)); // the tags command rewrites all metadata
    const state = await tmWrite('inplace', { currentTag: 'no-such-tag', lastUpdated: '2026-12-02T06:00:00.000Z', metadata: {} }, join(box.mission, 'state.json'));
    await acceptedDigest(box, 'state.json', state);
    const report = await tmWrite('legacy', { meta: { generatedAt: '2026-12-02T06:30:00.000Z', tasksAnalyzed: 3 }, complexityAnalysis: [{ taskId: 1, complexityScore: 5 }] }, join(box.mission, 'reports', 'task-complexity-report.json'));
    await until(() => journal(box).some((entry) => 'path' in entry && entry.path === 'reports/task-complexity-report.json' && 'digest' in entry && entry.digest === sha(report)), 'the report tracked');
    assertNoFreezeAndOnlyArtifacts();
  });

  test('a crashed writer\'s lock file, lock dir and half-written temp files are no artifacts', async () => {
    seed(project());
    guard = await watchTaskMaster();
    const lock = `${tasksFile()}.lock`;
    await tmWrite('legacy-crash', addTask(project(), 'master', 'Never finished'));
    assert.ok(existsSync(lock) && existsSync(join(box.mission, 'tasks', `tasks.json.tmp.${lastWriterPid}`)), 'the legacy leftovers are there');
    rmSync(lock); // Task Master's next writer clears a stale lock
    await tmWrite('tmcore-crash', setStatus(project(), 'master', 4, 'done'));
    assert.ok(existsSync(lock) && existsSync(join(box.mission, 'tasks', '.tasks.json.tmp')), 'the tm-core leftovers are there');
    rmSync(lock, { recursive: true });
    const next = await tmWrite('legacy', setStatus(project(), 'master', 4, 'in-progress'));
    await acceptedDigest(box, 'tasks/tasks.json', next);
    assertNoFreezeAndOnlyArtifacts();
  });

  test('a flat file: the legacy migration to {master}', async () => {
    const flat = flatOf(project());
    seed(flat);
    guard = await watchTaskMaster();
    const migrated = await tmWrite('legacy', migrate(flat));
    await acceptedDigest(box, 'tasks/tasks.json', migrated);
    assertNoFreezeAndOnlyArtifacts();
  });

  test('tm-core keeps a flat file flat, adding a root metadata', async () => {
    const flat = flatOf(project());
    seed(flat);
    guard = await watchTaskMaster();
    const kept = await tmWrite('tmcore', tmCoreFlat(flat, (tasks) => void (tasks[3]!.status = 'done')));
    await acceptedDigest(box, 'tasks/tasks.json', kept);
    assertNoFreezeAndOnlyArtifacts();
  });

  test('no tasks.json yet: the legacy writer creates {} and then writes the first tag', async () => {
    seed(undefined);
    guard = await watchTaskMaster();
    await acceptedDigest(box, 'tasks/tasks.json', await tmWrite('inplace', {})); // writeJSON's first step, seen alone
    const first = await tmWrite('legacy', parsePrd({} as Tagged, 'master', ['Set up repository', 'Design the data model']));
    await acceptedDigest(box, 'tasks/tasks.json', first);
    assertNoFreezeAndOnlyArtifacts();
  });
});

describe('Task Master corruptions under a running guard: rejected, restored, frozen', () => {
  const base = project();
  const families: Array<{ name: string; before?: Array<[Mode, Tagged]>; bad: (current: Tagged) => unknown; mode: Mode; code: string }> = [
    { name: 'A: the tagged file rewritten flat (MCP fix_dependencies, #1636)', bad: (current) => flatRewrite(current, 'master'), mode: 'legacy', code: 'keyed-shape' },
    { name: 'B: a tag overwritten by a copy of the current tag (expand_task, #1637)', bad: (current) => copyOver(current, 'feature-auth', 'master'), mode: 'legacy', code: 'keyed-no-copy' },
    { name: 'C: a misspelled --tag creating a near-copy of master', bad: (current) => misspelled(current, 'mastr', (doc) => setStatus(doc, 'mastr', 4, 'done')), mode: 'tmcore', code: 'keyed-new-section' },
    {
      name: 'D: a stale snapshot reverting another tag\'s change',
      before: [['tmcore', tmCore(setStatus(base, 'feature-auth', 2, 'done'), 'feature-auth')]],
      bad: () => addTask(base, 'master', 'Audit log'),
      mode: 'legacy',
      code: 'keyed-untouched',
    },
    {
      name: 'D: a stale snapshot dropping a tag added since',
      before: [['inplace', parsePrd(base, 'payments', ['Payment provider research', 'Checkout flow'])]],
      bad: () => setStatus(base, 'master', 4, 'in-progress'),
      mode: 'legacy',
      code: 'keyed-untouched',
    },
    { name: 'a new tag named "tasks" (breaks Task Master\'s own reader)', bad: (current) => addTag(current, 'tasks'), mode: 'legacy', code: 'keyed-set' },
    { name: 'a new tag named "metadata"', bad: (current) => addTag(current, 'metadata'), mode: 'legacy', code: 'keyed-set' },
  ];

  for (const family of families) {
    test(family.name, async () => {
      seed(base);
      guard = await watchTaskMaster();
      let current = base;
      for (const [mode, doc] of family.before ?? []) {
        await acceptedDigest(box, 'tasks/tasks.json', await tmWrite(mode, doc));
        current = doc;
      }
      const good = readFileSync(tasksFile());
      const bad = await tmWrite(family.mode, family.bad(current));
      const restored = await until(() => kinds(box, 'restored').find((entry) => entry.kind === 'restored' && entry.replaced === sha(bad)), 'tasks.json restored');
      assert.ok(restored.kind === 'restored');
      assert.equal(restored.digest, sha(good));
      assert.equal(readFileSync(tasksFile()).equals(good), true, 'the exact last good bytes are back');
      const rejected = kinds(box, 'write-rejected');
      assert.equal(rejected.length, 1);
      assert.ok(rejected[0]?.kind === 'write-rejected');
      assert.equal(rejected[0].path, 'tasks/tasks.json');
      assert.ok(rejected[0].issues.some((issue) => issue.code === family.code), JSON.stringify(rejected[0].issues));
      await until(() => existsSync(join(box.mission, '.guard-frozen')), 'sentinel written');
      const sentinel = JSON.parse(readFileSync(join(box.mission, '.guard-frozen'), 'utf8')) as { artifact: string };
      assert.equal(sentinel.artifact, 'tasks/tasks.json');
    });
  }
});
