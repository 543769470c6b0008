// Shared vocabulary of the core (DESIGN.md §1): identities, roles, rules, issues and verdicts.
import { hash } from 'node:crypto';

declare const digestBrand: unique symbol;
declare const missionPathBrand: unique symbol;

/** sha256 hex of exact bytes: the name of every snapshot and the identity of every version. */
export type Digest = string & { readonly [digestBrand]: true };
/** POSIX path relative to the mission dir, never absolute, never containing `..`. */
export type MissionPath = string & { readonly [missionPathBrand]: true };

// The one way to name bytes.
export function digestOf(bytes: Uint8Array | string): Digest {
  return hash('sha256', bytes, 'hex') as Digest; // one-shot: faster than createHash on small inputs
}

// Checked constructor for digests read back from disk or the command line.
export function asDigest(text: string): Digest | undefined {
  return /^[0-9a-f]{64}$/.test(text) ? (text as Digest) : undefined;
}

// Checked constructor: rejects absolute paths, backslashes and parent references.
export function asMissionPath(text: string): MissionPath | undefined {
  if (text === '' || text.startsWith('/') || text.includes('\\') || text.includes('\0')) return undefined;
  const parts = text.split('/');
  if (parts.some((part) => part === '..' || part === '.' || part === '')) return undefined;
  return text as MissionPath;
}

export type Role = 'scheduling' | 'evidence' | 'finalization' | 'tracked';
export const ROLES: readonly Role[] = ['scheduling', 'evidence', 'finalization', 'tracked'];

/** How the bytes of an artifact are parsed before schema and rules. */
export type Format = 'json' | 'jsonl';

/**
 * Transition invariants, declared as data (DESIGN.md §6.5). `items` is a JSON pointer to an
 * array of objects identified by `key`; `bareArray` also accepts a document that is that array.
 */
export interface ItemsSelector {
  items: string;
  key: string;
  bareArray?: boolean;
}
/**
 * Where an item's status lives, and the orchestrator's words for it (data from its profile: the
 * core knows no orchestrator's statuses). `absent`: what a missing status reads as; `done`: the
 * item's work was done (a claim that needs evidence); `closed`: ended without work (cancelled);
 * `notStarted`: still to schedule; `fulfills`: the item field listing the assertion ids whose
 * passing shows it done.
 */
export type StatusSelector = ItemsSelector & { status: string; absent?: string; done?: string[]; closed?: string[]; notStarted?: string[]; fulfills?: string };
/**
 * A keyed document (an object of named sections, each holding an item array under `items`), as
 * the keyed-* rule kinds read it (src/core/keyed-sections.ts). Everything here is a property name,
 * not a pointer. Sections are compared by their items only, canonically: fields in `ignore` are
 * dropped, integer-like strings in `numeric` fields read as numbers, item order does not count.
 */
export interface KeyedSelector {
  /** The property of each section that holds its items. */
  items: string;
  /** The item field naming an item inside its section. */
  key: string;
  /** A document whose `items` property is an array is the flat form: one section of this name. */
  flat?: string;
  /** The item field holding child items (canonicalized like items; null, [] and absent are alike). */
  children?: string;
  /** Item and child fields never compared. */
  ignore?: string[];
  /** Item and child fields whose integer-like strings (alone or in arrays) read as numbers. */
  numeric?: string[];
  /** The item and child field listing references to other items (pruned by removals elsewhere). */
  refs?: string;
  /** What a section is called in messages ("tag"); default "section". */
  noun?: string;
}
export type KeyedRuleSpec =
  | ({ kind: 'keyed-shape' } & KeyedSelector)
  | ({ kind: 'keyed-set'; permanent?: string[]; reserved?: string[] } & KeyedSelector)
  | ({ kind: 'keyed-untouched'; moveIgnore?: string[] } & KeyedSelector)
  | ({ kind: 'keyed-no-copy'; minChanged?: number } & KeyedSelector)
  | ({ kind: 'keyed-new-section'; moveIgnore?: string[]; minShared?: number; maxChanged?: number } & KeyedSelector)
  | ({ kind: 'keyed-unique' } & KeyedSelector);
export type RuleSpec =
  | ({ kind: 'unique-key' } & ItemsSelector)
  | ({ kind: 'terminal-status'; status: string; terminal: string[] } & ItemsSelector)
  | ({ kind: 'no-removal'; status: string; statuses: string[] } & ItemsSelector)
  | { kind: 'immutable'; pointer: string }
  | ({ kind: 'grow-only'; field: string } & ItemsSelector)
  | { kind: 'grow-only'; pointer: string }
  | { kind: 'append-only' }
  | { kind: 'write-once' }
  | KeyedRuleSpec;
export type RuleKind = RuleSpec['kind'];
export const RULE_KINDS: readonly RuleKind[] = [
  'unique-key',
  'terminal-status',
  'no-removal',
  'immutable',
  'grow-only',
  'append-only',
  'write-once',
  'keyed-shape',
  'keyed-set',
  'keyed-untouched',
  'keyed-no-copy',
  'keyed-new-section',
  'keyed-unique',
];

export type IssueCode =
  | 'too-large'
  | 'not-utf8'
  | 'bom'
  | 'empty'
  | 'parse'
  | 'too-deep'
  | 'duplicate-key'
  | 'schema'
  | 'unique-key'
  | 'terminal-status'
  | 'no-removal'
  | 'immutable'
  | 'grow-only'
  | 'append-only'
  | 'write-once'
  | 'keyed-shape'
  | 'keyed-set'
  | 'keyed-untouched'
  | 'keyed-no-copy'
  | 'keyed-new-section'
  | 'keyed-unique'
  | 'evidence'
  | 'deleted'
  | 'stuck-writer';

/** One reason a version was rejected. `pointer` is a JSON pointer ('' = whole document). */
export interface Issue {
  code: IssueCode;
  pointer: string;
  message: string;
  /** The item (feature id) the issue is about, when there is one; used to match reopen permits. */
  item?: string;
  /** 1-based line number for JSON Lines artifacts. */
  line?: number;
}

/** A status change of one item between last good and a new version (journaled on accept). */
export interface Transition {
  item: string;
  from: string | null;
  to: string | null;
}

export type Verdict =
  | { kind: 'accepted'; transitions: Transition[]; reopened: string[] }
  | { kind: 'rejected'; issues: Issue[] };

// Exhaustiveness guard for switches over discriminated unions.
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
