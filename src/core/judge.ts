// The judge (DESIGN.md §6): a pure function from (artifact spec, last good, new bytes, durable
// facts) to a verdict. The watcher, the hook and `guard write` all call it.
import { checkEvidence, type Evidence } from './evidence-rules.js';
import { decodeUtf8, parseJson, parseJsonLines, type JsonLine, type ParseLimits } from './parse.js';
import { itemKeyAt, itemMap, type Item } from './pointer.js';
import { checkRules } from './rules.js';
import type { Format, Issue, ItemsSelector, Role, RuleSpec, Transition } from './types.js';

/** Schema validation compiled by the profile layer; returns issues with JSON pointers. */
export type SchemaCheck = (doc: unknown) => Issue[];

/** Everything the judge needs to know about one kind of artifact. */
export interface ArtifactSpec {
  /** Glob relative to the mission dir (picomatch syntax). */
  glob: string;
  role: Role;
  format: Format;
  maxBytes: number;
  maxDepth: number;
  rules: readonly RuleSpec[];
  schema?: SchemaCheck;
  /** Where items with a status live: transitions between versions are computed from it. */
  statusItems?: ItemsSelector & { status: string };
  /** droid features.json: cross-check statuses against journaled evidence. */
  evidence?: boolean;
}

/** The newest accepted version of an artifact, parsed once and kept by the caller. */
export interface LastGood {
  bytes: Uint8Array;
  doc: unknown;
}

/** Durable facts and explicit permits the judge weighs beyond the two versions. */
export interface JudgeContext {
  /** Items (feature ids) with an unused `reopen-permitted` entry. */
  permits?: ReadonlySet<string>;
  evidence?: Evidence;
}

export type Judgement =
  | { kind: 'accepted'; doc: unknown; transitions: Transition[]; reopened: string[] }
  | { kind: 'rejected'; issues: Issue[] };

// Issue codes a `reopen-permitted` entry may waive: the transition rules, never parse or schema.
const PERMITTABLE = new Set<Issue['code']>(['terminal-status', 'no-removal', 'grow-only', 'evidence']);

export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 64;

// Judge one version; `bytes === null` means the file was deleted. Never throws on bad input.
export function judgeVersion(spec: ArtifactSpec, previous: LastGood | undefined, bytes: Uint8Array | null, context: JudgeContext = {}): Judgement {
  if (bytes === null) {
    const guarded = spec.role === 'scheduling' || spec.role === 'evidence';
    return guarded && previous !== undefined
      ? reject([{ code: 'deleted', pointer: '', message: `the file was deleted; a ${spec.role} artifact may not disappear` }])
      : { kind: 'accepted', doc: undefined, transitions: [], reopened: [] };
  }
  if (bytes.length > spec.maxBytes) {
    return reject([{ code: 'too-large', pointer: '', message: `file is ${bytes.length} bytes, over this artifact's limit of ${spec.maxBytes}` }]);
  }
  const parsed = parseVersion(spec, previous, bytes);
  if (!parsed.ok) return reject(parsed.issues);
  const doc = parsed.value;

  const schemaIssues = validateSchema(spec, doc, previous, bytes);
  if (schemaIssues.length > 0) return reject(schemaIssues);

  const issues = checkRules(spec.rules, { previous, bytes, doc });
  if (spec.evidence === true && spec.statusItems !== undefined && context.evidence !== undefined) {
    issues.push(...checkEvidence(spec.statusItems, previous?.doc, doc, context.evidence));
  }
  const permits = context.permits ?? new Set<string>();
  const blocking = issues.filter((issue) => !(PERMITTABLE.has(issue.code) && issue.item !== undefined && permits.has(issue.item)));
  if (blocking.length > 0) return reject(blocking);
  const reopened = [...new Set(issues.map((issue) => issue.item as string))];
  return { kind: 'accepted', doc, transitions: transitionsOf(spec, previous?.doc, doc), reopened };
}

// Parse bytes the way the artifact's format says, with the spec's limits.
export function parseVersion(spec: ArtifactSpec, previous: LastGood | undefined, bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; issues: Issue[] } {
  const limits: ParseLimits = { maxDepth: spec.maxDepth, rejectDuplicateKeys: spec.role === 'scheduling' || spec.role === 'evidence' };
  const grownLog = spec.format === 'jsonl' ? appendedTail(spec, previous, bytes) : undefined;
  const text = grownLog === undefined ? decodeUtf8(bytes) : decodeUtf8(grownLog.tail, grownLog.offset);
  if (!text.ok) return text;
  if (spec.format === 'json') return parseJson(text.value, limits);
  const lines = parseJsonLines(text.value, limits, grownLog?.firstLine ?? 1);
  if (!lines.ok || grownLog === undefined) return lines;
  return { ok: true, value: [...(grownLog.oldLines as JsonLine[]), ...lines.value] };
}

/**
 * An append-only log that kept its old bytes is parsed from the last complete old line on:
 * old lines were judged when they arrived, and re-parsing a long log on every append is waste.
 */
function appendedTail(spec: ArtifactSpec, previous: LastGood | undefined, bytes: Uint8Array) {
  if (previous === undefined || !Array.isArray(previous.doc) || !spec.rules.some((rule) => rule.kind === 'append-only')) return undefined;
  const old = previous.bytes;
  if (old.length === 0 || old[old.length - 1] !== 0x0a || bytes.length < old.length) return undefined;
  if (!Buffer.from(bytes.buffer, bytes.byteOffset, old.length).equals(old)) return undefined;
  let firstLine = 1;
  for (const byte of old) if (byte === 0x0a) firstLine++;
  return { tail: bytes.subarray(old.length), offset: old.length, firstLine, oldLines: previous.doc };
}

function validateSchema(spec: ArtifactSpec, doc: unknown, previous: LastGood | undefined, bytes: Uint8Array): Issue[] {
  if (spec.schema === undefined) return [];
  if (spec.format === 'json') return placeIssues(spec, doc, spec.schema(doc));
  const lines = doc as JsonLine[];
  const fresh = previous !== undefined && appendedTail(spec, previous, bytes) !== undefined ? lines.slice((previous.doc as JsonLine[]).length) : lines;
  const schema = spec.schema;
  return fresh.flatMap(({ line, value }) =>
    schema(value).map((issue) => ({ ...issue, line, pointer: `/${line - 1}${issue.pointer}`, message: `line ${line}${issue.pointer === "" ? "" : ` (${issue.pointer})`}: ${issue.message}` })),
  );
}

// Schema messages say what is wrong; here they learn where: the feature when there is one
// ("auth-login": missing required property "status"), else the JSON pointer.
function placeIssues(spec: ArtifactSpec, doc: unknown, issues: Issue[]): Issue[] {
  const selector = spec.statusItems;
  return issues.map((issue) => {
    const item = selector === undefined ? undefined : itemKeyAt(doc, selector, issue.pointer);
    if (item !== undefined) return { ...issue, item, message: `"${item}": ${issue.message}` };
    return { ...issue, message: `${issue.pointer === '' ? 'document' : issue.pointer}: ${issue.message}` };
  });
}

// Status changes between two versions, in the new version's order, then removals.
export function transitionsOf(spec: ArtifactSpec, before: unknown, after: unknown): Transition[] {
  const selector = spec.statusItems;
  if (selector === undefined) return [];
  const old = before === undefined ? new Map<string, Item>() : itemMap(before, selector);
  const now = itemMap(after, selector);
  const statusOf = (item: Item | undefined) => {
    const status = item?.value[selector.status];
    return typeof status === 'string' ? status : null;
  };
  const transitions: Transition[] = [];
  for (const [key, item] of now) {
    const from = old.has(key) ? statusOf(old.get(key)) : null;
    const to = statusOf(item);
    if (!old.has(key) || from !== to) transitions.push({ item: key, from, to });
  }
  for (const [key, item] of old) if (!now.has(key)) transitions.push({ item: key, from: statusOf(item), to: null });
  return transitions;
}

function reject(issues: Issue[]): Judgement {
  return { kind: 'rejected', issues };
}
