// What a settings document becomes when the guard's PreToolUse hooks are added or removed. Pure,
// so "idempotent" and "everything else left alone" are unit-tested without files.
import { GuardError } from '../errors.js';
import { isRecord } from '../core/pointer.js';
import { toolGates } from '../orchestrators/index.js';

/** The agents whose settings `guard init` edits. */
export type Agent = 'droid' | 'claude';
/** A parsed settings document. */
export type JsonObject = Record<string, unknown>;

/** One matcher group the guard wants under PreToolUse. */
export interface HookSpec {
  matcher: string;
  command: string;
  timeout: number;
}

/** Where the event map lives: under `hooks` (settings.json) or at the top level (some hooks.json files). */
export type HooksLayout = 'nested' | 'top-level';

/** One line of what an edit did, for the report. */
export interface EntryChange {
  matcher: string;
  change: 'added' | 'updated' | 'removed';
}

/** The edited document (the same object when nothing changed) and what changed. */
export interface HooksEdit {
  doc: JsonObject;
  changes: EntryChange[];
}

/**
 * Anchored, because both agents treat matchers as unanchored regexes (DROID.md §6). Claude Code
 * also gets the MCP tools of orchestrators the hook pauses (Task Master's `mcp__*task*master*__*`).
 */
export const GUARD_MATCHERS: Readonly<Record<Agent, readonly string[]>> = {
  droid: ['^(Create|Edit|ApplyPatch)$', '^Execute$', '^StartMissionRun$'],
  claude: ['^(Write|Edit|MultiEdit)$', '^Bash$', ...toolGates().map(({ gate }) => gate.claudeMatcher)],
};

/** Seconds; a hook that times out fails open, so this only bounds a stuck judge. */
export const HOOK_TIMEOUT_SECONDS = 10;

/** droid's hook events (its settings schema); other keys in a hooks object are ignored. */
export const EVENT_NAMES: ReadonlySet<string> = new Set(['PreToolUse', 'PostToolUse', 'UserPromptSubmit', 'Notification', 'Stop', 'SubagentStop', 'PreCompact', 'SessionStart', 'SessionEnd']);

// The groups the guard installs for one agent, all running `command`.
export function hookSpecs(agent: Agent, command: string): HookSpec[] {
  return GUARD_MATCHERS[agent].map((matcher) => ({ matcher, command, timeout: HOOK_TIMEOUT_SECONDS }));
}

// Ours: a command that runs `guard hook`, by any path to guard, quoted or not.
export function isGuardHookCommand(command: unknown): boolean {
  return typeof command === 'string' && /(?:^|[\s/'"])guard['"]?\s+hook\s*$/.test(command);
}

/**
 * Make the guard's hooks in `doc` exactly `specs` (none: remove them). Our hook in a group whose
 * matcher is wanted is updated in place, so a second run changes nothing; groups and event arrays
 * that only held our hooks go away with them.
 */
export function editGuardHooks(doc: JsonObject, layout: HooksLayout, specs: readonly HookSpec[]): HooksEdit {
  const events = layout === 'nested' ? doc.hooks : doc;
  if (events !== undefined && !isRecord(events)) throw invalid('"hooks" is not an object');
  const groups = events?.PreToolUse;
  if (groups !== undefined && !Array.isArray(groups)) throw invalid(`"${layout === 'nested' ? 'hooks.' : ''}PreToolUse" is not an array`);
  const pending = new Map(specs.map((spec) => [spec.matcher, spec]));
  const changes: EntryChange[] = [];
  const next: unknown[] = [];
  for (const group of groups ?? []) {
    if (!isRecord(group) || !Array.isArray(group.hooks) || !group.hooks.some(isGuardHook)) {
      next.push(group);
      continue;
    }
    const matcher = typeof group.matcher === 'string' ? group.matcher : '';
    const hooks: unknown[] = [];
    let touched = false;
    for (const hook of group.hooks) {
      if (!isGuardHook(hook)) {
        hooks.push(hook);
        continue;
      }
      const spec = pending.get(matcher);
      if (spec === undefined) {
        changes.push({ matcher, change: 'removed' });
        touched = true;
        continue;
      }
      pending.delete(matcher);
      if (hook.type === 'command' && hook.command === spec.command && hook.timeout === spec.timeout) hooks.push(hook);
      else {
        hooks.push({ ...hook, type: 'command', command: spec.command, timeout: spec.timeout });
        changes.push({ matcher, change: 'updated' });
        touched = true;
      }
    }
    if (!touched) next.push(group);
    else if (hooks.length > 0) next.push({ ...group, hooks });
  }
  for (const spec of pending.values()) {
    next.push({ matcher: spec.matcher, hooks: [hookEntry(spec)] });
    changes.push({ matcher: spec.matcher, change: 'added' });
  }
  if (changes.length === 0) return { doc, changes };
  return { doc: withPreToolUse(doc, layout, next), changes };
}

// The object the guard writes for one matcher's hook.
export function hookEntry(spec: HookSpec): JsonObject {
  return { type: 'command', command: spec.command, timeout: spec.timeout };
}

function isGuardHook(hook: unknown): hook is JsonObject {
  return isRecord(hook) && isGuardHookCommand(hook.command);
}

// `doc` with PreToolUse set to `groups`, dropping the array (and a `hooks` object) left empty.
function withPreToolUse(doc: JsonObject, layout: HooksLayout, groups: unknown[]): JsonObject {
  const events: JsonObject = { ...((layout === 'nested' ? doc.hooks : doc) as JsonObject | undefined) };
  if (groups.length > 0) events.PreToolUse = groups;
  else delete events.PreToolUse;
  if (layout === 'top-level') return events;
  const result: JsonObject = { ...doc, hooks: events };
  if (Object.keys(events).length === 0) delete result.hooks;
  return result;
}

function invalid(detail: string): GuardError {
  return new GuardError('CONFIG_INVALID', detail);
}
