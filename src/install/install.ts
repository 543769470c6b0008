// `guard init`: install or remove the guard's PreToolUse hooks in an agent's settings file.
// Theory of operation: an unchanged document is never written (so a second run is byte-identical);
// before the first change to an existing file its bytes go to `<file>.guard-backup`, or a marker
// notes that the guard created the file; `--remove` puts those exact bytes back (or deletes the
// file it created) when nothing but the guard's hooks changed since, and otherwise removes just
// the guard's entries.
import { isDeepStrictEqual } from 'node:util';
import { GuardError, isGuardError } from '../errors.js';
import { isRecord } from '../core/pointer.js';
import { editGuardHooks, hookSpecs, type Agent, type EntryChange, type HooksLayout, type JsonObject } from './hook-entries.js';
import { DEFAULT_JSON_STYLE, detectJsonStyle, formatJson, parseSettingsText } from './json-style.js';
import { backupOnce, backupPathOf, createdMarkerOf, deleteCreated, exists, markCreated, readIfExists, removeIfExists, replaceSettings } from './settings-file.js';
import { settingsLocation, type Scope, type SettingsLocation, type Where } from './targets.js';

/** What to install where, resolved by the CLI. */
export interface InitOptions {
  agent: Agent;
  scope: Scope;
  where: Where;
  /** The shell command the hooks run (`<path>/bin/guard hook`). */
  command: string;
}

/** What happened to one settings file. */
export interface FileOutcome {
  file: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'restored' | 'deleted' | 'absent';
  changes: EntryChange[];
  /** The backup made now (install) or still kept (remove). */
  backup?: string;
}

/** Everything `guard init` did, for the human and the --json output. */
export interface InitReport {
  agent: Agent;
  scope: Scope;
  action: 'install' | 'remove';
  command: string;
  files: FileOutcome[];
  notes: string[];
}

interface Loaded {
  file: string;
  bytes: Buffer | undefined;
  doc: JsonObject;
  layout: HooksLayout;
}

// Add (or bring up to date) the guard's hooks in the agent's settings at `scope`.
export async function installGuardHooks(options: InitOptions): Promise<InitReport> {
  const location = settingsLocation(options.agent, options.scope, options.where);
  const file = await hooksFileOf(location);
  const target = await load(file);
  const notes: string[] = [];
  if (file === location.hooksJson) notes.push(`${target.file} exists and droid reads hooks from it instead of settings.json in that folder, so the hooks went there.`);
  if (file === location.legacyHooksJson) notes.push(`${target.file} (droid's legacy hooks file) exists and its events replace those of settings.json in that folder, so the hooks went there.`);
  const edit = applyEdit(target, hookSpecs(options.agent, options.command));
  const outcome: FileOutcome = { file: target.file, outcome: 'unchanged', changes: edit.changes };
  if (edit.changes.length > 0) {
    const text = formatJson(edit.doc, target.bytes === undefined ? DEFAULT_JSON_STYLE : detectJsonStyle(target.bytes.toString('utf8')));
    if (target.bytes === undefined) {
      await markCreated(target.file);
      outcome.outcome = 'created';
    } else {
      outcome.outcome = 'updated';
      const backup = (await exists(createdMarkerOf(target.file))) ? undefined : await backupOnce(target.file);
      if (backup !== undefined) outcome.backup = backup;
    }
    await replaceSettings(target.file, text);
  }
  return { agent: options.agent, scope: options.scope, action: 'install', command: options.command, files: [outcome], notes };
}

// Take the guard's hooks out again, restoring the original bytes when nothing else changed.
export async function removeGuardHooks(options: InitOptions): Promise<InitReport> {
  const location = settingsLocation(options.agent, options.scope, options.where);
  const files = [location.hooksJson, location.legacyHooksJson, location.settings].filter((file): file is string => file !== undefined);
  const outcomes: FileOutcome[] = [];
  const notes: string[] = [];
  for (const file of files) {
    const target = await load(file);
    const marker = createdMarkerOf(file);
    if (target.bytes === undefined) {
      await removeIfExists(marker);
      if (file === location.settings) outcomes.push({ file, outcome: 'absent', changes: [] });
      continue;
    }
    const edit = applyEdit(target, []);
    const backup = backupPathOf(file);
    if (edit.changes.length === 0) {
      outcomes.push({ file, outcome: 'unchanged', changes: [] });
      continue;
    }
    const original = await readIfExists(backup);
    if ((await exists(marker)) && Object.keys(edit.doc).length === 0) {
      await deleteCreated(file);
      outcomes.push({ file, outcome: 'deleted', changes: edit.changes });
    } else if (original !== undefined && sameSettings(original, edit.doc, file)) {
      await replaceSettings(file, original);
      await removeIfExists(backup);
      outcomes.push({ file, outcome: 'restored', changes: edit.changes });
    } else {
      await replaceSettings(file, formatJson(edit.doc, detectJsonStyle(target.bytes.toString('utf8'))));
      await removeIfExists(marker);
      outcomes.push({ file, outcome: 'updated', changes: edit.changes, ...(original === undefined ? {} : { backup }) });
      if (original !== undefined) notes.push(`${file} changed since guard init in other ways too, so only the guard's entries were removed; the original is kept in ${backup}.`);
    }
  }
  return { agent: options.agent, scope: options.scope, action: 'remove', command: options.command, files: outcomes, notes };
}

// Where droid reads this folder's hooks from: hooks.json, else the legacy hooks/hooks.json, else
// settings.json (DROID.md §6).
async function hooksFileOf(location: SettingsLocation): Promise<string> {
  if (location.hooksJson !== undefined && (await exists(location.hooksJson))) return location.hooksJson;
  if (location.legacyHooksJson !== undefined && (await exists(location.legacyHooksJson))) return location.legacyHooksJson;
  return location.settings;
}

// droid reads a hooks.json's event keys at its top level, whatever else the file holds (`{}`,
// `{"hooksDisabled": ...}`); a `hooks` wrapper there is ignored by droid, so guard entries an older
// guard put under one are taken out as the real ones go in.
async function load(file: string): Promise<Loaded> {
  const bytes = await readIfExists(file);
  const doc = bytes === undefined ? {} : parseSettingsText(bytes.toString('utf8'), file);
  const layout = file.endsWith('hooks.json') ? 'top-level' : 'nested';
  return { file, bytes, doc, layout };
}

function applyEdit(target: Loaded, specs: Parameters<typeof editGuardHooks>[2]): ReturnType<typeof editGuardHooks> {
  try {
    if (target.layout === 'top-level' && isRecord(target.doc.hooks)) {
      const unwrapped = editGuardHooks(target.doc, 'nested', []);
      const edit = editGuardHooks(unwrapped.doc, 'top-level', specs);
      return { doc: edit.doc, changes: [...unwrapped.changes, ...edit.changes] };
    }
    return editGuardHooks(target.doc, target.layout, specs);
  } catch (error) {
    if (isGuardError(error) && error.code === 'CONFIG_INVALID') throw new GuardError('CONFIG_INVALID', `${target.file}: ${error.message}; fix it or add the hooks by hand.`);
    throw error;
  }
}

// The backup, read as settings, says the same as `doc` (a backup that no longer parses does not).
function sameSettings(original: Buffer, doc: JsonObject, file: string): boolean {
  try {
    return isDeepStrictEqual(parseSettingsText(original.toString('utf8'), file), doc);
  } catch {
    return false;
  }
}
