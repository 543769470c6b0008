// Rule kinds for keyed documents (types.ts KeyedRuleSpec): section-level invariants any profile
// can declare as data. Each compares a new version with last good, read canonically
// (keyed-sections.ts); none has anything to say about a first version.
import { diffSections, multisetMinus, readKeyed, sectionPointer, type CanonSection, type KeyedDoc, type SectionDiff } from './keyed-sections.js';
import { isMove, onlyPruned, removedRefs } from './keyed-moves.js';
import { assertNever, type Issue, type KeyedRuleSpec, type KeyedSelector } from './types.js';

type Rule<K extends KeyedRuleSpec['kind']> = Extract<KeyedRuleSpec, { kind: K }>;

export function checkKeyedRule(rule: KeyedRuleSpec, previous: unknown, doc: unknown): Issue[] {
  const before = readKeyed(previous, rule);
  const after = readKeyed(doc, rule);
  if (before === undefined || after === undefined) return [];
  const diff = diffSections(before, after);
  const pair = { rule, before, after, diff, noun: rule.noun ?? 'section' };
  switch (rule.kind) {
    case 'keyed-shape':
      return shape(pair);
    case 'keyed-set':
      return sectionSet({ ...pair, rule });
    case 'keyed-untouched':
      return untouched({ ...pair, rule });
    case 'keyed-no-copy':
      return noCopy({ ...pair, rule });
    case 'keyed-new-section':
      return newSections({ ...pair, rule });
    case 'keyed-unique':
      return unique(pair);
    default:
      return assertNever(rule);
  }
}

interface Pair<R extends KeyedSelector = KeyedSelector> {
  rule: R;
  before: KeyedDoc;
  after: KeyedDoc;
  diff: SectionDiff;
  noun: string;
}

const quoted = (names: readonly string[]) => names.map((name) => JSON.stringify(name)).join(', ');
const sectionOf = (doc: KeyedDoc, name: string) => doc.sections.get(name) as CanonSection;

// A keyed document never becomes flat, and never becomes `{}` (written only where no file was).
function shape({ before, after, noun }: Pair): Issue[] {
  const held = [...before.sections.keys()];
  if (!before.flat && held.length > 0 && after.flat) {
    return [{ code: 'keyed-shape', pointer: '', message: `the file was rewritten in the flat form, losing its ${noun}s ${quoted(held)}; a file holding ${noun}s never becomes flat` }];
  }
  if (!after.flat && after.sections.size === 0 && (before.flat || held.length > 0)) {
    return [{ code: 'keyed-shape', pointer: '', message: `the file was emptied to {}, losing its ${noun}s ${quoted(held)}; {} is written only where there was no file` }];
  }
  return [];
}

// Permanent sections never go; reserved names never arrive; one section added, removed or renamed.
function sectionSet({ rule, before, after, diff, noun }: Pair<Rule<'keyed-set'>>): Issue[] {
  const issues: Issue[] = [];
  for (const name of rule.permanent ?? []) {
    if (before.sections.has(name) && !after.sections.has(name)) issues.push({ code: 'keyed-set', pointer: sectionPointer(name), message: `${noun} "${name}" disappeared; it may never be removed` });
  }
  for (const name of diff.added) {
    if ((rule.reserved ?? []).includes(name)) issues.push({ code: 'keyed-set', pointer: sectionPointer(name), message: `a new ${noun} may not be named "${name}" (a reserved name its readers mistake for the file's own structure)` });
  }
  if (before.sections.size === 0 || diff.added.length + diff.removed.length <= 1 || isRename(before, after, diff)) return issues;
  const what = [diff.added.length > 0 ? `added ${quoted(diff.added)}` : '', diff.removed.length > 0 ? `removed ${quoted(diff.removed)}` : ''].filter(Boolean).join(' and ');
  issues.push({ code: 'keyed-set', pointer: '', message: `one write ${what}; a write adds, removes or renames at most one ${noun}` });
  return issues;
}

function isRename(before: KeyedDoc, after: KeyedDoc, diff: SectionDiff): boolean {
  const [added] = diff.added;
  const [removed] = diff.removed;
  return diff.added.length === 1 && diff.removed.length === 1 && sectionOf(after, added as string).text === sectionOf(before, removed as string).text;
}

/**
 * Sections a write does not target stay canonically identical. A write targets one section, or two
 * in a move (items leave one and arrive in the other); a removal's references may be pruned in
 * every other section; a write that adds, removes or renames a section changes nothing else
 * (except a move into the section it adds).
 */
function untouched({ rule, before, after, diff, noun }: Pair<Rule<'keyed-untouched'>>): Issue[] {
  if (diff.changed.length === 0 || before.sections.size === 0) return [];
  const moveIgnore = rule.moveIgnore ?? [];
  const states = (name: string) => ({ before: sectionOf(before, name), after: sectionOf(after, name) });
  const moved = (from: string, to: string) => isMove(rule, moveIgnore, states(from), { before: before.sections.get(to), after: sectionOf(after, to) });
  const setChanged = diff.added.length + diff.removed.length > 0;
  if (setChanged) {
    const [added] = diff.added;
    const [changed] = diff.changed;
    if (diff.added.length === 1 && diff.removed.length === 0 && diff.changed.length === 1 && moved(changed as string, added as string)) return [];
    const what = [diff.added.length > 0 ? `added ${quoted(diff.added)}` : '', diff.removed.length > 0 ? `removed ${quoted(diff.removed)}` : ''].filter(Boolean).join(' and ');
    return [{ code: 'keyed-untouched', pointer: sectionPointer(diff.changed[0] as string), message: `${noun}s ${quoted(diff.changed)} changed in the write that ${what}; such a write leaves the other ${noun}s as they were (a stale copy of the file written back?)` }];
  }
  if (diff.changed.length === 1) return [];
  const dangling = new Set(diff.changed.flatMap((name) => [...removedRefs(rule, sectionOf(before, name), sectionOf(after, name))]));
  const targets = diff.changed.filter((name) => !onlyPruned(rule, dangling, sectionOf(before, name), sectionOf(after, name)));
  if (targets.length <= 1) return [];
  const [first, second] = targets as [string, string];
  if (targets.length === 2 && (moved(first, second) || moved(second, first))) return [];
  return [{ code: 'keyed-untouched', pointer: sectionPointer(second), message: `${noun}s ${quoted(targets)} all changed in one write; a write changes one ${noun} (or moves items between two), the others stay as they were (a stale copy of the file written back?)` }];
}

/** How many items differ between two versions of a section (changed, added or removed). */
function changedItems(a: CanonSection, b: CanonSection): number {
  const left = a.items.map((item) => item.text);
  const right = b.items.map((item) => item.text);
  return Math.max(multisetMinus(left, right).length, multisetMinus(right, left).length);
}

// An existing section never becomes an exact copy of another one (replacing several items).
function noCopy({ rule, before, after, diff, noun }: Pair<Rule<'keyed-no-copy'>>): Issue[] {
  const minChanged = rule.minChanged ?? 2;
  const issues: Issue[] = [];
  for (const name of diff.changed) {
    const now = sectionOf(after, name);
    const old = sectionOf(before, name);
    if (now.items.length === 0 || changedItems(old, now) < minChanged) continue;
    for (const [other, section] of after.sections) {
      if (other === name || section.text !== now.text || before.sections.get(other)?.text === old.text) continue;
      issues.push({ code: 'keyed-no-copy', pointer: sectionPointer(name), message: `${noun} "${name}" became an exact copy of ${noun} "${other}" (${changedItems(old, now)} items replaced); an existing ${noun} never becomes a copy of another` });
      break;
    }
  }
  return issues;
}

/**
 * A new section is empty, an exact copy, a rename, a move's target, or new content. One that holds
 * some items of an existing section unchanged but is no copy of it is a near-copy: the signature
 * of an operation applied to a copy (a misspelled or stale section name).
 */
function newSections({ rule, before, after, diff, noun }: Pair<Rule<'keyed-new-section'>>): Issue[] {
  if (before.sections.size === 0) return [];
  const minShared = rule.minShared ?? 1;
  const issues: Issue[] = [];
  for (const name of diff.added) {
    const now = sectionOf(after, name);
    if (now.items.length === 0) continue;
    const others = [...before.sections.values(), ...[...after.sections].filter(([other]) => other !== name).map(([, section]) => section)];
    if (others.some((section) => section.text === now.text)) continue;
    const moveSource = diff.changed.some((from) => isMove(rule, rule.moveIgnore ?? [], { before: sectionOf(before, from), after: sectionOf(after, from) }, { before: undefined, after: now }));
    if (moveSource) continue;
    for (const [other, section] of before.sections) {
      const texts = section.items.map((item) => item.text);
      const shared = texts.length - multisetMinus(texts, now.items.map((item) => item.text)).length;
      const changed = changedItems(section, now);
      if (shared < minShared || changed === 0 || (rule.maxChanged !== undefined && changed > rule.maxChanged)) continue;
      issues.push({
        code: 'keyed-new-section',
        pointer: sectionPointer(name),
        message: `new ${noun} "${name}" is a near-copy of ${noun} "${other}" (${shared} items identical, ${changed} changed): the signature of an operation applied to a copy under a misspelled or stale ${noun} name`,
      });
      break;
    }
  }
  return issues;
}

// No new duplicate keys inside a section (old ones stay tolerated; a copy keeps its source's).
function unique({ rule, before, after, noun }: Pair): Issue[] {
  const issues: Issue[] = [];
  for (const [name, section] of after.sections) {
    const old = before.sections.get(name);
    const allowedOf = (key: string) => {
      if (old !== undefined) return countsOf(old).get(key) ?? 1;
      return Math.max(1, ...[...before.sections.values()].map((source) => countsOf(source).get(key) ?? 1));
    };
    for (const [key, count] of countsOf(section)) {
      if (count > 1 && count > allowedOf(key)) issues.push({ code: 'keyed-unique', pointer: sectionPointer(name, rule.items), item: key, message: `${noun} "${name}" holds ${rule.key} ${key} ${count} times; ${rule.key}s are unique inside a ${noun}` });
    }
  }
  return issues;
}

function countsOf(section: CanonSection): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of section.items) if (item.key !== undefined) counts.set(item.key, (counts.get(item.key) ?? 0) + 1);
  return counts;
}
