// The ApplyPatch format: parsing several files per patch, and applying hunks the way the tool does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyHunks, parsePatch, type Hunk } from '../../src/hook/apply-patch.js';

const hunk = (oldLines: string[], newLines: string[], anchor = '', atEnd = false): Hunk => ({ anchor, oldLines, newLines, atEnd });

describe('parsePatch', () => {
  test('reads add, update with move, and delete sections of one patch', () => {
    const parsed = parsePatch(['*** Begin Patch', '*** Add File: notes/a.txt', '+hello', '+world', '*** Update File: src/x.ts', '*** Move to: src/y.ts', '@@ function f() {', ' keep', '-old', '+new', '*** Delete File: gone.json', '*** End Patch', ''].join('\n'));
    assert.deepEqual(parsed, {
      ok: true,
      ops: [
        { kind: 'add', path: 'notes/a.txt', content: 'hello\nworld\n' },
        { kind: 'update', path: 'src/x.ts', moveTo: 'src/y.ts', hunks: [hunk(['keep', 'old'], ['keep', 'new'], 'function f() {')] },
        { kind: 'delete', path: 'gone.json' },
      ],
    });
  });

  test('an update may omit its first @@ line, and an empty line is an empty context line', () => {
    const parsed = parsePatch('*** Begin Patch\n*** Update File: a\n-x\n\n+y\n*** End of File\n*** End Patch');
    assert.deepEqual(parsed, { ok: true, ops: [{ kind: 'update', path: 'a', moveTo: undefined, hunks: [hunk(['x', ''], ['', 'y'], '', true)] }] });
  });

  test('a malformed patch still names the files its headers mention', () => {
    const noBegin = parsePatch('*** Update File: features.json\n@@\n-a\n+b\n*** End Patch');
    assert.deepEqual(noBegin, { ok: false, problem: 'the patch has no "*** Begin Patch" line', paths: ['features.json'] });
    const badLine = parsePatch('*** Begin Patch\n*** Update File: features.json\n@@\n?what\n*** End Patch');
    assert.equal(badLine.ok, false);
    assert.deepEqual(!badLine.ok && badLine.paths, ['features.json']);
    assert.equal(parsePatch('*** Begin Patch\n*** Add File: a\n+x\n').ok, false, 'no End Patch');
  });

  test('CRLF patches parse like LF ones', () => {
    assert.deepEqual(parsePatch('*** Begin Patch\r\n*** Delete File: a\r\n*** End Patch\r\n'), { ok: true, ops: [{ kind: 'delete', path: 'a' }] });
  });
});

describe('applyHunks', () => {
  test('replaces the matched lines and keeps a final newline', () => {
    assert.equal(applyHunks('a\nb\nc\n', [hunk(['b'], ['B', 'B2'])]), 'a\nB\nB2\nc\n');
    assert.equal(applyHunks('a\nb', [hunk(['a'], [])]), 'b\n');
  });

  test('an anchor moves the search past its line; hunks apply in order', () => {
    const text = 'x\nstatus\nsection two\nstatus\n';
    assert.equal(applyHunks(text, [hunk(['status'], ['done'], 'section two')]), 'x\nstatus\nsection two\ndone\n');
    assert.equal(applyHunks('1\n2\n3\n4\n', [hunk(['2'], ['two']), hunk(['4'], ['four'])]), '1\ntwo\n3\nfour\n');
  });

  test('End of File matches at the end; pure additions append', () => {
    assert.equal(applyHunks('a\nb\na\n', [hunk(['a'], ['z'], '', true)]), 'a\nb\nz\n');
    assert.equal(applyHunks('a\n', [hunk([], ['b'])]), 'a\nb\n');
  });

  test('whitespace differences are tolerated like the tool does', () => {
    assert.equal(applyHunks('  "status": "pending",  \n', [hunk(['"status": "pending",'], ['"status": "done",'])]), '"status": "done",\n');
  });

  test('lines that are not in the file make the patch fail (undefined)', () => {
    assert.equal(applyHunks('a\nb\n', [hunk(['nope'], ['x'])]), undefined);
    assert.equal(applyHunks('a\nb\n', [hunk(['b'], ['x'], 'missing anchor')]), undefined);
  });
});
