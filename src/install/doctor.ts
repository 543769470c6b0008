// `guard doctor`: will droid run the guard's hooks, and if not, why (issue 13 item 4)? It reads
// droid's settings folders the way droid 0.225.2 does (DROID.md §6): per folder (user, then the
// project), hooks.json wins per event over settings.json's `hooks`, and when it is absent the
// legacy hooks/hooks.json does; hook lists of the folders are concatenated. Every way hooks go
// silently off that can be seen on disk is a problem with its fix; what cannot be seen from here
// (organisation settings) is said as such. Read-only.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { isRecord } from '../core/pointer.js';
import { EVENT_NAMES, isGuardHookCommand, type JsonObject } from './hook-entries.js';
import { guardHomeOfCommand, settingsLocation, type Scope, type Where } from './targets.js';

/** The droid tools whose calls must reach `guard hook`. */
export const GUARDED_DROID_TOOLS = ['Create', 'Edit', 'ApplyPatch', 'Execute', 'StartMissionRun'] as const;

/** One reason droid will not run the guard's hooks (or not with the right guard home). */
export interface DoctorProblem {
  file?: string;
  problem: string;
  fix: string;
}

/** A guard hook droid will run: from which file, for which tools, with which command. */
export interface FoundHook {
  file: string;
  scope: Scope;
  matcher: string;
  command: string;
  tools: string[];
}

export interface DoctorReport {
  /** droid will run `guard hook` for every guarded tool, with this guard's home. */
  fires: boolean;
  hooks: FoundHook[];
  missingTools: string[];
  problems: DoctorProblem[];
  /** What cannot be checked from here. */
  notes: string[];
  guardHome: string;
}

/** What doctor needs: the paths, and the guard home this process uses and whether GUARD_HOME set it. */
export interface DoctorInput {
  where: Where;
  guardHome: string;
  guardHomeFromEnv: boolean;
}

type Events = Record<string, unknown>;
interface FileHooks {
  file: string;
  events: Events;
}

// Diagnose droid's hook configuration for the user and for the project at `where.cwd`.
export function diagnoseDroidHooks(input: DoctorInput): DoctorReport {
  const problems: DoctorProblem[] = [];
  const hooks: FoundHook[] = [];
  const scopes: Scope[] = ['user', 'project'];
  const seen = new Set<string>();
  let userSettings: JsonObject | undefined;
  for (const scope of scopes) {
    const location = settingsLocation('droid', scope, input.where);
    if (seen.has(location.dir)) continue;
    seen.add(location.dir);
    const settings = readJson(location.settings, problems);
    if (scope === 'user') userSettings = settings;
    const base = settings === undefined ? undefined : checkedEvents(location.settings, settings.hooks, problems);
    const overlayFile = [location.hooksJson, location.legacyHooksJson].find((file) => file !== undefined && existsSync(file));
    const overlayDoc = overlayFile === undefined ? undefined : readJson(overlayFile, problems);
    if (overlayFile !== undefined && overlayDoc !== undefined && isRecord(overlayDoc.hooks) && !Object.keys(overlayDoc).some((key) => EVENT_NAMES.has(key))) {
      problems.push({ file: overlayFile, problem: 'its hooks sit under a "hooks" key, which droid ignores in a hooks.json (it reads event keys at the top level)', fix: 'move the event keys to the top level, or run guard init --droid' });
    }
    const overlay = overlayFile === undefined || overlayDoc === undefined ? undefined : checkedEvents(overlayFile, overlayDoc, problems);
    for (const source of [base, overlay]) {
      if (source !== undefined && source.events.hooksDisabled === true) {
        problems.push({ file: source.file, problem: 'hooksDisabled is true: droid runs no hooks at all', fix: `remove "hooksDisabled" from ${source.file}` });
      }
    }
    // Per event, the folder's hooks.json (or legacy file) replaces settings.json's list.
    const preToolUse = overlay !== undefined && overlay.events.PreToolUse !== undefined ? overlay : base;
    if (preToolUse !== undefined) hooks.push(...guardHooksIn(preToolUse, scope));
  }
  const covered = new Set(hooks.flatMap((hook) => hook.tools));
  const missingTools = GUARDED_DROID_TOOLS.filter((tool) => !covered.has(tool));
  if (hooks.length === 0) problems.push({ problem: "no guard hook is installed in droid's user or project settings", fix: 'guard init --droid' });
  else if (missingTools.length > 0) problems.push({ problem: `no guard hook matches ${missingTools.join(', ')}`, fix: 'guard init --droid (installs the anchored matchers for every guarded tool)' });
  problems.push(...trustProblems(hooks, userSettings, input.where));
  problems.push(...guardHomeProblems(hooks, input));
  const notes = [
    "organisation settings are fetched from Factory, not kept on disk: if your organisation sets allowManagedHooksOnly, droid runs only its managed hooks and these do not fire; this cannot be checked here (ask your Factory admin)",
  ];
  return { fires: problems.length === 0, hooks, missingTools, problems, notes, guardHome: input.guardHome };
}

// A hooks object checked the way droid's settings schema does: one invalid entry drops every hook
// of the file. Returns undefined (after noting the problem) when droid would drop them.
function checkedEvents(file: string, value: unknown, problems: DoctorProblem[]): FileHooks | undefined {
  if (value === undefined) return { file, events: {} };
  if (!isRecord(value)) {
    problems.push({ file, problem: 'its hooks value is not an object, so droid drops every hook of this file', fix: `fix ${file}` });
    return undefined;
  }
  for (const [event, groups] of Object.entries(value)) {
    const problem = invalidEntry(event, groups);
    if (problem !== undefined) {
      problems.push({ file, problem: `${problem}; droid then drops every hook in this file, the guard's too`, fix: `fix or remove that entry in ${file}` });
      return undefined;
    }
  }
  return { file, events: value };
}

// droid's schema: {matcher?: string, commandRegex?: string, hooks: [{type: "command", command: string, timeout?: number}]}.
function invalidEntry(event: string, groups: unknown): string | undefined {
  if (event === 'hooksDisabled' || event === 'showHookOutput') return typeof groups === 'boolean' ? undefined : `"${event}" is not true or false`;
  if (!EVENT_NAMES.has(event)) return undefined; // droid ignores unknown keys with a log line
  if (!Array.isArray(groups)) return `"${event}" is not a list`;
  for (const [index, group] of groups.entries()) {
    const at = `${event}[${index}]`;
    if (!isRecord(group)) return `${at} is not an object`;
    if (group.matcher !== undefined && typeof group.matcher !== 'string') return `${at}.matcher is not a string`;
    if (group.commandRegex !== undefined && typeof group.commandRegex !== 'string') return `${at}.commandRegex is not a string`;
    if (!Array.isArray(group.hooks)) return `${at}.hooks is not a list`;
    for (const [n, hook] of group.hooks.entries()) {
      if (!isRecord(hook) || hook.type !== 'command') return `${at}.hooks[${n}] is not {"type": "command", ...}`;
      if (typeof hook.command !== 'string') return `${at}.hooks[${n}].command is not a string`;
      if (hook.timeout !== undefined && typeof hook.timeout !== 'number') return `${at}.hooks[${n}].timeout is not a number`;
    }
  }
  return undefined;
}

function guardHooksIn(source: FileHooks, scope: Scope): FoundHook[] {
  const groups = Array.isArray(source.events.PreToolUse) ? source.events.PreToolUse : [];
  const found: FoundHook[] = [];
  for (const group of groups) {
    if (!isRecord(group) || !Array.isArray(group.hooks)) continue;
    const matcher = typeof group.matcher === 'string' ? group.matcher : '';
    const tools = GUARDED_DROID_TOOLS.filter((tool) => matches(matcher, tool));
    for (const hook of group.hooks) {
      if (isRecord(hook) && isGuardHookCommand(hook.command)) found.push({ file: source.file, scope, matcher, command: hook.command as string, tools });
    }
  }
  return found;
}

// droid matchers are unanchored regexes; an empty or missing one matches every tool.
function matches(matcher: string, tool: string): boolean {
  if (matcher === '' || matcher === '*') return true;
  try {
    return new RegExp(matcher).test(tool);
  } catch {
    return false;
  }
}

// Project hooks run only in a folder the user trusted: droid keeps trusted roots in the user
// settings' `trustedFolders` (keys are paths; a folder inside one is trusted) [droid code].
function trustProblems(hooks: FoundHook[], userSettings: JsonObject | undefined, where: Where): DoctorProblem[] {
  if (hooks.length === 0 || hooks.some((hook) => hook.scope === 'user')) return [];
  const general = isRecord(userSettings?.general) ? userSettings.general : {};
  const trusted = isRecord(general.trustedFolders) ? general.trustedFolders : isRecord(userSettings?.trustedFolders) ? userSettings.trustedFolders : {};
  const cwd = resolve(where.cwd);
  const isTrusted = Object.keys(trusted).some((root) => {
    const rel = relative(resolve(root), cwd);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
  if (isTrusted) return [];
  return [
    {
      ...(hooks[0] === undefined ? {} : { file: hooks[0].file }),
      problem: `the guard's hooks are only in this project's settings, and ${cwd} is not among the trusted folders in droid's user settings, so droid does not load them until the folder is trusted`,
      fix: 'start droid here once and trust the folder, or install the hooks for the user: guard init --droid',
    },
  ];
}

// A worker's hook inherits droid's daemon environment, not the user's shell (DROID.md §6): a
// GUARD_HOME set only in the shell must be written into the hook command.
function guardHomeProblems(hooks: FoundHook[], input: DoctorInput): DoctorProblem[] {
  const problems: DoctorProblem[] = [];
  for (const hook of hooks) {
    const own = guardHomeOfCommand(hook.command);
    if (own !== undefined && resolve(own) !== resolve(input.guardHome)) {
      problems.push({ file: hook.file, problem: `its guard hook uses GUARD_HOME=${own}, but this guard keeps its journals in ${input.guardHome}: the hook would find no journal and allow everything`, fix: `run guard init --droid with the GUARD_HOME you guard with` });
    } else if (own === undefined && input.guardHomeFromEnv) {
      problems.push({
        file: hook.file,
        problem: `GUARD_HOME=${input.guardHome} is set in this shell only; droid's workers run their hooks with the daemon's environment and may look in the default guard home, find no journal and allow everything`,
        fix: `GUARD_HOME=${input.guardHome} guard init --droid (writes GUARD_HOME into the hook command)`,
      });
    }
  }
  return dedupe(problems);
}

function dedupe(problems: DoctorProblem[]): DoctorProblem[] {
  return [...new Map(problems.map((problem) => [`${problem.file ?? ''}\0${problem.problem}`, problem])).values()];
}

// A settings file as an object; undefined when absent. Unreadable JSON is a problem: droid then
// ignores the whole file.
function readJson(file: string, problems: DoctorProblem[]): JsonObject | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const doc: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    if (isRecord(doc)) return doc;
  } catch {
    // fall through
  }
  problems.push({ file, problem: 'it is not a JSON object, so droid ignores every hook in it', fix: `fix ${file}` });
  return undefined;
}
