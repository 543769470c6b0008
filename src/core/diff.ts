// Diffs between two versions of an artifact (DESIGN.md §9 `guard diff`): first what happened to
// the features (status changes, additions, removals), then a unified text patch. Pure: bytes in,
// data out, so `guard diff`, `guard restore` and tests share one definition of "what changed".
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { ArtifactSpec } from './judge.js';
import { decodeUtf8, parseJson } from './parse.js';
import { isRecord, itemMap, type Item } from './pointer.js';
import type { Format, ItemsSelector } from './types.js';

/** Where the items with a status live (an ArtifactSpec's `statusItems`). */
export type StatusSelector = ItemsSelector & { status: string };

/** What happened to the features between two versions; each list in the newer version's order. */
export interface FeatureDiff {
  changed: Array<{ id: string; from: string | null; to: string | null }>;
  added: Array<{ id: string; status: string | null }>;
  removed: Array<{ id: string; status: string | null }>;
  /** Same status, other fields changed (workerSessionIds, description...). */
  edited: Array<{ id: string; fields: string[] }>;
}

/** One side of a diff: the bytes and how to name them in the patch header. */
export interface DiffSide {
  label: string;
  header?: string;
  bytes: Uint8Array;
}

/** How the artifact is read: only `format: 'json'` gets a parse check, only items get a feature diff. */
export interface DiffShape {
  format?: Format;
  statusItems?: StatusSelector;
  maxDepth?: number;
}

export interface VersionDiff {
  identical: boolean;
  /** null when the artifact has no status items or either side is not valid JSON. */
  features: FeatureDiff | null;
  /** Sides that are not valid JSON (or UTF-8), with the reason. */
  invalid: Array<{ side: 'a' | 'b'; message: string }>;
  /** Unified diff without the `Index:` banner; '' when identical. */
  patch: string;
  /** The patch was given up on: the versions differ on more lines than MAX_EDIT_LINES. */
  tooLarge: boolean;
}

// Beyond this many changed lines a line diff costs more than it tells a reader.
const MAX_EDIT_LINES = 50_000;
const CONTEXT_LINES = 3;
const lenient = new TextDecoder('utf-8');

// How an artifact's versions are compared. Tracked files (markdown, scripts) are plain text.
export function shapeOf(spec: ArtifactSpec | undefined): DiffShape {
  if (spec === undefined || spec.role === 'tracked') return {};
  return { format: spec.format, maxDepth: spec.maxDepth, ...(spec.statusItems === undefined ? {} : { statusItems: spec.statusItems }) };
}

// Compare two versions: feature summary when both parse and the artifact has items, then the patch.
export function diffVersions(a: DiffSide, b: DiffSide, shape: DiffShape = {}): VersionDiff {
  const identical = sameBytes(a.bytes, b.bytes);
  const invalid: VersionDiff['invalid'] = [];
  const docs: unknown[] = [];
  if (shape.format === 'json') {
    for (const [side, bytes] of [['a', a.bytes], ['b', b.bytes]] as const) {
      const parsed = parseDocument(bytes, shape.maxDepth ?? 64);
      if (parsed.ok) docs.push(parsed.value);
      else invalid.push({ side, message: parsed.message });
    }
  }
  const features = shape.statusItems !== undefined && docs.length === 2 ? diffFeatures(shape.statusItems, docs[0], docs[1]) : null;
  if (identical) return { identical, features, invalid, patch: '', tooLarge: false };
  const patch = createTwoFilesPatch(a.label, b.label, lenient.decode(a.bytes), lenient.decode(b.bytes), a.header, b.header, {
    context: CONTEXT_LINES,
    headerOptions: FILE_HEADERS_ONLY,
    maxEditLength: MAX_EDIT_LINES,
  });
  return { identical, features, invalid, patch: patch ?? '', tooLarge: patch === undefined };
}

// Feature-level changes between two parsed documents.
export function diffFeatures(selector: StatusSelector, before: unknown, after: unknown): FeatureDiff {
  const old = itemMap(before, selector);
  const now = itemMap(after, selector);
  const statusOf = (item: Item | undefined) => {
    const status = item?.value[selector.status];
    return typeof status === 'string' ? status : null;
  };
  const diff: FeatureDiff = { changed: [], added: [], removed: [], edited: [] };
  for (const [id, item] of now) {
    const previous = old.get(id);
    if (previous === undefined) {
      diff.added.push({ id, status: statusOf(item) });
      continue;
    }
    const from = statusOf(previous);
    const to = statusOf(item);
    if (from !== to) diff.changed.push({ id, from, to });
    const fields = changedFields(previous.value, item.value).filter((field) => field !== selector.status);
    if (from === to && fields.length > 0) diff.edited.push({ id, fields });
  }
  for (const [id, item] of old) if (!now.has(id)) diff.removed.push({ id, status: statusOf(item) });
  return diff;
}

// True when the feature diff has nothing to report.
export function isEmptyFeatureDiff(diff: FeatureDiff): boolean {
  return diff.changed.length + diff.added.length + diff.removed.length + diff.edited.length === 0;
}

function parseDocument(bytes: Uint8Array, maxDepth: number): { ok: true; value: unknown } | { ok: false; message: string } {
  const text = decodeUtf8(bytes);
  if (!text.ok) return { ok: false, message: text.issues[0]?.message ?? 'not valid UTF-8' };
  const parsed = parseJson(text.value, { maxDepth, rejectDuplicateKeys: false });
  return parsed.ok ? parsed : { ok: false, message: parsed.issues[0]?.message ?? 'not valid JSON' };
}

function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(after), ...Object.keys(before)]);
  return [...keys].filter((key) => !sameJson(before[key], after[key]) || Object.hasOwn(before, key) !== Object.hasOwn(after, key));
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((value, index) => sameJson(value, b[index]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key], b[key]));
  }
  return false;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
