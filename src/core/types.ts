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
/** Where an item's status lives; `absent` is what the orchestrator reads a missing status as. */
export type StatusSelector = ItemsSelector & { status: string; absent?: string };
export type RuleSpec =
  | ({ kind: 'unique-key' } & ItemsSelector)
  | ({ kind: 'terminal-status'; status: string; terminal: string[] } & ItemsSelector)
  | ({ kind: 'no-removal'; status: string; statuses: string[] } & ItemsSelector)
  | { kind: 'immutable'; pointer: string }
  | ({ kind: 'grow-only'; field: string } & ItemsSelector)
  | { kind: 'grow-only'; pointer: string }
  | { kind: 'append-only' }
  | { kind: 'write-once' };
export type RuleKind = RuleSpec['kind'];
export const RULE_KINDS: readonly RuleKind[] = [
  'unique-key',
  'terminal-status',
  'no-removal',
  'immutable',
  'grow-only',
  'append-only',
  'write-once',
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
