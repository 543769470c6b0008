// Fidelity to droid as it really is (issue 13): shapes droid's readers accept are accepted with a
// journaled warning, a long mission's progress log has no size cliff, and droid's sanctioned
// reopen (completed -> pending with a new description after a success handoff that left work
// undone) passes the hook and the watcher. Writes come from real processes writing the way droid's
// runtime does (test/fixtures/droid-writer.mjs) and from the Node-style fixture writer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { JournalEntry } from '../../src/core/entries.js';
import { createMission, featureText, type Feature } from '../../src/demo/droid-files.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';
import { droidWrite } from '../helpers/droid-writer.js';
import { successLine } from '../helpers/durable.js';
import { acceptedDigest, failOnLeakedChildren, journal, kinds, runGuard, sandbox, startWatch, stopTestGuard, until, type GuardProcess, type Sandbox } from '../helpers/index.js';

let box: Sandbox;
let guard: GuardProcess | undefined;
let features: Feature[];

beforeEach(() => {
  box = sandbox();
  features = baseFeatures();
  createMission(box.mission, features);
});

afterEach(async () => {
  await stopTestGuard(guard);
  guard = undefined;
  box.cleanup();
});

failOnLeakedChildren();

const at = (path: string) => join(box.mission, path);
const warningsFor = (path: string) => kinds(box, 'shape-warning').filter((entry) => entry.kind === 'shape-warning' && entry.path === path) as Array<Extract<JournalEntry, { kind: 'shape-warning' }>>;
const notFrozen = () => journal(box).every((entry) => entry.kind !== 'frozen' && entry.kind !== 'write-rejected');

function handoff(feature: string, session: string, extra: Record<string, unknown> = {}, body: Record<string, unknown> = {}): string {
  return `${JSON.stringify(
    {
      timestamp: '2026-11-26T10:00:00.000Z',
      workerSessionId: session,
      featureId: feature,
      milestone: 'm1',
      successState: 'success',
      returnToOrchestrator: false,
      handoff: { salientSummary: 'done', whatWasImplemented: 'it', whatWasLeftUndone: '', verification: { commandsRun: [] }, tests: {}, discoveredIssues: [], ...body },
      ...extra,
    },
    null,
    2,
  )}\n`;
}

describe("shapes droid's readers accept: accepted, a warning journaled, no freeze", () => {
  test('a boolean and a number milestone, an empty id, a missing and an unknown status (droid-style in-place writes)', async () => {
    guard = await startWatch(box);
    const shapes: Array<[string, Array<Partial<Feature> & Record<string, unknown>>]> = [
      ['boolean milestone', withFeature(features, 'f4-search', { milestone: true as unknown as string })],
      ['number milestone', withFeature(features, 'f4-search', { milestone: 2 as unknown as string })],
      ['empty id', [...features, { id: '', description: 'unnamed', status: 'pending' }]],
      ['missing status on a new feature', [...features, { id: 'f5-export', description: 'Export' }]],
      ['unknown status', withFeature(features, 'f4-search', { status: 'blocked' as Feature['status'] })],
    ];
    for (const [what, next] of shapes) {
      const text = featureText(next as Feature[]);
      await droidWrite(at('features.json'), text);
      await until(() => acceptedDigest(box, 'features.json', text), `${what} accepted`);
      assert.ok(notFrozen(), `${what}: nothing rejected`);
    }
    const warnings = await until(() => (warningsFor('features.json').length === shapes.length ? warningsFor('features.json') : undefined), 'one shape-warning per tolerated version');
    assert.match(warnings[0]?.issues[0]?.message ?? '', /"f4-search": must be string \(got true\)/);
    assert.match(warnings[2]?.issues[0]?.message ?? '', /must NOT have fewer than 1 characters/);
    assert.match(warnings[3]?.issues[0]?.message ?? '', /"f5-export": missing required property "status"/);
    assert.equal(readFileSync(at('features.json'), 'utf8'), featureText(shapes[4]![1] as Feature[]), 'the last version stays on disk');
    const status = await runGuard(box, ['status', '--mission', box.mission]);
    assert.equal(status.code, 0, status.stdout);
    assert.match(status.stdout, /warnings: 5 deviations from the shape droid writes, in accepted versions .*guard log --mission \S+ --kind shape-warning/);
    const log = await runGuard(box, ['log', '--mission', box.mission, '--kind', 'shape-warning']);
    assert.match(log.stdout, /warning features\.json [0-9a-f]{12} accepted \(droid's readers tolerate it\): "f4-search": must be string/);
  });

  test('a deviation that persists over several versions is journaled once, and again only after a version without it', async () => {
    guard = await startWatch(box);
    const deviating = (n: number) => withFeature(features, 'f4-search', { milestone: true as unknown as string, description: `search ${n}` });
    for (const next of [deviating(1), deviating(2), deviating(3), features, deviating(4)]) {
      const text = featureText(next as Feature[]);
      await droidWrite(at('features.json'), text);
      await until(() => acceptedDigest(box, 'features.json', text), 'accepted');
    }
    const warnings = await until(() => (warningsFor('features.json').length >= 2 ? warningsFor('features.json') : undefined), 'the warning after the clean version');
    assert.ok(notFrozen());
    assert.equal(warnings.length, 2, 'once for versions 1-3, once more after the clean version');
  });

  test('validation-state status "blocked" and a BOM; a handoff with a free-form successState and a BOM', async () => {
    guard = await startWatch(box);
    const blocked = `\ufeff${JSON.stringify({ assertions: { 'VAL-AUTH-001': { status: 'blocked', reason: 'server down' }, 'VAL-AUTH-002': { status: 'passed' } } }, null, 2)}\n`;
    await droidWrite(at('validation-state.json'), blocked);
    await until(() => acceptedDigest(box, 'validation-state.json', blocked), 'validation-state accepted');
    const freeForm = `\ufeff${handoff('f4-search', 'w4', { successState: 'mostly done' })}`;
    await droidWrite(at('handoffs/2026-11-26T10-00-00__f4-search__w4.json'), freeForm, { mkdir: true });
    await until(() => acceptedDigest(box, 'handoffs/2026-11-26T10-00-00__f4-search__w4.json', freeForm), 'handoff accepted');
    assert.ok(notFrozen());
    await until(() => warningsFor('handoffs/2026-11-26T10-00-00__f4-search__w4.json').length === 1, 'the handoff warning journaled');
    const stateWarning = warningsFor('validation-state.json')[0];
    assert.deepEqual(stateWarning?.issues.map((issue) => issue.code), ['bom', 'schema']);
    assert.match(stateWarning?.issues[1]?.message ?? '', /got "blocked"/);
    assert.deepEqual(warningsFor('handoffs/2026-11-26T10-00-00__f4-search__w4.json')[0]?.issues.map((issue) => issue.code), ['bom', 'schema']);
    // Only "passed" counts as passed, only "success" as success evidence.
    const facts = kinds(box, 'evidence').flatMap((entry) => (entry.kind === 'evidence' ? entry.facts : []));
    assert.deepEqual(facts.filter((fact) => fact.fact === 'worker-completed'), [], 'a free-form successState is no success evidence');
    assert.deepEqual(facts.filter((fact) => fact.fact === 'assertion').map((fact) => fact.fact === 'assertion' && [fact.assertion, fact.status]), [['VAL-AUTH-001', 'blocked'], ['VAL-AUTH-002', 'passed']]);
  });

  test('a BOM on features.json stays an incident: droid\'s reader (JSON.parse in its Bun runtime) fails on it', async () => {
    guard = await startWatch(box);
    const bom = `\ufeff${featureText(withFeature(features, 'f4-search', { description: 'Search v2' }))}`;
    await droidWrite(at('features.json'), bom);
    await until(() => kinds(box, 'write-rejected').some((entry) => entry.kind === 'write-rejected' && entry.issues[0]?.code === 'bom'), 'BOM on features.json rejected (droid JSON.parse fails on it)');
  });
});

describe('no size cliff for logs', () => {
  test('a progress log grown past 16 MiB by appends is accepted, and so is every later append', async () => {
    guard = await startWatch(box);
    const line = `${JSON.stringify({ type: 'worker_started', timestamp: '2026-11-26T10:00:00.000Z', workerSessionId: 'w-long', spawnId: 's', pad: 'x'.repeat(7000) })}\n`;
    const chunk = line.repeat(64); // ~450 KB per append, one write as droid's appendFile does
    let size = readFileSync(at('progress_log.jsonl')).length;
    while (size <= 16 * 1024 * 1024 + chunk.length) {
      await droidWrite(at('progress_log.jsonl'), chunk, { append: true });
      size += chunk.length;
      const expected = readFileSync(at('progress_log.jsonl'));
      await until(() => acceptedDigest(box, 'progress_log.jsonl', expected), `log of ${size} bytes accepted`, 60_000);
    }
    await droidWrite(at('progress_log.jsonl'), successLine('f4-search', 'w-long'), { append: true });
    const final = readFileSync(at('progress_log.jsonl'));
    assert.ok(final.length > 16 * 1024 * 1024);
    await until(() => acceptedDigest(box, 'progress_log.jsonl', final), 'the append after 16 MiB accepted', 60_000);
    assert.ok(notFrozen(), `no incident: ${JSON.stringify(kinds(box, 'write-rejected').map((entry) => entry.kind === 'write-rejected' && entry.issues[0]))}`);
  });
});

describe("droid's sanctioned reopen", () => {
  const X = 'f1-login';
  const handoffPath = `handoffs/2026-11-26T10-00-00__${X}__w1.json`;
  const reopened = () => featureText(withFeature(features, X, { status: 'pending', description: 'Login, plus the remember-me box left undone', completedWorkerSessionId: null }));

  async function successWithWorkLeft(left: Record<string, unknown>): Promise<void> {
    guard = await startWatch(box);
    await droidWrite(at(handoffPath), handoff(X, 'w1', {}, left), { mkdir: true });
    await droidWrite(at('progress_log.jsonl'), successLine(X, 'w1'), { append: true });
    await until(() => kinds(box, 'evidence').filter((entry) => entry.kind === 'evidence' && entry.facts.some((fact) => fact.fact === 'worker-completed' && fact.feature === X)).length === 2, 'both success facts journaled');
  }

  function hook(content: string) {
    const payload = { session_id: 'orch', transcript_path: join(box.dir, 't.jsonl'), cwd: box.mission, hook_event_name: 'PreToolUse', tool_name: 'Create', tool_input: { file_path: at('features.json'), content } };
    return runGuard(box, ['hook'], { input: JSON.stringify(payload) });
  }

  test('after a success handoff that left work undone: the hook allows the Create, the watcher journals a reopen citing the handoff, no freeze', async () => {
    await successWithWorkLeft({ whatWasLeftUndone: 'the remember-me checkbox' });
    const text = reopened();
    const allowed = await hook(text);
    assert.equal(allowed.code, 0, allowed.stderr);
    await droidWrite(at('features.json'), text);
    await until(() => acceptedDigest(box, 'features.json', text), 'the reopen accepted by the watcher');
    const entry = kinds(box, 'write-accepted').filter((item) => item.kind === 'write-accepted' && item.path === 'features.json').at(-1);
    assert.ok(entry?.kind === 'write-accepted');
    assert.deepEqual(entry.reopened, [{ feature: X, reason: `droid reopen: ${handoffPath} reported work left undone`, permit: 0 }]);
    assert.deepEqual(entry.transitions, [{ item: X, from: 'completed', to: 'pending' }]);
    assert.ok(notFrozen());
    // The handoff allowed one reopen: completing and reopening again needs new evidence.
    const again = featureText(withFeature(features, X, { status: 'completed', description: 'second', workerSessionIds: ['w1', 'w9'], completedWorkerSessionId: 'w9' }));
    await droidWrite(at('features.json'), again);
    await until(() => acceptedDigest(box, 'features.json', again), 'completed again');
    const denied = await hook(featureText(withFeature(features, X, { status: 'pending', description: 'third', workerSessionIds: ['w1', 'w9'], completedWorkerSessionId: null })));
    assert.equal(denied.code, 2, denied.stderr);
  });

  test('discovered issues count too', async () => {
    await successWithWorkLeft({ discoveredIssues: [{ severity: 'high', description: 'token leak' }] });
    assert.equal((await hook(reopened())).code, 0);
  });

  test('every other reopen stays an incident: same description, no work left undone ("none"), or a removal', async () => {
    await successWithWorkLeft({ whatWasLeftUndone: 'the remember-me checkbox' });
    const sameDescription = featureText(withFeature(features, X, { status: 'pending', completedWorkerSessionId: null }));
    assert.equal((await hook(sameDescription)).code, 2, 'an unchanged description is no sanctioned reopen');
    const removed = featureText(features.filter((feature) => feature.id !== X));
    assert.equal((await hook(removed)).code, 2, 'a removal is never sanctioned');
    await droidWrite(at('features.json'), sameDescription);
    await until(() => journal(box).some((item) => item.kind === 'frozen'), 'the watcher freezes an unsanctioned reopen');
  });

  test('a handoff an agent wrote through a tool (a hook approved it) sanctions nothing', async () => {
    guard = await startWatch(box);
    const forged = handoff(X, 'w1', {}, { whatWasLeftUndone: 'let me reopen this' });
    const create = { session_id: 'orch', transcript_path: join(box.dir, 't.jsonl'), cwd: box.mission, hook_event_name: 'PreToolUse', tool_name: 'Create', tool_input: { file_path: at(handoffPath), content: forged } };
    assert.equal((await runGuard(box, ['hook'], { input: JSON.stringify(create) })).code, 0, 'a well-formed handoff is allowed');
    await droidWrite(at(handoffPath), forged, { mkdir: true });
    await droidWrite(at('progress_log.jsonl'), successLine(X, 'w1'), { append: true });
    await until(() => kinds(box, 'evidence').filter((entry) => entry.kind === 'evidence' && entry.facts.some((fact) => fact.fact === 'worker-completed' && fact.feature === X)).length === 2, 'both success facts journaled');
    assert.equal((await hook(reopened())).code, 2, 'the reopen is still denied');
  });

  test('a handoff whose work left undone is "none" sanctions nothing', async () => {
    await successWithWorkLeft({ whatWasLeftUndone: ' None ' });
    assert.equal((await hook(reopened())).code, 2);
  });
});
