// The layering STYLE.md asks for, checked on the source: only `src/cli/` prints, and `src/core/`
// stays pure (imports only its own modules and a few side-effect-free libraries, reads no clock,
// touches no process). A module that breaks a rule fails this test with its file and line.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SRC = join(ROOT, 'src');

/** Programs of their own (the demo's stand-in for droid), which print as any program does. */
const OWN_PROGRAMS = new Set(['src/demo/simulator.ts']);

/** What `src/core/` may import besides its own modules: pure functions only. */
const CORE_IMPORTS = new Set(['node:util', 'node:crypto', 'diff']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** Lines of `file` matching `pattern`, as "file:line: text", comments left out. */
function offending(file: string, pattern: RegExp): string[] {
  return readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .flatMap((line, index) => {
      const code = line.trimStart();
      if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return [];
      return pattern.test(line) ? [`${file}:${index + 1}: ${code}`] : [];
    });
}

test('only src/cli/ prints', () => {
  const printing = /\bconsole\.(log|error|warn|info|debug)\(|process\.(stdout|stderr)\.write\(/;
  const found = sources(SRC)
    .filter((file) => !file.startsWith('src/cli/') && !OWN_PROGRAMS.has(file))
    .flatMap((file) => offending(file, printing));
  assert.deepEqual(found, [], 'modules outside src/cli/ return what to say; the CLI prints it');
});

test('src/core/ imports only itself and pure libraries', () => {
  const found = sources(join(SRC, 'core')).flatMap((file) =>
    offending(file, /\bfrom '[^']+'|\bimport\('[^']+'\)/).filter((hit) => {
      const target = /'([^']+)'/.exec(hit)?.[1] ?? '';
      return !(target.startsWith('./') || CORE_IMPORTS.has(target));
    }),
  );
  assert.deepEqual(found, [], 'the core imports no higher layer and no I/O module');
});

test('src/core/ reads no clock and touches no process', () => {
  const impure = /\bDate\.now\(|\bnew Date\(\)|\bperformance\.now\(|\bprocess\.|\bsetTimeout\(|\bsetInterval\(/;
  const found = sources(join(SRC, 'core')).flatMap((file) => offending(file, impure));
  assert.deepEqual(found, [], 'time and the process come in as arguments');
});

test('the checks see the source tree (a moved src/ must not make them pass vacuously)', () => {
  assert.ok(sources(join(SRC, 'core')).length >= 10);
  assert.ok(sources(join(SRC, 'cli')).length >= 10);
});
