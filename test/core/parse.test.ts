// The decode and parse stages of the judge (DESIGN.md §6.2-3): pure functions, so no temp dirs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeUtf8, escapePointer, parseJson, parseJsonLines, type Parsed } from '../../src/core/parse.js';
import type { Issue } from '../../src/core/types.js';

const strict = { maxDepth: 64, rejectDuplicateKeys: true };
const lenient = { maxDepth: 64, rejectDuplicateKeys: false };

function issuesOf<T>(parsed: Parsed<T>): Issue[] {
  assert.equal(parsed.ok, false, 'expected issues');
  return parsed.ok ? [] : parsed.issues;
}

function valueOf<T>(parsed: Parsed<T>): T {
  assert.ok(parsed.ok, `expected a value, got ${parsed.ok ? '' : JSON.stringify(parsed.issues)}`);
  return parsed.value;
}

describe('decodeUtf8', () => {
  test('decodes valid UTF-8, multi-byte characters included', () => {
    assert.equal(valueOf(decodeUtf8(Buffer.from('{"name": "Zoë 🚀"}'))), '{"name": "Zoë 🚀"}');
    assert.equal(valueOf(decodeUtf8(Buffer.alloc(0))), '');
  });

  test('a byte order mark is an issue, not silently stripped', () => {
    const [issue] = issuesOf(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])));
    assert.equal(issue?.code, 'bom');
    assert.equal(issue?.pointer, '');
    assert.match(issue?.message ?? '', /byte order mark/);
  });

  test('invalid UTF-8 names the offset of the first bad byte', () => {
    for (const [bytes, offset] of [
      [[0x7b, 0x22, 0xff, 0x22, 0x7d], 2],
      [[0xed, 0xa0, 0x80], 1], // an encoded UTF-16 surrogate: 0xed may not be followed by 0xa0
      [[0xc0, 0xaf], 0], // overlong encoding of '/'
      // A partial character before the bad byte: a decoder reused across probes got these wrong.
      [[0x61, 0xe2, 0x82, 0xac, 0xff], 4],
      [[0xe2, 0xac, 0x9f, 0xa9, 0x41], 3],
      [[0xc3, 0x9f, 0xf0, 0xac, 0x82, 0xe2, 0x41], 5],
    ] as const) {
      const [issue] = issuesOf(decodeUtf8(Buffer.from(bytes)));
      assert.equal(issue?.code, 'not-utf8');
      assert.match(issue?.message ?? '', new RegExp(`first bad byte at offset ${offset}\\)`), Buffer.from(bytes).toString('hex'));
    }
  });

  test('a file cut inside a multi-byte character says where that character starts', () => {
    for (const [bytes, start] of [
      [[0x61, 0x62, 0x63, 0xc3], 3],
      [[0x41, 0xf0, 0x9f, 0x9a], 1],
      [[0xc3, 0xa9, 0xc3, 0xa9, 0xe2, 0x82], 4],
    ] as const) {
      const [issue] = issuesOf(decodeUtf8(Buffer.from(bytes)));
      assert.equal(issue?.code, 'not-utf8');
      assert.match(issue?.message ?? '', new RegExp(`ends inside a multi-byte character starting at offset ${start}\\)`), Buffer.from(bytes).toString('hex'));
    }
  });
});

describe('parseJson', () => {
  test('returns the value of a valid document', () => {
    assert.deepEqual(valueOf(parseJson('{"a": [1, {"b": null}], "c": "x"}', strict)), { a: [1, { b: null }], c: 'x' });
    assert.equal(valueOf(parseJson(' 42 ', strict)), 42);
  });

  test('empty and whitespace-only text is "empty", not a parse error', () => {
    for (const text of ['', ' ', '\n\t\r\n']) assert.deepEqual(issuesOf(parseJson(text, strict)).map((issue) => issue.code), ['empty']);
  });

  test('invalid JSON is one "parse" issue carrying the parser message', () => {
    const issues = issuesOf(parseJson('{"features": [', strict));
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.code, 'parse');
    assert.match(issues[0]?.message ?? '', /^not valid JSON: /);
    assert.equal(issuesOf(parseJson('{"a": 1,}', strict))[0]?.code, 'parse');
    assert.equal(issuesOf(parseJson('{"a": 1} {"b": 2}', strict))[0]?.code, 'parse');
  });

  test('nesting up to maxDepth is fine; one level deeper is "too-deep" with the pointer where it happened', () => {
    const limits = { maxDepth: 3, rejectDuplicateKeys: true };
    assert.deepEqual(valueOf(parseJson('{"a": [{"b": 1}]}', limits)), { a: [{ b: 1 }] });
    const [issue, ...rest] = issuesOf(parseJson('{"a": [{"b": [1]}]}', limits));
    assert.deepEqual(rest, []);
    assert.equal(issue?.code, 'too-deep');
    assert.equal(issue?.pointer, '/a/0/b');
    assert.match(issue?.message ?? '', /deeper than 3 levels/);
    assert.equal(issuesOf(parseJson('[1, [2], [3, [4, [5]]]]', limits))[0]?.pointer, '/2/1/1');
  });

  test('depth is checked before parsing: even unparsable text that is too deep says too-deep', () => {
    const issues = issuesOf(parseJson('['.repeat(1000), strict));
    assert.deepEqual(issues.map((issue) => issue.code), ['too-deep']);
  });

  test('brackets, quotes and backslashes inside strings do not count as structure', () => {
    const text = JSON.stringify({ a: '[[[[{{{{', b: 'say \\"hi\\" [', c: 'ends with a backslash \\', 'd"[': { e: '}' } });
    assert.deepEqual(valueOf(parseJson(text, { maxDepth: 2, rejectDuplicateKeys: true })), JSON.parse(text));
  });

  test('a duplicate key is an issue with the pointer of the repeated key', () => {
    const issues = issuesOf(parseJson('{"features": [{"id": "a"}, {"id": "b", "status": "completed", "status": "pending"}]}', strict));
    assert.deepEqual(issues, [{ code: 'duplicate-key', pointer: '/features/1/status', message: 'key "status" appears more than once in the object at /features/1' }]);
    assert.match(issuesOf(parseJson('{"a": 1, "a": 2}', strict))[0]?.message ?? '', /at \(document root\)/);
  });

  test('keys that are spelt differently but decode the same are duplicates', () => {
    const [issue] = issuesOf(parseJson('{"status": 1, "st\\u0061tus": 2}', strict));
    assert.equal(issue?.code, 'duplicate-key');
    assert.equal(issue?.pointer, '/status');
  });

  test('the same key in different objects, and repeated values, are fine', () => {
    assert.ok(parseJson('[{"id": "a"}, {"id": "a"}, {"x": {"id": 1}, "id": 2}]', strict).ok);
  });

  test('duplicate keys are allowed when the artifact does not reject them (last wins, like JSON.parse)', () => {
    assert.deepEqual(valueOf(parseJson('{"a": 1, "a": 2}', lenient)), { a: 2 });
  });

  test('pointers escape "~" and "/" in keys (RFC 6901)', () => {
    assert.equal(escapePointer('a/b~c'), 'a~1b~0c');
    const [issue] = issuesOf(parseJson('{"a/b~c": {"k": 1, "k": 2}}', strict));
    assert.equal(issue?.pointer, '/a~1b~0c/k');
  });

  test('__proto__ is an own data property, never a prototype', () => {
    const value = valueOf(parseJson('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}', strict)) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ['__proto__', 'constructor']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(issuesOf(parseJson('{"__proto__": 1, "__proto__": 2}', strict))[0]?.code, 'duplicate-key');
  });
});

describe('parseJsonLines', () => {
  test('one value per non-blank line, with 1-based line numbers; CRLF and blank lines are fine', () => {
    const lines = valueOf(parseJsonLines('{"a":1}\r\n\n{"b":2}\n', strict));
    assert.deepEqual(lines, [
      { line: 1, value: { a: 1 } },
      { line: 3, value: { b: 2 } },
    ]);
    assert.deepEqual(valueOf(parseJsonLines('', strict)), []);
  });

  test('every bad line is reported with its number; firstLine numbers a parsed tail', () => {
    const issues = issuesOf(parseJsonLines('{"ok":1}\n{"torn":\n{"a":1,"a":2}\n', strict, 10));
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.line]),
      [
        ['parse', 11],
        ['duplicate-key', 12],
      ],
    );
    assert.match(issues[0]?.message ?? '', /^line 11: not valid JSON/);
  });
});
