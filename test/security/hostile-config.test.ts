// Issue 14, item 7 (the campaign's item 10): a hostile or careless config is refused up front
// with the reason and exit 2, never allowed to crash (exit 70), hang, or eat memory. Each one is
// offered to `guard config adopt` (a human adopting it) and to `guard watch --config`.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { schemaSafetyProblems } from '../../src/profiles/config-safety.js';
import { unsafePatternReason } from '../../src/profiles/safe-regex.js';
import { failOnLeakedChildren, kinds, runGuard, sandbox, type Sandbox } from '../helpers/index.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
  writeFileSync(join(box.mission, 'plan.json'), '{"tasks": []}\n');
});

afterEach(() => box.cleanup());

failOnLeakedChildren();

const artifact = (extra: Record<string, unknown>) => JSON.stringify({ artifacts: [{ glob: 'plan.json', role: 'scheduling', ...extra }] });

interface Case {
  name: string;
  config: string;
  /** Files to create next to the config: name -> content (or a symlink target with `->`). */
  files?: Record<string, string>;
  message: RegExp;
}

const CASES: Case[] = [
  { name: 'a $ref to itself', config: artifact({ schema: 's.json' }), files: { 's.json': '{"$ref": "#"}' }, message: /\$ref cycle/ },
  { name: 'a $ref cycle through allOf', config: artifact({ schema: 's.json' }), files: { 's.json': '{"definitions": {"a": {"allOf": [{"$ref": "#/definitions/b"}]}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"}' }, message: /\$ref cycle/ },
  { name: 'maxDepth 10000', config: artifact({ maxDepth: 10000 }), message: /maxDepth: must be <= 512/ },
  { name: 'a catastrophic pattern', config: artifact({ schema: 's.json' }), files: { 's.json': '{"properties": {"id": {"type": "string", "pattern": "^(a+)+$"}}}' }, message: /pattern "\^\(a\+\)\+\$" is refused: it repeats a group that holds a repetition/ },
  { name: 'overlapping alternatives repeated', config: artifact({ schema: 's.json' }), files: { 's.json': '{"pattern": "^(a|aa)*$"}' }, message: /alternatives can match the same text/ },
  { name: 'a catastrophic patternProperties key', config: artifact({ schema: 's.json' }), files: { 's.json': '{"patternProperties": {"^(\\\\w+\\\\s?)*$": {}}}' }, message: /patternProperties key .* is refused/ },
  { name: 'a backreference', config: artifact({ schema: 's.json' }), files: { 's.json': '{"pattern": "^(a*)\\\\1$"}' }, message: /backreference/ },
  { name: 'schema /dev/zero', config: artifact({ schema: '/dev/zero' }), message: /schema "\/dev\/zero" must be a file inside the config's dir|not a regular file|outside the config's dir/ },
  { name: 'a schema outside the config dir', config: artifact({ schema: '../outside.json' }), message: /must be a file inside the config's dir|outside the config's dir/ },
  { name: 'a schema symlinked out', config: artifact({ schema: 'link.json' }), files: { 'link.json': '->/etc/hostname' }, message: /outside the config's dir|symbolic link/ },
  { name: 'a FIFO schema', config: artifact({ schema: 'fifo.json' }), files: { 'fifo.json': 'FIFO' }, message: /not a regular file/ },
  { name: 'a schema past the size limit', config: artifact({ schema: 'big.json' }), files: { 'big.json': `{"description": "${'x'.repeat(300 * 1024)}"}` }, message: /over the limit of 262144/ },
  { name: 'a glob reaching out with ..', config: JSON.stringify({ artifacts: [{ glob: '../**', role: 'scheduling' }] }), message: /glob "\.\.\/\*\*" is refused: it reaches outside the mission dir/ },
  { name: 'an absolute glob', config: JSON.stringify({ artifacts: [{ glob: '/etc/*', role: 'tracked' }] }), message: /is refused: it is not relative to the mission dir/ },
  { name: 'a config past the size limit', config: JSON.stringify({ artifacts: [{ glob: 'plan.json', role: 'scheduling' }], name: 'x'.repeat(70 * 1024) }), message: /over the limit of 65536/ },
];

function place(dir: string, item: Case): void {
  writeFileSync(join(dir, 'guard.config.json'), item.config);
  for (const [name, content] of Object.entries(item.files ?? {})) {
    if (content.startsWith('->')) symlinkSync(content.slice(2), join(dir, name));
    else if (content === 'FIFO') {
      const made = spawnMkfifo(join(dir, name));
      assert.equal(made, 0, 'mkfifo');
    } else writeFileSync(join(dir, name), content);
  }
}

function spawnMkfifo(path: string): number | null {
  return (require_('node:child_process') as typeof import('node:child_process')).spawnSync('mkfifo', [path]).status;
}

import { createRequire } from 'node:module';
const require_ = createRequire(import.meta.url);

describe('hostile configs are refused up front: exit 2 with the reason, no crash, no hang', () => {
  for (const item of CASES) {
    test(item.name, async () => {
      place(box.mission, item);
      const adopt = await runGuard(box, ['config', 'adopt', '--mission', box.mission, '--yes-i-am-human'], { timeoutMs: 30_000 });
      assert.equal(adopt.code, 2, adopt.stderr);
      assert.match(adopt.stderr, item.message);
      assert.doesNotMatch(adopt.stderr, /internal error|\n\s+at /);

      const elsewhere = join(box.dir, 'cfg');
      mkdirSync(elsewhere);
      place(elsewhere, item);
      const watch = await runGuard(box, ['watch', box.mission, '--force', '--config', join(elsewhere, 'guard.config.json')], { timeoutMs: 30_000 });
      assert.equal(watch.code, 2, watch.stderr);
      assert.match(watch.stderr, item.message);
      assert.equal(kinds(box, 'guard-started').length, 0, 'no guardian started');
    });
  }
});

describe('the checks let ordinary schemas through', () => {
  test('recursion through properties, a plain $ref, and everyday patterns are accepted', () => {
    assert.deepEqual(schemaSafetyProblems({ definitions: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/definitions/node' } } } } }, $ref: '#/definitions/node' }), []);
    for (const pattern of ['^(/.*)?$', '^[a-z][a-z0-9-]*$', '^\\d{4}-\\d{2}-\\d{2}T', '^(foo|bar)+$', '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$', '^(?:[a-f0-9]{2})+$']) {
      assert.equal(unsafePatternReason(pattern), undefined, pattern);
    }
  });

  test('the catastrophic patterns of the campaign are refused', () => {
    for (const pattern of ['^(a+)+$', '(a*)*b', '^(\\w+\\s?)*$', '(.*a){12}', '^(a|a)*$', '(x+x+)+y', 'a*a*a*a*a*b']) {
      assert.notEqual(unsafePatternReason(pattern), undefined, pattern);
    }
  });
});
