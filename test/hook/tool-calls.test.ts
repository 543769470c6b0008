// Reading droid and Claude Code PreToolUse payloads (pure): real payload shapes in, actions out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readHookCall } from '../../src/hook/tool-calls.js';

const payload = (tool_name: unknown, tool_input: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ session_id: 'sess-1', transcript_path: '/t/x.jsonl', cwd: '/work/m', permission_mode: 'default', hook_event_name: 'PreToolUse', tool_name, tool_input, ...extra });

describe('readHookCall', () => {
  test('unrelated tools are recognised by name alone', () => {
    for (const tool of ['Read', 'Task', 'Grep', 'Glob', 'LS', 'EndFeatureRun', 'mcp__x__y']) {
      assert.deepEqual(readHookCall(payload(tool, { file_path: 'features.json' }), '/elsewhere').action, { kind: 'unrelated' });
    }
  });

  test('StartMissionRun is a start-run whatever its tool_input holds', () => {
    for (const input of [{}, undefined, 'not an object', [1, 2], null]) {
      assert.deepEqual(readHookCall(payload('StartMissionRun', input), '/').action, { kind: 'start-run', transcript: '/t/x.jsonl' });
    }
  });

  test('droid Create and Claude Code Write resolve a relative file_path against the payload cwd', () => {
    const create = readHookCall(payload('Create', { file_path: 'features.json', content: '{}' }), '/elsewhere');
    assert.deepEqual(create, { tool: 'Create', session: 'sess-1', cwd: '/work/m', action: { kind: 'files', ops: [{ kind: 'write', path: '/work/m/features.json', content: '{}' }] } });
    const write = readHookCall(payload('Write', { file_path: '/abs/state.json', content: 'x' }), '/elsewhere');
    assert.deepEqual(write.action, { kind: 'files', ops: [{ kind: 'write', path: '/abs/state.json', content: 'x' }] });
  });

  test('Edit in both dialects, and MultiEdit', () => {
    const droid = readHookCall(payload('Edit', { file_path: 'f', old_str: 'a', new_str: 'b', change_all: true }), '/');
    assert.deepEqual(droid.action, { kind: 'files', ops: [{ kind: 'edit', path: '/work/m/f', edits: [{ old: 'a', new: 'b', all: true }] }] });
    const claude = readHookCall(payload('Edit', { file_path: 'f', old_string: 'a', new_string: 'b' }), '/');
    assert.deepEqual(claude.action, { kind: 'files', ops: [{ kind: 'edit', path: '/work/m/f', edits: [{ old: 'a', new: 'b', all: false }] }] });
    const multi = readHookCall(payload('MultiEdit', { file_path: 'f', edits: [{ old_string: 'a', new_string: 'b' }, { old_string: 'c', new_string: 'd', replace_all: true }] }), '/');
    assert.deepEqual(multi.action, { kind: 'files', ops: [{ kind: 'edit', path: '/work/m/f', edits: [{ old: 'a', new: 'b', all: false }, { old: 'c', new: 'd', all: true }] }] });
  });

  test('ApplyPatch becomes one op per file section', () => {
    const input = '*** Begin Patch\n*** Update File: a.json\n*** Move to: b.json\n@@\n-x\n+y\n*** Add File: /abs/c\n+hi\n*** End Patch';
    const call = readHookCall(payload('ApplyPatch', { input }), '/');
    assert.deepEqual(call.action, {
      kind: 'files',
      ops: [
        { kind: 'patch', path: '/work/m/b.json', from: '/work/m/a.json', hunks: [{ anchor: '', oldLines: ['x'], newLines: ['y'], atEnd: false }] },
        { kind: 'write', path: '/abs/c', content: 'hi\n' },
      ],
    });
  });

  test('Execute, Bash and StartMissionRun', () => {
    assert.deepEqual(readHookCall(payload('Execute', { command: 'ls' }), '/').action, { kind: 'shell', command: 'ls' });
    assert.deepEqual(readHookCall(payload('Bash', { command: 'ls', description: 'list' }), '/').action, { kind: 'shell', command: 'ls' });
    assert.deepEqual(readHookCall(payload('StartMissionRun', {}), '/').action, { kind: 'start-run', transcript: '/t/x.jsonl' });
  });

  test('a missing cwd falls back; malformed payloads say what is wrong and which file they name', () => {
    assert.equal(readHookCall(JSON.stringify({ tool_name: 'Read' }), '/fallback').cwd, '/fallback');
    assert.deepEqual(readHookCall('not json', '/f').action, { kind: 'malformed', problem: 'the hook payload on stdin is not JSON (starts with "not json")', paths: [] });
    assert.deepEqual(readHookCall('', '/f').action, { kind: 'malformed', problem: 'the hook payload on stdin is not JSON (stdin was empty)', paths: [] });
    assert.equal(readHookCall('[1]', '/f').action.kind, 'malformed');
    assert.deepEqual(readHookCall(payload(undefined, { file_path: 'features.json' }), '/f').action, { kind: 'malformed', problem: 'the hook payload has no tool_name string', paths: ['/work/m/features.json'] });
    assert.deepEqual(readHookCall(payload('Create', { file_path: 'features.json', content: 42 }), '/f').action, { kind: 'malformed', problem: 'Create tool_input: "content" is not a string (number)', paths: ['/work/m/features.json'] });
    assert.equal(readHookCall(payload('Create', 'nope'), '/f').action.kind, 'malformed');
    assert.equal(readHookCall(payload('Write', { file_path: 'x', content: '' }, { cwd: 7 }), '/f').action.kind, 'malformed');
    const patch = readHookCall(payload('ApplyPatch', { input: '*** Update File: features.json\n' }), '/f').action;
    assert.deepEqual(patch.kind === 'malformed' && patch.paths, ['/work/m/features.json']);
  });
});
