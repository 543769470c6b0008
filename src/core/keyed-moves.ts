// The two ways a legitimate write changes more than one section of a keyed document: items moved
// from one section to another, and references to removed items pruned in every section.
import { isRecord } from './pointer.js';
import { canonItem, multisetMinus, sectionFromItems, textsWithout, type CanonSection } from './keyed-sections.js';
import type { KeyedSelector } from './types.js';

const EMPTY: CanonSection = { items: [], text: '' };

/**
 * A move from `from` to `to`: `from` only lost items, `to` only gained items, and what `to` gained
 * is what `from` lost, up to keys, references and `moveIgnore` (the stamps a move adds). Either
 * side may also have had references rewritten, since moved items take their references along.
 */
export function isMove(
  selector: KeyedSelector,
  moveIgnore: readonly string[],
  from: { before: CanonSection; after: CanonSection },
  to: { before: CanonSection | undefined; after: CanonSection },
): boolean {
  const loose = selector.refs === undefined ? [] : [selector.refs];
  const toBefore = to.before ?? EMPTY;
  const left = multisetMinus(textsWithout(from.before, selector, loose), textsWithout(from.after, selector, loose));
  const extra = multisetMinus(textsWithout(from.after, selector, loose), textsWithout(from.before, selector, loose));
  const gained = multisetMinus(textsWithout(to.after, selector, loose), textsWithout(toBefore, selector, loose));
  const lost = multisetMinus(textsWithout(toBefore, selector, loose), textsWithout(to.after, selector, loose));
  if (left.length === 0 || extra.length > 0 || lost.length > 0 || left.length !== gained.length) return false;
  const stamps = [...loose, selector.key, ...moveIgnore];
  const print = (texts: string[]) => texts.map((text) => canonItem(JSON.parse(text), selector, stamps).text);
  return multisetMinus(print(gained), print(left)).length === 0;
}

/**
 * The references a write made dangling in a section: the keys of items it removed, and
 * `parent.child` for children it removed (as a removal's pruning names them).
 */
export function removedRefs(selector: KeyedSelector, before: CanonSection, after: CanonSection): Set<string> {
  const refs = new Set<string>();
  const now = new Map(after.items.map((item) => [item.key, item.raw]));
  for (const item of before.items) {
    if (item.key === undefined) continue;
    const kept = now.get(item.key);
    if (kept === undefined) refs.add(item.key);
    const keptChildren = new Set(childKeys(selector, kept));
    for (const child of childKeys(selector, item.raw)) if (!keptChildren.has(child)) refs.add(`${item.key}.${child}`);
  }
  return refs;
}

function childKeys(selector: KeyedSelector, value: unknown): string[] {
  if (selector.children === undefined || !isRecord(value)) return [];
  const children = value[selector.children];
  if (!Array.isArray(children)) return [];
  return children.flatMap((child) => (isRecord(child) && child[selector.key] !== undefined && child[selector.key] !== null ? [String(child[selector.key])] : []));
}

/**
 * A section that changed only by losing references to `dangling` (remove-task pruning every
 * section): equal to its old self once those references are taken out of both.
 */
export function onlyPruned(selector: KeyedSelector, dangling: ReadonlySet<string>, before: CanonSection, after: CanonSection): boolean {
  if (selector.refs === undefined || dangling.size === 0) return false;
  const strip = (section: CanonSection) => sectionFromItems(section.items.map((item) => canonItem(withoutRefs(item.raw, selector, dangling), selector))).text;
  return strip(before) === strip(after);
}

function withoutRefs(value: unknown, selector: KeyedSelector, dangling: ReadonlySet<string>): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = { ...value };
  const refs = out[selector.refs as string];
  if (Array.isArray(refs)) out[selector.refs as string] = refs.filter((ref) => !dangling.has(String(ref)));
  if (selector.children !== undefined && Array.isArray(out[selector.children])) {
    out[selector.children] = (out[selector.children] as unknown[]).map((child) => withoutRefs(child, selector, dangling));
  }
  return out;
}
