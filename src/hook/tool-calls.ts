// The PreToolUse payload of droid and Claude Code (DROID.md §6), read into what the call would do.
// Pure and cheap: an unrelated tool is recognised from its name before anything else happens.
import { isAbsolute, resolve } from 'node:path';
import { parsePatch } from './apply-patch.js';
import type { FileOp, TextEdit } from './file-ops.js';
import { gatedToolOwner } from '../orchestrators/gates.js';
import type { OrchestratorName } from '../orchestrators/adapter.js';

/** What a tool call would do, as far as the guard cares. */
export type ToolAction =
  | { kind: 'unrelated' }
  | { kind: 'files'; ops: FileOp[] }
  | { kind: 'shell'; command: string }
  /** `transcript`: the payload's transcript_path, where droid keeps the session's mission tags. */
  | { kind: 'start-run'; transcript?: string }
  /** An orchestrator's own tool (Task Master's MCP tools): denied while its mission is frozen. */
  | { kind: 'orchestrator-tool'; orchestrator: OrchestratorName; projectRoot: string }
  /** The payload is not what the guard expects; `paths` are the files it names, if any. */
  | { kind: 'malformed'; problem: string; paths: string[] };

/** One tool call as the hook sees it: who asked, from where, to do what. */
export interface HookCall {
  tool: string;
  session: string | undefined;
  /** Absolute; relative paths in the payload are resolved against it. */
  cwd: string;
  action: ToolAction;
}

/** Tools the guard looks at; every other name exits at once. */
const GUARDED_TOOLS = new Set(['Create', 'Write', 'Edit', 'MultiEdit', 'ApplyPatch', 'Execute', 'Bash', 'StartMissionRun']);

type Input = Record<string, unknown>;

class Malformed extends Error {}

// Read a payload; never throws. `fallbackCwd` is used when the payload has no usable cwd.
export function readHookCall(text: string, fallbackCwd: string): HookCall {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return malformed('?', undefined, fallbackCwd, `the hook payload on stdin is not JSON (${text.trim() === '' ? 'stdin was empty' : `starts with ${JSON.stringify(text.trim().slice(0, 40))}`})`, []);
  }
  if (!isRecord(payload)) return malformed('?', undefined, fallbackCwd, 'the hook payload is not a JSON object', []);
  const session = typeof payload.session_id === 'string' && payload.session_id !== '' ? payload.session_id : undefined;
  const cwd = typeof payload.cwd === 'string' && isAbsolute(payload.cwd) ? payload.cwd : fallbackCwd;
  const tool = payload.tool_name;
  if (typeof tool !== 'string' || tool === '') return malformed('?', session, cwd, 'the hook payload has no tool_name string', namedPaths(payload.tool_input, cwd));
  if (!GUARDED_TOOLS.has(tool)) {
    const owner = gatedToolOwner(tool);
    return { tool, session, cwd, action: owner === undefined ? { kind: 'unrelated' } : { kind: 'orchestrator-tool', orchestrator: owner, projectRoot: projectRootOf(payload.tool_input, cwd) } };
  }
  if (payload.cwd !== undefined && cwd !== payload.cwd) return malformed(tool, session, cwd, 'the hook payload cwd is not an absolute path', namedPaths(payload.tool_input, cwd));
  // Starting a run needs no input: a frozen mission is refused whatever tool_input holds.
  if (tool === 'StartMissionRun') {
    const transcript = typeof payload.transcript_path === 'string' && isAbsolute(payload.transcript_path) ? payload.transcript_path : undefined;
    return { tool, session, cwd, action: { kind: 'start-run', ...(transcript === undefined ? {} : { transcript }) } };
  }
  const input = payload.tool_input ?? {};
  if (!isRecord(input)) return malformed(tool, session, cwd, 'the hook payload tool_input is not an object', []);
  try {
    return { tool, session, cwd, action: actionOf(tool, input, cwd) };
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    return malformed(tool, session, cwd, `${tool} tool_input: ${error.message}`, namedPaths(input, cwd));
  }
}

function actionOf(tool: string, input: Input, cwd: string): ToolAction {
  switch (tool) {
    case 'Create':
    case 'Write':
      return files({ kind: 'write', path: pathOf(input, cwd), content: text(input, 'content') });
    case 'Edit':
      return files({ kind: 'edit', path: pathOf(input, cwd), edits: [editOf(input)] });
    case 'MultiEdit': {
      const edits = input.edits;
      if (!Array.isArray(edits) || edits.length === 0) throw new Malformed('"edits" is not a non-empty array');
      return files({
        kind: 'edit',
        path: pathOf(input, cwd),
        edits: edits.map((edit, index) => {
          if (!isRecord(edit)) throw new Malformed(`edits[${index}] is not an object`);
          return editOf(edit);
        }),
      });
    }
    case 'ApplyPatch':
      return patchAction(text(input, 'input'), cwd);
    case 'Execute':
    case 'Bash':
      return { kind: 'shell', command: text(input, 'command') };
    case 'StartMissionRun':
      return { kind: 'start-run' };
    default:
      return { kind: 'unrelated' };
  }
}

// droid: old_str / new_str / change_all; Claude Code: old_string / new_string / replace_all.
function editOf(input: Input): TextEdit {
  const droid = 'old_str' in input || 'new_str' in input;
  const all = input[droid ? 'change_all' : 'replace_all'];
  if (all !== undefined && typeof all !== 'boolean') throw new Malformed(`"${droid ? 'change_all' : 'replace_all'}" is not a boolean`);
  return { old: text(input, droid ? 'old_str' : 'old_string'), new: text(input, droid ? 'new_str' : 'new_string'), all: all === true };
}

function patchAction(patch: string, cwd: string): ToolAction {
  const parsed = parsePatch(patch);
  if (!parsed.ok) return { kind: 'malformed', problem: `ApplyPatch input: ${parsed.problem}`, paths: parsed.paths.map((path) => resolve(cwd, path)) };
  const ops: FileOp[] = [];
  for (const op of parsed.ops) {
    const path = resolve(cwd, op.path);
    if (op.kind === 'add') ops.push({ kind: 'write', path, content: op.content });
    else if (op.kind === 'delete') ops.push({ kind: 'delete', path });
    else {
      ops.push({ kind: 'patch', path: op.moveTo === undefined ? path : resolve(cwd, op.moveTo), from: path, hunks: op.hunks });
    }
  }
  return { kind: 'files', ops };
}

// The project root an MCP call names (Task Master's tools take `projectRoot`), else the call's cwd.
export function projectRootOf(input: unknown, cwd: string): string {
  const root = isRecord(input) ? input.projectRoot : undefined;
  return typeof root === 'string' && isAbsolute(root) ? root : cwd;
}

function files(op: FileOp): ToolAction {
  return { kind: 'files', ops: [op] };
}

function pathOf(input: Input, cwd: string): string {
  return resolve(cwd, text(input, 'file_path', true));
}

function text(input: Input, key: string, nonEmpty = false): string {
  const value = input[key];
  if (typeof value !== 'string') throw new Malformed(`"${key}" is ${value === undefined ? 'missing' : `not a string (${typeof value})`}`);
  if (nonEmpty && value === '') throw new Malformed(`"${key}" is empty`);
  return value;
}

// The file paths a broken payload still names, so the decision can be journaled on its mission.
function namedPaths(input: unknown, cwd: string): string[] {
  if (!isRecord(input)) return [];
  return typeof input.file_path === 'string' && input.file_path !== '' ? [resolve(cwd, input.file_path)] : [];
}

function malformed(tool: string, session: string | undefined, cwd: string, problem: string, paths: string[]): HookCall {
  return { tool, session, cwd, action: { kind: 'malformed', problem, paths } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
