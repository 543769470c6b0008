// Transition invariants (DESIGN.md §6.5): each rule kind compares a new version with last good.
import { isDeepStrictEqual } from 'node:util';
import { checkKeyedRule } from './keyed-rules.js';
import { itemMap, itemsOf, valueAt } from './pointer.js';
import { assertNever, type Issue, type ItemsSelector, type RuleSpec } from './types.js';

/** The two versions a rule compares; `previous` is absent for the first version of a file. */
export interface RuleInput {
  previous?: { bytes: Uint8Array; doc: unknown };
  bytes: Uint8Array;
  doc: unknown;
}

// Every issue every rule finds; rules never throw, whatever the documents hold.
export function checkRules(rules: readonly RuleSpec[], input: RuleInput): Issue[] {
  return rules.flatMap((rule) => checkRule(rule, input));
}

function checkRule(rule: RuleSpec, { previous, bytes, doc }: RuleInput): Issue[] {
  switch (rule.kind) {
    case 'unique-key':
      return uniqueKey(rule, doc);
    case 'terminal-status':
      return previous === undefined ? [] : terminalStatus(rule, previous.doc, doc);
    case 'no-removal':
      return previous === undefined ? [] : noRemoval(rule, previous.doc, doc);
    case 'immutable':
      return previous === undefined ? [] : immutable(rule.pointer, previous.doc, doc);
    case 'grow-only':
      if (previous === undefined) return [];
      return 'field' in rule ? growOnlyItems(rule, previous.doc, doc) : growOnlyPointer(rule.pointer, previous.doc, doc);
    case 'append-only':
      return previous === undefined || startsWith(bytes, previous.bytes)
        ? []
        : [{ code: 'append-only', pointer: '', message: `existing lines were changed or removed (${firstDifference(previous.bytes, bytes)}); this log may only grow at the end` }];
    case 'write-once':
      return previous === undefined || equalBytes(previous.bytes, bytes)
        ? []
        : [{ code: 'write-once', pointer: '', message: 'this file is written once and may not be changed afterwards' }];
    case 'keyed-shape':
    case 'keyed-set':
    case 'keyed-untouched':
    case 'keyed-no-copy':
    case 'keyed-new-section':
    case 'keyed-unique':
      return previous === undefined ? [] : checkKeyedRule(rule, previous.doc, doc);
    default:
      return assertNever(rule);
  }
}

type Selected<K extends RuleSpec['kind']> = Extract<RuleSpec, { kind: K }>;

function uniqueKey(rule: Selected<'unique-key'>, doc: unknown): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const item of itemsOf(doc, rule)) {
    if (seen.has(item.key)) {
      issues.push({ code: 'unique-key', pointer: item.pointer, item: item.key, message: `${rule.key} "${item.key}" appears more than once` });
    }
    seen.add(item.key);
  }
  return issues;
}

function terminalStatus(rule: Selected<'terminal-status'>, before: unknown, after: unknown): Issue[] {
  const now = itemMap(after, rule);
  const issues: Issue[] = [];
  for (const old of itemMap(before, rule).values()) {
    const oldStatus = old.value[rule.status];
    if (typeof oldStatus !== 'string' || !rule.terminal.includes(oldStatus)) continue;
    const current = now.get(old.key);
    if (current === undefined) continue; // no-removal speaks about disappearance
    const newStatus = current.value[rule.status];
    if (newStatus !== oldStatus) {
      issues.push({
        code: 'terminal-status',
        pointer: `${current.pointer}/${rule.status}`,
        item: old.key,
        message: `"${old.key}" was ${oldStatus} and may not become ${JSON.stringify(newStatus ?? null)}; ${oldStatus} is final`,
      });
    }
  }
  return issues;
}

function noRemoval(rule: Selected<'no-removal'>, before: unknown, after: unknown): Issue[] {
  const now = itemMap(after, rule);
  const issues: Issue[] = [];
  for (const old of itemMap(before, rule).values()) {
    const status = old.value[rule.status];
    if (typeof status === 'string' && rule.statuses.includes(status) && !now.has(old.key)) {
      issues.push({ code: 'no-removal', pointer: old.pointer, item: old.key, message: `${status} "${old.key}" disappeared; ${status} items may never be removed` });
    }
  }
  return issues;
}

function immutable(pointer: string, before: unknown, after: unknown): Issue[] {
  const old = valueAt(before, pointer);
  if (old === undefined) return [];
  const now = valueAt(after, pointer);
  return isDeepStrictEqual(old, now)
    ? []
    : [{ code: 'immutable', pointer, message: `${pointer} changed from ${JSON.stringify(old)} to ${JSON.stringify(now ?? null)}; it may never change` }];
}

function growOnlyItems(rule: ItemsSelector & { field: string }, before: unknown, after: unknown): Issue[] {
  const now = itemMap(after, rule);
  const issues: Issue[] = [];
  for (const old of itemMap(before, rule).values()) {
    const current = now.get(old.key);
    if (current === undefined) continue;
    const problem = growOnlyProblem(old.value[rule.field], current.value[rule.field]);
    if (problem !== undefined) {
      issues.push({ code: 'grow-only', pointer: `${current.pointer}/${rule.field}`, item: old.key, message: `"${old.key}" ${rule.field}: ${problem}` });
    }
  }
  return issues;
}

function growOnlyPointer(pointer: string, before: unknown, after: unknown): Issue[] {
  const problem = growOnlyProblem(valueAt(before, pointer), valueAt(after, pointer));
  return problem === undefined ? [] : [{ code: 'grow-only', pointer, message: `${pointer}: ${problem}` }];
}

function growOnlyProblem(old: unknown, now: unknown): string | undefined {
  if (!Array.isArray(old) || old.length === 0) return undefined;
  if (!Array.isArray(now)) return `had ${old.length} entries and is now ${now === undefined ? 'missing' : JSON.stringify(now)}; it may only grow`;
  const keptPrefix = now.length >= old.length && old.every((value, index) => isDeepStrictEqual(value, now[index]));
  return keptPrefix ? undefined : `entries were removed or rewritten (had ${old.length}, now ${now.length}); it may only grow at the end`;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && Buffer.from(bytes.buffer, bytes.byteOffset, prefix.length).equals(prefix);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function firstDifference(old: Uint8Array, now: Uint8Array): string {
  const limit = Math.min(old.length, now.length);
  let line = 1;
  for (let i = 0; i < limit; i++) {
    if (old[i] !== now[i]) return `first change on line ${line}`;
    if (old[i] === 0x0a) line++;
  }
  return now.length < old.length ? `the file shrank from ${old.length} to ${now.length} bytes` : 'unknown change';
}
