// JSON pointers (RFC 6901) and item collections: how rules and issues address parts of a document.
import type { ItemsSelector, StatusSelector } from './types.js';

const own = Object.prototype.hasOwnProperty;

// The value at `pointer`, or undefined; only own properties, so `__proto__` is plain data.
export function valueAt(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let current: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (isRecord(current) && own.call(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One item of a collection with its key and position: the unit most rules reason about. */
export interface Item {
  key: string;
  index: number;
  pointer: string;
  value: Record<string, unknown>;
}

// The items of a collection in document order; items without a string key are skipped
// (the schema reports them).
export function itemsOf(doc: unknown, selector: ItemsSelector): Item[] {
  const { array, base } = collectionOf(doc, selector);
  const items: Item[] = [];
  array.forEach((value, index) => {
    if (!isRecord(value)) return;
    const key = own.call(value, selector.key) ? value[selector.key] : undefined;
    if (typeof key === 'string') items.push({ key, index, pointer: `${base}/${index}`, value });
  });
  return items;
}

// Items by key; the first occurrence wins when keys repeat (unique-key reports the repeat).
export function itemMap(doc: unknown, selector: ItemsSelector): Map<string, Item> {
  const map = new Map<string, Item>();
  for (const item of itemsOf(doc, selector)) if (!map.has(item.key)) map.set(item.key, item);
  return map;
}

// The key of the item a pointer falls inside, if any: lets schema issues name their feature.
export function itemKeyAt(doc: unknown, selector: ItemsSelector, pointer: string): string | undefined {
  const { base } = collectionOf(doc, selector);
  if (!pointer.startsWith(`${base}/`)) return undefined;
  const index = Number(pointer.slice(base.length + 1).split('/')[0]);
  const value = collectionOf(doc, selector).array[index];
  const key = isRecord(value) && own.call(value, selector.key) ? value[selector.key] : undefined;
  return typeof key === 'string' ? key : undefined;
}

function collectionOf(doc: unknown, selector: ItemsSelector): { array: unknown[]; base: string } {
  if (selector.bareArray === true && Array.isArray(doc)) return { array: doc, base: '' };
  const value = valueAt(doc, selector.items);
  return { array: Array.isArray(value) ? value : [], base: selector.items };
}

// An item's status as its orchestrator reads it: a missing or empty one is `absent` (droid's reader
// turns it into "pending"); null when not a string and no default applies.
export function statusOfItem(value: Record<string, unknown>, selector: StatusSelector): string | null {
  const status = value[selector.status];
  if (typeof status === 'string' && status !== '') return status;
  return (status === undefined || status === null || status === '') && selector.absent !== undefined ? selector.absent : null;
}
