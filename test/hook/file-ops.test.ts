// Proposed results of Edit / MultiEdit / patch ops, computed over a fake reader (pure).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyEdits, proposeOutcomes, type FileOp } from '../../src/hook/file-ops.js';

describe('applyEdits', () => {
  test('the first occurrence, or all with change_all / replace_all', () => {
    assert.equal(applyEdits('a-a-a', [{ old: 'a', new: 'b', all: false }]), 'b-a-a');
    assert.equal(applyEdits('a-a-a', [{ old: 'a', new: 'b', all: true }]), 'b-b-b');
  });

  test('replacement text is taken literally ($& and $1 are not patterns)', () => {
    assert.equal(applyEdits('x', [{ old: 'x', new: '$&$1$$', all: false }]), '$&$1$$');
    assert.equal(applyEdits('x x', [{ old: 'x', new: '$&', all: true }]), '$& $&');
  });

  test('edits apply in order, each to the result of the one before', () => {
    assert.equal(applyEdits('abc', [{ old: 'a', new: 'x', all: false }, { old: 'xb', new: 'y', all: false }]), 'yc');
  });

  test('missing old text, or an edit of a missing file, fails (undefined)', () => {
    assert.equal(applyEdits('abc', [{ old: 'z', new: 'x', all: false }]), undefined);
    assert.equal(applyEdits('abc', [{ old: 'a', new: 'x', all: false }, { old: 'a', new: 'y', all: false }]), undefined);
    assert.equal(applyEdits(null, [{ old: 'a', new: 'x', all: false }]), undefined);
  });

  test('an empty old text creates a file, but not over content', () => {
    assert.equal(applyEdits(null, [{ old: '', new: 'new file', all: false }]), 'new file');
    assert.equal(applyEdits('', [{ old: '', new: 'new file', all: false }]), 'new file');
    assert.equal(applyEdits('content', [{ old: '', new: 'x', all: false }]), undefined);
  });
});

describe('proposeOutcomes', () => {
  const disk: Record<string, string> = { '/m/a.json': 'a\nb\n', '/m/b.json': 'one' };
  const read = (path: string) => disk[path] ?? null;

  test('writes, edits, deletes and a moved patch give each path its final state', () => {
    const ops: FileOp[] = [
      { kind: 'write', path: '/m/new.json', content: '{}' },
      { kind: 'edit', path: '/m/b.json', edits: [{ old: 'one', new: 'two', all: false }] },
      { kind: 'patch', path: '/m/moved.json', from: '/m/a.json', hunks: [{ anchor: '', oldLines: ['b'], newLines: ['B'], atEnd: false }] },
      { kind: 'delete', path: '/m/gone.json' },
    ];
    assert.deepEqual(Object.fromEntries(proposeOutcomes(ops, read)), {
      '/m/new.json': { kind: 'text', text: '{}' },
      '/m/b.json': { kind: 'text', text: 'two' },
      '/m/moved.json': { kind: 'text', text: 'a\nB\n' },
      '/m/a.json': { kind: 'deleted' },
      '/m/gone.json': { kind: 'deleted' },
    });
  });

  test('later ops see earlier results; a failing op makes the outcome unknown', () => {
    const outcomes = proposeOutcomes(
      [
        { kind: 'write', path: '/m/x', content: 'first' },
        { kind: 'edit', path: '/m/x', edits: [{ old: 'first', new: 'second', all: false }] },
        { kind: 'edit', path: '/m/b.json', edits: [{ old: 'missing', new: 'x', all: false }] },
        { kind: 'patch', path: '/m/nothing', from: '/m/nothing', hunks: [] },
        { kind: 'patch', path: '/m/moved', from: '/m/a.json', hunks: [{ anchor: '', oldLines: ['zzz'], newLines: [], atEnd: false }] },
      ],
      read,
    );
    assert.equal(outcomes.get('/m/a.json')?.kind, 'unknown', 'a move whose patch fails leaves its source alone');
    assert.deepEqual(outcomes.get('/m/x'), { kind: 'text', text: 'second' });
    assert.equal(outcomes.get('/m/b.json')?.kind, 'unknown');
    assert.equal(outcomes.get('/m/nothing')?.kind, 'unknown');
  });
});
