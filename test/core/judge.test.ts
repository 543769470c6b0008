// The judge with the built-in droid profile (DESIGN.md §6, DROID.md §3-4): droid's own legitimate
// writes are accepted (a false alarm is as bad as a miss), the replay-path corruptions are not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Evidence } from '../../src/core/evidence-rules.js';
import { judgeVersion, type ArtifactSpec, type Judgement, type LastGood } from '../../src/core/judge.js';
import type { Issue, MissionPath, Transition } from '../../src/core/types.js';
import { featureText, type Feature } from '../../src/demo/droid-files.js';
import { loadDroidProfile, matchArtifact } from '../../src/profiles/profile.js';
import { baseFeatures, withFeature } from '../helpers/droid.js';

const profile = loadDroidProfile();
function specOf(path: string): ArtifactSpec {
  const spec = matchArtifact(profile, path as MissionPath);
  assert.ok(spec !== undefined, path);
  return spec;
}
const FEATURES = specOf('features.json');

function lastGoodOf(text: string): LastGood {
  return { bytes: Buffer.from(text), doc: JSON.parse(text) };
}
const base = lastGoodOf(featureText(baseFeatures()));

// Judge features written the way droid's runner writes them, against `previous` (default: base).
function judge(features: Array<Partial<Feature>>, options: { previous?: LastGood; permits?: string[]; evidence?: Evidence } = {}): Judgement {
  return judgeVersion(FEATURES, options.previous ?? base, Buffer.from(featureText(features as Feature[])), {
    ...(options.permits === undefined ? {} : { permits: new Set(options.permits) }),
    ...(options.evidence === undefined ? {} : { evidence: options.evidence }),
  });
}

function accepted(verdict: Judgement): Transition[] {
  assert.equal(verdict.kind, 'accepted', verdict.kind === 'rejected' ? JSON.stringify(verdict.issues) : '');
  return verdict.kind === 'accepted' ? verdict.transitions : [];
}

function rejected(verdict: Judgement): Issue[] {
  assert.equal(verdict.kind, 'rejected', 'expected a rejection');
  return verdict.kind === 'rejected' ? verdict.issues : [];
}

const noEvidence = (): Evidence => ({ succeeded: new Map(), passedAssertions: new Set(), completed: new Set() });

describe("droid's legitimate writes are accepted", () => {
  test('the same features unchanged: no transitions', () => {
    assert.deepEqual(accepted(judge(baseFeatures())), []);
  });

  test('the bare array form', () => {
    assert.deepEqual(accepted(judgeVersion(FEATURES, base, Buffer.from(JSON.stringify(baseFeatures())))), []);
    // ... and back from a bare-array last good to the object form.
    const bare = lastGoodOf(JSON.stringify(baseFeatures()));
    assert.deepEqual(accepted(judge(baseFeatures(), { previous: bare })), []);
  });

  test('extra keys at the top level and in features', () => {
    const text = JSON.stringify({ features: baseFeatures().map((feature) => ({ ...feature, somethingNew: { nested: [1] } })), version: 3, notes: 'kept' });
    assert.deepEqual(accepted(judgeVersion(FEATURES, base, Buffer.from(text))), []);
  });

  test('a requeue: in_progress -> pending', () => {
    const requeued = withFeature(baseFeatures(), 'f3-profile', { status: 'pending', currentWorkerSessionId: null });
    assert.deepEqual(accepted(judge(requeued)), [{ item: 'f3-profile', from: 'in_progress', to: 'pending' }]);
  });

  test('a new attempt: pending -> in_progress with one more workerSessionId', () => {
    const again = withFeature(baseFeatures(), 'f3-profile', { workerSessionIds: ['w3', 'w3b'], currentWorkerSessionId: 'w3b' });
    assert.deepEqual(accepted(judge(again)), []);
  });

  test('a validator override: pending -> completed', () => {
    const withValidator = [{ id: 'scrutiny-validator-m1', description: 'scrutiny', status: 'pending' as const, skillName: 'scrutiny-validator', milestone: 'm1' }, ...baseFeatures()];
    const previous = lastGoodOf(featureText(withValidator));
    const overridden = withFeature(withValidator, 'scrutiny-validator-m1', { status: 'completed' });
    assert.deepEqual(accepted(judge(overridden, { previous, evidence: noEvidence() })), [{ item: 'scrutiny-validator-m1', from: 'pending', to: 'completed' }]);
  });

  test('a reorder: completed features to the bottom, validators inserted on top, new features', () => {
    const list = baseFeatures();
    const reordered = [
      { id: 'user-testing-validator-m1', description: 'user testing', status: 'pending' as const, skillName: 'user-testing-validator', milestone: 'm1' },
      ...list.filter((feature) => feature.status !== 'completed'),
      { id: 'f5-export', description: 'Export', status: 'pending' as const, milestone: 2 as unknown as string },
      ...list.filter((feature) => feature.status === 'completed').reverse(),
    ];
    assert.deepEqual(accepted(judge(reordered)), [
      { item: 'user-testing-validator-m1', from: null, to: 'pending' },
      { item: 'f5-export', from: null, to: 'pending' },
    ]);
  });

  test('anything -> cancelled, and pending features removed', () => {
    const changed = withFeature(baseFeatures(), 'f3-profile', { status: 'cancelled' }).filter((feature) => feature.id !== 'f4-search');
    assert.deepEqual(accepted(judge(changed)), [
      { item: 'f3-profile', from: 'in_progress', to: 'cancelled' },
      { item: 'f4-search', from: 'pending', to: null },
    ]);
  });

  test('the first version of features.json has every feature as new', () => {
    const verdict = judgeVersion(FEATURES, undefined, base.bytes);
    assert.deepEqual(accepted(verdict).map((transition) => `${transition.item}:${String(transition.from)}->${String(transition.to)}`), ['f4-search:null->pending', 'f3-profile:null->in_progress', 'f1-login:null->completed', 'f2-logout:null->completed']);
  });
});

describe('the replay path is rejected', () => {
  test('completed -> pending', () => {
    const issues = rejected(judge(withFeature(baseFeatures(), 'f1-login', { status: 'pending' })));
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.item, issue.pointer]),
      [['terminal-status', 'f1-login', '/features/2/status']],
    );
    assert.match(issues[0]?.message ?? '', /"f1-login" was completed and may not become "pending"/);
  });

  test('cancelled -> anything', () => {
    const previous = lastGoodOf(featureText(withFeature(baseFeatures(), 'f4-search', { status: 'cancelled' })));
    assert.equal(rejected(judge(baseFeatures(), { previous }))[0]?.code, 'terminal-status');
  });

  test('a completed feature removed', () => {
    const issues = rejected(judge(baseFeatures().filter((feature) => feature.id !== 'f2-logout')));
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.item]),
      [['no-removal', 'f2-logout']],
    );
  });

  test('a completed feature without status (droid reads it as pending)', () => {
    const stripped = baseFeatures().map((feature) => (feature.id === 'f1-login' ? { id: feature.id, description: feature.description } : feature));
    const issues = rejected(judge(stripped));
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.item, issue.pointer]),
      [
        ['terminal-status', 'f1-login', '/features/2/status'],
        ['grow-only', 'f1-login', '/features/2/workerSessionIds'],
      ],
    );
  });

  test('duplicate feature ids', () => {
    const duplicated = [...baseFeatures(), { id: 'f4-search', description: 'Search again', status: 'pending' as const }];
    const issues = rejected(judge(duplicated));
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.item, issue.pointer]),
      [['unique-key', 'f4-search', '/features/4']],
    );
  });

  test('workerSessionIds shrink or rewritten', () => {
    for (const sessions of [[], ['w9'], ['w3b', 'w3']]) {
      const issues = rejected(judge(withFeature(baseFeatures(), 'f3-profile', { workerSessionIds: sessions })));
      assert.deepEqual(
        issues.map((issue) => [issue.code, issue.item, issue.pointer]),
        [['grow-only', 'f3-profile', '/features/1/workerSessionIds']],
        JSON.stringify(sessions),
      );
    }
  });

  test('an unknown status droid passes through is a warning; a shape droid cannot read is rejected', () => {
    const verdict = judge(withFeature(baseFeatures(), 'f4-search', { status: 'done' as Feature['status'] }));
    assert.ok(verdict.kind === 'accepted');
    assert.equal(verdict.warnings?.[0]?.message, '"f4-search": must be one of "pending", "in_progress", "completed", "cancelled" (got "done")');
    assert.equal(verdict.warnings?.[0]?.pointer, '/features/0/status');
    const [issue] = rejected(judge(withFeature(baseFeatures(), 'f4-search', { workerSessionIds: 'w4' as unknown as string[] })));
    assert.equal(issue?.message, '"f4-search": must be array (got "w4")');
    assert.equal(rejected(judgeVersion(FEATURES, base, Buffer.from('{"feature": []}')))[0]?.code, 'schema');
    assert.equal(rejected(judgeVersion(FEATURES, base, Buffer.from('"features"')))[0]?.code, 'schema');
    assert.equal(rejected(judgeVersion(FEATURES, base, Buffer.from('{"features": [null]}')))[0]?.code, 'schema');
  });

  test('several problems at once are all reported', () => {
    const bad = withFeature(baseFeatures(), 'f1-login', { status: 'pending' }).filter((feature) => feature.id !== 'f2-logout');
    assert.deepEqual(rejected(judge(bad)).map((issue) => issue.code), ['terminal-status', 'no-removal']);
  });

  test('deleting features.json, once it had a good version', () => {
    assert.deepEqual(rejected(judgeVersion(FEATURES, base, null)).map((issue) => issue.code), ['deleted']);
    assert.equal(judgeVersion(FEATURES, undefined, null).kind, 'accepted', 'nothing to lose before the first version');
  });
});

describe('reopen permits and evidence', () => {
  test('a reopen-permitted feature may leave completed; the verdict says which permits were used', () => {
    const reopened = withFeature(baseFeatures(), 'f1-login', { status: 'pending' });
    const verdict = judge(reopened, { permits: ['f1-login'] });
    assert.ok(verdict.kind === 'accepted');
    assert.deepEqual(verdict.reopened, ['f1-login']);
    assert.deepEqual(verdict.transitions, [{ item: 'f1-login', from: 'completed', to: 'pending' }]);
    // A permit for another feature waives nothing.
    assert.equal(judge(reopened, { permits: ['f2-logout'] }).kind, 'rejected');
  });

  test('a permit never waives a schema or duplicate-id problem', () => {
    const mistyped = withFeature(baseFeatures(), 'f1-login', { status: 'pending', completedWorkerSessionId: 7 as unknown as string });
    assert.equal(judge(mistyped, { permits: ['f1-login'] }).kind, 'rejected');
    assert.equal(judge([...baseFeatures(), { id: 'f1-login', description: 'again', status: 'completed' }], { permits: ['f1-login'] }).kind, 'rejected');
  });

  test('a feature a worker completed with success may not be pending or in progress', () => {
    const evidence: Evidence = { ...noEvidence(), succeeded: new Map([['f4-search', 'w4']]) };
    const issues = rejected(judge(withFeature(baseFeatures(), 'f4-search', { status: 'in_progress', workerSessionIds: ['w4'] }), { evidence }));
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.item]),
      [['evidence', 'f4-search']],
    );
    assert.match(issues[0]?.message ?? '', /worker session w4 completed it with success/);
    assert.deepEqual(accepted(judge(withFeature(baseFeatures(), 'f4-search', { status: 'completed', workerSessionIds: ['w4'], completedWorkerSessionId: 'w4' }), { evidence })), [
      { item: 'f4-search', from: 'pending', to: 'completed' },
    ]);
  });

  test('completedWorkerSessionId must be one of the workerSessionIds', () => {
    const issues = rejected(judge(withFeature(baseFeatures(), 'f3-profile', { status: 'completed', completedWorkerSessionId: 'w-other' }), { evidence: noEvidence() }));
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.pointer]),
      [['evidence', '/features/1/completedWorkerSessionId']],
    );
  });
});

describe('other droid artifacts', () => {
  test('state.json: heartbeats pass, missionId and createdAt are immutable', () => {
    const spec = specOf('state.json');
    const state = { missionId: 'mis_0a1b2c3d', state: 'running', workingDirectory: '/w', createdAt: 't0', updatedAt: 't1' };
    const previous = lastGoodOf(JSON.stringify(state));
    assert.equal(judgeVersion(spec, previous, Buffer.from(JSON.stringify({ ...state, updatedAt: 't2', lastReviewedHandoffCount: 1 }))).kind, 'accepted');
    assert.deepEqual(rejected(judgeVersion(spec, previous, Buffer.from(JSON.stringify({ ...state, missionId: 'mis_ffffffff', createdAt: 'tx' })))).map((issue) => issue.pointer), ['/missionId', '/createdAt']);
  });

  test('progress_log.jsonl: an appended bad line is reported with its own line number', () => {
    const spec = specOf('progress_log.jsonl');
    const line = (value: object) => `${JSON.stringify({ timestamp: 't', ...value })}\n`;
    const old = line({ type: 'mission_accepted' }) + line({ type: 'mission_run_started' });
    const previous: LastGood = { bytes: Buffer.from(old), doc: [{ line: 1, value: {} }, { line: 2, value: {} }] };
    const appended = judgeVersion(spec, previous, Buffer.from(old + line({ type: 'worker_started', workerSessionId: 'w', spawnId: 's' })));
    assert.equal(appended.kind, 'accepted');
    const torn = rejected(judgeVersion(spec, previous, Buffer.from(`${old}{"type":"worker_completed","ti\n`)));
    assert.deepEqual(
      torn.map((issue) => [issue.code, issue.line]),
      [['parse', 3]],
    );
    const incomplete = rejected(judgeVersion(spec, previous, Buffer.from(old + line({ type: 'worker_completed', featureId: 'f1' }))));
    assert.deepEqual(
      incomplete.map((issue) => [issue.code, issue.line]),
      [
        ['schema', 3],
        ['schema', 3],
      ],
    );
    assert.equal(rejected(judgeVersion(spec, previous, Buffer.from(line({ type: 'mission_accepted' }))))[0]?.code, 'append-only');
  });

  test('progress_log.jsonl: bad bytes in an appended tail are reported where they are in the file', () => {
    const spec = specOf('progress_log.jsonl');
    const old = `${JSON.stringify({ type: 'mission_accepted', timestamp: 't' })}\n`;
    const previous: LastGood = { bytes: Buffer.from(old), doc: [{ line: 1, value: {} }] };
    const invalid = rejected(judgeVersion(spec, previous, Buffer.concat([Buffer.from(old), Buffer.from([0x7b, 0xff, 0x7d, 0x0a])])));
    assert.deepEqual(
      invalid.map((issue) => [issue.code, issue.message]),
      [['not-utf8', `file is not valid UTF-8 (first bad byte at offset ${old.length + 1})`]],
    );
    // A BOM in the middle of the log is not at the start of the file: line 2 simply fails to parse.
    const bom = rejected(judgeVersion(spec, previous, Buffer.concat([Buffer.from(old), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(old)])));
    assert.deepEqual(
      bom.map((issue) => [issue.code, issue.line]),
      [['parse', 2]],
    );
    assert.equal(rejected(judgeVersion(spec, undefined, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(old)])))[0]?.code, 'bom');
  });

  test('handoffs are write-once', () => {
    const spec = specOf('handoffs/2026__f1-login__w1.json');
    const text = JSON.stringify({ timestamp: 't', workerSessionId: 'w1', featureId: 'f1-login', handoff: { salientSummary: 'ok' } });
    assert.equal(judgeVersion(spec, undefined, Buffer.from(text)).kind, 'accepted');
    assert.equal(rejected(judgeVersion(spec, lastGoodOf(text), Buffer.from(text.replace('ok', 'changed'))))[0]?.code, 'write-once');
  });
});
