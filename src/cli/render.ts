// The only place that prints and imports chalk. Every journal entry kind has a formatter here,
// so a new kind does not compile until it has one (STYLE.md "Pure core, thin shell").
import type { ChalkInstance } from 'chalk';
import { createRequire } from 'node:module';
import type { EntryBody, EntryKind, JournalEntry } from '../core/entries.js';
import type { Issue, Transition } from '../core/types.js';

/** Where output goes; `main` gets real streams, tests may pass their own. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const require = createRequire(import.meta.url);

/**
 * Colours, honouring NO_COLOR (chalk itself does not read it). chalk is loaded only when colours
 * are on (require of an ES module, Node >= 20.19): `guard hook` runs on every agent tool call and
 * loading chalk was a tenth of its time; `guard status` piped to a file needs no colours either.
 */
export function paletteFor(io: Io): ChalkInstance {
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
  const tty = (io.stdout as { isTTY?: boolean }).isTTY === true || io.env.FORCE_COLOR !== undefined;
  if (noColor || !tty) return PLAIN;
  const { Chalk } = require('chalk') as typeof import('chalk');
  return new Chalk({ level: 1 });
}

/** A colour sequence (Select Graphic Rendition), the only escape the printer lets through. */
const SGR = /(\u001b\[[0-9;]*m)/;

// chalk at level 0 without chalk: every style (and chain of styles) returns its text unchanged.
const PLAIN: ChalkInstance = new Proxy((...text: unknown[]) => text.join(' '), {
  get: (_target, key) => (typeof key === 'symbol' || key === 'then' ? undefined : PLAIN),
}) as unknown as ChalkInstance;

export class Printer {
  readonly #io: Io;
  #c: ChalkInstance | undefined;
  constructor(io: Io) {
    this.#io = io;
  }
  get c(): ChalkInstance {
    this.#c ??= paletteFor(this.#io);
    return this.#c;
  }
  // Every line printed may hold mission data (feature ids, notes, paths): control characters are
  // escaped here, once for all commands, so no mission file can drive the terminal. With colours
  // on, plain SGR colour sequences (chalk's own) pass; nothing else does.
  out(text = ''): void {
    this.#io.stdout.write(`${this.#clean(text)}\n`);
  }
  err(text: string): void {
    this.#io.stderr.write(`${this.#clean(text)}\n`);
  }
  #clean(text: string): string {
    if (this.c === PLAIN) return escapeControls(text, true);
    return text.split(SGR).map((part, index) => (index % 2 === 1 ? part : escapeControls(part, true))).join('');
  }
  json(value: unknown): void {
    this.#io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
  jsonLine(value: unknown): void {
    this.#io.stdout.write(`${JSON.stringify(value)}\n`);
  }
}

type Formatter<K extends EntryKind> = (entry: Extract<EntryBody, { kind: K }>, c: ChalkInstance) => string;
type FormatterTable = { [K in EntryKind]: Formatter<K> };

const short = (digest: string | null | undefined) => (digest === null || digest === undefined ? 'absent' : digest.slice(0, 12));

// How each kind reads in a timeline; `notable` kinds are shown while a child owns the terminal.
const FORMATTERS: FormatterTable = {
  'guard-started': (e) => `guard started (pid ${e.pid}, ${e.mode}, profile ${e.profile})`,
  'guard-stopped': (e) => `guard stopped (${e.reason})`,
  baseline: (e, c) => `baseline: ${e.artifacts} artifacts judged${e.frozen ? c.red(', mission frozen') : ', all good'}`,
  'write-accepted': (e, c) => `${c.green('accepted')} ${e.path} ${short(e.digest)}${e.by === 'watcher' ? '' : ` (${e.by})`}${transitionsText(e.transitions)}${e.reopened === undefined ? '' : c.yellow(` reopened ${e.reopened.map((r) => `${r.feature} (${r.reason})`).join(', ')}`)}`,
  'write-rejected': (e, c) => `${c.red('REJECTED')} ${e.path} ${short(e.digest)} (${e.role}): ${issuesText(e.issues)}`,
  restored: (e, c) => `${c.yellow('restored')} ${e.path} to last good ${short(e.digest)} (incident ${e.incident})`,
  'restore-skipped': (e) => `restore of ${e.path} skipped (incident ${e.incident}): ${e.reason}`,
  frozen: (e, c) => `${c.red.bold('FROZEN')} by incident ${e.incident}: ${e.reason}`,
  'scheduler-paused': (e) => `scheduler paused (incident ${e.incident}): ${e.how}`,
  acknowledged: (e, c) => `${c.green('acknowledged')} by ${e.who}: ${e.note}`,
  'reopen-permitted': (e) => `reopen permitted for ${e.feature} by ${e.who}: ${e.reason}`,
  repaired: (e) => `repaired (${e.action}${e.path === undefined ? '' : ` ${e.path}`}) by ${e.who}: ${e.reason}`,
  tamper: (e, c) => `${c.red('tamper')} ${e.path}: ${e.detail}`,
  'hook-allowed': (e) => `hook allowed ${e.tool} on ${e.path}${e.note === undefined ? '' : ` (${e.note})`}`,
  'hook-denied': (e, c) => `${c.yellow('hook denied')} ${e.tool} on ${e.path}: ${e.reason}`,
  'unhooked-write': (e) => `unhooked write to ${e.path} ${short(e.digest)} (no hook approved this version)`,
  evidence: (e) => `evidence from ${e.path}: ${e.facts.map((f) => (f.fact === 'worker-completed' ? `${f.feature} ${f.outcome} by ${f.session}` : `${f.assertion} ${f.status}`)).join(', ')}`,
  'child-started': (e) => `child started (pid ${e.pid}): ${e.command.join(' ')}`,
  'child-exited': (e) => `child exited (${e.signal === null ? `code ${e.code}` : `signal ${e.signal}`})`,
  'lock-compromised': (e) => `guardian lock compromised (${e.detail})${e.recovered ? '; taken back' : ''}`,
  'journal-repaired': (e) => `journal repaired: ${e.reason} (${e.cutBytes} bytes cut, kept as ${short(e.object)})${e.freeze === undefined ? '' : `; stays frozen: ${e.freeze}`}`,
  'shape-warning': (e, c) => `${c.yellow('warning')} ${e.path} ${short(e.digest)} accepted (droid's readers tolerate it): ${issuesText(e.issues)}`,
  'cross-check-failed': (e, c) => `${c.red('CROSS-CHECK FAILED')}: ${e.disagreements.map((d) => d.message).join('; ')}`,
  'mission-fault': (e, c) => `${c.red('MISSION FAULT')} ${e.path}: ${e.detail}`,
  'incident-reported': (e, c) => `${c.dim('--on-incident started')} for incident ${e.incident} (${e.command})`,
  'incident-hook-failed': (e, c) => `${c.yellow('--on-incident failed')} for incident ${e.incident} (${e.command}): ${e.reason}`,
};

// One readable line for an entry. Its strings come from mission data (paths, feature ids, notes):
// control characters are escaped before formatting, so a feature id cannot drive the terminal.
export function formatEntry(entry: JournalEntry, c: ChalkInstance): string {
  const format = FORMATTERS[entry.kind] as Formatter<EntryKind>;
  return `${c.dim(`#${entry.seq} ${escapeControls(entry.at)}`)} ${format(escapeDeep(entry) as never, c)}`;
}

/**
 * Text from mission data made safe to print: C0 and C1 control characters (ESC starts terminal
 * escape sequences), DEL and the Unicode line/paragraph separators and bidi overrides become
 * visible escapes like `\x1b`. With `keepNewlines`, `\n` stays (messages of several lines).
 */
export function escapeControls(text: string, keepNewlines = false): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (char) => {
    if (keepNewlines && (char === '\n' || char === '\t')) return char;
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

// Every string inside a value, escaped (for journal entries before they are formatted).
export function escapeDeep<T>(value: T): T {
  if (typeof value === 'string') return escapeControls(value) as T;
  if (Array.isArray(value)) return value.map((item) => escapeDeep(item)) as T;
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, escapeDeep(item)])) as T;
  return value;
}

/** Kinds worth a line on stderr while a child owns the terminal (incidents and their handling). */
export const NOTABLE: ReadonlySet<EntryKind> = new Set<EntryKind>(['write-rejected', 'frozen', 'restored', 'restore-skipped', 'tamper', 'journal-repaired', 'lock-compromised', 'cross-check-failed', 'mission-fault', 'incident-hook-failed']);

export function issuesText(issues: Issue[]): string {
  const shown = issues.slice(0, 3).map((issue) => escapeControls(issue.message));
  return `${shown.join('; ')}${issues.length > 3 ? `; +${issues.length - 3} more` : ''}`;
}

function transitionsText(transitions: Transition[]): string {
  const changed = transitions.filter((t) => t.from !== null || t.to !== null);
  if (changed.length === 0) return '';
  const shown = changed.slice(0, 4).map((t) => `${t.item}: ${t.from ?? 'new'} -> ${t.to ?? 'removed'}`);
  return ` [${shown.join(', ')}${changed.length > 4 ? `, +${changed.length - 4}` : ''}]`;
}
