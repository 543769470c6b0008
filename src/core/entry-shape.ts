// The shape of each persisted entry body, checked when the journal is read instead of trusting a
// cast: a line whose hash chain holds but whose body lacks a field the guard acts on (a journal
// written by hand, or by a guard with a bug) is reported as a bad line, never half-believed.
import type { EntryKind } from './entries.js';

type Check = (value: unknown) => boolean;

const text: Check = (value) => typeof value === 'string';
const count: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const flag: Check = (value) => typeof value === 'boolean';
const list: Check = (value) => Array.isArray(value);
const textOrNull: Check = (value) => value === null || typeof value === 'string';
const countOrNull: Check = (value) => value === null || count(value);

/** Required fields, and optional ones (checked only when present). */
interface Shape {
  required: Record<string, Check>;
  optional?: Record<string, Check>;
}

/** One shape per kind: a kind added to `EntryBody` without a shape here does not compile. */
const SHAPES: { readonly [K in EntryKind]: Shape } = {
  'guard-started': { required: { pid: count, host: text, profile: text, mode: text } },
  'guard-stopped': { required: { pid: count, reason: text } },
  baseline: { required: { artifacts: count, frozen: flag } },
  'write-accepted': {
    required: { path: text, digest: textOrNull, size: count, role: text, by: text, transitions: list },
    optional: { reopened: list, replaced: textOrNull },
  },
  'write-rejected': { required: { path: text, digest: textOrNull, size: count, role: text, by: text, issues: list } },
  restored: { required: { path: text, incident: count, digest: textOrNull, replaced: textOrNull } },
  'restore-skipped': { required: { path: text, incident: count, found: textOrNull, reason: text } },
  frozen: { required: { incident: count, path: text, reason: text } },
  'scheduler-paused': { required: { incident: count, how: text } },
  acknowledged: { required: { note: text, who: text, incidents: list } },
  'reopen-permitted': { required: { feature: text, reason: text, who: text } },
  repaired: { required: { action: text, who: text, reason: text }, optional: { path: text, digest: textOrNull, replaced: textOrNull } },
  tamper: { required: { path: text, detail: text, digest: textOrNull } },
  'hook-allowed': { required: { tool: text, path: text }, optional: { session: text, digest: text, note: text } },
  'hook-denied': { required: { tool: text, path: text, reason: text, issues: list }, optional: { session: text } },
  'unhooked-write': { required: { path: text, digest: textOrNull } },
  evidence: { required: { path: text, facts: list } },
  'child-started': { required: { pid: count, command: list } },
  'child-exited': { required: { code: countOrNull, signal: textOrNull } },
  'lock-compromised': { required: { detail: text, recovered: flag } },
  'journal-repaired': { required: { reason: text, cutBytes: count, object: textOrNull, keptSeq: count }, optional: { freeze: text } },
  'cross-check-failed': { required: { disagreements: list } },
  'mission-fault': { required: { path: text, code: text, detail: text } },
  'incident-hook-failed': { required: { incident: count, command: text, reason: text } },
  'shape-warning': { required: { path: text, digest: textOrNull, issues: list } },
  'incident-reported': { required: { incident: count, command: text } },
};

/** Whether `kind` is one this guard knows (an unknown kind is a newer guard's, not a bad line). */
export function isKnownKind(kind: string): kind is EntryKind {
  return Object.hasOwn(SHAPES, kind);
}

/** What is wrong with a parsed entry of a known kind, or null when its body has the right shape. */
export function entryShapeProblem(entry: { kind: EntryKind } & Record<string, unknown>): string | null {
  const shape = SHAPES[entry.kind];
  for (const [field, check] of Object.entries(shape.required)) {
    if (!check(entry[field])) return `its "${entry.kind}" body has no valid "${field}"`;
  }
  for (const [field, check] of Object.entries(shape.optional ?? {})) {
    if (entry[field] !== undefined && !check(entry[field])) return `its "${entry.kind}" body has an invalid "${field}"`;
  }
  return null;
}
