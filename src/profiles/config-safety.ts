// A guard.config.json and its schemas are input the guard must survive: a hostile or careless one
// is refused up front with the reason (exit 2), never allowed to hang, exhaust memory or crash the
// guard (issue 14, item 10). Checked here: files are regular, inside the config's dir and small;
// globs stay inside the mission; depth limits are sane; schemas have no `$ref` cycle that does not
// consume data (ajv compiles `{"$ref":"#"}` and then overflows the stack on every validation);
// every regex can only take linear-ish time.
import { closeSync, fstatSync, lstatSync, openSync, readSync, realpathSync, constants } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { GuardError } from '../errors.js';
import { unsafePatternReason } from './safe-regex.js';

/** A guard.config.json larger than this is refused. */
export const MAX_CONFIG_BYTES = 64 * 1024;
/** A schema file larger than this is refused (an 800 KB schema cost 25 s and 928 MB per command). */
export const MAX_SCHEMA_BYTES = 256 * 1024;
/** Schemas nested deeper than this are refused (ajv compiles them recursively). */
const MAX_SCHEMA_NESTING = 200;
/** The highest nesting-depth limit a config may set; deeper data overflowed the stack. */
export const MAX_DEPTH_LIMIT = 512;

// The bytes of a regular file of at most `maxBytes`, opened without following a final symlink;
// with `insideDir`, its real path must lie under that dir's real path.
export function readBoundedFile(file: string, maxBytes: number, label: string, insideDir?: string): Buffer {
  let fd: number;
  try {
    if (insideDir !== undefined) {
      const lexical = relative(insideDir, file);
      if (lexical === '' || lexical.startsWith('..') || isAbsolute(lexical)) throw new GuardError('CONFIG_INVALID', `${label} at ${file} is outside the config's dir ${insideDir}; schemas must be files next to guard.config.json`);
      const rel = relative(realpathSync(insideDir), realpathSync(file));
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new GuardError('CONFIG_INVALID', `${label} at ${file} is outside the config's dir ${insideDir}; schemas must be files next to guard.config.json`);
    }
    if (lstatSync(file).isSymbolicLink() && insideDir !== undefined) throw new GuardError('CONFIG_INVALID', `${label} at ${file} is a symbolic link; give the schema file itself`);
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (error instanceof GuardError) throw error;
    throw new GuardError('CONFIG_INVALID', `cannot read ${label} at ${file}: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new GuardError('CONFIG_INVALID', `${label} at ${file} is not a regular file`);
    if (stat.size > maxBytes) throw new GuardError('CONFIG_INVALID', `${label} at ${file} is ${stat.size} bytes, over the limit of ${maxBytes}`);
    // Sized to the file, not to the limit: a 16 MB buffer allocated and freed once made glibc
    // raise its trim threshold to 32 MB, and a guardian kept some 30 MB of freed heap for good
    // (BENCHMARKS.md, guardian RSS). A file that grows while read gets a bigger buffer.
    let buffer = Buffer.alloc(Math.min(maxBytes, stat.size + 4096) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.alloc(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) throw new GuardError('CONFIG_INVALID', `${label} at ${file} grew past the limit of ${maxBytes} bytes while it was read`);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof GuardError) throw error;
    throw new GuardError('CONFIG_INVALID', `cannot read ${label} at ${file}: ${(error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

// A glob must name files inside the mission: relative, no `..` segment.
export function unsafeGlobReason(glob: string): string | undefined {
  if (isAbsolute(glob) || glob.startsWith('~')) return 'it is not relative to the mission dir';
  if (glob.split(/[/\\]/).some((segment) => segment === '..' || /^\.\.[{[*?]|[}*?\]]\.\.$/.test(segment) || segment.includes('..{') || segment.includes('{..'))) return 'it reaches outside the mission dir with ".."';
  if (glob.includes(`${sep}..`) || glob.includes('\0')) return 'it reaches outside the mission dir';
  return undefined;
}

/** One reason a schema is refused, with where it is. */
export interface SchemaProblem {
  pointer: string;
  reason: string;
}

// Keywords whose subschemas apply to the same value: a `$ref` loop through only these never ends.
const SAME_VALUE_ARRAYS = ['allOf', 'anyOf', 'oneOf'];
const SAME_VALUE_SINGLE = ['not', 'if', 'then', 'else'];

// Everything wrong with a schema document that ajv would accept and then hang or crash on.
export function schemaSafetyProblems(schema: unknown): SchemaProblem[] {
  if (depthOf(schema) > MAX_SCHEMA_NESTING) return [{ pointer: '', reason: `the schema is nested deeper than ${MAX_SCHEMA_NESTING} levels` }];
  const problems: SchemaProblem[] = [];
  const ids = new Map<string, string>();
  walk(schema, '', (node, pointer, key) => {
    if (key === 'pattern' && typeof node === 'string') {
      const reason = unsafePatternReason(node);
      if (reason !== undefined) problems.push({ pointer, reason: `pattern ${JSON.stringify(node)} is refused: ${reason}` });
    }
    if (key === 'patternProperties' && isObject(node)) {
      for (const name of Object.keys(node)) {
        const reason = unsafePatternReason(name);
        if (reason !== undefined) problems.push({ pointer: `${pointer}/${escape(name)}`, reason: `patternProperties key ${JSON.stringify(name)} is refused: ${reason}` });
      }
    }
    if (isObject(node) && typeof node.$id === 'string') ids.set(node.$id.replace(/#$/, ''), pointer);
  });
  const cycle = sameValueCycle(schema, ids);
  if (cycle !== undefined) problems.push({ pointer: cycle, reason: 'a $ref cycle that never reaches a property or item (it would recurse forever on every value)' });
  return problems;
}

// DFS over "applies to the same value" edges; returns the pointer of a node on a cycle.
function sameValueCycle(root: unknown, ids: Map<string, string>): string | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (pointer: string): string | undefined => {
    const seen = state.get(pointer);
    if (seen === 'open') return pointer;
    if (seen === 'done') return undefined;
    state.set(pointer, 'open');
    const node = resolvePointer(root, pointer);
    if (isObject(node)) {
      const next: string[] = [];
      if (typeof node.$ref === 'string') {
        const target = refTarget(node.$ref, ids);
        if (target !== undefined) next.push(target);
      }
      for (const key of SAME_VALUE_ARRAYS) {
        const list = node[key];
        if (Array.isArray(list)) list.forEach((_item, index) => next.push(`${pointer}/${key}/${index}`));
      }
      for (const key of SAME_VALUE_SINGLE) if (node[key] !== undefined) next.push(`${pointer}/${key}`);
      for (const child of next) {
        const found = visit(child);
        if (found !== undefined) return found;
      }
    }
    state.set(pointer, 'done');
    return undefined;
  };
  const starts: string[] = [''];
  walk(root, '', (node, pointer) => {
    if (isObject(node) && pointer !== '') starts.push(pointer);
  });
  for (const start of starts) {
    const found = visit(start);
    if (found !== undefined) return found;
  }
  return undefined;
}

// A local `$ref` (`#`, `#/definitions/x`, or an `$id` of this document) as a JSON pointer.
function refTarget(ref: string, ids: Map<string, string>): string | undefined {
  const hash = ref.indexOf('#');
  const base = hash === -1 ? ref : ref.slice(0, hash);
  const fragment = hash === -1 ? '' : ref.slice(hash + 1);
  const at = base === '' ? '' : ids.get(base);
  if (at === undefined || (fragment !== '' && !fragment.startsWith('/'))) return undefined;
  return at + decodeURIComponent(fragment);
}

function resolvePointer(root: unknown, pointer: string): unknown {
  let node = root;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function walk(node: unknown, pointer: string, visit: (node: unknown, pointer: string, key: string | undefined) => void, key?: string, depth = 0): void {
  visit(node, pointer, key);
  if (depth > 200) return;
  if (Array.isArray(node)) node.forEach((item, index) => walk(item, `${pointer}/${index}`, visit, String(index), depth + 1));
  else if (isObject(node)) for (const [name, value] of Object.entries(node)) walk(value, `${pointer}/${escape(name)}`, visit, name, depth + 1);
}

// Nesting depth without recursion, so a hostile document cannot overflow the stack here.
function depthOf(root: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    deepest = Math.max(deepest, depth);
    if (depth > MAX_SCHEMA_NESTING) return depth;
    if (typeof node === 'object' && node !== null) for (const value of Object.values(node)) stack.push([value, depth + 1]);
  }
  return deepest;
}

function escape(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
