// The pure settings edit: what a settings document becomes with the guard's hooks added or removed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { editGuardHooks, hookSpecs, isGuardHookCommand } from '../../src/install/hook-entries.js';
import { detectJsonStyle, formatJson, parseSettingsText } from '../../src/install/json-style.js';

const CMD = "'/opt/my tools/bin/guard' hook";
const droid = hookSpecs('droid', CMD);

describe('isGuardHookCommand', () => {
  test('recognises guard hook by any path, quoted or not', () => {
    for (const command of ['guard hook', '/usr/local/bin/guard hook', CMD, "'/usr/bin/node' '/x/bin/guard' hook", 'npx guard hook ']) assert.equal(isGuardHookCommand(command), true, command);
  });
  test('leaves other hooks alone', () => {
    for (const command of ['mission-guard hook', '/x/guard-hook', 'guard watch', 'echo guard hook-ish', 'lint hook', 42, undefined]) assert.equal(isGuardHookCommand(command), false, String(command));
  });
});

describe('editGuardHooks', () => {
  test('adds anchored droid groups to empty settings, keeping other keys', () => {
    const { doc, changes } = editGuardHooks({ model: 'x' }, 'nested', droid);
    assert.deepEqual(changes.map((c) => c.change), ['added', 'added', 'added']);
    assert.deepEqual(doc, {
      model: 'x',
      hooks: {
        PreToolUse: [
          { matcher: '^(Create|Edit|ApplyPatch)$', hooks: [{ type: 'command', command: CMD, timeout: 10 }] },
          { matcher: '^Execute$', hooks: [{ type: 'command', command: CMD, timeout: 10 }] },
          { matcher: '^StartMissionRun$', hooks: [{ type: 'command', command: CMD, timeout: 10 }] },
        ],
      },
    });
  });

  test('a second edit changes nothing and returns the same document', () => {
    const once = editGuardHooks({}, 'nested', droid).doc;
    const twice = editGuardHooks(once, 'nested', droid);
    assert.equal(twice.changes.length, 0);
    assert.equal(twice.doc, once);
  });

  test('updates a stale path in place, keeping position and the user hooks beside it', () => {
    const user = { type: 'command', command: 'lint-shell', timeout: 3 };
    const start = {
      hooks: {
        PreToolUse: [
          { matcher: '^Execute$', hooks: [user, { type: 'command', command: '/old/checkout/bin/guard hook', timeout: 10, note: 'kept' }] },
          { matcher: 'Read', hooks: [{ type: 'command', command: 'audit' }] },
        ],
        PostToolUse: [{ matcher: '*', hooks: [{ type: 'command', command: 'fmt' }] }],
      },
    };
    const { doc, changes } = editGuardHooks(start, 'nested', droid);
    assert.deepEqual(changes, [
      { matcher: '^Execute$', change: 'updated' },
      { matcher: '^(Create|Edit|ApplyPatch)$', change: 'added' },
      { matcher: '^StartMissionRun$', change: 'added' },
    ]);
    const groups = (doc.hooks as { PreToolUse: Array<{ matcher: string; hooks: unknown[] }> }).PreToolUse;
    assert.deepEqual(groups[0], { matcher: '^Execute$', hooks: [user, { type: 'command', command: CMD, timeout: 10, note: 'kept' }] });
    assert.equal(groups[1], start.hooks.PreToolUse[1]);
    assert.deepEqual((doc.hooks as Record<string, unknown>).PostToolUse, start.hooks.PostToolUse);
    assert.equal(start.hooks.PreToolUse[0]!.hooks.length, 2, 'input not mutated');
  });

  test('drops duplicates and our hooks under matchers we no longer use', () => {
    const ours = { type: 'command', command: CMD, timeout: 10 };
    const start = { hooks: { PreToolUse: [{ matcher: '^Bash$', hooks: [ours] }, { matcher: '^Execute$', hooks: [ours] }, { matcher: '^Execute$', hooks: [ours] }] } };
    const { doc, changes } = editGuardHooks(start, 'nested', droid);
    assert.deepEqual(changes.filter((c) => c.change === 'removed').map((c) => c.matcher), ['^Bash$', '^Execute$']);
    const matchers = (doc.hooks as { PreToolUse: Array<{ matcher: string }> }).PreToolUse.map((g) => g.matcher);
    assert.deepEqual(matchers, ['^Execute$', '^(Create|Edit|ApplyPatch)$', '^StartMissionRun$']);
  });

  test('removal drops the groups, arrays and hooks object that only held ours', () => {
    const installed = editGuardHooks({ theme: 'dark' }, 'nested', hookSpecs('claude', 'guard hook')).doc;
    const { doc, changes } = editGuardHooks(installed, 'nested', []);
    assert.equal(changes.length, 3, "Claude Code's file tools, Bash and Task Master's MCP tools");
    assert.deepEqual(doc, { theme: 'dark' });
  });

  test('removal keeps other events and user groups', () => {
    const start = { hooks: { PreToolUse: [{ matcher: 'Read', hooks: [{ type: 'command', command: 'audit' }] }], Stop: [] } };
    const installed = editGuardHooks(start, 'nested', droid).doc;
    assert.deepEqual(editGuardHooks(installed, 'nested', []).doc, start);
  });

  test('top-level layout (a hooks.json keyed by event) edits the document itself', () => {
    const start = { PostToolUse: [] };
    const { doc } = editGuardHooks(start, 'top-level', droid);
    assert.deepEqual(Object.keys(doc), ['PostToolUse', 'PreToolUse']);
    assert.deepEqual(editGuardHooks(doc, 'top-level', []).doc, start);
  });

  test('a hooks value of the wrong type is CONFIG_INVALID', () => {
    assert.throws(() => editGuardHooks({ hooks: [] }, 'nested', droid), { code: 'CONFIG_INVALID' });
    assert.throws(() => editGuardHooks({ hooks: { PreToolUse: {} } }, 'nested', droid), { code: 'CONFIG_INVALID' });
  });
});

describe('json style', () => {
  test('keeps indent, line endings, final newline and BOM', () => {
    const value = { a: [1], b: { c: true } };
    for (const text of ['{\n    "a": 1\n}\n', '{\n\t"a": 1\n}', '\uFEFF{\r\n  "a": 1\r\n}\r\n', '{"a":1}']) {
      const style = detectJsonStyle(text);
      assert.equal(formatJson(parseSettingsText(text, 'f'), style), text, JSON.stringify(text));
      const out = formatJson(value, style);
      assert.deepEqual(JSON.parse(out.replace(/^\uFEFF/, '')), value);
    }
  });

  test('blank text is an empty object with the default style', () => {
    assert.deepEqual(parseSettingsText('  \n', 'f'), {});
    assert.equal(formatJson({ a: 1 }, detectJsonStyle('')), '{\n  "a": 1\n}\n');
  });

  test('comments, trailing commas and non-objects are CONFIG_INVALID naming the file', () => {
    for (const text of ['{ // c\n}', '{"a":1,}', '[]', '"x"']) {
      assert.throws(() => parseSettingsText(text, '/s/settings.json'), (error: Error & { code?: string }) => error.code === 'CONFIG_INVALID' && error.message.includes('/s/settings.json'));
    }
  });
});
