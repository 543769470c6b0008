// Keyed documents (types.ts KeyedSelector): an object of named sections, each holding items, read
// canonically so that what a legitimate writer churns (id types, bookkeeping fields, item order)
// never counts as a change. Pure: the keyed-* rule kinds (keyed-rules.ts) reason on this model.
import { isRecord } from './pointer.js';
import type { KeyedSelector } from './types.js';

/** One item: its key as canonical text, its raw value, and its canonical text. */
export interface CanonItem {
  key: string | undefined;
  raw: unknown;
  text: string;
}

/** A section's items, canonical and sorted by text: two sections are equal when their texts are. */
export interface CanonSection {
  items: CanonItem[];
  text: string;
}

/** A document read as sections; `flat` when it was the flat form, read as one section. */
export interface KeyedDoc {
  flat: boolean;
  sections: Map<string, CanonSection>;
}

const cache = new WeakMap<object, Map<string, KeyedDoc | undefined>>();

// The document as sections, or undefined when it is not an object (the schema speaks then).
// Cached per document and selector: every keyed rule of a write reads the same two documents.
export function readKeyed(doc: unknown, selector: KeyedSelector): KeyedDoc | undefined {
  if (!isRecord(doc)) return undefined;
  const id = selectorId(selector);
  let perDoc = cache.get(doc);
  if (perDoc === undefined) cache.set(doc, (perDoc = new Map()));
  if (perDoc.has(id)) return perDoc.get(id);
  const keyed = readSections(doc, selector);
  perDoc.set(id, keyed);
  return keyed;
}

function readSections(doc: Record<string, unknown>, selector: KeyedSelector): KeyedDoc {
  const sections = new Map<string, CanonSection>();
  if (selector.flat !== undefined && Array.isArray(doc[selector.items])) {
    sections.set(selector.flat, sectionOf(doc, selector));
    return { flat: true, sections };
  }
  for (const name of Object.keys(doc)) sections.set(name, sectionOf(doc[name], selector));
  return { flat: false, sections };
}

function sectionOf(value: unknown, selector: KeyedSelector): CanonSection {
  const raw = isRecord(value) && Array.isArray(value[selector.items]) ? (value[selector.items] as unknown[]) : [];
  const rules = rulesOf(selector, []);
  return sectionFromItems(raw.map((item) => canonItem(item, selector, rules)));
}

export function sectionFromItems(items: CanonItem[]): CanonSection {
  const sorted = [...items].sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return { items: sorted, text: sorted.map((item) => item.text).join('\n') };
}

// An item without what the selector ignores (and `drop`), numeric fields as numbers, children
// canonical, as stable JSON text: built in one pass, children's texts computed once.
export function canonItem(item: unknown, selector: KeyedSelector, drop: readonly string[] | CanonRules = []): CanonItem {
  const key = isRecord(item) ? item[selector.key] : undefined;
  const canonKey = key === undefined || key === null ? undefined : String(numericOf(key));
  return { key: canonKey, raw: item, text: canonText(item, Array.isArray(drop) ? rulesOf(selector, drop) : (drop as CanonRules)) };
}

export interface CanonRules {
  skip: ReadonlySet<string>;
  numeric: ReadonlySet<string>;
  children: string | undefined;
}

function rulesOf(selector: KeyedSelector, drop: readonly string[]): CanonRules {
  return { skip: new Set([...(selector.ignore ?? []), ...drop]), numeric: new Set(selector.numeric ?? []), children: selector.children };
}

function canonText(item: unknown, rules: CanonRules): string {
  if (!isRecord(item)) return stableJson(item);
  const parts: string[] = [];
  for (const field of Object.keys(item).sort()) {
    if (rules.skip.has(field)) continue;
    const value = item[field];
    if (field === rules.children) {
      if (Array.isArray(value)) {
        if (value.length > 0) parts.push(`${JSON.stringify(field)}:[${value.map((child) => canonText(child, rules)).sort().join(',')}]`);
        continue;
      }
      if (value === null || value === undefined) continue;
    }
    parts.push(`${JSON.stringify(field)}:${stableJson(rules.numeric.has(field) ? numericOf(value) : value)}`);
  }
  return `{${parts.join(',')}}`;
}

// Integer-like strings as numbers, alone or in an array ("3" and 3 are the same id; "3.1" stays).
function numericOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(numericOf);
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
}

// JSON text with object keys sorted: equal values, equal text.
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** How two readings of a document differ at the section level. */
export interface SectionDiff {
  added: string[];
  removed: string[];
  /** Sections in both whose canonical items differ. */
  changed: string[];
}

export function diffSections(before: KeyedDoc, after: KeyedDoc): SectionDiff {
  const added = [...after.sections.keys()].filter((name) => !before.sections.has(name));
  const removed = [...before.sections.keys()].filter((name) => !after.sections.has(name));
  const changed = [...after.sections.keys()].filter((name) => {
    const old = before.sections.get(name);
    return old !== undefined && old.text !== after.sections.get(name)?.text;
  });
  return { added, removed, changed };
}

// Items as a multiset of texts: what `a` holds beyond `b` (each occurrence counted).
export function multisetMinus(a: readonly string[], b: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const text of b) counts.set(text, (counts.get(text) ?? 0) + 1);
  const rest: string[] = [];
  for (const text of a) {
    const left = counts.get(text) ?? 0;
    if (left > 0) counts.set(text, left - 1);
    else rest.push(text);
  }
  return rest;
}

/** Items re-read without some fields (refs for a move or a pruning, move stamps for a match). */
export function textsWithout(section: CanonSection, selector: KeyedSelector, drop: readonly string[]): string[] {
  if (drop.length === 0) return section.items.map((item) => item.text);
  const rules = rulesOf(selector, drop);
  return section.items.map((item) => canonText(item.raw, rules));
}

// A section name as one JSON pointer segment.
export function sectionPointer(name: string, ...rest: string[]): string {
  return [name, ...rest].map((segment) => `/${segment.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function selectorId(selector: KeyedSelector): string {
  return stableJson([selector.items, selector.key, selector.flat ?? null, selector.children ?? null, selector.ignore ?? [], selector.numeric ?? [], selector.refs ?? null]);
}
