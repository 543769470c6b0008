// Any orchestrator, described by guard.config.json (DESIGN.md §1, §6.5): every rule kind is
// enforced by a running guardian, legitimate writes pass, `--config FILE` replaces the mission's
// own config, and a broken config is a clear usage error.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { loadProfileFile } from '../../src/profiles/profile.js';
import { adoptConfig } from '../helpers/adopt.js';
import {
  acceptedDigest,
  failOnLeakedChildren,
  journal,
  kinds,
  runGuard,
  runWriter,
  sandbox,
  sha,
  startWatch,
  stopTestGuard,
  until,
  type GuardProcess,
  type Sandbox,
} from '../helpers/index.js';

const CONFIG = {
  name: 'planner',
  artifacts: [
    {
      glob: 'plan.json',
      role: 'scheduling',
      schema: 'schemas/plan.schema.json',
      statusItems: { items: '/tasks', key: 'id', status: 'state' },
      rules: [
        { kind: 'unique-key', items: '/tasks', key: 'id' },
        { kind: 'terminal-status', items: '/tasks', key: 'id', status: 'state', terminal: ['done', 'dropped'] },
        { kind: 'no-removal', items: '/tasks', key: 'id', status: 'state', statuses: ['done', 'dropped'] },
        { kind: 'immutable', pointer: '/planId' },
        { kind: 'grow-only', items: '/tasks', key: 'id', field: 'attempts' },
        { kind: 'grow-only', pointer: '/history' },
      ],
    },
    { glob: 'events.jsonl', role: 'evidence', format: 'jsonl', rules: [{ kind: 'append-only' }] },
    { glob: 'reports/*.json', role: 'evidence', rules: [{ kind: 'write-once' }] },
  ],
};

const PLAN_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['planId', 'tasks'],
  properties: {
    planId: { type: 'string' },
    owner: { type: 'string' },
    history: { type: 'array', items: { type: 'string' } },
    tasks: {
      type: 'array',
      items: { type: 'object', required: ['id', 'state'], properties: { id: { type: 'string' }, state: { enum: ['todo', 'doing', 'done', 'dropped'] }, attempts: { type: 'array', items: { type: 'string' } } } },
    },
  },
};

interface Task {
  id: string;
  state: string;
  attempts?: string[];
}
interface Plan {
  planId: string;
  owner: string;
  history: string[];
  tasks: Task[];
}

const basePlan = (): Plan => ({
  planId: 'p-1',
  owner: 'alice',
  history: ['created'],
  tasks: [
    { id: 'a', state: 'done', attempts: ['s1'] },
    { id: 'b', state: 'doing', attempts: ['s2'] },
    { id: 'c', state: 'todo' },
  ],
});
const planText = (plan: Plan) => `${JSON.stringify(plan, null, 2)}\n`;
const eventLine = (value: object) => `${JSON.stringify(value)}\n`;
const EVENTS = eventLine({ type: 'started', task: 'a' }) + eventLine({ type: 'finished', task: 'a' });
const REPORT = `${JSON.stringify({ task: 'a', summary: 'done' })}\n`;

let box: Sandbox;
let guard: GuardProcess | undefined;

function writeMission(target: Sandbox): void {
  writeFileSync(join(target.mission, 'guard.config.json'), JSON.stringify(CONFIG, null, 2));
  mkdirSync(join(target.mission, 'schemas'));
  writeFileSync(join(target.mission, 'schemas', 'plan.schema.json'), JSON.stringify(PLAN_SCHEMA));
  writeFileSync(join(target.mission, 'plan.json'), planText(basePlan()));
  writeFileSync(join(target.mission, 'events.jsonl'), EVENTS);
  mkdirSync(join(target.mission, 'reports'));
  writeFileSync(join(target.mission, 'reports', 'a.json'), REPORT);
}

beforeEach(async () => {
  box = sandbox();
  writeMission(box);
  await adoptConfig(box);
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

describe('a generic mission under a running guardian', () => {
  test('legitimate writes pass: new, reordered, requeued and dropped tasks, grown arrays, appends, a new report', async () => {
    guard = await startWatch(box);
    const started = kinds(box, 'guard-started')[0];
    assert.equal(started?.kind === 'guard-started' && started.profile, 'planner');
    const plan = basePlan();
    const next: Plan = {
      ...plan,
      history: [...plan.history, 'replanned'],
      tasks: [
        { id: 'd', state: 'todo' },
        { id: 'c', state: 'dropped' },
        { id: 'b', state: 'todo', attempts: ['s2', 's3'] },
        { id: 'a', state: 'done', attempts: ['s1'], extra: { kept: true } } as Task,
      ],
    };
    const events = EVENTS + eventLine({ type: 'started', task: 'b' });
    const report = `${JSON.stringify({ task: 'b', summary: 'requeued' })}\n`;
    await runWriter(box, [
      { op: 'write', file: join(box.mission, 'plan.json'), text: planText(next) },
      { op: 'append', file: join(box.mission, 'events.jsonl'), text: eventLine({ type: 'started', task: 'b' }) },
      { op: 'rename', file: join(box.mission, 'reports', 'b.json'), text: report },
    ]);
    await acceptedDigest(box, 'plan.json', planText(next));
    await acceptedDigest(box, 'events.jsonl', events);
    await acceptedDigest(box, 'reports/b.json', report);
    assert.deepEqual(kinds(box, 'write-rejected'), []);
    const accepted = kinds(box, 'write-accepted').filter((entry) => entry.kind === 'write-accepted' && entry.digest === sha(planText(next)));
    assert.ok(accepted[0]?.kind === 'write-accepted');
    assert.deepEqual(accepted[0].transitions, [
      { item: 'd', from: null, to: 'todo' },
      { item: 'c', from: 'todo', to: 'dropped' },
      { item: 'b', from: 'doing', to: 'todo' },
    ]);
    assert.equal(existsSync(join(box.mission, '.guard-frozen')), false);
  });

  const violations: Array<{ rule: string; path: string; bad: () => string; item?: string; pointer: string; message: RegExp }> = [
    { rule: 'unique-key', path: 'plan.json', bad: () => planText({ ...basePlan(), tasks: [...basePlan().tasks, { id: 'c', state: 'todo' }] }), item: 'c', pointer: '/tasks/3', message: /id "c" appears more than once/ },
    { rule: 'terminal-status', path: 'plan.json', bad: () => planText({ ...basePlan(), tasks: basePlan().tasks.map((task) => (task.id === 'a' ? { ...task, state: 'todo' } : task)) }), item: 'a', pointer: '/tasks/0/state', message: /"a" was done and may not become "todo"/ },
    { rule: 'no-removal', path: 'plan.json', bad: () => planText({ ...basePlan(), tasks: basePlan().tasks.filter((task) => task.id !== 'a') }), item: 'a', pointer: '/tasks/0', message: /done "a" disappeared/ },
    { rule: 'immutable', path: 'plan.json', bad: () => planText({ ...basePlan(), planId: 'p-2' }), pointer: '/planId', message: /\/planId changed from "p-1" to "p-2"/ },
    { rule: 'grow-only', path: 'plan.json', bad: () => planText({ ...basePlan(), tasks: basePlan().tasks.map((task) => (task.id === 'b' ? { ...task, attempts: ['s9'] } : task)) }), item: 'b', pointer: '/tasks/1/attempts', message: /"b" attempts: entries were removed or rewritten/ },
    { rule: 'grow-only', path: 'plan.json', bad: () => planText({ ...basePlan(), history: [] }), pointer: '/history', message: /\/history: entries were removed or rewritten \(had 1, now 0\)/ },
    { rule: 'append-only', path: 'events.jsonl', bad: () => eventLine({ type: 'finished', task: 'a' }), pointer: '', message: /existing lines were changed or removed/ },
    { rule: 'write-once', path: 'reports/a.json', bad: () => `${JSON.stringify({ task: 'a', summary: 'rewritten' })}\n`, pointer: '', message: /written once/ },
    { rule: 'schema', path: 'plan.json', bad: () => planText({ ...basePlan(), tasks: basePlan().tasks.map((task) => (task.id === 'c' ? { ...task, state: 'bogus' } : task)) }), item: 'c', pointer: '/tasks/2/state', message: /"c": must be one of "todo", "doing", "done", "dropped" \(got "bogus"\)/ },
  ];

  for (const { rule, path, bad, item, pointer, message } of violations) {
    test(`${rule} (${path}${pointer === '' ? '' : ` ${pointer}`}) is enforced: rejected, restored, frozen by the sentinel only`, async () => {
      guard = await startWatch(box);
      const file = join(box.mission, path);
      const good = readFileSync(file);
      const text = bad();
      await runWriter(box, [{ op: 'write', file, text }]);
      const restored = await until(() => kinds(box, 'restored').find((entry) => entry.kind === 'restored' && entry.replaced === sha(text)), `${path} restored`);
      assert.ok(restored.kind === 'restored');
      assert.equal(restored.digest, sha(good));
      assert.equal(readFileSync(file).equals(good), true, 'the exact last good bytes are back');
      const rejected = kinds(box, 'write-rejected');
      assert.equal(rejected.length, 1);
      assert.ok(rejected[0]?.kind === 'write-rejected');
      assert.equal(rejected[0].path, path);
      const issue = rejected[0].issues.find((candidate) => candidate.code === rule);
      assert.ok(issue !== undefined, `a ${rule} issue in ${JSON.stringify(rejected[0].issues)}`);
      assert.equal(issue.pointer, pointer);
      assert.equal(issue.item, item);
      assert.match(issue.message, message);
      // The generic freeze is the sentinel: nothing else in the mission is touched.
      await until(() => existsSync(join(box.mission, '.guard-frozen')), 'sentinel written');
      const sentinel = JSON.parse(readFileSync(join(box.mission, '.guard-frozen'), 'utf8')) as { artifact: string };
      assert.equal(sentinel.artifact, path);
      assert.deepEqual(kinds(box, 'scheduler-paused'), []);
      assert.equal(existsSync(join(box.mission, 'state.json')), false);
      assert.deepEqual(
        journal(box).filter((entry) => entry.kind === 'write-accepted' && entry.by === 'freeze'),
        [],
        'the guard wrote nothing into the mission to freeze it',
      );
    });
  }
});

describe('--config FILE', () => {
  test("replaces the mission's guard.config.json: its rules apply, the mission's do not", async () => {
    const dir = join(box.dir, 'elsewhere');
    mkdirSync(dir);
    const override = join(dir, 'guard.json');
    writeFileSync(override, JSON.stringify({ name: 'override', artifacts: [{ glob: 'plan.json', role: 'scheduling', schema: 'owner.schema.json', rules: [{ kind: 'immutable', pointer: '/owner' }] }] }));
    // The schema path is resolved next to the override file, not in the mission dir.
    writeFileSync(join(dir, 'owner.schema.json'), JSON.stringify({ type: 'object', required: ['owner'] }));
    guard = await startWatch(box, ['--config', override]);
    const started = kinds(box, 'guard-started')[0];
    assert.equal(started?.kind === 'guard-started' && started.profile, 'override');
    assert.equal(journal(box).some((entry) => entry.kind === 'write-accepted' && entry.path === 'events.jsonl'), false, 'events.jsonl is no artifact of the override');

    const file = join(box.mission, 'plan.json');
    // The mission's own config would refuse both of these; the override allows them.
    const renamed = planText({ ...basePlan(), planId: 'p-2', tasks: basePlan().tasks.filter((task) => task.id !== 'a') });
    await runWriter(box, [{ op: 'write', file, text: renamed }]);
    await acceptedDigest(box, 'plan.json', renamed);
    const newOwner = planText({ ...basePlan(), planId: 'p-2', owner: 'mallory' });
    await runWriter(box, [{ op: 'write', file, text: newOwner }]);
    const restored = await until(() => kinds(box, 'restored')[0], 'plan.json restored');
    assert.ok(restored.kind === 'restored');
    assert.equal(restored.digest, sha(renamed));
    assert.equal(readFileSync(file, 'utf8'), renamed);
    const rejected = kinds(box, 'write-rejected');
    assert.equal(rejected.length, 1);
    assert.deepEqual(rejected[0]?.kind === 'write-rejected' && rejected[0].issues.map((issue) => [issue.code, issue.pointer]), [['immutable', '/owner']]);
  });
});

describe('an invalid guard.config.json', () => {
  const cases: Array<{ name: string; config: string; schema?: string; message: RegExp }> = [
    { name: 'not JSON', config: '{"artifacts": [', message: /guard\.config\.json is not valid JSON/ },
    { name: 'no artifacts', config: '{"name": "x"}', message: /is not a valid profile:\n {2}\/artifacts: missing required property "artifacts"/ },
    { name: 'an unknown role', config: '{"artifacts": [{"glob": "plan.json", "role": "schedulng"}]}', message: /\/artifacts\/0\/role: must be one of "scheduling", "evidence", "finalization", "tracked" \(got "schedulng"\)/ },
    { name: 'an unknown rule kind', config: '{"artifacts": [{"glob": "plan.json", "role": "scheduling", "rules": [{"kind": "frozen-forever"}]}]}', message: /\/artifacts\/0\/rules\/0\/kind: must be one of "unique-key"/ },
    { name: 'a rule missing a field', config: '{"artifacts": [{"glob": "plan.json", "role": "scheduling", "rules": [{"kind": "terminal-status", "items": "/tasks", "key": "id", "status": "state"}]}]}', message: /\/artifacts\/0\/rules\/0\/terminal: missing required property "terminal"/ },
    { name: 'a misspelt top-level key', config: '{"artifact": [], "artifacts": [{"glob": "plan.json", "role": "scheduling"}]}', message: /has unknown property "artifact"/ },
    { name: 'a missing schema file', config: '{"artifacts": [{"glob": "plan.json", "role": "scheduling", "schema": "nope.json"}]}', message: /cannot read schema of plan\.json at .*nope\.json/ },
    { name: 'a schema that is not a JSON Schema', config: '{"artifacts": [{"glob": "plan.json", "role": "scheduling", "schema": "bad.schema.json"}]}', schema: '{"type": "objekt"}', message: /the schema of plan\.json at .*bad\.schema\.json is not a valid JSON Schema/ },
    { name: 'a schema with a dangling $ref', config: '{"artifacts": [{"glob": "plan.json", "role": "scheduling", "schema": "bad.schema.json"}]}', schema: '{"$ref": "#/definitions/missing"}', message: /is not a valid JSON Schema: can't resolve reference/ },
  ];

  for (const { name, config, schema, message } of cases) {
    test(`${name}: exit 2 with a message that says what is wrong, no stack trace`, async () => {
      writeFileSync(join(box.mission, 'guard.config.json'), config);
      if (schema !== undefined) writeFileSync(join(box.mission, 'bad.schema.json'), schema);
      assert.throws(() => loadProfileFile(join(box.mission, 'guard.config.json'), join(box.mission, 'guard.config.json')), (error: Error & { code?: string }) => error.code === 'CONFIG_INVALID' && message.test(error.message));
      const result = await runGuard(box, ['config', 'adopt', '--mission', box.mission, '--yes-i-am-human'], { timeoutMs: 20_000 });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^guard config: /);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
      assert.equal(result.stdout, '');
    });
  }

  test('--config naming a broken file is refused the same way, even when the mission has a good one', async () => {
    const broken = join(box.dir, 'broken.json');
    writeFileSync(broken, '{"artifacts": []}');
    const result = await runGuard(box, ['watch', box.mission, '--config', broken]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /broken\.json is not a valid profile:\n {2}\/artifacts: must NOT have fewer than 1 items/);
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
    assert.equal(kinds(box, 'guard-started').length, 0, 'no guardian started');
  });
});
