// The seven rule kinds (DESIGN.md §6.5), each against a last good version, as pure data.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRules, type RuleInput } from '../../src/core/rules.js';
import { RULE_KINDS, type Issue, type RuleSpec } from '../../src/core/types.js';

const items = { items: '/tasks', key: 'id' } as const;
const RULES = {
  unique: { kind: 'unique-key', ...items },
  terminal: { kind: 'terminal-status', ...items, status: 'state', terminal: ['done', 'dropped'] },
  noRemoval: { kind: 'no-removal', ...items, status: 'state', statuses: ['done', 'dropped'] },
  immutable: { kind: 'immutable', pointer: '/meta/id' },
  growItems: { kind: 'grow-only', ...items, field: 'attempts' },
  growPointer: { kind: 'grow-only', pointer: '/history' },
  appendOnly: { kind: 'append-only' },
  writeOnce: { kind: 'write-once' },
} as const satisfies Record<string, RuleSpec>;

// Judge `doc` against `before` with one rule; bytes are the JSON text unless given.
function check(rule: RuleSpec, before: unknown, doc: unknown, bytes?: { before: string; after: string }): Issue[] {
  const input: RuleInput = {
    ...(before === undefined ? {} : { previous: { bytes: Buffer.from(bytes?.before ?? JSON.stringify(before)), doc: before } }),
    bytes: Buffer.from(bytes?.after ?? JSON.stringify(doc)),
    doc,
  };
  return checkRules([rule], input);
}

const tasks = (...list: unknown[]) => ({ tasks: list });

describe('rule kinds', () => {
  test('the seven kinds DESIGN.md names, and the keyed-section kinds (taskmaster-keyed-rules.test.ts)', () => {
    assert.deepEqual([...RULE_KINDS].sort(), [
      'append-only', 'grow-only', 'immutable',
      'keyed-new-section', 'keyed-no-copy', 'keyed-set', 'keyed-shape', 'keyed-unique', 'keyed-untouched',
      'no-removal', 'terminal-status', 'unique-key', 'write-once',
    ]);
  });
});

describe('unique-key', () => {
  test('a repeated key is an issue at the repeat, naming the item', () => {
    const issues = check(RULES.unique, undefined, tasks({ id: 'a' }, { id: 'b' }, { id: 'a' }));
    assert.deepEqual(issues, [{ code: 'unique-key', pointer: '/tasks/2', item: 'a', message: 'id "a" appears more than once' }]);
  });

  test('applies to the first version too, and to a bare array when allowed', () => {
    const bare = { ...RULES.unique, bareArray: true };
    assert.equal(check(bare, undefined, [{ id: 'x' }, { id: 'x' }])[0]?.pointer, '/1');
    assert.deepEqual(check(RULES.unique, undefined, [{ id: 'x' }, { id: 'x' }]), [], 'a bare array is no collection unless bareArray');
  });

  test('distinct keys, and items without a string key, are not its business', () => {
    assert.deepEqual(check(RULES.unique, undefined, tasks({ id: 'a' }, { id: 'b' }, { name: 'no id' }, { id: 7 }, 'text', null)), []);
  });
});

describe('terminal-status', () => {
  test('a terminal item that changes status is an issue with the status pointer', () => {
    const issues = check(RULES.terminal, tasks({ id: 'a', state: 'done' }), tasks({ id: 'x', state: 'todo' }, { id: 'a', state: 'todo' }));
    assert.deepEqual(issues, [{ code: 'terminal-status', pointer: '/tasks/1/state', item: 'a', message: '"a" was done and may not become "todo"; done is final' }]);
  });

  test('losing the status altogether is a change too', () => {
    const [issue] = check(RULES.terminal, tasks({ id: 'a', state: 'dropped' }), tasks({ id: 'a' }));
    assert.match(issue?.message ?? '', /may not become null/);
  });

  test('non-terminal moves, reorders and unchanged terminal items pass; removal is left to no-removal', () => {
    const before = tasks({ id: 'a', state: 'done' }, { id: 'b', state: 'doing' }, { id: 'c', state: 'todo' });
    assert.deepEqual(check(RULES.terminal, before, tasks({ id: 'c', state: 'done' }, { id: 'b', state: 'todo' }, { id: 'a', state: 'done' })), []);
    assert.deepEqual(check(RULES.terminal, before, tasks({ id: 'b', state: 'doing' })), []);
  });

  test('has nothing to say about a first version', () => {
    assert.deepEqual(check(RULES.terminal, undefined, tasks({ id: 'a', state: 'todo' })), []);
  });
});

describe('no-removal', () => {
  test('an item with a listed status may not disappear', () => {
    const issues = check(RULES.noRemoval, tasks({ id: 'a', state: 'todo' }, { id: 'b', state: 'done' }, { id: 'c', state: 'dropped' }), tasks({ id: 'a', state: 'todo' }));
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.item, issue.pointer]),
      [
        ['no-removal', 'b', '/tasks/1'],
        ['no-removal', 'c', '/tasks/2'],
      ],
    );
    assert.match(issues[0]?.message ?? '', /done "b" disappeared/);
  });

  test('other items may go, and the whole collection going is a removal of each', () => {
    assert.deepEqual(check(RULES.noRemoval, tasks({ id: 'a', state: 'todo' }), tasks()), []);
    assert.equal(check(RULES.noRemoval, tasks({ id: 'b', state: 'done' }), {}).length, 1);
  });
});

describe('immutable', () => {
  test('a changed or removed value is an issue at its pointer', () => {
    const before = { meta: { id: 'p-1' } };
    assert.deepEqual(check(RULES.immutable, before, { meta: { id: 'p-2' } }), [{ code: 'immutable', pointer: '/meta/id', message: '/meta/id changed from "p-1" to "p-2"; it may never change' }]);
    assert.match(check(RULES.immutable, before, { meta: {} })[0]?.message ?? '', /to null/);
  });

  test('structurally equal values pass whatever their key order; a value set for the first time passes', () => {
    assert.deepEqual(check({ kind: 'immutable', pointer: '/meta' }, { meta: { a: 1, b: [1, 2] } }, { meta: { b: [1, 2], a: 1 } }), []);
    assert.deepEqual(check(RULES.immutable, { meta: {} }, { meta: { id: 'p-1' } }), []);
  });

  test('pointers read only own properties: __proto__ is data', () => {
    const rule: RuleSpec = { kind: 'immutable', pointer: '/__proto__/x' };
    const before = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
    assert.equal(check(rule, before, JSON.parse('{"__proto__": {"x": 2}}'))[0]?.code, 'immutable');
    assert.deepEqual(check({ kind: 'immutable', pointer: '/toString' }, {}, { toString: 'now own' }), []);
  });
});

describe('grow-only', () => {
  test('an item field keeps its old entries as a prefix', () => {
    const before = tasks({ id: 'a', attempts: ['s1', 's2'] });
    assert.deepEqual(check(RULES.growItems, before, tasks({ id: 'a', attempts: ['s1', 's2', 's3'] })), []);
    const [issue] = check(RULES.growItems, before, tasks({ id: 'a', attempts: ['s1'] }));
    assert.deepEqual({ ...issue, message: undefined }, { code: 'grow-only', pointer: '/tasks/0/attempts', item: 'a', message: undefined });
    assert.match(issue?.message ?? '', /"a" attempts: entries were removed or rewritten \(had 2, now 1\)/);
    assert.equal(check(RULES.growItems, before, tasks({ id: 'a', attempts: ['s2', 's1'] })).length, 1, 'reordering rewrites');
    assert.match(check(RULES.growItems, before, tasks({ id: 'a' }))[0]?.message ?? '', /had 2 entries and is now missing/);
  });

  test('an array at a pointer keeps its old entries as a prefix', () => {
    assert.deepEqual(check(RULES.growPointer, { history: [{ at: 1 }] }, { history: [{ at: 1 }, { at: 2 }] }), []);
    assert.equal(check(RULES.growPointer, { history: [{ at: 1 }] }, { history: [{ at: 9 }] })[0]?.pointer, '/history');
    assert.match(check(RULES.growPointer, { history: ['x'] }, { history: 'x' })[0]?.message ?? '', /is now "x"/);
  });

  test('an empty or missing old array may become anything', () => {
    assert.deepEqual(check(RULES.growPointer, { history: [] }, { history: ['x'] }), []);
    assert.deepEqual(check(RULES.growPointer, {}, {}), []);
    assert.deepEqual(check(RULES.growItems, tasks({ id: 'a' }), tasks({ id: 'a', attempts: ['s1'] })), []);
  });
});

describe('append-only', () => {
  const log = (...lines: string[]) => lines.map((line) => `${line}\n`).join('');

  test('new bytes at the end pass', () => {
    assert.deepEqual(check(RULES.appendOnly, [], [], { before: log('{"a":1}'), after: log('{"a":1}', '{"b":2}') }), []);
  });

  test('a changed line is an issue naming the first changed line', () => {
    const [issue] = check(RULES.appendOnly, [], [], { before: log('{"a":1}', '{"b":2}'), after: log('{"a":1}', '{"b":3}', '{"c":4}') });
    assert.equal(issue?.code, 'append-only');
    assert.match(issue?.message ?? '', /first change on line 2/);
  });

  test('a shrunk log says so', () => {
    const [issue] = check(RULES.appendOnly, [], [], { before: log('{"a":1}', '{"b":2}'), after: log('{"a":1}') });
    assert.match(issue?.message ?? '', /the file shrank from 16 to 8 bytes/);
  });
});

describe('write-once', () => {
  test('the same bytes again pass; any other bytes do not, even the same value spelt differently', () => {
    assert.deepEqual(check(RULES.writeOnce, { a: 1 }, { a: 1 }), []);
    const [issue] = check(RULES.writeOnce, { a: 1 }, { a: 1 }, { before: '{"a":1}', after: '{"a": 1}' });
    assert.deepEqual(issue, { code: 'write-once', pointer: '', message: 'this file is written once and may not be changed afterwards' });
  });

  test('the first version is free', () => {
    assert.deepEqual(check(RULES.writeOnce, undefined, { a: 1 }), []);
  });
});

describe('checkRules', () => {
  test('reports every issue of every rule, in rule order', () => {
    const before = { meta: { id: 'p-1' }, history: ['h'], tasks: [{ id: 'a', state: 'done' }] };
    const after = { meta: { id: 'p-2' }, history: [], tasks: [{ id: 'b' }, { id: 'b' }] };
    const codes = checkRules(Object.values(RULES), { previous: { bytes: Buffer.from('x'), doc: before }, bytes: Buffer.from('y'), doc: after }).map((issue) => issue.code);
    assert.deepEqual(codes, ['unique-key', 'no-removal', 'immutable', 'grow-only', 'append-only', 'write-once']);
  });

  test('never throws, whatever the documents hold', () => {
    const shapes: unknown[] = [null, 0, 'text', true, [], {}, [null, 1, 'x'], { tasks: 'no' }, { tasks: [null, [], { id: null }] }, { meta: 'flat' }, { history: { 0: 'x' } }];
    for (const before of [undefined, ...shapes]) {
      for (const after of shapes) {
        assert.doesNotThrow(() => checkRules(Object.values(RULES), { ...(before === undefined ? {} : { previous: { bytes: Buffer.from(''), doc: before } }), bytes: Buffer.from(''), doc: after }));
      }
    }
  });
});
