// The judge (DESIGN.md §6): a pure function from (artifact spec, last good, new bytes, durable
// facts) to a verdict. The watcher, the hook and `guard write` all call it.
import type { Evidence, EvidenceRules } from './evidence-rules.js';
import { decodeUtf8, parseJson, parseJsonLines, type JsonLine, type ParseLimits } from './parse.js';
import { itemKeyAt, itemMap, statusOfItem, type Item } from './pointer.js';
import { checkRules } from './rules.js';
import type { Format, Issue, Role, RuleSpec, StatusSelector, Transition } from './types.js';

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
  /** What the orchestrator's own reader refuses: issues here reject the version. */
  schema?: SchemaCheck;
  /**
   * The shape the orchestrator writes, stricter than what its reader tolerates: issues here (and a
   * byte order mark, with `allowBom`) are warnings journaled beside an accepted version.
   */
  expected?: SchemaCheck;
  /** The orchestrator's readers tolerate a UTF-8 byte order mark here (a warning, not an incident). */
  allowBom?: boolean;
  /** Where items with a status live: transitions between versions are computed from it. */
  statusItems?: StatusSelector;
  /** Cross-check statuses against journaled evidence (droid features.json), with `evidenceRules`. */
  evidence?: boolean;
  /** The orchestrator's evidence rules, set by the profile loader from its adapter. */
  evidenceRules?: EvidenceRules;
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

/** A reopen the evidence itself sanctions (droid's reopen after work left undone), with its source. */
export interface SanctionedReopen {
  feature: string;
  source: string;
}

export type Judgement =
  | { kind: 'accepted'; doc: unknown; transitions: Transition[]; reopened: string[]; warnings?: Issue[]; sanctioned?: SanctionedReopen[] }
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
  const tooLarge = sizeIssue(spec, previous, bytes);
  if (tooLarge !== undefined) return reject([tooLarge]);
  const parsed = parseVersion(spec, previous, bytes);
  if (!parsed.ok) return reject(parsed.issues);
  const doc = parsed.value;

  const schemaIssues = validateSchema(spec, spec.schema, doc, previous, bytes);
  if (schemaIssues.length > 0) return reject(schemaIssues);

  const issues = checkRules(spec.rules, { ...(previous === undefined ? {} : { previous }), bytes, doc });
  const rules = spec.evidenceRules;
  if (spec.evidence === true && spec.statusItems !== undefined && context.evidence !== undefined && rules !== undefined) {
    issues.push(...rules.check(spec.statusItems, previous?.doc, doc, context.evidence));
  }
  const permits = context.permits ?? new Set<string>();
  const sanctioned = spec.statusItems === undefined || context.evidence === undefined || rules === undefined ? [] : rules.sanctioned(spec.statusItems, previous?.doc, doc, issues, context.evidence);
  const waived = new Set(sanctioned.map((reopen) => reopen.feature));
  const permitted = (issue: Issue) => PERMITTABLE.has(issue.code) && issue.item !== undefined && (permits.has(issue.item) || (SANCTIONABLE.has(issue.code) && waived.has(issue.item)));
  const blocking = issues.filter((issue) => !permitted(issue));
  if (blocking.length > 0) return reject(blocking);
  const reopened = [...new Set(issues.map((issue) => issue.item as string))];
  const warnings = [...bomWarning(spec, bytes), ...validateSchema(spec, spec.expected, doc, previous, bytes)];
  const used = sanctioned.filter((reopen) => reopened.includes(reopen.feature) && !permits.has(reopen.feature));
  return {
    kind: 'accepted',
    doc,
    transitions: transitionsOf(spec, previous?.doc, doc),
    reopened,
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(used.length > 0 ? { sanctioned: used } : {}),
  };
}

// A sanctioned reopen waives only what a reopen necessarily breaks: the status rule and the
// success evidence; a removal or rewritten worker history stays an incident.
const SANCTIONABLE = new Set<Issue['code']>(['terminal-status', 'evidence']);

/**
 * Size limits: a JSON Lines log that only grew is judged on its appended bytes (a long mission's
 * log passes any fixed cap; DROID.md §3), every other version on its whole size.
 */
function sizeIssue(spec: ArtifactSpec, previous: LastGood | undefined, bytes: Uint8Array): Issue | undefined {
  const grown = spec.format === 'jsonl' ? appendedTail(spec, previous, bytes) : undefined;
  const size = grown === undefined ? bytes.length : grown.tail.length;
  if (size <= spec.maxBytes) return undefined;
  const what = grown === undefined ? `file is ${size} bytes` : `one append of ${size} bytes`;
  return {
    code: 'too-large',
    pointer: '',
    message: `${what}, over this artifact's limit of ${spec.maxBytes} (set "maxBytes" for "${spec.glob}" in guard.config.json if this size is legitimate)`,
  };
}

function bomWarning(spec: ArtifactSpec, bytes: Uint8Array): Issue[] {
  return spec.allowBom === true && hasBom(bytes) ? [{ code: 'bom', pointer: '', message: 'file starts with a UTF-8 byte order mark (tolerated by its readers)' }] : [];
}

// Parse bytes the way the artifact's format says, with the spec's limits.
export function parseVersion(spec: ArtifactSpec, previous: LastGood | undefined, bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; issues: Issue[] } {
  const limits: ParseLimits = { maxDepth: spec.maxDepth, rejectDuplicateKeys: spec.role === 'scheduling' || spec.role === 'evidence' };
  if (spec.allowBom === true && spec.format === 'json' && hasBom(bytes)) bytes = bytes.subarray(3);
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
  for (let at = old.indexOf(0x0a); at !== -1; at = old.indexOf(0x0a, at + 1)) firstLine++; // native search: logs are megabytes
  return { tail: bytes.subarray(old.length), offset: old.length, firstLine, oldLines: previous.doc };
}

function hasBom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function validateSchema(spec: ArtifactSpec, schema: SchemaCheck | undefined, doc: unknown, previous: LastGood | undefined, bytes: Uint8Array): Issue[] {
  if (schema === undefined) return [];
  if (spec.format === 'json') return placeIssues(spec, doc, schema(doc));
  const lines = doc as JsonLine[];
  const fresh = previous !== undefined && appendedTail(spec, previous, bytes) !== undefined ? lines.slice((previous.doc as JsonLine[]).length) : lines;
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
  const statusOf = (item: { value: Record<string, unknown> } | undefined) => (item === undefined ? null : statusOfItem(item.value, selector));
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
